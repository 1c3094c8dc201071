/* threadhist.h - a process's thread count over time and how fast it grows (pure). */
#ifndef CGOSCOPE_THREADHIST_H
#define CGOSCOPE_THREADHIST_H

#include <stdbool.h>
#include <linux/types.h>

#define THREADHIST_LEN	     32
#define THREADHIST_SPACING_S 0.5 /* at most one sample per half second */

/* The last THREADHIST_LEN samples, oldest overwritten first. Zeroed: empty. */
struct threadhist {
	double t[THREADHIST_LEN]; /* monotonic seconds */
	__s64 n[THREADHIST_LEN]; /* threads then */
	unsigned int head, len;
};

/* Whether a sample taken at now would be kept (the last is THREADHIST_SPACING_S old or more). */
bool threadhist__due(const struct threadhist *h, double now);

/* Records n threads at now when threadhist__due(); else does nothing. */
void threadhist__add(struct threadhist *h, double now, __s64 n);

/*
 * Threads per second between the newest sample and the oldest one at most
 * window_s older; 0 when those span less than a second (too little history).
 */
double threadhist__growth(const struct threadhist *h, double window_s);

/*
 * How fast the count grows now: threadhist__growth(h, window_s), but 0 when
 * it rose by fewer than min_new over that window (a few threads at start-up
 * are not growth), or did not rise at all in the last flat_s (it has
 * stopped: no echo of a past rise).
 */
double threadhist__growth_now(const struct threadhist *h, double window_s, double flat_s,
			      __s64 min_new);

#endif /* CGOSCOPE_THREADHIST_H */
