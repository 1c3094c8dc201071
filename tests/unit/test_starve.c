/* test_starve.c - unit tests of the M-thread starvation verdict rules (agent/model/starve.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "starve.h"

/*
 * reason(), which keeps the reasons in order and within SNAP_REASONS, is
 * static and starve__evaluate() never adds more than a few reasons, so this
 * file compiles its own copy of starve.c to call reason() directly. The
 * copy's public functions are renamed: the test also links the agent's
 * starve.o, whose starve__evaluate() every other test here calls.
 */
#define starve__default_opts starve_copy__default_opts
#define starve__evaluate starve_copy__evaluate
#include "../../agent/model/starve.c"
#undef starve__default_opts
#undef starve__evaluate

/* A process that is calm: 10 threads of a read 10000 limit, GOMAXPROCS 2, nothing in C. */
static struct proc_snap calm(void)
{
	struct proc_snap ps;

	memset(&ps, 0, sizeof(ps));
	ps.pid = 4242;
	ps.gomaxprocs = 2;
	ps.max_threads = 10000;
	ps.threads.current = 10;
	ps.threads.peak = 10;
	ps.threads.go = -1; /* the runtime's Ms unknown: OS threads count */
	/* what a previous evaluation may have left */
	ps.verdict = VERDICT_CRITICAL;
	ps.nreasons = 1;
	snprintf(ps.reasons[0], SNAP_REASON_LEN, "stale");
	return ps;
}

static enum verdict eval(struct proc_snap *ps)
{
	struct starve_opts o;

	starve__default_opts(&o);
	return starve__evaluate(ps, &o);
}

/* Asserts ps's verdict and that its reasons are exactly n, the i-th containing want[i]. */
static void assert_verdict(const struct proc_snap *ps, enum verdict v, size_t n, ...)
{
	va_list ap;

	if (ps->verdict != v || ps->nreasons != n) {
		fprintf(stderr, "verdict %s with %zu reasons, want %s with %zu:\n",
			snapshot__verdict_name(ps->verdict), ps->nreasons, snapshot__verdict_name(v), n);
		for (size_t i = 0; i < ps->nreasons && i < SNAP_REASONS; i++)
			fprintf(stderr, "  [%zu] %s\n", i, ps->reasons[i]);
	}
	assert_int_equal(ps->verdict, v);
	assert_int_equal(ps->nreasons, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *want = va_arg(ap, const char *);

		if (!strstr(ps->reasons[i], want))
			fail_msg("reason [%zu] \"%s\" does not contain \"%s\"", i, ps->reasons[i], want);
	}
	va_end(ap);
}

static void test_default_opts(void **state)
{
	struct starve_opts o;

	memset(&o, 0xff, sizeof(o));
	starve__default_opts(&o);
	assert_true(o.warn_fraction == 0.5);
	assert_true(o.crit_fraction == 0.8);
	assert_true(o.eta_s == 300);
	assert_true(o.min_growth == 0.5);
	assert_int_equal(o.min_blocked, 4);
}

static void test_calm_is_ok(void **state)
{
	struct proc_snap ps = calm();

	assert_int_equal(eval(&ps), VERDICT_OK);
	assert_verdict(&ps, VERDICT_OK, 0);
	/* threads growing alone (nothing saturating the Ps) is not alarming */
	ps.threads.growth_per_s = 1000;
	ps.inflight = 1;
	assert_int_equal(eval(&ps), VERDICT_OK);
	assert_verdict(&ps, VERDICT_OK, 0);
}

/* Threads against fractions of the limit: at the threshold and one below. */
static void test_thread_fractions(void **state)
{
	struct proc_snap ps = calm();

	ps.max_threads = 1000;
	ps.threads.current = 800; /* 0.8 x 1000 */
	assert_int_equal(eval(&ps), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 1, "800 OS threads: 80% of the thread limit 1000");
	assert_null(strstr(ps.reasons[0], "assumed"));
	ps.threads.current = 799;
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1, "799 OS threads: 80% of the thread limit 1000");
	ps.threads.current = 500; /* 0.5 x 1000 */
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1, "500 OS threads: 50% of the thread limit 1000");
	ps.threads.current = 499;
	assert_int_equal(eval(&ps), VERDICT_OK);
	assert_verdict(&ps, VERDICT_OK, 0);
	ps.threads.current = 1200; /* past the limit (it was lowered) */
	assert_int_equal(eval(&ps), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 1, "1200 OS threads: 120%");
}

/* The fractions are options; a limit read from the target (SetMaxThreads(60)). */
static void test_thread_fractions_custom(void **state)
{
	struct starve_opts o;
	struct proc_snap ps = calm();

	starve__default_opts(&o);
	o.warn_fraction = 0.25;
	o.crit_fraction = 0.5;
	ps.max_threads = 60;
	ps.threads.current = 14;
	assert_int_equal(starve__evaluate(&ps, &o), VERDICT_OK);
	ps.threads.current = 15;
	assert_int_equal(starve__evaluate(&ps, &o), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1, "15 OS threads: 25% of the thread limit 60");
	ps.threads.current = 29;
	assert_int_equal(starve__evaluate(&ps, &o), VERDICT_WARNING);
	ps.threads.current = 30;
	assert_int_equal(starve__evaluate(&ps, &o), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 1, "30 OS threads: 50% of the thread limit 60");
	/* the defaults on the same limit: 0.8 x 60 = 48 */
	ps.threads.current = 47;
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	ps.threads.current = 48;
	assert_int_equal(eval(&ps), VERDICT_CRITICAL);
}

/* Threads in C >= GOMAXPROCS while threads grow >= min_growth: warning. */
static void test_saturation_and_growth(void **state)
{
	struct starve_opts o;
	struct proc_snap ps = calm();

	ps.gomaxprocs = 4;
	ps.inflight = 4;
	ps.threads.growth_per_s = 0.5; /* ETA (10000 - 10) / 0.5 s: far */
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1,
		       "4 threads in C calls (GOMAXPROCS 4) and Go threads growing by 0.5/s");
	ps.threads.growth_per_s = 0.49; /* not growing */
	assert_int_equal(eval(&ps), VERDICT_OK);
	ps.threads.growth_per_s = -3;
	assert_int_equal(eval(&ps), VERDICT_OK);
	ps.threads.growth_per_s = 5;
	ps.inflight = 3; /* a P is still free */
	assert_int_equal(eval(&ps), VERDICT_OK);
	assert_verdict(&ps, VERDICT_OK, 0);
	ps.inflight = 40;
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1, "40 threads in C calls (GOMAXPROCS 4)");

	/* min_growth is an option */
	starve__default_opts(&o);
	o.min_growth = 6;
	assert_int_equal(starve__evaluate(&ps, &o), VERDICT_OK);
	o.min_growth = 5;
	assert_int_equal(starve__evaluate(&ps, &o), VERDICT_WARNING);
}

/* Saturated and growing: critical when the limit is reached within eta_s. */
static void test_eta(void **state)
{
	struct starve_opts o;
	struct proc_snap ps = calm();

	ps.threads.current = 100;
	ps.inflight = 2;
	ps.threads.growth_per_s = 33; /* (10000 - 100) / 33 = 300 s exactly */
	assert_int_equal(eval(&ps), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 2,
		       "at 33.0 threads/s the thread limit 10000 is reached in 300 s",
		       "Go threads growing by 33.0/s");
	ps.threads.growth_per_s = 32.9; /* 300.9 s */
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1, "Go threads growing by 32.9/s");
	ps.inflight = 1; /* growing fast, but not saturated */
	ps.threads.growth_per_s = 1000;
	assert_int_equal(eval(&ps), VERDICT_OK);

	starve__default_opts(&o);
	o.eta_s = 60;
	ps.inflight = 2;
	ps.threads.growth_per_s = 165; /* 60 s */
	assert_int_equal(starve__evaluate(&ps, &o), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 2, "reached in 60 s", "growing by 165.0/s");
	ps.threads.growth_per_s = 164; /* 60.4 s */
	assert_int_equal(starve__evaluate(&ps, &o), VERDICT_WARNING);

	/* past the limit already: reached "in 0 s", never a negative time */
	ps.max_threads = 60;
	ps.threads.current = 70;
	ps.threads.growth_per_s = 10;
	assert_int_equal(eval(&ps), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 3, "70 OS threads", "the thread limit 60 is reached in 0 s",
		       "threads growing by 10.0/s");
}

/* n calls of fn blocked for ms each, into blocked[] (longest first), as ps's. */
static void block(struct proc_snap *ps, struct blocked_snap *blocked, size_t n, const char *fn,
		  unsigned int ms)
{
	for (size_t i = 0; i < n; i++) {
		memset(&blocked[i], 0, sizeof(blocked[i]));
		blocked[i].tid = 100 + i;
		snprintf(blocked[i].func, sizeof(blocked[i].func), "%s", fn);
		blocked[i].elapsed_ns = (ms - i) * 1000000ULL;
	}
	ps->blocked = blocked;
	ps->nblocked = n;
}

/*
 * Long-blocking calls warn from max(GOMAXPROCS, min_blocked) of them: a
 * producer's one slow metadata call, or a slow DNS lookup, is ok.
 */
static void test_long_blocking(void **state)
{
	struct blocked_snap blocked[8];
	struct proc_snap ps = calm();

	block(&ps, blocked, 1, "rd_kafka_metadata", 2500);
	ps.inflight = 2; /* == GOMAXPROCS: still only one slow call */
	assert_int_equal(eval(&ps), VERDICT_OK);
	block(&ps, blocked, 3, "getaddrinfo", 3000);
	ps.inflight = 3;
	assert_int_equal(eval(&ps), VERDICT_OK); /* below min_blocked (4) */
	block(&ps, blocked, 4, "getaddrinfo", 3000);
	ps.inflight = 4;
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1,
		       "4 calls blocked in C longer than the threshold, 4 of them in getaddrinfo "
		       "(longest 3.0 s in getaddrinfo); 4 threads in C, GOMAXPROCS 2");
	/* GOMAXPROCS 8: eight are needed */
	ps.gomaxprocs = 8;
	block(&ps, blocked, 7, "sqlite3_step", 1500);
	assert_int_equal(eval(&ps), VERDICT_OK);
	block(&ps, blocked, 8, "sqlite3_step", 1500);
	blocked[0].elapsed_ns = 9000000000ULL;
	snprintf(blocked[0].func, sizeof(blocked[0].func), "getaddrinfo");
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1,
		       "8 calls blocked in C longer than the threshold, 7 of them in sqlite3_step "
		       "(longest 9.0 s in getaddrinfo)");
	/* with their Go callers: the place is function and caller */
	for (int i = 0; i < 8; i++)
		blocked[i].caller = i < 3 ? "main.(*Store).Put" : "main.(*Store).Get";
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1,
		       "8 calls blocked in C longer than the threshold, 5 of them in sqlite3_step "
		       "called from main.(*Store).Get (longest 9.0 s in getaddrinfo)");
}

/* Threads C libraries start are not the runtime's: with the Ms known, they count alone. */
static void test_go_threads(void **state)
{
	struct proc_snap ps = calm();

	ps.max_threads = 1000;
	ps.threads.current = 900; /* a C library's pool of 880 threads */
	ps.threads.go = 20;
	assert_int_equal(eval(&ps), VERDICT_OK);
	ps.threads.go = 800;
	assert_int_equal(eval(&ps), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 1, "800 Go threads: 80% of the thread limit 1000");
	ps.threads.go = 500;
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1, "500 Go threads: 50%");
	ps.threads.go = 499;
	assert_int_equal(eval(&ps), VERDICT_OK);
}

/* An unknown GOMAXPROCS (-1, or 0) counts as 1. */
static void test_unknown_gomaxprocs(void **state)
{
	struct blocked_snap blocked[4];
	struct proc_snap ps = calm();

	ps.gomaxprocs = -1;
	block(&ps, blocked, 4, "getaddrinfo", 3000);
	ps.inflight = 4;
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1, "in getaddrinfo); 4 threads in C, GOMAXPROCS 1");
	ps.gomaxprocs = 0;
	ps.nblocked = 0;
	ps.inflight = 1;
	ps.threads.growth_per_s = 1;
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1, "1 threads in C calls (GOMAXPROCS 1)");
}

/* A limit that was not read from the target says so in every reason naming it. */
static void test_assumed_limit(void **state)
{
	struct proc_snap ps = calm();

	ps.max_threads_assumed = true;
	ps.threads.current = 8000;
	ps.inflight = 2;
	ps.threads.growth_per_s = 10; /* 200 s */
	assert_int_equal(eval(&ps), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 3, "80% of the thread limit 10000 (assumed)",
		       "the thread limit 10000 (assumed) is reached in 200 s", "growing by 10.0/s");
	ps.threads.current = 5000;
	ps.threads.growth_per_s = 0;
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_verdict(&ps, VERDICT_WARNING, 1, "50% of the thread limit 10000 (assumed)");
	ps.max_threads_assumed = false;
	assert_int_equal(eval(&ps), VERDICT_WARNING);
	assert_null(strstr(ps.reasons[0], "assumed"));
}

/* Every rule at once: the critical reasons come before the warnings. */
static void test_most_severe_first(void **state)
{
	struct blocked_snap blocked[4];
	struct proc_snap ps = calm();

	ps.max_threads = 100;
	ps.threads.current = 80; /* critical */
	ps.inflight = 4;
	ps.threads.growth_per_s = 10; /* 2 s to the limit: critical; growing: warning */
	block(&ps, blocked, 4, "cgs_block_ms", 1500); /* warning */
	assert_int_equal(eval(&ps), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 4, "80 OS threads: 80% of the thread limit 100",
		       "is reached in 2 s", "Go threads growing by 10.0/s", "4 calls blocked in C");

	/* a thread-count warning with a critical growth */
	ps.max_threads = 1000;
	ps.threads.current = 600;
	ps.threads.growth_per_s = 2; /* 200 s */
	ps.nblocked = 0;
	assert_int_equal(eval(&ps), VERDICT_CRITICAL);
	assert_verdict(&ps, VERDICT_CRITICAL, 3, "is reached in 200 s",
		       "600 OS threads: 60% of the thread limit 1000",
		       "Go threads growing by 2.0/s");

	/* and back: nothing of it is kept once the process calms down */
	ps.threads.current = 10;
	ps.inflight = 0;
	assert_int_equal(eval(&ps), VERDICT_OK);
	assert_verdict(&ps, VERDICT_OK, 0);
}

/* A proc_snap between guard bytes, to see writes out of its reasons. */
struct guarded {
	unsigned char before[64];
	struct proc_snap ps;
	unsigned char after[SNAP_REASON_LEN * 2];
};

#define GUARD 0xa5

static void assert_guards(const struct guarded *g, const char *worst_reason)
{
	for (size_t i = 0; i < sizeof(g->before); i++)
		assert_int_equal(g->before[i], GUARD);
	for (size_t i = 0; i < sizeof(g->after); i++)
		assert_int_equal(g->after[i], GUARD);
	/* the fields right after reasons[] */
	assert_string_equal(g->ps.worst_reason, worst_reason);
	assert_int_equal(g->ps.worst_verdict, VERDICT_WARNING);
	for (size_t i = 0; i < SNAP_REASONS; i++)
		assert_true(strnlen(g->ps.reasons[i], SNAP_REASON_LEN) < SNAP_REASON_LEN);
}

/* At most SNAP_REASONS are kept; a more severe one still goes first. */
static void test_reasons_bounded(void **state)
{
	static struct guarded g;
	char want[16], longest[SNAP_REASON_LEN * 2];

	memset(&g, GUARD, sizeof(g));
	memset(&g.ps, 0, sizeof(g.ps));
	g.ps.worst_verdict = VERDICT_WARNING;
	snprintf(g.ps.worst_reason, sizeof(g.ps.worst_reason), "canary");

	for (int i = 0; i < SNAP_REASONS; i++)
		reason(&g.ps, VERDICT_WARNING, "warning %d", i);
	assert_int_equal(g.ps.nreasons, SNAP_REASONS);
	for (int i = 0; i < SNAP_REASONS; i++) {
		snprintf(want, sizeof(want), "warning %d", i);
		assert_string_equal(g.ps.reasons[i], want);
	}
	/* full: one more of the same severity is dropped */
	reason(&g.ps, VERDICT_WARNING, "warning %d", SNAP_REASONS);
	assert_int_equal(g.ps.nreasons, SNAP_REASONS);
	snprintf(want, sizeof(want), "warning %d", SNAP_REASONS - 1);
	assert_string_equal(g.ps.reasons[SNAP_REASONS - 1], want);
	assert_guards(&g, "canary");

	/* a more severe one comes first and pushes the last one out */
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	reason(&g.ps, VERDICT_CRITICAL, "critical %s", longest);
	assert_int_equal(g.ps.verdict, VERDICT_CRITICAL);
	assert_int_equal(g.ps.nreasons, SNAP_REASONS);
	assert_int_equal(strlen(g.ps.reasons[0]), SNAP_REASON_LEN - 1); /* truncated */
	assert_memory_equal(g.ps.reasons[0], "critical xxx", 12);
	for (int i = 1; i < SNAP_REASONS; i++) {
		snprintf(want, sizeof(want), "warning %d", i - 1);
		assert_string_equal(g.ps.reasons[i], want);
	}
	assert_guards(&g, "canary");

	/* a less severe one goes nowhere */
	reason(&g.ps, VERDICT_OK, "fine");
	assert_int_equal(g.ps.verdict, VERDICT_CRITICAL);
	assert_int_equal(g.ps.nreasons, SNAP_REASONS);
	snprintf(want, sizeof(want), "warning %d", SNAP_REASONS - 2);
	assert_string_equal(g.ps.reasons[SNAP_REASONS - 1], want);
	assert_guards(&g, "canary");
}

/* Below the bound, a more severe reason is inserted first, the others keep their order. */
static void test_reason_insertion(void **state)
{
	struct proc_snap ps;

	memset(&ps, 0, sizeof(ps));
	reason(&ps, VERDICT_WARNING, "w%d", 1);
	reason(&ps, VERDICT_WARNING, "w%d", 2);
	reason(&ps, VERDICT_CRITICAL, "c%d", 1);
	reason(&ps, VERDICT_WARNING, "w%d", 3);
	assert_int_equal(ps.verdict, VERDICT_CRITICAL);
	assert_int_equal(ps.nreasons, 4);
	assert_string_equal(ps.reasons[0], "c1");
	assert_string_equal(ps.reasons[1], "w1");
	assert_string_equal(ps.reasons[2], "w2");
	assert_string_equal(ps.reasons[3], "w3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_opts),
		cmocka_unit_test(test_calm_is_ok),
		cmocka_unit_test(test_thread_fractions),
		cmocka_unit_test(test_thread_fractions_custom),
		cmocka_unit_test(test_saturation_and_growth),
		cmocka_unit_test(test_eta),
		cmocka_unit_test(test_long_blocking),
		cmocka_unit_test(test_go_threads),
		cmocka_unit_test(test_unknown_gomaxprocs),
		cmocka_unit_test(test_assumed_limit),
		cmocka_unit_test(test_most_severe_first),
		cmocka_unit_test(test_reasons_bounded),
		cmocka_unit_test(test_reason_insertion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
