/* test_pause.c - the pause contract's decisions (pause.h) on synthetic runtime views. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include "mwatch.h"
#include "pause.h"

/* A runtime view with the Ms in C ms[0..n) (by tid, ascending), as mwatch keeps them. */
static struct mwatch view(struct mwatch_m *ms, size_t n)
{
	return (struct mwatch){ .known = true, .v = ms, .n = n, .in_c = (unsigned int)n };
}

/* pause__begin() copies the Ms in C without their census pointers. */
static void test_begin(void **state)
{
	struct census_entry call = { .tid = 11 };
	struct mwatch_m ms[2] = { { .tid = 11, .ncgocall = 5, .call = &call },
				  { .tid = 12, .ncgocall = 9 } };
	struct mwatch w = view(ms, 2);
	struct pause p = { 0 };

	(void)state;
	assert_int_equal(pause__begin(&p, &w), 0);
	assert_true(p.known);
	assert_int_equal(p.n, 2);
	assert_ptr_not_equal(p.v, ms);
	assert_int_equal(p.v[0].tid, 11);
	assert_int_equal(p.v[1].ncgocall, 9);
	assert_null(p.v[0].call);
	pause__free(&p);
	assert_null(p.v);
	assert_false(p.known);
	w.known = false; /* the runtime unread: nothing can be kept */
	assert_int_equal(pause__begin(&p, &w), 0);
	assert_false(p.known);
	pause__free(&p);
}

/*
 * The same call: the thread in C then and now with the same m.ncgocall. A
 * call that ended (not in C now), a new call (count moved), a thread not in
 * C when the pause began, and an unread view are all "not the same".
 */
static void test_same_call(void **state)
{
	struct mwatch_m then[3] = { { .tid = 11, .ncgocall = 5 },
				    { .tid = 12, .ncgocall = 9 },
				    { .tid = 13, .ncgocall = 1 } };
	struct mwatch_m now[3] = { { .tid = 11, .ncgocall = 5 },
				   { .tid = 12, .ncgocall = 10 },
				   { .tid = 14, .ncgocall = 3 } };
	struct mwatch w0 = view(then, 3), w1 = view(now, 3);
	struct pause p = { 0 };

	(void)state;
	assert_int_equal(pause__begin(&p, &w0), 0);
	assert_true(pause__same_call(&p, &w1, 11));
	assert_false(pause__same_call(&p, &w1, 12)); /* another call began */
	assert_false(pause__same_call(&p, &w1, 13)); /* left C */
	assert_false(pause__same_call(&p, &w1, 14)); /* entered C during the pause */
	assert_false(pause__same_call(&p, &w1, 99));
	w1.known = false;
	assert_false(pause__same_call(&p, &w1, 11));
	pause__free(&p);
	assert_false(pause__same_call(&p, &w0, 11)); /* no pause: nothing known */
}

/* pause__end()'s rules: frames kept only keyed by thread, with a view read, in the same call. */
static void test_keeps(void **state)
{
	struct mwatch_m then[1] = { { .tid = 11, .ncgocall = 5 } };
	struct mwatch_m now[1] = { { .tid = 11, .ncgocall = 5 } };
	struct mwatch w0 = view(then, 1), w1 = view(now, 1);
	struct pause p = { 0 };

	(void)state;
	assert_int_equal(pause__begin(&p, &w0), 0);
	assert_true(pause__keeps(&p, &w1, true, true, 11));
	assert_false(pause__keeps(&p, &w1, true, false, 11)); /* rule 4: keyed by goroutine */
	assert_false(pause__keeps(&p, &w1, false, true, 11)); /* the update failed */
	now[0].ncgocall = 6;
	assert_false(pause__keeps(&p, &w1, true, true, 11));
	pause__free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_begin),
		cmocka_unit_test(test_same_call),
		cmocka_unit_test(test_keeps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
