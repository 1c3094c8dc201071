/* governor.h - keeps the probes' cost within a budget: measures it per process and samples when it is too high. */
#ifndef CGOSCOPE_GOVERNOR_H
#define CGOSCOPE_GOVERNOR_H

#include <stdbool.h>

struct tracer;
struct governor;

struct governor_opts {
	double budget;   /* CPU the probes may cost a process, in cores (0.01 = 1%); 0: no limit */
	double period_s; /* sampling cycle: probes on for duty * period, then off (default 2 s) */
	bool verbose;    /* log every duty change on stderr */
};

/* Creates a governor. Returns NULL with errno set when out of memory. */
struct governor *governor__new(const struct governor_opts *opts);

/* Frees g. NULL is allowed. */
void governor__free(struct governor *g);

/*
 * Call often (every 20 ms). Every 20 ms it estimates each process's
 * probe cost while the probes are on (enter hits per second x the calibrated
 * cost per call) and sets each binary's duty to budget / cost (at most 1);
 * between measurements it attaches and detaches the binary's probes to follow
 * its duty. Needs the tracer's calibration; without it (cost 0) never samples.
 */
void governor__tick(struct governor *g, struct tracer *t);

#endif /* CGOSCOPE_GOVERNOR_H */
