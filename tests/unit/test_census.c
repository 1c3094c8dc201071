/* test_census.c - census__read() on synthetic memory: Ms in C, stacks, torn reads, bad frames. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "census.h"
#include "censio.h"
#include "gort.h"

#define BASE	0x7f0000000000ull
#define SIZE	0x100000
#define ALLM	BASE
#define M_AT(i) (BASE + 0x1000 + (i)*0x800)
#define G_AT(i) (BASE + 0x10000 + (i)*0x200)
#define S_AT(i) (BASE + 0x20000 + (i)*0x4000) /* 16 KiB stacks */
#define S_LEN	0x4000
#define SP_OFF	0x3000 /* syscallsp - stack lo */

/* A target's memory: SIZE bytes at BASE; a write to do once a read covers trigger. */
struct fake {
	unsigned char mem[SIZE];
	unsigned long reads;
	__u64 trigger, poke_at, poke_val;
	__u64 hole; /* reads of this page fail */
	__u64 counted; /* reads covering this address */
	unsigned long hits;
};

static struct fake fk;

/* Go 1.26.8's offsets. */
static const struct gort_addrs addrs = {
	.allm = ALLM,
	.m_procid = 0x40,
	.m_curg = 0xb8,
	.m_incgo = 0x118,
	.m_ncgocall = 0x140,
	.m_alllink = 0x160,
	.g_syscallsp = 0x68,
	.g_syscallpc = 0x70,
	.g_syscallbp = 0x78,
	.cgocall_fn = 0x38,
	.cgocall_bp = 0x28,
};

static void put(__u64 addr, __u64 v)
{
	assert_true(addr >= BASE && addr + 8 <= BASE + SIZE);
	memcpy(fk.mem + (addr - BASE), &v, 8);
}

static int fake_read(void *ctx, __u64 addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	f->reads++;
	if (addr < BASE || addr >= BASE + SIZE || BASE + SIZE - addr < len)
		return -EFAULT;
	if (f->hole && addr < f->hole + 4096 && addr + len > f->hole)
		return -EFAULT;
	if (f->counted >= addr && f->counted < addr + len)
		f->hits++;
	memcpy(buf, f->mem + (addr - BASE), len);
	if (f->trigger >= addr && f->trigger < addr + len) {
		f->trigger = 0;
		put(f->poke_at, f->poke_val);
	}
	return 0;
}

static const struct census_src src = { .read = fake_read, .ctx = &fk };

/* M i: thread 100+i, next M i+1 (or none when last). */
static void put_m(int i, bool last, bool incgo, __u64 curg, __u64 ncgocall)
{
	put(M_AT(i) + addrs.m_procid, 100 + i);
	put(M_AT(i) + addrs.m_curg, curg);
	put(M_AT(i) + addrs.m_incgo, incgo);
	put(M_AT(i) + addrs.m_ncgocall, ncgocall);
	put(M_AT(i) + addrs.m_alllink, last ? 0 : M_AT(i + 1));
}

/* Goroutine i in C: its stack S_AT(i), cgocall's frame at SP_OFF, fn 0x4a0000+i. */
static __u64 put_g(int i)
{
	__u64 sp = S_AT(i) + SP_OFF;

	put(G_AT(i), S_AT(i));
	put(G_AT(i) + 8, S_AT(i) + S_LEN);
	put(G_AT(i) + addrs.g_syscallsp, sp);
	put(G_AT(i) + addrs.g_syscallpc, 0x47e56b);
	put(G_AT(i) + addrs.g_syscallbp, sp + addrs.cgocall_bp);
	put(sp + addrs.cgocall_fn, 0x4a0000 + i);
	return sp + addrs.cgocall_bp;
}

/* Frames from bp: nframes records step bytes apart, PCs pc0, pc0+1..., the last links to 0. */
static void put_frames(__u64 bp, int nframes, __u64 step, __u64 pc0)
{
	for (int k = 0; k < nframes; k++, bp += step) {
		put(bp, k + 1 < nframes ? bp + step : 0);
		put(bp + 8, pc0 + k);
	}
}

static int setup(void **state)
{
	memset(&fk, 0, sizeof(fk));
	put(ALLM, M_AT(0));
	return 0;
}

/* M0 and M2 in C with 3-frame stacks, M1 in Go, M3 with incgo but no goroutine. */
static void four_ms(void)
{
	put_m(0, false, true, G_AT(0), 7);
	put_m(1, false, false, G_AT(1), 3);
	put_m(2, false, true, G_AT(2), 9);
	put_m(3, true, true, 0, 1);
	put_frames(put_g(0), 3, 0x40, 0x401000);
	put_frames(put_g(2), 3, 0x40, 0x402000);
}

static void expect_entry(const struct census_entry *e, int i, __u64 ncgocall, __u64 pc0,
			 unsigned int npc)
{
	assert_int_equal(e->tid, 100 + i);
	assert_int_equal(e->m, M_AT(i));
	assert_int_equal(e->g, G_AT(i));
	assert_int_equal(e->ncgocall, ncgocall);
	assert_int_equal(e->fn, 0x4a0000 + i);
	assert_int_equal(e->syscallsp, S_AT(i) + SP_OFF);
	assert_int_equal(e->syscallpc, 0x47e56b);
	assert_int_equal(e->syscallbp, S_AT(i) + SP_OFF + 0x28);
	assert_int_equal(e->stack_lo, S_AT(i));
	assert_int_equal(e->stack_hi, S_AT(i) + S_LEN);
	assert_int_equal(e->npc, npc);
	assert_false(e->truncated);
	for (unsigned int k = 0; k < npc; k++)
		assert_int_equal(e->pcs[k], pc0 + k);
}

static void test_basic(void **state)
{
	struct census c = { 0 };

	four_ms();
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(c.nm, 4);
	assert_int_equal(c.in_c, 2);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.torn + c.lost, 0);
	expect_entry(&c.v[0], 0, 7, 0x401000, 3);
	expect_entry(&c.v[1], 2, 9, 0x402000, 3);
	census__free(&c);
	assert_null(c.mem);
}

/* Before Go 1.23 there is no g.syscallbp: cgocall's BP is syscallsp + its frame size. */
static void test_derived_bp(void **state)
{
	struct gort_addrs a = addrs;
	struct census c = { 0 };

	a.g_syscallbp = 0;
	four_ms();
	put(G_AT(0) + addrs.g_syscallbp, 0xdead); /* stktopsp there: not read */
	assert_int_equal(census__read(&src, &a, 0, NULL, &c), 0);
	assert_int_equal(c.n, 2);
	expect_entry(&c.v[0], 0, 7, 0x401000, 3);
	census__free(&c);
}

/* PIE: link addresses + bias; the memory holds runtime addresses. */
static void test_bias(void **state)
{
	struct gort_addrs a = addrs;
	struct census c = { 0 };

	a.allm = ALLM - 0x1000;
	four_ms();
	assert_int_equal(census__read(&src, &a, 0x1000, NULL, &c), 0);
	assert_int_equal(c.n, 2);
	census__free(&c);
}

/* The M's call count changes between the reads: dropped and counted, never half-read. */
static void expect_torn(__u64 poke_at, __u64 poke_val)
{
	struct census c = { 0 };

	four_ms();
	fk.trigger = G_AT(0); /* once M0's goroutine is read */
	fk.poke_at = poke_at;
	fk.poke_val = poke_val;
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(fk.trigger, 0);
	assert_int_equal(c.in_c, 2);
	assert_int_equal(c.torn, 1);
	assert_int_equal(c.n, 1);
	expect_entry(&c.v[0], 2, 9, 0x402000, 3);
	census__free(&c);
}

static void test_torn(void **state)
{
	expect_torn(M_AT(0) + addrs.m_ncgocall, 8); /* a new call began */
	setup(state);
	expect_torn(M_AT(0) + addrs.m_incgo, 0); /* back in Go */
	setup(state);
	expect_torn(M_AT(0) + addrs.m_curg, G_AT(5)); /* another goroutine */
	setup(state);
	expect_torn(G_AT(0) + addrs.g_syscallsp, S_AT(0) + 0x100); /* the stack moved */
}

/*
 * The call ends while its stack is read (once the second frame record is):
 * its function was confirmed before, so the entry stays, without a stack.
 */
static void test_stack_torn(void **state)
{
	struct census c = { 0 };

	(void)state;
	four_ms();
	fk.trigger = S_AT(0) + SP_OFF + addrs.cgocall_bp + 0x40;
	fk.poke_at = M_AT(0) + addrs.m_ncgocall;
	fk.poke_val = 8;
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(fk.trigger, 0);
	assert_int_equal(c.torn, 0);
	assert_int_equal(c.stack_torn, 1);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[0].tid, 100);
	assert_int_equal(c.v[0].fn, 0x4a0000);
	assert_true(c.v[0].stack_torn);
	assert_int_equal(c.v[0].npc, 0);
	expect_entry(&c.v[1], 2, 9, 0x402000, 3);
	assert_false(c.v[1].stack_torn);
	census__free(&c);
}

/* A syscallsp outside the goroutine's stack: entering or leaving C. */
static void test_sp_outside(void **state)
{
	struct census c = { 0 };

	four_ms();
	put(G_AT(0) + addrs.g_syscallsp, S_AT(0) + S_LEN);
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.torn, 1);
	census__free(&c);
}

/* Reads M0's stack after linking frame 1 to next; returns the PCs kept. */
static unsigned int walk_with(__u64 next)
{
	struct census c = { 0 };
	__u64 bp = S_AT(0) + SP_OFF + 0x28;
	unsigned int npc;

	four_ms();
	put(bp + 0x40, next); /* frame 1's link */
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(c.n, 2);
	assert_false(c.v[0].truncated);
	npc = c.v[0].npc;
	for (unsigned int k = 0; k < npc; k++)
		assert_int_equal(c.v[0].pcs[k], 0x401000 + k);
	census__free(&c);
	return npc;
}

/* Garbage frame pointers end the walk after the frame that holds them. */
static void test_bad_frames(void **state)
{
	__u64 bp1 = S_AT(0) + SP_OFF + 0x28 + 0x40;

	assert_int_equal(walk_with(bp1 + 0x40), 3); /* as built */
	assert_int_equal(walk_with(S_AT(0) + S_LEN), 2); /* out of the stack */
	assert_int_equal(walk_with(S_AT(0) + S_LEN - 8), 2); /* record past its end */
	assert_int_equal(walk_with(S_AT(1)), 2); /* another stack */
	assert_int_equal(walk_with(bp1 - 0x40), 2); /* going down */
	assert_int_equal(walk_with(bp1), 2); /* a loop */
	assert_int_equal(walk_with(bp1 + 0x44), 2); /* misaligned */
	assert_int_equal(walk_with(0), 2); /* the end */
}

/* A syscallbp that is not in the stack: no frames, no guess. */
static void test_bad_first_bp(void **state)
{
	struct census c = { 0 };

	four_ms();
	put(G_AT(0) + addrs.g_syscallbp, S_AT(0) + SP_OFF - 8); /* below SP */
	put(G_AT(2) + addrs.g_syscallbp, S_AT(2) + SP_OFF + 0x2d); /* misaligned */
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(c.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(c.v[i].npc, 0);
		assert_int_equal(c.v[i].syscallbp, 0);
		assert_int_equal(c.v[i].fn, 0x4a0000 + 2 * i);
	}
	census__free(&c);
}

/* 40 frames over several read windows; max_depth 32 keeps 32 and says so. */
static void test_depth(void **state)
{
	struct census_opts o = { .max_depth = 32 };
	struct census c = { 0 };

	four_ms();
	put_frames(S_AT(0) + SP_OFF + 0x28, 40, 0x18, 0x401000);
	assert_int_equal(census__read(&src, &addrs, 0, &o, &c), 0);
	assert_int_equal(c.v[0].npc, 32);
	assert_true(c.v[0].truncated);
	assert_int_equal(c.v[0].pcs[31], 0x401000 + 31);
	o.max_depth = 40;
	assert_int_equal(census__read(&src, &addrs, 0, &o, &c), 0);
	assert_int_equal(c.v[0].npc, 40);
	assert_false(c.v[0].truncated);
	assert_int_equal(c.v[0].pcs[39], 0x401000 + 39);
	o.max_depth = 100000; /* capped */
	assert_int_equal(census__read(&src, &addrs, 0, &o, &c), 0);
	assert_int_equal(c.v[0].npc, 40);
	census__free(&c);
}

/*
 * The same call at the next census (the M in C with the same count and
 * goroutine) keeps its goroutine's record and stack without reading either;
 * a new call is read.
 */
static void test_same_call(void **state)
{
	struct census c = { 0 };

	four_ms();
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	fk.counted = G_AT(0) + addrs.g_syscallsp;
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(fk.hits, 0);
	fk.counted = S_AT(0) + SP_OFF + 0x28; /* cgocall's frame record */
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(fk.hits, 0);
	expect_entry(&c.v[0], 0, 7, 0x401000, 3);
	expect_entry(&c.v[1], 2, 9, 0x402000, 3);
	put(M_AT(0) + addrs.m_ncgocall, 8);
	put_frames(S_AT(0) + SP_OFF + 0x28, 2, 0x40, 0x405000);
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(fk.hits, 1);
	expect_entry(&c.v[0], 0, 8, 0x405000, 2);
	census__free(&c);
}

/* The list changes between calls: a new M at the head, one gone; then a loop. */
static void test_list_changes(void **state)
{
	struct census_opts o = { 0 };
	struct census c = { 0 };

	four_ms();
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	put_m(5, false, true, G_AT(5), 1); /* M5 -> M0 -> M2 -> M3 */
	put(M_AT(5) + addrs.m_alllink, M_AT(0));
	put(M_AT(0) + addrs.m_alllink, M_AT(2));
	put(ALLM, M_AT(5));
	put_frames(put_g(5), 1, 0x40, 0x409000);
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(c.nm, 4);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.v[0].tid, 105);
	assert_int_equal(c.v[1].tid, 100);
	assert_int_equal(c.v[2].tid, 102);
	put(M_AT(3) + addrs.m_alllink, M_AT(0)); /* M3 -> M0: a loop */
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), -ELOOP);
	assert_int_equal(c.n, 0);
	o.max_ms = 64; /* walked afresh, up to max_ms */
	assert_int_equal(census__read(&src, &addrs, 0, &o, &c), -ELOOP);
	census__free(&c);
}

static void test_errors(void **state)
{
	struct census_opts o = { .max_ms = 3 };
	struct gort_addrs a = addrs;
	struct census c = { 0 };

	four_ms();
	assert_int_equal(census__read(&src, &addrs, 0, &o, &c), -ELOOP);
	put(M_AT(1) + addrs.m_alllink, BASE + SIZE); /* an M out of memory */
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), -EFAULT);
	put(ALLM, 0);
	assert_int_equal(census__read(&src, &addrs, 0, NULL, &c), 0);
	assert_int_equal(c.nm + c.n, 0);
	a.m_alllink = 0;
	assert_int_equal(census__read(&src, &a, 0, NULL, &c), -ENOENT);
	census__free(&c);
}

/* Without m.curg the Ms are still read and counted (every M's call count), but none gets an entry. */
static void test_no_curg(void **state)
{
	struct gort_addrs a = addrs;
	struct census c = { 0 };

	four_ms();
	a.m_curg = 0;
	assert_int_equal(census__read(&src, &a, 0, NULL, &c), 0);
	assert_int_equal(c.nm, 4);
	assert_int_equal(c.n, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(c.ms[i].tid, 100 + i);
	assert_true(c.ms[0].in_c && !c.ms[1].in_c && c.ms[2].in_c);
	assert_int_equal(c.ms[2].ncgocall, 9);
	census__free(&c);
}

/* Unknown offsets read as 0: no fn without its slot; no frame without syscallsp. */
static void test_unknown_offsets(void **state)
{
	struct gort_addrs a = addrs;
	struct census c = { 0 };

	four_ms();
	a.cgocall_fn = 0;
	assert_int_equal(census__read(&src, &a, 0, NULL, &c), 0);
	assert_int_equal(c.v[0].fn, 0);
	assert_int_equal(c.v[0].npc, 3);
	a.g_syscallsp = a.g_syscallpc = a.g_syscallbp = 0;
	assert_int_equal(census__read(&src, &a, 0, NULL, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[0].tid, 100);
	assert_int_equal(c.v[0].syscallsp | c.v[0].syscallbp | c.v[0].npc, 0);
	census__free(&c);
}

/* Gathered reads: ranges near each other are one read; a failed one is read again range by range.
 */
static void test_gather(void **state)
{
	__u64 at[7] = { BASE + 0x100,  BASE + 0x180,  BASE + 0x100, BASE + 0x5000,
			BASE + 0x5700, BASE + 0x5ff8, BASE + SIZE };
	struct censio_scratch s = { 0 };
	struct census_iov v[7];
	__u64 got[7] = { 0 };

	for (int i = 0; i < 7; i++) {
		put(at[i] < BASE + SIZE ? at[i] : BASE, 0x1000 + i);
		v[i] = (struct census_iov){ at[i], &got[i], 8, 1 };
	}
	assert_int_equal(censio__readv(&src, &s, v, 7), 0);
	/* 0x100-0x188; 0x5000-0x5708 (a gap in the page); 0x5ff8 (too far); the one outside */
	assert_int_equal(fk.reads, 4);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(v[i].err, 0);
		assert_int_equal(got[i], i == 0 ? 0x1002 : 0x1000 + i); /* 0 and 2: one word */
	}
	assert_int_equal(v[6].err, -EFAULT);
	fk.hole = BASE + 0x5000; /* the second gathered read fails: its ranges alone */
	fk.reads = 0;
	assert_int_equal(censio__readv(&src, &s, v, 7), 0);
	assert_int_equal(fk.reads, 6);
	assert_int_equal(v[3].err, -EFAULT);
	assert_int_equal(v[4].err, -EFAULT);
	assert_int_equal(v[5].err, -EFAULT);
	assert_int_equal(v[0].err | v[1].err | v[2].err, 0);
	censio__scratch_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_basic, setup),
		cmocka_unit_test_setup(test_derived_bp, setup),
		cmocka_unit_test_setup(test_bias, setup),
		cmocka_unit_test_setup(test_torn, setup),
		cmocka_unit_test_setup(test_stack_torn, setup),
		cmocka_unit_test_setup(test_sp_outside, setup),
		cmocka_unit_test_setup(test_bad_frames, setup),
		cmocka_unit_test_setup(test_bad_first_bp, setup),
		cmocka_unit_test_setup(test_depth, setup),
		cmocka_unit_test_setup(test_same_call, setup),
		cmocka_unit_test_setup(test_list_changes, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_no_curg, setup),
		cmocka_unit_test_setup(test_unknown_offsets, setup),
		cmocka_unit_test_setup(test_gather, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
