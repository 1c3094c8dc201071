/* test_threadhist.c - unit tests of the thread-count history: spacing, ring, growth rate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "threadhist.h"

/* One sample per second from t0, threads n0 + rate * i. */
static void fill(struct threadhist *h, double t0, int samples, __s64 n0, __s64 rate)
{
	for (int i = 0; i < samples; i++)
		threadhist__add(h, t0 + i, n0 + rate * i);
}

static void test_empty_and_short(void **state)
{
	struct threadhist h = { 0 };

	(void)state;
	assert_true(threadhist__due(&h, 0));
	assert_float_equal(threadhist__growth(&h, 60), 0, 0);
	threadhist__add(&h, 10, 5);
	assert_float_equal(threadhist__growth(&h, 60), 0, 0);
	/* two samples less than a second apart say nothing */
	threadhist__add(&h, 10.6, 50);
	assert_int_equal(h.len, 2);
	assert_float_equal(threadhist__growth(&h, 60), 0, 0);
}

static void test_spacing(void **state)
{
	struct threadhist h = { 0 };

	(void)state;
	threadhist__add(&h, 100, 5);
	assert_false(threadhist__due(&h, 100.4));
	threadhist__add(&h, 100.4, 999); /* too soon: dropped */
	assert_int_equal(h.len, 1);
	assert_true(threadhist__due(&h, 100.5));
	threadhist__add(&h, 100.5, 6);
	assert_int_equal(h.len, 2);
}

static void test_growth(void **state)
{
	struct threadhist h = { 0 };

	(void)state;
	fill(&h, 0, 10, 8, 3); /* 8, 11, ... 35 at t 0..9 */
	assert_float_equal(threadhist__growth(&h, 60), 3, 1e-9);
	/* only the last 4 s: still 3/s */
	assert_float_equal(threadhist__growth(&h, 4), 3, 1e-9);
	/* shrinking */
	fill(&h, 10, 5, 35, -2);
	assert_float_equal(threadhist__growth(&h, 4), -2, 1e-9);
}

/* Older than the ring holds: the oldest kept sample bounds the window. */
static void test_ring_wraps(void **state)
{
	struct threadhist h = { 0 };

	(void)state;
	fill(&h, 0, THREADHIST_LEN + 10, 0, 1);
	assert_int_equal(h.len, THREADHIST_LEN);
	assert_float_equal(threadhist__growth(&h, 1e9), 1, 1e-9);
	/* a jump in the last second only */
	threadhist__add(&h, THREADHIST_LEN + 10, 1000);
	assert_float_equal(threadhist__growth(&h, 1), 1000 - (THREADHIST_LEN + 9), 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_short),
		cmocka_unit_test(test_spacing),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_ring_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
