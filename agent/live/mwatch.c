/* mwatch.c - the Go runtime's own view of a process's threads (Ms): exact cgo call totals, Ms in C and their calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "gort.h"
#include "mwatch.h"
#include "procfs.h"

/*
 * Takes a census of process pid and adds up its cgo calls: those of the Ms
 * that exited (runtime.ncgocall) and those of every M on the list. Returns
 * 0 with *total, or -errno.
 */
static int census_total(struct mwatch *w, pid_t pid, __u64 bias, const struct gort_addrs *a,
			__u64 *total)
{
	struct census_src src = census__pid_src(pid);
	__u64 dead = 0;
	int err;

	/*
	 * Exited Ms first: an M leaves allm before mexit adds its count there,
	 * so in this order an M exiting meanwhile is missed once, never counted
	 * twice.
	 */
	if (a->ncgocall) {
		err = procfs__read_mem(pid, a->ncgocall + bias, &dead, sizeof(dead));
		if (err)
			return err;
	}
	err = census__read(&src, a, bias, NULL, &w->cs);
	if (err)
		return err;
	w->seen_in_c += w->cs.in_c;
	w->torn += w->cs.torn;
	w->lost += w->cs.lost;
	w->stack_torn += w->cs.stack_torn;
	*total = dead;
	for (size_t i = 0; i < w->cs.nm; i++)
		*total += w->cs.ms[i].ncgocall;
	return 0;
}

static int cmp_m(const void *a, const void *b)
{
	const struct mwatch_m *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

const struct mwatch_m *mwatch__find(const struct mwatch *w, __u32 tid)
{
	struct mwatch_m key = { .tid = tid };

	return w->n ? bsearch(&key, w->v, w->n, sizeof(*w->v), cmp_m) : NULL;
}

/*
 * The Ms in C of the last census, by tid, each with its census entry (both
 * lists are in M-list order) and since when it is in that call (from the
 * previous v). Returns 0 or -ENOMEM (w unchanged).
 */
static int list_in_c(struct mwatch *w, __u64 now_ns)
{
	const struct census *cs = &w->cs;
	struct mwatch_m *v = calloc(cs->nm ? cs->nm : 1, sizeof(*v));
	size_t n = 0, j = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cs->nm; i++) {
		const struct mwatch_m *was;

		if (!cs->ms[i].in_c)
			continue;
		v[n].tid = cs->ms[i].tid;
		v[n].ncgocall = cs->ms[i].ncgocall;
		/* the entries are those Ms in C that the census could read, in list order */
		if (j < cs->n && cs->v[j].tid == v[n].tid)
			v[n].call = &cs->v[j++];
		/* the same call as before only if no call started on the M since */
		was = mwatch__find(w, v[n].tid);
		v[n].since_ns = was && was->ncgocall == v[n].ncgocall ? was->since_ns : now_ns;
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_m);
	free(w->v);
	w->v = v;
	w->n = n;
	w->in_c = (unsigned int)n;
	if (w->in_c > w->in_c_peak)
		w->in_c_peak = w->in_c;
	w->nm = cs->nm;
	return 0;
}

int mwatch__init(struct mwatch *w, pid_t pid, __u64 bias, const struct gort_addrs *a)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->known = true;
	err = mwatch__update(w, pid, bias, a, clock__mono_ns());
	if (err) {
		mwatch__free(w);
		return err;
	}
	w->base = w->ncgocall;
	return 0;
}

int mwatch__update(struct mwatch *w, pid_t pid, __u64 bias, const struct gort_addrs *a,
		   __u64 now_ns)
{
	__u64 total;
	int err;

	if (!w->known)
		return -ENOENT;
	err = census_total(w, pid, bias, a, &total);
	if (!err)
		err = list_in_c(w, now_ns);
	w->cost_ns = clock__mono_ns() - now_ns;
	if (err)
		return err;
	if (total > w->ncgocall) /* an M exiting during the read is missed once: never go back */
		w->ncgocall = total;
	w->at_ns = now_ns;
	return 0;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct census_mstat *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int mwatch__save(const struct mwatch *w, struct census_mstat **out, size_t *n)
{
	struct census_mstat *v = malloc((w->cs.nm ? w->cs.nm : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (w->cs.nm) {
		memcpy(v, w->cs.ms, w->cs.nm * sizeof(*v));
		qsort(v, w->cs.nm, sizeof(*v), cmp_tid);
	}
	free(*out);
	*out = v;
	*n = w->cs.nm;
	return 0;
}

unsigned int mwatch__busy(const struct mwatch *w, const struct census_mstat *prev, size_t nprev)
{
	unsigned int busy = 0;

	for (size_t i = 0; i < w->cs.nm; i++) {
		const struct census_mstat *was =
		    nprev ? bsearch(&w->cs.ms[i], prev, nprev, sizeof(*prev), cmp_tid) : NULL;

		busy += w->cs.ms[i].ncgocall != (was ? was->ncgocall : 0);
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
	free(w->v);
	census__free(&w->cs);
	memset(w, 0, sizeof(*w));
}
