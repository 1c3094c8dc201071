/* pause.c - keeps in-flight call records true across a pause of the probes (sampling). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.h"
#include "cgoscope.skel.h"
#include "mapkeys.h"
#include "mwatch.h"
#include "pause.h"

void pause__free(struct pause *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

int pause__begin(struct pause *p, const struct mwatch *now)
{
	pause__free(p);
	if (!now->known)
		return 0;
	if (now->n) {
		p->v = malloc(now->n * sizeof(*p->v));
		if (!p->v)
			return -ENOMEM;
		memcpy(p->v, now->v, now->n * sizeof(*p->v));
		for (size_t i = 0; i < now->n; i++)
			p->v[i].call = NULL; /* the census it points into is overwritten next time */
		p->n = now->n;
	}
	p->known = true;
	return 0;
}

bool pause__same_call(const struct pause *p, const struct mwatch *now, __u32 tid)
{
	const struct mwatch_m *cur = now->known ? mwatch__find(now, tid) : NULL;
	const struct mwatch_m *was = mwatch__find(&(struct mwatch){ .v = p->v, .n = p->n }, tid);

	return p->known && cur && was && was->ncgocall == cur->ncgocall;
}

bool pause__keeps(const struct pause *p, const struct mwatch *now, bool now_known,
		  bool thread_keyed, __u32 tid)
{
	return thread_keyed && now_known && pause__same_call(p, now, tid);
}

/* What keep_frames() needs to know. */
struct prune {
	const struct pause *paused;
	const struct mwatch *now;
	bool now_known, thread_keyed;
	int kept_fd;
	__u32 tgid;
	pause_ended_fn ended;
	void *ctx;
	unsigned int kept; /* frames kept */
};

/*
 * mapkeys_keep_fn over the calls map: keeps records without frames, and those
 * whose thread is still in its call (noting its count in the kept map); tells
 * `ended` about the frames of the others.
 */
static bool keep_frames(int fd, const void *key, void *ctx)
{
	struct prune *pr = ctx;
	const struct mwatch_m *m;
	struct cgoscope_calls c;
	__u64 k;
	__u32 tid;

	if (bpf_map_lookup_elem(fd, key, &c))
		return true; /* gone meanwhile */
	if (!c.depth || c.depth > CGOSCOPE_MAX_DEPTH)
		return true;
	tid = c.frames[c.depth - 1].tid;
	if (pause__keeps(pr->paused, pr->now, pr->now_known, pr->thread_keyed, tid)) {
		m = mwatch__find(pr->now, tid);
		k = (__u64)pr->tgid << 32 | tid;
		if (!bpf_map_update_elem(pr->kept_fd, &k, &m->ncgocall, BPF_ANY)) {
			pr->kept += c.depth;
			return true;
		}
	}
	for (__u32 d = 0; pr->ended && d < c.depth; d++)
		pr->ended(c.frames[d].fn, pr->ctx);
	return false;
}

int pause__end(struct pause *p, const struct mwatch *now, bool now_known, struct cgoscope_bpf *skel,
	       __u32 tgid, bool thread_keyed, pause_ended_fn ended, void *ctx, unsigned int *kept)
{
	struct prune pr = {
		.paused = p,
		.now = now,
		.now_known = now_known,
		.thread_keyed = thread_keyed,
		.kept_fd = bpf_map__fd(skel->maps.kept),
		.tgid = tgid,
		.ended = ended,
		.ctx = ctx,
	};
	int deleted;

	deleted =
	    mapkeys__forget(bpf_map__fd(skel->maps.calls), sizeof(struct cgoscope_calls_key),
			    offsetof(struct cgoscope_calls_key, tgid), tgid, keep_frames, &pr);
	pause__free(p);
	*kept = pr.kept;
	return deleted;
}
