/* starve.c - the M-thread starvation verdict: rules over threads and calls in C. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "starve.h"

void starve__default_opts(struct starve_opts *o)
{
	o->warn_fraction = 0.5;
	o->crit_fraction = 0.8;
	o->eta_s = 300;
	o->min_growth = 0.5;
	o->min_blocked = 4;
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

/* Whether blocked calls a and b are in the same function, called from the same Go function. */
static bool same_place(const struct blocked_snap *a, const struct blocked_snap *b)
{
	return !strcmp(a->func, b->func) &&
	       !strcmp(a->caller ? a->caller : "", b->caller ? b->caller : "");
}

static size_t place_hash(const struct blocked_snap *b)
{
	size_t h = 5381;

	for (const char *s = b->func; *s; s++)
		h = h * 33 + (unsigned char)*s;
	for (const char *s = b->caller ? b->caller : ""; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/*
 * The blocked call whose place (function and caller) most of ps's blocked
 * calls share (*n of them), or NULL without any: counted in one pass (a
 * starving process has thousands). Without memory for the count, the first
 * one's place.
 */
static const struct blocked_snap *most_blocked(const struct proc_snap *ps, size_t *n)
{
	size_t nslot = 16, best = 0;
	struct slot {
		size_t first, count; /* first: index + 1, 0 free */
	} *slots;

	*n = 0;
	if (!ps->nblocked)
		return NULL;
	while (nslot < 2 * ps->nblocked)
		nslot *= 2;
	slots = calloc(nslot, sizeof(*slots));
	if (!slots) {
		*n = 1;
		return &ps->blocked[0];
	}
	for (size_t i = 0; i < ps->nblocked; i++) {
		size_t s = place_hash(&ps->blocked[i]) & (nslot - 1);

		while (slots[s].first && !same_place(&ps->blocked[slots[s].first - 1], &ps->blocked[i]))
			s = (s + 1) & (nslot - 1);
		if (!slots[s].first)
			slots[s].first = i + 1;
		if (++slots[s].count > *n || (slots[s].count == *n && slots[s].first - 1 < best)) {
			*n = slots[s].count;
			best = slots[s].first - 1;
		}
	}
	free(slots);
	return &ps->blocked[best];
}

/* The threads the limit counts: the runtime's when known (*what says which). */
static long long threads_of(const struct proc_snap *ps, const char **what)
{
	*what = ps->threads.go >= 0 ? "Go threads" : "OS threads";
	return ps->threads.go >= 0 ? ps->threads.go : ps->threads.current;
}

/* The fraction rules: critical or warning as threads near the limit. */
static void near_limit(struct proc_snap *ps, const struct starve_opts *o, double limit)
{
	const char *what, *assumed = ps->max_threads_assumed ? " (assumed)" : "";
	long long n = threads_of(ps, &what);
	enum verdict v = n >= o->crit_fraction * limit	 ? VERDICT_CRITICAL
			 : n >= o->warn_fraction * limit ? VERDICT_WARNING
							 : VERDICT_OK;

	if (v != VERDICT_OK)
		reason(ps, v, "%lld %s: %.0f%% of the thread limit %d%s", n, what,
		       100.0 * n / limit, ps->max_threads, assumed);
}

enum verdict starve__evaluate(struct proc_snap *ps, const struct starve_opts *o)
{
	const struct threads_snap *th = &ps->threads;
	int procs = ps->gomaxprocs > 0 ? ps->gomaxprocs : 1;
	bool saturated = ps->inflight >= procs;
	bool growing = th->growth_per_s >= o->min_growth;
	double limit = ps->max_threads > 0 ? ps->max_threads : 10000;
	const char *what, *assumed = ps->max_threads_assumed ? " (assumed)" : "";
	const struct blocked_snap *top;
	long long n = threads_of(ps, &what);
	double eta = growing ? (limit - n) / th->growth_per_s : 0;
	size_t many = (size_t)procs > o->min_blocked ? (size_t)procs : o->min_blocked, in_fn;

	ps->verdict = VERDICT_OK;
	ps->nreasons = 0;
	/*
	 * reason() puts a more severe reason first but appends an equally severe
	 * one, so the rules are applied most severe first: critical, then warning.
	 */
	if (n >= o->crit_fraction * limit)
		near_limit(ps, o, limit);
	if (saturated && growing && eta <= o->eta_s)
		reason(ps, VERDICT_CRITICAL,
		       "at %.1f threads/s the thread limit %d%s is reached in %.0f s",
		       th->growth_per_s, ps->max_threads, assumed, eta > 0 ? eta : 0);
	if (n < o->crit_fraction * limit)
		near_limit(ps, o, limit);
	if (saturated && growing)
		reason(ps, VERDICT_WARNING,
		       "%lld threads in C calls (GOMAXPROCS %d) and Go threads growing by %.1f/s",
		       (long long)ps->inflight, procs, th->growth_per_s);
	top = most_blocked(ps, &in_fn);
	if (ps->nblocked >= many)
		reason(ps, VERDICT_WARNING,
		       "%zu calls blocked in C longer than the threshold, %zu of them in %s%s%s "
		       "(longest %.1f s in %s); %lld threads in C, GOMAXPROCS %d",
		       ps->nblocked, in_fn, top->func, top->caller && *top->caller ? " called from " : "",
		       top->caller ? top->caller : "", ps->blocked[0].elapsed_ns / 1e9,
		       ps->blocked[0].func, (long long)ps->inflight, procs);
	return ps->verdict;
}
