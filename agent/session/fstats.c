/* fstats.c - reads the BPF per-function stats map: one process's entries or all. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "estimate.h"
#include "fstats.h"
#include "mapwalk.h"

/* What fstats__for_each() walks with: the caller's filter and callback. */
struct walk {
	__u32 tgid;
	fstats_fn fn;
	void *ctx;
};

static int visit(const void *key, const void *value, void *ctx)
{
	const struct cgoscope_func_key *k = key;
	struct walk *w = ctx;

	return w->tgid && k->tgid != w->tgid ? 0 : w->fn(k, value, w->ctx);
}

int fstats__for_each(struct cgoscope_bpf *skel, __u32 tgid, fstats_fn fn, void *ctx)
{
	struct walk w = { .tgid = tgid, .fn = fn, .ctx = ctx };

	return mapwalk__each(bpf_map__fd(skel->maps.stats), sizeof(struct cgoscope_func_key),
			     sizeof(struct cgoscope_func_stats), visit, &w);
}

struct counts {
	struct est_count *v;
	size_t n, cap;
};

static int add_count(const struct cgoscope_func_key *key, const struct cgoscope_func_stats *sum,
		     void *ctx)
{
	struct counts *c = ctx;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct est_count *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].fn = key->fn;
	c->v[c->n++].n = sum->count;
	return 0;
}

int fstats__counts(struct cgoscope_bpf *skel, __u32 tgid, struct est_count **out, size_t *n)
{
	struct counts c = { 0 };
	int err = fstats__for_each(skel, tgid, add_count, &c);

	if (err) {
		free(c.v);
		return err;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}
