/* cprof.c - thread-time in C per (C function, Go stack), from census samples (pure). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cprof.h"

/* FNV-1a over the function and the PCs. */
static size_t hash(__u64 fn, const __u64 *pcs, unsigned int npc)
{
	__u64 h = 0xcbf29ce484222325ULL;

	h = (h ^ fn) * 0x100000001b3ULL;
	for (unsigned int i = 0; i < npc; i++)
		h = (h ^ pcs[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 29));
}

static bool same(const struct cprof_entry *e, __u64 fn, const __u64 *pcs, unsigned int npc,
		 bool truncated)
{
	return e->fn == fn && e->npc == npc && e->truncated == truncated &&
	       !memcmp(e->pcs, pcs, npc * sizeof(*pcs));
}

/* Rebuilds the index with room for twice the entries. Returns 0 or -ENOMEM. */
static int grow_index(struct cprof *cp)
{
	size_t nslot = cp->nslot ? cp->nslot * 2 : 64;
	size_t *slot = calloc(nslot, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < cp->n; i++) {
		const struct cprof_entry *e = &cp->v[i];
		size_t s = hash(e->fn, e->pcs, e->npc) & (nslot - 1);

		while (slot[s])
			s = (s + 1) & (nslot - 1);
		slot[s] = i + 1;
	}
	free(cp->slot);
	cp->slot = slot;
	cp->nslot = nslot;
	return 0;
}

/* The entry of (fn, pcs), added when new; NULL when out of memory. */
static struct cprof_entry *get(struct cprof *cp, __u64 fn, const __u64 *pcs, unsigned int npc,
			       bool truncated)
{
	struct cprof_entry *e;
	size_t s;

	if ((cp->n + 1) * 2 > cp->nslot && grow_index(cp))
		return NULL;
	for (s = hash(fn, pcs, npc) & (cp->nslot - 1); cp->slot[s]; s = (s + 1) & (cp->nslot - 1))
		if (same(&cp->v[cp->slot[s] - 1], fn, pcs, npc, truncated))
			return &cp->v[cp->slot[s] - 1];
	if (cp->n == cp->cap) {
		size_t cap = cp->cap ? cp->cap * 2 : 32;
		struct cprof_entry *v = realloc(cp->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		cp->v = v;
		cp->cap = cap;
	}
	e = &cp->v[cp->n];
	memset(e, 0, sizeof(*e));
	e->fn = fn;
	e->npc = npc;
	e->truncated = truncated;
	memcpy(e->pcs, pcs, npc * sizeof(*pcs));
	cp->slot[s] = ++cp->n;
	return e;
}

int cprof__add(struct cprof *cp, __u64 fn, const __u64 *pcs, unsigned int npc, bool truncated,
	       __u64 ns)
{
	struct cprof_entry *e;

	if (npc > CPROF_MAX_PCS) {
		npc = CPROF_MAX_PCS;
		truncated = true;
	}
	e = get(cp, fn, pcs, npc, truncated);
	if (!e) {
		cp->dropped++;
		return -ENOMEM;
	}
	e->ns += ns;
	e->samples++;
	return 0;
}

void cprof__census(struct cprof *cp, __u64 ns)
{
	cp->sampled_ns += ns;
	cp->censuses++;
}

void cprof__free(struct cprof *cp)
{
	free(cp->v);
	free(cp->slot);
	memset(cp, 0, sizeof(*cp));
}
