/* expo.c - what /metrics exports per executable: sums over its processes, kept monotonic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expo.h"

#define OTHER "other"

struct expo_proc {
	__u32 pid;
	__u64 start_time;
	struct expo_group *group;
	struct topn_ctr *last; /* last[i]: its last counts of group->funcs[i] */
	size_t nlast;
	bool seen; /* in this update's snapshot */
	bool ended; /* marked exited: these are its final counts */
	bool gone; /* ended and folded: ignored while snapshots still list it */
};

struct expo {
	struct expo_opts opts;
	struct expo_group **groups;
	size_t ngroups;
	struct expo_proc **procs;
	size_t nprocs;
};

struct expo *expo__new(const struct expo_opts *opts)
{
	struct expo *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->opts = *opts;
	return e;
}

static void group_free(struct expo_group *g)
{
	if (!g)
		return;
	free(g->funcs);
	free(g->top);
	free(g);
}

static void proc_free(struct expo_proc *p)
{
	if (!p)
		return;
	free(p->last);
	free(p);
}

void expo__free(struct expo *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nprocs; i++)
		proc_free(e->procs[i]);
	for (i = 0; i < e->ngroups; i++)
		group_free(e->groups[i]);
	free(e->procs);
	free(e->groups);
	free(e);
}

struct expo_group *const *expo__groups(const struct expo *e, size_t *n)
{
	*n = e->ngroups;
	return e->groups;
}

bool expo__per_process(const struct expo *e)
{
	return e->opts.per_process;
}

/* Grows *arr of pointers by one; returns its new last place or NULL. */
static void **ptrs_push(void ***arr, size_t *n)
{
	void **grown = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!grown)
		return NULL;
	*arr = grown;
	return &grown[(*n)++];
}

static struct expo_group *group_get(struct expo *e, const struct proc_snap *sp)
{
	__u32 pid = e->opts.per_process ? sp->pid : 0;
	struct expo_group *g, **slot;
	size_t i;

	for (i = 0; i < e->ngroups; i++) {
		g = e->groups[i];
		if (g->pid == pid && !strcmp(g->exe, sp->exe))
			return g;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	slot = (struct expo_group **)ptrs_push((void ***)&e->groups, &e->ngroups);
	if (!slot) {
		free(g);
		return NULL;
	}
	*slot = g;
	snprintf(g->exe, sizeof(g->exe), "%s", sp->exe);
	g->pid = pid;
	return g;
}

/* Index of the function called name in g, added when new; -ENOMEM. */
static long group_func(struct expo_group *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nfuncs; i++)
		if (!strcmp(g->funcs[i].name, name))
			return (long)i;
	if (g->nfuncs == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		struct expo_func *f = realloc(g->funcs, cap * sizeof(*f));
		struct topn_entry *t;

		if (!f)
			return -ENOMEM;
		g->funcs = f;
		t = realloc(g->top, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		g->top = t;
		g->cap = cap;
	}
	memset(&g->funcs[g->nfuncs], 0, sizeof(g->funcs[0]));
	memset(&g->top[g->nfuncs], 0, sizeof(g->top[0]));
	snprintf(g->funcs[g->nfuncs].name, sizeof(g->funcs[0].name), "%s", name);
	g->top[g->nfuncs].pinned_other = !strcmp(name, OTHER);
	return (long)g->nfuncs++;
}

static struct expo_proc *proc_find(struct expo *e, const struct proc_snap *sp)
{
	size_t i;

	for (i = 0; i < e->nprocs; i++) {
		struct expo_proc *p = e->procs[i];

		if (p->pid == sp->pid && p->start_time == sp->start_time &&
		    (p->gone || !strcmp(p->group->exe, sp->exe)))
			return p;
	}
	return NULL;
}

static struct expo_proc *proc_new(struct expo *e, const struct proc_snap *sp)
{
	struct expo_proc *p = calloc(1, sizeof(*p)), **slot;

	if (!p)
		return NULL;
	p->group = group_get(e, sp);
	slot = p->group ? (struct expo_proc **)ptrs_push((void ***)&e->procs, &e->nprocs) : NULL;
	if (!slot) {
		free(p);
		return NULL;
	}
	*slot = p;
	p->pid = sp->pid;
	p->start_time = sp->start_time;
	p->group->nprocs++;
	return p;
}

static void ctr_of(struct topn_ctr *c, const struct func_snap *f)
{
	c->calls = f->calls;
	c->count = f->traced_calls;
	c->sum_ns = f->traced_ns;
	memcpy(c->buckets, f->buckets, sizeof(c->buckets));
}

/* The process's last counts of group function fn (zero when new); NULL when out of memory. */
static struct topn_ctr *proc_last(struct expo_proc *p, size_t fn)
{
	size_t n = p->group->nfuncs;
	struct topn_ctr *grown;

	if (fn < p->nlast)
		return &p->last[fn];
	grown = realloc(p->last, n * sizeof(*grown));
	if (!grown)
		return NULL;
	memset(&grown[p->nlast], 0, (n - p->nlast) * sizeof(*grown));
	p->last = grown;
	p->nlast = n;
	return &p->last[fn];
}

/* Takes the counts of sp into p (never lower than before) and its calls in C now. */
static int proc_observe(struct expo_proc *p, const struct proc_snap *sp)
{
	struct expo_group *g = p->group;
	struct topn_ctr now;
	size_t i;

	p->seen = true;
	if (p->gone)
		return 0;
	p->ended = sp->exited;
	if (sp->folded > g->stats_folded)
		g->stats_folded = sp->folded;
	for (i = 0; i < sp->nfuncs; i++) {
		long fn = group_func(g, sp->funcs[i].name);
		struct topn_ctr *last = fn < 0 ? NULL : proc_last(p, (size_t)fn);

		if (!last)
			return -ENOMEM;
		ctr_of(&now, &sp->funcs[i]);
		topn__ctr_max(last, &now);
		g->funcs[fn].inflight += sp->funcs[i].inflight;
	}
	return 0;
}

/*
 * Folds the last counts of the processes that ended into their groups; those
 * gone from the snapshot are forgotten, those still listed as exited kept as
 * tombstones (so that they are not counted again).
 */
static void procs_retire(struct expo *e)
{
	size_t i, j, kept = 0;

	for (i = 0; i < e->nprocs; i++) {
		struct expo_proc *p = e->procs[i];

		if (!p->gone && (!p->seen || p->ended)) {
			for (j = 0; j < p->nlast; j++)
				topn__ctr_add(&p->group->funcs[j].retired, &p->last[j]);
			p->group->nprocs--;
			p->group = NULL;
			p->nlast = 0;
			p->gone = true;
		}
		if (!p->seen) {
			proc_free(p);
			continue;
		}
		e->procs[kept++] = p;
	}
	e->nprocs = kept;
}

/* Each function's value (retired plus live processes), then the top-N and "other". */
static void groups_sum(struct expo *e)
{
	size_t i, j;

	for (i = 0; i < e->ngroups; i++) {
		struct expo_group *g = e->groups[i];

		for (j = 0; j < g->nfuncs; j++)
			g->top[j].val = g->funcs[j].retired;
	}
	for (i = 0; i < e->nprocs; i++) {
		struct expo_proc *p = e->procs[i];

		for (j = 0; j < p->nlast; j++)
			topn__ctr_add(&p->group->top[j].val, &p->last[j]);
	}
	for (i = 0; i < e->ngroups; i++) {
		struct expo_group *g = e->groups[i];

		g->other_inflight = 0;
		for (j = 0; j < g->nfuncs; j++)
			g->top[j].rank = g->top[j].val.sum_ns;
		g->nother = topn__update(g->top, g->nfuncs, e->opts.max_functions);
		g->has_other = topn__other(g->top, g->nfuncs, &g->other);
		for (j = 0; j < g->nfuncs; j++) {
			if (!g->top[j].kept)
				g->other_inflight += g->funcs[j].inflight;
			/* the stats module's own "other" is counted in stats_folded */
			if (g->top[j].pinned_other && g->nother)
				g->nother--;
		}
	}
}

/* Drops the groups that have been without processes for linger_s (0: at once). */
static void groups_expire(struct expo *e, double now)
{
	size_t i, kept = 0;

	for (i = 0; i < e->ngroups; i++) {
		struct expo_group *g = e->groups[i];

		if (g->nprocs) {
			g->empty = false;
		} else if (!g->empty && e->opts.linger_s > 0) {
			g->empty = true;
			g->empty_since = now;
		} else if (!g->empty || now - g->empty_since >= e->opts.linger_s) {
			group_free(g);
			continue;
		}
		e->groups[kept++] = g;
	}
	e->ngroups = kept;
}

int expo__update(struct expo *e, const struct snapshot *snap, double now)
{
	size_t i, j;
	int err = 0;

	for (i = 0; i < e->nprocs; i++)
		e->procs[i]->seen = false;
	for (i = 0; i < e->ngroups; i++) {
		e->groups[i]->stats_folded = 0;
		for (j = 0; j < e->groups[i]->nfuncs; j++)
			e->groups[i]->funcs[j].inflight = 0;
	}
	for (i = 0; i < snap->nprocs && !err; i++) {
		const struct proc_snap *sp = &snap->procs[i];
		struct expo_proc *p = proc_find(e, sp);

		if (!p)
			p = proc_new(e, sp);
		err = p ? proc_observe(p, sp) : -ENOMEM;
	}
	if (err) { /* keep every process: none is retired for being missed */
		for (i = 0; i < e->nprocs; i++)
			e->procs[i]->seen = true;
	}
	procs_retire(e);
	groups_expire(e, now);
	groups_sum(e);
	return err;
}
