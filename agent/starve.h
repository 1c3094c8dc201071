/* starve.h - the M-thread starvation verdict: rules over threads, in-flight and long-blocking calls. */
#ifndef CGOSCOPE_STARVE_H
#define CGOSCOPE_STARVE_H

#include "snapshot.h"

struct starve_opts {
	double warn_fraction;  /* warning when threads reach this fraction of the limit */
	double crit_fraction;  /* critical when threads reach this fraction of the limit */
	double eta_s;          /* critical when growth would reach the limit within this */
	double min_growth;     /* threads per second below which threads are "not growing" */
};

/* Defaults: 0.5, 0.8, 300 s, 0.5 threads/s. */
void starve__default_opts(struct starve_opts *o);

/*
 * Sets ps->verdict and ps->reasons from ps's threads (current, growth_per_s),
 * in-flight calls, long-blocking calls in flight, GOMAXPROCS and thread limit.
 * Rules (README "Starvation verdict"):
 *   critical: threads >= crit_fraction * limit; or threads growing while
 *             in-flight >= GOMAXPROCS and the limit is reached within eta_s.
 *   warning:  threads >= warn_fraction * limit; in-flight >= GOMAXPROCS while
 *             threads grow; long-blocking calls in flight while in-flight >=
 *             GOMAXPROCS.
 * An unknown GOMAXPROCS counts as 1. Returns the verdict.
 */
enum verdict starve__evaluate(struct proc_snap *ps, const struct starve_opts *o);

#endif /* CGOSCOPE_STARVE_H */
