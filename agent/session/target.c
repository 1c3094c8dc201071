/* target.c - one traced process: its probes, sampling clock, governor and estimates. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "clock.h"
#include "fstats.h"
#include "mapkeys.h"
#include "slots.h"
#include "target.h"

int target__refresh(struct target *tg)
{
	int err = mwatch__update(&tg->mw, tg->pid, tg->bias, &tg->bin->rt, clock__mono_ns());

	if (!err)
		unseen__settle(&tg->unseen, &tg->mw, tg->long_ns);
	return err;
}

void target__census(struct target *tg, __u64 now_ns, __u64 every_ns)
{
	__u64 every = every_ns > tg->read_every_ns ? every_ns : tg->read_every_ns, dt;

	if (tg->exited || !every_ns || now_ns - tg->census_at < every)
		return;
	dt = tg->census_at && now_ns - tg->census_at < 2 * every ? now_ns - tg->census_at : every;
	tg->census_at = now_ns;
	if (now_ns - tg->mw.at_ns > every / 2 && !target__none_in_c(tg) && target__refresh(tg))
		return;
	cprof__census(&tg->cprof, dt);
	for (size_t i = 0; i < tg->mw.n; i++) {
		const struct census_entry *c = tg->mw.v[i].call;

		if (c && c->fn)
			cprof__add(&tg->cprof, c->fn, c->pcs, c->npc, c->truncated, dt);
	}
}

bool target__none_in_c(const struct target *tg)
{
	return tg->on && tg->mw.known && !tg->mw.in_c && tg->mw.at_ns > tg->on_at_ns &&
	       tg->seen.inflight <= 0 && !tg->seen.enters_lost;
}

double target__residual(const struct target *tg, __u64 traced, unsigned int live)
{
	if (!tg->mw.known)
		return 0;
	return (double)(tg->mw.ncgocall - tg->mw.base) - (double)traced - live;
}

/* Its call records are per thread: frames can be kept across a pause (pause.h). */
static bool thread_keyed(const struct target *tg)
{
	return tg->bin->plan.placement != PLACEMENT_ENTRY_RET;
}

/* pause_ended_fn: a traced enter whose call ended while the probes were off. */
static void ended_unseen(__u64 fn, void *ctx)
{
	estimate__unseen_end(ctx, fn);
}

/*
 * Counts to their function the calls in C now that began while the probes
 * were off (not in the call they were in when the pause began, not counted
 * yet), named by the census: estimate.h's adoption; they are followed to
 * their end (unseen.h).
 */
static void adopt_unseen(struct target *tg)
{
	for (size_t i = 0; i < tg->mw.n; i++) {
		const struct mwatch_m *m = &tg->mw.v[i];

		if (!m->call || !m->call->fn || pause__same_call(&tg->pause, &tg->mw, m->tid) ||
		    unseen__has(&tg->unseen, m->tid, m->ncgocall))
			continue;
		if (unseen__add(&tg->unseen, m->tid, m->ncgocall, m->call->fn, m->since_ns,
				tg->mw.at_ns) ||
		    estimate__adopt(&tg->est, m->call->fn))
			return;
	}
}

/* The BPF side's counters of tg (zeros when unreadable). */
static struct cgoscope_proc counters_of(struct cgoscope_bpf *skel, const struct target *tg)
{
	struct cgoscope_proc p;

	if (tg->counters)
		slots__copy(tg->counters, &p);
	else if (slots__read(skel, tg->slot, &p))
		memset(&p, 0, sizeof(p));
	return p;
}

/*
 * Marks the threads in C whose call began unseen: their first leave comes
 * without an enter, and that is expected, not a loss.
 */
static void mark_unseen(struct cgoscope_bpf *skel, struct target *tg, bool known)
{
	int fd = bpf_map__fd(skel->maps.skipleave);
	__u8 one = 1;

	for (size_t i = 0; known && i < tg->mw.n; i++) {
		__u32 tid = tg->mw.v[i].tid;
		__u64 k = (__u64)tg->pid << 32 | tid;

		if (!thread_keyed(tg) || !pause__same_call(&tg->pause, &tg->mw, tid))
			bpf_map_update_elem(fd, &k, &one, BPF_ANY);
	}
}

int target__probes_on(struct cgoscope_bpf *skel, struct target *tg, double now)
{
	bool known, first = !tg->clock.switches && !tg->clock.on;
	unsigned int kept = 0;
	int err;

	if (tg->on)
		return 0;
	if (tg->exited)
		return -ESRCH;
	/* the generation they record under, once enabled below */
	err = probes__attach(tg->bin->gb, tg->path, tg->pid, &tg->bin->plan, tg->cfg.gen + 1, skel,
			     &tg->links);
	if (err)
		return err;
	known = !target__refresh(tg);
	if (first && known) /* exact totals count from the moment the probes record */
		tg->mw.base = tg->mw.ncgocall;
	if (known && !first)
		adopt_unseen(tg);
	mark_unseen(skel, tg, known);
	pause__end(&tg->pause, &tg->mw, known, skel, tg->pid, thread_keyed(tg), ended_unseen,
		   &tg->est, &kept);
	estimate__resume(&tg->est, target__residual(tg, counters_of(skel, tg).calls, kept));
	tg->cfg.gen++;
	tg->cfg.enabled = 1;
	slots__set_cfg(skel, tg->slot, &tg->cfg);
	tg->on_at_ns = clock__mono_ns(); /* readings before this cannot prove anything */
	tg->on = true;
	sampling__switch(&tg->clock, now, true);
	return 0;
}

/* Notes per-function traced counts: with cut, the mix is taken and a span opens. */
static void take_counts(struct cgoscope_bpf *skel, struct target *tg, bool cut)
{
	struct est_count *counts = NULL;
	size_t n = 0;

	if (fstats__counts(skel, tg->pid, &counts, &n))
		n = 0;
	if (cut)
		estimate__cut(&tg->est, counts, n);
	else
		estimate__mark(&tg->est, counts, n);
	free(counts);
}

void target__probes_off(struct cgoscope_bpf *skel, struct target *tg, double now)
{
	if (!tg->on)
		return;
	/* read before the BPF side stops: see pause.h */
	target__refresh(tg);
	pause__begin(&tg->pause, &tg->mw);
	tg->cfg.enabled = 0;
	slots__set_cfg(skel, tg->slot, &tg->cfg);
	take_counts(skel, tg, true);
	probes__detach_async(&tg->links);
	tg->on = false;
	sampling__switch(&tg->clock, now, false);
}

/* What the governor is told about tg now. */
static struct gov_input measure(struct cgoscope_bpf *skel, struct target *tg, double per_call_ns,
				double now)
{
	struct gov_input in = { .now = now, .per_call_ns = per_call_ns, .on = tg->on };
	bool fresh = false;

	tg->seen = counters_of(skel, tg);
	in.traced = tg->seen.enters;
	/* traced in full, the probe hits are the rate; else the runtime's count too */
	if (tg->gov.mode == GOV_FULL && tg->on)
		return in;
	/* the M list is read when due (target.h: read_every_ns); else the last reading */
	if ((__u64)(now * 1e9) - tg->mw.at_ns >= tg->read_every_ns)
		fresh = !target__refresh(tg);
	in.made_known = tg->mw.known && tg->mw.at_ns;
	in.made = tg->mw.ncgocall;
	in.made_at = tg->mw.at_ns / 1e9;
	if (!fresh)
		return in;
	if (!tg->on)
		adopt_unseen(tg);
	if (tg->gov_ms)
		in.busy = mwatch__busy(&tg->mw, tg->gov_ms, tg->gov_nms);
	mwatch__save(&tg->mw, &tg->gov_ms, &tg->gov_nms);
	return in;
}

void target__govern(struct cgoscope_bpf *skel, struct target *tg, const struct governor_opts *o,
		    double per_call_ns, double now)
{
	struct gov_input in;
	struct gov_decision d;
	int err = 0;

	if (tg->exited)
		return;
	in = measure(skel, tg, per_call_ns, now);
	d = governor__decide(&tg->gov, o, &in);
	if (d.off)
		target__probes_off(skel, tg, now);
	if (d.on)
		err = target__probes_on(skel, tg, now);
	if (d.mark)
		take_counts(skel, tg, false);
	if (err && err != -ESRCH) /* ESRCH: it just ended; the tracer sees the exit */
		fprintf(stderr,
			"cgoscope: governor: cannot attach the probes of PID %d again: %s\n",
			tg->pid, strerror(-err));
	if (o->verbose && d.changed)
		fprintf(stderr,
			"cgoscope: governor: PID %d: %s, probes on %.1f%% of the time "
			"(traced in full they would cost %.2f%% of a CPU)\n",
			tg->pid, governor__mode_name(tg->gov.mode), tg->gov.duty * 100,
			tg->gov.cost * 100);
}

/* mapkeys_keep_fn over the calls map: counts the frames of a process that ended, keeps them. */
static bool end_frames(int fd, const void *key, void *ctx)
{
	struct cgoscope_calls c;

	if (!bpf_map_lookup_elem(fd, key, &c))
		for (__u32 d = 0; d < c.depth && d < CGOSCOPE_MAX_DEPTH; d++)
			estimate__unseen_end(ctx, c.frames[d].fn);
	return true;
}

void target__exited(struct cgoscope_bpf *skel, struct target *tg, double now)
{
	/* the calls its probes saw begin while they were off ended with it */
	if (!tg->on && tg->est.open)
		mapkeys__forget(bpf_map__fd(skel->maps.calls), sizeof(struct cgoscope_calls_key),
				offsetof(struct cgoscope_calls_key, tgid), tg->pid, end_frames,
				&tg->est);
	if (tg->on) {
		tg->cfg.enabled = 0;
		slots__set_cfg(skel, tg->slot, &tg->cfg);
	}
	tg->exited = true;
	sampling__freeze(&tg->clock, now);
	probes__detach_async(&tg->links);
	probes__detach_async(&tg->spawn);
	tg->on = false;
}

void target__free(struct target *tg)
{
	if (tg->pidfd >= 0)
		close(tg->pidfd);
	tg->pidfd = -1;
	probes__detach_async(&tg->links);
	probes__detach_async(&tg->spawn);
	mwatch__free(&tg->mw);
	pause__free(&tg->pause);
	estimate__free(&tg->est);
	free(tg->gov_ms);
	tg->gov_ms = NULL;
	unseen__free(&tg->unseen);
	cprof__free(&tg->cprof);
}
