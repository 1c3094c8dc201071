/* test_cprof.c - the C-time profile's accumulator: entries by function and stack, growth, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include "cprof.h"

static const struct cprof_entry *find(const struct cprof *cp, __u64 fn, const __u64 *pcs,
				      unsigned int npc)
{
	for (size_t i = 0; i < cp->n; i++)
		if (cp->v[i].fn == fn && cp->v[i].npc == npc &&
		    !memcmp(cp->v[i].pcs, pcs, npc * sizeof(*pcs)))
			return &cp->v[i];
	return NULL;
}

/* The same function from two Go call paths: two entries; the same path again adds up. */
static void test_paths(void **state)
{
	const __u64 a[] = { 0x401000, 0x402000, 0x403000 }, b[] = { 0x401000, 0x404000 };
	struct cprof cp = { 0 };

	(void)state;
	assert_int_equal(cprof__add(&cp, 0x500000, a, 3, false, 20000000), 0);
	assert_int_equal(cprof__add(&cp, 0x500000, b, 2, false, 20000000), 0);
	assert_int_equal(cprof__add(&cp, 0x500000, a, 3, false, 10000000), 0);
	cprof__census(&cp, 20000000);
	assert_int_equal(cp.n, 2);
	assert_int_equal(find(&cp, 0x500000, a, 3)->ns, 30000000);
	assert_int_equal(find(&cp, 0x500000, a, 3)->samples, 2);
	assert_int_equal(find(&cp, 0x500000, b, 2)->ns, 20000000);
	/* a prefix of a stack is another stack */
	assert_null(find(&cp, 0x500000, a, 2));
	assert_int_equal(cp.sampled_ns, 20000000);
	assert_int_equal(cp.censuses, 1);
	cprof__free(&cp);
	assert_int_equal(cp.n, 0);
}

/* Thousands of distinct stacks: the index grows, every one found again. */
static void test_many(void **state)
{
	struct cprof cp = { 0 };
	__u64 pcs[2];

	(void)state;
	for (int round = 0; round < 2; round++) {
		for (__u64 i = 0; i < 5000; i++) {
			pcs[0] = 0x400000 + i;
			pcs[1] = 0x900000;
			assert_int_equal(cprof__add(&cp, 0x500000 + (i % 7), pcs, 2, false, 1), 0);
		}
	}
	assert_int_equal(cp.n, 5000);
	for (size_t i = 0; i < cp.n; i++)
		assert_int_equal(cp.v[i].ns, 2);
	cprof__free(&cp);
}

/* Deeper than CPROF_MAX_PCS: kept truncated, and counted as the same stack each time. */
static void test_truncated(void **state)
{
	__u64 deep[CPROF_MAX_PCS + 8];
	struct cprof cp = { 0 };

	(void)state;
	for (unsigned int i = 0; i < CPROF_MAX_PCS + 8; i++)
		deep[i] = 0x400000 + 16 * i;
	assert_int_equal(cprof__add(&cp, 0x500000, deep, CPROF_MAX_PCS + 8, false, 5), 0);
	assert_int_equal(cprof__add(&cp, 0x500000, deep, CPROF_MAX_PCS + 1, false, 5), 0);
	assert_int_equal(cp.n, 1);
	assert_int_equal(cp.v[0].npc, CPROF_MAX_PCS);
	assert_true(cp.v[0].truncated);
	assert_int_equal(cp.v[0].ns, 10);
	/* the same PCs, not truncated, are another entry */
	assert_int_equal(cprof__add(&cp, 0x500000, deep, CPROF_MAX_PCS, false, 5), 0);
	assert_int_equal(cp.n, 2);
	cprof__free(&cp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
