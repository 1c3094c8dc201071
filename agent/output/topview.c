/* topview.c - one screen of `cgoscope top`: processes and their busiest C functions, from two snapshots. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hist.h"
#include "report.h"
#include "topview.h"

/* One function's activity over the interval. */
struct func_rate {
	const struct func_snap *f;
	double calls_s, time_s, avg_ns;
};

static const struct proc_snap *find_proc(const struct snapshot *s, __u32 pid)
{
	for (size_t i = 0; s && i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

static const struct func_snap *find_func(const struct proc_snap *p, __u64 addr)
{
	for (size_t i = 0; p && i < p->nfuncs; i++)
		if (p->funcs[i].addr == addr)
			return &p->funcs[i];
	return NULL;
}

/* Seconds between the snapshots; since start when there is no earlier one. */
static double interval(const struct snapshot *cur, const struct snapshot *prev)
{
	double dt = prev ? cur->wall_time - prev->wall_time : cur->duration_s;

	return dt > 0 ? dt : 1;
}

/* The census's thread-time in C of function addr in p (every Go stack), in ns. */
static __u64 census_ns(const struct proc_snap *p, __u64 addr)
{
	__u64 ns = 0;

	for (size_t i = 0; p && i < p->nctime; i++)
		if (p->ctime[i].fn == addr)
			ns += p->ctime[i].ns;
	return ns;
}

/*
 * f's calls and time in C over the interval. The time is the larger of the
 * completed calls' and the census's (threads seen in C): calls still in C
 * (blocked) complete nothing, and the census misses calls shorter than a
 * read; each alone is a lower bound.
 */
static struct func_rate rate_of(const struct proc_snap *p, const struct func_snap *f,
				const struct proc_snap *before, double dt)
{
	const struct func_snap *b = find_func(before, f->addr);
	__u64 calls = f->calls - (b && b->calls <= f->calls ? b->calls : 0);
	__u64 ns = f->total_ns - (b && b->total_ns <= f->total_ns ? b->total_ns : 0);
	__u64 seen = census_ns(p, f->addr), seen_before = census_ns(before, f->addr);
	__u64 in_c = seen >= seen_before ? seen - seen_before : 0;

	return (struct func_rate){ .f = f,
				   .calls_s = calls / dt,
				   .time_s = (in_c > ns ? in_c : ns) / 1e9 / dt,
				   .avg_ns = calls ? (double)ns / calls : 0 };
}

static int cmp_rate(const void *a, const void *b)
{
	const struct func_rate *x = a, *y = b;

	if (x->time_s != y->time_s)
		return x->time_s < y->time_s ? 1 : -1;
	return x->calls_s < y->calls_s ? 1 : x->calls_s > y->calls_s ? -1 : 0;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_snap *const *x = a, *const *y = b;

	if ((*x)->verdict != (*y)->verdict)
		return (*x)->verdict < (*y)->verdict ? 1 : -1;
	return (*x)->threads.current < (*y)->threads.current ? 1 : -1;
}

static const char *short_rate(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.1f", v);
	return buf;
}

static void put_summary(FILE *out, const struct snapshot *cur)
{
	long long threads = 0, inc = 0;
	unsigned long long lost = 0;
	size_t blocked = 0;
	char clock[16];
	time_t now = (time_t)cur->wall_time;
	struct tm tm;

	for (size_t i = 0; i < cur->nprocs; i++) {
		threads += cur->procs[i].threads.current;
		inc += cur->procs[i].inflight;
		blocked += cur->procs[i].nblocked;
	}
	for (int i = 0; i < CGOSCOPE_DROP__MAX; i++)
		lost += cur->drops[i];
	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	fprintf(out,
		"cgoscope top - %s  processes: %zu  threads: %lld  in C: %lld  long-blocking: %zu  "
		"lost: %llu\n\n",
		clock, cur->nprocs, threads, inc, blocked, lost);
}

/* Calls the process made: the runtime's count when known, else those traced. */
static __u64 made(const struct proc_snap *p)
{
	return p->exact_calls >= 0 ? (__u64)p->exact_calls : p->calls;
}

static void put_proc(FILE *out, const struct proc_snap *p, const struct proc_snap *before,
		     double dt)
{
	char maxp[16], rate[16], comm[SNAP_PATH_LEN];
	__u64 calls = made(p) - (before && made(before) <= made(p) ? made(before) : 0);

	if (p->gomaxprocs > 0)
		snprintf(maxp, sizeof(maxp), "%d", p->gomaxprocs);
	else
		snprintf(maxp, sizeof(maxp), "?");
	fprintf(out, "%7u %-15.15s %-9.9s %7lld %6lld %6lld/%-4s %8zu %9s  %s\n", p->pid,
		report__printable(comm, p->comm),
		p->go_version, (long long)p->threads.current, (long long)p->threads.peak,
		(long long)p->inflight, maxp, p->nblocked, short_rate(rate, sizeof(rate), calls / dt),
		snapshot__verdict_name(p->verdict));
	if (p->nreasons)
		fprintf(out, "        ! %.*s\n", SNAP_REASON_LEN, p->reasons[0]);
}

static int put_funcs(FILE *out, const struct proc_snap *p, const struct proc_snap *before,
		     double dt, unsigned int max)
{
	struct func_rate *r;
	char a[16], b[16], c[16], d[16], name[SNAP_PATH_LEN];

	if (!p->nfuncs) /* no cgo call seen yet: no table to show */
		return 0;
	r = calloc(p->nfuncs, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < p->nfuncs; i++)
		r[i] = rate_of(p, &p->funcs[i], before, dt);
	qsort(r, p->nfuncs, sizeof(*r), cmp_rate);
	fprintf(out, "\n  PID %u: %-24s %9s %9s %9s %9s %5s\n", p->pid, "FUNCTION", "CALLS/S",
		"C TIME/S", "AVG", "P99", "IN C");
	for (size_t i = 0; i < p->nfuncs && i < max; i++) {
		const struct func_snap *f = r[i].f;

		report__fmt_ns(b, sizeof(b), r[i].avg_ns);
		report__fmt_ns(c, sizeof(c), hist__quantile(f->buckets, 0.99, f->max_ns));
		snprintf(d, sizeof(d), "%.2f", r[i].time_s);
		fprintf(out, "  %-33.33s %9s %9s %9s %9s %5u\n", report__printable(name, f->name),
			short_rate(a, sizeof(a), r[i].calls_s), d, r[i].calls_s ? b : "-",
			f->traced_calls ? c : "-", f->inflight);
	}
	free(r);
	return 0;
}

int topview__render(FILE *out, const struct snapshot *cur, const struct snapshot *prev,
		    const struct topview_opts *opts)
{
	unsigned int max_funcs = opts && opts->max_funcs ? opts->max_funcs : 5;
	unsigned int max_procs = opts && opts->max_procs ? opts->max_procs : 20;
	const struct proc_snap **order;
	double dt = interval(cur, prev);
	size_t shown;
	int err = 0;

	order = calloc(cur->nprocs ? cur->nprocs : 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < cur->nprocs; i++)
		order[i] = &cur->procs[i];
	qsort(order, cur->nprocs, sizeof(*order), cmp_proc);
	shown = cur->nprocs < max_procs ? cur->nprocs : max_procs;
	put_summary(out, cur);
	fprintf(out, "%7s %-15s %-9s %7s %6s %11s %8s %9s  %s\n", "PID", "COMM", "GO", "THREADS",
		"PEAK", "IN C/MAXP", "BLOCKED", "CALLS/S", "VERDICT");
	for (size_t i = 0; i < shown; i++)
		put_proc(out, order[i], find_proc(prev, order[i]->pid), dt);
	if (!cur->nprocs)
		fprintf(out, "  (no Go process with cgo traced yet)\n");
	for (size_t i = 0; i < shown && !err; i++)
		err = put_funcs(out, order[i], find_proc(prev, order[i]->pid), dt, max_funcs);
	free(order);
	if (!err && ferror(out))
		err = -EIO;
	return err;
}
