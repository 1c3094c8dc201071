/* starve.c - the M-thread starvation verdict: rules over threads, in-flight and long-blocking calls. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "starve.h"

void starve__default_opts(struct starve_opts *o)
{
	o->warn_fraction = 0.5;
	o->crit_fraction = 0.8;
	o->eta_s = 300;
	o->min_growth = 0.5;
}

__attribute__((format(printf, 3, 4))) static void reason(struct proc_snap *ps, enum verdict v,
							 const char *fmt, ...)
{
	size_t at = ps->nreasons;
	va_list ap;

	if (v > ps->verdict) { /* the most severe reason comes first */
		ps->verdict = v;
		at = 0;
	}
	if (at >= SNAP_REASONS)
		return; /* full, and no more severe than what is there */
	if (ps->nreasons == SNAP_REASONS)
		ps->nreasons--; /* the last one makes room */
	memmove(ps->reasons[at + 1], ps->reasons[at], (ps->nreasons - at) * SNAP_REASON_LEN);
	ps->nreasons++;
	va_start(ap, fmt);
	vsnprintf(ps->reasons[at], SNAP_REASON_LEN, fmt, ap);
	va_end(ap);
}

enum verdict starve__evaluate(struct proc_snap *ps, const struct starve_opts *o)
{
	const struct threads_snap *th = &ps->threads;
	int procs = ps->gomaxprocs > 0 ? ps->gomaxprocs : 1;
	bool saturated = ps->inflight >= procs;
	bool growing = th->growth_per_s >= o->min_growth;
	double limit = ps->max_threads > 0 ? ps->max_threads : 10000;
	const char *assumed = ps->max_threads_assumed ? " (assumed)" : "";
	double eta = growing ? (limit - th->current) / th->growth_per_s : 0;

	ps->verdict = VERDICT_OK;
	ps->nreasons = 0;
	/*
	 * reason() puts a more severe reason first but appends an equally severe
	 * one, so the rules are applied most severe first: critical, then warning.
	 */
	if (th->current >= o->crit_fraction * limit)
		reason(ps, VERDICT_CRITICAL, "%lld OS threads: %.0f%% of the thread limit %d%s",
		       (long long)th->current, 100.0 * th->current / limit, ps->max_threads, assumed);
	if (saturated && growing && eta <= o->eta_s)
		reason(ps, VERDICT_CRITICAL,
		       "at %.1f threads/s the thread limit %d%s is reached in %.0f s",
		       th->growth_per_s, ps->max_threads, assumed, eta > 0 ? eta : 0);
	if (th->current < o->crit_fraction * limit && th->current >= o->warn_fraction * limit)
		reason(ps, VERDICT_WARNING, "%lld OS threads: %.0f%% of the thread limit %d%s",
		       (long long)th->current, 100.0 * th->current / limit, ps->max_threads, assumed);
	if (saturated && growing)
		reason(ps, VERDICT_WARNING,
		       "%lld threads in C calls (GOMAXPROCS %d) and threads growing by %.1f/s",
		       (long long)ps->inflight, procs, th->growth_per_s);
	if (saturated && ps->nblocked > 0)
		reason(ps, VERDICT_WARNING,
		       "%zu calls blocked in C longer than the threshold (longest %.1f s in %s); "
		       "%lld threads in C, GOMAXPROCS %d",
		       ps->nblocked, ps->blocked[0].elapsed_ns / 1e9, ps->blocked[0].func,
		       (long long)ps->inflight, procs);
	return ps->verdict;
}
