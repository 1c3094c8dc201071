/* test_probes.c - unit tests of probe placement's SP tracking (probes__sp_drop) on hand-made x86
 * code. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "probeplan.h"

#define BASE 0x401000

/* Runs probes__sp_drop over code from BASE to the site at BASE + site_off. */
static int drop_at(const unsigned char *code, size_t len, size_t site_off, __u64 *drop)
{
	*drop = 0xdead;
	return probes__sp_drop(code, len, BASE, BASE + site_off, drop);
}

/* Go 1.21+: PUSH BP; MOV BP, SP; SUB SP, 0x28; stores; CALL entersyscall; site CALL. */
static void test_go121_prologue(void **state)
{
	static const unsigned char code[] = {
		0x55, /* push rbp */
		0x48, 0x89, 0xe5, /* mov rbp, rsp */
		0x48, 0x83, 0xec, 0x28, /* sub rsp, 0x28 */
		0x48, 0x89, 0x04, 0x24, /* mov [rsp], rax */
		0x0f, 0x84, 0x10, 0,	0, 0, /* je +0x10 (a throw path) */
		0xe8, 0,    0,	  0,	0, /* call: a round trip */
		0xe8, 0,    0,	  0,	0, /* call: the site */
		0x48, 0x83, 0xc4, 0x28, /* add rsp, 0x28 */
		0x5d, 0xc3, /* pop rbp; ret */
	};
	__u64 drop;

	(void)state;
	assert_int_equal(drop_at(code, sizeof(code), 23, &drop), 0);
	assert_int_equal(drop, 0x30);
	/* the entry itself: SP has not moved */
	assert_int_equal(drop_at(code, sizeof(code), 0, &drop), 0);
	assert_int_equal(drop, 0);
}

/* Go 1.17-1.20: SUB SP first, single-stepped by the kernel: not an enter site. */
static void test_sub_entry_refused(void **state)
{
	static const unsigned char code[] = {
		0x48, 0x83, 0xec, 0x30, /* sub rsp, 0x30 */
		0x48, 0x89, 0x6c, 0x24, 0x28, /* mov [rsp+0x28], rbp */
		0xe8, 0,    0,	  0,	0, /* the site */
	};
	__u64 drop;

	(void)state;
	assert_int_equal(drop_at(code, sizeof(code), 9, &drop), -ENOENT);
	assert_int_equal(drop, 0xdead);
}

/* An epilogue, another SP write or the end of the code before the site. */
static void test_refused_on_the_way(void **state)
{
	static const unsigned char early_ret[] = {
		0x55, 0x48, 0x83, 0xec, 0x28, /* push rbp; sub rsp, 0x28 */
		0x48, 0x83, 0xc4, 0x28, /* add rsp, 0x28 */
		0x5d, 0xc3, /* pop rbp; ret */
		0xe8, 0,    0,	  0,	0, /* the site */
	};
	static const unsigned char mov_sp[] = {
		0x55, 0x48, 0x89, 0xec, /* push rbp; mov rsp, rbp */
		0xe8, 0,    0,	  0,	0, /* the site */
	};
	static const unsigned char ret_only[] = {
		0x55, 0xc3, /* push rbp; ret */
		0xe8, 0,    0, 0, 0, /* the site */
	};
	__u64 drop;

	(void)state;
	assert_int_equal(drop_at(early_ret, sizeof(early_ret), 11, &drop), -ENOENT);
	assert_int_equal(drop_at(mov_sp, sizeof(mov_sp), 4, &drop), -ENOENT);
	assert_int_equal(drop_at(ret_only, sizeof(ret_only), 2, &drop), -ENOENT);
	/* a site past the end, or inside an instruction, is never reached */
	assert_int_equal(drop_at(mov_sp, 4, 4, &drop), -ENOENT);
	assert_int_equal(drop_at(early_ret, sizeof(early_ret), 3, &drop), -ENOENT);
	assert_int_equal(drop, 0xdead);
}

/* Two pushes and a frame: every byte below the entry's SP counts. */
static void test_pushes_add_up(void **state)
{
	static const unsigned char code[] = {
		0x55, /* push rbp */
		0x41, 0x56, /* push r14 */
		0x48, 0x81, 0xec, 0x00, 0x01, 0, 0, /* sub rsp, 0x100 */
		0xe8, 0,    0,	  0,	0, /* the site */
	};
	__u64 drop;

	(void)state;
	assert_int_equal(drop_at(code, sizeof(code), 10, &drop), 0);
	assert_int_equal(drop, 0x110);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go121_prologue),
		cmocka_unit_test(test_sub_entry_refused),
		cmocka_unit_test(test_refused_on_the_way),
		cmocka_unit_test(test_pushes_add_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
