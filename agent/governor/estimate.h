/* estimate.h - per-function estimates of the calls a sampled process made (pure). */
#ifndef CGOSCOPE_ESTIMATE_H
#define CGOSCOPE_ESTIMATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * The estimator. The runtime counts every cgo call a process makes (exact);
 * the probes time those they see end (traced calls per C function). The
 * caller's `residual` is what neither accounts for: made - traced - calls
 * in C now that the probes saw begin. It grows while the probes are off.
 * Every stretch of it (a span: from a cut of the probes to their return) is
 * attributed to C functions by the mix of one window of fully traced calls
 * right before the cut (the governor's confirmation tick, or a sampling
 * on-window), as calls_f / calls of the window. Calls that began unseen and
 * were found in C by name (the census) are counted to their function
 * exactly, and so are traced enters whose leave was not seen (their call
 * ended while the probes were off); a span's pool is the residual less all
 * that was attributed before:
 *
 *   estimate_f = traced_f + adopted_f + unseen_ends_f + sum over spans of
 *                pool_span * mix_f,span / mix_span
 *
 * So the estimates of a process add up to its exact total less its calls in
 * C now, by construction (whatever skew there is between the readings of
 * the runtime and of the probes lands in a pool); with every call traced
 * (no span) estimate_f == traced_f exactly.
 * The error of a span's share is that of a sample of the window's size from
 * the span's calls, if the mix did not change in between (binomial: the
 * relative error of a function with share p in a window of n calls is about
 * sqrt((1 - p) / (n p))). A span that ends with no mix (no traced call
 * before it) waits for the next window's; what no window ever attributes is
 * reported as unattributed. Estimates never go down (estimate__calls keeps
 * the highest value it has given per function).
 */

/* Traced calls of one C function (address), cumulative, as the BPF maps have them. */
struct est_count {
	__u64 fn;
	__u64 n;
};

struct est_func {
	__u64 fn;
	double extra;  /* attributed beyond the traced calls: closed spans, counted calls */
	__u64 mark;    /* traced calls when the mix window began */
	__u64 mix;     /* traced calls in the mix window of the open span */
	double shown;  /* the highest estimate given (monotonic outputs) */
};

struct estimate {
	struct est_func *v; /* sorted by fn */
	size_t n, cap;
	bool open;          /* a span is open: the probes are off */
	__u64 mix_total;    /* sum of the v[].mix: 0 when the span has no mix */
	double accounted;   /* calls beyond the traced ones attributed so far, pending included */
	double pending;     /* calls of closed spans that had no mix */
	bool sampled;       /* some span was ever opened: estimates, not counts */
};

/* Frees what e holds and zeroes it (a zeroed estimate is empty and valid). */
void estimate__free(struct estimate *e);

/*
 * A mix window begins: notes the traced count of each of the n functions in
 * counts (others count as 0). Returns 0 or -ENOMEM.
 */
int estimate__mark(struct estimate *e, const struct est_count *counts, size_t n);

/*
 * The probes are cut now: the window since the last mark (traced counts now
 * in counts) becomes the mix of the span that opens. Without a mark since
 * the last cut, the whole traced history is the window. A no-op when a span
 * is already open. Returns 0 or -ENOMEM.
 */
int estimate__cut(struct estimate *e, const struct est_count *counts, size_t n);

/*
 * The probes are back, with `residual` calls unaccounted for (above): the
 * open span is attributed and closed. A no-op when none is open.
 */
void estimate__resume(struct estimate *e, double residual);

/*
 * A call that began while the probes were off, found in C and named (fn):
 * counted to fn (and so out of the open span's pool). Returns 0 or -ENOMEM.
 */
int estimate__adopt(struct estimate *e, __u64 fn);

/*
 * A traced enter of fn whose leave was not seen (it ended while the probes
 * were off): counted to fn. Returns 0 or -ENOMEM.
 */
int estimate__unseen_end(struct estimate *e, __u64 fn);

/*
 * The estimated calls of fn, traced calls `traced`, with `residual` calls
 * unaccounted for now (the open span's share included), never less than it
 * said before for fn.
 */
double estimate__calls(struct estimate *e, __u64 fn, __u64 traced, double residual);

/* Calls no mix could attribute (of spans without one, the open span's included). */
double estimate__unattributed(const struct estimate *e, double residual);

#endif /* CGOSCOPE_ESTIMATE_H */
