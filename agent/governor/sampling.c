/* sampling.c - the one clock of a process's probes-on time and its sampling ratio (pure). */
#include <string.h>
#include "sampling.h"

void sampling__start(struct sampling *s, double now, bool on)
{
	memset(s, 0, sizeof(*s));
	s->start = s->last = now;
	s->on = on;
}

/* now, or the freeze, and never before the last switch. */
static double until(const struct sampling *s, double now)
{
	return s->frozen || now < s->last ? s->last : now;
}

void sampling__switch(struct sampling *s, double now, bool on)
{
	if (s->frozen || s->on == on)
		return;
	now = until(s, now);
	if (s->on)
		s->on_s += now - s->last;
	s->last = now;
	s->on = on;
	s->switches++;
}

void sampling__freeze(struct sampling *s, double now)
{
	if (s->frozen)
		return;
	now = until(s, now);
	if (s->on)
		s->on_s += now - s->last;
	s->last = now;
	s->frozen = true;
}

double sampling__elapsed(const struct sampling *s, double now)
{
	return until(s, now) - s->start;
}

double sampling__on_time(const struct sampling *s, double now)
{
	double on = s->on_s + (s->on && !s->frozen ? until(s, now) - s->last : 0);
	double elapsed = sampling__elapsed(s, now);

	return on < 0 ? 0 : on > elapsed ? elapsed : on;
}

double sampling__ratio(const struct sampling *s, double now)
{
	double elapsed = sampling__elapsed(s, now);

	if (elapsed <= 0)
		return s->on ? 1 : 0;
	return sampling__on_time(s, now) / elapsed;
}
