/* symstack.c - Go stacks for a snapshot: symbolized once, shared by equal stacks, owned by it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gobin.h"
#include "gosym.h"
#include "snapshot.h"
#include "symstack.h"

#define NSLOT_MIN 64

/* A stack already in the snapshot, by the binary and its link-time PCs. */
struct known {
	const struct gobin *gb;
	__u64 *pcs;
	unsigned int npc;
	bool truncated;
	int index;
};

struct symstack {
	struct snapshot *snap;
	struct known *v; /* open addressing */
	size_t nslot, n;
	const char **str; /* interned strings (snap's copies), open addressing */
	size_t nstr, nstrs;
};

static __u64 mix(__u64 h, __u64 v)
{
	return (h ^ v) * 0x100000001b3ULL;
}

static size_t stack_hash(const struct gobin *gb, const __u64 *pcs, unsigned int npc)
{
	__u64 h = mix(0xcbf29ce484222325ULL, (__u64)(unsigned long)gb);

	for (unsigned int i = 0; i < npc; i++)
		h = mix(h, pcs[i]);
	return (size_t)(h ^ (h >> 31));
}

static size_t str_hash(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (*s)
		h = mix(h, (unsigned char)*s++);
	return (size_t)(h ^ (h >> 31));
}

struct symstack *symstack__new(struct snapshot *snap)
{
	struct symstack *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->snap = snap;
	return ss;
}

void symstack__free(struct symstack *ss)
{
	if (!ss)
		return;
	for (size_t i = 0; i < ss->nslot; i++)
		free(ss->v[i].pcs);
	free(ss->v);
	free(ss->str);
	free(ss);
}

/* Doubles the string index. Returns 0 or -ENOMEM. */
static int grow_strs(struct symstack *ss)
{
	size_t n = ss->nstr ? ss->nstr * 2 : NSLOT_MIN;
	const char **v = calloc(n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ss->nstr; i++) {
		size_t s;

		if (!ss->str[i])
			continue;
		for (s = str_hash(ss->str[i]) & (n - 1); v[s]; s = (s + 1) & (n - 1))
			;
		v[s] = ss->str[i];
	}
	free(ss->str);
	ss->str = v;
	ss->nstr = n;
	return 0;
}

/* s in the snapshot's strings, copied once. NULL when out of memory. */
static const char *intern(struct symstack *ss, const char *s)
{
	size_t i;

	if ((ss->nstrs + 1) * 2 > ss->nstr && grow_strs(ss))
		return NULL;
	for (i = str_hash(s) & (ss->nstr - 1); ss->str[i]; i = (i + 1) & (ss->nstr - 1))
		if (!strcmp(ss->str[i], s))
			return ss->str[i];
	ss->str[i] = snapshot__strdup(ss->snap, s);
	if (ss->str[i])
		ss->nstrs++;
	return ss->str[i];
}

bool symstack__is_plumbing(const char *func)
{
	return strstr(func, "._Cfunc_") || strstr(func, "._C2func_") || !strncmp(func, "_cgo_", 5) ||
	       !strncmp(func, "runtime.", 8);
}

/* Frames of gosym as the snapshot's: their strings interned. Returns n, or 0 when out of memory. */
static unsigned int take_frames(struct symstack *ss, const struct gosym_frame *in,
				unsigned int n, struct snap_frame *out)
{
	for (unsigned int i = 0; i < n; i++) {
		out[i].func = intern(ss, in[i].func);
		out[i].file = intern(ss, strcmp(in[i].file, "?") ? in[i].file : "");
		out[i].line = in[i].line;
		out[i].inlined = in[i].inlined;
		if (!out[i].func || !out[i].file)
			return 0;
	}
	return n;
}

/*
 * The frames of one return address (link-time), inlined ones first: those
 * of pc - 1, so that a call at the very end of a function counts to it.
 * Without gs or a Go function there, its symbol, or the address.
 */
static unsigned int pc_frames(struct symstack *ss, const struct gobin *gb, struct gosym *gs,
			      __u64 pc, struct snap_frame *out, unsigned int max)
{
	struct gosym_frame g[SYMSTACK_MAX_FRAMES];
	struct gobin_func fn;
	char hex[24];
	int n;

	if (!max)
		return 0;
	n = gs ? gosym__lookup(gs, pc, 0, g, max < SYMSTACK_MAX_FRAMES ? max : SYMSTACK_MAX_FRAMES)
	       : 0;
	if (n > 0)
		return take_frames(ss, g, (unsigned int)n, out);
	memset(out, 0, sizeof(*out));
	if (!gobin__func_at(gb, pc - 1, &fn) && fn.name) {
		out->func = intern(ss, fn.name);
	} else {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)pc);
		out->func = intern(ss, hex);
	}
	out->file = intern(ss, "");
	return out->func && out->file ? 1 : 0;
}

/* Symbolizes the stack and adds it to the snapshot. Returns its index or -ENOMEM. */
static int add(struct symstack *ss, const struct gobin *gb, struct gosym *gs, const __u64 *pcs,
	       unsigned int npc, bool truncated)
{
	struct snap_frame frames[SYMSTACK_MAX_FRAMES];
	unsigned int n = 0, caller;

	for (unsigned int i = 0; i < npc && n < SYMSTACK_MAX_FRAMES; i++) {
		unsigned int k = pc_frames(ss, gb, gs, pcs[i], frames + n, SYMSTACK_MAX_FRAMES - n);

		if (!k)
			return -ENOMEM;
		n += k;
	}
	for (caller = 0; caller < n && symstack__is_plumbing(frames[caller].func); caller++)
		;
	return snapshot__add_stack(ss->snap, frames, n, truncated || n < npc, caller);
}

/* Doubles the stack index. Returns 0 or -ENOMEM. */
static int grow_stacks(struct symstack *ss)
{
	size_t n = ss->nslot ? ss->nslot * 2 : NSLOT_MIN;
	struct known *v = calloc(n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ss->nslot; i++) {
		size_t s;

		if (!ss->v[i].pcs)
			continue;
		for (s = stack_hash(ss->v[i].gb, ss->v[i].pcs, ss->v[i].npc) & (n - 1); v[s].pcs;
		     s = (s + 1) & (n - 1))
			;
		v[s] = ss->v[i];
	}
	free(ss->v);
	ss->v = v;
	ss->nslot = n;
	return 0;
}

int symstack__get(struct symstack *ss, const struct gobin *gb, struct gosym *gs, __u64 bias,
		  const __u64 *pcs, unsigned int npc, bool truncated)
{
	__u64 link[SYMSTACK_MAX_FRAMES];
	struct known *k;
	size_t s;

	if (npc > SYMSTACK_MAX_FRAMES) {
		npc = SYMSTACK_MAX_FRAMES;
		truncated = true;
	}
	for (unsigned int i = 0; i < npc; i++)
		link[i] = pcs[i] - bias;
	if ((ss->n + 1) * 2 > ss->nslot && grow_stacks(ss))
		return -ENOMEM;
	for (s = stack_hash(gb, link, npc) & (ss->nslot - 1); ss->v[s].pcs;
	     s = (s + 1) & (ss->nslot - 1)) {
		k = &ss->v[s];
		if (k->gb == gb && k->npc == npc && k->truncated == truncated &&
		    !memcmp(k->pcs, link, npc * sizeof(*link)))
			return k->index;
	}
	k = &ss->v[s];
	k->pcs = malloc((npc ? npc : 1) * sizeof(*link));
	if (!k->pcs)
		return -ENOMEM;
	k->index = add(ss, gb, gs, link, npc, truncated);
	if (k->index < 0) {
		free(k->pcs);
		k->pcs = NULL;
		return k->index;
	}
	memcpy(k->pcs, link, npc * sizeof(*link));
	k->gb = gb;
	k->npc = npc;
	k->truncated = truncated;
	ss->n++;
	return k->index;
}
