/* stats.c - reads the BPF maps and /proc into a snapshot. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "clock.h"
#include "cnames.h"
#include "fstats.h"
#include "gobin.h"
#include "hist.h"
#include "mapwalk.h"
#include "slots.h"
#include "starve.h"
#include "stats.h"
#include "symstack.h"
#include "tracer.h"

#define CTIME_MAX 50 /* (function, stack) entries of the C-time profile listed per process */
#define CALLERS_MAX 20 /* Go stacks listed per function */

/*
 * Go threads grow when the runtime added at least GROWTH_MIN_NEW of them in
 * the last GROWTH_WINDOW_S and some in the last GROWTH_FLAT_S (threadhist.h).
 */
#define GROWTH_WINDOW_S 10.0
#define GROWTH_FLAT_S	2.0
#define GROWTH_MIN_NEW	4

/* A process of the snapshot with the target it was read from. */
struct pair {
	struct target *tg;
	struct proc_snap *ps;
	unsigned int live; /* calls in C now whose enter the probes saw */
};

/* Everything one collection works on. */
struct collect {
	struct tracer *tracer;
	struct snapshot *snap;
	struct pair *v;
	size_t n;
	__u64 now_ns;
	struct symstack *stacks; /* the snapshot's Go stacks, each symbolized once */
};

static struct pair *pair_of(const struct collect *c, __u32 pid)
{
	for (size_t i = 0; i < c->n; i++)
		if ((__u32)c->v[i].tg->pid == pid)
			return &c->v[i];
	return NULL;
}

/* The function entry of ps for fn, appended when new. */
static struct func_snap *func_get(struct proc_snap *ps, const struct target *tg, __u64 fn)
{
	struct func_snap *f, *v;

	for (size_t i = 0; i < ps->nfuncs; i++)
		if (ps->funcs[i].addr == fn)
			return &ps->funcs[i];
	v = realloc(ps->funcs, (ps->nfuncs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	ps->funcs = v;
	f = &v[ps->nfuncs++];
	memset(f, 0, sizeof(*f));
	f->addr = fn;
	cnames__name(tg->bin->cn, fn - tg->bias, f->name, sizeof(f->name));
	return f;
}

/* Evaluates the verdict of ps and remembers the worst one in tg. */
static void judge(struct target *tg, struct proc_snap *ps, const struct starve_opts *starve)
{
	if (starve__evaluate(ps, starve) > tg->worst) {
		tg->worst = ps->verdict;
		snprintf(tg->worst_reason, sizeof(tg->worst_reason), "%s", ps->reasons[0]);
	}
	ps->worst_verdict = tg->worst;
	memcpy(ps->worst_reason, tg->worst_reason, sizeof(ps->worst_reason));
}

static void fill_threads(const struct target *tg, const struct cgoscope_proc *p,
			 struct threads_snap *th)
{
	th->current = tg->threads_base + p->threads_delta;
	th->peak = tg->threads_base + p->threads_delta_peak;
	if (th->peak < th->current)
		th->peak = th->current;
	th->created = p->threads_created;
	th->created_c = p->threads_created_c;
	th->exited = p->threads_exited;
	th->exited_c = p->threads_exited_c;
	th->go = -1;
	th->growth_per_s = tg->exited ? 0
				      : threadhist__growth_now(&tg->hist, GROWTH_WINDOW_S,
							       GROWTH_FLAT_S, GROWTH_MIN_NEW);
}

static void fill_proc(struct tracer *t, struct target *tg, struct proc_snap *ps)
{
	struct probe_cost cost = tracer__cost(t, tg->bin->plan.placement);
	double now = clock__mono_s(), elapsed = sampling__elapsed(&tg->clock, now);
	struct cgoscope_proc p = { 0 };
	const char *v;

	memset(ps, 0, sizeof(*ps));
	ps->pid = tg->pid;
	ps->nspid = tg->nspid;
	ps->start_time = tg->start_time;
	memcpy(ps->comm, tg->comm, sizeof(ps->comm));
	snprintf(ps->exe, sizeof(ps->exe), "%s", tg->exe);
	snprintf(ps->container_id, sizeof(ps->container_id), "%s", tg->container_id);
	v = gobin__go_version(tg->bin->gb);
	snprintf(ps->go_version, sizeof(ps->go_version), "%s", v ? v : "");
	ps->placement = tracer__opts(t)->no_probes ? "none"
						   : probes__placement_name(tg->bin->plan.placement);
	ps->probe_cost_ns = cost.per_call_ns;
	ps->span_floor_ns = cost.floor_ns;
	ps->exited = tg->exited;
	if (!tg->exited) /* else keep what was read last */
		gort__read(tg->pid, tg->bias, &tg->bin->rt, &tg->rt);
	ps->gomaxprocs = tg->rt.gomaxprocs;
	ps->max_threads = tg->rt.max_threads;
	ps->max_threads_assumed = tg->rt.max_threads_assumed;

	slots__read(tracer__skel(t), tg->slot, &p);
	if (tg->exited && p.final_state == CGOSCOPE_FINAL_EXACT)
		mwatch__final(&tg->mw, p.final_ncgocall);
	ps->calls = p.calls;
	ps->probe_hits = p.enters;
	ps->long_calls = p.long_calls; /* read_runtime() adds the census's */
	ps->inflight = p.inflight;
	ps->inflight_peak = p.inflight_peak;
	ps->exact_calls = -1;
	ps->sampling_ratio = sampling__ratio(&tg->clock, now);
	ps->probe_overhead = elapsed > 0 ? p.enters * cost.per_call_ns / 1e9 / elapsed : 0;
	fill_threads(tg, &p, &ps->threads);
}

/* fstats_fn: one function's traced calls into its process's snapshot. */
static int add_func(const struct cgoscope_func_key *key, const struct cgoscope_func_stats *sum,
		    void *ctx)
{
	struct pair *pr = pair_of(ctx, key->tgid);
	struct func_snap *f;

	if (!pr)
		return 0;
	f = func_get(pr->ps, pr->tg, key->fn);
	if (!f)
		return 0;
	f->traced_calls = sum->count;
	f->traced_ns = sum->sum_ns;
	f->max_ns = sum->max_ns;
	memcpy(f->buckets, sum->buckets, sizeof(f->buckets));
	return 0;
}

/*
 * f's time in C, its calls made being `calls`: the traced time as measured;
 * the time of the calls the census followed from an unseen start to their
 * end (seen, unseen.h) as seen, a lower bound of each; and each other call
 * made untraced at the traced calls' median less what the probes add inside
 * every span (floor_ns): those calls ran without them. The median, not the
 * mean: a traced span is floor_ns longer, so far more often stretched by a
 * preemption, and those rare stretches, times millions of calls, would make
 * more thread-time than the process had. A median under twice floor_ns
 * times nothing: the call is shorter than the probes' own time, the
 * resolution of its histogram. *lower says the result is a lower bound
 * (some time only seen, or short calls not timed).
 */
static double untraced_time(const struct func_snap *f, double calls, double floor_ns,
			    const struct unseen_fn *seen, bool *lower)
{
	double known = (double)f->traced_ns + (seen ? (double)seen->ns : 0);
	double untraced = calls - (double)f->traced_calls - (seen ? (double)seen->calls : 0);
	double p50;

	*lower = seen && seen->ns;
	if (!f->traced_calls || untraced <= 0)
		return known;
	p50 = hist__quantile(f->buckets, 0.50, f->max_ns);
	if (p50 < 2 * floor_ns) {
		*lower = true;
		return known;
	}
	return known + untraced * (p50 - floor_ns);
}

static void estimate_funcs(struct pair *pr)
{
	struct proc_snap *ps = pr->ps;
	struct target *tg = pr->tg;
	double residual = target__residual(tg, ps->calls, pr->live);

	ps->sampled = tg->est.sampled;
	ps->unattributed = (__u64)llround(estimate__unattributed(&tg->est, residual));
	/* functions only the census saw (calls counted by name) get rows too */
	for (size_t i = 0; i < tg->est.n; i++)
		if (tg->est.v[i].extra > 0 && !func_get(ps, tg, tg->est.v[i].fn))
			break;
	for (size_t i = 0; i < ps->nfuncs; i++) {
		struct func_snap *f = &ps->funcs[i];
		double calls = estimate__calls(&tg->est, f->addr, f->traced_calls, residual);
		const struct unseen_fn *seen;

		f->estimated = ps->sampled;
		f->calls = (__u64)llround(calls);
		f->lower_bound = ps->sampled && !f->traced_calls && f->calls;
		seen = unseen__ended(&tg->unseen, f->addr);
		f->total_ns = (__u64)llround(
		    untraced_time(f, calls, ps->span_floor_ns, seen, &f->total_lower_bound));
		if (!f->traced_calls && seen) /* the longest, as seen: a lower bound */
			f->max_ns = seen->max_ns;
	}
}

/* The snapshot's index of the Go stack of call (the census's view), or -1. */
static int stack_of(struct collect *c, const struct pair *pr, const struct census_entry *call)
{
	int i;

	if (!call || !call->npc)
		return -1;
	i = symstack__get(c->stacks, pr->tg->bin->gb, pr->tg->bin->gs, pr->tg->bias, call->pcs,
			  call->npc, call->truncated);
	return i < 0 ? -1 : i;
}

static void add_blocked(struct collect *c, struct pair *pr, __u32 tid, const char *name,
			__u64 elapsed, bool lower_bound, const struct census_entry *call)
{
	struct proc_snap *ps = pr->ps;
	struct blocked_snap *b;

	if (!(ps->nblocked & (ps->nblocked - 1))) { /* 0, 1, 2, 4...: double the room */
		struct blocked_snap *v =
		    realloc(ps->blocked, (ps->nblocked ? 2 * ps->nblocked : 1) * sizeof(*v));

		if (!v)
			return;
		ps->blocked = v;
	}
	b = &ps->blocked[ps->nblocked++];
	memset(b, 0, sizeof(*b));
	b->tid = tid;
	b->elapsed_ns = elapsed;
	b->elapsed_lower_bound = lower_bound;
	snprintf(b->func, sizeof(b->func), "%s", name);
	b->stack = stack_of(c, pr, call);
	b->caller = b->stack >= 0 ? c->snap->stacks[b->stack].caller : "";
}

/* The frames of the in-flight map, copied out at one moment. */
struct frames {
	struct raw_frame {
		__u32 tgid;
		__u32 order; /* as read: a thread's frames come outermost first */
		struct cgoscope_frame fr;
	} * v;
	size_t n;
};

static int read_frames(struct tracer *t, struct frames *out)
{
	int fd = bpf_map__fd(tracer__skel(t)->maps.calls);
	struct cgoscope_calls_key key, next;
	struct cgoscope_calls c;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		key = next;
		first = false;
		if (bpf_map_lookup_elem(fd, &key, &c))
			continue;
		for (__u32 d = 0; d < c.depth && d < CGOSCOPE_MAX_DEPTH; d++) {
			struct raw_frame *v = realloc(out->v, (out->n + 1) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			out->v = v;
			v[out->n].tgid = key.tgid;
			v[out->n].order = (__u32)out->n;
			v[out->n++].fr = c.frames[d];
		}
	}
	return 0;
}

/*
 * The runtime's view, read after the frames so that a call the runtime still
 * shows in C cannot have left the frames unseen in between.
 */
static void read_runtime(struct pair *pr)
{
	struct proc_snap *ps = pr->ps;
	struct target *tg = pr->tg;

	if (!tg->exited)
		target__refresh(tg);
	/* calls begun unseen that the census followed to their end: known now */
	ps->long_calls += tg->unseen.long_calls;
	ps->long_calls_unseen = tg->unseen.long_calls;
	if (!tg->mw.known)
		return;
	ps->runtime_view = true;
	ps->exact_calls = (__s64)(tg->mw.ncgocall - tg->mw.base);
	ps->exact_partial = tg->exited && !tg->mw.final;
	ps->inflight = tg->exited ? 0 : tg->mw.in_c;
	ps->threads.go = tg->mw.nm;
	if (tg->mw.in_c_peak > ps->inflight_peak)
		ps->inflight_peak = tg->mw.in_c_peak;
}

/*
 * Whether frame fr of tg stands for the call its thread is in now
 * (pause.h): with the runtime's view, the thread is in C; a frame kept
 * across a pause, or any frame while the probes are off, only while the
 * thread's call count has not moved since.
 */
static bool frame_live(struct tracer *t, const struct target *tg, const struct cgoscope_frame *fr)
{
	const struct mwatch_m *m;
	__u64 k = (__u64)tg->pid << 32 | fr->tid, want;

	if (!tg->mw.known)
		return true;
	m = mwatch__find(&tg->mw, fr->tid);
	if (!m)
		return false;
	if (!tg->on)
		return pause__same_call(&tg->pause, &tg->mw, fr->tid);
	if (fr->gen == tg->cfg.gen)
		return true;
	return !bpf_map_lookup_elem(bpf_map__fd(tracer__skel(t)->maps.kept), &k, &want) &&
	       want == m->ncgocall;
}

/* By process, thread, then as read. */
static int cmp_frame(const void *a, const void *b)
{
	const struct raw_frame *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->fr.tid != y->fr.tid)
		return x->fr.tid < y->fr.tid ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The innermost live frame of thread tid of process tgid, or NULL (fs sorted by cmp_frame). */
static const struct cgoscope_frame *frame_of(const struct frames *fs, __u32 tgid, __u32 tid)
{
	size_t lo = 0, hi = fs->n;

	while (lo < hi) { /* the first frame past (tgid, tid) */
		size_t mid = lo + (hi - lo) / 2;
		const struct raw_frame *f = &fs->v[mid];

		if (f->tgid < tgid || (f->tgid == tgid && f->fr.tid <= tid))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || !tid || fs->v[lo - 1].tgid != tgid || fs->v[lo - 1].fr.tid != tid)
		return NULL;
	return &fs->v[lo - 1].fr;
}

/*
 * One call in C now of pr's process: counted to its function (fn 0: not
 * known) and listed as long-blocking when it has been in C that long since
 * start_ns (lower_bound: it began before anything saw it, at start_ns at
 * the latest).
 */
static void place(struct collect *c, struct pair *pr, __u32 tid, __u64 fn, __u64 start_ns,
		  bool lower_bound, const struct census_entry *call)
{
	__u64 elapsed = c->now_ns > start_ns ? c->now_ns - start_ns : 0;
	struct func_snap *f = fn ? func_get(pr->ps, pr->tg, fn) : NULL;

	if (f)
		f->inflight++;
	if (elapsed >= c->snap->long_ns)
		add_blocked(c, pr, tid, f ? f->name : SNAP_UNKNOWN_FUNC, elapsed, lower_bound, call);
}

/*
 * The calls in C now, per function, and the long-blocking ones. With the
 * runtime's view, every M in C is one: timed by its live frame when the
 * probes saw it begin, else named by the census and timed from when the
 * runtime's view first showed it (a lower bound). Without, the live frames.
 */
static void place_calls(struct tracer *t, struct collect *c, struct frames *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct pair *pr = pair_of(c, fs->v[i].tgid);

		if (!pr || pr->ps->exited || !frame_live(t, pr->tg, &fs->v[i].fr))
			fs->v[i].fr.tid = 0; /* not a call in C now */
		else
			pr->live++;
	}
	if (fs->n)
		qsort(fs->v, fs->n, sizeof(*fs->v), cmp_frame);
	for (size_t i = 0; i < c->n; i++) {
		struct pair *pr = &c->v[i];
		const struct mwatch *mw = &pr->tg->mw;

		for (size_t j = 0; pr->ps->runtime_view && !pr->ps->exited && j < mw->n; j++) {
			const struct mwatch_m *m = &mw->v[j];
			const struct cgoscope_frame *fr = frame_of(fs, pr->ps->pid, m->tid);

			if (fr)
				place(c, pr, m->tid, fr->fn, fr->start_ns, false, m->call);
			else
				place(c, pr, m->tid, m->call ? m->call->fn : 0, m->since_ns, true,
				      m->call);
		}
	}
	for (size_t i = 0; i < fs->n; i++) {
		struct pair *pr = pair_of(c, fs->v[i].tgid);
		const struct cgoscope_frame *fr = &fs->v[i].fr;

		if (pr && !pr->ps->runtime_view && fr->tid)
			place(c, pr, fr->tid, fr->fn, fr->start_ns, false, NULL);
	}
}

static void read_drops(struct tracer *t, struct snapshot *snap)
{
	int fd = bpf_map__fd(tracer__skel(t)->maps.drops);

	for (__u32 k = 0; k < CGOSCOPE_DROP__MAX; k++) {
		__u64 v = 0; /* valgrind: the kernel's write is unseen */

		if (!bpf_map_lookup_elem(fd, &k, &v))
			snap->drops[k] += v;
	}
}

static int cmp_func(const void *a, const void *b)
{
	const struct func_snap *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_blocked(const void *a, const void *b)
{
	const struct blocked_snap *x = a, *y = b;

	return x->elapsed_ns < y->elapsed_ns ? 1 : x->elapsed_ns > y->elapsed_ns ? -1 : 0;
}

static int cmp_cprof(const void *a, const void *b)
{
	const struct cprof_entry *const *x = a, *const *y = b;

	return (*x)->ns < (*y)->ns ? 1 : (*x)->ns > (*y)->ns ? -1 : 0;
}

/* pr's C-time profile: its CTIME_MAX entries with the most time, with their stacks. */
static int fill_ctime(struct collect *c, struct pair *pr)
{
	const struct cprof *cp = &pr->tg->cprof;
	struct proc_snap *ps = pr->ps;
	const struct cprof_entry **order;
	size_t n = cp->n < CTIME_MAX ? cp->n : CTIME_MAX;

	ps->census_ns = cp->sampled_ns;
	ps->censuses = cp->censuses;
	ps->census_seen = pr->tg->mw.seen_in_c;
	ps->census_torn = pr->tg->mw.torn;
	ps->census_lost = pr->tg->mw.lost;
	ps->census_stack_torn = pr->tg->mw.stack_torn;
	ps->census_paced = pr->tg->read_stretched;
	if (!cp->n)
		return 0;
	order = malloc(cp->n * sizeof(*order));
	ps->ctime = calloc(n, sizeof(*ps->ctime));
	if (!order || !ps->ctime) {
		free(order);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cp->n; i++)
		order[i] = &cp->v[i];
	qsort(order, cp->n, sizeof(*order), cmp_cprof);
	for (size_t i = n; i < cp->n; i++)
		ps->ctime_other_ns += order[i]->ns;
	for (size_t i = 0; i < n; i++) {
		const struct cprof_entry *e = order[i];
		struct ctime_snap *t = &ps->ctime[ps->nctime++];
		struct census_entry call = { .npc = e->npc, .truncated = e->truncated, .pcs = e->pcs };

		t->fn = e->fn;
		t->ns = e->ns;
		t->samples = e->samples;
		cnames__name(pr->tg->bin->cn, e->fn - pr->tg->bias, t->func, sizeof(t->func));
		t->stack = stack_of(c, pr, &call);
		t->caller = t->stack >= 0 ? c->snap->stacks[t->stack].caller : "";
	}
	free(order);
	return 0;
}

/* Adds the traced calls from one stack (the callers map's entry) to its function. */
static int add_caller(struct collect *c, struct pair *pr, const struct cgoscope_caller_key *k,
		      const struct cgoscope_caller_val *v)
{
	struct func_snap *f = func_get(pr->ps, pr->tg, k->fn);
	struct census_entry call = { .pcs = k->pcs };
	struct caller_snap *cs;

	if (!f)
		return -ENOMEM;
	while (call.npc < CGOSCOPE_CALLER_PCS && k->pcs[call.npc])
		call.npc++;
	call.truncated = call.npc == CGOSCOPE_CALLER_PCS;
	cs = realloc(f->callers, (f->ncallers + 1) * sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	f->callers = cs;
	cs = &cs[f->ncallers++];
	cs->stack = stack_of(c, pr, &call);
	cs->caller = cs->stack >= 0 ? c->snap->stacks[cs->stack].caller : "";
	cs->calls = v->count + v->sampled * CGOSCOPE_CALLER_SAMPLE;
	cs->total_ns = v->sum_ns + v->sampled_ns * CGOSCOPE_CALLER_SAMPLE;
	cs->exact = !v->sampled;
	return 0;
}

static int cmp_caller(const void *a, const void *b)
{
	const struct caller_snap *x = a, *y = b;

	return x->calls < y->calls ? 1 : x->calls > y->calls ? -1 : 0;
}

/* A share in [0, 1] of part in whole (0 without a whole; sampled parts may exceed it). */
static double share_of(__u64 part, __u64 whole)
{
	return !whole ? 0 : part >= whole ? 1 : (double)part / (double)whole;
}

/*
 * The callers map into each function's callers, most calls first, at most
 * CALLERS_MAX, each with its share of the function's traced calls and time.
 */
/* mapwalk_fn over the callers map: each entry to its process's function. */
static int visit_caller(const void *key, const void *value, void *ctx)
{
	const struct cgoscope_caller_key *k = key;
	struct collect *c = ctx;
	struct pair *pr = pair_of(c, k->tgid);

	return pr ? add_caller(c, pr, k, value) : 0;
}

static int read_callers(struct tracer *t, struct collect *c)
{
	int err = mapwalk__each(bpf_map__fd(tracer__skel(t)->maps.callers_map),
				sizeof(struct cgoscope_caller_key),
				sizeof(struct cgoscope_caller_val), visit_caller, c);

	for (size_t i = 0; i < c->n; i++) {
		for (size_t j = 0; j < c->v[i].ps->nfuncs; j++) {
			struct func_snap *f = &c->v[i].ps->funcs[j];

			if (f->ncallers > 1)
				qsort(f->callers, f->ncallers, sizeof(*f->callers), cmp_caller);
			if (f->ncallers > CALLERS_MAX)
				f->ncallers = CALLERS_MAX;
			for (size_t k = 0; k < f->ncallers; k++) {
				f->callers[k].share = share_of(f->callers[k].calls, f->traced_calls);
				f->callers[k].time_share =
				    share_of(f->callers[k].total_ns, f->traced_ns);
			}
		}
	}
	return err;
}

/* Reads the maps and the runtime's views into c's processes. Returns 0 or -errno. */
static int read_all(struct tracer *t, struct collect *c)
{
	struct frames fs = { 0 };
	int err = fstats__for_each(tracer__skel(t), 0, add_func, c);

	if (!err)
		err = read_callers(t, c);
	if (!err)
		err = read_frames(t, &fs);
	if (err) {
		free(fs.v);
		return err;
	}
	for (size_t i = 0; i < c->n; i++)
		read_runtime(&c->v[i]);
	c->now_ns = clock__mono_ns();
	place_calls(t, c, &fs);
	for (size_t i = 0; i < c->n && !err; i++) {
		estimate_funcs(&c->v[i]);
		err = fill_ctime(c, &c->v[i]);
	}
	free(fs.v);
	return err;
}

/* Pairs tg with the next process of the snapshot and fills what it knows (tracer__for_each()). */
static void pair_up(struct target *tg, void *ctx)
{
	struct collect *c = ctx;
	struct proc_snap *ps = &c->snap->procs[c->snap->nprocs++];

	fill_proc(c->tracer, tg, ps);
	c->v[c->n].tg = tg;
	c->v[c->n++].ps = ps;
}

int stats__collect(struct tracer *t, const struct starve_opts *starve, struct snapshot *snap)
{
	struct collect c = { .snap = snap };
	struct timespec now;
	size_t n;
	int err;

	memset(snap, 0, sizeof(*snap));
	clock_gettime(CLOCK_REALTIME, &now);
	snap->wall_time = now.tv_sec + now.tv_nsec / 1e9;
	snap->long_ns = tracer__opts(t)->long_ns;
	n = tracer__count(t, false);
	snap->procs = calloc(n ? n : 1, sizeof(*snap->procs));
	c.v = calloc(n ? n : 1, sizeof(*c.v));
	if (!snap->procs || !c.v) {
		free(c.v);
		return -ENOMEM;
	}
	c.stacks = symstack__new(snap);
	if (!c.stacks) {
		free(c.v);
		return -ENOMEM;
	}
	c.tracer = t;
	tracer__for_each(t, pair_up, &c);
	err = read_all(t, &c);
	symstack__free(c.stacks);
	if (err) {
		free(c.v);
		snapshot__free(snap);
		return err;
	}
	read_drops(t, snap);
	for (size_t i = 0; i < c.n; i++) {
		struct proc_snap *ps = c.v[i].ps;

		if (ps->nfuncs) /* the arrays are NULL when empty: qsort(NULL, 0) is undefined */
			qsort(ps->funcs, ps->nfuncs, sizeof(*ps->funcs), cmp_func);
		if (ps->nblocked)
			qsort(ps->blocked, ps->nblocked, sizeof(*ps->blocked), cmp_blocked);
		judge(c.v[i].tg, ps, starve);
	}
	free(c.v);
	return 0;
}
