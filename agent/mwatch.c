/* mwatch.c - the Go runtime's own view of a process's threads (Ms): exact cgo call totals, threads in C, blocked calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gort.h"
#include "mwatch.h"
#include "procfs.h"

/* Reads every M: at most `threads` + a margin of them. */
static int read_all(pid_t pid, __u64 bias, const struct gort_addrs *a, struct gort_ms *ms,
		    struct gort_m **out, size_t *nout)
{
	long threads = 0;
	size_t cap;
	struct gort_m *v;
	int err;

	procfs__threads(pid, &threads);
	cap = (threads > 0 ? (size_t)threads : 0) + 256;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = gort__read_ms(pid, bias, a, ms, v, cap);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*nout = ms->nm < cap ? ms->nm : cap;
	return 0;
}

int mwatch__init(struct mwatch *w, pid_t pid, __u64 bias, const struct gort_addrs *a)
{
	struct gort_ms ms;
	int err;

	memset(w, 0, sizeof(*w));
	err = gort__read_ms(pid, bias, a, &ms, NULL, 0);
	if (err)
		return err;
	w->known = true;
	w->base = w->ncgocall = ms.ncgocall;
	return 0;
}

const struct mwatch_m *mwatch__find(const struct mwatch *w, __u32 tid)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].tid == tid)
			return &w->v[i];
	return NULL;
}

int mwatch__update(struct mwatch *w, pid_t pid, __u64 bias, const struct gort_addrs *a,
		   __u64 now_ns)
{
	struct mwatch_m *in_c;
	struct gort_ms ms;
	struct gort_m *all;
	size_t n = 0, nall;
	int err;

	if (!w->known)
		return -ENOENT;
	err = read_all(pid, bias, a, &ms, &all, &nall);
	if (err)
		return err;
	in_c = calloc(ms.in_c ? ms.in_c : 1, sizeof(*in_c));
	if (!in_c) {
		free(all);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nall && n < ms.in_c; i++) {
		const struct mwatch_m *was;

		if (!all[i].in_c)
			continue;
		was = mwatch__find(w, all[i].tid);
		in_c[n].tid = all[i].tid;
		in_c[n].ncgocall = all[i].ncgocall;
		/* the same call as before only if no call started on the M since */
		in_c[n].since_ns = was && was->ncgocall == all[i].ncgocall ? was->since_ns : now_ns;
		n++;
	}
	free(w->all);
	w->all = all;
	w->nall = nall;
	free(w->v);
	w->v = in_c;
	w->n = n;
	w->nm = ms.nm;
	if (ms.ncgocall > w->ncgocall) /* an M exiting during the read is missed once: never go back */
		w->ncgocall = ms.ncgocall;
	w->in_c = ms.in_c;
	if (ms.in_c > w->in_c_peak)
		w->in_c_peak = ms.in_c;
	return 0;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct gort_m *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int mwatch__save(const struct mwatch *w, struct gort_m **out, size_t *n)
{
	struct gort_m *v = malloc((w->nall ? w->nall : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (w->nall) {
		memcpy(v, w->all, w->nall * sizeof(*v));
		qsort(v, w->nall, sizeof(*v), cmp_tid);
	}
	free(*out);
	*out = v;
	*n = w->nall;
	return 0;
}

unsigned int mwatch__busy(const struct mwatch *w, const struct gort_m *prev, size_t nprev)
{
	unsigned int busy = 0;

	for (size_t i = 0; i < w->nall; i++) {
		const struct gort_m *was =
		    nprev ? bsearch(&w->all[i], prev, nprev, sizeof(*prev), cmp_tid) : NULL;

		busy += w->all[i].ncgocall != (was ? was->ncgocall : 0);
	}
	return busy;
}

void mwatch__final(struct mwatch *w, __u64 ncgocall)
{
	if (!w->known)
		return;
	if (ncgocall > w->ncgocall)
		w->ncgocall = ncgocall;
	w->final = true;
}

void mwatch__free(struct mwatch *w)
{
	free(w->all);
	free(w->v);
	memset(w, 0, sizeof(*w));
}
