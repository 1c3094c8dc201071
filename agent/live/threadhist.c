/* threadhist.c - a process's thread count over time and how fast it grows (pure). */
#include "threadhist.h"

static unsigned int newest(const struct threadhist *h)
{
	return (h->head + THREADHIST_LEN - 1) % THREADHIST_LEN;
}

bool threadhist__due(const struct threadhist *h, double now)
{
	return !h->len || now - h->t[newest(h)] >= THREADHIST_SPACING_S;
}

void threadhist__add(struct threadhist *h, double now, __s64 n)
{
	if (!threadhist__due(h, now))
		return;
	h->t[h->head] = now;
	h->n[h->head] = n;
	h->head = (h->head + 1) % THREADHIST_LEN;
	if (h->len < THREADHIST_LEN)
		h->len++;
}

/* The oldest sample at most window_s older than the newest one. */
static unsigned int oldest_within(const struct threadhist *h, double window_s)
{
	unsigned int last = newest(h), first = last;

	for (unsigned int i = 1; i < h->len; i++) {
		unsigned int j = (last + THREADHIST_LEN - i) % THREADHIST_LEN;

		if (h->t[last] - h->t[j] > window_s)
			break;
		first = j;
	}
	return first;
}

double threadhist__growth(const struct threadhist *h, double window_s)
{
	unsigned int last = newest(h), first;

	if (h->len < 2)
		return 0;
	first = oldest_within(h, window_s);
	if (h->t[last] - h->t[first] < 1.0)
		return 0;
	return (h->n[last] - h->n[first]) / (h->t[last] - h->t[first]);
}

double threadhist__growth_now(const struct threadhist *h, double window_s, double flat_s,
			      __s64 min_new)
{
	unsigned int last = newest(h), first, recent;

	if (h->len < 2)
		return 0;
	first = oldest_within(h, window_s);
	recent = oldest_within(h, flat_s);
	if (h->n[last] - h->n[first] < min_new || h->n[last] <= h->n[recent])
		return 0;
	return threadhist__growth(h, window_s);
}
