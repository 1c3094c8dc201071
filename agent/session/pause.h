/* pause.h - keeps in-flight call records true across a pause of the probes (sampling). */
#ifndef CGOSCOPE_PAUSE_H
#define CGOSCOPE_PAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct cgoscope_bpf;
struct mwatch;
struct mwatch_m;

/*
 * The contract. While the probes of a process are off, the BPF side sees no
 * leave, so the call records (frames) it holds may outlive their calls. A
 * frame stands for a call only as long as the call it was pushed for is
 * provably the one its thread is in: the runtime's m.ncgocall of that M is
 * unchanged since the probes paused and the M is in C. So:
 *
 *  1. pause__begin(), before the BPF side stops recording: notes the Ms in C
 *     and their call counts (read before the stop: a call entered in between
 *     has a higher count and is dropped at the end, never mistaken).
 *  2. While paused, a frame counts as in flight (or long-blocking) only if
 *     pause__same_call() says its thread is still in the same call.
 *  3. pause__end(), after the probes are back and before the BPF side
 *     records again: deletes every frame whose thread is not in the same
 *     call (each such frame is a call that ended unseen: reported through
 *     `ended`), and for the others writes the thread's call count into the
 *     BPF `kept` map; the leave that pairs with a kept frame is accounted
 *     only if that M's count is still the same (a call that ended between
 *     this check and the BPF side recording again is then dropped, counted as
 *     kept_ended, never paired with a later call's leave).
 *  4. Records keyed by goroutine (the entry+ret placement: the leave may come
 *     on another M) cannot be checked that way: all their frames are dropped.
 *
 * So a call is long-blocking only if that very call was in C that long.
 */
struct pause {
	bool known; /* read from the runtime (else nothing can be kept) */
	struct mwatch_m *v; /* the Ms in C then, with their call counts */
	size_t n;
};

/*
 * Notes which threads are in which cgo call, from now (an mwatch updated
 * just before). Returns 0 or -ENOMEM (then p keeps nothing: p->known false).
 */
int pause__begin(struct pause *p, const struct mwatch *now);

/* Whether thread tid is in the same cgo call in now (updated, known) as when p began. */
bool pause__same_call(const struct pause *p, const struct mwatch *now, __u32 tid);

/*
 * Whether pause__end() keeps the frames of thread tid (rules 3 and 4): its
 * records are keyed by thread, now was read, and the thread is in the same
 * call as when p began.
 */
bool pause__keeps(const struct pause *p, const struct mwatch *now, bool now_known,
		  bool thread_keyed, __u32 tid);

/* Called for each frame that pause__end() deletes: a call of fn that ended unseen. */
typedef void (*pause_ended_fn)(__u64 fn, void *ctx);

/*
 * Ends the pause of process tgid (rule 3 above), with now updated just
 * before (now_known: the update worked; else nothing is kept). thread_keyed:
 * its records are keyed by thread (else rule 4). Frees what p holds.
 * Sets *kept to the frames kept. Returns how many records it deleted, or
 * -errno.
 */
int pause__end(struct pause *p, const struct mwatch *now, bool now_known, struct cgoscope_bpf *skel,
	       __u32 tgid, bool thread_keyed, pause_ended_fn ended, void *ctx, unsigned int *kept);

/* Frees what p holds. */
void pause__free(struct pause *p);

#endif /* CGOSCOPE_PAUSE_H */
