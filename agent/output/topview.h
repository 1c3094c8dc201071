/* topview.h - one screen of `cgoscope top`: processes and their busiest C functions, from two snapshots. */
#ifndef CGOSCOPE_TOPVIEW_H
#define CGOSCOPE_TOPVIEW_H

#include <stdio.h>
#include "snapshot.h"

struct topview_opts {
	unsigned int max_funcs; /* busiest functions shown per process (default 5 when 0) */
	unsigned int max_procs; /* processes shown (default 20 when 0), the worst verdicts first */
};

/*
 * Writes one screen: a summary line, a table of processes (threads, peak, in C
 * vs GOMAXPROCS, long-blocking, calls/s, verdict and its first reason), then
 * per process the functions with the most time in C per second over the last
 * interval (calls/s, time/s, avg of the interval, p99 since start, in C now).
 * Rates compare cur with prev (taken interval_s earlier; NULL or 0 s: rates
 * since start). Reads both snapshots only. Returns 0 or -EIO.
 */
int topview__render(FILE *out, const struct snapshot *cur, const struct snapshot *prev,
		    const struct topview_opts *opts);

#endif /* CGOSCOPE_TOPVIEW_H */
