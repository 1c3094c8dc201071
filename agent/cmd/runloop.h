/* runloop.h - the one loop profile, top and agent run: discovery, the governor's tick, a periodic
 * callback. */
#ifndef CGOSCOPE_RUNLOOP_H
#define CGOSCOPE_RUNLOOP_H

#include <pthread.h>
#include <stdbool.h>

struct tracer;
struct discover;
struct governor_opts;

/* What a command hands runloop__run(); every callback gets ctx. */
struct runloop {
	struct tracer *tracer;
	struct discover *disc; /* NULL: only the PIDs given (exits still noticed) */
	const struct governor_opts *gov; /* the governor's settings */
	pthread_mutex_t *lock; /* held around each tick and callback, or NULL */
	double until_s; /* monotonic deadline (clock.h); 0: none */
	double every_s; /* period of every(); 0: never */
	/* waits up to ms before a tick; true stops the loop. NULL: a sleep cli_stop cuts short */
	bool (*wait)(void *ctx, long ms);
	/* every every_s seconds, after that tick's governor; true stops the loop */
	bool (*every)(void *ctx);
	/* after each tick (and its every()); true stops the loop (every target has exited) */
	bool (*after_tick)(void *ctx);
	void *ctx;
};

/*
 * Runs ticks until cli_stop is set (SIGINT, SIGTERM), the deadline passes or
 * a callback says stop. One tick: wait for tracer__tick_s() (shorter while
 * some probes are off), then under the lock: new and ended processes
 * (discover__poll, or tracer__poll without discovery), one governor tick
 * (tracer__govern), every() when every_s has passed since its last call (the
 * first comes every_s after the start), then after_tick.
 */
void runloop__run(const struct runloop *r);

#endif /* CGOSCOPE_RUNLOOP_H */
