/* target.h - one traced process: its probes, sampling clock, governor and estimates. */
#ifndef CGOSCOPE_TARGET_H
#define CGOSCOPE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "cgoscope.h"
#include "cprof.h"
#include "estimate.h"
#include "governor.h"
#include "gort.h"
#include "rtread.h"
#include "mwatch.h"
#include "pause.h"
#include "probes.h"
#include "sampling.h"
#include "snapshot.h"
#include "threadhist.h"
#include "unseen.h"

struct cgoscope_bpf;

/* A Go binary some traced processes run (shared by them): what was read off it. */
struct binary {
	dev_t dev;
	ino_t ino;
	char path[64]; /* /proc/PID/exe of the process that brought it */
	struct gobin *gb;
	struct cnames *cn;
	struct gosym *gs;    /* its Go PCs as frames (NULL: names from the symbol table only) */
	struct probe_plan plan;
	struct gort_addrs rt; /* runtime settings to read from each process */
	int refs;
};

/* A traced process. */
struct target {
	pid_t pid;
	pid_t nspid;
	__u64 start_time; /* clock ticks after boot: tells a reused PID apart */
	char comm[CGOSCOPE_COMM_LEN];
	char exe[SNAP_PATH_LEN];
	char container_id[80];
	char path[32];       /* /proc/PID/exe: where its probes attach */
	int pidfd;           /* the process itself (procfs__pidfd), or -errno */
	__u64 bias; /* runtime address - link address (PIE) */
	struct binary *bin;
	struct probe_links links; /* its cgo probes, while on */
	struct probe_links spawn; /* the runtime's thread start: threads it makes are Go's */
	bool on; /* probes attached and recording */
	__s64 threads_base; /* threads at attach minus the kernel's delta then */
	struct gort_values rt; /* runtime settings, as last read */
	struct threadhist hist; /* its Go threads over time */
	struct mwatch mw; /* the runtime's view: exact totals, Ms in C */
	struct census_mstat *gov_ms; /* the M list at the governor's last reading (busy threads) */
	size_t gov_nms;
	struct cgoscope_cfg cfg; /* what the BPF side was told about it */
	__u32 slot; /* its settings and counters in the BPF maps (slots.h) */
	const volatile struct cgoscope_proc *counters; /* ... those mapped (NULL: read by syscall) */
	struct pause pause; /* threads in C when its probes last paused (pause.h) */
	struct sampling clock; /* when its probes were on (the sampling ratio) */
	struct gov_proc gov; /* the governor's state */
	struct estimate est; /* per-function estimates of the calls made */
	struct unseen unseen; /* calls that began unseen, counted to their function by name */
	__u64 long_ns;        /* the long-blocking threshold (tracer_opts) */
	struct cprof cprof;  /* thread-time in C per function and Go stack (census samples) */
	__u64 census_at;     /* the last census sample (monotonic ns) */
	/*
	 * How often its M list may be read for the census and the governor: the
	 * governor's fast tick, stretched so that reading costs at most its share
	 * of --census-budget (tracer__govern()).
	 */
	__u64 read_every_ns;
	bool read_stretched; /* ... so much that the census runs less often than asked */
	__u64 on_at_ns;      /* when its probes last began recording (monotonic) */
	struct cgoscope_proc seen; /* the BPF side's counters at the governor's last reading */
	enum verdict worst; /* the worst verdict seen */
	char worst_reason[SNAP_REASON_LEN];
	bool exited;
};

/*
 * Attaches tg's probes and lets the BPF side record it under a new
 * generation: the end of a pause (pause.h) first, then the threads the
 * runtime shows in C are marked (their leaves come without an enter), the
 * estimate's open span is closed, and the clock runs on from now. The first
 * time (tg->clock started off, never switched), the runtime's count read
 * then becomes the base of its exact totals. A no-op when they are on.
 * Returns 0, -ESRCH when tg has exited, or the attach's -errno (then nothing
 * changed).
 */
int target__probes_on(struct cgoscope_bpf *skel, struct target *tg, double now);

/*
 * Stops the BPF side recording tg and detaches its probes: the pause begins
 * (pause.h), the estimate's span opens with the calls traced since the last
 * mark as its mix, the clock stops running on at now. A no-op when off.
 */
void target__probes_off(struct cgoscope_bpf *skel, struct target *tg, double now);

/*
 * One governor tick for tg (governor.h): measures (probe hits; the M list
 * too unless it is traced in full), decides, and applies the decision:
 * probes on or off, marks of the per-function counts. per_call_ns is the
 * calibrated cost of its placement. Logs changes on stderr when o->verbose.
 * Does nothing for an exited process.
 */
void target__govern(struct cgoscope_bpf *skel, struct target *tg, const struct governor_opts *o,
		    double per_call_ns, double now);

/*
 * Samples the census for tg's C-time profile (cprof.h) when every_ns (or
 * read_every_ns when longer) has passed since the last sample (now_ns:
 * monotonic): each thread in C adds the time since then (at most two
 * intervals) to its call's function and Go stack. A reading younger than
 * half the interval is reused, and none is made while target__none_in_c()
 * (the sample then finds nothing in C, as a reading would). Does nothing for
 * an exited process, or with every_ns 0.
 */
void target__census(struct target *tg, __u64 now_ns, __u64 every_ns);

/*
 * Reads tg's M list again now (mwatch.h), the one place it is read: the
 * calls that began unseen are followed to their end (unseen.h). Returns 0 or
 * -errno (tg->mw keeps the last values).
 */
int target__refresh(struct target *tg);

/*
 * Whether tg's probes prove that none of its calls is in C, so that reading
 * its M list would find nothing: they have recorded since before the last
 * reading, which saw no M in C, and at the governor's last reading of the
 * BPF counters no call they saw begin was in C and none of their enters was
 * lost. Every call that began since was then seen beginning.
 */
bool target__none_in_c(const struct target *tg);

/*
 * The process has exited (at now): its clock stops, its probes go. Its data
 * stays readable.
 */
void target__exited(struct cgoscope_bpf *skel, struct target *tg, double now);

/*
 * Calls tg made that nothing accounts for: the runtime's count since attach
 * less `traced` (completed calls the probes timed) less `live` (calls in C
 * now that they saw begin); the estimate's residual (estimate.h).
 */
double target__residual(const struct target *tg, __u64 traced, unsigned int live);

/* Frees what tg holds (not the binary). */
void target__free(struct target *tg);

#endif /* CGOSCOPE_TARGET_H */
