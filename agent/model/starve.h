/* starve.h - the M-thread starvation verdict: rules over threads and calls in C. */
#ifndef CGOSCOPE_STARVE_H
#define CGOSCOPE_STARVE_H

#include "snapshot.h"

struct starve_opts {
	double warn_fraction; /* warning when threads reach this fraction of the limit */
	double crit_fraction; /* critical when threads reach this fraction of the limit */
	double eta_s; /* critical when growth would reach the limit within this */
	double min_growth; /* Go threads per second below which they are "not growing" */
	unsigned int min_blocked; /* long-blocking calls that warn, at least (and >= GOMAXPROCS) */
};

/* Defaults: 0.5, 0.8, 300 s, 0.5 threads/s, 4 calls. */
void starve__default_opts(struct starve_opts *o);

/*
 * Sets ps->verdict and ps->reasons. "Threads" are the Go runtime's (its Ms,
 * threads.go) when known, else the OS threads: the limit counts only the
 * runtime's, and threads C libraries start are not starvation. Growth
 * (threads.growth_per_s) is the runtime's threads only, as it is now. An
 * unknown GOMAXPROCS counts as 1. Rules, most severe first (README
 * "Starvation verdict" gives the reasons):
 *   critical: threads >= crit_fraction * limit;
 *             threads growing (>= min_growth/s) while threads in C >=
 *             GOMAXPROCS, reaching the limit within eta_s.
 *   warning:  threads >= warn_fraction * limit;
 *             threads growing while threads in C >= GOMAXPROCS;
 *             calls in C longer than the long-blocking threshold, at least
 *             max(GOMAXPROCS, min_blocked) of them.
 * Reasons name the function most blocked calls are in. Returns the verdict.
 */
enum verdict starve__evaluate(struct proc_snap *ps, const struct starve_opts *o);

#endif /* CGOSCOPE_STARVE_H */
