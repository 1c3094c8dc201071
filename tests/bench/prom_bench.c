/*
 * prom_bench.c - how long the agent takes to render /metrics and /api/v1/processes for a
 * synthetic snapshot of PROCS processes x FUNCS C functions with full histograms (every
 * bucket used): no BPF, only the renderers the agent calls on each scrape.
 *
 *   prom_bench [PROCS [FUNCS [ITERATIONS]]]     (default 50 20 1000)
 *
 * The processes run PROM_BENCH_EXES distinct executables (default PROCS: the worst case for
 * the per-executable series, each process its own program); PROM_BENCH_PER_PROCESS=1 renders
 * as --per-process; PROM_BENCH_NO_JSON=1 leaves out the JSON renders (whose millions of small
 * allocations and frees otherwise make the next /metrics render pay glibc's malloc_consolidate).
 * The exposition state persists across iterations, as in the agent.
 *
 * With PROM_BENCH_DUMP=FILE in the environment the /metrics text is also written to FILE
 * (to compare renderers byte for byte).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "expo.h"
#include "json.h"
#include "prom.h"
#include "snapshot.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill_func(struct func_snap *f, size_t p, size_t i)
{
	snprintf(f->name, sizeof(f->name), "cgs_function_%02zu", i);
	f->addr = 0x4a1000 + 0x40 * i;
	for (unsigned int b = 0; b < CGOSCOPE_NBUCKETS; b++) {
		__u64 n = 1 + (p * 7 + i * 13 + b * 31) % 997;

		f->buckets[b] = n;
		f->calls += n;
		f->total_ns += n * (3ULL << b) / 2;
	}
	f->max_ns = (2ULL << (CGOSCOPE_NBUCKETS - 1)) - 1;
	f->inflight = i % 3 == 0;
}

static int fill(struct snapshot *snap, size_t nprocs, size_t nfuncs, size_t nexes)
{
	memset(snap, 0, sizeof(*snap));
	snap->wall_time = 1795000000.25;
	snap->duration_s = 60;
	snap->long_ns = 1000000000ULL;
	snap->procs = calloc(nprocs, sizeof(*snap->procs));
	if (!snap->procs)
		return -ENOMEM;
	snap->nprocs = nprocs;
	for (size_t p = 0; p < nprocs; p++) {
		struct proc_snap *ps = &snap->procs[p];

		ps->funcs = calloc(nfuncs, sizeof(*ps->funcs));
		if (!ps->funcs)
			return -ENOMEM;
		ps->nfuncs = nfuncs;
		/* sorted by total_ns, descending, like stats__collect() leaves them */
		for (size_t i = 0; i < nfuncs; i++) {
			fill_func(&ps->funcs[i], p, i);
			ps->calls += ps->funcs[i].calls;
			ps->inflight += ps->funcs[i].inflight;
		}
		ps->pid = 100000 + (__u32)p;
		ps->nspid = ps->pid;
		snprintf(ps->comm, sizeof(ps->comm), "manyfuncs");
		ps->start_time = 1000 + p;
		snprintf(ps->exe, sizeof(ps->exe), "/srv/app-%02zu/bin/manyfuncs", p % nexes);
		snprintf(ps->go_version, sizeof(ps->go_version), "go1.26.8");
		if (p % 2)
			snprintf(ps->container_id, sizeof(ps->container_id), "%064zx", p);
		ps->placement = "call-sites";
		ps->probe_cost_ns = 13000;
		ps->span_floor_ns = 1200;
		ps->exact_calls = (__s64)ps->calls;
		ps->runtime_view = true;
		ps->sampling_ratio = 1;
		ps->probe_overhead = 0.0013;
		ps->inflight_peak = ps->inflight + 2;
		ps->threads = (struct threads_snap){ 8, 9, 9, 0, 1, 0 };
		ps->gomaxprocs = 2;
		ps->max_threads = 10000;
		ps->verdict = VERDICT_OK;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the n values of v (sorts v). */
static double median(double *v, long n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int dump_text(const char *text, size_t len)
{
	const char *path = getenv("PROM_BENCH_DUMP");
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "prom_bench: cannot write %s\n", path);
		return -EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t nprocs = argc > 1 ? strtoul(argv[1], NULL, 10) : 50;
	size_t nfuncs = argc > 2 ? strtoul(argv[2], NULL, 10) : 20;
	long iters = argc > 3 ? strtol(argv[3], NULL, 10) : 1000;
	const char *exes_env = getenv("PROM_BENCH_EXES");
	const char *pp_env = getenv("PROM_BENCH_PER_PROCESS");
	size_t nexes = exes_env ? strtoul(exes_env, NULL, 10) : 0;
	bool per_process = pp_env && !strcmp(pp_env, "1");
	bool no_json = getenv("PROM_BENCH_NO_JSON") && !strcmp(getenv("PROM_BENCH_NO_JSON"), "1");
	struct prom_opts po = { .scrape_duration_s = 0.002 };
	double prom_min = 1e9, prom_sum = 0, json_min = 1e9, json_sum = 0, *prom_t;
	size_t prom_len = 0, json_len = 0;
	struct snapshot snap;

	if (!nprocs || !nfuncs || iters < 1) {
		fprintf(stderr, "usage: prom_bench [PROCS [FUNCS [ITERATIONS]]]\n");
		return 2;
	}
	prom_t = calloc((size_t)iters, sizeof(*prom_t));
	if (!prom_t)
		return 1;
	if (!nexes || nexes > nprocs)
		nexes = nprocs;
	po.expo = expo__new(&(struct expo_opts){ .per_process = per_process, .max_functions = 50,
						 .linger_s = EXPO_LINGER_S });
	if (!po.expo || fill(&snap, nprocs, nfuncs, nexes)) {
		fprintf(stderr, "prom_bench: out of memory\n");
		return 1;
	}
	for (long it = 0; it < iters; it++) {
		char *text, *doc;
		json_t *j;
		double t0, prom_s, json_s;

		t0 = now_s();
		if (prom__render(&snap, &po, &text, &prom_len)) {
			fprintf(stderr, "prom_bench: prom__render failed\n");
			return 1;
		}
		prom_s = now_s() - t0;
		if (it == 0 && dump_text(text, prom_len))
			return 1;
		free(text);
		prom_sum += prom_s;
		prom_t[it] = prom_s;
		if (prom_s < prom_min)
			prom_min = prom_s;
		if (no_json)
			continue;
		/* what /api/v1/processes does: json__snapshot() then json_dumps() */
		t0 = now_s();
		j = json__snapshot(&snap);
		doc = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) : NULL;
		json_s = now_s() - t0;
		if (!doc) {
			fprintf(stderr, "prom_bench: json__snapshot failed\n");
			return 1;
		}
		json_len = strlen(doc);
		free(doc);
		json_decref(j);
		json_sum += json_s;
		if (json_s < json_min)
			json_min = json_s;
	}
	printf("render time, synthetic snapshot of %zu processes (%zu executables%s) x %zu "
	       "functions, every log2 slot used, %ld iterations\n", nprocs, nexes,
	       per_process ? ", --per-process" : "", nfuncs, iters);
	printf("  %-36s %10s %10s %10s\n", "", "mean (ms)", "min (ms)", "bytes");
	printf("  %-36s %10.3f %10.3f %10zu   (median %.3f ms)\n", "/metrics: prom__render",
	       1e3 * prom_sum / iters, 1e3 * prom_min, prom_len, 1e3 * median(prom_t, iters));
	if (!no_json)
		printf("  %-36s %10.3f %10.3f %10zu\n", "/api/v1/processes: json__snapshot+dump",
		       1e3 * json_sum / iters, 1e3 * json_min, json_len);
	snapshot__free(&snap);
	expo__free(po.expo);
	free(prom_t);
	return 0;
}
