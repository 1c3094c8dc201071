/* censtack.c - the census's stack walk: return PCs above runtime.cgocall, by frame pointer. */
#include <errno.h>
#include <string.h>
#include "census.h"
#include "censmem.h"
#include "gort.h"

#define WALK_CHUNK 256 /* entries walked together */
#define WALK_WIN   512 /* bytes of stack read at once per entry */

/* Where one entry's walk is: its frame pointer, and the window of stack read at win. */
struct walk {
	__u64 bp, win;
	__u32 len;
	bool done;
	__u64 *pcs;
};

/* Whether [addr, addr + len) is inside e's goroutine stack. */
static bool in_stack(const struct census_entry *e, __u64 addr, __u64 len)
{
	return addr >= e->stack_lo && addr < e->stack_hi && e->stack_hi - addr >= len;
}

/* A frame pointer that can follow bp: above it, aligned, its frame record inside the stack. */
static bool frame_ok(const struct census_entry *e, __u64 bp, __u64 next)
{
	return next > bp && !(next % 8) && in_stack(e, next, 16);
}

/* cgocall's frame pointer: g.syscallbp when read, else syscallsp + its frame size. */
static __u64 first_bp(const struct gort_addrs *a, const struct census_entry *e)
{
	if (a->g_syscallbp && e->syscallbp)
		return e->syscallbp;
	return a->cgocall_bp ? e->syscallsp + a->cgocall_bp : 0;
}

static void window_at(struct walk *w, const struct census_entry *e)
{
	__u64 room = e->stack_hi - w->bp;

	w->win = w->bp;
	w->len = room < WALK_WIN ? (__u32)room : WALK_WIN;
}

/* Follows frames within the window buf; returns false when the next frame is past it. */
static bool walk_window(struct walk *w, struct census_entry *e, const unsigned char *buf,
			unsigned int depth)
{
	for (;;) {
		__u64 off = w->bp - w->win, next, pc;

		if (off + 16 > w->len)
			return false;
		memcpy(&next, buf + off, sizeof(next));
		memcpy(&pc, buf + off + 8, sizeof(pc));
		if (!pc)
			return true;
		if (e->npc == depth) {
			e->truncated = true;
			return true;
		}
		w->pcs[e->npc++] = pc;
		if (!frame_ok(e, w->bp, next))
			return true;
		w->bp = next;
	}
}

static void walk_start(const struct gort_addrs *a, struct census_entry *e, struct walk *w,
		       __u64 *pcs)
{
	memset(w, 0, sizeof(*w));
	w->pcs = pcs;
	w->bp = e->syscallsp ? first_bp(a, e) : 0;
	e->syscallbp = w->bp;
	w->done = !w->bp || w->bp < e->syscallsp || w->bp % 8 || !in_stack(e, w->bp, 16);
	if (w->done)
		e->syscallbp = 0;
	else
		window_at(w, e);
}

/* Ranges for one round: the windows of walks not done. */
static size_t round_iov(struct census_mem *mem, const struct walk *w, size_t cnt)
{
	size_t k = 0;

	for (size_t i = 0; i < cnt; i++)
		if (!w[i].done)
			mem->iov[k++] = (struct census_iov){ w[i].win, mem->raw + i * WALK_WIN,
							     w[i].len, 0 };
	return k;
}

/* Settles a round: windows walked; returns how many walks go on. */
static size_t round_end(struct census_mem *mem, struct walk *w, size_t first, size_t cnt,
			unsigned int depth)
{
	const struct census_iov *v = mem->iov;
	size_t more = 0;

	for (size_t i = 0; i < cnt; i++) {
		struct census_entry *e = &mem->v[first + i];

		if (w[i].done)
			continue;
		w[i].done = v->err || walk_window(&w[i], e, mem->raw + i * WALK_WIN, depth);
		v++;
		if (!w[i].done) {
			window_at(&w[i], e);
			more++;
		}
	}
	return more;
}

static int walk_chunk(const struct census_src *src, const struct gort_addrs *a,
		      struct census_mem *mem, size_t first, size_t cnt)
{
	struct walk w[WALK_CHUNK];
	size_t more = 1;
	int err;

	for (size_t i = 0; i < cnt; i++) {
		if (mem->state[first + i] == CM_LIVE)
			walk_start(a, &mem->v[first + i], &w[i],
				   mem->pcs + (first + i) * mem->depth);
		else
			w[i] = (struct walk){ .done = true };
	}
	while (more) {
		err = censio__readv(src, &mem->scratch, mem->iov, round_iov(mem, w, cnt));
		if (err)
			return err;
		more = round_end(mem, w, first, cnt, mem->depth);
	}
	return 0;
}

int censtack__fn(const struct census_src *src, const struct gort_addrs *a, struct census_mem *mem)
{
	size_t k = 0, i;
	int err;

	if (!a->cgocall_fn)
		return 0;
	for (i = 0; i < mem->nv; i++) {
		struct census_entry *e = &mem->v[i];

		if (mem->state[i] != CM_LIVE || !e->syscallsp ||
		    !in_stack(e, e->syscallsp + a->cgocall_fn, 8))
			continue;
		mem->iov[k++] = (struct census_iov){ e->syscallsp + a->cgocall_fn, &e->fn, 8, 0 };
	}
	err = censio__readv(src, &mem->scratch, mem->iov, k);
	for (i = 0; !err && i < k; i++)
		if (mem->iov[i].err)
			*(__u64 *)mem->iov[i].buf = 0;
	return err;
}

int censtack__walk(const struct census_src *src, const struct gort_addrs *a, struct census_mem *mem)
{
	int err;

	if (censmem__buffers(mem, WALK_CHUNK, WALK_WIN, 2))
		return -ENOMEM;
	for (size_t first = 0; first < mem->nv; first += WALK_CHUNK) {
		size_t cnt = mem->nv - first < WALK_CHUNK ? mem->nv - first : WALK_CHUNK;

		err = walk_chunk(src, a, mem, first, cnt);
		if (err)
			return err;
	}
	return 0;
}
