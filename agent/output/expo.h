/* expo.h - what /metrics exports per executable: sums over its processes, kept monotonic. */
#ifndef CGOSCOPE_EXPO_H
#define CGOSCOPE_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "snapshot.h"
#include "topn.h"

/*
 * Scrapes see C functions by group: by default one group per executable
 * (its path), summed over its processes; with per_process one group per
 * process. A group's counters only grow: when a process ends, its last
 * counts fold into the group's totals; a group outlives its last process by
 * linger_s (its final counts are exported, a restart continues them), then
 * it is forgotten (linger_s 0: at once, its series end with it). Its functions get series by a
 * sticky top-N (topn.h).
 */
struct expo_opts {
	bool per_process; /* one group per process: series labelled {exe,pid} */
	unsigned int max_functions; /* series per group, "other" included; 0: no cap */
	double linger_s; /* a group's life after its last process (s); 0: none */
};

/* Default linger of a group without processes: a restart within it keeps the counters. */
#define EXPO_LINGER_S 300.0

struct expo_func {
	char name[SNAP_NAME_LEN];
	struct topn_ctr retired; /* final counts of the group's processes that ended */
	__u32 inflight; /* calls in C now, over the live processes */
};

struct expo_group {
	char exe[SNAP_PATH_LEN];
	__u32 pid; /* per_process: the process; else 0 */
	size_t nprocs; /* live processes now */
	struct expo_func *funcs; /* in order of first sight */
	struct topn_entry *top; /* top[i] is funcs[i]'s place in the top-N */
	size_t nfuncs, cap;
	size_t nother; /* functions not kept: folded into "other" */
	size_t stats_folded; /* folded already by the stats module (max over processes) */
	bool has_other; /* "other" has a series */
	struct topn_ctr other;
	__u32 other_inflight;
	bool empty; /* without processes since empty_since */
	double empty_since;
};

struct expo;

/* A new, empty state with opts (copied). Returns NULL with errno ENOMEM. */
struct expo *expo__new(const struct expo_opts *opts);

/* Releases e and all it owns; NULL is fine. */
void expo__free(struct expo *e);

/*
 * Folds snap, taken at now (seconds, any monotonic clock), into e: new
 * processes join their group; processes no longer in snap, marked exited,
 * or whose PID now belongs to another process (start_time) have their last
 * counts folded into their group and are forgotten; groups empty for
 * linger_s are dropped; every group's top-N and "other" are brought up to
 * date. A count that reads lower than before keeps its previous value.
 * Returns 0 or -ENOMEM (e stays usable; some counts may lag one update).
 */
int expo__update(struct expo *e, const struct snapshot *snap, double now);

/* The groups, in order of first sight; valid until the next expo__update(). */
struct expo_group *const *expo__groups(const struct expo *e, size_t *n);

/* Whether e groups by process. */
bool expo__per_process(const struct expo *e);

#endif /* CGOSCOPE_EXPO_H */
