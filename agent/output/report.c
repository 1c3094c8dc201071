/* report.c - the CLI text report of a snapshot: function tables, histograms, threads, verdict. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "report.h"

#define DUR_LEN 32
#define STARS_MAX 40
#define NAME_WIDTH_MIN 8
#define NAME_WIDTH_MAX 48

static const struct unit {
	const char *suffix; /* for report__fmt_ns */
	const char *label;  /* for histogram headers */
	double div;
} units[] = {
	{ "ns", "nsecs", 1 },
	{ "us", "usecs", 1e3 },
	{ "ms", "msecs", 1e6 },
	{ "s", "secs", 1e9 },
};

#define NUNITS (sizeof(units) / sizeof(units[0]))

/* Decimals that give 3 significant digits to v in [0, 999.5); rounding is taken into account. */
static int sig3_decimals(double v)
{
	if (v < 9.995)
		return 2;
	if (v < 99.95)
		return 1;
	return 0;
}

int report__fmt_ns(char *buf, size_t len, double ns)
{
	const char *sign = "";
	unsigned int u;
	double v;
	int n;

	if (!buf || !len)
		return -EINVAL;
	if (!isfinite(ns)) {
		n = snprintf(buf, len, "?");
		return (size_t)n < len ? 0 : -ENOSPC;
	}
	if (ns < 0) {
		sign = "-";
		ns = -ns;
	}
	if (ns < 999.5) {
		n = snprintf(buf, len, "%s%.0fns", sign, ns);
		return (size_t)n < len ? 0 : -ENOSPC;
	}
	for (u = 1; u < NUNITS - 1 && ns / units[u].div >= 999.5; u++)
		;
	v = ns / units[u].div;
	n = snprintf(buf, len, "%s%.*f%s", sign, sig3_decimals(v), v, units[u].suffix);
	return (size_t)n < len ? 0 : -ENOSPC;
}

/* report__fmt_ns into a caller's DUR_LEN buffer, for use inside printf arguments. */
static const char *dur(char buf[DUR_LEN], double ns)
{
	report__fmt_ns(buf, DUR_LEN, ns);
	return buf;
}

const char *report__printable(char buf[SNAP_PATH_LEN], const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < SNAP_PATH_LEN - 1; i++)
		buf[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

#define printable report__printable

static bool func_shown(const struct func_snap *f, const struct report_opts *opts)
{
	return f->calls >= opts->min_calls;
}

static int name_width(const struct proc_snap *p, const struct report_opts *opts)
{
	size_t i, w = NAME_WIDTH_MIN;

	for (i = 0; i < p->nfuncs; i++) {
		size_t n = strlen(p->funcs[i].name);

		if (func_shown(&p->funcs[i], opts) && n > w)
			w = n;
	}
	return w < NAME_WIDTH_MAX ? (int)w : NAME_WIDTH_MAX;
}

/* How complete the counts are: probes' coverage vs the runtime's exact total. */
/* Whether some function's calls (or, with total, its time) are a lower bound. */
static bool any_lower_bound(const struct proc_snap *p, bool total)
{
	for (size_t i = 0; i < p->nfuncs; i++)
		if (total ? p->funcs[i].total_lower_bound : p->funcs[i].lower_bound)
			return true;
	return false;
}

static void print_coverage(FILE *out, const struct proc_snap *p)
{
	fprintf(out, "  calls: %llu traced", (unsigned long long)p->calls);
	if (p->exact_calls >= 0 && p->exact_partial)
		fprintf(out, ", at least %lld made (the runtime's own count, last read before it exited)",
			(long long)p->exact_calls);
	else if (p->exact_calls >= 0)
		fprintf(out, ", %lld made (the runtime's own count)", (long long)p->exact_calls);
	if (p->sampled)
		fprintf(out, "; SAMPLING: probes on %.1f%% of the time (overhead budget)",
			p->sampling_ratio * 100);
	if (p->probe_overhead > 0)
		fprintf(out, "; probes cost ~%.2f%% of a CPU", p->probe_overhead * 100);
	fputc('\n', out);
	if (p->sampled && p->nfuncs)
		fprintf(out,
			"  ~: estimated calls made (and their time in C) from the calls traced; "
			"AVG, P50, P99, MAX of traced calls\n");
	if (p->sampled && any_lower_bound(p, false))
		fprintf(out, "  >= CALLS: never traced, only seen in C by the census: at least that "
			     "many calls\n");
	if (p->sampled && any_lower_bound(p, true))
		fprintf(out, "  >= TOTAL: calls shorter than the probes' own time are timed only when "
			     "traced: at least that long\n");
	if (p->unattributed)
		fprintf(out,
			"  %llu calls were made while no probe saw which functions they went to\n",
			(unsigned long long)p->unattributed);
}

static void print_header(FILE *out, const struct snapshot *snap, const struct proc_snap *p)
{
	char d1[DUR_LEN], d2[DUR_LEN], d3[DUR_LEN], comm[SNAP_PATH_LEN], exe[SNAP_PATH_LEN];

	fprintf(out, "PID %u (%s) %s %s", p->pid, printable(comm, p->comm), printable(exe, p->exe),
		p->go_version[0] ? p->go_version : "go?");
	if (p->nspid && p->nspid != p->pid)
		fprintf(out, ", pid %u in its namespace", p->nspid);
	if (p->container_id[0])
		fprintf(out, ", container %.12s", p->container_id);
	if (p->exited)
		fprintf(out, ", process exited");
	if (p->placement && !strcmp(p->placement, "none"))
		fprintf(out, "\n  traced %s with no probes: the runtime's counts and the census only\n",
			dur(d1, snap->duration_s * 1e9));
	else
		fprintf(out, "\n  traced %s; probes at %s cost %s per call, %s of it inside every span\n",
			dur(d1, snap->duration_s * 1e9), p->placement ? p->placement : "?",
			dur(d2, p->probe_cost_ns), dur(d3, p->span_floor_ns));
	print_coverage(out, p);
}

/* A count, "~" before it when estimated. */
/* A count with mark ("~": estimated, ">=": a lower bound, "") before it. */
static const char *count_mark(char buf[DUR_LEN], __u64 n, const char *mark)
{
	snprintf(buf, DUR_LEN, "%.2s%llu", mark, (unsigned long long)n);
	return buf;
}

static const char *count(char buf[DUR_LEN], __u64 n, bool estimated)
{
	return count_mark(buf, n, estimated ? "~" : "");
}

/* A duration with mark ("~": estimated, ">=": a lower bound, "") before it. */
static const char *dur_mark(char buf[DUR_LEN], double ns, const char *mark)
{
	char d[DUR_LEN];

	snprintf(buf, DUR_LEN, "%.2s%.28s", mark, dur(d, ns));
	return buf;
}

/* One row; with `traced`, the TRACED column after CALLS (a sampled process). */
static void print_func_row(FILE *out, const struct func_snap *f, int width, bool traced)
{
	char tot[DUR_LEN], avg[DUR_LEN], p50[DUR_LEN], p99[DUR_LEN], max[DUR_LEN];
	char calls[DUR_LEN], tr[DUR_LEN], name[SNAP_PATH_LEN];
	double mean = f->traced_calls ? (double)f->traced_ns / (double)f->traced_calls : 0;

	fprintf(out, "  %-*s %10s", width, printable(name, f->name),
		count_mark(calls, f->calls, f->lower_bound ? ">=" : f->estimated ? "~" : ""));
	if (traced)
		fprintf(out, " %9s", count(tr, f->traced_calls, false));
	if (!f->traced_calls) { /* only calls still in C, or never traced: no durations */
		/* ... but the census may have followed some from unseen start to end */
		bool seen = f->total_lower_bound && f->total_ns;

		fprintf(out, " %9s %9s %9s %9s %9s\n",
			seen ? dur_mark(tot, (double)f->total_ns, ">=") : "-", "-", "-", "-",
			seen ? dur_mark(max, (double)f->max_ns, ">=") : "-");
		return;
	}
	fprintf(out, " %9s %9s %9s %9s %9s\n",
		dur_mark(tot, (double)f->total_ns,
			 f->total_lower_bound ? ">=" : f->estimated ? "~" : ""),
		dur(avg, mean),
		dur(p50, hist__quantile(f->buckets, 0.50, f->max_ns)),
		dur(p99, hist__quantile(f->buckets, 0.99, f->max_ns)), dur(max, (double)f->max_ns));
}

static void print_table(FILE *out, const struct proc_snap *p, const struct report_opts *opts)
{
	int width = name_width(p, opts);
	size_t i, hidden = 0;

	for (i = 0; i < p->nfuncs; i++) {
		if (!func_shown(&p->funcs[i], opts)) {
			hidden++;
			continue;
		}
		if (i == hidden) {
			fprintf(out, "  %-*s %10s", width, "FUNCTION", "CALLS");
			if (p->sampled)
				fprintf(out, " %9s", "TRACED");
			fprintf(out, " %9s %9s %9s %9s %9s\n", "TOTAL", "AVG", "P50", "P99", "MAX");
		}
		print_func_row(out, &p->funcs[i], width, p->sampled);
	}
	if (hidden)
		fprintf(out, "  (%zu function%s with fewer than %llu calls hidden)\n", hidden,
			hidden == 1 ? "" : "s", (unsigned long long)opts->min_calls);
	if (p->folded)
		fprintf(out, "  (%zu functions folded into \"other\")\n", p->folded);
}

/* Unit for histogram bounds: the largest upper bound stays within 6 digits. */
static const struct unit *hist_unit(__u64 hi_ns)
{
	unsigned int u;

	for (u = 0; u < NUNITS - 1 && (double)hi_ns / units[u].div > 1e5; u++)
		;
	return &units[u];
}

static void fmt_bound(char buf[DUR_LEN], __u64 ns, const struct unit *unit)
{
	double v = (double)ns / unit->div;
	int decimals = v >= 100 ? 0 : v >= 10 ? 1 : v >= 1 ? 2 : 3;

	if (unit->div == 1 || ns == 0)
		snprintf(buf, DUR_LEN, "%llu", (unsigned long long)ns);
	else
		snprintf(buf, DUR_LEN, "%.*f", decimals, v);
}

static void print_stars(FILE *out, __u64 val, __u64 val_max)
{
	int stars = val_max ? (int)((double)val * STARS_MAX / (double)val_max) : 0;

	fprintf(out, "|%.*s%*s|\n", stars, "****************************************",
		STARS_MAX - stars, "");
}

/* libbpf-tools style log2 histogram of one function, non-empty range of slots only. */
static void print_hist(FILE *out, const struct func_snap *f)
{
	int i, first = -1, last = -1;
	const struct unit *unit;
	char lo[DUR_LEN], hi[DUR_LEN], name[SNAP_PATH_LEN];
	__u64 val_max = 0;

	for (i = 0; i < CGOSCOPE_NBUCKETS; i++) {
		if (!f->buckets[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (f->buckets[i] > val_max)
			val_max = f->buckets[i];
	}
	if (last < 0)
		return;
	unit = hist_unit(hist__upper_ns(last));
	fprintf(out, "\n  %s\n%*s%-*s : count    distribution\n", printable(name, f->name), 5, "",
		19, unit->label);
	for (i = first; i <= last; i++) {
		fmt_bound(lo, hist__lower_ns(i), unit);
		fmt_bound(hi, hist__upper_ns(i), unit);
		fprintf(out, "%10s -> %-10s : %-8llu ", lo, hi, (unsigned long long)f->buckets[i]);
		print_stars(out, f->buckets[i], val_max);
	}
}

#define REPORT_MAX_BLOCKED 10

static bool has_lower_bound(const struct proc_snap *p)
{
	for (size_t i = 0; i < p->nblocked && i < REPORT_MAX_BLOCKED; i++)
		if (p->blocked[i].elapsed_lower_bound)
			return true;
	return false;
}

#define REPORT_CALLER_FRAMES 3 /* Go frames shown of a stack, from its caller up */

/* The stack of index stack in snap, or NULL. */
static const struct snap_stack *stack_at(const struct snapshot *snap, int stack)
{
	return stack >= 0 && (size_t)stack < snap->nstacks ? &snap->stacks[stack] : NULL;
}

/*
 * Who called C, from stack (an index of snap->stacks, -1: unknown): the
 * caller and the frames above it, "f (file.go:12) <- g <- h".
 */
static void print_called_from(FILE *out, const struct snapshot *snap, int stack)
{
	const struct snap_stack *s = stack_at(snap, stack);
	unsigned int shown = 0;
	char buf[SNAP_PATH_LEN];

	for (unsigned int i = s ? s->caller_at : 0; s && i < s->n && shown < REPORT_CALLER_FRAMES;
	     i++) {
		const struct snap_frame *f = &s->frames[i];
		const char *base = strrchr(f->file, '/');

		fprintf(out, "%s%s", shown ? " <- " : "", printable(buf, f->func));
		if (!shown && f->line)
			fprintf(out, " (%s:%u)", printable(buf, base ? base + 1 : f->file), f->line);
		shown++;
	}
	/* the call left C while its stack was read, or BPF's stack map was full */
	if (!shown)
		fputs("(Go stack not read)", out);
	fputc('\n', out);
}

static void print_blocked(FILE *out, const struct snapshot *snap, const struct proc_snap *p)
{
	char d[DUR_LEN], name[SNAP_PATH_LEN];
	size_t i;

	fprintf(out, "  long-blocking calls (> %s): %llu completed, ", dur(d, (double)snap->long_ns),
		(unsigned long long)p->long_calls);
	if (p->long_calls_unseen)
		fprintf(out, "%llu of them begun unseen (timed by the census: at least that long), ",
			(unsigned long long)p->long_calls_unseen);
	if (!p->nblocked) {
		fprintf(out, "none in C now\n");
		return;
	}
	fprintf(out, "%zu in C now:\n  %10s %-24s %9s  %s\n", p->nblocked, "TID", "FUNCTION",
		"ELAPSED", "CALLED FROM");
	for (i = 0; i < p->nblocked && i < REPORT_MAX_BLOCKED; i++) {
		fprintf(out, "  %10u %-24s %9s  ", p->blocked[i].tid,
			printable(name, p->blocked[i].func),
			dur_mark(d, (double)p->blocked[i].elapsed_ns,
				 p->blocked[i].elapsed_lower_bound ? ">=" : ""));
		print_called_from(out, snap, p->blocked[i].stack);
	}
	if (has_lower_bound(p))
		fprintf(
		    out,
		    "  (>=: the call began before the probes saw it: in C at least that long)\n");
	if (p->nblocked > REPORT_MAX_BLOCKED)
		fprintf(out, "  ... and %zu more (--json lists all)\n", p->nblocked - REPORT_MAX_BLOCKED);
}

#define REPORT_MAX_CTIME 10
#define REPORT_CALLER_FUNCS 5 /* functions whose Go callers are shown */
#define REPORT_CALLERS	    3 /* callers shown per function */

/* The Go callers of the traced calls of the busiest functions. */
static void print_callers(FILE *out, const struct snapshot *snap, const struct proc_snap *p)
{
	char name[SNAP_PATH_LEN], n[DUR_LEN], d[DUR_LEN];
	bool head = false;

	for (size_t i = 0; i < p->nfuncs && i < REPORT_CALLER_FUNCS; i++) {
		const struct func_snap *f = &p->funcs[i];

		for (size_t j = 0; j < f->ncallers && j < REPORT_CALLERS; j++) {
			const struct caller_snap *c = &f->callers[j];

			bool approx = f->estimated || !c->exact;

			if (!head)
				fprintf(out, "\n  Go callers: each function's calls by Go stack (its "
					     "share of the traced calls; ~: estimated)\n"
					     "  %-24s %10s %6s %9s  %s\n",
					"FUNCTION", "CALLS", "SHARE", "TOTAL", "CALLED FROM");
			head = true;
			fprintf(out, "  %-24s %10s %5.1f%% %9s  ", j ? "" : printable(name, f->name),
				count(n, (__u64)llround((double)f->calls * c->share), approx),
				100 * c->share,
				dur_mark(d, (double)f->total_ns * c->time_share, approx ? "~" : ""));
			print_called_from(out, snap, c->stack);
		}
	}
}

/*
 * Whether stacks a and b print the same CALLED FROM: the same frames from
 * their callers up, as far as print_called_from() shows them.
 */
static bool same_shown(const struct snapshot *snap, int a, int b)
{
	const struct snap_stack *x = stack_at(snap, a), *y = stack_at(snap, b);
	unsigned int i, j, k;

	if (!x || !y)
		return !x == !y;
	for (i = x->caller_at, j = y->caller_at, k = 0; k < REPORT_CALLER_FRAMES; i++, j++, k++) {
		if (i >= x->n || j >= y->n)
			return i >= x->n && j >= y->n;
		if (strcmp(x->frames[i].func, y->frames[j].func) ||
		    (!k && (x->frames[i].line != y->frames[j].line ||
			    strcmp(x->frames[i].file, y->frames[j].file))))
			return false;
	}
	return true;
}

/* The C-time profile: where threads spent their time in C, by function and Go caller. */
static void print_ctime(FILE *out, const struct snapshot *snap, const struct proc_snap *p)
{
	char d[DUR_LEN], name[SNAP_PATH_LEN];
	double total = (double)p->ctime_other_ns;
	bool *shown;
	size_t i, rows = 0;

	if (!p->census_ns || !p->nctime)
		return;
	for (i = 0; i < p->nctime; i++)
		total += (double)p->ctime[i].ns;
	shown = calloc(p->nctime, sizeof(*shown));
	fprintf(out, "\n  time in C, sampled by the census over %s (%.1f/s%s): thread-time per "
		     "function and Go caller\n  %9s %6s  %-24s %s\n",
		dur(d, (double)p->census_ns), (double)p->censuses * 1e9 / (double)p->census_ns,
		p->census_paced ? ", paced by --census-budget" : "", "THREAD-T", "SHARE",
		"FUNCTION", "CALLED FROM");
	/* rows that would print alike (they differ deeper in the stack) are one row here */
	for (i = 0; i < p->nctime && rows < REPORT_MAX_CTIME; i++) {
		const struct ctime_snap *t = &p->ctime[i];
		double ns = (double)t->ns;

		if (shown && shown[i])
			continue;
		for (size_t j = i + 1; shown && j < p->nctime; j++)
			if (!shown[j] && p->ctime[j].fn == t->fn && same_shown(snap, t->stack, p->ctime[j].stack)) {
				shown[j] = true;
				ns += (double)p->ctime[j].ns;
			}
		rows++;
		fprintf(out, "  %9s %5.1f%%  %-24s ", dur(d, ns), total > 0 ? 100.0 * ns / total : 0,
			printable(name, t->func));
		print_called_from(out, snap, t->stack);
	}
	for (; shown && i < p->nctime && shown[i]; i++)
		;
	free(shown);
	if (i < p->nctime || p->ctime_other_ns)
		fprintf(out, "  (more in --json and --pprof)\n");
	if (p->census_torn || p->census_lost || p->census_stack_torn)
		fprintf(out,
			"  census: %llu threads seen in C; not counted: %llu that left C while read "
			"(short calls are undercounted), %llu unreadable; %llu without a stack\n",
			(unsigned long long)p->census_seen, (unsigned long long)p->census_torn,
			(unsigned long long)p->census_lost, (unsigned long long)p->census_stack_torn);
}

static void print_threads(FILE *out, const struct snapshot *snap, const struct proc_snap *p)
{
	const struct threads_snap *t = &p->threads;

	fprintf(out, "\n  threads: %lld now, peak %lld; created %llu (%llu by C), exited %llu;",
		(long long)t->current, (long long)t->peak, (unsigned long long)t->created,
		(unsigned long long)t->created_c, (unsigned long long)t->exited);
	fprintf(out, " Go threads growing %+.2f/s\n", t->growth_per_s);
	fprintf(out, "  in C: %lld now, peak %lld; ", (long long)p->inflight,
		(long long)p->inflight_peak);
	if (p->gomaxprocs >= 0)
		fprintf(out, "GOMAXPROCS %d; ", p->gomaxprocs);
	else
		fprintf(out, "GOMAXPROCS unknown; ");
	fprintf(out, "thread limit %d%s\n", p->max_threads,
		p->max_threads_assumed ? " (assumed)" : "");
	print_blocked(out, snap, p);
}

static void print_verdict(FILE *out, const struct proc_snap *p)
{
	const char *name = snapshot__verdict_name(p->verdict);
	size_t i;

	fprintf(out, "  verdict: ");
	for (i = 0; name[i]; i++)
		fputc(toupper((unsigned char)name[i]), out);
	fputc('\n', out);
	for (i = 0; i < p->nreasons && i < SNAP_REASONS; i++)
		fprintf(out, "    - %.*s\n", SNAP_REASON_LEN, p->reasons[i]);
	if (p->worst_verdict > p->verdict)
		fprintf(out, "  worst during the run: %s: %.*s\n",
			snapshot__verdict_name(p->worst_verdict), SNAP_REASON_LEN, p->worst_reason);
}

static void print_drops(FILE *out, const struct snapshot *snap)
{
	bool any = false;
	int i;

	for (i = 0; i < CGOSCOPE_DROP__MAX; i++) {
		if (!snap->drops[i])
			continue;
		fprintf(out, "%s %s %llu", any ? "," : "lost data:", snapshot__drop_name(i),
			(unsigned long long)snap->drops[i]);
		any = true;
	}
	if (any)
		fputc('\n', out);
}

static void print_proc(FILE *out, const struct snapshot *snap, const struct proc_snap *p,
		       const struct report_opts *opts)
{
	size_t i;

	print_header(out, snap, p);
	fputc('\n', out);
	if (!p->nfuncs)
		fprintf(out, "  no cgo calls seen\n");
	print_table(out, p, opts);
	for (i = 0; opts->histograms && i < p->nfuncs; i++)
		if (func_shown(&p->funcs[i], opts))
			print_hist(out, &p->funcs[i]);
	print_callers(out, snap, p);
	print_ctime(out, snap, p);
	print_threads(out, snap, p);
	print_verdict(out, p);
}

int report__print(FILE *out, const struct snapshot *snap, const struct report_opts *opts)
{
	static const struct report_opts defaults = { 0 };
	size_t i;

	if (!out || !snap)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	if (!snap->nprocs)
		fprintf(out, "no cgo calls seen\n");
	for (i = 0; i < snap->nprocs; i++) {
		if (i)
			fputc('\n', out);
		print_proc(out, snap, &snap->procs[i], opts);
	}
	print_drops(out, snap);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
