/* unseen.c - follows the calls that began while the probes were off to their end, and times them as
 * seen. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mwatch.h"
#include "unseen.h"

bool unseen__has(const struct unseen *u, __u32 tid, __u64 ncgocall)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].tid == tid && u->v[i].ncgocall == ncgocall)
			return true;
	return false;
}

int unseen__add(struct unseen *u, __u32 tid, __u64 ncgocall, __u64 fn, __u64 since_ns, __u64 now_ns)
{
	struct unseen_call *v = realloc(u->v, (u->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	u->v = v;
	v[u->n++] = (struct unseen_call){ tid, ncgocall, fn, since_ns, now_ns };
	return 0;
}

const struct unseen_fn *unseen__ended(const struct unseen *u, __u64 fn)
{
	for (size_t i = 0; i < u->nended; i++)
		if (u->ended[i].fn == fn)
			return &u->ended[i];
	return NULL;
}

/* Counts an ended call of fn, in C for ns as seen. 0 or -ENOMEM. */
static int count_end(struct unseen *u, __u64 fn, __u64 ns, __u64 long_ns)
{
	struct unseen_fn *f = (struct unseen_fn *)unseen__ended(u, fn);

	if (!f) {
		f = realloc(u->ended, (u->nended + 1) * sizeof(*f));
		if (!f)
			return -ENOMEM;
		u->ended = f;
		f = &f[u->nended++];
		*f = (struct unseen_fn){ .fn = fn };
	}
	f->calls++;
	f->ns += ns;
	if (ns > f->max_ns)
		f->max_ns = ns;
	if (ns >= long_ns) {
		f->long_calls++;
		u->long_calls++;
	}
	return 0;
}

int unseen__settle(struct unseen *u, const struct mwatch *w, __u64 long_ns)
{
	size_t kept = 0;
	int err = 0;

	if (!w->known)
		return 0;
	for (size_t i = 0; i < u->n; i++) {
		struct unseen_call *c = &u->v[i];
		const struct mwatch_m *m = mwatch__find(w, c->tid);

		if (m && m->ncgocall == c->ncgocall) {
			c->seen_ns = w->at_ns;
			u->v[kept++] = *c;
		} else if (!err) {
			err = count_end(u, c->fn, c->seen_ns - c->since_ns, long_ns);
		}
	}
	u->n = kept;
	return err;
}

void unseen__free(struct unseen *u)
{
	free(u->v);
	free(u->ended);
	memset(u, 0, sizeof(*u));
}
