/* pause.c - keeps in-flight call records true across a pause of the probes (sampling). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "clock.h"
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

	if (!cur || !p->known)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].tid == tid)
			return p->v[i].ncgocall == cur->ncgocall;
	return false;
}

int pause__end(struct cgoscope_bpf *skel, struct target *tg)
{
	int fd = bpf_map__fd(skel->maps.calls);
	struct cgoscope_calls_key key, next, *stale = NULL;
	struct cgoscope_calls c;
	size_t n = 0, cap = 0;
	bool first = true, now_known;
	int deleted = 0;

	now_known = !mwatch__update(&tg->mw, tg->pid, tg->bias, &tg->bin->rt, clock__mono_ns());
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		key = next;
		first = false;
		if (key.tgid != (__u32)tg->pid || bpf_map_lookup_elem(fd, &key, &c))
			continue;
		if (!c.depth || c.depth > CGOSCOPE_MAX_DEPTH ||
		    same_call(&tg->pause, &tg->mw, now_known, c.frames[c.depth - 1].tid))
			continue;
		if (n == cap) {
			struct cgoscope_calls_key *v;

			cap = cap ? cap * 2 : 16;
			v = realloc(stale, cap * sizeof(*v));
			if (!v) {
				free(stale);
				pause__free(&tg->pause);
				return -ENOMEM;
			}
			stale = v;
		}
		stale[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		deleted += !bpf_map_delete_elem(fd, &stale[i]);
	free(stale);
	pause__free(&tg->pause);
	return deleted;
}
