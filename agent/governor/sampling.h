/* sampling.h - the one clock of a process's probes-on time and its sampling ratio (pure). */
#ifndef CGOSCOPE_SAMPLING_H
#define CGOSCOPE_SAMPLING_H

#include <stdbool.h>

/*
 * The probes of one traced process are on or off; this clock is the only
 * record of how long they were on. Times are monotonic seconds given by the
 * caller (never read here), so it can be tested with any clock.
 *
 * Invariants, by construction: 0 <= on time <= elapsed, so the ratio is in
 * [0, 1]; a switch to the state the clock is already in changes nothing;
 * once frozen (the process ended) nothing changes any more, whatever time
 * the caller asks at.
 */
struct sampling {
	double start; /* when tracing began */
	double last; /* the last switch (or start); where a frozen clock stopped */
	double on_s; /* probes-on time from start up to last */
	bool on; /* probes on since last */
	bool frozen;
	unsigned int switches; /* on -> off and off -> on, since start */
};

/* Starts s at now, with the probes on or off. */
void sampling__start(struct sampling *s, double now, bool on);

/*
 * Records that the probes are on (or off) from now. A no-op when they already
 * were, when s is frozen, or when now lies before the last switch (a clock
 * read out of order counts from the last switch).
 */
void sampling__switch(struct sampling *s, double now, bool on);

/* Stops s at now for good (the process exited): later readings say the same. */
void sampling__freeze(struct sampling *s, double now);

/* Seconds since start, as of now (or of the freeze). Never negative. */
double sampling__elapsed(const struct sampling *s, double now);

/* Seconds with the probes on since start, as of now (or of the freeze); <= elapsed. */
double sampling__on_time(const struct sampling *s, double now);

/*
 * Share of the time the probes were on, in [0, 1]: on time / elapsed, and
 * for a clock that has not run yet 1 when the probes are on, 0 when off.
 */
double sampling__ratio(const struct sampling *s, double now);

#endif /* CGOSCOPE_SAMPLING_H */
