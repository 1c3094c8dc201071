/* test_expo.c - unit tests of the exposition state: sticky top-N, monotonic other, exits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "expo.h"
#include "topn.h"

#define EXE  "/srv/app"
#define MAXP 4
#define MAXF 4

/* A small snapshot built by hand: up to MAXP processes of up to MAXF functions. */
struct fake {
	struct snapshot snap;
	struct proc_snap procs[MAXP];
	struct func_snap funcs[MAXP][MAXF];
};

static struct proc_snap *fake_proc(struct fake *f, __u32 pid, __u64 start, const char *exe)
{
	struct proc_snap *p = &f->procs[f->snap.nprocs];

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->start_time = start;
	strcpy(p->exe, exe);
	p->funcs = f->funcs[f->snap.nprocs];
	f->snap.procs = f->procs;
	f->snap.nprocs++;
	return p;
}

/* Gives p function name with calls calls of 1 us each (slot 9). */
static void fake_func(struct proc_snap *p, const char *name, __u64 calls)
{
	struct func_snap *fn = &p->funcs[p->nfuncs++];

	memset(fn, 0, sizeof(*fn));
	strcpy(fn->name, name);
	fn->calls = fn->traced_calls = calls;
	fn->total_ns = fn->traced_ns = calls * 1000;
	fn->buckets[9] = calls;
}

static void fake_reset(struct fake *f)
{
	memset(f, 0, sizeof(*f));
}

static const struct expo_group *group_of(const struct expo *e, const char *exe, __u32 pid)
{
	size_t n, i;
	struct expo_group *const *g = expo__groups(e, &n);

	for (i = 0; i < n; i++)
		if (!strcmp(g[i]->exe, exe) && g[i]->pid == pid)
			return g[i];
	return NULL;
}

/* The exported calls of function name of g (its own series), or -1 when not kept. */
static long long calls_of(const struct expo_group *g, const char *name)
{
	struct topn_ctr c;
	size_t i;

	for (i = 0; i < g->nfuncs; i++) {
		if (strcmp(g->funcs[i].name, name))
			continue;
		if (!g->top[i].kept)
			return -1;
		topn__series(&g->top[i], &c);
		return (long long)c.calls;
	}
	return -2;
}

static void entry(struct topn_entry *e, __u64 rank, __u64 calls)
{
	e->rank = rank;
	e->val.calls = calls;
	e->val.count = calls;
	e->val.buckets[3] = calls;
}

static void test_topn_sticky(void **state)
{
	struct topn_entry e[3] = { 0 };
	struct topn_ctr other;

	(void)state;
	entry(&e[0], 10, 10);
	entry(&e[1], 5, 5);
	entry(&e[2], 1, 1);
	assert_int_equal(topn__update(e, 3, 3), 1); /* 2 kept, "other" the third */
	assert_true(e[0].kept && e[1].kept && !e[2].kept);
	assert_true(topn__other(e, 3, &other));
	assert_int_equal(other.calls, 1);
	/* the third becomes the busiest: the top does not re-rank */
	entry(&e[2], 1000, 1000);
	entry(&e[1], 6, 6);
	assert_int_equal(topn__update(e, 3, 3), 1);
	assert_true(e[0].kept && e[1].kept && !e[2].kept);
	assert_true(topn__other(e, 3, &other));
	assert_int_equal(other.calls, 1000);
	/* no cap: all kept, no "other" */
	memset(e, 0, sizeof(e));
	entry(&e[0], 1, 1);
	assert_int_equal(topn__update(e, 1, 0), 0);
	assert_false(topn__other(e, 1, &other));
	assert_int_equal(other.calls, 0);
}

static void test_topn_other_monotonic(void **state)
{
	struct topn_entry e[3] = { 0 };
	struct topn_ctr other, own;
	__u64 before;

	(void)state;
	entry(&e[0], 10, 10);
	entry(&e[1], 5, 5);
	entry(&e[2], 7, 7);
	assert_int_equal(topn__update(e, 3, 2), 2); /* one place: e[0] */
	assert_true(topn__other(e, 3, &other));
	assert_int_equal(other.calls, 12);
	before = other.calls;
	/* the cap is raised: e[2], counted in "other" so far, gets its own series from 0 */
	entry(&e[2], 9, 9);
	assert_int_equal(topn__update(e, 3, 3), 1);
	assert_true(e[2].kept);
	topn__series(&e[2], &own);
	assert_int_equal(own.calls, 0);
	assert_int_equal(own.buckets[3], 0);
	entry(&e[2], 20, 20);
	topn__series(&e[2], &own);
	assert_int_equal(own.calls, 11);
	assert_true(topn__other(e, 3, &other));
	assert_true(other.calls >= before); /* 5 of e[1] + the 9 e[2] had when it left */
	assert_int_equal(other.calls, 14);
	/* a function new since is not in "other": its series starts from its count */
	assert_false(e[1].kept);
}

static void test_ctr_max(void **state)
{
	struct topn_ctr a = { .calls = 10, .count = 3 }, b = { .calls = 7, .count = 4 };

	(void)state;
	topn__ctr_max(&a, &b);
	assert_int_equal(a.calls, 10);
	assert_int_equal(a.count, 4);
	topn__ctr_add(&a, &b);
	assert_int_equal(a.calls, 17);
}

static void test_expo_exit_folds(void **state)
{
	struct expo *e = expo__new(&(struct expo_opts){ .max_functions = 50, .linger_s = 60 });
	const struct expo_group *g;
	struct fake f;
	struct proc_snap *p;

	(void)state;
	assert_non_null(e);
	fake_reset(&f);
	fake_func(fake_proc(&f, 10, 100, EXE), "step", 40);
	fake_func(fake_proc(&f, 11, 101, EXE), "step", 2);
	assert_int_equal(expo__update(e, &f.snap, 1), 0);
	g = group_of(e, EXE, 0);
	assert_non_null(g);
	assert_int_equal(g->nprocs, 2);
	assert_int_equal(calls_of(g, "step"), 42);

	/* pid 10 ends: its 40 calls stay; pid 11 goes on; pid 12 starts */
	fake_reset(&f);
	fake_func(fake_proc(&f, 11, 101, EXE), "step", 5);
	p = fake_proc(&f, 12, 102, EXE);
	fake_func(p, "step", 1);
	fake_func(p, "open", 3);
	assert_int_equal(expo__update(e, &f.snap, 2), 0);
	g = group_of(e, EXE, 0);
	assert_int_equal(g->nprocs, 2);
	assert_int_equal(calls_of(g, "step"), 46);
	assert_int_equal(calls_of(g, "open"), 3);

	/* pid 11 reused by a new process (another start time): the old one's 5 fold in */
	fake_reset(&f);
	fake_func(fake_proc(&f, 11, 999, EXE), "step", 1);
	fake_func(fake_proc(&f, 12, 102, EXE), "step", 1);
	assert_int_equal(expo__update(e, &f.snap, 3), 0);
	g = group_of(e, EXE, 0);
	assert_int_equal(g->nprocs, 2);
	assert_int_equal(calls_of(g, "step"), 40 + 5 + 1 + 1);
	expo__free(e);
}

static void test_expo_final_counts(void **state)
{
	struct expo *e = expo__new(&(struct expo_opts){ .max_functions = 50, .linger_s = 60 });
	struct proc_snap *p;
	struct fake f;
	const struct expo_group *g;

	(void)state;
	assert_non_null(e);
	fake_reset(&f);
	fake_func(fake_proc(&f, 10, 100, EXE), "step", 40);
	assert_int_equal(expo__update(e, &f.snap, 1), 0);
	/* it is seen exited with its final counts, then seen again: counted once */
	for (int round = 0; round < 2; round++) {
		fake_reset(&f);
		p = fake_proc(&f, 10, 100, EXE);
		p->exited = true;
		fake_func(p, "step", 45);
		assert_int_equal(expo__update(e, &f.snap, 2 + round), 0);
		g = group_of(e, EXE, 0);
		assert_int_equal(g->nprocs, 0);
		assert_int_equal(calls_of(g, "step"), 45);
	}
	/* a count read lower than before (an estimate) keeps the previous one */
	fake_reset(&f);
	fake_func(fake_proc(&f, 20, 200, EXE), "step", 10);
	assert_int_equal(expo__update(e, &f.snap, 4), 0);
	fake_reset(&f);
	fake_func(fake_proc(&f, 20, 200, EXE), "step", 8);
	assert_int_equal(expo__update(e, &f.snap, 5), 0);
	assert_int_equal(calls_of(group_of(e, EXE, 0), "step"), 55);
	expo__free(e);
}

static void test_expo_linger(void **state)
{
	struct expo *e = expo__new(&(struct expo_opts){ .max_functions = 2, .linger_s = 10 });
	struct fake f;

	(void)state;
	fake_reset(&f);
	fake_func(fake_proc(&f, 10, 100, EXE), "step", 4);
	assert_int_equal(expo__update(e, &f.snap, 100), 0);
	fake_reset(&f);
	assert_int_equal(expo__update(e, &f.snap, 101), 0); /* gone: still exported */
	assert_int_equal(calls_of(group_of(e, EXE, 0), "step"), 4);
	assert_int_equal(expo__update(e, &f.snap, 105), 0);
	assert_non_null(group_of(e, EXE, 0));
	/* a restart within linger_s continues the counters */
	fake_func(fake_proc(&f, 30, 300, EXE), "step", 1);
	assert_int_equal(expo__update(e, &f.snap, 108), 0);
	assert_int_equal(calls_of(group_of(e, EXE, 0), "step"), 5);
	fake_reset(&f);
	assert_int_equal(expo__update(e, &f.snap, 109), 0);
	assert_int_equal(expo__update(e, &f.snap, 118), 0);
	assert_non_null(group_of(e, EXE, 0));
	assert_int_equal(expo__update(e, &f.snap, 119), 0); /* 10 s without processes */
	assert_null(group_of(e, EXE, 0));
	expo__free(e);
}

static void test_expo_sticky_other(void **state)
{
	__u64 other;
	struct fake f;
	struct proc_snap *p;
	const struct expo_group *g;
	struct expo *e = expo__new(&(struct expo_opts){ .max_functions = 2, .linger_s = 60 });

	(void)state;
	fake_reset(&f);
	p = fake_proc(&f, 10, 100, EXE);
	fake_func(p, "a", 100);
	fake_func(p, "b", 1);
	assert_int_equal(expo__update(e, &f.snap, 1), 0);
	g = group_of(e, EXE, 0);
	assert_int_equal(calls_of(g, "a"), 100);
	assert_int_equal(calls_of(g, "b"), -1);
	assert_true(g->has_other);
	assert_int_equal(g->other.calls, 1);
	assert_int_equal(g->nother, 1);
	/* b overtakes a and the process that made most of "other" ends: nothing goes back */
	fake_reset(&f);
	p = fake_proc(&f, 11, 101, EXE);
	fake_func(p, "b", 500);
	assert_int_equal(expo__update(e, &f.snap, 2), 0);
	g = group_of(e, EXE, 0);
	assert_int_equal(calls_of(g, "a"), 100);
	assert_int_equal(calls_of(g, "b"), -1);
	other = g->other.calls;
	assert_int_equal(other, 501);
	fake_reset(&f);
	assert_int_equal(expo__update(e, &f.snap, 3), 0);
	assert_true(group_of(e, EXE, 0)->other.calls >= other);
	expo__free(e);
}

static void test_expo_per_process(void **state)
{
	struct expo *e = expo__new(&(struct expo_opts){ .per_process = true, .linger_s = 0 });
	struct fake f;

	(void)state;
	assert_true(expo__per_process(e));
	fake_reset(&f);
	fake_func(fake_proc(&f, 10, 100, EXE), "step", 4);
	fake_func(fake_proc(&f, 11, 101, EXE), "step", 6);
	assert_int_equal(expo__update(e, &f.snap, 1), 0);
	assert_int_equal(calls_of(group_of(e, EXE, 10), "step"), 4);
	assert_int_equal(calls_of(group_of(e, EXE, 11), "step"), 6);
	assert_null(group_of(e, EXE, 0));
	/* pid 10 ends (linger_s 0): its series end with it */
	fake_reset(&f);
	fake_func(fake_proc(&f, 11, 101, EXE), "step", 7);
	assert_int_equal(expo__update(e, &f.snap, 2), 0);
	assert_null(group_of(e, EXE, 10));
	assert_int_equal(calls_of(group_of(e, EXE, 11), "step"), 7);
	expo__free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topn_sticky),
		cmocka_unit_test(test_topn_other_monotonic),
		cmocka_unit_test(test_ctr_max),
		cmocka_unit_test(test_expo_exit_folds),
		cmocka_unit_test(test_expo_final_counts),
		cmocka_unit_test(test_expo_linger),
		cmocka_unit_test(test_expo_sticky_other),
		cmocka_unit_test(test_expo_per_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
