/* stats.c - reads the BPF maps and /proc into a snapshot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "clock.h"
#include "cnames.h"
#include "gobin.h"
#include "slots.h"
#include "starve.h"
#include "stats.h"
#include "tracer.h"

#define GROWTH_WINDOW_S 10.0

static struct proc_snap *find_proc(struct snapshot *snap, __u32 pid)
{
	for (size_t i = 0; i < snap->nprocs; i++)
		if (snap->procs[i].pid == pid)
			return &snap->procs[i];
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

static const struct target *target_of(struct target *tgs, size_t n, __u32 pid)
{
	for (size_t i = 0; i < n; i++)
		if ((__u32)tgs[i].pid == pid)
			return &tgs[i];
	return NULL;
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

/* Share of the time the probes were on, and what they cost on average (cores). */
static void sampling(const struct target *tg, __u64 enters, double per_call_ns,
		     struct proc_snap *ps)
{
	double elapsed = clock__mono_s() - tg->added, on = tracer__on_time(tg);

	ps->sampling_ratio = elapsed > 0 && on < elapsed ? on / elapsed : 1;
	ps->probe_overhead = elapsed > 0 ? enters * per_call_ns / 1e9 / elapsed : 0;
}

static void fill_proc(struct tracer *t, struct target *tg, struct proc_snap *ps)
{
	struct probe_cost cost = tracer__cost(t, tg->bin->plan.placement);
	struct cgoscope_proc p = { 0 };
	const char *v;

	memset(ps, 0, sizeof(*ps));
	ps->pid = tg->pid;
	ps->nspid = tg->nspid;
	memcpy(ps->comm, tg->comm, sizeof(ps->comm));
	snprintf(ps->exe, sizeof(ps->exe), "%s", tg->exe);
	snprintf(ps->container_id, sizeof(ps->container_id), "%s", tg->container_id);
	v = gobin__go_version(tg->bin->gb);
	snprintf(ps->go_version, sizeof(ps->go_version), "%s", v ? v : "");
	ps->placement = probes__placement_name(tg->bin->plan.placement);
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
	ps->long_calls = p.long_calls;
	ps->inflight = p.inflight;
	ps->inflight_peak = p.inflight_peak;
	ps->exact_calls = -1;
	sampling(tg, p.enters, cost.per_call_ns, ps);
	ps->threads.current = tg->threads_base + p.threads_delta;
	ps->threads.peak = tg->threads_base + p.threads_delta_peak;
	if (ps->threads.peak < ps->threads.current)
		ps->threads.peak = ps->threads.current;
	ps->threads.created = p.threads_created;
	ps->threads.created_c = p.threads_created_c;
	ps->threads.exited = p.threads_exited;
	ps->threads.growth_per_s = tg->exited ? 0 : threadhist__growth(&tg->hist, GROWTH_WINDOW_S);
}

static int read_stats(struct tracer *t, struct snapshot *snap, struct target *tgs, size_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(tracer__skel(t)->maps.stats);
	struct cgoscope_func_key key, next;
	struct cgoscope_func_stats *vals;
	bool first = true;

	if (ncpu <= 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		const struct target *tg = target_of(tgs, n, next.tgid);
		struct proc_snap *ps = find_proc(snap, next.tgid);
		struct func_snap *f;

		key = next;
		first = false;
		if (!tg || !ps || bpf_map_lookup_elem(fd, &key, vals))
			continue;
		f = func_get(ps, tg, key.fn);
		if (!f)
			continue;
		for (int c = 0; c < ncpu; c++) {
			f->calls += vals[c].count;
			f->total_ns += vals[c].sum_ns;
			if (vals[c].max_ns > f->max_ns)
				f->max_ns = vals[c].max_ns;
			for (int b = 0; b < CGOSCOPE_NBUCKETS; b++)
				f->buckets[b] += vals[c].buckets[b];
		}
	}
	free(vals);
	return 0;
}

static void add_blocked(struct proc_snap *ps, const struct cgoscope_frame *fr, const char *name,
			__u64 elapsed)
{
	struct blocked_snap *v = realloc(ps->blocked, (ps->nblocked + 1) * sizeof(*v));

	if (!v)
		return;
	ps->blocked = v;
	v[ps->nblocked].tid = fr->tid;
	v[ps->nblocked].elapsed_ns = elapsed;
	snprintf(v[ps->nblocked].func, sizeof(v[0].func), "%s", name);
	ps->nblocked++;
}

/* The frames of the in-flight map, copied out at one moment. */
struct frames {
	struct raw_frame {
		__u32 tgid;
		struct cgoscope_frame fr;
	} *v;
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
			v[out->n++].fr = c.frames[d];
		}
	}
	return 0;
}

/*
 * The runtime's view, read after the frames so that a call the runtime still
 * shows in C cannot have left the frames unseen in between.
 */
static void read_runtime(struct snapshot *snap, struct target *tgs, size_t n)
{
	for (size_t i = 0; i < snap->nprocs && i < n; i++) {
		struct proc_snap *ps = &snap->procs[i];
		struct target *tg = &tgs[i];

		if (!tg->exited)
			mwatch__update(&tg->mw, tg->pid, tg->bias, &tg->bin->rt, clock__mono_ns());
		if (!tg->mw.known)
			continue;
		ps->runtime_view = true;
		ps->exact_calls = (__s64)(tg->mw.ncgocall - tg->mw.base);
		ps->exact_partial = tg->exited && !tg->mw.final;
		ps->inflight = tg->exited ? 0 : tg->mw.in_c;
		if (tg->mw.in_c_peak > ps->inflight_peak)
			ps->inflight_peak = tg->mw.in_c_peak;
	}
}

/* Counts frames as in flight (and long-blocking) where the runtime agrees the thread is in C. */
static void place_frames(struct snapshot *snap, struct target *tgs, size_t n,
			 const struct frames *fs)
{
	__u64 now = clock__mono_ns();

	for (size_t i = 0; i < fs->n; i++) {
		const struct cgoscope_frame *fr = &fs->v[i].fr;
		const struct target *tg = target_of(tgs, n, fs->v[i].tgid);
		struct proc_snap *ps = find_proc(snap, fs->v[i].tgid);
		__u64 elapsed = now > fr->start_ns ? now - fr->start_ns : 0;
		struct func_snap *f;

		if (!tg || !ps || ps->exited)
			continue;
		/* the runtime says the thread is not in C: a frame whose leave was not seen */
		if (ps->runtime_view && !mwatch__find(&tg->mw, fr->tid))
			continue;
		f = func_get(ps, tg, fr->fn);
		if (!f)
			continue;
		f->inflight++;
		if (elapsed >= snap->long_ns)
			add_blocked(ps, fr, f->name, elapsed);
	}
}

static bool has_frame(const struct frames *fs, __u32 tgid, __u32 tid)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].tgid == tgid && fs->v[i].fr.tid == tid)
			return true;
	return false;
}

/* Threads the runtime says are in one C call for long, which no probe saw begin. */
static void add_unseen_blocked(struct snapshot *snap, struct target *tgs, size_t n,
			       const struct frames *fs)
{
	__u64 now = clock__mono_ns();

	for (size_t i = 0; i < snap->nprocs && i < n; i++) {
		struct proc_snap *ps = &snap->procs[i];
		const struct mwatch *mw = &tgs[i].mw;

		for (size_t j = 0; ps->runtime_view && !ps->exited && j < mw->n; j++) {
			struct cgoscope_frame fr = { .tid = mw->v[j].tid };

			if (now - mw->v[j].since_ns >= snap->long_ns && !has_frame(fs, ps->pid, fr.tid))
				add_blocked(ps, &fr, SNAP_UNKNOWN_FUNC, now - mw->v[j].since_ns);
		}
	}
}

static void read_drops(struct tracer *t, struct snapshot *snap)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(tracer__skel(t)->maps.drops);
	__u64 vals[ncpu > 0 ? ncpu : 1];

	memset(vals, 0, sizeof(vals)); /* like read_calls' calloc: valgrind sees one CPU's value written */
	for (__u32 k = 0; ncpu > 0 && k < CGOSCOPE_DROP__MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			snap->drops[k] += vals[c];
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

int stats__collect(struct tracer *t, const struct starve_opts *starve, struct snapshot *snap)
{
	struct frames fs = { 0 };
	struct target *tgs;
	struct timespec now;
	size_t n;
	int err;

	memset(snap, 0, sizeof(*snap));
	clock_gettime(CLOCK_REALTIME, &now);
	snap->wall_time = now.tv_sec + now.tv_nsec / 1e9;
	snap->long_ns = tracer__opts(t)->long_ns;
	tgs = tracer__targets(t, &n);
	snap->procs = calloc(n ? n : 1, sizeof(*snap->procs));
	if (!snap->procs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		fill_proc(t, &tgs[i], &snap->procs[snap->nprocs++]);
	err = read_stats(t, snap, tgs, n);
	if (!err)
		err = read_frames(t, &fs);
	if (err) {
		free(fs.v);
		return err;
	}
	read_runtime(snap, tgs, n);
	place_frames(snap, tgs, n, &fs);
	add_unseen_blocked(snap, tgs, n, &fs);
	free(fs.v);
	read_drops(t, snap);
	for (size_t i = 0; i < snap->nprocs; i++) {
		struct proc_snap *ps = &snap->procs[i];

		if (ps->nfuncs) /* the arrays are NULL when empty: qsort(NULL, 0) is undefined */
			qsort(ps->funcs, ps->nfuncs, sizeof(*ps->funcs), cmp_func);
		if (ps->nblocked)
			qsort(ps->blocked, ps->nblocked, sizeof(*ps->blocked), cmp_blocked);
		judge(&tgs[i], ps, starve);
	}
	return 0;
}
