/* snapshot.h - one moment of what cgoscope knows: processes, C functions, threads, verdicts. */
#ifndef CGOSCOPE_SNAPSHOT_H
#define CGOSCOPE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "cgoscope.h"

#define SNAP_NAME_LEN 128
#define SNAP_PATH_LEN 512
#define SNAP_REASONS 8
#define SNAP_REASON_LEN 256

/*
 * Snapshots are plain data: the stats module fills them from BPF maps and
 * /proc, the renderers (report, json, prom) only read them. Nothing in here
 * points into BPF maps or the target process.
 */

/*
 * Traced calls of one C function made from one Go stack (the probes read
 * the stacks of every long call and a random sample of short ones: calls
 * and total_ns are then estimates of the traced calls, `exact` says which).
 */
struct caller_snap {
	int stack;          /* in snapshot.stacks, or -1 */
	const char *caller; /* its stack's caller, or "" */
	__u64 calls;
	__u64 total_ns;
	bool exact;         /* every call counted, none scaled from a sample */
	double share;       /* of its function's traced calls, in [0, 1] */
	double time_share;  /* of its function's traced time in C, in [0, 1] */
};

/*
 * Statistics of one C function in one process. While the probes sample
 * (estimate.h), calls and total_ns are estimates of all the calls made;
 * traced_calls, traced_ns, max_ns and the buckets are of the traced calls
 * only. With every call traced the two pairs are equal.
 */
struct func_snap {
	char name[SNAP_NAME_LEN]; /* "sqlite3_step", "getaddrinfo", or "0x4a02c0" */
	__u64 addr;               /* runtime address of the C function */
	__u64 calls;              /* completed calls made (estimated when `estimated`) */
	__u64 total_ns;           /* their time in C (estimated likewise) */
	__u64 traced_calls;       /* completed calls the probes saw */
	__u64 traced_ns;          /* sum of their durations */
	__u64 max_ns;
	__u64 buckets[CGOSCOPE_NBUCKETS]; /* traced calls: slot i holds [2^i, 2^(i+1)) ns */
	__u32 inflight;           /* calls of this function in C right now */
	bool estimated;           /* calls and total_ns are estimates (the probes sampled) */
	bool lower_bound;         /* never traced: calls are those the census saw, at least */
	bool total_lower_bound;   /* too short to time untraced: total_ns is the traced calls' */
	struct caller_snap *callers; /* its traced calls by Go stack, most calls first */
	size_t ncallers;
};

/* One Go frame, symbolized. Its strings belong to the snapshot. */
struct snap_frame {
	const char *func; /* "main.(*Store).Get", or "0x4a1200" when no Go function is there */
	const char *file; /* "/src/app/store.go", or "" when unknown */
	__u32 line;       /* 0 when unknown */
	bool inlined;     /* inlined into the next frame (the same PC) */
};

/* A goroutine's Go stack above runtime.cgocall, innermost first (snapshot.stacks). */
struct snap_stack {
	struct snap_frame *frames;
	unsigned int n;
	bool truncated;     /* it went on past the frames read */
	const char *caller; /* who called C: the first frame not cgo's or the runtime's ("" none) */
	unsigned int caller_at; /* its index in frames (n when none) */
};

/* A call that has been in C longer than the long-blocking threshold. */
#define SNAP_UNKNOWN_FUNC "(unknown)" /* in C since before the probes saw it, not named */

struct blocked_snap {
	__u32 tid;
	char func[SNAP_NAME_LEN];      /* or SNAP_UNKNOWN_FUNC */
	__u64 elapsed_ns; /* so far: the call may still be running */
	bool elapsed_lower_bound; /* began unseen: in C at least this long */
	int stack;          /* its Go stack in snapshot.stacks, or -1 */
	const char *caller; /* its stack's caller, or "" */
};

/* Thread-time in C of one C function called from one Go stack (census samples). */
struct ctime_snap {
	char func[SNAP_NAME_LEN];
	__u64 fn;           /* the C function's runtime address */
	int stack;          /* in snapshot.stacks, or -1 */
	const char *caller; /* its stack's caller, or "" */
	__u64 ns;           /* thread-time in C */
	__u64 samples;      /* censuses that saw a thread there */
};

enum verdict {
	VERDICT_OK = 0,
	VERDICT_WARNING = 1,
	VERDICT_CRITICAL = 2,
};

/* OS threads of one process. */
struct threads_snap {
	__s64 current;   /* now (== Threads: in /proc/PID/status) */
	__s64 peak;      /* highest seen since attach */
	__u64 created;   /* since attach */
	__u64 created_c; /* ... of which by C code (pthread_create in a library) */
	__u64 exited;
	__u64 exited_c; /* ... of which C code had made since attach */
	__s64 go; /* the Go runtime's threads (Ms) now; -1 unknown */
	double
	    growth_per_s; /* how fast the runtime adds threads now (C's not counted), per second */
};

/* Everything about one traced process. */
struct proc_snap {
	__u32 pid;
	__u32 nspid; /* pid inside its pid namespace (== pid outside containers) */
	__u64 start_time; /* clock ticks after boot: tells a reused PID apart (0 unknown) */
	char comm[CGOSCOPE_COMM_LEN];
	char exe[SNAP_PATH_LEN];
	char go_version[32];     /* "go1.26.8" */
	char container_id[80];   /* empty when not in a container cgroup */
	const char *placement;   /* static string: "call-sites", "entry+ret" */
	double probe_cost_ns;    /* measured cost of the probes per call */
	double span_floor_ns;    /* part of that included in every measured span */
	bool exited;             /* the process ended while traced */

	struct func_snap *funcs; /* sorted by total_ns, descending */
	size_t nfuncs;
	size_t folded;           /* functions folded into "other" by a cap */

	__u64 calls;             /* completed calls seen by the probes, all functions */
	__u64 probe_hits;        /* calls whose enter the probes saw */
	__s64 exact_calls;       /* cgo calls since attach by the runtime's own m.ncgocall; -1 unknown */
	bool sampled;            /* the probes sampled: function calls are estimates */
	__u64 unattributed;      /* untraced calls no traced window could attribute to a function */
	bool exact_partial;      /* exited, and exact_calls is the last reading: a lower bound */
	bool runtime_view;       /* in-flight and blocked calls checked against the runtime's m.incgo */
	double sampling_ratio;   /* share of the time the probes were on (1: every call traced) */
	double probe_overhead;   /* estimated CPU the probes cost the process, in cores */
	__s64 inflight;          /* threads in C right now */
	__s64 inflight_peak;
	struct blocked_snap *blocked; /* long-blocking calls, longest first */
	size_t nblocked;
	struct ctime_snap *ctime; /* thread-time in C by function and stack, most first */
	size_t nctime;
	__u64 ctime_other_ns;     /* of the stacks beyond the ones listed */
	__u64 census_ns;          /* time the censuses covered (0: no census sampling) */
	__u64 censuses;           /* census samples taken */
	/* every reading of the M list: threads seen in C; dropped (left C while read, goroutine unreadable); kept without their stack */
	__u64 census_seen, census_torn, census_lost, census_stack_torn;
	bool census_paced;        /* sampled less often than asked: --census-budget */
	__u64 long_calls;        /* completed calls that lasted longer than the threshold */
	__u64 long_calls_unseen; /* of those, begun unseen: timed by the census, at least that long */

	struct threads_snap threads;
	int gomaxprocs;          /* -1 when unknown */
	int max_threads;         /* the runtime's thread limit */
	bool max_threads_assumed; /* true: not read from the target, 10000 assumed */

	enum verdict verdict;
	char reasons[SNAP_REASONS][SNAP_REASON_LEN];
	size_t nreasons;
	enum verdict worst_verdict;           /* the worst seen since attach */
	char worst_reason[SNAP_REASON_LEN];   /* its first reason then */
};

/* One moment of the whole tracer. */
struct snap_arena; /* the strings a snapshot's stacks point to */

struct snapshot {
	double wall_time;        /* seconds since the epoch */
	double duration_s;       /* how long the data was gathered */
	__u64 long_ns;           /* long-blocking threshold */
	struct proc_snap *procs;
	size_t nprocs;
	__u64 drops[CGOSCOPE_DROP__MAX]; /* BPF-side losses, by cause */
	struct snap_stack *stacks; /* the Go stacks processes point to, each once */
	size_t nstacks;
	struct snap_arena *arena;
};

/* Name of a drop cause, for output: "stats_map_full", ... */
const char *snapshot__drop_name(enum cgoscope_drop drop);
/* Name of a verdict: "ok", "warning", "critical". */
const char *snapshot__verdict_name(enum verdict v);
/*
 * Copies str into snap (its arena: the copy lives until snapshot__free()).
 * Returns the copy, or NULL when out of memory.
 */
const char *snapshot__strdup(struct snapshot *snap, const char *str);

/*
 * Appends a stack of n frames (copied; their strings must be snap's), whose
 * caller is frames[caller_at] (n: none), to snap->stacks. Returns its
 * index, or -ENOMEM.
 */
int snapshot__add_stack(struct snapshot *snap, const struct snap_frame *frames, unsigned int n,
			bool truncated, unsigned int caller_at);

/* Releases what a snapshot owns (procs and their arrays, stacks, strings); not snap itself. */
void snapshot__free(struct snapshot *snap);

#endif /* CGOSCOPE_SNAPSHOT_H */
