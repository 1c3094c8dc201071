/* test_gosym_edges.c - gosym at the edges: C code, truncation, the cache, bad tables, cost. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gobin.h"
#include "gosym.h"
#include "pclntab.h"
#include "testbin.h"

#define MAX_FRAMES 64

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* The first PC of fn where at least want frames are inlined ones: an inlined call site. */
static __u64 inlined_pc(struct gosym *gs, const struct gobin_func *fn, int want)
{
	struct gosym_frame out[MAX_FRAMES];
	__u64 pc;

	for (pc = fn->addr; pc < fn->addr + fn->size; pc++)
		if (gosym__lookup(gs, pc, GOSYM_EXACT, out, MAX_FRAMES) > want)
			return pc;
	fail_msg("no PC of %s with %d inlined frames", fn->name, want);
	return 0;
}

static void expect_none(struct gosym *gs, __u64 pc, unsigned int flags)
{
	struct gosym_frame out[4];

	if (gosym__lookup(gs, pc, flags, out, 4))
		fail_msg("frames at %#llx (flags %u): %s", (unsigned long long)pc, flags,
			 out[0].func);
}

/* No frames for C code, PC 0, outside text; return addresses back up one byte. */
static void test_no_go_code(void **state)
{
	struct gobin *gb = testbin__open("go126-cgo"), *notgo = testbin__open("notgo");
	struct gosym *gs = gosym__new(gb);
	struct gosym_frame out[MAX_FRAMES];
	struct gobin_func fn, prev;

	assert_non_null(gs);
	errno = 0;
	assert_null(gosym__new(notgo));
	assert_int_equal(errno, ENOENT);
	assert_null(gosym__new(NULL));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(gobin__find_func(gb, "_cgo_8101bbdcc8c7_Cfunc_cgohello_add", &fn), 0);
	expect_none(gs, fn.addr, GOSYM_EXACT);
	expect_none(gs, fn.addr + fn.size / 2, 0);
	assert_int_equal(gobin__find_func(gb, "x_cgo_init", &fn), 0);
	expect_none(gs, fn.addr + 1, GOSYM_EXACT);
	expect_none(gs, 0, GOSYM_EXACT);
	expect_none(gs, 0, 0);
	expect_none(gs, 1, 0);
	expect_none(gs, UINT64_MAX, GOSYM_EXACT);
	assert_int_equal(gobin__find_data(gb, "runtime.gomaxprocs", &fn.addr), 0);
	expect_none(gs, fn.addr, GOSYM_EXACT);

	/* A return address at a function's entry is of a call ending the one before (or padding).
	 */
	assert_int_equal(gobin__find_func(gb, "main.main", &fn), 0);
	assert_int_equal(gosym__lookup(gs, fn.addr, 0, out, MAX_FRAMES),
			 gosym__lookup(gs, fn.addr - 1, GOSYM_EXACT, out, MAX_FRAMES));
	assert_int_equal(gobin__find_func(gb, "runtime.goexit.abi0", &prev), 0);
	assert_int_equal(gosym__lookup(gs, prev.addr + prev.size, 0, out, MAX_FRAMES), 1);
	assert_string_equal(out[0].func, "runtime.goexit");
	assert_true(gosym__lookup(gs, fn.addr + fn.size, 0, out, MAX_FRAMES) > 0);
	assert_string_equal(out[0].func, "main.main");
	assert_true(gosym__lookup(gs, fn.addr, GOSYM_EXACT, out, MAX_FRAMES) > 0);
	assert_string_equal(out[0].func, "main.main");
	assert_int_equal(out[0].pc, fn.addr);
	assert_int_equal(gosym__lookup(gs, fn.addr, GOSYM_EXACT, out, 0), 0);
	gosym__free(gs);
	gosym__free(NULL);
	gobin__close(notgo);
	gobin__close(gb);
}

static void expect_same(const struct gosym_frame *a, const struct gosym_frame *b, int n)
{
	for (int k = 0; k < n; k++) {
		assert_string_equal(a[k].func, b[k].func);
		assert_ptr_equal(a[k].file, b[k].file);
		assert_int_equal(a[k].line, b[k].line);
		assert_int_equal(a[k].inlined, b[k].inlined);
		assert_int_equal(a[k].pc, b[k].pc);
	}
}

/* max keeps the innermost frames; the cache gives what a fresh lookup gives. */
static void test_truncation_and_cache(void **state)
{
	struct gobin *gb = testbin__open("go126-inl");
	struct gosym *gs = gosym__new(gb), *fresh = gosym__new(gb);
	struct gosym_frame all[MAX_FRAMES], out[MAX_FRAMES];
	struct testbin_pcs pcs = { 0 };
	struct gobin_func fn;
	__u64 pc;
	size_t i, w;
	int n, k;

	assert_non_null(gs);
	assert_int_equal(gobin__find_func(gb, "main.viaMethod", &fn), 0);
	pc = inlined_pc(gs, &fn, 4); /* leaf, mid, load, Get inlined in viaMethod */
	n = gosym__lookup(fresh, pc, GOSYM_EXACT, all, MAX_FRAMES);
	assert_int_equal(n, 5);
	assert_string_equal(all[0].func, "main.leaf");
	assert_string_equal(all[4].func, "main.viaMethod");
	for (k = 1; k <= n + 1; k++) {
		assert_int_equal(gosym__lookup(gs, pc, GOSYM_EXACT, out, k), k < n ? k : n);
		expect_same(out, all, k < n ? k : n);
	}

	/* Every PC of the binary, by windows of 256 looked up twice, as by a fresh gosym. */
	testbin__func_pcs(gb, &pcs);
	for (w = 0; w < pcs.n; w += 256) {
		gosym__free(fresh);
		fresh = gosym__new(gb);
		for (i = w; i < w + 256 && i < pcs.n; i++)
			gosym__lookup(gs, pcs.v[i], 0, out, MAX_FRAMES);
		for (i = w; i < w + 256 && i < pcs.n; i++) {
			n = gosym__lookup(gs, pcs.v[i], 0, out, MAX_FRAMES);
			assert_int_equal(gosym__lookup(fresh, pcs.v[i], 0, all, MAX_FRAMES), n);
			expect_same(out, all, n);
		}
	}
	free(pcs.v);
	gosym__free(fresh);
	gosym__free(gs);
	gobin__close(gb);
}

/* Looks up every PC with random max and flags: frames within max, strings valid. */
static void lookup_all(const void *img, size_t len, const struct testbin_pcs *pcs,
		       unsigned int *seed)
{
	struct gosym_frame out[MAX_FRAMES];
	struct gobin *gb = gobin__open_mem(img, len);
	struct gosym *gs = gb ? gosym__new(gb) : NULL;
	unsigned int max;
	size_t i;
	int n, k;

	for (i = 0; gs && i < pcs->n; i++) {
		max = 1 + rand_r(seed) % MAX_FRAMES;
		n = gosym__lookup(gs, pcs->v[i] + rand_r(seed) % 3, rand_r(seed) & 1, out, max);
		assert_true(n >= 0 && (unsigned int)n <= max);
		for (k = 0; k < n; k++)
			assert_true(strlen(out[k].func) + strlen(out[k].file) > 0);
	}
	gosym__free(gs);
	gobin__close(gb);
}

/* Random bytes over the pc-value tables, file tables, _func structs and functab. */
static void test_corrupt_tables(void **state)
{
	char *p = testbin__path("go126-inl-stripped", "");
	struct gobin *gb = testbin__open("go126-inl-stripped");
	struct testbin_pcs pcs = { 0 };
	unsigned int seed = 7, round, k;
	unsigned char *img, *bad;
	struct pclntab pt;
	size_t len;
	ssize_t off;

	testbin__func_pcs(gb, &pcs);
	gobin__close(gb);
	img = testbin__slurp(p, &len);
	bad = malloc(len);
	assert_non_null(bad);
	off = pclntab__find(img, len);
	assert_true(off > 0);
	assert_int_equal(pclntab__init(&pt, img + off, len - off), 0);
	for (round = 0; round < 24; round++) {
		memcpy(bad, img, len);
		for (k = 0; k < 1 + round * 100; k++) /* from one byte to thousands */
			bad[off + rand_r(&seed) % pt.len] = rand_r(&seed);
		lookup_all(bad, len, &pcs, &seed);
	}
	free(bad);
	free(img);
	free(pcs.v);
	free(p);
}

/* The file offset of the parentPc of the inline tree entry in force at pc. */
static __u64 parent_pc_offset(const struct gobin *gb, __u64 pc, __u64 *entry)
{
	struct pclntab_func fn;
	struct gobin_pcln pcln;
	__u64 tree, off;
	__s32 idx;

	assert_int_equal(gobin__pcln(gb, &pcln), 0);
	assert_int_equal(pclntab__func_at(pcln.pt, pcln.text, pc, &fn), 0);
	assert_int_equal(
	    pclntab__funcdata(pcln.pt, &fn, PCLNTAB_FUNCDATA_INLTREE, pcln.gofunc, &tree), 0);
	assert_int_equal(pclntab__pcdata(pcln.pt, &fn, PCLNTAB_PCDATA_INLTREE, pc, &idx), 0);
	assert_true(idx >= 0);
	/* Go 1.20+ inlinedCall: funcID, pad[3], nameOff, parentPc, startLine */
	assert_int_equal(gobin__addr_to_offset(gb, tree + 16 * idx + 8, &off), 0);
	*entry = fn.entry;
	return off;
}

/* An inline tree whose entry is its own caller: the lookup fills max frames and stops. */
static void test_inline_loop(void **state)
{
	char *p = testbin__path("go126-inl", "");
	struct gobin *gb = testbin__open("go126-inl");
	struct gosym *gs = gosym__new(gb);
	struct gosym_frame out[MAX_FRAMES];
	struct gobin_func fn;
	__u64 pc, off, entry;
	__u32 self;
	unsigned char *img;
	size_t len;

	assert_int_equal(gobin__find_func(gb, "main.outer", &fn), 0);
	pc = inlined_pc(gs, &fn, 1);
	off = parent_pc_offset(gb, pc, &entry);
	gosym__free(gs);
	gobin__close(gb);
	img = testbin__slurp(p, &len);
	self = pc - entry;
	memcpy(img + off, &self, sizeof(self));
	gb = gobin__open_mem(img, len);
	assert_non_null(gb);
	gs = gosym__new(gb);
	assert_int_equal(gosym__lookup(gs, pc, GOSYM_EXACT, out, MAX_FRAMES), MAX_FRAMES);
	assert_true(out[MAX_FRAMES - 1].inlined);
	gosym__free(gs);
	gobin__close(gb);
	free(img);
	free(p);
}

/* ns per lookup, cold (every PC once: cache misses) and cached (a stack-sized working set). */
static void test_cost(void **state)
{
	struct gobin *gb = testbin__open("go126-std-stripped");
	struct gosym *gs = gosym__new(gb);
	struct gosym_frame out[MAX_FRAMES];
	struct testbin_pcs pcs = { 0 };
	size_t i, frames = 0, hot = 256, reps = 400;
	double t0, cold, cached;

	testbin__func_pcs(gb, &pcs);
	t0 = now_ns();
	for (i = 0; i < pcs.n; i++)
		frames += gosym__lookup(gs, pcs.v[i], 0, out, MAX_FRAMES);
	cold = (now_ns() - t0) / pcs.n;
	t0 = now_ns();
	for (i = 0; i < hot * reps; i++)
		frames += gosym__lookup(gs, pcs.v[i % hot * (pcs.n / hot)], 0, out, MAX_FRAMES);
	cached = (now_ns() - t0) / (hot * reps);
	print_message("%zu PCs of go126-std-stripped: %.0f ns per lookup cold, %.0f ns cached "
		      "(%zu frames)\n",
		      pcs.n, cold, cached, frames);
	assert_true(cached < cold);
	free(pcs.v);
	gosym__free(gs);
	gobin__close(gb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_go_code),     cmocka_unit_test(test_truncation_and_cache),
		cmocka_unit_test(test_corrupt_tables), cmocka_unit_test(test_inline_loop),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, testbin__setup, NULL);
}
