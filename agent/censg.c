/* censg.c - the census's reads of goroutines: their syscall frames, then each M and g again. */
#include <errno.h>
#include <string.h>
#include "census.h"
#include "censmem.h"
#include "gort.h"

/* An entry for each M in C; its goroutine's read planned. Returns how many. */
static size_t plan_gs(struct census_mem *mem)
{
	const struct layout *l = &mem->gl;
	size_t n = 0;

	for (size_t i = 0; i < mem->nm; i++) {
		const struct census_m *m = &mem->mr[i];
		struct census_entry *e = &mem->v[n];

		if (!m->incgo || !m->curg)
			continue;
		memset(e, 0, sizeof(*e));
		e->tid = m->tid;
		e->m = m->addr;
		e->g = m->curg;
		e->ncgocall = m->ncgocall;
		e->pcs = mem->pcs + n * mem->depth;
		mem->emi[n] = i;
		censio__iov(l, e->g, mem->raw + n * l->size, mem->iov + n * l->n);
		n++;
	}
	return n;
}

/* The last census's entry for the same call as e, or NULL. */
static const struct census_entry *same_call(const struct census_mem *mem, size_t i)
{
	const struct census_m *m = &mem->mr[mem->emi[i]];
	const struct census_entry *e = &mem->v[i], *c;

	if (m->prev < 0 || mem->pdepth != mem->depth || mem->pentry[m->prev] < 0)
		return NULL;
	c = &mem->pv[mem->pentry[m->prev]];
	if (c->g != e->g || c->ncgocall != e->ncgocall || c->stack_lo != e->stack_lo ||
	    c->stack_hi != e->stack_hi || c->syscallsp != e->syscallsp ||
	    c->syscallpc != e->syscallpc)
		return NULL;
	return c;
}

/* Fills entry i from its goroutine's record; returns its state. */
static enum cm_state take_g(const struct gort_addrs *a, struct census_mem *mem, size_t i)
{
	const struct layout *l = &mem->gl;
	const void *rec = mem->raw + i * l->size;
	struct census_entry *e = &mem->v[i];
	const struct census_entry *c;

	if (!censio__ok(mem->iov + i * l->n, l->n))
		return CM_LOST;
	e->stack_lo = censio__field(l, rec, GF_LO);
	e->stack_hi = censio__field(l, rec, GF_HI);
	e->syscallsp = a->g_syscallsp ? censio__field(l, rec, GF_SP) : 0;
	e->syscallpc = a->g_syscallpc ? censio__field(l, rec, GF_PC) : 0;
	e->syscallbp = a->g_syscallbp ? censio__field(l, rec, GF_BP) : 0;
	/* outside the stack: entering or leaving C */
	if (a->g_syscallsp && (e->syscallsp < e->stack_lo || e->syscallsp >= e->stack_hi))
		return CM_TORN;
	c = same_call(mem, i);
	if (!c)
		return CM_LIVE;
	e->fn = c->fn;
	e->syscallbp = c->syscallbp;
	e->npc = c->npc;
	e->truncated = c->truncated;
	memcpy(mem->pcs + i * mem->depth, c->pcs, c->npc * sizeof(*c->pcs));
	return CM_SAME;
}

int censg__read(const struct census_src *src, const struct gort_addrs *a, struct census_mem *mem,
		struct census *out)
{
	size_t n = plan_gs(mem);
	int err = censio__readv(src, &mem->scratch, mem->iov, n * mem->gl.n);

	for (size_t i = 0; !err && i < n; i++)
		mem->state[i] = take_g(a, mem, i);
	mem->nv = n;
	out->in_c = (unsigned int)n;
	return err;
}

/* Whether the record p (M, then g) read again says entry e is in the same call. */
static bool unchanged(const struct gort_addrs *a, const struct census_mem *mem,
		      const unsigned char *p, const struct census_entry *e)
{
	const struct layout *ml = &mem->ml, *gl = &mem->gl;
	const unsigned char *g = p + ml->size;

	return (censio__field(ml, p, MF_INCGO) & 0xff) && censio__field(ml, p, MF_CURG) == e->g &&
	       censio__field(ml, p, MF_NCGOCALL) == e->ncgocall &&
	       censio__field(gl, g, GF_LO) == e->stack_lo &&
	       (!a->g_syscallsp || censio__field(gl, g, GF_SP) == e->syscallsp);
}

int censg__confirm(const struct census_src *src, const struct gort_addrs *a, struct census_mem *mem)
{
	const struct layout *ml = &mem->ml, *gl = &mem->gl;
	size_t k = ml->n + gl->n, rec = ml->size + gl->size, n = 0, i;
	int err;

	for (i = 0; i < mem->nv; i++) {
		unsigned char *p = mem->raw + i * rec;

		if (mem->state[i] != CM_LIVE)
			continue;
		censio__iov(ml, mem->v[i].m, p, mem->iov + n * k);
		censio__iov(gl, mem->v[i].g, p + ml->size, mem->iov + n * k + ml->n);
		n++;
	}
	err = censio__readv(src, &mem->scratch, mem->iov, n * k);
	for (i = 0, n = 0; !err && i < mem->nv; i++) {
		if (mem->state[i] != CM_LIVE)
			continue;
		if (!censio__ok(mem->iov + n * k, k) ||
		    !unchanged(a, mem, mem->raw + i * rec, &mem->v[i]))
			mem->state[i] = CM_TORN;
		n++;
	}
	return err;
}
