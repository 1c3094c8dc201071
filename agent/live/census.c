/* census.c - the goroutines in C now and their Go stacks, from the Go runtime's memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "census.h"
#include "censmem.h"
#include "gort.h"

static void plan(struct census_mem *mem, const struct gort_addrs *a, unsigned int depth)
{
	/* without m.curg, its field reads m.procid again and is ignored (mem->curg_known) */
	__u32 m[MF_N] = { a->m_procid, a->m_ncgocall, a->m_incgo,
			  a->m_curg ? a->m_curg : a->m_procid, a->m_alllink };
	__u32 g[GF_N] = { 0, 8, a->g_syscallsp, a->g_syscallpc, a->g_syscallbp };

	struct layout ml = mem->ml, gl = mem->gl;

	censio__layout(&mem->ml, m, MF_N);
	censio__layout(&mem->gl, g, GF_N); /* unknown offsets (0) read g.stack.lo again */
	/* what was read with other offsets is not this call's to reuse */
	if (memcmp(&ml, &mem->ml, sizeof(ml)) || memcmp(&gl, &mem->gl, sizeof(gl)) ||
	    mem->cgocall_fn != a->cgocall_fn)
		censmem__forget(mem);
	mem->cgocall_fn = a->cgocall_fn;
	mem->depth = depth;
	mem->curg_known = a->m_curg != 0;
}

/* Copies every M the walk read into out->ms. Returns 0 or -ENOMEM. */
static int list_ms(const struct census_mem *mem, struct census *out)
{
	if (mem->nm > out->nms_cap) {
		struct census_mstat *v = realloc(out->ms, mem->nm * sizeof(*v));

		if (!v)
			return -ENOMEM;
		out->ms = v;
		out->nms_cap = mem->nm;
	}
	for (size_t i = 0; i < mem->nm; i++) {
		out->ms[i].tid = mem->mr[i].tid;
		out->ms[i].in_c = mem->mr[i].incgo;
		out->ms[i].ncgocall = mem->mr[i].ncgocall;
	}
	return 0;
}

/* Keeps the good entries in out, in order, and counts the others. */
static void settle(struct census_mem *mem, struct census *out)
{
	size_t n = 0;

	for (size_t i = 0; i < mem->nv; i++) {
		if (mem->state[i] == CM_NOSTACK) {
			/* its function and time hold; its stack may be another call's */
			mem->v[i].npc = 0;
			mem->v[i].truncated = false;
			mem->v[i].stack_torn = true;
			out->stack_torn++;
		}
		if (mem->state[i] == CM_LIVE || mem->state[i] == CM_SAME ||
		    mem->state[i] == CM_NOSTACK) {
			mem->v[n] = mem->v[i];
			mem->emi[n++] = mem->emi[i];
		} else if (mem->state[i] == CM_TORN) {
			out->torn++;
		} else {
			out->lost++;
		}
	}
	out->n = n;
}

static int run(const struct census_src *src, const struct gort_addrs *a, __u64 bias,
	       const struct census_opts *o, struct census *out)
{
	struct census_mem *mem = out->mem;
	int err;

	plan(mem, a, o->max_depth);
	err = censmem__prepare(mem);
	if (!err)
		err = censm__walk(src, a, bias, o->max_ms, mem);
	if (!err)
		err = list_ms(mem, out);
	if (!err)
		err = censmem__fit(mem, mem->nm);
	if (!err)
		err = censg__read(src, a, mem, out);
	/* the function, confirmed at once: a short call is seen in it or not at all */
	if (!err)
		err = censtack__fn(src, a, mem);
	if (!err)
		err = censg__confirm(src, a, mem, CM_TORN);
	if (!err)
		err = censtack__walk(src, a, mem);
	if (!err)
		err = censg__confirm(src, a, mem, CM_NOSTACK);
	if (err)
		return err;
	settle(mem, out);
	err = censmem__keep(mem, out->n);
	out->v = mem->pv; /* keep swapped this call's entries in */
	return err;
}

int census__read(const struct census_src *src, const struct gort_addrs *a, __u64 bias,
		 const struct census_opts *opts, struct census *out)
{
	struct census_opts o = { CENSUS_DEFAULT_DEPTH, CENSUS_DEFAULT_MAX_MS };
	int err;

	out->v = NULL;
	out->n = out->nm = out->in_c = out->torn = out->lost = out->stack_torn = 0;
	if (!a->allm || !a->m_alllink || !a->m_incgo || !a->m_ncgocall || !a->m_procid)
		return -ENOENT;
	if (opts && opts->max_depth)
		o.max_depth =
		    opts->max_depth < CENSUS_MAX_DEPTH ? opts->max_depth : CENSUS_MAX_DEPTH;
	if (opts && opts->max_ms)
		o.max_ms = opts->max_ms;
	if (!out->mem && !(out->mem = calloc(1, sizeof(*out->mem))))
		return -ENOMEM;
	err = run(src, a, bias, &o, out);
	out->nm = (unsigned int)out->mem->nm;
	if (err) {
		censmem__forget(out->mem); /* walk the list afresh next time */
		out->v = NULL;
		out->n = out->in_c = out->torn = out->lost = out->stack_torn = 0;
	}
	return err;
}

void census__free(struct census *out)
{
	censmem__free(out->mem);
	free(out->ms);
	memset(out, 0, sizeof(*out));
}
