/* prom.c - Prometheus text exposition format 0.0.4 writer (pure: snapshot -> text). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include "expo.h"
#include "hist.h"
#include "prom.h"

#define NUM_LEN 40
#define OTHER "other"

struct family {
	const char *name;
	const char *type;
	const char *help;
};

/* A process as exported: its {pid,exe} label set, rendered once. */
struct pview {
	const struct proc_snap *p;
	char *set;
};

/* A group of functions as exported: its label set and each kept function's. */
struct gview {
	const struct expo_group *g;
	char *set;
	char **fsets; /* per function of g: set plus function="name" (kept ones only) */
	char *other_set;
};

enum proc_metric {
	PM_INFLIGHT,
	PM_INFLIGHT_PEAK,
	PM_BLOCKED,
	PM_LONG_DONE,
	PM_THREADS,
	PM_THREADS_PEAK,
	PM_CREATED,
	PM_CREATED_C,
	PM_EXITED,
	PM_GOMAXPROCS,
	PM_MAX_THREADS,
	PM_STATE,
	PM_PROBE_COST,
	PM_EXACT_CALLS,
	PM_SAMPLING,
	PM_OVERHEAD,
	PM__MAX,
};

static const struct family proc_families[PM__MAX] = {
	[PM_INFLIGHT] = { "cgoscope_process_cgo_inflight_calls", "gauge",
			  "Threads of the process inside a C call now." },
	[PM_INFLIGHT_PEAK] = { "cgoscope_process_cgo_inflight_calls_peak", "gauge",
			       "Most threads of the process inside C at once since attach." },
	[PM_BLOCKED] = { "cgoscope_process_long_blocking_calls", "gauge",
			 "Calls in C now for longer than the long-blocking threshold." },
	[PM_LONG_DONE] = { "cgoscope_process_long_blocking_calls_completed_total", "counter",
			   "Completed calls that lasted longer than the long-blocking threshold." },
	[PM_THREADS] = { "cgoscope_process_threads", "gauge", "OS threads of the process now." },
	[PM_THREADS_PEAK] = { "cgoscope_process_threads_peak", "gauge",
			      "Most OS threads of the process at once since attach." },
	[PM_CREATED] = { "cgoscope_process_threads_created_total", "counter",
			 "OS threads created since attach." },
	[PM_CREATED_C] = { "cgoscope_process_threads_created_by_c_total", "counter",
			   "OS threads created by C code since attach." },
	[PM_EXITED] = { "cgoscope_process_threads_exited_total", "counter",
			"OS threads exited since attach." },
	[PM_GOMAXPROCS] = { "cgoscope_process_gomaxprocs", "gauge",
			    "GOMAXPROCS of the process (absent when unknown)." },
	[PM_MAX_THREADS] = { "cgoscope_process_max_threads", "gauge",
			     "Thread limit of the Go runtime (debug.SetMaxThreads)." },
	[PM_STATE] = { "cgoscope_process_starvation_state", "gauge",
		       "Starvation verdict: 0 ok, 1 warning, 2 critical." },
	[PM_PROBE_COST] = { "cgoscope_process_probe_cost_seconds", "gauge",
			    "Measured cost of the probes per cgo call." },
	[PM_EXACT_CALLS] = { "cgoscope_process_cgo_calls_total", "counter",
			     "cgo calls since attach, from the Go runtime's own per-thread "
			     "counters: exact, also while the probes sample." },
	[PM_SAMPLING] = { "cgoscope_process_sampling_ratio", "gauge",
			  "Share of the time the probes were on (1: every call traced)." },
	[PM_OVERHEAD] = { "cgoscope_process_probe_overhead_cores", "gauge",
			  "Estimated CPU the probes cost the process, in cores." },
};

enum func_metric {
	FM_CALLS,
	FM_DURATION,
	FM_INFLIGHT,
	FM__MAX,
};

static const struct family func_families[FM__MAX] = {
	[FM_CALLS] = { "cgoscope_cgo_calls_total", "counter",
		       "Completed cgo calls per C function: counted while every call is traced, "
		       "estimated from the traced ones while the probes sample." },
	[FM_DURATION] = { "cgoscope_cgo_call_duration_seconds", "histogram",
			  "Duration of the traced cgo calls per C function (all of them unless "
			  "the probes sample)." },
	[FM_INFLIGHT] = { "cgoscope_cgo_inflight_calls", "gauge",
			  "Calls of the C function in progress now." },
};

static const struct family proc_info = {
	"cgoscope_process_info", "gauge",
	"A traced process: its descriptive labels, once; always 1. Join on pid."
};
static const struct family group_procs = { "cgoscope_executable_processes", "gauge",
					   "Traced processes of the executable now." };
static const struct family group_folded = {
	"cgoscope_functions_folded", "gauge",
	"C functions folded into function=\"other\" by the cardinality cap (--max-functions)."
};
static const struct family build_info = { "cgoscope_build_info", "gauge",
					  "Version of cgoscope; always 1." };
static const struct family procs_traced = { "cgoscope_processes_traced", "gauge",
					    "Processes traced now." };
static const struct family attach_failures = { "cgoscope_attach_failures_total", "counter",
					       "Probes that could not be attached." };
static const struct family bpf_drops = { "cgoscope_bpf_drops_total", "counter",
					 "Data lost or discarded by the BPF programs, by cause." };
static const struct family scrape_duration = { "cgoscope_scrape_duration_seconds", "gauge",
					       "Time the previous scrape took." };
static const struct family attach_latency = {
	"cgoscope_attach_latency_seconds", "gauge",
	"Time from the exec of the last newly traced process to its probes being active."
};
static const struct family discovery_dropped = {
	"cgoscope_discovery_dropped_total", "counter",
	"Exec events not examined because the agent's queue was full."
};

static void put_family(FILE *f, const struct family *fam)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
}

/* Integers in full, others as the shortest text that parses back to v; "+Inf" spelled exactly. */
static const char *fmt_double(char buf[NUM_LEN], double v)
{
	int prec;

	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	if (v == trunc(v) && fabs(v) < 0x1p53) {
		snprintf(buf, NUM_LEN, "%.0f", v);
		return buf;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, NUM_LEN, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, NUM_LEN, "%.17g", v);
	return buf;
}

/* Decimal digits of v (the hot path of a scrape: one per bucket line, so no snprintf). */
static const char *fmt_u64(char buf[NUM_LEN], __u64 v)
{
	char *p = buf + NUM_LEN - 1;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

/* Writes s with the three characters the text format escapes in label values escaped. */
static void put_escaped(FILE *f, const char *s)
{
	size_t run;

	for (;;) {
		run = strcspn(s, "\\\"\n");
		fwrite(s, 1, run, f);
		s += run;
		if (!*s)
			return;
		fputs(*s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", f);
		s++;
	}
}

static void put_label(FILE *f, int *n, const char *key, const char *val)
{
	if ((*n)++)
		fputc(',', f);
	fputs(key, f);
	fputs("=\"", f);
	put_escaped(f, val);
	fputc('"', f);
}

/*
 * A label set rendered once, escaped, without braces ("pid=\"1\",comm=\"x\""):
 * base (may be NULL) then the n key/value pairs. Returns a malloc'd string or NULL.
 */
static char *labelset_new(const char *base, const char *const (*pairs)[2], size_t n)
{
	char *text = NULL;
	size_t len = 0;
	int count = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (base && *base) {
		fputs(base, f);
		count = 1;
	}
	for (size_t i = 0; i < n; i++)
		put_label(f, &count, pairs[i][0], pairs[i][1]);
	if (ferror(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	return fclose(f) ? NULL : text;
}

/*
 * One sample: name suffix{set,key="val"} value. set is a pre-rendered label
 * set (NULL or "" for none); val is escaped here; key NULL adds no pair.
 */
static void put_sample(FILE *f, const char *name, const char *suffix, const char *set,
		       const char *key, const char *val, const char *value)
{
	int n = set && *set;

	fputs(name, f);
	fputs(suffix, f);
	if (n || key) {
		fputc('{', f);
		if (n)
			fputs(set, f);
		if (key)
			put_label(f, &n, key, val);
		fputc('}', f);
	}
	fputc(' ', f);
	fputs(value, f);
	fputc('\n', f);
}

static void put_agent(FILE *f, const struct snapshot *snap, const struct prom_opts *opts)
{
	const char *version = opts->build_version ? opts->build_version : CGOSCOPE_VERSION;
	char num[NUM_LEN];
	int i;

	put_family(f, &build_info);
	put_sample(f, build_info.name, "", NULL, "version", version, "1");
	put_family(f, &procs_traced);
	put_sample(f, procs_traced.name, "", NULL, NULL, NULL, fmt_u64(num, snap->nprocs));
	put_family(f, &attach_failures);
	put_sample(f, attach_failures.name, "", NULL, NULL, NULL,
		   fmt_u64(num, opts->attach_failures));
	put_family(f, &bpf_drops);
	for (i = 0; i < CGOSCOPE_DROP__MAX; i++)
		put_sample(f, bpf_drops.name, "", NULL, "cause", snapshot__drop_name(i),
			   fmt_u64(num, snap->drops[i]));
	put_family(f, &scrape_duration);
	put_sample(f, scrape_duration.name, "", NULL, NULL, NULL,
		   fmt_double(num, opts->scrape_duration_s));
	put_family(f, &attach_latency);
	put_sample(f, attach_latency.name, "", NULL, NULL, NULL,
		   fmt_double(num, opts->attach_latency_s));
	put_family(f, &discovery_dropped);
	put_sample(f, discovery_dropped.name, "", NULL, NULL, NULL,
		   fmt_u64(num, opts->discovery_dropped));
}

/* Value of a per-process metric. */
static double proc_value(const struct proc_snap *p, enum proc_metric m)
{
	switch (m) {
	case PM_INFLIGHT:
		return (double)p->inflight;
	case PM_INFLIGHT_PEAK:
		return (double)p->inflight_peak;
	case PM_BLOCKED:
		return (double)p->nblocked;
	case PM_LONG_DONE:
		return (double)p->long_calls;
	case PM_THREADS:
		return (double)p->threads.current;
	case PM_THREADS_PEAK:
		return (double)p->threads.peak;
	case PM_CREATED:
		return (double)p->threads.created;
	case PM_CREATED_C:
		return (double)p->threads.created_c;
	case PM_EXITED:
		return (double)p->threads.exited;
	case PM_GOMAXPROCS:
		return p->gomaxprocs < 0 ? NAN : p->gomaxprocs;
	case PM_EXACT_CALLS:
		return p->exact_calls < 0 ? NAN : (double)p->exact_calls;
	case PM_SAMPLING:
		return p->sampling_ratio;
	case PM_OVERHEAD:
		return p->probe_overhead;
	case PM_MAX_THREADS:
		return p->max_threads;
	case PM_STATE:
		return p->verdict;
	case PM_PROBE_COST:
		return p->probe_cost_ns / 1e9;
	default:
		return NAN;
	}
}

static void put_proc_family(FILE *f, const struct pview *views, size_t n, enum proc_metric m)
{
	const struct family *fam = &proc_families[m];
	char num[NUM_LEN];
	size_t i;

	put_family(f, fam);
	for (i = 0; i < n; i++) {
		double v = proc_value(views[i].p, m);

		if (isnan(v))
			continue; /* unknown: no series */
		put_sample(f, fam->name, "", views[i].set, NULL, NULL, fmt_double(num, v));
	}
}

/* cgoscope_process_info: the labels that describe a process, on one series each. */
static void put_proc_info(FILE *f, const struct snapshot *snap)
{
	char pid[NUM_LEN];
	size_t i;

	put_family(f, &proc_info);
	for (i = 0; i < snap->nprocs; i++) {
		const struct proc_snap *p = &snap->procs[i];
		int n = 0;

		fputs(proc_info.name, f);
		fputc('{', f);
		put_label(f, &n, "pid", fmt_u64(pid, p->pid));
		put_label(f, &n, "exe", p->exe);
		put_label(f, &n, "comm", p->comm);
		put_label(f, &n, "go_version", p->go_version);
		if (p->container_id[0])
			put_label(f, &n, "container_id", p->container_id);
		fputs("} 1\n", f);
	}
}

void prom__default_buckets(struct prom_buckets *b)
{
	unsigned int slot;

	b->n = 0;
	for (slot = 7; slot <= 35; slot += 2) /* le 2^8 .. 2^36 ns */
		b->slot[b->n++] = (unsigned char)slot;
}

int prom__parse_buckets(const char *list, struct prom_buckets *b)
{
	const char *s = list;
	char *end;

	b->n = 0;
	for (;;) {
		double v = strtod(s, &end), ns;
		unsigned int slot = 0;

		if (end == s || !(v > 0))
			return -EINVAL;
		ns = v * 1e9;
		while (slot < PROM_MAX_BUCKETS && (double)hist__upper_ns(slot) < ns)
			slot++;
		if (slot == PROM_MAX_BUCKETS || (b->n && slot < b->slot[b->n - 1]))
			return -EINVAL;
		if (!b->n || slot != b->slot[b->n - 1])
			b->slot[b->n++] = (unsigned char)slot;
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return -EINVAL;
		s = end + 1;
	}
}

/* The text of every finite bucket bound, in seconds, formatted once per render. */
struct le_table {
	const struct prom_buckets *b;
	char le[PROM_MAX_BUCKETS][NUM_LEN];
};

static void le_table_init(struct le_table *t, const struct prom_buckets *b)
{
	unsigned int i;
	char buf[NUM_LEN];

	t->b = b;
	for (i = 0; i < b->n; i++)
		snprintf(t->le[i], NUM_LEN, "%s",
			 fmt_double(buf, (double)hist__upper_ns(b->slot[i]) / 1e9));
}

/*
 * Cumulative buckets at the chosen bounds; the calls above the last bound,
 * and those of the top slot (capped, without a finite bound), by +Inf only.
 */
static void put_histogram(FILE *f, const char *name, const char *set, const struct le_table *t,
			  const struct topn_ctr *c)
{
	__u64 cum = 0, count = hist__count(c->buckets);
	char num[NUM_LEN];
	unsigned int i, slot = 0;

	if (c->count > count)
		count = c->count;
	for (i = 0; i < t->b->n; i++) {
		for (; slot <= t->b->slot[i]; slot++)
			cum += c->buckets[slot];
		put_sample(f, name, "_bucket", set, "le", t->le[i], fmt_u64(num, cum));
	}
	put_sample(f, name, "_bucket", set, "le", "+Inf", fmt_u64(num, count));
	put_sample(f, name, "_sum", set, NULL, NULL, fmt_double(num, (double)c->sum_ns / 1e9));
	put_sample(f, name, "_count", set, NULL, NULL, fmt_u64(num, count));
}

/* One function series (or "other") of metric m. */
static void put_func(FILE *f, enum func_metric m, const char *set, const struct le_table *t,
		     const struct topn_ctr *c, __u32 inflight)
{
	const char *name = func_families[m].name;
	char num[NUM_LEN];

	if (m == FM_CALLS)
		put_sample(f, name, "", set, NULL, NULL, fmt_u64(num, c->calls));
	else if (m == FM_DURATION)
		put_histogram(f, name, set, t, c);
	else
		put_sample(f, name, "", set, NULL, NULL, fmt_u64(num, inflight));
}

static void put_func_family(FILE *f, const struct gview *views, size_t n, enum func_metric m,
			    const struct le_table *t)
{
	struct topn_ctr c;
	size_t i, j;

	put_family(f, &func_families[m]);
	for (i = 0; i < n; i++) {
		const struct expo_group *g = views[i].g;

		for (j = 0; j < g->nfuncs; j++) {
			if (!g->top[j].kept)
				continue;
			topn__series(&g->top[j], &c);
			put_func(f, m, views[i].fsets[j], t, &c, g->funcs[j].inflight);
		}
		if (g->has_other)
			put_func(f, m, views[i].other_set, t, &g->other, g->other_inflight);
	}
}

static void put_group_families(FILE *f, const struct gview *views, size_t n)
{
	char num[NUM_LEN];
	size_t i;

	put_family(f, &group_procs);
	for (i = 0; i < n; i++)
		put_sample(f, group_procs.name, "", views[i].set, NULL, NULL,
			   fmt_u64(num, views[i].g->nprocs));
	put_family(f, &group_folded);
	for (i = 0; i < n; i++)
		put_sample(f, group_folded.name, "", views[i].set, NULL, NULL,
			   fmt_u64(num, views[i].g->nother + views[i].g->stats_folded));
}

/* {pid,exe} of a process, or of a group ({exe} when pid is 0). */
static char *pid_exe_set_new(__u32 pid, const char *exe)
{
	char num[NUM_LEN];
	const char *const pairs[][2] = { { "pid", fmt_u64(num, pid) }, { "exe", exe } };

	return pid ? labelset_new(NULL, pairs, 2) : labelset_new(NULL, pairs + 1, 1);
}

static int gview_build(struct gview *v, const struct expo_group *g)
{
	const char *const other[][2] = { { "function", OTHER } };
	size_t i;

	v->g = g;
	v->set = pid_exe_set_new(g->pid, g->exe);
	v->fsets = calloc(g->nfuncs + 1, sizeof(*v->fsets));
	if (!v->set || !v->fsets)
		return -ENOMEM;
	for (i = 0; i < g->nfuncs; i++) {
		const char *const pairs[][2] = { { "function", g->funcs[i].name } };

		if (!g->top[i].kept)
			continue;
		v->fsets[i] = labelset_new(v->set, pairs, 1);
		if (!v->fsets[i])
			return -ENOMEM;
	}
	v->other_set = labelset_new(v->set, other, 1);
	return v->other_set ? 0 : -ENOMEM;
}

struct views {
	struct pview *procs;
	size_t nprocs;
	struct gview *groups;
	size_t ngroups;
};

static void views_free(struct views *v)
{
	size_t i, j;

	for (i = 0; v->procs && i < v->nprocs; i++)
		free(v->procs[i].set);
	for (i = 0; v->groups && i < v->ngroups; i++) {
		for (j = 0; v->groups[i].fsets && j < v->groups[i].g->nfuncs; j++)
			free(v->groups[i].fsets[j]);
		free(v->groups[i].fsets);
		free(v->groups[i].set);
		free(v->groups[i].other_set);
	}
	free(v->procs);
	free(v->groups);
}

static int views_build(struct views *v, const struct snapshot *snap, const struct expo *e)
{
	struct expo_group *const *groups = expo__groups(e, &v->ngroups);
	size_t i;

	v->nprocs = snap->nprocs;
	v->procs = calloc(snap->nprocs + 1, sizeof(*v->procs));
	v->groups = calloc(v->ngroups + 1, sizeof(*v->groups));
	if (!v->procs || !v->groups)
		return -ENOMEM;
	for (i = 0; i < snap->nprocs; i++) {
		v->procs[i].p = &snap->procs[i];
		v->procs[i].set = pid_exe_set_new(snap->procs[i].pid, snap->procs[i].exe);
		if (!v->procs[i].set)
			return -ENOMEM;
	}
	for (i = 0; i < v->ngroups; i++)
		if (gview_build(&v->groups[i], groups[i]))
			return -ENOMEM;
	return 0;
}

static void put_all(FILE *f, const struct snapshot *snap, const struct prom_opts *opts,
		    const struct views *v)
{
	struct prom_buckets defaults;
	struct le_table t;
	int m;

	if (!opts->buckets)
		prom__default_buckets(&defaults);
	le_table_init(&t, opts->buckets ? opts->buckets : &defaults);
	put_agent(f, snap, opts);
	put_proc_info(f, snap);
	for (m = 0; m < PM__MAX; m++)
		put_proc_family(f, v->procs, v->nprocs, m);
	put_group_families(f, v->groups, v->ngroups);
	for (m = 0; m < FM__MAX; m++)
		put_func_family(f, v->groups, v->ngroups, m, &t);
}

/* Renders with e brought up to date with snap. */
static int render(const struct snapshot *snap, const struct prom_opts *opts, struct expo *e,
		  char **text, size_t *len)
{
	struct views v = { 0 };
	int err = expo__update(e, snap, snap->wall_time);
	FILE *f;

	if (!err)
		err = views_build(&v, snap, e);
	f = err ? NULL : open_memstream(text, len);
	if (!f) {
		views_free(&v);
		return -ENOMEM;
	}
	__fsetlocking(f, FSETLOCKING_BYCALLER); /* one thread writes this stream */
	put_all(f, snap, opts, &v);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -ENOMEM;
	views_free(&v);
	return err;
}

int prom__render(const struct snapshot *snap, const struct prom_opts *opts, char **text,
		 size_t *len)
{
	static const struct prom_opts defaults = { 0 };
	struct expo *e;
	int err;

	if (!snap || !text || !len)
		return -EINVAL;
	*text = NULL;
	*len = 0;
	if (!opts)
		opts = &defaults;
	e = opts->expo;
	if (!e)
		e = expo__new(&(struct expo_opts){ .per_process = opts->per_process,
						   .max_functions = opts->max_functions,
						   .linger_s = EXPO_LINGER_S }); /* exited: shown */
	err = e ? render(snap, opts, e, text, len) : -ENOMEM;
	if (e != opts->expo)
		expo__free(e);
	if (err) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return err;
}
