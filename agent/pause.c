/* pause.c - keeps in-flight call records true across a pause of the probes (sampling). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "clock.h"
#include "mapkeys.h"
#include "mwatch.h"
#include "pause.h"
#include "tracer.h"

void pause__free(struct pause *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

void pause__begin(struct target *tg)
{
	struct pause *p = &tg->pause;

	pause__free(p);
	if (mwatch__update(&tg->mw, tg->pid, tg->bias, &tg->bin->rt, clock__mono_ns()))
		return;
	if (tg->mw.n) {
		p->v = malloc(tg->mw.n * sizeof(*p->v));
		if (!p->v)
			return;
		memcpy(p->v, tg->mw.v, tg->mw.n * sizeof(*p->v));
		p->n = tg->mw.n;
	}
	p->known = true;
}

/* Whether thread tid is in the same cgo call now as when the probes paused. */
static bool same_call(const struct pause *p, const struct mwatch *now, bool now_known, __u32 tid)
{
	const struct mwatch_m *cur = now_known ? mwatch__find(now, tid) : NULL;
	const struct mwatch_m *was = mwatch__find(&(struct mwatch){ .v = p->v, .n = p->n }, tid);

	return p->known && cur && was && was->ncgocall == cur->ncgocall;
}

/* What keep_frames() needs to know. */
struct prune {
	const struct pause *paused;
	const struct mwatch *now;
	bool now_known;
};

/* mapkeys_keep_fn over the calls map: keeps records without frames, or still in their call. */
static bool keep_frames(int fd, const void *key, void *ctx)
{
	const struct prune *pr = ctx;
	struct cgoscope_calls c;

	if (bpf_map_lookup_elem(fd, key, &c))
		return true; /* gone meanwhile */
	return !c.depth || c.depth > CGOSCOPE_MAX_DEPTH ||
	       same_call(pr->paused, pr->now, pr->now_known, c.frames[c.depth - 1].tid);
}

int pause__end(struct cgoscope_bpf *skel, struct target *tg)
{
	struct prune pr = { .paused = &tg->pause, .now = &tg->mw };
	int deleted;

	pr.now_known = !mwatch__update(&tg->mw, tg->pid, tg->bias, &tg->bin->rt, clock__mono_ns());
	deleted =
	    mapkeys__forget(bpf_map__fd(skel->maps.calls), sizeof(struct cgoscope_calls_key),
			    offsetof(struct cgoscope_calls_key, tgid), tg->pid, keep_frames, &pr);
	pause__free(&tg->pause);
	return deleted;
}
