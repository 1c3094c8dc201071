/* governor.h - keeps the probes' cost within a budget: decides per process, per tick (pure). */
#ifndef CGOSCOPE_GOVERNOR_H
#define CGOSCOPE_GOVERNOR_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * The governor never reads a clock or a map: the caller measures and tells it
 * (struct gov_input), it answers what to do (struct gov_decision). Rules:
 *
 * - The cost of full tracing is projected at every tick from the process's
 *   own call rate: the runtime's exact count of cgo calls (m.ncgocall of every
 *   M) while the probes are off, the probe hits while they are on, times the
 *   calibrated cost of one traced call. Each thread making calls can spend at
 *   most one core in the probes, so the projection is capped at the number of
 *   threads that made calls in the interval.
 * - Under budget: every call is traced. A process whose probes are off and
 *   whose projection falls to 80% of the budget or below gets them back at
 *   that tick.
 * - Over budget while tracing in full: one more tick of full tracing
 *   (GOV_CONFIRM) whose traced calls say which functions the hot calls go to
 *   (the mix the estimates scale by), then sampling: on for max(MIN_ON,
 *   duty x period) (ended at the tick nearest that), duty = budget / cost,
 *   then off until the on-time spent (the last window, or the detection and
 *   confirmation ticks) makes `duty` of the cycle; re-decided at every tick
 *   (a cheaper phase shortens the off-window, a calm one ends it). A hot
 *   phase thus costs two ticks of full tracing, repaid by its first
 *   off-window; one shorter than that (a burst) is not repaid.
 * - No budget, or no calibration (cost per call unknown): always full.
 */

#define GOVERNOR_TICK_S	      0.02 /* how often the caller decides, probes on */
#define GOVERNOR_FAST_TICK_S  0.01 /* ... while some probes are off */
#define GOVERNOR_MIN_WINDOW_S 0.008 /* shortest interval a rate is measured over */
#define GOVERNOR_MIN_ON_S     0.02 /* shortest on-window while sampling: one tick */
#define GOVERNOR_MIN_DUTY     0.002
#define GOVERNOR_HYSTERESIS   0.8 /* back to full tracing at or below 80% of the budget */

struct governor_opts {
	double budget; /* CPU the probes may cost a process, in cores (0.01 = 1%); 0: no limit */
	double period_s; /* sampling cycle: on for duty * period, then off (<= 0: 2 s) */
	bool verbose; /* the caller logs every change of mode or duty on stderr */
};

/* What the caller measured about one process at a tick. */
struct gov_input {
	double now; /* monotonic seconds */
	double per_call_ns; /* calibrated cost of one traced call; 0: unknown */
	bool on; /* the probes are on (attached and recording) now */
	bool made_known; /* made is valid (the runtime's M list could be read) */
	__u64 made; /* the runtime's cgo calls, cumulative */
	double made_at; /* when made was read (monotonic seconds): it may be older than now */
	__u64 traced; /* probe hits at the enter site, cumulative */
	unsigned int busy; /* threads whose call count moved since the last input; 0: unknown */
};

enum gov_mode {
	GOV_FULL, /* every call traced */
	GOV_CONFIRM, /* over budget once: one more tick traced in full gives the mix */
	GOV_SAMPLE_ON, /* sampling: an on-window */
	GOV_SAMPLE_OFF, /* sampling: probes off */
};

/* The governor's state for one process; zeroed by governor__init(). */
struct gov_proc {
	enum gov_mode mode;
	double duty; /* share of the time on while sampling; 1 when tracing in full */
	double since; /* when the current window (mode) began */
	double cost; /* the last projection of full tracing's cost, in cores */
	double spent; /* probes-on time of the last hot stretch: what the off-window repays */
	/* the previous measurement, and the start of the interval it measured */
	bool primed;
	double at, from;
	__u64 made, traced;
	double made_at; /* when made was read */
	bool made_known;
};

/* What to do now. At most one of on and off is set. */
struct gov_decision {
	bool on; /* attach the probes */
	bool off; /* detach them: the calls traced since the last mark are the mix */
	bool mark; /* note the per-function traced counts now: a mix window begins */
	bool changed; /* the mode or duty changed */
};

/*
 * Starts p at now in full tracing (the probes are on once attached), with
 * no probe hit yet and the runtime's count `made` (when made_known): the
 * first tick measures from here.
 */
void governor__init(struct gov_proc *p, double now, __u64 made, bool made_known);

/*
 * Takes one tick's measurement of a process and says what to do with its
 * probes (rules above). The caller applies the decision before the next call
 * and reports the probes' new state in the next input's `on`. Pure: reads
 * only its arguments, writes only p.
 */
struct gov_decision governor__decide(struct gov_proc *p, const struct governor_opts *o,
				     const struct gov_input *in);

/* "full", "confirm", "sampling (on)" or "sampling (off)". */
const char *governor__mode_name(enum gov_mode m);

#endif /* CGOSCOPE_GOVERNOR_H */
