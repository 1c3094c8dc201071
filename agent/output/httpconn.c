/* httpconn.c - the HTTP server's connections: deadlines for slow clients, eviction at the limit. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "clock.h"
#include "httpconn.h"

#define REAP_MS 100

enum conn_state { CONN_READING, CONN_SERVING, CONN_SHUT };

struct httpconn {
	struct httpconn *prev, *next;
	int fd;
	enum conn_state state;
	double since; /* when the current state began */
	unsigned char peer[16]; /* the client's address (IPv4 in the first 4 bytes) */
};

struct httpconn_table {
	struct httpconn_opts opts;
	pthread_mutex_t lock; /* guards the list, the states and the stats */
	pthread_cond_t wake;
	bool stop;
	pthread_t reaper;
	struct httpconn head; /* circular list, oldest first */
	struct httpconn_stats st;
};

/* Shuts c's socket down: the server sees EOF or an error and closes it. Lock held. */
static void shut_locked(struct httpconn *c, unsigned long long *counter)
{
	if (c->state == CONN_SHUT)
		return;
	shutdown(c->fd, SHUT_RDWR);
	c->state = CONN_SHUT;
	(*counter)++;
}

static void reap_locked(struct httpconn_table *t, double now)
{
	struct httpconn *c;

	for (c = t->head.next; c != &t->head; c = c->next) {
		if (c->state == CONN_READING && now - c->since > t->opts.read_s)
			shut_locked(c, &t->st.evicted_read);
		else if (c->state == CONN_SERVING && now - c->since > t->opts.write_s)
			shut_locked(c, &t->st.evicted_write);
	}
}

static void *reaper(void *arg)
{
	struct httpconn_table *t = arg;
	struct timespec ts;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += REAP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&t->wake, &t->lock, &ts);
		reap_locked(t, clock__mono_s());
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int httpconn__new(const struct httpconn_opts *opts, struct httpconn_table **out)
{
	struct httpconn_table *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;
	int err;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->opts = *opts;
	t->head.next = t->head.prev = &t->head;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&t->reaper, NULL, reaper, t);
	if (err) {
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return -err;
	}
	*out = t;
	return 0;
}

/* Connections from c's address (live ones). */
static unsigned int peer_count(struct httpconn_table *t, const struct httpconn *c)
{
	const struct httpconn *o;
	unsigned int n = 0;

	for (o = t->head.next; o != &t->head; o = o->next)
		n += o->state != CONN_SHUT && !memcmp(o->peer, c->peer, sizeof(c->peer));
	return n;
}

/*
 * The connection to evict for a new one: from the client address that holds
 * the most connections (a scraper with its own address is never pushed out by
 * a flood from others), the one waiting longest for its request, else the one
 * sending longest; the new one itself only when it is alone in that group.
 */
static struct httpconn *victim_locked(struct httpconn_table *t, struct httpconn *newc)
{
	struct httpconn *c, *best = NULL;
	unsigned int most = 0, n;

	for (c = t->head.next; c != &t->head; c = c->next) {
		if (c->state == CONN_SHUT)
			continue;
		n = peer_count(t, c);
		if (n > most) {
			most = n;
			best = c;
		}
	}
	/* best: the oldest connection (list order) of the biggest group */
	for (c = best; c && c != &t->head; c = c->next)
		if (c != newc && c->state == CONN_READING && !memcmp(c->peer, best->peer, 16))
			return c;
	for (c = best; c && c != &t->head; c = c->next)
		if (c != newc && c->state == CONN_SERVING && !memcmp(c->peer, best->peer, 16))
			return c;
	return newc;
}

struct httpconn *httpconn__opened(struct httpconn_table *t, int fd, const void *peer,
				  size_t peer_len)
{
	struct httpconn *c = calloc(1, sizeof(*c)), *v;
	unsigned int live = 0;

	if (!c)
		return NULL;
	c->fd = fd;
	c->state = CONN_READING;
	c->since = clock__mono_s();
	memcpy(c->peer, peer, peer_len < sizeof(c->peer) ? peer_len : sizeof(c->peer));
	pthread_mutex_lock(&t->lock);
	c->prev = t->head.prev;
	c->next = &t->head;
	t->head.prev->next = c;
	t->head.prev = c;
	t->st.open++;
	for (v = t->head.next; v != &t->head; v = v->next)
		live += v->state != CONN_SHUT;
	if (live > t->opts.max_conns) {
		v = victim_locked(t, c);
		if (v)
			shut_locked(v, v == c ? &t->st.refused : &t->st.evicted_limit);
	}
	pthread_mutex_unlock(&t->lock);
	return c;
}

/* Moves c to the end of the list (newest) in state s. */
static void set_state(struct httpconn_table *t, struct httpconn *c, enum conn_state s)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	if (c->state != CONN_SHUT) {
		c->state = s;
		c->since = clock__mono_s();
		c->prev->next = c->next;
		c->next->prev = c->prev;
		c->prev = t->head.prev;
		c->next = &t->head;
		t->head.prev->next = c;
		t->head.prev = c;
	}
	pthread_mutex_unlock(&t->lock);
}

void httpconn__serving(struct httpconn_table *t, struct httpconn *c)
{
	set_state(t, c, CONN_SERVING);
}

void httpconn__idle(struct httpconn_table *t, struct httpconn *c)
{
	set_state(t, c, CONN_READING);
}

void httpconn__closed(struct httpconn_table *t, struct httpconn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	t->st.open--;
	pthread_mutex_unlock(&t->lock);
	free(c);
}

void httpconn__stats(struct httpconn_table *t, struct httpconn_stats *st)
{
	pthread_mutex_lock(&t->lock);
	*st = t->st;
	pthread_mutex_unlock(&t->lock);
}

void httpconn__free(struct httpconn_table *t)
{
	struct httpconn *c, *next;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->reaper, NULL);
	for (c = t->head.next; c != &t->head; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
