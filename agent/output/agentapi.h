/* agentapi.h - what `cgoscope agent` answers on each HTTP path (metrics, JSON API, health). */
#ifndef CGOSCOPE_AGENTAPI_H
#define CGOSCOPE_AGENTAPI_H

#include <pthread.h>
#include <stddef.h>
#include "http.h"
#include "prom.h"
#include "snapshot.h"

#define AGENTAPI_DEFAULT_TTL_S	1.0 /* renders shared for this long */
#define AGENTAPI_DEFAULT_BUDGET (64 * 1024 * 1024) /* live rendered bytes before reuse */

struct agentapi_opts {
	const char *telemetry_path; /* NULL: /metrics */
	double cache_ttl_s; /* rcache ttl of /metrics and /api/v1/processes */
	size_t cache_budget; /* rcache budget (0: AGENTAPI_DEFAULT_BUDGET) */
	/*
	 * Fills snap (and *po, for /metrics) under the agent's lock: the only
	 * call that touches the agent's state; the renders work on the copy.
	 * Returns 0 or -errno.
	 */
	int (*collect)(void *ctx, struct snapshot *snap, struct prom_opts *po);
	/* Told how long a /metrics render took (for cgoscope_scrape_duration_seconds). */
	void (*rendered)(void *ctx, double seconds);
	/* held around prom__render(): it updates the state po->expo keeps (NULL: none) */
	pthread_mutex_t *render_lock;
	void *ctx;
	struct http_server *const *srv; /* the server, for its own metrics (may point at NULL) */
};

struct agentapi;

/* Returns 0 or -ENOMEM; *out freed by agentapi__free() after the server stopped. */
int agentapi__new(const struct agentapi_opts *opts, struct agentapi **out);

/*
 * The http_handler_fn of the agent (ctx: the agentapi): / (links),
 * /healthz, the metrics path (render cache, gzip, HEAD from the last render),
 * /api/v1/processes[?pid=N][&pretty=1], /api/v1/processes/PID (404 for a
 * process not traced), /api/v1/alerts; anything else 404. JSON is compact
 * unless pretty=1. Thread-safe.
 */
int agentapi__handle(const struct http_request *req, void *ctx, struct http_response *resp);

/* The http_route_fn: the handler label of a path ("other" for unknown paths). */
const char *agentapi__route(const char *path);

void agentapi__free(struct agentapi *api);

#endif /* CGOSCOPE_AGENTAPI_H */
