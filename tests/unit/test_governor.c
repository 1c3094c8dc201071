/* test_governor.c - the governor as arithmetic: simulated processes, an injected clock, exact
 * switch times. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include "governor.h"
#include "sampling.h"

#define EPS	   1e-9
#define COST_NS	   2800.0 /* a traced call's cost, as calibrated on these VMs */
#define HOT_RATE   20000000 /* untraced no-op calls per second and thread */
#define MAX_SWITCH 64

/*
 * A process: in [from_ms, to_ms) each of `threads` threads makes `rate`
 * calls a second while untraced; traced, each call also pays COST_NS.
 */
struct phase {
	int from_ms, to_ms;
	double rate;
	int threads;
};

/* One run: ticks like tracer__tick_s() (20 ms, 10 ms while the probes are off). */
struct sim {
	const struct phase *ph;
	size_t nph;
	int end_ms;
	struct governor_opts opts;
	double per_call_ns;
	bool made_unknown;
	int read_every_ms; /* the M list is read this often (0: every tick) */
	/* results */
	int switch_ms[MAX_SWITCH];
	bool switch_on[MAX_SWITCH];
	size_t nsw;
	struct sampling clock;
	struct gov_proc gov;
	double made, traced;
	__u64 read; /* made at the last reading */
	int read_ms;
	bool on;
	double max_duty_seen;
};

/* Calls in [t, t + dt) ms: made, and traced when the probes are on. */
static void advance(struct sim *s, int t, int dt, unsigned int *busy)
{
	*busy = 0;
	for (size_t i = 0; i < s->nph; i++) {
		const struct phase *p = &s->ph[i];
		int lo = t > p->from_ms ? t : p->from_ms,
		    hi = t + dt < p->to_ms ? t + dt : p->to_ms;
		double rate = s->on ? 1 / (1 / p->rate + COST_NS / 1e9) : p->rate;
		double n;

		if (hi <= lo)
			continue;
		n = rate * p->threads * (hi - lo) / 1000.0;
		s->made += n;
		if (s->on)
			s->traced += n;
		*busy += p->threads;
	}
}

static void run(struct sim *s)
{
	s->on = true;
	s->per_call_ns = s->per_call_ns ? s->per_call_ns : COST_NS;
	if (!s->opts.period_s)
		s->opts.period_s = 2.0;
	sampling__start(&s->clock, 0, true);
	governor__init(&s->gov, 0, 0, !s->made_unknown);
	for (int t = 0; t < s->end_ms;) {
		int dt = s->on ? 20 : 10;
		struct gov_input in = { .per_call_ns = s->per_call_ns };
		struct gov_decision d;

		if (t + dt > s->end_ms)
			dt = s->end_ms - t;
		advance(s, t, dt, &in.busy);
		t += dt;
		in.now = t / 1000.0;
		in.on = s->on;
		in.made_known = !s->made_unknown;
		if (t - s->read_ms >= s->read_every_ms) {
			s->read = (__u64)llround(s->made);
			s->read_ms = t;
		}
		in.made = s->read;
		in.made_at = s->read_ms / 1000.0;
		in.traced = (__u64)llround(s->traced);
		d = governor__decide(&s->gov, &s->opts, &in);
		assert_false(d.on && d.off);
		if ((d.on && !s->on) || (d.off && s->on)) {
			assert_true(s->nsw < MAX_SWITCH);
			s->switch_ms[s->nsw] = t;
			s->switch_on[s->nsw++] = d.on;
			s->on = d.on;
			sampling__switch(&s->clock, in.now, s->on);
		}
		if (s->gov.mode >= GOV_SAMPLE_ON && s->gov.duty > s->max_duty_seen)
			s->max_duty_seen = s->gov.duty;
	}
	sampling__freeze(&s->clock, s->end_ms / 1000.0);
}

/* Asserts the switches: times in ms, alternating off, on, off, ... */
static void expect_switches(const struct sim *s, const int *ms, size_t n)
{
	for (size_t i = 0; i < s->nsw && i < n; i++)
		if (s->switch_ms[i] != ms[i])
			printf("switch %zu at %d ms, expected %d\n", i, s->switch_ms[i], ms[i]);
	assert_int_equal(s->nsw, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(s->switch_ms[i], ms[i]);
		assert_int_equal(s->switch_on[i], i % 2 == 1);
	}
}

#define SWITCHES(s, ...)                                                                           \
	expect_switches(s, (const int[]){ __VA_ARGS__ },                                           \
			sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

static const struct governor_opts budget1 = { .budget = 0.01, .period_s = 2.0 };

/*
 * Calm, then a tight loop from 1 s: detected at the first tick (1.02 s),
 * confirmed at the next (1.04 s: cut). The 40 ms traced in full are repaid
 * by an off-window of 40 ms x 99 (duty 1%: each traced call costs about a
 * core), then 20 ms on every 2 s.
 */
static void test_calm_to_hot(void **state)
{
	const struct phase ph[] = { { 0, 1000, 10, 1 }, { 1000, 10000, HOT_RATE, 1 } };
	struct sim s = { .ph = ph, .nph = 2, .end_ms = 10000, .opts = budget1 };

	(void)state;
	run(&s);
	SWITCHES(&s, 1040, 5000, 5020, 7000, 7020, 9000, 9020);
	assert_float_equal(sampling__on_time(&s.clock, 10), 1.04 + 3 * 0.02, EPS);
	assert_float_equal(sampling__ratio(&s.clock, 10), 0.11, EPS);
	assert_int_equal(s.gov.mode, GOV_SAMPLE_OFF);
	assert_float_equal(s.gov.duty, 0.01, EPS); /* off: capped at one busy thread */
	/* in an on-window the traced rate says 0.982 cores */
	assert_float_equal(s.max_duty_seen, 0.01 / (COST_NS / (50 + COST_NS)), 1e-6);
}

/* A tight loop that ends at 5 s: full tracing again at the first tick after (5.01 s). */
static void test_hot_to_calm(void **state)
{
	const struct phase ph[] = { { 0, 5000, HOT_RATE, 1 }, { 5000, 8000, 10, 1 } };
	struct sim s = { .ph = ph, .nph = 2, .end_ms = 8000, .opts = budget1 };

	(void)state;
	run(&s);
	SWITCHES(&s, 40, 4000, 4020, 5010);
	assert_int_equal(s.gov.mode, GOV_FULL);
	assert_float_equal(s.gov.duty, 1, EPS);
	assert_float_equal(sampling__on_time(&s.clock, 8), 0.04 + 0.02 + 2.99, EPS);
	assert_float_equal(sampling__ratio(&s.clock, 8), 3.05 / 8, EPS);
}

/*
 * 100 ms bursts every 3 s: each costs two ticks traced, then off until it
 * ends (the first tick of the later ones holds 10 ms of the burst: ticks
 * run on from 1.11 s).
 */
static void test_bursts(void **state)
{
	const struct phase ph[] = { { 1000, 1100, HOT_RATE, 1 },
				    { 4000, 4100, HOT_RATE, 1 },
				    { 7000, 7100, HOT_RATE, 1 } };
	struct sim s = { .ph = ph, .nph = 3, .end_ms = 9000, .opts = budget1 };

	(void)state;
	run(&s);
	SWITCHES(&s, 1040, 1110, 4030, 4110, 7030, 7110);
	assert_float_equal(sampling__ratio(&s.clock, 9), (9 - 0.07 - 2 * 0.08) / 9, EPS);
	assert_int_equal(s.gov.mode, GOV_FULL);
}

/* 42 calls, then the process exits at 1 s: traced in full; the ratio frozen at 1. */
static void test_42_calls_then_exit(void **state)
{
	const struct phase ph[] = { { 0, 420, 100, 1 } };
	struct sim s = { .ph = ph, .nph = 1, .end_ms = 1000, .opts = budget1 };

	(void)state;
	run(&s);
	assert_int_equal(s.nsw, 0);
	assert_int_equal(llround(s.made), 42);
	assert_float_equal(sampling__ratio(&s.clock, 1000), 1, EPS);
}

/* The process exits (at 2 s) while its probes are off: the clock stops there. */
static void test_exit_while_off(void **state)
{
	const struct phase ph[] = { { 0, 2000, HOT_RATE, 1 } };
	struct sim s = { .ph = ph, .nph = 1, .end_ms = 2000, .opts = budget1 };

	(void)state;
	run(&s);
	SWITCHES(&s, 40);
	assert_float_equal(sampling__on_time(&s.clock, 50), 0.04, EPS);
	assert_float_equal(sampling__ratio(&s.clock, 50), 0.02, EPS);
	assert_true(sampling__ratio(&s.clock, 1e9) >= 0);
}

/*
 * 100 goroutines each enter a call that blocks: 100 calls in one tick look
 * like 1.4% of a CPU; the confirmation tick has none, so tracing stays full.
 */
static void test_all_block(void **state)
{
	const struct phase ph[] = { { 500, 520, 50, 100 } };
	struct sim s = { .ph = ph, .nph = 1, .end_ms = 3000, .opts = budget1 };

	(void)state;
	run(&s);
	assert_int_equal(s.nsw, 0);
	assert_int_equal(s.gov.mode, GOV_FULL);
	assert_float_equal(sampling__ratio(&s.clock, 3), 1, EPS);
}

/* Two threads in a tight loop: each spends at most a core: duty 0.5%. */
static void test_two_hot_threads(void **state)
{
	const struct phase ph[] = { { 0, 6000, HOT_RATE, 2 } };
	struct sim s = { .ph = ph, .nph = 1, .end_ms = 6000, .opts = budget1 };

	(void)state;
	run(&s);
	assert_float_equal(s.gov.duty, 0.005, EPS);
	/* 40 ms on, repaid by 40 ms x 199 off: past the end */
	SWITCHES(&s, 40);
}

/* No budget, or no calibration: never samples. */
static void test_no_budget(void **state)
{
	const struct phase ph[] = { { 0, 3000, HOT_RATE, 1 } };
	struct sim a = { .ph = ph, .nph = 1, .end_ms = 3000 };
	struct sim b = { .ph = ph, .nph = 1, .end_ms = 3000, .opts = budget1, .per_call_ns = -1 };

	(void)state;
	run(&a);
	assert_int_equal(a.nsw, 0);
	run(&b);
	assert_int_equal(b.nsw, 0);
}

/*
 * The M list read every 250 ms (a census stretched to its budget), a tight
 * loop that ends at 5 s: as test_hot_to_calm, but the end is seen at the
 * first reading whose span since the last one is calm (5.25 s), not at the
 * first tick after it. Off, the rate comes from the readings' own span.
 */
static void test_slow_readings(void **state)
{
	const struct phase ph[] = { { 0, 5000, HOT_RATE, 1 }, { 5000, 8000, 10, 1 } };
	struct sim s = { .ph = ph, .nph = 2, .end_ms = 8000, .opts = budget1, .read_every_ms = 250 };

	(void)state;
	run(&s);
	SWITCHES(&s, 40, 4000, 4020, 5250);
	assert_int_equal(s.gov.mode, GOV_FULL);
}

/* The runtime's count unreadable: the off-window still ends by the duty, from the last measure. */
static void test_made_unknown(void **state)
{
	const struct phase ph[] = { { 0, 6000, HOT_RATE, 1 } };
	struct sim s = {
		.ph = ph, .nph = 1, .end_ms = 6000, .opts = budget1, .made_unknown = true
	};

	(void)state;
	run(&s);
	/* duty from the traced 0.982 cores: 40 ms / 0.0101786 - 40 ms off */
	assert_true(s.nsw >= 3);
	assert_int_equal(s.switch_ms[0], 40);
	assert_int_equal(s.switch_ms[1],
			 40 + (int)ceil((0.04 * (1 - 0.0101786) / 0.0101786) * 100) * 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calm_to_hot),	cmocka_unit_test(test_hot_to_calm),
		cmocka_unit_test(test_bursts),		cmocka_unit_test(test_42_calls_then_exit),
		cmocka_unit_test(test_exit_while_off),	cmocka_unit_test(test_all_block),
		cmocka_unit_test(test_two_hot_threads), cmocka_unit_test(test_no_budget),
		cmocka_unit_test(test_made_unknown),	cmocka_unit_test(test_slow_readings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
