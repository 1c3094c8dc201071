/* tracer.h - the BPF session: loads the programs, attaches binaries, tracks traced processes. */
#ifndef CGOSCOPE_TRACER_H
#define CGOSCOPE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "gort.h"
#include "mwatch.h"
#include "pause.h"
#include "probes.h"
#include "snapshot.h"
#include "threadhist.h"

struct tracer;
struct cgoscope_bpf;

struct tracer_opts {
	bool force_fallback; /* entry+ret placement even where call sites are found */
	bool watch_exec;     /* deliver exec events (agent discovery) */
	bool per_pid;        /* uprobes filtered by the kernel to each traced pid */
	__u64 long_ns;       /* long-blocking threshold */
	__u32 map_entries;   /* size of the calls and stats maps; 0 = built-in default */
	bool calibrate;      /* measure the probe cost at start */
};

/* A binary with probes attached (shared by every traced process running it). */
struct binary {
	dev_t dev;
	ino_t ino;
	pid_t pid;           /* the process the probes are filtered to, or -1 */
	char path[64];       /* /proc/PID/exe of the process that brought it */
	struct gobin *gb;
	struct cnames *cn;
	struct probe_plan plan;
	struct probe_links links;
	struct bpf_link *spawn;  /* the runtime's thread start: threads it makes are Go's */
	struct gort_addrs rt; /* runtime settings to read from each process */
	int refs;
	/* sampling (governor.c): the probes come and go */
	bool on;             /* probes attached now */
	double duty;         /* share of the time the governor wants them on (1: always) */
	double switched;     /* monotonic time of the last attach/detach */
};

/* A traced process. */
struct target {
	pid_t pid;
	pid_t nspid;
	__u64 start_time;    /* clock ticks after boot: tells a reused PID apart */
	char comm[CGOSCOPE_COMM_LEN];
	char exe[SNAP_PATH_LEN];
	char container_id[80];
	__u64 bias;          /* runtime address - link address (PIE) */
	struct binary *bin;
	__s64 threads_base;  /* threads at attach minus the kernel's delta then */
	struct gort_values rt; /* runtime settings, as last read */
	struct threadhist hist; /* its thread count over time */
	struct mwatch mw;    /* the runtime's view: exact totals, Ms in C */
	struct cgoscope_cfg cfg; /* what the BPF side was told about it */
	__u32 slot;          /* its settings and counters in the BPF maps (slots.h) */
	struct pause pause;  /* threads in C when its probes last paused (pause.h) */
	/* sampling accounting */
	double added;        /* monotonic time of attach */
	double off_s;        /* time without probes since attach, up to the last re-attach */
	__u64 enters_seen;   /* governor.c: enter hits at its last measurement */
	double on_seen;      /* governor.c: tracer__on_time() then */
	double overhead;     /* governor.c: estimated probe cost, cores, while the probes are on */
	enum verdict worst;  /* the worst verdict seen */
	char worst_reason[SNAP_REASON_LEN];
	bool exited;
};

/* Measured cost of a probe pair, per placement. */
struct probe_cost {
	double per_call_ns; /* what the traced program pays per cgo call */
	double floor_ns;    /* how much of it lands inside every measured span */
};

/*
 * Opens and loads the BPF object and attaches the thread tracepoints.
 * Returns 0 and sets *out, or -errno (messages on stderr explain: not root,
 * no BTF, BPF refused). First checks the capabilities (caps.h): -EPERM, with
 * one line naming every missing one, before anything is loaded.
 */
int tracer__open(const struct tracer_opts *opts, struct tracer **out);

/* Detaches everything and frees t. NULL is allowed. */
void tracer__close(struct tracer *t);

/*
 * Starts tracing process pid: inspects /proc/PID/exe, attaches its binary if
 * no traced process runs it yet, and registers the process. Returns 0, or
 * -errno with a human message in err: -ESRCH (no such process), -ENOEXEC (not
 * a Go binary), -ENOTSUP (Go without cgo, or too old), -EACCES, -EEXIST.
 */
int tracer__add(struct tracer *t, pid_t pid, char *err, size_t errlen);

/*
 * Checks the binary at path as tracer__add() would, without a process or
 * BPF: a valid ELF, Go, with cgo, a supported version with probe sites.
 * Returns 0 or the -errno of tracer__add() with a human message in err.
 */
int tracer__check_binary(const char *path, char *err, size_t errlen);

/* Stops tracing pid and forgets its data. Returns 0 or -ENOENT. */
int tracer__remove(struct tracer *t, pid_t pid);

/*
 * Drains pending events (exits arrive there) and, at most every 0.25 s, asks
 * /proc whether each traced process still lives as itself (a lost exit event,
 * PID reuse); marks those that ended as exited (their data stays until
 * tracer__remove). Returns the number
 * of processes that were newly found exited. With exec_cb, calls it for every
 * exec event (pid of the process that exec'd, and when, on the monotonic clock).
 */
typedef void (*tracer_exec_fn)(pid_t pid, __u64 ts_ns, void *ctx);
int tracer__poll(struct tracer *t, tracer_exec_fn exec_cb, void *ctx);

/* The traced processes; valid until the next add/remove. */
struct target *tracer__targets(struct tracer *t, size_t *n);

/* The loaded skeleton, for reading maps. */
struct cgoscope_bpf *tracer__skel(struct tracer *t);

/* Options the tracer was opened with. */
const struct tracer_opts *tracer__opts(const struct tracer *t);

/*
 * Attaches (on) or detaches (off) the probes of binary b; a no-op when they
 * already are. Frames left behind by calls that end while detached are
 * recognised later through the runtime's view. Returns 0, -ESRCH when
 * turning on a binary none of whose processes is alive, or -errno.
 */
int tracer__set_probes(struct tracer *t, struct binary *b, bool on);

/* Seconds tg has had its probes attached since it was added. */
double tracer__on_time(const struct target *tg);

/* The binaries with probes; valid until the next add/remove. */
struct binary **tracer__binaries(struct tracer *t, size_t *n);

/* Measured probe cost of a placement (zeros when calibration was off or failed). */
struct probe_cost tracer__cost(const struct tracer *t, enum placement p);

/*
 * How the cgo probes attach: "uprobe_multi" (kernel 6.6+: one link per
 * program, breakpoints out at once on detach) or "perf-event" (one link per
 * site; also when CGOSCOPE_NO_UPROBE_MULTI is set, not empty, in the environment).
 */
const char *tracer__link_kind(const struct tracer *t);

#endif /* CGOSCOPE_TRACER_H */
