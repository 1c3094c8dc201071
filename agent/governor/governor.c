/* governor.c - keeps the probes' cost within a budget: decides per process, per tick (pure). */
#include <string.h>
#include "governor.h"

#define DEFAULT_PERIOD_S 2.0
#define SLACK_S		 1e-6 /* times compare equal this close (sums of ticks) */

void governor__init(struct gov_proc *p, double now, __u64 made, bool made_known)
{
	memset(p, 0, sizeof(*p));
	p->mode = GOV_FULL;
	p->duty = 1;
	p->since = p->at = p->from = now;
	p->primed = true;
	p->made = made;
	p->made_at = now;
	p->made_known = made_known;
}

const char *governor__mode_name(enum gov_mode m)
{
	switch (m) {
	case GOV_FULL:
		return "full";
	case GOV_CONFIRM:
		return "confirm";
	case GOV_SAMPLE_ON:
		return "sampling (on)";
	case GOV_SAMPLE_OFF:
		return "sampling (off)";
	}
	return "?";
}

/*
 * The rate of calls made between the runtime's readings of p and in, or -1.
 * The caller reads the M list when that is due, so a reading can be older
 * than the tick; a span shorter than GOVERNOR_MIN_WINDOW_S is left to grow.
 */
static double made_rate(const struct gov_proc *p, const struct gov_input *in)
{
	double dt = in->made_at - p->made_at;

	if (!p->primed || !in->made_known || !p->made_known || in->made < p->made ||
	    dt < GOVERNOR_MIN_WINDOW_S - SLACK_S)
		return -1;
	return (double)(in->made - p->made) / dt;
}

/*
 * Projects the cost of full tracing from the interval since the last
 * measurement, in which the probes were as in->on says (the caller switches
 * them right after a decision): true and p->cost set when the interval says
 * something. Intervals shorter than GOVERNOR_MIN_WINDOW_S are left to grow.
 * Off, the rate is the runtime's count over its readings' own span.
 */
static bool measure(struct gov_proc *p, const struct gov_input *in)
{
	double dt = in->now - p->at, rate = -1, cost;

	if (p->primed && dt < GOVERNOR_MIN_WINDOW_S)
		return false;
	if (p->primed && in->on && in->traced >= p->traced)
		rate = (double)(in->traced - p->traced) / dt;
	else if (!in->on)
		rate = made_rate(p, in);
	/* a reading is the base of the next rate once used, or while on (it keeps current) */
	if (rate >= 0 || in->on || !p->made_known || !in->made_known) {
		p->made = in->made;
		p->made_at = in->made_at;
		p->made_known = in->made_known;
	}
	p->from = p->primed ? p->at : in->now;
	p->primed = true;
	p->at = in->now;
	p->traced = in->traced;
	if (rate < 0)
		return false;
	cost = rate * in->per_call_ns / 1e9;
	/* a thread spends at most a core in the probes */
	if (!in->on && in->busy && cost > in->busy)
		cost = in->busy;
	p->cost = cost;
	return true;
}

static double duty_of(double cost, double budget)
{
	double d = cost > 0 ? budget / cost : 1;

	return d < GOVERNOR_MIN_DUTY ? GOVERNOR_MIN_DUTY : d > 1 ? 1 : d;
}

static double on_len(double duty, double period)
{
	double len = duty * period;

	return len < GOVERNOR_MIN_ON_S ? GOVERNOR_MIN_ON_S : len;
}

static void enter(struct gov_proc *p, enum gov_mode m, double now, struct gov_decision *d)
{
	p->mode = m;
	p->since = now;
	d->changed = true;
	if (m == GOV_FULL || m == GOV_CONFIRM)
		p->duty = 1;
}

/* Sampling: follows the duty, ends when the projection is calm. */
static void sample(struct gov_proc *p, const struct governor_opts *o, const struct gov_input *in,
		   bool measured, struct gov_decision *d)
{
	double period = o->period_s > 0 ? o->period_s : DEFAULT_PERIOD_S;
	double len, duty;

	if (measured && p->cost <= o->budget * GOVERNOR_HYSTERESIS) {
		d->on = p->mode == GOV_SAMPLE_OFF;
		enter(p, GOV_FULL, in->now, d);
		return;
	}
	duty = measured ? duty_of(p->cost, o->budget) : p->duty;
	if (duty != p->duty)
		d->changed = true;
	p->duty = duty;
	len = on_len(duty, period);
	/* the window ends at the tick nearest its length (ticks are GOVERNOR_TICK_S apart) */
	if (p->mode == GOV_SAMPLE_ON && in->now - p->since >= len - GOVERNOR_TICK_S / 2 - SLACK_S) {
		d->off = true;
		p->spent = in->now - p->since;
		enter(p, GOV_SAMPLE_OFF, in->now, d);
	} else if (p->mode == GOV_SAMPLE_OFF &&
		   in->now - p->since >= p->spent * (1 - duty) / duty - SLACK_S) {
		d->on = d->mark = true;
		enter(p, GOV_SAMPLE_ON, in->now, d);
	}
}

struct gov_decision governor__decide(struct gov_proc *p, const struct governor_opts *o,
				     const struct gov_input *in)
{
	struct gov_decision d = { 0 };
	bool measured = measure(p, in);

	if (o->budget <= 0 || in->per_call_ns <= 0) {
		d.on = !in->on;
		if (p->mode != GOV_FULL)
			enter(p, GOV_FULL, in->now, &d);
		return d;
	}
	switch (p->mode) {
	case GOV_FULL:
		d.on = !in->on;
		if (measured && p->cost > o->budget) {
			d.mark = true;
			p->spent = in->now - p->from; /* the detection tick, traced in full */
			enter(p, GOV_CONFIRM, in->now, &d);
		}
		break;
	case GOV_CONFIRM:
		if (!measured)
			break;
		if (p->cost > o->budget) {
			d.off = true;
			p->spent += in->now - p->since;
			enter(p, GOV_SAMPLE_OFF, in->now, &d);
			p->duty = duty_of(p->cost, o->budget);
		} else {
			enter(p, GOV_FULL, in->now, &d);
		}
		break;
	case GOV_SAMPLE_ON:
	case GOV_SAMPLE_OFF:
		sample(p, o, in, measured, &d);
		break;
	}
	return d;
}
