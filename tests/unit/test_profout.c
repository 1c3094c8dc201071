/* test_profout.c - a snapshot as a profile: leaves, Go callers above, values shared by stack. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profout.h"
#include "sample_snapshot.h"

/* The sample of leaf with value index v non-zero, or NULL. */
static const struct pprof_sample *find(const struct pprof_profile *p, const char *leaf, int v)
{
	for (size_t i = 0; i < p->n_samples; i++)
		if (p->samples[i].n_frames && !strcmp(p->samples[i].frames[0].function, leaf) &&
		    p->samples[i].values[v])
			return &p->samples[i];
	return NULL;
}

/* Functions without Go callers: the C function alone, with its calls and time. */
static void test_leaves(void **state)
{
	const struct pprof_profile *p;
	const struct pprof_sample *s;
	struct profout *po;

	assert_int_equal(profout__build(*state, &po, &p), 0);
	assert_int_equal(p->n_types, PROFOUT__MAX);
	assert_string_equal(p->default_type, "census_c_time"); /* the census ran */
	s = find(p, "getaddrinfo", PROFOUT_CALLS);
	assert_non_null(s);
	assert_int_equal(s->n_frames, 1);
	assert_int_equal(s->values[PROFOUT_CALLS], 5);
	assert_int_equal(s->values[PROFOUT_C_TIME], 120000000);
	assert_int_equal(s->n_labels, 2);
	assert_string_equal(s->labels[0].key, "pid");
	assert_int_equal(s->labels[0].num, 4242);
	assert_int_equal(pprof__check(p), 0);
	profout__free(po);
}

/* The census's entries: the C function, then its stack's frames, innermost first. */
static void test_census(void **state)
{
	const struct pprof_profile *p;
	const struct pprof_sample *s;
	struct profout *po;

	assert_int_equal(profout__build(*state, &po, &p), 0);
	s = find(p, "sqlite3_step", PROFOUT_CENSUS);
	assert_non_null(s);
	assert_int_equal(s->values[PROFOUT_CENSUS], 2500000000LL);
	assert_int_equal(s->values[PROFOUT_CALLS], 0);
	assert_int_equal(s->n_frames, 4);
	assert_string_equal(s->frames[1].function, "main._Cfunc_sqlite3_step");
	assert_string_equal(s->frames[2].function, "main.(*Store).Get");
	assert_string_equal(s->frames[2].file, "/src/app/store.go");
	assert_int_equal(s->frames[2].line, 42);
	s = find(p, "getaddrinfo", PROFOUT_CENSUS);
	assert_non_null(s);
	assert_int_equal(s->n_frames, 1);
	profout__free(po);
}

/* A function's calls shared out by the traced calls of its stacks: 1000 made, 3:1. */
static void test_callers(void **state)
{
	struct snapshot *snap = *state;
	struct func_snap *f = &snap->procs[0].funcs[1];
	struct caller_snap c[2] = {
		{ .stack = 0, .calls = 30, .total_ns = 300, .exact = true },
		{ .stack = -1, .calls = 10, .total_ns = 100, .exact = true },
	};
	const struct pprof_profile *p;
	struct profout *po;
	__s64 calls = 0;

	assert_string_equal(f->name, "sqlite3_step");
	free(f->callers);
	f->callers = malloc(sizeof(c));
	assert_non_null(f->callers);
	memcpy(f->callers, c, sizeof(c));
	f->ncallers = 2;
	assert_int_equal(profout__build(snap, &po, &p), 0);
	for (size_t i = 0; i < p->n_samples; i++) {
		const struct pprof_sample *s = &p->samples[i];

		if (strcmp(s->frames[0].function, "sqlite3_step") || !s->values[PROFOUT_CALLS])
			continue;
		assert_true(s->values[PROFOUT_CALLS] == 750 || s->values[PROFOUT_CALLS] == 250);
		assert_int_equal(s->n_frames, s->values[PROFOUT_CALLS] == 750 ? 4 : 1);
		calls += s->values[PROFOUT_CALLS];
	}
	assert_int_equal(calls, 1000);
	profout__free(po);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		SAMPLE_TEST(test_leaves),
		SAMPLE_TEST(test_census),
		SAMPLE_TEST(test_callers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
