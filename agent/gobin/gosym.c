/* gosym.c - symbolizes Go PCs: function, file:line and inlined frames, with a lookup cache. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "gosym.h"
#include "pclntab.h"

#define CACHE_BITS   10
#define CACHE_FRAMES 6 /* deeper results are not cached */
#define INLTREE_MAX  (1 << 20) /* entries: the runtime's own bound on the table */

/* One remembered lookup: key is the PC looked up, 0 for an empty slot. */
struct cache_ent {
	__u64 key;
	unsigned int n;
	struct gosym_frame f[CACHE_FRAMES];
};

struct gosym {
	const struct gobin *gb;
	struct gobin_pcln pcln;
	bool old_inl; /* Go 1.16-1.19 inlinedCall layout */
	struct cache_ent cache[1 << CACHE_BITS];
};

struct gosym *gosym__new(const struct gobin *gb)
{
	struct gosym *gs;
	int err;

	if (!gb) {
		errno = EINVAL;
		return NULL;
	}
	gs = calloc(1, sizeof(*gs));
	if (!gs) {
		errno = ENOMEM;
		return NULL;
	}
	err = gobin__pcln(gb, &gs->pcln);
	if (err) {
		free(gs);
		errno = -err;
		return NULL;
	}
	gs->gb = gb;
	gs->old_inl = gs->pcln.pt->magic != PCLNTAB_MAGIC_120;
	return gs;
}

void gosym__free(struct gosym *gs)
{
	free(gs);
}

static __u32 rd32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (__u32)p[3] << 24;
}

/*
 * Entry idx of the inline tree at tree (an inlinedCall): the callee's name
 * and the offset from the entry of the PC whose file:line is its call site.
 * Go 1.16-1.19: parent int16, funcID, pad, file, line, func_ (name offset),
 * parentPc; Go 1.20+: funcID, 3 pad bytes, nameOff, parentPc, startLine.
 */
static int inl_entry(const struct gosym *gs, __u64 tree, __s32 idx, const char **name,
		     __u32 *parent_pc)
{
	unsigned int size = gs->old_inl ? 20 : 16, at = gs->old_inl ? 12 : 4;
	unsigned char e[20];

	if (idx < 0 || idx >= INLTREE_MAX || gobin__read(gs->gb, tree + (__u64)idx * size, e, size))
		return -ENOENT;
	*name = pclntab__name(gs->pcln.pt, rd32(e + at));
	*parent_pc = rd32(e + at + 4);
	return *name ? 0 : -ENOENT;
}

/* The frame of name at pc of fn: file:line from fn's tables at pc. */
static void set_frame(const struct gosym *gs, const struct pclntab_func *fn, __u64 pc,
		      const char *name, bool inlined, struct gosym_frame *f)
{
	const struct pclntab *pt = gs->pcln.pt;
	__s32 fileno, line;

	*f = (struct gosym_frame){ name, "?", 0, inlined, pc };
	if (!pclntab__pcvalue(pt, fn, fn->pcln, pc, &line) && line > 0)
		f->line = line;
	if (!pclntab__pcvalue(pt, fn, fn->pcfile, pc, &fileno))
		f->file = pclntab__file(pt, fn, fileno) ?: "?";
}

/* Decodes the frames at pc into f[0..max) without the cache; returns how many. */
static unsigned int decode(const struct gosym *gs, __u64 pc, struct gosym_frame *f,
			   unsigned int max)
{
	const struct pclntab *pt = gs->pcln.pt;
	struct pclntab_func fn;
	unsigned int n = 0;
	const char *name;
	__u64 tree = 0;
	__u32 parent;
	__s32 val;

	if (pclntab__func_at(pt, gs->pcln.text, pc, &fn))
		return 0;
	if (pt->magic == PCLNTAB_MAGIC_12) {
		f[0] = (struct gosym_frame){ fn.name, "?", 0, false, pc };
		return 1;
	}
	if (pclntab__pcvalue(pt, &fn, fn.pcln, pc, &val))
		return 0; /* not fn's code: C code after it, padding, or a bad table */
	pclntab__funcdata(pt, &fn, PCLNTAB_FUNCDATA_INLTREE, gs->pcln.gofunc, &tree);
	/* Bounded by max: a malformed tree that loops fills f and stops. */
	for (; n < max; n++) {
		if (!tree || pclntab__pcdata(pt, &fn, PCLNTAB_PCDATA_INLTREE, pc, &val) ||
		    val < 0 || inl_entry(gs, tree, val, &name, &parent))
			break;
		set_frame(gs, &fn, pc, name, true, &f[n]);
		pc = fn.entry + parent;
	}
	if (n < max)
		set_frame(gs, &fn, pc, fn.name, false, &f[n++]);
	return n;
}

static struct cache_ent *slot_of(struct gosym *gs, __u64 pc)
{
	return &gs->cache[(pc * 0x9e3779b97f4a7c15ull) >> (64 - CACHE_BITS)];
}

int gosym__lookup(struct gosym *gs, __u64 pc, unsigned int flags, struct gosym_frame *frames,
		  unsigned int max)
{
	struct cache_ent *c;
	unsigned int n;

	if (!(flags & GOSYM_EXACT))
		pc--;
	if (!max || pc + 1 <= 1) /* pc 0, or a return address 0 */
		return 0;
	c = slot_of(gs, pc);
	if (c->key == pc) {
		n = c->n < max ? c->n : max;
		memcpy(frames, c->f, n * sizeof(*frames));
		return n;
	}
	n = decode(gs, pc, frames, max);
	/* Only complete results: none, or ending with the physical function. */
	if (n <= CACHE_FRAMES && (!n || !frames[n - 1].inlined)) {
		c->key = pc;
		c->n = n;
		memcpy(c->f, frames, n * sizeof(*frames));
	}
	return n;
}
