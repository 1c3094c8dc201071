/* test_unseen.c - calls begun unseen, followed to their end on synthetic runtime views (unseen.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mwatch.h"
#include "unseen.h"

#define MS	1000000ULL
#define LONG_NS (1000 * MS)

/* A reading at at_ns with the Ms in C ms[0..n) (by tid, ascending), as mwatch keeps them. */
static struct mwatch view(struct mwatch_m *ms, size_t n, __u64 at_ns)
{
	return (struct mwatch){ .known = true, .v = ms, .n = n, .at_ns = at_ns };
}

/*
 * A call first seen at 100 ms and still in C at 2.6 s ends before the
 * reading at 2.62 s: 2.5 s as seen, one long call of its function; the
 * other, still in C, stays followed.
 */
static void test_long_end(void **state)
{
	struct mwatch_m both[2] = { { .tid = 7, .ncgocall = 3 }, { .tid = 9, .ncgocall = 40 } };
	struct mwatch_m one[1] = { { .tid = 9, .ncgocall = 40 } };
	struct unseen u = { 0 };
	struct mwatch w;
	const struct unseen_fn *f;

	(void)state;
	assert_int_equal(unseen__add(&u, 7, 3, 0xa0, 100 * MS, 150 * MS), 0);
	assert_int_equal(unseen__add(&u, 9, 40, 0xb0, 500 * MS, 550 * MS), 0);
	assert_true(unseen__has(&u, 7, 3));
	assert_false(unseen__has(&u, 7, 4)); /* the M's next call is another one */
	w = view(both, 2, 2600 * MS);
	assert_int_equal(unseen__settle(&u, &w, LONG_NS), 0);
	assert_int_equal(u.n, 2);
	assert_null(unseen__ended(&u, 0xa0));
	w = view(one, 1, 2620 * MS);
	assert_int_equal(unseen__settle(&u, &w, LONG_NS), 0);
	assert_int_equal(u.n, 1);
	assert_int_equal(u.v[0].tid, 9);
	assert_int_equal(u.v[0].seen_ns, 2620 * MS);
	f = unseen__ended(&u, 0xa0);
	assert_non_null(f);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->ns, 2500 * MS);
	assert_int_equal(f->max_ns, 2500 * MS);
	assert_int_equal(f->long_calls, 1);
	assert_int_equal(u.long_calls, 1);
	unseen__free(&u);
	assert_null(u.v);
	assert_int_equal(u.nended, 0);
}

/*
 * A call that ends while the M makes another (ncgocall moved) has ended;
 * one seen for less than the threshold is counted, not long; an unread
 * runtime view ends nothing.
 */
static void test_short_and_unknown(void **state)
{
	struct mwatch_m next[1] = { { .tid = 7, .ncgocall = 4 } };
	struct unseen u = { 0 };
	struct mwatch w = view(next, 1, 900 * MS);

	(void)state;
	assert_int_equal(unseen__add(&u, 7, 3, 0xa0, 100 * MS, 100 * MS), 0);
	w.known = false;
	assert_int_equal(unseen__settle(&u, &w, LONG_NS), 0);
	assert_int_equal(u.n, 1);
	w.known = true;
	u.v[0].seen_ns = 800 * MS;
	assert_int_equal(unseen__settle(&u, &w, LONG_NS), 0);
	assert_int_equal(u.n, 0);
	assert_int_equal(unseen__ended(&u, 0xa0)->ns, 700 * MS);
	assert_int_equal(unseen__ended(&u, 0xa0)->long_calls, 0);
	assert_int_equal(u.long_calls, 0);
	unseen__free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_end),
		cmocka_unit_test(test_short_and_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
