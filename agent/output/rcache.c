/* rcache.c - a render cache: one render shared by concurrent requests, bounded in age and memory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include "clock.h"
#include "gzipbuf.h"
#include "rcache.h"

struct rcache {
	struct rcache_opts opts;
	rcache_render_fn fn;
	void *ctx;
	pthread_mutex_t lock;
	pthread_cond_t done; /* a render ended */
	bool rendering;
	atomic_uint waiters;
	unsigned long long gen; /* renders ended (successful or not) */
	int last_err; /* of the last render */
	struct rbody *plain, *gz; /* the current render; gz made on demand */
	double born; /* when the current render started */
	atomic_size_t live;
	atomic_ullong renders;
};

/* A body over malloc'd text (taken over, freed on failure), counted in *live. */
static struct rbody *rbody_new(atomic_size_t *live, void *text, size_t len)
{
	struct rbody *b = malloc(sizeof(*b));

	if (!b) {
		free(text);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->live = live;
	b->len = len;
	b->data = text;
	atomic_fetch_add(live, len);
	return b;
}

void rbody__put(struct rbody *b)
{
	if (!b || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	atomic_fetch_sub(b->live, b->len);
	free(b->data);
	free(b);
}

static struct rbody *rbody_get(struct rbody *b)
{
	atomic_fetch_add(&b->refs, 1);
	return b;
}

int rcache__new(const struct rcache_opts *opts, rcache_render_fn fn, void *ctx, struct rcache **out)
{
	struct rcache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->opts = *opts;
	c->fn = fn;
	c->ctx = ctx;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->done, NULL);
	atomic_init(&c->live, 0);
	atomic_init(&c->renders, 0);
	atomic_init(&c->waiters, 0);
	*out = c;
	return 0;
}

/* Renders with c->lock released; installs the result as the current render. Lock held. */
static void render_locked(struct rcache *c)
{
	struct rbody *b = NULL;
	char *text = NULL;
	size_t len = 0;
	double born = clock__mono_s();
	int err;

	c->rendering = true;
	pthread_mutex_unlock(&c->lock);
	err = c->fn(c->ctx, &text, &len);
	if (!err) {
		b = rbody_new(&c->live, text, len);
		err = b ? 0 : -ENOMEM;
	} else {
		free(text);
	}
	atomic_fetch_add(&c->renders, 1);
	pthread_mutex_lock(&c->lock);
	if (b) {
		rbody__put(c->plain);
		rbody__put(c->gz);
		c->plain = b;
		c->gz = NULL;
		c->born = born;
	}
	c->last_err = err;
	c->gen++;
	c->rendering = false;
	pthread_cond_broadcast(&c->done);
}

/* The gzip'd variant of the current render, made once. Lock held. Returns 0 or -errno. */
static int gzip_locked(struct rcache *c)
{
	void *z;
	size_t zlen;
	int err;

	if (c->gz)
		return 0;
	err = gzipbuf__compress(c->plain->data, c->plain->len, &z, &zlen);
	if (err)
		return err;
	c->gz = rbody_new(&c->live, z, zlen);
	return c->gz ? 0 : -ENOMEM;
}

int rcache__get(struct rcache *c, bool gzip, struct rbody **out)
{
	double now = clock__mono_s();
	unsigned long long gen;
	bool fresh;
	int err = 0;

	*out = NULL;
	pthread_mutex_lock(&c->lock);
	fresh =
	    c->plain && (now - c->born < c->opts.ttl_s || atomic_load(&c->live) > c->opts.budget);
	if (!fresh) {
		if (c->rendering) {
			/* share the render in flight */
			gen = c->gen;
			atomic_fetch_add(&c->waiters, 1);
			while (c->gen == gen)
				pthread_cond_wait(&c->done, &c->lock);
			atomic_fetch_sub(&c->waiters, 1);
		} else {
			render_locked(c);
		}
		err = c->last_err;
	}
	if (!err && !c->plain)
		err = -EAGAIN;
	if (!err && gzip)
		err = gzip_locked(c);
	if (!err)
		*out = rbody_get(gzip ? c->gz : c->plain);
	pthread_mutex_unlock(&c->lock);
	return err;
}

int rcache__peek(struct rcache *c, struct rbody **out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->plain ? rbody_get(c->plain) : NULL;
	pthread_mutex_unlock(&c->lock);
	return *out ? 0 : -ENOENT;
}

size_t rcache__live_bytes(const struct rcache *c)
{
	return atomic_load(&((struct rcache *)c)->live);
}

unsigned int rcache__waiters(const struct rcache *c)
{
	return atomic_load(&((struct rcache *)c)->waiters);
}

unsigned long long rcache__renders(const struct rcache *c)
{
	return atomic_load(&((struct rcache *)c)->renders);
}

void rcache__free(struct rcache *c)
{
	if (!c)
		return;
	rbody__put(c->plain);
	rbody__put(c->gz);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
