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

/*
 * Growth now: a few threads at start-up are not growth (Kafka's producer
 * made 2 in its first second), a steady rise is, and a rise that stopped
 * stops counting after flat_s instead of echoing for the whole window.
 */
static void test_growth_now(void **state)
{
	struct threadhist h = { 0 };

	(void)state;
	threadhist__add(&h, 0, 5);
	threadhist__add(&h, 1, 7); /* +2: start-up */
	threadhist__add(&h, 2, 7);
	assert_float_equal(threadhist__growth(&h, 10), 1, 1e-9);
	assert_float_equal(threadhist__growth_now(&h, 10, 2, 4), 0, 0);
	/* +4 every half second from t 2.5 to 5.5: 35 then, from 5 at t 0 */
	for (int i = 1; i <= 7; i++)
		threadhist__add(&h, 2 + 0.5 * i, 7 + 4 * i);
	assert_float_equal(threadhist__growth_now(&h, 10, 2, 4), (35 - 5) / 5.5, 1e-9);
	/* at the threshold: +4 over the window is growth, +3 is not */
	{
		struct threadhist a = { 0 }, b = { 0 };

		threadhist__add(&a, 0, 10);
		threadhist__add(&a, 2, 14);
		threadhist__add(&b, 0, 10);
		threadhist__add(&b, 2, 13);
		assert_float_equal(threadhist__growth_now(&a, 10, 2, 4), 2, 1e-9);
		assert_float_equal(threadhist__growth_now(&b, 10, 2, 4), 0, 0);
	}
	/* flat for 2 s after the rise: 0 at once, although the window still holds it */
	threadhist__add(&h, 6.5, 35);
	threadhist__add(&h, 7.5, 35);
	assert_true(threadhist__growth(&h, 10) > 0);
	assert_float_equal(threadhist__growth_now(&h, 10, 2, 4), 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_short), cmocka_unit_test(test_spacing),
		cmocka_unit_test(test_growth),		cmocka_unit_test(test_ring_wraps),
		cmocka_unit_test(test_growth_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
