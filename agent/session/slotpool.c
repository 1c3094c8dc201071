/* slotpool.c - which BPF slots are free: a released slot waits out a grace period before reuse. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>
#include "slotpool.h"
#include "slots.h"

void slotpool__init(struct slotpool *p, slotpool_sync_fn sync, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->epoch = 1; /* slots never used (freed_epoch 0) need no grace period */
	p->next = SLOTS_CALIB + 1;
	p->sync = sync;
	p->sync_ctx = ctx;
}

/* The first free slot from p->next on whose release a grace period followed, or -1. */
static int find(const struct slotpool *p)
{
	const __u32 n = CGOSCOPE_MAX_PROCS - 1 - SLOTS_CALIB;

	for (__u32 i = 0; i < n; i++) {
		__u32 s = SLOTS_CALIB + 1 + (p->next - SLOTS_CALIB - 1 + i) % n;

		if (!p->used[s] && p->freed_epoch[s] < p->epoch)
			return (int)s;
	}
	return -1;
}

int slotpool__alloc(struct slotpool *p)
{
	bool any_free = false;
	int s = find(p), err;

	for (__u32 i = SLOTS_CALIB + 1; s < 0 && i < CGOSCOPE_MAX_PROCS; i++)
		any_free |= !p->used[i];
	if (s < 0 && !any_free)
		return -ENOSPC;
	if (s < 0) {
		/* every free slot was released since the last grace period: wait for one */
		err = p->sync(p->sync_ctx);
		if (err)
			return err;
		p->syncs++;
		p->epoch++;
		s = find(p);
	}
	p->used[s] = true;
	p->next = s + 1 < CGOSCOPE_MAX_PROCS ? s + 1 : SLOTS_CALIB + 1;
	return s;
}

void slotpool__free(struct slotpool *p, __u32 slot)
{
	if (slot <= SLOTS_CALIB || slot >= CGOSCOPE_MAX_PROCS)
		return;
	p->used[slot] = false;
	p->freed_epoch[slot] = p->epoch;
}

int slotpool__rcu_sync(void *ctx)
{
	(void)ctx;
	if (!syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		return 0;
	/* refused (nohz_full kernels): handlers run for microseconds, wait far longer */
	usleep(100 * 1000);
	return 0;
}
