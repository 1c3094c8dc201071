/* rcache.h - a render cache: one render shared by concurrent requests, bounded in age and memory.
 */
#ifndef CGOSCOPE_RCACHE_H
#define CGOSCOPE_RCACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* An immutable rendered body shared by every response that sends it (refcounted). */
struct rbody {
	atomic_size_t refs;
	atomic_size_t *live; /* the cache's live-bytes counter */
	size_t len;
	char *data;
};

/*
 * Renders one body: a malloc'd *text of *len bytes the cache takes over.
 * Called without any cache lock held, one call at a time per cache.
 * Returns 0 or -errno.
 */
typedef int (*rcache_render_fn)(void *ctx, char **text, size_t *len);

struct rcache_opts {
	double ttl_s; /* a render younger than this serves later requests too; 0: none */
	size_t budget; /* live bytes (held by responses still being sent) beyond which
			  requests get the current render, however old, instead of a new one */
};

struct rcache;

/* A cache of fn's renders. Returns 0 or -ENOMEM; *out freed by rcache__free(). */
int rcache__new(const struct rcache_opts *opts, rcache_render_fn fn, void *ctx,
		struct rcache **out);

/*
 * The body for a request arriving now, plain or gzip'd: the current render
 * when it is younger than ttl_s, or when live bytes are over budget;
 * the render in flight when there is one (requests that arrive during a
 * render wait for it and share it: render once, serve many); otherwise a
 * new render made on the calling thread. At most one render runs at a time.
 * The gzip variant is compressed once per render, on first demand.
 * On success *out holds a reference the caller drops with rbody__put().
 * Returns 0 or the render's -errno (shared by the requests that waited on it).
 */
int rcache__get(struct rcache *c, bool gzip, struct rbody **out);

/*
 * The current plain render however old, without rendering (for HEAD): a
 * reference in *out, or -ENOENT before the first render.
 */
int rcache__peek(struct rcache *c, struct rbody **out);

/* Bytes of bodies alive now (cached or being sent). */
size_t rcache__live_bytes(const struct rcache *c);

/* Requests waiting now for the render in flight. */
unsigned int rcache__waiters(const struct rcache *c);

/* Renders made since start. */
unsigned long long rcache__renders(const struct rcache *c);

/* Drops a reference; the last one frees b. NULL ok. Safe from any thread. */
void rbody__put(struct rbody *b);

/* Frees c and its current bodies (bodies still referenced live on until put). NULL ok. */
void rcache__free(struct rcache *c);

#endif /* CGOSCOPE_RCACHE_H */
