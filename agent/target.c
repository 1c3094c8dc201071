/* target.c - one traced process: its probes, sampling clock, governor and estimates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "clock.h"
#include "fstats.h"
#include "slots.h"
#include "target.h"

/* Reads the runtime's M list of tg again. Returns 0 or -errno (tg->mw keeps the last values). */
static int refresh(struct target *tg)
{
	return mwatch__update(&tg->mw, tg->pid, tg->bias, &tg->bin->rt, clock__mono_ns());
}

__u64 target__untraced(const struct target *tg, __u64 enters)
{
	__u64 made;

	if (!tg->mw.known)
		return 0;
	made = tg->mw.ncgocall - tg->mw.base;
	return made > enters ? made - enters : 0;
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

/* Probe hits of tg at its enter site so far (0 when unreadable). */
static __u64 enters_of(struct cgoscope_bpf *skel, const struct target *tg)
{
	struct cgoscope_proc p;

	return slots__read(skel, tg->slot, &p) ? 0 : p.enters;
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
	int err;

	if (tg->on)
		return 0;
	if (tg->exited)
		return -ESRCH;
	err = probes__attach(tg->bin->gb, tg->path, tg->pid, &tg->bin->plan, skel, &tg->links);
	if (err)
		return err;
	known = !refresh(tg);
	if (first && known) /* exact totals count from the moment the probes record */
		tg->mw.base = tg->mw.ncgocall;
	mark_unseen(skel, tg, known);
	pause__end(&tg->pause, &tg->mw, known, skel, tg->pid, thread_keyed(tg), ended_unseen,
		   &tg->est);
	estimate__resume(&tg->est, target__untraced(tg, enters_of(skel, tg)));
	tg->cfg.gen++;
	tg->cfg.enabled = 1;
	slots__set_cfg(skel, tg->slot, &tg->cfg);
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
		estimate__cut(&tg->est, counts, n, target__untraced(tg, enters_of(skel, tg)));
	else
		estimate__mark(&tg->est, counts, n);
	free(counts);
}

void target__probes_off(struct cgoscope_bpf *skel, struct target *tg, double now)
{
	if (!tg->on)
		return;
	/* read before the BPF side stops: see pause.h */
	refresh(tg);
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

	in.traced = enters_of(skel, tg);
	/* traced in full, the probe hits are the rate; else the runtime's count too */
	if (tg->gov.mode == GOV_FULL && tg->on)
		return in;
	in.made_known = !refresh(tg);
	in.made = tg->mw.ncgocall;
	if (in.made_known && tg->gov_ms)
		in.busy = mwatch__busy(&tg->mw, tg->gov_ms, tg->gov_nms);
	if (in.made_known)
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

void target__exited(struct cgoscope_bpf *skel, struct target *tg, double now)
{
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
	probes__detach_async(&tg->links);
	probes__detach_async(&tg->spawn);
	mwatch__free(&tg->mw);
	pause__free(&tg->pause);
	estimate__free(&tg->est);
	free(tg->gov_ms);
	tg->gov_ms = NULL;
}
