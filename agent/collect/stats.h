/* stats.h - reads the BPF maps and /proc into a snapshot. */
#ifndef CGOSCOPE_STATS_H
#define CGOSCOPE_STATS_H

#include "snapshot.h"

struct tracer;
struct starve_opts;

/*
 * Fills snap with the current state of every traced process: per-function
 * statistics (names resolved), in-flight and long-blocking calls, threads,
 * drop counters, and the starvation verdict under the rules of starve.
 * snap->duration_s is left to the caller. The caller frees
 * with snapshot__free(). Returns 0 or -errno (then snap holds nothing).
 */
int stats__collect(struct tracer *t, const struct starve_opts *starve, struct snapshot *snap);

#endif /* CGOSCOPE_STATS_H */
