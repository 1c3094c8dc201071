/* topts.h - what a tracing session is asked for (options) and what it measured (probe cost). */
#ifndef CGOSCOPE_TOPTS_H
#define CGOSCOPE_TOPTS_H

#include <stdbool.h>
#include <linux/types.h>

struct tracer_opts {
	int placement;       /* the placement to use where the binary allows (PROBES_AUTO: the best) */
	bool watch_exec;     /* deliver exec events (agent discovery) */
	__u64 long_ns;       /* long-blocking threshold */
	__u32 map_entries;   /* size of the calls and stats maps; 0 = built-in default */
	bool calibrate;      /* measure the probe cost at start */
	double census_hz;    /* samples of the C-time profile per second and process; 0: none */
	double census_budget; /* share of a CPU reading the M lists may cost, all together; 0: any */
	bool no_callers;     /* do not keep the Go callers of traced calls */
	bool no_probes;      /* no cgo uprobes: the runtime's view and the census only */
};

/* Measured cost of a probe pair, per placement. */
struct probe_cost {
	double per_call_ns; /* what the traced program pays per cgo call */
	double floor_ns;    /* how much of it lands inside every measured span */
};

#endif /* CGOSCOPE_TOPTS_H */
