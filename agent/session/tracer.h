/* tracer.h - the BPF session: loads the programs, reads binaries, tracks traced processes and their
 * probes. */
#ifndef CGOSCOPE_TRACER_H
#define CGOSCOPE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "governor.h"
#include "probes.h"
#include "target.h"
#include "topts.h"

struct tracer;
struct cgoscope_bpf;

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

/*
 * Calls fn(tg, ctx) for every traced process, in no particular order; fn
 * must not add or remove processes (tg is valid only during the call).
 */
void tracer__for_each(struct tracer *t, void (*fn)(struct target *tg, void *ctx), void *ctx);

/* How many processes are traced (alive: only those that have not exited). */
size_t tracer__count(const struct tracer *t, bool alive);

/* Stops tracing every process that has exited, its data with it. Returns how many. */
size_t tracer__remove_exited(struct tracer *t);

/* The loaded skeleton, for reading maps. */
struct cgoscope_bpf *tracer__skel(struct tracer *t);

/* Options the tracer was opened with. */
const struct tracer_opts *tracer__opts(const struct tracer *t);

/*
 * One governor tick (governor.h, target.h) for every traced process: each
 * process's probes go on and off by its own cost; the census samples its
 * C-time profile at census_hz. The M lists are read at most that often, or
 * less often when reading them would cost more than census_budget of a CPU
 * (target.h: read_every_ns). Call it every tracer__tick_s() seconds.
 */
void tracer__govern(struct tracer *t, const struct governor_opts *o);

/*
 * How long the caller may wait before the next tracer__govern(), in seconds:
 * GOVERNOR_TICK_S, or GOVERNOR_FAST_TICK_S while some process's probes are
 * off (the runtime's view is read at each tick then, and a calm phase is
 * found sooner).
 */
double tracer__tick_s(const struct tracer *t);

/* Measured probe cost of a placement (zeros when calibration was off or failed). */
struct probe_cost tracer__cost(const struct tracer *t, enum placement p);

/*
 * How the cgo probes attach: "uprobe_multi" (kernel 6.6+: one link per
 * program, breakpoints out at once on detach) or "perf-event" (one link per
 * site; also when CGOSCOPE_NO_UPROBE_MULTI is set, not empty, in the environment).
 */
const char *tracer__link_kind(const struct tracer *t);

#endif /* CGOSCOPE_TRACER_H */
