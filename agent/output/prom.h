/* prom.h - Prometheus text exposition format 0.0.4 writer (pure: snapshot -> text). */
#ifndef CGOSCOPE_PROM_H
#define CGOSCOPE_PROM_H

#include <stddef.h>
#include <linux/types.h>
#include "expo.h"
#include "snapshot.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Histogram buckets: finite bounds on the log2 slots of the BPF side, so
 * each `le` is exact: bound i is hist__upper_ns(slot[i]), 2^(slot[i]+1) ns.
 */
#define PROM_MAX_BUCKETS (CGOSCOPE_NBUCKETS - 1) /* the last slot has no finite bound */
struct prom_buckets {
	unsigned int n;
	unsigned char slot[PROM_MAX_BUCKETS]; /* increasing */
};

/* The default buckets: 15 bounds from 256 ns to 68.7 s, a factor 4 apart. */
void prom__default_buckets(struct prom_buckets *b);

/*
 * Parses a comma-separated list of bounds in seconds ("1e-6,0.001,1") into
 * b: each is rounded up to the next power of two nanoseconds (the bounds
 * the BPF histogram has), duplicates after rounding merged. Returns 0, or
 * -EINVAL for a bound that is not a number, not above 0, not increasing or
 * above 2^39 ns (550 s).
 */
int prom__parse_buckets(const char *list, struct prom_buckets *b);

struct prom_opts {
	const char *build_version; /* cgoscope_build_info{version}; NULL: CGOSCOPE_VERSION */
	double scrape_duration_s;  /* how long the previous scrape took */
	__u64 attach_failures;     /* probes that could not be attached, since start */
	struct expo *expo;          /* kept across scrapes (expo.h); NULL: this snapshot only */
	unsigned int max_functions; /* with expo NULL: per group, "other" included; 0: no cap */
	bool per_process;           /* with expo NULL: group functions by process, not executable */
	const struct prom_buckets *buckets; /* NULL: prom__default_buckets() */
	double attach_latency_s;   /* exec -> traced, for the last process discovered */
	__u64 discovery_dropped;   /* exec events the agent could not examine */
};

/*
 * Renders snap as Prometheus text: agent families (build info, processes,
 * attach failures, BPF drops by cause, scrape duration),
 * cgoscope_process_info{pid,exe,comm,go_version[,container_id]}, per-process
 * gauges and counters labelled {pid,exe}, and the per-function families of
 * each group of opts->expo (updated with snap first: expo__update) labelled
 * {exe,function} ({pid,exe,function} per process), with the group's sticky
 * top-N and "other" (docs/metrics.md). opts may be NULL (defaults).
 * On success *text is a malloc'd NUL-terminated string of *len bytes that
 * the caller frees. Returns 0, -EINVAL on NULL arguments, -ENOMEM or -EIO
 * (then *text is NULL).
 */
int prom__render(const struct snapshot *snap, const struct prom_opts *opts, char **text,
		 size_t *len);

#endif /* CGOSCOPE_PROM_H */
