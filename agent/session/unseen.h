/* unseen.h - calls that began while the probes were off: found in C by the census, followed to
 * their end. */
#ifndef CGOSCOPE_UNSEEN_H
#define CGOSCOPE_UNSEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct mwatch;

/* One such call in C now: its thread, which call of the M, its C function, when seen. */
struct unseen_call {
	__u32 tid;
	__u64 ncgocall; /* m.ncgocall: tells this call from the M's later ones */
	__u64 fn;
	__u64 since_ns; /* first seen in C (monotonic): a lower bound of its start */
	__u64 seen_ns; /* the last reading that still saw it in C */
};

/* The calls of one C function that began unseen and have ended. */
struct unseen_fn {
	__u64 fn;
	__u64 calls;
	__u64 ns; /* their time in C as seen: a lower bound of each */
	__u64 max_ns;
	__u64 long_calls; /* of them, seen in C at least the long-blocking threshold */
};

struct unseen {
	struct unseen_call *v; /* in C at the last reading */
	size_t n;
	struct unseen_fn *ended; /* by function, in the order they first ended */
	size_t nended;
	__u64 long_calls; /* sum of ended[].long_calls */
};

/* Whether call ncgocall of thread tid is already followed. */
bool unseen__has(const struct unseen *u, __u32 tid, __u64 ncgocall);

/* Follows call ncgocall of tid into fn, first seen in C at since_ns, still at now_ns. 0 or -ENOMEM.
 */
int unseen__add(struct unseen *u, __u32 tid, __u64 ncgocall, __u64 fn, __u64 since_ns,
		__u64 now_ns);

/*
 * After a reading of the M list (w, known): each followed call still in C
 * (same thread, same m.ncgocall) was seen at w->at_ns; each other has ended,
 * and its time from since_ns to the last reading that saw it counts to its
 * function (long when at least long_ns). Calls that end between two readings
 * are thus counted short by at most one reading interval, never long.
 * Returns 0 or -ENOMEM (an ended call then is forgotten uncounted).
 */
int unseen__settle(struct unseen *u, const struct mwatch *w, __u64 long_ns);

/* The ended calls of fn, or NULL. */
const struct unseen_fn *unseen__ended(const struct unseen *u, __u64 fn);

/* Frees what u holds and zeroes it. */
void unseen__free(struct unseen *u);

#endif /* CGOSCOPE_UNSEEN_H */
