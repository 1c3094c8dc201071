/* test_kfloor.c - unit tests of the kernel floor check: the first missing feature named in one
 * line. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include "kfloor.h"

static int missing; /* the helper the fake kernel lacks (-1: none) */

static int fake_probe(int helper)
{
	return helper == missing ? 0 : 1;
}

static int unknown_probe(int helper)
{
	(void)helper;
	return -EPERM;
}

static void test_all_present(void **state)
{
	char msg[256] = "";

	(void)state;
	missing = -1;
	assert_int_equal(kfloor__check(fake_probe, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
}

static void test_no_bpf_loop(void **state)
{
	char msg[256];

	(void)state;
	missing = BPF_FUNC_loop;
	assert_int_equal(kfloor__check(fake_probe, msg, sizeof(msg)), -ENOTSUP);
	assert_non_null(strstr(msg, "lacks bpf_loop"));
	assert_non_null(strstr(msg, "Linux 5.17 or newer"));
	assert_null(strchr(msg, '\n'));
}

static void test_no_cookies(void **state)
{
	char msg[256];

	(void)state;
	missing = BPF_FUNC_get_attach_cookie;
	assert_int_equal(kfloor__check(fake_probe, msg, sizeof(msg)), -ENOTSUP);
	assert_non_null(strstr(msg, "attach cookies"));
	assert_non_null(strstr(msg, "Linux 5.15 or newer"));
}

/* A probe that cannot tell (no permission) refuses nothing: the load says why. */
static void test_unknown_passes(void **state)
{
	char msg[256] = "";

	(void)state;
	assert_int_equal(kfloor__check(unknown_probe, msg, sizeof(msg)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_present),
		cmocka_unit_test(test_no_bpf_loop),
		cmocka_unit_test(test_no_cookies),
		cmocka_unit_test(test_unknown_passes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
