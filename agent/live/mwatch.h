/* mwatch.h - the Go runtime's own view of a process's threads (Ms): exact cgo call totals, Ms in C and their calls. */
#ifndef CGOSCOPE_MWATCH_H
#define CGOSCOPE_MWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "census.h"

struct gort_addrs;

/* An M seen in C, and since when (no new cgo call on it in between). */
struct mwatch_m {
	__u32 tid;
	__u64 ncgocall; /* its call count when first seen in this call */
	__u64 since_ns; /* monotonic; a lower bound of when the call began */
	/* the census's view of the call (C function, goroutine, Go stack), or NULL */
	const struct census_entry *call;
};

/*
 * Costs nothing in the traced program: read from its memory when asked, by
 * one census of its M list (census.h): m.ncgocall, m.incgo, m.procid of
 * every M on runtime.allm, and for each M in C its goroutine, C function
 * and Go stack.
 */
struct mwatch {
	bool known;        /* the M list could be read */
	__u64 base;        /* sum of m.ncgocall at attach */
	__u64 ncgocall;    /* ... at the last update */
	bool final;        /* ncgocall is the total read as the process exited */
	unsigned int in_c; /* Ms in C at the last update */
	unsigned int in_c_peak;
	unsigned int nm;   /* Ms (the runtime's threads) at the last update */
	__u64 at_ns;       /* when the last update read them (monotonic) */
	__u64 cost_ns;     /* how long the last update took */
	/* summed over the updates: Ms seen in C; of those, dropped (census.h: torn, lost), kept without a stack */
	__u64 seen_in_c, torn, lost, stack_torn;
	struct mwatch_m *v; /* Ms in C at the last update, by tid */
	size_t n;
	struct census cs;  /* the last census: every M (cs.ms), the calls v[].call points to */
};

/* Reads the M list once and takes its call count as the base. Returns 0 or -errno (w->known false). */
int mwatch__init(struct mwatch *w, pid_t pid, __u64 bias, const struct gort_addrs *a);

/*
 * Reads the M list again at time now_ns: totals, Ms in C, and for each M in
 * C since when it has been in the same call and the census of that call.
 * Returns 0 or -errno (the last values are kept).
 */
int mwatch__update(struct mwatch *w, pid_t pid, __u64 bias, const struct gort_addrs *a,
		   __u64 now_ns);

/*
 * Copies every M's call count from the last update into *out (malloc'd, *n
 * entries, sorted by tid; a former *out is freed) for a later
 * mwatch__busy(). Returns 0 or -ENOMEM.
 */
int mwatch__save(const struct mwatch *w, struct census_mstat **out, size_t *n);

/*
 * Threads whose call count moved between prev[0..nprev) (from
 * mwatch__save()) and the last update; an M new since counts when it made
 * any call.
 */
unsigned int mwatch__busy(const struct mwatch *w, const struct census_mstat *prev, size_t nprev);

/* The M in C on thread tid at the last update, or NULL. */
const struct mwatch_m *mwatch__find(const struct mwatch *w, __u32 tid);

/*
 * Records the runtime's total read as the process called exit_group (by the
 * BPF side): ncgocall is then final. Does nothing unless w is known.
 */
void mwatch__final(struct mwatch *w, __u64 ncgocall);

/* Frees what w holds. */
void mwatch__free(struct mwatch *w);

#endif /* CGOSCOPE_MWATCH_H */
