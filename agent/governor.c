/* governor.c - keeps the probes' cost within a budget: measures it per process and samples when it is too high. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgoscope.skel.h"
#include "clock.h"
#include "governor.h"
#include "slots.h"
#include "tracer.h"

/*
 * Reacts within a few hundredths of a second: a hot loop that starts while the
 * probes are fully on pays microseconds per call until the first measurement.
 */
#define MEASURE_EVERY_S 0.02
#define MIN_WINDOW_S 0.015 /* probes-on time a measurement needs to say anything */
#define MIN_ON_S 0.05      /* shortest on-window when sampling */
#define MIN_DUTY 0.002
#define HYSTERESIS 0.8     /* back to full tracing below 80% of the budget */

struct governor {
	struct governor_opts opts;
	double next_measure;
};

struct governor *governor__new(const struct governor_opts *opts)
{
	struct governor *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->opts = *opts;
	if (g->opts.period_s <= 0)
		g->opts.period_s = 2.0;
	return g;
}

void governor__free(struct governor *g)
{
	free(g);
}

/* Probe cost of each process while its probes are on, from the hits since the last measurement. */
static void measure(struct tracer *t)
{
	size_t n;
	struct target *tg = tracer__targets(t, &n);

	for (size_t i = 0; i < n; i++) {
		struct probe_cost c = tracer__cost(t, tg[i].bin->plan.placement);
		double on = tracer__on_time(&tg[i]), window = on - tg[i].on_seen;
		struct cgoscope_proc p;

		if (tg[i].exited || slots__read(tracer__skel(t), tg[i].slot, &p))
			continue;
		if (window >= MIN_WINDOW_S) {
			tg[i].overhead = (p.enters - tg[i].enters_seen) / window * c.per_call_ns / 1e9;
			tg[i].enters_seen = p.enters;
			tg[i].on_seen = on;
		}
	}
}

/* The duty a binary gets: budget / the costliest of its processes (*worst, in cores). */
static double duty_of(struct tracer *t, const struct binary *b, double budget, double *worst_out)
{
	double worst = 0, duty;
	size_t n;
	struct target *tg = tracer__targets(t, &n);

	for (size_t i = 0; i < n; i++)
		if (tg[i].bin == b && !tg[i].exited && tg[i].overhead > worst)
			worst = tg[i].overhead;
	*worst_out = worst;
	if (budget <= 0 || worst <= budget * (b->duty < 1 ? HYSTERESIS : 1))
		return 1;
	duty = budget / worst;
	return duty < MIN_DUTY ? MIN_DUTY : duty > 1 ? 1 : duty;
}

/* Takes b's processes over budget to cost at least a core until they are measured again. */
static void at_least_a_core(struct tracer *t, const struct binary *b, double budget)
{
	size_t n;
	struct target *tg = tracer__targets(t, &n);

	for (size_t i = 0; i < n; i++)
		if (tg[i].bin == b && !tg[i].exited && tg[i].overhead > budget &&
		    tg[i].overhead < 1)
			tg[i].overhead = 1;
}

/*
 * Attaches or detaches b to follow its duty: on for duty * period (at least
 * MIN_ON_S, the cycle growing to keep the duty), then off for the rest.
 */
static void follow(struct tracer *t, struct binary *b, double period, double now)
{
	double on_len = b->duty * period, since = now - b->switched;
	int err = 0;

	if (on_len < MIN_ON_S)
		on_len = MIN_ON_S;
	if (b->duty >= 1 || (!b->on && since >= on_len / b->duty - on_len))
		err = tracer__set_probes(t, b, true);
	else if (b->on && since >= on_len)
		err = tracer__set_probes(t, b, false);
	if (err && err != -ESRCH) /* ESRCH: its process just ended; the tracer sees the exit */
		fprintf(stderr, "cgoscope: governor: cannot switch probes of %s: %s\n", b->path,
			strerror(-err));
}

void governor__tick(struct governor *g, struct tracer *t)
{
	double now = clock__mono_s();
	size_t nb;
	struct binary **bins = tracer__binaries(t, &nb);

	if (now >= g->next_measure) {
		measure(t);
		for (size_t i = 0; i < nb; i++) {
			double worst, duty = duty_of(t, bins[i], g->opts.budget, &worst);

			/*
			 * From full tracing to sampling: the window that measured it
			 * ends now. The calls may have begun anywhere in that window,
			 * which then says less than they cost: while they last, a
			 * thread making them traced in full spends about a whole core
			 * on the probes. The next on-window measures it again.
			 */
			if (bins[i]->duty >= 1 && duty < 1) {
				at_least_a_core(t, bins[i], g->opts.budget);
				duty = duty_of(t, bins[i], g->opts.budget, &worst);
				tracer__set_probes(t, bins[i], false);
			}
			if (g->opts.verbose && duty != bins[i]->duty)
				fprintf(stderr,
					"cgoscope: governor: %s: probes on %.1f%% of the time "
					"(fully on they cost %.1f%% of a CPU)\n",
					bins[i]->path, duty * 100, worst * 100);
			bins[i]->duty = duty;
		}
		g->next_measure = now + MEASURE_EVERY_S;
	}
	for (size_t i = 0; i < nb; i++)
		follow(t, bins[i], g->opts.period_s, now);
}
