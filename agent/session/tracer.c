/* tracer.c - the BPF session: loads the programs, reads binaries, tracks traced processes and their probes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpfobj.h"
#include "calib.h"
#include "caps.h"
#include "cgoscope.skel.h"
#include "clock.h"
#include "cnames.h"
#include "gobin.h"
#include "gosym.h"
#include "mapkeys.h"
#include "procfs.h"
#include "slotpool.h"
#include "slots.h"
#include "tracer.h"

#define MAX_BINARIES 256
#define CALIB_ROUNDS 2000

struct tracer {
	struct tracer_opts opts;
	struct cgoscope_bpf *skel;
	struct ring_buffer *rb;
	struct binary *bins[MAX_BINARIES];
	size_t nbins;
	struct target *targets;
	size_t ntargets, cap;
	struct probe_cost cost[PLACEMENT__MAX];
	bool uprobe_multi; /* cgo probes attach through uprobe_multi links */
	/* exec events collected during one poll */
	tracer_exec_fn exec_cb;
	void *exec_ctx;
	int newly_exited;
	struct slotpool slots; /* which slots targets hold; released ones wait out a grace period */
	const volatile struct cgoscope_proc *counters; /* every slot's, mapped (NULL: by syscall) */
	double next_liveness; /* when /proc is next asked whether targets still live */
};

/*
 * Exits normally arrive as ring-buffer events; reading /proc/PID/stat of every
 * target is the safety net for a lost event (counted as a ringbuf drop) and for
 * PID reuse, so it runs this often rather than on every poll.
 */
#define LIVENESS_S 0.25

static int handle_event(void *ctx, void *data, size_t len)
{
	struct tracer *t = ctx;
	const struct cgoscope_event *ev = data;

	if (len < sizeof(*ev))
		return 0;
	if (ev->type == CGOSCOPE_EV_EXEC && t->exec_cb)
		t->exec_cb(ev->pid, ev->ts_ns, t->exec_ctx);
	if (ev->type == CGOSCOPE_EV_EXIT) {
		for (size_t i = 0; i < t->ntargets; i++) {
			if (t->targets[i].pid == (pid_t)ev->pid && !t->targets[i].exited) {
				target__exited(t->skel, &t->targets[i], ev->ts_ns / 1e9);
				t->newly_exited++;
			}
		}
	}
	return 0;
}

static int load(struct tracer *t)
{
	int err = bpfobj__open(&t->opts, &t->skel, &t->uprobe_multi);

	if (err)
		return err;
	t->counters = slots__map(t->skel);
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_event, t, NULL);
	if (!t->rb) {
		err = -errno;
		fprintf(stderr, "cgoscope: cannot read the BPF ring buffer: %s\n", strerror(-err));
	}
	return err;
}

int tracer__open(const struct tracer_opts *opts, struct tracer **out)
{
	struct tracer *t;
	char missing[512];
	int err;

	/* refuse to run half-working: say what is missing before loading anything */
	if (caps__check(missing, sizeof(missing)) == -EPERM) {
		fprintf(stderr, "cgoscope: missing capabilities: %s; run as root or grant them "
				"(README: Deployment)\n", missing);
		return -EPERM;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->opts = *opts;
	slotpool__init(&t->slots, slotpool__rcu_sync, NULL);
	if (!t->opts.long_ns)
		t->opts.long_ns = 1000000000ULL;
	err = load(t);
	if (err) {
		tracer__close(t);
		return err;
	}
	if (opts->calibrate && !opts->no_probes) {
		err = calib__measure(t->skel, CALIB_ROUNDS, t->cost);
		if (err)
			fprintf(stderr, "cgoscope: probe cost calibration failed: %s\n",
				strerror(-err));
	}
	*out = t;
	return 0;
}

static void binary_put(struct tracer *t, struct binary *b)
{
	if (--b->refs > 0)
		return;
	cnames__free(b->cn);
	gosym__free(b->gs);
	gobin__close(b->gb);
	for (size_t i = 0; i < t->nbins; i++) {
		if (t->bins[i] == b) {
			t->bins[i] = t->bins[--t->nbins];
			break;
		}
	}
	free(b);
}

void tracer__close(struct tracer *t)
{
	if (!t)
		return;
	/*
	 * Every target's links go side by side (each on a thread of its own,
	 * waited for below); their map entries go with the maps: no per-target
	 * map walks, which at exit would only delay it.
	 */
	for (size_t i = 0; i < t->ntargets; i++) {
		target__free(&t->targets[i]);
		binary_put(t, t->targets[i].bin);
	}
	t->ntargets = 0;
	while (t->nbins)
		binary_put(t, t->bins[0]);
	probes__detach_wait(); /* the links go before the programs */
	ring_buffer__free(t->rb);
	slots__unmap(t->counters);
	cgoscope_bpf__destroy(t->skel);
	free(t->targets);
	free(t);
}

/* Opens and checks the Go binary at path (b->path, or a file); err explains a refusal. */
static int binary_inspect(struct binary *b, const char *path, int placement, char *err,
			  size_t errlen)
{
	int major, minor, ret;

	b->gb = gobin__open(path);
	if (!b->gb) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path,
			 ret == -ENOEXEC ? "not a valid ELF file" : strerror(-ret));
		return ret;
	}
	if (!gobin__go_version(b->gb)) {
		snprintf(err, errlen, "not a Go binary (no Go build info)");
		return -ENOEXEC;
	}
	if (!gobin__has_cgo(b->gb)) {
		snprintf(err, errlen, "%s built without cgo: it makes no cgo calls to trace",
			 gobin__go_version(b->gb));
		return -ENOTSUP;
	}
	ret = probes__plan(b->gb, placement, &b->plan);
	if (ret == -ENOTSUP) {
		gobin__go_release(b->gb, &major, &minor);
		snprintf(err, errlen, "%s is not supported: cgoscope needs Go 1.17 or newer",
			 gobin__go_version(b->gb));
	} else if (ret) {
		snprintf(err, errlen, "no probe site found in runtime.cgocall: %s", strerror(-ret));
	}
	return ret;
}

int tracer__check_binary(const char *path, char *err, size_t errlen)
{
	struct binary b = { 0 };
	int ret = binary_inspect(&b, path, PROBES_AUTO, err, errlen);

	gobin__close(b.gb);
	return ret;
}

/*
 * One rare-hit uprobe at the runtime's thread start, so that the threads it
 * makes are not taken for C's: with it, every other thread is C's (the BPF
 * side is told so). Optional: without it, m.incgo decides.
 */
static void attach_spawn(struct tracer *t, struct target *tg)
{
	const struct binary *b = tg->bin;
	__u64 off;

	if (!b->rt.thread_start || gobin__addr_to_offset(b->gb, b->rt.thread_start, &off))
		return;
	if (probes__attach_offsets(tg->path, tg->pid, t->skel->progs.go_thread_start, &off, NULL, 1,
				   &tg->spawn)) {
		probes__detach(&tg->spawn);
		return;
	}
	tg->cfg.spawn_known = 1;
	slots__set_cfg(t->skel, tg->slot, &tg->cfg);
}

/*
 * How often each live target's M list may be read: at every tick of the
 * governor, or less often, so that with the last readings' costs all of them
 * together stay within --census-budget.
 */
static void pace_reads(struct tracer *t)
{
	double every = GOVERNOR_FAST_TICK_S * 1e9;
	size_t alive = 0;

	for (size_t i = 0; i < t->ntargets; i++)
		alive += !t->targets[i].exited;
	for (size_t i = 0; i < t->ntargets; i++) {
		struct target *tg = &t->targets[i];
		double paced = t->opts.census_budget > 0
				   ? (double)tg->mw.cost_ns * (double)alive / t->opts.census_budget
				   : 0;

		tg->read_every_ns = (__u64)(paced > every ? paced : every);
		tg->read_stretched = t->opts.census_hz > 0 &&
				     (double)tg->read_every_ns > 1e9 / t->opts.census_hz;
	}
}

void tracer__govern(struct tracer *t, const struct governor_opts *o)
{
	double now = clock__mono_s();

	pace_reads(t);
	for (size_t i = 0; i < t->ntargets; i++) {
		struct target *tg = &t->targets[i];

		if (!t->opts.no_probes)
			target__govern(t->skel, tg, o, t->cost[tg->bin->plan.placement].per_call_ns,
				       now);
		target__census(tg, (__u64)(now * 1e9),
			       t->opts.census_hz > 0 ? (__u64)(1e9 / t->opts.census_hz) : 0);
	}
}

double tracer__tick_s(const struct tracer *t)
{
	double tick = GOVERNOR_TICK_S;

	for (size_t i = 0; i < t->ntargets && !t->opts.no_probes; i++)
		if (!t->targets[i].on && !t->targets[i].exited)
			tick = GOVERNOR_FAST_TICK_S;
	if (t->opts.census_hz > 0 && 1 / t->opts.census_hz < tick)
		tick = 1 / t->opts.census_hz;
	return tick;
}

static int binary_get(struct tracer *t, pid_t pid, struct binary **out, char *err, size_t errlen)
{
	struct binary *b;
	struct stat st;
	int ret;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->path, sizeof(b->path), "/proc/%d/exe", pid);
	if (stat(b->path, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", b->path, strerror(errno));
		free(b);
		return ret;
	}
	for (size_t i = 0; i < t->nbins; i++) {
		struct binary *o = t->bins[i];

		if (o->dev == st.st_dev && o->ino == st.st_ino) {
			o->refs++;
			*out = o;
			free(b);
			return 0;
		}
	}
	b->dev = st.st_dev;
	b->ino = st.st_ino;
	b->refs = 1;
	if (t->nbins == MAX_BINARIES) {
		snprintf(err, errlen, "too many binaries traced (%d)", MAX_BINARIES);
		ret = -ENOSPC;
		goto fail;
	}
	ret = binary_inspect(b, b->path, t->opts.placement, err, errlen);
	if (ret)
		goto fail;
	gort__locate(b->gb, &b->rt);
	b->cn = cnames__new(b->gb);
	if (!b->cn) {
		ret = -ENOMEM;
		goto fail;
	}
	b->gs = gosym__new(b->gb); /* optional: without it, stacks show function names only */
	t->bins[t->nbins++] = b;
	*out = b;
	return 0;
fail:
	cnames__free(b->cn);
	gobin__close(b->gb);
	free(b);
	return ret;
}

/*
 * Records in tg's history, when a sample is due, the threads the Go runtime
 * made: all of them but those C code made since attach (and still has).
 */
static void sample_threads(struct tracer *t, struct target *tg)
{
	struct cgoscope_proc p;
	double now = clock__mono_s();

	if (threadhist__due(&tg->hist, now) && !slots__read(t->skel, tg->slot, &p))
		threadhist__add(&tg->hist, now,
				tg->threads_base + p.threads_delta -
				    (__s64)(p.threads_created_c - p.threads_exited_c));
}

/* Threads at attach, minus the kernel's created-exited delta read at the same moment. */
static int seed_threads(struct tracer *t, struct target *tg)
{
	struct cgoscope_proc a, b;
	long n;

	for (int tries = 0; tries < 100; tries++) {
		if (slots__read(t->skel, tg->slot, &a) || procfs__threads(tg->pid, &n) ||
		    slots__read(t->skel, tg->slot, &b))
			return -ESRCH;
		if (a.threads_created == b.threads_created && a.threads_exited == b.threads_exited) {
			tg->threads_base = n - b.threads_delta;
			return 0;
		}
	}
	return -EAGAIN;
}

/* Whether pid has exited (gone, or a zombie: either has no /proc/PID/exe). */
static bool gone(pid_t pid)
{
	char state = 0;

	return procfs__state(pid, &state) || state == 'Z' || state == 'X';
}

static int target_init(struct tracer *t, struct target *tg, pid_t pid, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	memset(tg, 0, sizeof(*tg));
	tg->pid = pid;
	tg->nspid = pid;
	snprintf(tg->path, sizeof(tg->path), "/proc/%d/exe", pid);
	tg->pidfd = procfs__pidfd(pid); /* first: the process checked next is this one */
	if (procfs__start_time(pid, &tg->start_time) || procfs__comm(pid, tg->comm, sizeof(tg->comm))) {
		snprintf(err, errlen, "no process with PID %d", pid);
		return -ESRCH;
	}
	procfs__nspid(pid, &tg->nspid);
	procfs__container_id(pid, tg->container_id, sizeof(tg->container_id));
	if (procfs__exe(pid, tg->exe, sizeof(tg->exe))) {
		snprintf(err, errlen, "cannot read /proc/%d/exe: %s (a kernel thread, or no permission)",
			 pid, strerror(errno));
		return errno == ENOENT ? -ENOEXEC : -EACCES;
	}
	ret = binary_get(t, pid, &tg->bin, err, errlen);
	if (ret || !gobin__is_pie(tg->bin->gb))
		return ret;
	if (stat(tg->path, &st) || procfs__map_base(pid, st.st_ino, &tg->bias)) {
		snprintf(err, errlen, "cannot find where PID %d mapped its binary", pid);
		binary_put(t, tg->bin);
		return -ESRCH;
	}
	return 0;
}

/* What the BPF side needs to know of tg's runtime (enabled later). */
static void cfg_init(struct target *tg)
{
	const struct gort_addrs *rt = &tg->bin->rt;

	tg->cfg.g_m_off = rt->g_m;
	tg->cfg.m_incgo_off = rt->m_incgo;
	tg->cfg.m_ncgocall_off = rt->m_ncgocall;
	tg->cfg.m_alllink_off = rt->m_alllink;
	tg->cfg.allm = rt->allm ? rt->allm + tg->bias : 0;
	tg->cfg.ncgocall = rt->ncgocall ? rt->ncgocall + tg->bias : 0;
}

/* Registers tg in the BPF maps under a free slot. Returns 0 or -errno, err explaining. */
static int claim_slot(struct tracer *t, struct target *tg, char *err, size_t errlen)
{
	int ret, slot = slotpool__alloc(&t->slots);

	ret = slot < 0 ? slot : 0;
	if (!ret) {
		tg->slot = slot;
		tg->counters = t->counters ? t->counters + slot : NULL;
		cfg_init(tg); /* not enabled yet; the exit_group walk needs it anyway */
		ret = slots__claim(t->skel, tg->slot, tg->pid, &tg->cfg, tg->start_time);
	}
	if (ret == -ENOSPC)
		snprintf(err, errlen, "cannot trace more than %d processes at once",
			 CGOSCOPE_MAX_PROCS - 1);
	else if (ret)
		snprintf(err, errlen, "cannot register it in the BPF maps: %s", strerror(-ret));
	if (ret && slot >= 0)
		slotpool__free(&t->slots, slot);
	return ret;
}

/* Forgets every BPF map entry of tg and gives its slot back. */
static void release_slot(struct tracer *t, struct target *tg)
{
	struct cgoscope_bpf *skel = t->skel;
	__u32 key = tg->pid;

	slots__release(skel, tg->slot, key);
	mapkeys__forget(bpf_map__fd(skel->maps.skipleave), sizeof(__u64), sizeof(__u32), key, NULL,
			NULL);
	mapkeys__forget(bpf_map__fd(skel->maps.kept), sizeof(__u64), sizeof(__u32), key, NULL,
			NULL);
	mapkeys__forget(bpf_map__fd(skel->maps.stats), sizeof(struct cgoscope_func_key),
			offsetof(struct cgoscope_func_key, tgid), key, NULL, NULL);
	mapkeys__forget(bpf_map__fd(skel->maps.calls), sizeof(struct cgoscope_calls_key),
			offsetof(struct cgoscope_calls_key, tgid), key, NULL, NULL);
	mapkeys__forget(bpf_map__fd(skel->maps.callers_map), sizeof(struct cgoscope_caller_key),
			offsetof(struct cgoscope_caller_key, tgid), key, NULL, NULL);
	slotpool__free(&t->slots, tg->slot);
}

/* Room for one more target. Returns 0 or -ENOMEM. */
static int reserve(struct tracer *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16;
	struct target *v;

	if (t->ntargets < t->cap)
		return 0;
	v = realloc(t->targets, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->targets = v;
	t->cap = cap;
	return 0;
}

/*
 * Starts tracing tg (registered): the runtime's view, the clocks, then its
 * probes. Returns 0 or -errno with err set.
 */
static int start(struct tracer *t, struct target *tg, char *err, size_t errlen)
{
	double now = clock__mono_s();
	int ret;

	if (seed_threads(t, tg)) {
		snprintf(err, errlen, "PID %d exited during attach", tg->pid);
		return -ESRCH;
	}
	gort__read(tg->pid, tg->bias, &tg->bin->rt, &tg->rt);
	tg->long_ns = t->opts.long_ns;
	mwatch__init(&tg->mw, tg->pid, tg->bias, &tg->bin->rt); /* unknown stays marked unknown */
	sampling__start(&tg->clock, now, false);
	ret = t->opts.no_probes ? 0 : target__probes_on(t->skel, tg, now);
	governor__init(&tg->gov, now, tg->mw.ncgocall, tg->mw.known);
	if (ret == -ESRCH || (ret && gone(tg->pid))) {
		snprintf(err, errlen, "PID %d exited during attach", tg->pid);
		return -ESRCH;
	}
	if (ret) {
		snprintf(err, errlen, "failed to attach uprobes: %s", strerror(-ret));
		return ret;
	}
	attach_spawn(t, tg);
	sample_threads(t, tg);
	return 0;
}

int tracer__add(struct tracer *t, pid_t pid, char *err, size_t errlen)
{
	struct target tg;
	int ret;

	for (size_t i = 0; i < t->ntargets; i++) {
		if (t->targets[i].pid == pid) {
			snprintf(err, errlen, "PID %d is already traced", pid);
			return -EEXIST;
		}
	}
	if (kill(pid, 0) && errno == ESRCH) {
		snprintf(err, errlen, "no process with PID %d", pid);
		return -ESRCH;
	}
	ret = target_init(t, &tg, pid, err, errlen);
	if (ret && tg.pidfd >= 0)
		close(tg.pidfd);
	if (ret == -ESRCH || (ret && gone(pid))) {
		/* it exited under us (its /proc files vanished): neither a failure nor a verdict */
		snprintf(err, errlen, "PID %d exited during attach", pid);
		return -ESRCH;
	}
	if (ret)
		return ret;
	ret = reserve(t);
	if (!ret)
		ret = claim_slot(t, &tg, err, errlen);
	if (ret) {
		target__free(&tg);
		binary_put(t, tg.bin);
		return ret;
	}
	ret = start(t, &tg, err, errlen);
	if (ret) {
		target__free(&tg);
		release_slot(t, &tg);
		binary_put(t, tg.bin);
		return ret;
	}
	t->targets[t->ntargets++] = tg;
	return 0;
}

int tracer__remove(struct tracer *t, pid_t pid)
{
	for (size_t i = 0; i < t->ntargets; i++) {
		struct target *tg = &t->targets[i];

		if (tg->pid != pid)
			continue;
		target__free(tg);
		release_slot(t, tg);
		binary_put(t, tg->bin);
		t->targets[i] = t->targets[--t->ntargets];
		return 0;
	}
	return -ENOENT;
}

int tracer__poll(struct tracer *t, tracer_exec_fn exec_cb, void *ctx)
{
	double now = clock__mono_s();
	bool check = now >= t->next_liveness;

	t->exec_cb = exec_cb;
	t->exec_ctx = ctx;
	t->newly_exited = 0;
	ring_buffer__consume(t->rb);
	if (check)
		t->next_liveness = now + LIVENESS_S;
	for (size_t i = 0; i < t->ntargets; i++) {
		struct target *tg = &t->targets[i];
		__u64 start;

		if (tg->exited)
			continue;
		/*
		 * Gone, or the PID now belongs to another process: its pidfd says so
		 * cheaply; without one, /proc/PID/stat (which sums every thread's
		 * times: costly for a process of thousands of threads).
		 */
		if (check && (tg->pidfd >= 0 ? procfs__pidfd_ended(tg->pidfd)
					     : procfs__start_time(tg->pid, &start) ||
						   start != tg->start_time)) {
			target__exited(t->skel, tg, now);
			t->newly_exited++;
			continue;
		}
		sample_threads(t, tg);
	}
	return t->newly_exited;
}

void tracer__for_each(struct tracer *t, void (*fn)(struct target *tg, void *ctx), void *ctx)
{
	for (size_t i = 0; i < t->ntargets; i++)
		fn(&t->targets[i], ctx);
}

size_t tracer__count(const struct tracer *t, bool alive)
{
	size_t n = 0;

	for (size_t i = 0; i < t->ntargets; i++)
		n += !alive || !t->targets[i].exited;
	return n;
}

size_t tracer__remove_exited(struct tracer *t)
{
	size_t n = 0;

	for (size_t i = t->ntargets; i-- > 0;)
		if (t->targets[i].exited && !tracer__remove(t, t->targets[i].pid))
			n++;
	return n;
}

struct cgoscope_bpf *tracer__skel(struct tracer *t)
{
	return t->skel;
}

const struct tracer_opts *tracer__opts(const struct tracer *t)
{
	return &t->opts;
}

const char *tracer__link_kind(const struct tracer *t)
{
	return t->uprobe_multi ? "uprobe_multi" : "perf-event";
}

struct probe_cost tracer__cost(const struct tracer *t, enum placement p)
{
	return t->cost[p];
}
