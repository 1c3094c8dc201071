/* censg.c - the census's reads of goroutines: their syscall frames, then each M and g again. */
#include <errno.h>
#include <string.h>
#include "census.h"
#include "censmem.h"
#include "gort.h"

/*
 * The last census's entry for the call M i is in, or NULL. The M alone tells:
 * cgocall counts the call (m.ncgocall) before it sets m.incgo, so an M still
 * in C with the count and goroutine it had then never left that call, and its
 * goroutine's stack and syscall frame cannot have moved meanwhile.
 */
static const struct census_entry *same_call(const struct census_mem *mem, size_t i)
{
	const struct census_m *m = &mem->mr[i];
	const struct census_entry *c;

	if (m->prev < 0 || mem->pdepth != mem->depth || mem->pentry[m->prev] < 0)
		return NULL;
	c = &mem->pv[mem->pentry[m->prev]];
	return c->g == m->curg && c->ncgocall == m->ncgocall ? c : NULL;
}

/* Makes entry n of M i, in the same call as c: its stack is the one read then. */
static void take_same(struct census_mem *mem, size_t n, const struct census_entry *c)
{
	struct census_entry *e = &mem->v[n];

	*e = *c;
	e->pcs = mem->pcs + n * mem->depth;
	memcpy(mem->pcs + n * mem->depth, c->pcs, c->npc * sizeof(*c->pcs));
	mem->state[n] = CM_SAME;
}

/*
 * An entry for each M in C: taken from the last census when in the same call,
 * else its goroutine's read planned (the k-th read: mem->gi[k] is its entry).
 * Returns the number of entries; *nk the reads planned.
 */
static size_t plan_gs(struct census_mem *mem, size_t *nk)
{
	const struct layout *l = &mem->gl;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < mem->nm; i++) {
		const struct census_m *m = &mem->mr[i];
		struct census_entry *e = &mem->v[n];
		const struct census_entry *c;

		if (!m->incgo || !m->curg)
			continue;
		mem->emi[n] = i;
		if ((c = same_call(mem, i))) {
			take_same(mem, n++, c);
			continue;
		}
		memset(e, 0, sizeof(*e));
		e->tid = m->tid;
		e->m = m->addr;
		e->g = m->curg;
		e->ncgocall = m->ncgocall;
		e->pcs = mem->pcs + n * mem->depth;
		mem->gi[k] = n;
		censio__iov(l, e->g, mem->raw + k * l->size, mem->iov + k * l->n);
		k++;
		n++;
	}
	*nk = k;
	return n;
}

/* Fills entry i from its goroutine's record, the k-th read; returns its state. */
static enum cm_state take_g(const struct gort_addrs *a, struct census_mem *mem, size_t k)
{
	const struct layout *l = &mem->gl;
	const void *rec = mem->raw + k * l->size;
	struct census_entry *e = &mem->v[mem->gi[k]];

	if (!censio__ok(mem->iov + k * l->n, l->n))
		return CM_LOST;
	e->stack_lo = censio__field(l, rec, GF_LO);
	e->stack_hi = censio__field(l, rec, GF_HI);
	e->syscallsp = a->g_syscallsp ? censio__field(l, rec, GF_SP) : 0;
	e->syscallpc = a->g_syscallpc ? censio__field(l, rec, GF_PC) : 0;
	e->syscallbp = a->g_syscallbp ? censio__field(l, rec, GF_BP) : 0;
	/* outside the stack: entering or leaving C */
	if (a->g_syscallsp && (e->syscallsp < e->stack_lo || e->syscallsp >= e->stack_hi))
		return CM_TORN;
	return CM_LIVE;
}

int censg__read(const struct census_src *src, const struct gort_addrs *a, struct census_mem *mem,
		struct census *out)
{
	size_t nk, n = plan_gs(mem, &nk);
	int err = censio__readv(src, &mem->scratch, mem->iov, nk * mem->gl.n);

	for (size_t k = 0; !err && k < nk; k++)
		mem->state[mem->gi[k]] = take_g(a, mem, k);
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

int censg__confirm(const struct census_src *src, const struct gort_addrs *a, struct census_mem *mem,
		   enum cm_state changed)
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
			mem->state[i] = changed;
		n++;
	}
	return err;
}
