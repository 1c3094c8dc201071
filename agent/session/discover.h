/* discover.h - finds the processes to trace: a /proc scan, then exec events; forgets those that exit. */
#ifndef CGOSCOPE_DISCOVER_H
#define CGOSCOPE_DISCOVER_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

struct tracer;
struct discover;

/* Which processes are wanted. Arrays are borrowed and must outlive the discover. */
struct discover_opts {
	const char *const *include; /* globs on exe path or comm; none = every process */
	int ninclude;
	const char *const *exclude;
	int nexclude;
	const pid_t *pids; /* a fixed set: only these (include/exclude ignored) */
	int npids;
	const char *exe;   /* only processes running this file (same inode); NULL: any */
	bool keep_exited;  /* leave exited processes in the tracer (a final report wants them) */
	bool verbose;      /* log every attach and every refusal */
	/* called once before exited processes are removed, while their final data is there */
	void (*before_remove)(void *ctx);
	void *ctx;
};

/*
 * Creates discovery over tracer t (opened with watch_exec). Returns NULL with
 * errno set: ENOMEM, or what stat(2) of opts->exe failed with.
 */
struct discover *discover__new(struct tracer *t, const struct discover_opts *opts);

/* Frees d (not the tracer). NULL is allowed. */
void discover__free(struct discover *d);

/* Looks at every process in /proc and traces the wanted Go programs with cgo. */
void discover__scan(struct discover *d);

/*
 * Drains the tracer's events: traces wanted processes that exec'd, and
 * removes processes that exited (their data is gone afterwards; before_remove
 * is called first) unless keep_exited was asked for.
 */
void discover__poll(struct discover *d);

/* Counters for self-metrics. */
struct discover_stats {
	__u64 attach_failures; /* Go+cgo processes that could not be traced */
	__u64 dropped;         /* exec events not examined: queue full */
	double attach_latency_s; /* exec -> traced, last discovered process */
};
struct discover_stats discover__stats(const struct discover *d);

#endif /* CGOSCOPE_DISCOVER_H */
