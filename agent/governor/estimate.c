/* estimate.c - per-function estimates of the calls a sampled process made (pure). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "estimate.h"

void estimate__free(struct estimate *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* The entry of fn, or NULL; *at is where it is or would go. */
static struct est_func *find(const struct estimate *e, __u64 fn, size_t *at)
{
	size_t lo = 0, hi = e->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->v[mid].fn < fn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at)
		*at = lo;
	return lo < e->n && e->v[lo].fn == fn ? &e->v[lo] : NULL;
}

/* The entry of fn, added (zeroed) when new; NULL when out of memory. */
static struct est_func *get(struct estimate *e, __u64 fn)
{
	struct est_func *f;
	size_t at;

	f = find(e, fn, &at);
	if (f)
		return f;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct est_func *v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		e->v = v;
		e->cap = cap;
	}
	memmove(&e->v[at + 1], &e->v[at], (e->n - at) * sizeof(*e->v));
	e->n++;
	f = &e->v[at];
	memset(f, 0, sizeof(*f));
	f->fn = fn;
	return f;
}

int estimate__mark(struct estimate *e, const struct est_count *counts, size_t n)
{
	for (size_t i = 0; i < e->n; i++)
		e->v[i].mark = 0;
	for (size_t i = 0; i < n; i++) {
		struct est_func *f = get(e, counts[i].fn);

		if (!f)
			return -ENOMEM;
		f->mark = counts[i].n;
	}
	return 0;
}

/* Adds pool calls to the extras of the open span's mix. */
static void attribute(struct estimate *e, double pool)
{
	if (pool <= 0 || !e->mix_total)
		return;
	for (size_t i = 0; i < e->n; i++)
		e->v[i].extra += pool * (double)e->v[i].mix / (double)e->mix_total;
}

int estimate__cut(struct estimate *e, const struct est_count *counts, size_t n)
{
	if (e->open)
		return 0;
	for (size_t i = 0; i < e->n; i++)
		e->v[i].mix = 0;
	e->mix_total = 0;
	for (size_t i = 0; i < n; i++) {
		struct est_func *f = get(e, counts[i].fn);

		if (!f)
			return -ENOMEM;
		f->mix = counts[i].n > f->mark ? counts[i].n - f->mark : 0;
		e->mix_total += f->mix;
	}
	for (size_t i = 0; i < e->n; i++)
		e->v[i].mark = 0;
	e->open = e->sampled = true;
	if (e->mix_total) { /* earlier spans that had no mix take this one */
		attribute(e, e->pending);
		e->pending = 0;
	}
	return 0;
}

/* The open span's pool: the residual not attributed yet. */
static double pool_of(const struct estimate *e, double residual)
{
	double pool = residual - e->accounted;

	return e->open && pool > 0 ? pool : 0;
}

void estimate__resume(struct estimate *e, double residual)
{
	double pool = pool_of(e, residual);

	if (!e->open)
		return;
	if (e->mix_total)
		attribute(e, pool);
	else
		e->pending += pool;
	e->accounted += pool;
	e->open = false;
}

/* Counts one call to fn beyond the traced ones. */
static int count(struct estimate *e, __u64 fn)
{
	struct est_func *f = get(e, fn);

	if (!f)
		return -ENOMEM;
	f->extra += 1;
	e->accounted += 1;
	return 0;
}

int estimate__adopt(struct estimate *e, __u64 fn)
{
	return count(e, fn);
}

int estimate__unseen_end(struct estimate *e, __u64 fn)
{
	return count(e, fn);
}

double estimate__calls(struct estimate *e, __u64 fn, __u64 traced, double residual)
{
	struct est_func *f = find(e, fn, NULL);
	double v = (double)traced;

	if (!f)
		return v;
	v += f->extra;
	if (e->open && e->mix_total)
		v += pool_of(e, residual) * (double)f->mix / (double)e->mix_total;
	if (v < f->shown)
		return f->shown;
	f->shown = v;
	return v;
}

double estimate__unattributed(const struct estimate *e, double residual)
{
	return e->pending + (e->open && !e->mix_total ? pool_of(e, residual) : 0);
}
