/* runloop.c - the loop every command runs: poll processes, govern the probes, call back on a
 * period. */
#include "cli.h"
#include "clock.h"
#include "discover.h"
#include "runloop.h"
#include "tracer.h"

/* One tick under r's lock: processes, governor, callbacks. Returns true to stop. */
static bool tick(const struct runloop *r, double *next_every)
{
	bool stop = false;

	if (r->lock)
		pthread_mutex_lock(r->lock);
	if (r->disc)
		discover__poll(r->disc);
	else
		tracer__poll(r->tracer, NULL, NULL);
	tracer__govern(r->tracer, r->gov);
	if (r->every && r->every_s > 0 && clock__mono_s() >= *next_every) {
		stop = r->every(r->ctx);
		*next_every = clock__mono_s() + r->every_s;
	}
	if (!stop && r->after_tick)
		stop = r->after_tick(r->ctx);
	if (r->lock)
		pthread_mutex_unlock(r->lock);
	return stop;
}

void runloop__run(const struct runloop *r)
{
	double next_every = clock__mono_s() + r->every_s;

	while (!cli_stop && (!r->until_s || clock__mono_s() < r->until_s)) {
		long ms = (long)(tracer__tick_s(r->tracer) * 1000);

		if (r->wait ? r->wait(r->ctx, ms) : (cli__sleep_ms(ms), false))
			break;
		if (tick(r, &next_every))
			break;
	}
}
