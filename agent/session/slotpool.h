/* slotpool.h - which BPF slots are free: a released slot waits out a grace period before reuse. */
#ifndef CGOSCOPE_SLOTPOOL_H
#define CGOSCOPE_SLOTPOOL_H

#include <stdbool.h>
#include <linux/types.h>
#include "cgoscope.h"

/*
 * Waits until every BPF program running when it was called has returned
 * (an RCU grace period: uprobe and tracepoint programs run inside RCU
 * read-side sections). Returns 0 or -errno.
 */
typedef int (*slotpool_sync_fn)(void *ctx);

/*
 * Slots 1..CGOSCOPE_MAX_PROCS-1 (0 is the calibration's). A probe handler
 * that found a process's slot just before it was released may still add to
 * the slot's counters; were the slot handed to another process at once,
 * those increments would land in the new owner's. So a released slot is
 * handed out again only after a grace period that began after its release.
 * Slots are handed out round-robin, so a grace period is needed only once
 * every slot has been used, and then one covers every slot released before
 * it.
 */
struct slotpool {
	bool used[CGOSCOPE_MAX_PROCS];
	__u64 freed_epoch[CGOSCOPE_MAX_PROCS]; /* epoch at release (0: never used) */
	__u64 epoch; /* grace periods completed, plus one */
	__u32 next; /* where the round-robin search starts */
	slotpool_sync_fn sync;
	void *sync_ctx;
	__u64 syncs; /* grace periods waited for (tests, diagnostics) */
};

/* An empty pool that waits for grace periods with sync(ctx) (slotpool__rcu_sync: the kernel's). */
void slotpool__init(struct slotpool *p, slotpool_sync_fn sync, void *ctx);

/*
 * A free slot that no handler can still be writing for a former owner,
 * marked used; waits for a grace period first when every free slot was
 * released since the last. Returns the slot, or -ENOSPC when all are used,
 * or the sync's -errno.
 */
int slotpool__alloc(struct slotpool *p);

/* Gives slot back (after its map entries were taken from the BPF side). */
void slotpool__free(struct slotpool *p, __u32 slot);

/*
 * One RCU grace period through membarrier(MEMBARRIER_CMD_GLOBAL), which
 * waits for one; where the kernel refuses it (nohz_full), 100 ms, far longer
 * than any handler runs. Returns 0.
 */
int slotpool__rcu_sync(void *ctx);

#endif /* CGOSCOPE_SLOTPOOL_H */
