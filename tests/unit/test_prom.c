/* test_prom.c - unit tests of the Prometheus text writer: golden text, families, buckets, cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hist.h"
#include "prom.h"
#include "sample_snapshot.h"

#define GOLDEN "golden/prom_sample.txt"
#define HISTOGRAM "cgoscope_cgo_call_duration_seconds"
#define MAX_FAMILIES 64
#define CGOLOAD "exe=\"/opt/app/cgoload\""
#define AWKWARD "exe=\"/tmp/a\\\"b\\\\c\\n/app\"" /* as escaped in the text */
#define NBUCKET_LINES 16 /* 15 finite bounds and +Inf */

/* tests/unit/golden/... next to this file, or $CGOSCOPE_GOLDEN. */
static char *golden_path(void)
{
	const char *env = getenv("CGOSCOPE_GOLDEN"), *slash = strrchr(__FILE__, '/');
	char *path;

	if (env)
		return strdup(env);
	if (asprintf(&path, "%.*s%s", slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__,
		     GOLDEN) < 0)
		return NULL;
	return path;
}

static char *read_file(const char *path)
{
	char *text = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");
	ssize_t n;

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	assert_true(n > 0);
	return text;
}

static char *render(const struct snapshot *snap, unsigned int max_functions)
{
	struct prom_opts opts = sample_snapshot__prom_opts();
	char *text = NULL;
	size_t len = 0;

	opts.max_functions = max_functions;
	assert_int_equal(prom__render(snap, &opts, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

static void test_golden(void **state)
{
	char *path = golden_path(), *want, *got = render(*state, 0);
	size_t i, line = 1;

	assert_non_null(path);
	want = read_file(path);
	for (i = 0; want[i] && want[i] == got[i]; i++)
		line += want[i] == '\n';
	if (want[i] != got[i])
		fail_msg("output differs from %s at line %zu (regenerate with prom_dump > %s)", path,
			 line, path);
	free(want);
	free(got);
	free(path);
}

/* Name of the sample on line s (up to '{' or ' ') into buf. */
static void sample_name(const char *s, char *buf, size_t len)
{
	size_t n = strcspn(s, "{ ");

	assert_true(n < len);
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* True when sample name belongs to family fam of type type. */
static bool in_family(const char *name, const char *fam, const char *type)
{
	size_t n = strlen(fam);
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	size_t i;

	if (!strcmp(name, fam))
		return strcmp(type, "histogram") != 0;
	if (strncmp(name, fam, n) || strcmp(type, "histogram"))
		return false;
	for (i = 0; i < 3; i++)
		if (!strcmp(name + n, suffixes[i]))
			return true;
	return false;
}

static void test_families(void **state)
{
	char *text = render(*state, 0), *save = NULL, *line;
	char seen[MAX_FAMILIES][128], help[128] = "", cur[128] = "", type[32] = "", name[128];
	int nseen = 0, i;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			sample_name(line + 7, help, sizeof(help));
			for (i = 0; i < nseen; i++)
				if (!strcmp(seen[i], help))
					fail_msg("family %s described twice", help);
			assert_true(nseen < MAX_FAMILIES);
			strcpy(seen[nseen++], help);
		} else if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s %31s", cur, type), 2);
			assert_string_equal(cur, help); /* TYPE right after its HELP */
			if (!strcmp(type, "counter"))
				assert_non_null(strstr(cur, "_total"));
		} else {
			sample_name(line, name, sizeof(name));
			if (!in_family(name, cur, type))
				fail_msg("sample %s outside its family (current %s)", name, cur);
		}
	}
	assert_int_equal(nseen, 29); /* 7 agent, info, 16 process, 2 executable, 3 function */
	free(text);
}

/* The value of the first line starting with prefix and containing needle. */
static double value_of(const char *text, const char *prefix, const char *needle)
{
	const char *s;

	for (s = text; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
		const char *end = strchr(s, '\n');
		size_t n = end ? (size_t)(end - s) : strlen(s);
		char line[1024];

		if (n >= sizeof(line) || strncmp(s, prefix, strlen(prefix)))
			continue;
		memcpy(line, s, n);
		line[n] = '\0';
		if (strstr(line, needle))
			return strtod(strrchr(line, ' ') + 1, NULL);
	}
	fail_msg("no %s with %s", prefix, needle);
	return -1;
}

/* True when line is a sample of name+suffix for function fn of the group labelled group. */
static bool is_series(const char *line, const char *suffix, const char *group, const char *fn)
{
	char head[256], fsel[192];

	snprintf(head, sizeof(head), HISTOGRAM "%s{%s,", suffix, group);
	snprintf(fsel, sizeof(fsel), "function=\"%s\"", fn);
	return !strncmp(line, head, strlen(head)) && strstr(line, fsel);
}

static double line_value(const char *line)
{
	return strtod(strrchr(line, ' ') + 1, NULL);
}

/*
 * Checks the histogram of function fn of group: nb cumulative, non-decreasing
 * buckets ending in +Inf == _count == calls, and _sum == total_ns / 1e9 exactly.
 */
static void check_histogram(const char *text, const char *group, const char *fn, __u64 calls,
			    __u64 total_ns, int want_nb)
{
	char *copy = strdup(text), *save = NULL, *line;
	double prev = 0, inf = -1, count = -1, sum = -1;
	int nb = 0;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (is_series(line, "_bucket", group, fn)) {
			assert_true(line_value(line) >= prev);
			prev = line_value(line);
			if (strstr(line, ",le=\"+Inf\"} "))
				inf = prev;
			nb++;
		} else if (is_series(line, "_count", group, fn)) {
			count = line_value(line);
		} else if (is_series(line, "_sum", group, fn)) {
			sum = line_value(line);
		}
	}
	free(copy);
	assert_int_equal(nb, want_nb);
	assert_true(inf == (double)calls);
	assert_true(count == inf);
	assert_true(sum == (double)total_ns / 1e9);
}

static void test_histograms(void **state)
{
	const struct snapshot *snap = *state;
	char *text = render(snap, 0);
	size_t i, j;

	for (i = 0; i < snap->nprocs; i++)
		for (j = 0; j < snap->procs[i].nfuncs; j++) {
			const struct func_snap *f = &snap->procs[i].funcs[j];

			check_histogram(text, i ? AWKWARD : CGOLOAD, f->name, f->calls, f->total_ns,
					NBUCKET_LINES);
		}
	/*
	 * le is the upper bound of a slot: 600 calls in [1024, 2048) ns and 300 in
	 * [2048, 4096) ns are under 4.096e-06, none under 1.024e-06.
	 */
	assert_true(value_of(text, HISTOGRAM "_bucket{" CGOLOAD,
			     "function=\"sqlite3_step\",le=\"4.096e-06\"") == 900);
	assert_true(value_of(text, HISTOGRAM "_bucket{" CGOLOAD,
			     "function=\"sqlite3_step\",le=\"1.024e-06\"") == 0);
	/* 1 ns and 10 ns: under the first bound, 256 ns */
	assert_true(value_of(text, HISTOGRAM "_bucket{" CGOLOAD,
			     "function=\"0x4a02c0\",le=\"2.56e-07\"") == 2);
	/* 3 calls in [1.07 s, 2.15 s): under 4.294967296 s, not 1.073741824 s */
	assert_true(value_of(text, HISTOGRAM "_bucket{" AWKWARD,
			     "function=\"sleep\",le=\"1.073741824\"") == 0);
	assert_true(value_of(text, HISTOGRAM "_bucket{" AWKWARD,
			     "function=\"sleep\",le=\"4.294967296\"") == 3);
	free(text);
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *s = strstr(text, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

static void test_labels(void **state)
{
	char *text = render(*state, 0);

	/* the descriptive labels once, on the info series; escaping; container_id when known */
	assert_non_null(strstr(text, "cgoscope_process_info{pid=\"777\"," AWKWARD
				     ",comm=\"a\\\"b\\\\c\\n\",go_version=\"go1.19.8\","
				     "container_id=\"0123456789abcdef"));
	assert_non_null(strstr(text, "cgoscope_process_info{pid=\"4242\"," CGOLOAD
				     ",comm=\"cgoload\",go_version=\"go1.22.1\"} 1\n"));
	/* everything else about a process: {pid,exe} only */
	assert_null(strstr(text, "_calls{pid=\"4242\"," CGOLOAD ",comm"));
	assert_non_null(strstr(text, "cgoscope_process_threads{pid=\"4242\"," CGOLOAD "} 12\n"));
	assert_int_equal(count_of(text, "comm="), 2); /* one info series per process */
	assert_int_equal(count_of(text, "go_version="), 2);
	/* functions: by executable, without pid */
	assert_non_null(strstr(text, "cgoscope_cgo_calls_total{" CGOLOAD
				     ",function=\"sqlite3_step\"} 1000\n"));
	assert_null(strstr(text, "cgoscope_cgo_calls_total{pid="));
	/* unknown GOMAXPROCS: no series */
	assert_non_null(strstr(text, "cgoscope_process_gomaxprocs{pid=\"4242\""));
	assert_null(strstr(text, "cgoscope_process_gomaxprocs{pid=\"777\""));
	/* every drop cause, zeros too */
	assert_non_null(strstr(text, "cgoscope_bpf_drops_total{cause=\"ringbuf_full\"} 0\n"));
	assert_non_null(strstr(text, "cgoscope_bpf_drops_total{cause=\"stats_map_full\"} 0\n"));
	assert_non_null(strstr(text, "cgoscope_build_info{version=\"0.1.0-test\"} 1\n"));
	assert_non_null(strstr(text, "cgoscope_process_probe_cost_seconds{pid=\"4242\""));
	assert_non_null(strstr(text, "} 1.30004e-05\n"));
	/* the awkward process exited: its executable has no process left, its counts stay */
	assert_non_null(strstr(text, "cgoscope_executable_processes{" AWKWARD "} 0\n"));
	assert_non_null(strstr(text, "cgoscope_executable_processes{" CGOLOAD "} 1\n"));
	assert_string_equal(PROM_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
	free(text);
}

static void test_fold(void **state)
{
	char *text = render(*state, 2);
	const char *calls = "cgoscope_cgo_calls_total{" CGOLOAD;

	assert_non_null(strstr(text, "function=\"getaddrinfo\""));
	assert_null(strstr(text, "function=\"sqlite3_step\""));
	assert_null(strstr(text, "function=\"0x4a02c0\""));
	assert_true(value_of(text, calls, "function=\"other\"") == 1002);
	assert_true(value_of(text, calls, "function=\"getaddrinfo\"") == 5);
	assert_true(value_of(text, "cgoscope_functions_folded{" CGOLOAD, "") == 2);
	assert_true(value_of(text, "cgoscope_functions_folded{" AWKWARD, "") == 0);
	assert_true(value_of(text, "cgoscope_cgo_inflight_calls{" CGOLOAD,
			     "function=\"other\"") == 1);
	check_histogram(text, CGOLOAD, "other", 1002, 3800011, NBUCKET_LINES);
	/* slot 0 and 3 of 0x4a02c0, then + slots 10 and 11 of sqlite3_step */
	assert_true(value_of(text, HISTOGRAM "_bucket{" CGOLOAD,
			     "function=\"other\",le=\"2.56e-07\"") == 2);
	assert_true(value_of(text, HISTOGRAM "_bucket{" CGOLOAD,
			     "function=\"other\",le=\"4.096e-06\"") == 902);
	check_histogram(text, AWKWARD, "sleep", 3, 4500000000ULL, NBUCKET_LINES);
	assert_null(strstr(text, AWKWARD ",function=\"other\""));
	free(text);
}

static void test_fold_existing_other(void **state)
{
	struct snapshot *snap = *state;
	struct proc_snap *p = &snap->procs[0];
	char *text, *s;
	int n = 0;

	/* the stats module already folded 5 functions into "other" */
	strcpy(p->funcs[2].name, "other");
	p->folded = 5;
	text = render(snap, 2);
	for (s = strstr(text, "cgoscope_cgo_calls_total{" CGOLOAD); s;
	     s = strstr(s + 1, "cgoscope_cgo_calls_total{" CGOLOAD))
		n += strstr(s, "function=\"other\"") < strchr(s, '\n');
	assert_int_equal(n, 1);
	assert_true(value_of(text, "cgoscope_cgo_calls_total{" CGOLOAD,
			     "function=\"other\"") == 1002);
	assert_true(value_of(text, "cgoscope_functions_folded{" CGOLOAD, "") == 6);
	free(text);
	/* a cap of 1: everything is "other", even a lone function */
	text = render(snap, 1);
	assert_true(value_of(text, "cgoscope_cgo_calls_total{" CGOLOAD,
			     "function=\"other\"") == 1007);
	assert_null(strstr(text, "function=\"getaddrinfo\""));
	assert_true(value_of(text, "cgoscope_cgo_calls_total{" AWKWARD,
			     "function=\"other\"") == 3);
	assert_true(value_of(text, "cgoscope_functions_folded{" AWKWARD, "") == 1);
	free(text);
}

static void test_per_process(void **state)
{
	struct prom_opts opts = sample_snapshot__prom_opts();
	char *text = NULL;
	size_t len = 0;

	opts.per_process = true;
	assert_int_equal(prom__render(*state, &opts, &text, &len), 0);
	assert_non_null(strstr(text, "cgoscope_cgo_calls_total{pid=\"4242\"," CGOLOAD
				     ",function=\"sqlite3_step\"} 1000\n"));
	assert_non_null(strstr(text, "cgoscope_executable_processes{pid=\"4242\"," CGOLOAD
				     "} 1\n"));
	check_histogram(text, "pid=\"777\"," AWKWARD, "sleep", 3, 4500000000ULL, NBUCKET_LINES);
	free(text);
}

static void test_buckets(void **state)
{
	struct prom_opts opts = sample_snapshot__prom_opts();
	struct prom_buckets b;
	char *text = NULL;
	size_t len = 0;

	/* rounded up to powers of two ns: 1024 ns (slot 9), 2^20 ns, 2^30 ns */
	assert_int_equal(prom__parse_buckets("1e-6,0.001,1", &b), 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.slot[0], 9);
	assert_int_equal(b.slot[1], 19);
	assert_int_equal(b.slot[2], 29);
	assert_int_equal(hist__upper_ns(b.slot[0]), 1024);
	/* 1 ns and 1.5 ns both round to 2 ns: one bound */
	assert_int_equal(prom__parse_buckets("1e-9,1.5e-9", &b), 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.slot[0], 0);
	assert_int_equal(prom__parse_buckets("", &b), -EINVAL);
	assert_int_equal(prom__parse_buckets("0", &b), -EINVAL);
	assert_int_equal(prom__parse_buckets("1,0.5", &b), -EINVAL);
	assert_int_equal(prom__parse_buckets("1,", &b), -EINVAL);
	assert_int_equal(prom__parse_buckets("1;2", &b), -EINVAL);
	assert_int_equal(prom__parse_buckets("1000", &b), -EINVAL); /* above 2^39 ns */
	assert_int_equal(prom__parse_buckets("549", &b), 0);         /* 2^39 ns = 549.76 s */
	prom__default_buckets(&b);
	assert_int_equal(b.n, 15);
	assert_int_equal(hist__upper_ns(b.slot[0]), 256);
	assert_int_equal(hist__upper_ns(b.slot[14]), 1ULL << 36);

	assert_int_equal(prom__parse_buckets("1e-6,0.001,1", &b), 0);
	opts.buckets = &b;
	assert_int_equal(prom__render(*state, &opts, &text, &len), 0);
	check_histogram(text, CGOLOAD, "sqlite3_step", 1000, 3800000, 4);
	assert_true(value_of(text, HISTOGRAM "_bucket{" CGOLOAD,
			     "function=\"sqlite3_step\",le=\"1.024e-06\"") == 0);
	assert_true(value_of(text, HISTOGRAM "_bucket{" CGOLOAD,
			     "function=\"sqlite3_step\",le=\"0.001048576\"") == 1000);
	free(text);
}

static void test_errors(void **state)
{
	char *text = (char *)"x";
	size_t len = 1;

	assert_int_equal(prom__render(NULL, NULL, &text, &len), -EINVAL);
	assert_int_equal(prom__render(*state, NULL, NULL, &len), -EINVAL);
	/* no options: defaults */
	assert_int_equal(prom__render(*state, NULL, &text, &len), 0);
	assert_non_null(strstr(text, "cgoscope_build_info{version=\"" CGOSCOPE_VERSION "\"} 1\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		SAMPLE_TEST(test_golden),
		SAMPLE_TEST(test_families),
		SAMPLE_TEST(test_histograms),
		SAMPLE_TEST(test_labels),
		SAMPLE_TEST(test_fold),
		SAMPLE_TEST(test_fold_existing_other),
		SAMPLE_TEST(test_per_process),
		SAMPLE_TEST(test_buckets),
		SAMPLE_TEST(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
