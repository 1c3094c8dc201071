/* test_hist.c - unit tests of the log2 histogram helpers (slots, bounds, quantiles). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "hist.h"

#define LAST (CGOSCOPE_NBUCKETS - 1)

static void test_slot_boundaries(void **state)
{
	assert_int_equal(hist__slot(0), 0);
	assert_int_equal(hist__slot(1), 0);
	assert_int_equal(hist__slot(2), 1);
	assert_int_equal(hist__slot(3), 1);
	assert_int_equal(hist__slot(4), 2);
	assert_int_equal(hist__slot(1023), 9);
	assert_int_equal(hist__slot(1024), 10);
	assert_int_equal(hist__slot(1ULL << 39), 39);
	assert_int_equal(hist__slot((1ULL << 40) - 1), LAST);
	/* beyond the last slot: capped */
	assert_int_equal(hist__slot(1ULL << 40), LAST);
	assert_int_equal(hist__slot(UINT64_MAX), LAST);
}

static void test_bounds(void **state)
{
	unsigned int i;

	assert_int_equal(hist__lower_ns(0), 0);
	assert_int_equal(hist__upper_ns(0), 2);
	assert_int_equal(hist__lower_ns(1), 2);
	assert_int_equal(hist__upper_ns(1), 4);
	assert_int_equal(hist__lower_ns(10), 1024);
	assert_int_equal(hist__upper_ns(9), 1024);
	assert_int_equal(hist__upper_ns(LAST), 1ULL << 40);
	/* slots tile the line: each upper bound is the next lower bound */
	for (i = 0; i < LAST; i++)
		assert_int_equal(hist__upper_ns(i), hist__lower_ns(i + 1));
	/* every value lies in [lower, upper) of its slot */
	for (i = 0; i < 40; i++) {
		__u64 v = 1ULL << i;

		assert_true(hist__lower_ns(hist__slot(v)) <= v && v < hist__upper_ns(hist__slot(v)));
		assert_true(hist__lower_ns(hist__slot(v - 1)) <= v - 1);
		assert_true(v - 1 < hist__upper_ns(hist__slot(v - 1)));
	}
}

static void test_count(void **state)
{
	__u64 b[CGOSCOPE_NBUCKETS] = { [0] = 1, [5] = 2, [LAST] = 3 };

	assert_int_equal(hist__count(b), 6);
}

static void test_quantile_empty(void **state)
{
	__u64 b[CGOSCOPE_NBUCKETS] = { 0 };

	assert_true(hist__quantile(b, 0.5, 0) == 0);
	assert_true(hist__quantile(b, 0.99, 1000) == 0);
}

static void test_quantile_single_slot(void **state)
{
	__u64 b[CGOSCOPE_NBUCKETS] = { [10] = 10 };

	/* 10 calls in [1024, 2048): rank 5 of 10 is half way */
	assert_float_equal(hist__quantile(b, 0.5, 0), 1536, 1e-9);
	assert_float_equal(hist__quantile(b, 1.0, 0), 2048, 1e-9);
	assert_float_equal(hist__quantile(b, 0.1, 0), 1126.4, 1e-9);
}

static void test_quantile_two_slots(void **state)
{
	__u64 b[CGOSCOPE_NBUCKETS] = { [10] = 5, [11] = 5 };

	/* rank 5 ends slot 10; rank 6 is a fifth into [2048, 4096) */
	assert_float_equal(hist__quantile(b, 0.5, 0), 2048, 1e-9);
	assert_float_equal(hist__quantile(b, 0.6, 0), 2048 + 2048 / 5.0, 1e-9);
	assert_float_equal(hist__quantile(b, 1.0, 0), 4096, 1e-9);
}

static void test_quantile_interpolation(void **state)
{
	__u64 b[CGOSCOPE_NBUCKETS] = { [3] = 4 };
	__u64 z[CGOSCOPE_NBUCKETS] = { [0] = 4 };

	/* [8, 16) holding 4: rank 1 -> 10, rank 3 -> 14 */
	assert_float_equal(hist__quantile(b, 0.25, 0), 10, 1e-9);
	assert_float_equal(hist__quantile(b, 0.75, 0), 14, 1e-9);
	/* slot 0 is [0, 2) */
	assert_float_equal(hist__quantile(z, 0.5, 0), 1, 1e-9);
	/* empty slots between the ranks are skipped */
	b[20] = 4;
	assert_float_equal(hist__quantile(b, 0.75, 0), 1048576 + 1048576 / 2.0, 1e-9);
}

static void test_quantile_clamped_to_max(void **state)
{
	__u64 b[CGOSCOPE_NBUCKETS] = { [10] = 600, [11] = 300, [14] = 100 };

	/* p99 would be 16384 + 16384 * 0.9 = 31129.6; no call took more than 30000 */
	assert_float_equal(hist__quantile(b, 0.99, 0), 31129.6, 1e-6);
	assert_float_equal(hist__quantile(b, 0.99, 30000), 30000, 1e-9);
	/* below max: untouched */
	assert_float_equal(hist__quantile(b, 0.5, 30000), 1024 + 1024 * 500 / 600.0, 1e-9);
	/* q above 1 is read as 1 */
	assert_float_equal(hist__quantile(b, 2.0, 30000), 30000, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_boundaries),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_quantile_empty),
		cmocka_unit_test(test_quantile_single_slot),
		cmocka_unit_test(test_quantile_two_slots),
		cmocka_unit_test(test_quantile_interpolation),
		cmocka_unit_test(test_quantile_clamped_to_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
