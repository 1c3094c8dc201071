/* test_report.c - unit tests of the CLI text report and the duration formatter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "report.h"
#include "sample_snapshot.h"

#define STARS40 "****************************************"

static void assert_fmt(double ns, const char *want)
{
	char buf[32];

	assert_int_equal(report__fmt_ns(buf, sizeof(buf), ns), 0);
	assert_string_equal(buf, want);
}

static void test_fmt_ns(void **state)
{
	assert_fmt(0, "0ns");
	assert_fmt(87, "87ns");
	assert_fmt(87.4, "87ns");
	assert_fmt(999, "999ns");
	assert_fmt(999.6, "1.00us"); /* rounding moves it to the next unit */
	assert_fmt(1020, "1.02us");
	assert_fmt(1024, "1.02us");
	assert_fmt(13000.4, "13.0us");
	assert_fmt(999400, "999us");
	assert_fmt(999500, "1.00ms");
	assert_fmt(1020000, "1.02ms");
	assert_fmt(20100000, "20.1ms");
	assert_fmt(120000000, "120ms");
	assert_fmt(3e9, "3.00s");
	assert_fmt(12345678901.0, "12.3s");
	assert_fmt(3600e9, "3600s");
	assert_fmt(-1500, "-1.50us");
}

static void test_fmt_ns_errors(void **state)
{
	char buf[4];

	assert_int_equal(report__fmt_ns(NULL, 8, 1), -EINVAL);
	assert_int_equal(report__fmt_ns(buf, 0, 1), -EINVAL);
	assert_int_equal(report__fmt_ns(buf, sizeof(buf), 1500), -ENOSPC);
	assert_string_equal(buf, "1.5"); /* truncated, still terminated */
}

/* The report of snap as a string the caller frees. */
static char *render(const struct snapshot *snap, const struct report_opts *opts)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(report__print(f, snap, opts), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void test_rows(void **state)
{
	struct report_opts opts = { .min_calls = 0 };
	char *text = render(*state, &opts);

	assert_non_null(strstr(text, "PID 4242 (cgoload) /opt/app/cgoload go1.22.1\n"));
	assert_non_null(strstr(text, "  traced 10.0s; probes at call-sites cost 13.0us per call, "
				     "1.20us of it inside every span\n"));
	assert_non_null(strstr(text, "  FUNCTION          CALLS     TOTAL       AVG       P50"
				     "       P99       MAX\n"));
	assert_non_null(strstr(text, "  getaddrinfo           5     120ms    24.0ms    27.3ms"
				     "    40.0ms    40.0ms\n"));
	assert_non_null(strstr(text, "  sqlite3_step       1000    3.80ms    3.80us    1.88us"
				     "    30.0us    30.0us\n"));
	assert_non_null(strstr(text, "  0x4a02c0              2      11ns       6ns       2ns"
				     "      10ns      10ns\n"));
	/* sorted by total time: the snapshot order */
	assert_true(strstr(text, "getaddrinfo") < strstr(text, "sqlite3_step"));
	assert_null(strstr(text, "hidden"));
	assert_null(strstr(text, "distribution"));
	free(text);
}

static void test_no_completed_calls(void **state)
{
	struct snapshot *snap = *state;
	struct func_snap *f = &snap->procs[0].funcs[2];
	char *text;

	/* calls still in C, none completed */
	memset(f->buckets, 0, sizeof(f->buckets));
	f->calls = f->total_ns = f->max_ns = f->traced_calls = f->traced_ns = 0;
	text = render(snap, &(struct report_opts){ .histograms = true });
	assert_non_null(strstr(text, "  0x4a02c0              0         -         -         -"
				     "         -         -\n"));
	assert_null(strstr(text, "\n  0x4a02c0\n")); /* no empty histogram */
	free(text);
}

static void test_min_calls_hides(void **state)
{
	struct report_opts opts = { .min_calls = 3 };
	char *text = render(*state, &opts);

	assert_null(strstr(text, "0x4a02c0"));
	assert_non_null(strstr(text, "  (1 function with fewer than 3 calls hidden)\n"));
	free(text);
}

static void test_histograms(void **state)
{
	struct report_opts opts = { .histograms = true };
	char *text = render(*state, &opts);

	assert_non_null(strstr(text, "\n  sqlite3_step\n"
				     "     nsecs               : count    distribution\n"
				     "      1024 -> 2048       : 600      |" STARS40 "|\n"
				     "      2048 -> 4096       : 300      |********************"
				     "                    |\n"
				     "      4096 -> 8192       : 0        |"
				     "                                        |\n"));
	/* larger durations in a larger unit */
	assert_non_null(strstr(text, "     usecs               : count    distribution\n"
				     "     16777 -> 33554      : 4        |" STARS40 "|\n"));
	assert_non_null(strstr(text, "     msecs               : count    distribution\n"
				     "      1074 -> 2147       : 3        |" STARS40 "|\n"));
	free(text);
}

static void test_threads_and_verdict(void **state)
{
	char *text = render(*state, NULL);

	assert_non_null(strstr(text, "  threads: 12 now, peak 14; created 6 (4 by C), exited 2;"
				     " Go threads growing +0.40/s\n"));
	assert_non_null(strstr(text, "  in C: 1 now, peak 6; GOMAXPROCS 4; thread limit 10000\n"));
	assert_non_null(strstr(text, "  verdict: WARNING\n"
				     "    - 6 threads in C at once with GOMAXPROCS 4\n"));
	assert_non_null(strstr(text, "GOMAXPROCS unknown; thread limit 10000 (assumed)\n"));
	assert_non_null(strstr(text, "  long-blocking calls (> 1.00s): 3 completed, 1 in C now:\n"));
	assert_non_null(strstr(text, "         780 sleep                        3.20s  (Go stack not read)\n"));
	assert_non_null(strstr(text, "  verdict: CRITICAL\n"
				     "    - 2 calls blocked in C for more than 1.00s\n"
				     "    - threads grew by 7 while calls blocked\n"));
	/* control characters in names do not break lines */
	assert_non_null(strstr(text, "PID 777 (a\"b\\c?) /tmp/a\"b\\c?/app go1.19.8, pid 12 in its "
				     "namespace, container 0123456789ab, process exited\n"));
	free(text);
}

static void test_drops(void **state)
{
	struct snapshot *snap = *state;
	char *text = render(snap, NULL);

	assert_null(strstr(text, "lost data"));
	free(text);
	snap->drops[CGOSCOPE_DROP_STALE_FRAME] = 1;
	snap->drops[CGOSCOPE_DROP_RINGBUF] = 3;
	text = render(snap, NULL);
	assert_non_null(strstr(text, "\nlost data: stale_frame 1, ringbuf_full 3\n"));
	free(text);
}

/*
 * The C-time profile: thread-time and share per function, called from its
 * stack's caller up; the census's rate, and when its budget lowered it.
 */
static void test_ctime(void **state)
{
	struct snapshot *snap = *state;
	char *text = render(snap, NULL);

	assert_non_null(strstr(text, "\n  time in C, sampled by the census over 10.0s (50.0/s): "
				     "thread-time per function and Go caller\n"
				     "   THREAD-T  SHARE  FUNCTION                 CALLED FROM\n"
				     "      2.50s  82.8%  sqlite3_step             main.(*Store).Get "
				     "(store.go:42) <- main.handle\n"
				     "      500ms  16.6%  getaddrinfo              (Go stack not read)\n"
				     "  (more in --json and --pprof)\n"));
	free(text);
	snap->procs[0].censuses = 41;
	snap->procs[0].census_paced = true;
	text = render(snap, NULL);
	assert_non_null(strstr(text, "over 10.0s (4.1/s, paced by --census-budget): thread-time"));
	free(text);
	snap->procs[0].censuses = 500;
	snap->procs[0].census_paced = false;
	assert_non_null(strstr(text = render(snap, NULL),
			       "\n  census: 160 threads seen in C; not counted: 9 that left C while "
			       "read (short calls are undercounted), 0 unreadable; 1 without a "
			       "stack\n"));
	free(text);
}

/*
 * Go callers: each stack's share of the function's traced calls, and the
 * function's calls (estimated when it is) split by those shares.
 */
static void test_callers(void **state)
{
	struct snapshot *snap = *state;
	struct func_snap *f = &snap->procs[0].funcs[1];
	char *text = render(snap, NULL);

	assert_non_null(strstr(text, "\n  Go callers: each function's calls by Go stack (its share "
				     "of the traced calls; ~: estimated)\n"
				     "  FUNCTION                      CALLS  SHARE     TOTAL  CALLED FROM\n"
				     "  sqlite3_step                    700  70.0%    3.00ms  "
				     "main.(*Store).Get (store.go:42) <- main.handle\n"
				     "                                 ~300  30.0%    ~800us  (Go stack not read)\n"));
	free(text);
	f->estimated = true; /* sampled: 10000 calls made, 38ms in C */
	f->calls = 10000;
	f->total_ns = 38000000;
	text = render(snap, NULL);
	assert_non_null(strstr(text, "  sqlite3_step                  ~7000  70.0%   ~30.0ms  main."));
	assert_non_null(strstr(text, "                                ~3000  30.0%   ~8.00ms  (Go stack not read)\n"));
	free(text);
}

/*
 * Two stacks of one function that differ only above the frames shown (the
 * same CALLED FROM) are one row of the C-time profile, their time summed;
 * a stack that differs in a shown frame stays a row of its own.
 */
static void test_ctime_merged(void **state)
{
	struct snapshot *snap = *state;
	struct proc_snap *p = &snap->procs[0];
	const struct snap_stack *base = &snap->stacks[p->ctime[0].stack];
	struct snap_frame f[5];
	struct ctime_snap *v = realloc(p->ctime, 5 * sizeof(*v));
	int st[3];
	char *text;

	assert_non_null(v);
	p->ctime = v;
	memcpy(f, base->frames, base->n * sizeof(*f)); /* cgo wrapper, Get (inlined), handle */
	f[3] = (struct snap_frame){ .func = f[1].func, .file = f[2].file, .line = 99 };
	f[4] = (struct snap_frame){ .func = f[2].func, .file = f[2].file, .line = 7 };
	st[0] = snapshot__add_stack(snap, f, 5, false, 1); /* Get <- handle <- Get <- handle */
	f[4].func = f[0].func;                             /* ... differs above the shown frames */
	st[1] = snapshot__add_stack(snap, f, 5, false, 1);
	f[3].func = f[0].func; /* ... differs in a shown frame */
	st[2] = snapshot__add_stack(snap, f, 5, false, 1);
	assert_true(st[0] >= 0 && st[1] >= 0 && st[2] >= 0);
	for (int i = 0; i < 3; i++) {
		p->ctime[2 + i] = p->ctime[0];
		p->ctime[2 + i].stack = st[i];
		p->ctime[2 + i].ns = i == 2 ? 100000000ULL : 500000000ULL;
	}
	p->nctime = 5;
	text = render(snap, NULL);
	assert_non_null(strstr(text, "\n      2.50s  60.7%  sqlite3_step             main.(*Store).Get "
				     "(store.go:42) <- main.handle\n"
				     "      500ms  12.1%  getaddrinfo              (Go stack not read)\n"
				     "      1.00s  24.3%  sqlite3_step             main.(*Store).Get "
				     "(store.go:42) <- main.handle <- main.(*Store).Get\n"
				     "      100ms   2.4%  sqlite3_step             main.(*Store).Get "
				     "(store.go:42) <- main.handle <- main._Cfunc_sqlite3_step\n"));
	free(text);
}

/* Lower bounds: a function only the census saw, one too short to time untraced. */
static void test_lower_bounds(void **state)
{
	struct snapshot *snap = *state;
	struct proc_snap *p = &snap->procs[1]; /* sampled */
	struct func_snap *f = &p->funcs[0];
	char *text;

	f->total_lower_bound = true;
	text = render(snap, NULL);
	assert_non_null(strstr(text, "  sleep            ~3         3   >=4.50s     1.50s"));
	assert_non_null(strstr(text, "\n  >= TOTAL: calls shorter than the probes' own time are timed "
				     "only when traced: at least that long\n"));
	assert_null(strstr(text, ">= CALLS"));
	free(text);
	f->total_lower_bound = false;
	f->lower_bound = true;
	f->traced_calls = 0;
	text = render(snap, NULL);
	assert_non_null(strstr(text, "  sleep           >=3         0         -         -"));
	assert_non_null(strstr(text, "\n  >= CALLS: never traced, only seen in C by the census: at "
				     "least that many calls\n"));
	free(text);
	/* the census followed one from its unseen start to its end: 2.51 s in C, at least */
	f->total_ns = 2510000000ULL;
	f->max_ns = 2510000000ULL;
	f->total_lower_bound = true;
	p->long_calls = 1;
	p->long_calls_unseen = 1;
	text = render(snap, NULL);
	assert_non_null(strstr(text, "  sleep           >=3         0   >=2.51s         -         -"
				     "         -   >=2.51s\n"));
	assert_non_null(strstr(text, "long-blocking calls (> 1.00s): 1 completed, 1 of them begun "
				     "unseen (timed by the census: at least that long), "));
	free(text);
}

static void test_empty(void **state)
{
	struct snapshot empty = { .duration_s = 1 };
	struct proc_snap *p = &((struct snapshot *)*state)->procs[1];
	char *text = render(&empty, NULL);

	assert_string_equal(text, "no cgo calls seen\n");
	free(text);
	p->nfuncs = 0;
	text = render(*state, NULL);
	assert_non_null(strstr(text, "process exited\n  traced 10.0s; probes at entry+ret cost"));
	assert_non_null(strstr(text, "every span\n  calls: 3 traced; SAMPLING: probes on 25.0% of the time"));
	assert_non_null(strstr(text, "(overhead budget); probes cost ~1.00% of a CPU\n\n  no cgo calls seen\n\n  threads: 5 now"));
	free(text);
}

/*
 * The runtime's count of an exited process: final when read at its exit_group,
 * else its last reading while alive, a lower bound, and said so.
 */
static void test_exited_exact(void **state)
{
	struct snapshot *snap = *state;
	char *text;

	snap->procs[1].exact_calls = 5;
	text = render(snap, NULL);
	assert_non_null(strstr(text, "calls: 3 traced, 5 made (the runtime's own count)"));
	free(text);
	snap->procs[1].exact_partial = true;
	text = render(snap, NULL);
	assert_non_null(strstr(text, "calls: 3 traced, at least 5 made (the runtime's own count, "
				     "last read before it exited)"));
	assert_non_null(strstr(text, "calls: 1007 traced, 1007 made (the runtime's own count)"));
	free(text);
}

static void test_bad_args(void **state)
{
	assert_int_equal(report__print(NULL, *state, NULL), -EINVAL);
	assert_int_equal(report__print(stdout, NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_ns),
		cmocka_unit_test(test_fmt_ns_errors),
		SAMPLE_TEST(test_rows),
		SAMPLE_TEST(test_no_completed_calls),
		SAMPLE_TEST(test_min_calls_hides),
		SAMPLE_TEST(test_histograms),
		SAMPLE_TEST(test_threads_and_verdict),
		SAMPLE_TEST(test_drops),
		SAMPLE_TEST(test_ctime),
		SAMPLE_TEST(test_callers),
		SAMPLE_TEST(test_ctime_merged),
		SAMPLE_TEST(test_lower_bounds),
		SAMPLE_TEST(test_empty),
		SAMPLE_TEST(test_exited_exact),
		SAMPLE_TEST(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
