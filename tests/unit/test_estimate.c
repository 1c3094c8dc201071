/* test_estimate.c - per-function estimates of a sampled process: spans, mixes, adoption,
 * monotonicity. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "estimate.h"

#define EPS  1e-6
#define HOT  0x1000 /* a function called in the hot phases */
#define HOT2 0x1100 /* another one, a tenth as often */
#define CALM 0x2000 /* one called only while every call is traced */

#define COUNTS(...) ((const struct est_count[]){ __VA_ARGS__ })
#define N(...)	    (sizeof(COUNTS(__VA_ARGS__)) / sizeof(struct est_count))

static int teardown(void **state)
{
	estimate__free(*state);
	return 0;
}

static int setup(void **state)
{
	static struct estimate e;

	estimate__free(&e);
	*state = &e;
	return 0;
}

/* Every call traced: the estimate is the traced count, exactly. */
static void test_no_span(void **state)
{
	struct estimate *e = *state;

	assert_float_equal(estimate__calls(e, HOT, 1234, 0), 1234, EPS);
	assert_false(e->sampled);
	assert_float_equal(estimate__unattributed(e, 99), 0, EPS);
}

/*
 * Calm calls traced, then a hot phase: the confirmation window's mix (HOT
 * 100, HOT2 10) attributes the span's 11000 residual calls; CALM, absent
 * from the window, gets none of them. The estimates add up to the exact
 * total (traced + residual).
 */
static void test_span(void **state)
{
	struct estimate *e = *state;

	assert_int_equal(estimate__mark(e, COUNTS({ CALM, 20 }, { HOT, 5 }), 2), 0);
	assert_int_equal(estimate__cut(e, COUNTS({ CALM, 20 }, { HOT, 105 }, { HOT2, 10 }), 3), 0);
	assert_true(e->open && e->sampled);
	/* open: the share grows with the residual */
	assert_float_equal(estimate__calls(e, HOT, 105, 5500), 105 + 5000, EPS);
	estimate__resume(e, 11000);
	assert_false(e->open);
	assert_float_equal(estimate__calls(e, HOT, 105, 11000), 105 + 10000, EPS);
	assert_float_equal(estimate__calls(e, HOT2, 10, 11000), 10 + 1000, EPS);
	assert_float_equal(estimate__calls(e, CALM, 20, 11000), 20, EPS);
	/* later traced calls add one for one: no span is open */
	assert_float_equal(estimate__calls(e, CALM, 27, 11000), 27, EPS);
}

/*
 * Named calls found in C while the probes were off leave the pool; unseen
 * ends add one; the residual before the cut (100 calls nothing accounted
 * for: lost at attach, say) goes to the first pool.
 */
static void test_adopted_and_unseen(void **state)
{
	struct estimate *e = *state;

	estimate__mark(e, NULL, 0);
	estimate__cut(e, COUNTS({ HOT, 50 }), 1);
	assert_int_equal(estimate__adopt(e, CALM), 0);
	assert_int_equal(estimate__adopt(e, CALM), 0);
	assert_int_equal(estimate__unseen_end(e, HOT), 0);
	estimate__resume(e, 1100); /* 2 named, 1 ended unseen, 1097 by the mix */
	assert_float_equal(estimate__calls(e, CALM, 0, 1100), 2, EPS);
	assert_float_equal(estimate__calls(e, HOT, 50, 1100), 50 + 1 + 1097, EPS);
	/* the estimates add up to traced + residual */
	assert_float_equal(estimate__calls(e, CALM, 0, 1100) + estimate__calls(e, HOT, 50, 1100),
			   50 + 1100, EPS);
}

/* A span without a mix waits for the next one; what none attributes is reported. */
static void test_pending(void **state)
{
	struct estimate *e = *state;

	estimate__cut(e, NULL, 0); /* nothing traced before it */
	assert_float_equal(estimate__unattributed(e, 300), 300, EPS);
	estimate__resume(e, 300);
	assert_float_equal(estimate__unattributed(e, 300), 300, EPS);
	assert_float_equal(estimate__calls(e, HOT, 40, 300), 40, EPS);
	estimate__mark(e, COUNTS({ HOT, 40 }), 1);
	estimate__cut(e, COUNTS({ HOT, 60 }), 1);
	assert_float_equal(estimate__unattributed(e, 300), 0, EPS);
	assert_float_equal(estimate__calls(e, HOT, 60, 300), 60 + 300, EPS);
	/* the open span's pool is what the residual grew by */
	assert_float_equal(estimate__calls(e, HOT, 60, 350), 60 + 350, EPS);
}

/* Without a mark since the last cut, the whole traced history is the window. */
static void test_no_mark(void **state)
{
	struct estimate *e = *state;

	estimate__cut(e, COUNTS({ HOT, 30 }, { HOT2, 10 }), 2);
	estimate__resume(e, 400);
	assert_float_equal(estimate__calls(e, HOT, 30, 400), 330, EPS);
	assert_float_equal(estimate__calls(e, HOT2, 10, 400), 110, EPS);
}

/* Never down: a reading after the runtime's count went back (an M missed once) says the same. */
static void test_monotonic(void **state)
{
	struct estimate *e = *state;

	estimate__mark(e, NULL, 0);
	estimate__cut(e, COUNTS({ HOT, 10 }), 1);
	assert_float_equal(estimate__calls(e, HOT, 10, 500), 510, EPS);
	assert_float_equal(estimate__calls(e, HOT, 10, 400), 510, EPS);
	assert_float_equal(estimate__calls(e, HOT, 10, 600), 610, EPS);
}

/* A second cut while open, or a resume while closed, changes nothing. */
static void test_idempotent(void **state)
{
	struct estimate *e = *state;

	estimate__resume(e, 50);
	estimate__cut(e, COUNTS({ HOT, 10 }), 1);
	estimate__cut(e, COUNTS({ HOT2, 10 }), 1);
	estimate__resume(e, 100);
	estimate__resume(e, 200);
	assert_float_equal(estimate__calls(e, HOT, 10, 200), 110, EPS);
	assert_float_equal(estimate__calls(e, HOT2, 0, 200), 0, EPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_span, setup, teardown),
		cmocka_unit_test_setup_teardown(test_span, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopted_and_unseen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monotonic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
