/* prom.c - Prometheus text exposition format 0.0.4 writer (pure: snapshot -> text). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "prom.h"

#define NUM_LEN 40
#define OTHER "other"

struct family {
	const char *name;
	const char *type;
	const char *help;
};

/* Functions of one process as exported: kept ones, then "other" holding the folded rest. */
struct fview {
	const struct proc_snap *p;
	const struct func_snap **funcs;
	char *set; /* the process label set, rendered once */
	char **fsets; /* per kept function: set plus function="name" */
	size_t n;
	size_t folded; /* by stats and by our cap */
	struct func_snap other;
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
	PM_FOLDED,
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
	[PM_FOLDED] = { "cgoscope_process_functions_folded", "gauge",
			"C functions folded into function=\"other\" by the cardinality cap." },
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

/* The process labels {pid,comm,exe,go_version[,container_id]} as a label set. */
static char *proc_labelset_new(const struct proc_snap *p)
{
	char pid[NUM_LEN];
	const char *const pairs[][2] = {
		{ "pid", fmt_u64(pid, p->pid) },
		{ "comm", p->comm },
		{ "exe", p->exe },
		{ "go_version", p->go_version },
		{ "container_id", p->container_id },
	};

	return labelset_new(NULL, pairs, p->container_id[0] ? 5 : 4);
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
static double proc_value(const struct fview *v, enum proc_metric m)
{
	const struct proc_snap *p = v->p;

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
	case PM_FOLDED:
		return (double)v->folded;
	default:
		return NAN;
	}
}

static void put_proc_family(FILE *f, const struct fview *views, size_t n, enum proc_metric m)
{
	const struct family *fam = &proc_families[m];
	char num[NUM_LEN];
	size_t i;

	put_family(f, fam);
	for (i = 0; i < n; i++) {
		double v = proc_value(&views[i], m);

		if (isnan(v))
			continue; /* unknown: no series */
		put_sample(f, fam->name, "", views[i].set, NULL, NULL, fmt_double(num, v));
	}
}

/* The text of every finite bucket bound, in seconds, formatted once per render. */
struct le_table {
	char le[CGOSCOPE_NBUCKETS - 1][NUM_LEN];
};

static void le_table_init(struct le_table *t)
{
	unsigned int i;
	char buf[NUM_LEN];

	for (i = 0; i < CGOSCOPE_NBUCKETS - 1; i++)
		snprintf(t->le[i], NUM_LEN, "%s", fmt_double(buf, (double)hist__upper_ns(i) / 1e9));
}

/*
 * Cumulative buckets for every slot but the last, whose values are capped
 * into it and so have no finite upper bound: they are counted by +Inf only.
 */
static void put_histogram(FILE *f, const char *name, const char *set, const struct le_table *t,
			  const struct func_snap *fn)
{
	__u64 cum = 0, count = hist__count(fn->buckets);
	char num[NUM_LEN];
	unsigned int i;

	if (fn->traced_calls > count)
		count = fn->traced_calls;
	for (i = 0; i < CGOSCOPE_NBUCKETS - 1; i++) {
		cum += fn->buckets[i];
		put_sample(f, name, "_bucket", set, "le", t->le[i], fmt_u64(num, cum));
	}
	put_sample(f, name, "_bucket", set, "le", "+Inf", fmt_u64(num, count));
	put_sample(f, name, "_sum", set, NULL, NULL, fmt_double(num, (double)fn->traced_ns / 1e9));
	put_sample(f, name, "_count", set, NULL, NULL, fmt_u64(num, count));
}

static void put_func_family(FILE *f, const struct fview *views, size_t n, enum func_metric m,
			    const struct le_table *t)
{
	const char *name = func_families[m].name;
	char num[NUM_LEN];
	size_t i, j;

	put_family(f, &func_families[m]);
	for (i = 0; i < n; i++) {
		for (j = 0; j < views[i].n; j++) {
			const struct func_snap *fn = views[i].funcs[j];
			const char *set = views[i].fsets[j];

			if (m == FM_CALLS)
				put_sample(f, name, "", set, NULL, NULL, fmt_u64(num, fn->calls));
			else if (m == FM_DURATION)
				put_histogram(f, name, set, t, fn);
			else
				put_sample(f, name, "", set, NULL, NULL,
					   fmt_u64(num, fn->inflight));
		}
	}
}

static void fold_into(struct func_snap *other, const struct func_snap *f)
{
	unsigned int i;

	other->calls += f->calls;
	other->total_ns += f->total_ns;
	other->traced_calls += f->traced_calls;
	other->traced_ns += f->traced_ns;
	other->estimated |= f->estimated;
	other->inflight += f->inflight;
	if (f->max_ns > other->max_ns)
		other->max_ns = f->max_ns;
	for (i = 0; i < CGOSCOPE_NBUCKETS; i++)
		other->buckets[i] += f->buckets[i];
}

/* Renders the label set of every kept function of v. */
static int view_sets(struct fview *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		const char *const pairs[][2] = { { "function", v->funcs[i]->name } };

		v->fsets[i] = labelset_new(v->set, pairs, 1);
		if (!v->fsets[i])
			return -ENOMEM;
	}
	return 0;
}

/*
 * Applies the cap: keeps the first max-1 functions (the snapshot is sorted by
 * total time) and folds the rest, and any "other" the stats module made, into v->other.
 */
static int view_build(struct fview *v, const struct proc_snap *p, unsigned int max)
{
	size_t i;

	v->p = p;
	v->folded = p->folded;
	v->funcs = calloc(p->nfuncs + 1, sizeof(*v->funcs));
	v->fsets = calloc(p->nfuncs + 1, sizeof(*v->fsets));
	v->set = proc_labelset_new(p);
	if (!v->funcs || !v->fsets || !v->set)
		return -ENOMEM;
	if (!max || p->nfuncs <= max) {
		for (i = 0; i < p->nfuncs; i++)
			v->funcs[v->n++] = &p->funcs[i];
		return view_sets(v);
	}
	snprintf(v->other.name, sizeof(v->other.name), OTHER);
	for (i = 0; i < p->nfuncs; i++) {
		const struct func_snap *fn = &p->funcs[i];
		bool is_other = !strcmp(fn->name, OTHER);

		if (v->n < max - 1 && !is_other) {
			v->funcs[v->n++] = fn;
			continue;
		}
		fold_into(&v->other, fn);
		if (!is_other)
			v->folded++;
	}
	v->funcs[v->n++] = &v->other;
	return view_sets(v);
}

static void views_free(struct fview *views, size_t n)
{
	size_t i, j;

	for (i = 0; views && i < n; i++) {
		for (j = 0; views[i].fsets && j < views[i].n; j++)
			free(views[i].fsets[j]);
		free(views[i].fsets);
		free(views[i].set);
		free(views[i].funcs);
	}
	free(views);
}

static struct fview *views_build(const struct snapshot *snap, unsigned int max)
{
	struct fview *views = calloc(snap->nprocs + 1, sizeof(*views));
	size_t i;

	for (i = 0; views && i < snap->nprocs; i++) {
		if (view_build(&views[i], &snap->procs[i], max)) {
			views_free(views, i + 1);
			return NULL;
		}
	}
	return views;
}

static void put_all(FILE *f, const struct snapshot *snap, const struct prom_opts *opts,
		    const struct fview *views)
{
	struct le_table t;
	int m;

	le_table_init(&t);
	put_agent(f, snap, opts);
	for (m = 0; m < PM__MAX; m++)
		put_proc_family(f, views, snap->nprocs, m);
	for (m = 0; m < FM__MAX; m++)
		put_func_family(f, views, snap->nprocs, m, &t);
}

int prom__render(const struct snapshot *snap, const struct prom_opts *opts, char **text,
		 size_t *len)
{
	static const struct prom_opts defaults = { 0 };
	struct fview *views;
	int err = 0;
	FILE *f;

	if (!snap || !text || !len)
		return -EINVAL;
	*text = NULL;
	*len = 0;
	views = views_build(snap, opts ? opts->max_functions : 0);
	if (!views)
		return -ENOMEM;
	f = open_memstream(text, len);
	if (!f) {
		views_free(views, snap->nprocs);
		return -ENOMEM;
	}
	__fsetlocking(f, FSETLOCKING_BYCALLER); /* one thread writes this stream */
	put_all(f, snap, opts ? opts : &defaults, views);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -ENOMEM;
	views_free(views, snap->nprocs);
	if (err) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return err;
}
