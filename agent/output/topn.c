/* topn.c - sticky top-N of one group's C functions, with an "other" that never goes backwards. */
#include <string.h>
#include "topn.h"

void topn__ctr_add(struct topn_ctr *a, const struct topn_ctr *b)
{
	unsigned int i;

	a->calls += b->calls;
	a->count += b->count;
	a->sum_ns += b->sum_ns;
	for (i = 0; i < CGOSCOPE_NBUCKETS; i++)
		a->buckets[i] += b->buckets[i];
}

static __u64 max_u64(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

void topn__ctr_max(struct topn_ctr *a, const struct topn_ctr *b)
{
	unsigned int i;

	a->calls = max_u64(a->calls, b->calls);
	a->count = max_u64(a->count, b->count);
	a->sum_ns = max_u64(a->sum_ns, b->sum_ns);
	for (i = 0; i < CGOSCOPE_NBUCKETS; i++)
		a->buckets[i] = max_u64(a->buckets[i], b->buckets[i]);
}

static void ctr_sub(struct topn_ctr *a, const struct topn_ctr *b)
{
	unsigned int i;

	a->calls -= b->calls;
	a->count -= b->count;
	a->sum_ns -= b->sum_ns;
	for (i = 0; i < CGOSCOPE_NBUCKETS; i++)
		a->buckets[i] -= b->buckets[i];
}

/* The not-kept entry of highest rank (the first of equals), or NULL. */
static struct topn_entry *best_candidate(struct topn_entry *e, size_t n)
{
	struct topn_entry *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (e[i].kept || e[i].pinned_other)
			continue;
		if (!best || e[i].rank > best->rank)
			best = &e[i];
	}
	return best;
}

size_t topn__update(struct topn_entry *e, size_t n, unsigned int max)
{
	size_t i, kept = 0, out = 0;
	struct topn_entry *c;

	for (i = 0; i < n; i++)
		kept += e[i].kept;
	while ((!max || kept + 1 < max) && (c = best_candidate(e, n))) {
		c->kept = true;
		if (c->in_other)
			c->base = c->val;
		else
			memset(&c->base, 0, sizeof(c->base));
		kept++;
	}
	for (i = 0; i < n; i++) {
		if (e[i].kept)
			continue;
		e[i].in_other = true;
		out++;
	}
	return out;
}

void topn__series(const struct topn_entry *e, struct topn_ctr *out)
{
	*out = e->val;
	ctr_sub(out, &e->base);
}

bool topn__other(const struct topn_entry *e, size_t n, struct topn_ctr *out)
{
	bool any = false;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		any |= e[i].in_other;
		topn__ctr_add(out, e[i].kept ? &e[i].base : &e[i].val);
	}
	return any;
}
