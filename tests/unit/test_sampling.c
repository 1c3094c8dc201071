/* test_sampling.c - the probes-on clock: on time, ratio in [0, 1], switches, freezing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sampling.h"

#define EPS 1e-9

static void test_always_on(void **state)
{
	struct sampling s;

	(void)state;
	sampling__start(&s, 100, true);
	assert_float_equal(sampling__ratio(&s, 100), 1, EPS); /* not run yet, on */
	assert_float_equal(sampling__on_time(&s, 103), 3, EPS);
	assert_float_equal(sampling__elapsed(&s, 103), 3, EPS);
	assert_float_equal(sampling__ratio(&s, 103), 1, EPS);
	assert_int_equal(s.switches, 0);
}

static void test_switches(void **state)
{
	struct sampling s;

	(void)state;
	sampling__start(&s, 0, true);
	sampling__switch(&s, 1, false);
	sampling__switch(&s, 1.5, false); /* already off: nothing */
	sampling__switch(&s, 4, true);
	sampling__switch(&s, 5, false);
	assert_int_equal(s.switches, 3);
	assert_float_equal(sampling__on_time(&s, 10), 2, EPS);
	assert_float_equal(sampling__ratio(&s, 10), 0.2, EPS);
	sampling__switch(&s, 8, true);
	assert_float_equal(sampling__on_time(&s, 10), 4, EPS);
	assert_float_equal(sampling__ratio(&s, 10), 0.4, EPS);
}

/* Started off: 0 until it runs; a clock read out of order never goes back. */
static void test_off_and_out_of_order(void **state)
{
	struct sampling s;

	(void)state;
	sampling__start(&s, 10, false);
	assert_float_equal(sampling__ratio(&s, 10), 0, EPS);
	sampling__switch(&s, 12, true);
	sampling__switch(&s, 11, false); /* before the last switch: counts from 12 */
	assert_float_equal(sampling__on_time(&s, 20), 0, EPS);
	assert_float_equal(sampling__elapsed(&s, 5), 2, EPS); /* never negative, never back */
	assert_true(sampling__ratio(&s, 5) >= 0 && sampling__ratio(&s, 5) <= 1);
}

/* Frozen at exit: later readings say the same, switches change nothing (bug: -10.1%). */
static void test_frozen(void **state)
{
	struct sampling s;

	(void)state;
	sampling__start(&s, 0, true);
	sampling__switch(&s, 2, false);
	sampling__freeze(&s, 4);
	sampling__switch(&s, 6, true); /* a switch-on attempted for a gone process */
	sampling__switch(&s, 9, false);
	sampling__freeze(&s, 12);
	assert_float_equal(sampling__elapsed(&s, 100), 4, EPS);
	assert_float_equal(sampling__on_time(&s, 100), 2, EPS);
	assert_float_equal(sampling__ratio(&s, 100), 0.5, EPS);
	assert_int_equal(s.switches, 1);
}

/* Frozen while on. */
static void test_frozen_on(void **state)
{
	struct sampling s;

	(void)state;
	sampling__start(&s, 0, false);
	sampling__switch(&s, 1, true);
	sampling__freeze(&s, 5);
	assert_float_equal(sampling__on_time(&s, 50), 4, EPS);
	assert_float_equal(sampling__ratio(&s, 50), 0.8, EPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_always_on),
		cmocka_unit_test(test_switches),
		cmocka_unit_test(test_off_and_out_of_order),
		cmocka_unit_test(test_frozen),
		cmocka_unit_test(test_frozen_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
