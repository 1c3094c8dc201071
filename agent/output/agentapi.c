/* agentapi.c - what `cgoscope agent` answers on each HTTP path (metrics, JSON API, health). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "agentapi.h"
#include "clock.h"
#include "gzipbuf.h"
#include "json.h"
#include "rcache.h"
#include "selfmetrics.h"

#define JSON_TYPE  "application/json"
#define HTML_TYPE  "text/html; charset=utf-8"
#define PROCS	   "/api/v1/processes"
#define ALERTS	   "/api/v1/alerts"
#define HEALTHZ	   "/healthz"
#define GZIP_MIN   256 /* smaller bodies are sent as they are */
#define JSON_FLAGS JSON_REAL_PRECISION(15)
#define NO_PID	   (-1)

struct agentapi {
	struct agentapi_opts opts;
	struct rcache *metrics, *procs;
};

/* The metrics path, for agentapi__route() (one agent per process). */
static const char *metrics_path = "/metrics";

const char *agentapi__route(const char *path)
{
	static const char *const fixed[] = { "/", HEALTHZ, PROCS, ALERTS };
	size_t i;

	if (!strcmp(path, metrics_path))
		return metrics_path;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(path, fixed[i]))
			return fixed[i];
	if (!strncmp(path, PROCS "/", strlen(PROCS "/")))
		return PROCS "/{pid}";
	return "other";
}

static int render_metrics(void *ctx, char **text, size_t *len)
{
	struct agentapi *api = ctx;
	struct prom_opts po = { 0 };
	struct snapshot snap;
	double t0 = clock__mono_s();
	int err;

	*text = NULL;
	err = api->opts.collect(api->opts.ctx, &snap, &po);
	if (err)
		return err;
	if (api->opts.render_lock)
		pthread_mutex_lock(api->opts.render_lock);
	err = prom__render(&snap, &po, text, len);
	if (api->opts.render_lock)
		pthread_mutex_unlock(api->opts.render_lock);
	snapshot__free(&snap);
	if (!err) {
		struct selfmetrics_src src = {
			.srv = api->opts.srv ? *api->opts.srv : NULL,
			.renders = rcache__renders(api->metrics) + 1,
			.live_bytes = rcache__live_bytes(api->metrics),
		};

		err = selfmetrics__append(&src, text, len);
		if (err) {
			free(*text);
			*text = NULL;
		}
	}
	if (!err && api->opts.rendered)
		api->opts.rendered(api->opts.ctx, clock__mono_s() - t0);
	return err;
}

/* json as text: compact, or indented by 2 with a final newline. NULL without memory. */
static char *dump(json_t *json, bool pretty)
{
	char *text =
	    json_dumps(json, pretty ? JSON_INDENT(2) | JSON_FLAGS : JSON_COMPACT | JSON_FLAGS);
	char *nl;

	if (!text || !pretty)
		return text;
	nl = realloc(text, strlen(text) + 2);
	if (!nl) {
		free(text);
		return NULL;
	}
	strcat(nl, "\n");
	return nl;
}

/*
 * The processes document of a fresh snapshot, its processes kept to pid
 * (NO_PID: all). Returns a new reference, or NULL with *err set.
 */
static json_t *processes_json(struct agentapi *api, long pid, size_t *kept, int *err)
{
	struct prom_opts po;
	struct snapshot snap;
	json_t *doc, *procs;
	size_t i = 0;

	*err = api->opts.collect(api->opts.ctx, &snap, &po);
	if (*err)
		return NULL;
	doc = json__snapshot(&snap);
	snapshot__free(&snap);
	if (!doc) {
		*err = -ENOMEM;
		return NULL;
	}
	procs = json_object_get(doc, "processes");
	while (pid != NO_PID && i < json_array_size(procs)) {
		json_t *p = json_object_get(json_array_get(procs, i), "pid");

		if (json_integer_value(p) == pid)
			i++;
		else
			json_array_remove(procs, i);
	}
	*kept = json_array_size(procs);
	return doc;
}

static int render_procs(void *ctx, char **text, size_t *len)
{
	size_t kept;
	int err;
	json_t *doc = processes_json(ctx, NO_PID, &kept, &err);

	*text = NULL;
	if (!doc)
		return err;
	*text = dump(doc, false);
	json_decref(doc);
	if (!*text)
		return -ENOMEM;
	*len = strlen(*text);
	return 0;
}

int agentapi__new(const struct agentapi_opts *opts, struct agentapi **out)
{
	struct agentapi *api = calloc(1, sizeof(*api));
	struct rcache_opts ro;
	int err;

	*out = NULL;
	if (!api)
		return -ENOMEM;
	api->opts = *opts;
	if (opts->telemetry_path)
		metrics_path = opts->telemetry_path;
	ro.ttl_s = opts->cache_ttl_s;
	ro.budget = opts->cache_budget ? opts->cache_budget : AGENTAPI_DEFAULT_BUDGET;
	err = rcache__new(&ro, render_metrics, api, &api->metrics);
	if (!err)
		err = rcache__new(&ro, render_procs, api, &api->procs);
	if (err) {
		agentapi__free(api);
		return err;
	}
	*out = api;
	return 0;
}

static void release_body(void *arg)
{
	rbody__put(arg);
}

/*
 * A cached body as the response. HEAD gets the headers of the current
 * render, however old, rendering only when there is none yet. Returns 0 or
 * -errno.
 */
static int respond_cached(struct rcache *c, const struct http_request *req, const char *type,
			  struct http_response *resp)
{
	bool gzip = req->gzip && !req->head;
	struct rbody *b;
	int err = req->head ? rcache__peek(c, &b) : -ENOENT;

	if (err == -ENOENT)
		err = rcache__get(c, gzip, &b);
	if (err)
		return err;
	resp->status = 200;
	resp->content_type = type;
	resp->content_encoding = gzip ? "gzip" : NULL;
	resp->body = b->data;
	resp->len = b->len;
	resp->release = release_body;
	resp->release_arg = b;
	return 0;
}

/* A malloc'd text as the response, gzip'd when the client takes it. Returns 0 or -errno. */
static int respond(const struct http_request *req, int status, const char *type, char *text,
		   struct http_response *resp)
{
	void *z;
	size_t zlen;

	if (!text)
		return -ENOMEM;
	resp->status = status;
	resp->content_type = type;
	resp->body = text;
	resp->len = strlen(text);
	if (req->gzip && resp->len >= GZIP_MIN && !gzipbuf__compress(text, resp->len, &z, &zlen)) {
		free(text);
		resp->body = z;
		resp->len = zlen;
		resp->content_encoding = "gzip";
	}
	return 0;
}

/* "123" as a PID; NO_PID for anything else. */
static long parse_pid(const char *s)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return NO_PID;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end || v <= 0 || v > 0x7fffffff ? NO_PID : v;
}

static int landing(const struct http_request *req, struct http_response *resp)
{
	char *page = NULL;

	if (asprintf(&page,
		     "<!DOCTYPE html><html><head><title>cgoscope</title></head><body>"
		     "<h1>cgoscope %s</h1><p>cgo calls of the Go processes on this host.</p><ul>"
		     "<li><a href=\"%s\">%s</a> (Prometheus)</li>"
		     "<li><a href=\"" PROCS "\">" PROCS "</a></li>"
		     "<li><a href=\"" ALERTS "\">" ALERTS "</a></li>"
		     "<li><a href=\"" HEALTHZ "\">" HEALTHZ "</a></li></ul></body></html>\n",
		     CGOSCOPE_VERSION, metrics_path, metrics_path) < 0)
		return -ENOMEM;
	return respond(req, 200, HTML_TYPE, page, resp);
}

/* /api/v1/processes with a pid filter or pretty, and /api/v1/processes/PID. */
static int processes(struct agentapi *api, const struct http_request *req, long pid, bool one,
		     struct http_response *resp)
{
	const char *pretty = http__arg(req, "pretty");
	bool indent = pretty && strcmp(pretty, "0") && strcmp(pretty, "false");
	size_t kept;
	json_t *doc;
	int err;

	if (pid == NO_PID && !indent)
		return respond_cached(api->procs, req, JSON_TYPE, resp);
	doc = processes_json(api, pid, &kept, &err);
	if (!doc)
		return err;
	if (one && !kept) {
		json_decref(doc);
		return respond(req, 404, HTTP_TEXT, strdup("no such traced process\n"), resp);
	}
	err = respond(req, 200, JSON_TYPE, dump(doc, indent), resp);
	json_decref(doc);
	return err;
}

static int alerts(struct agentapi *api, const struct http_request *req, struct http_response *resp)
{
	const char *pretty = http__arg(req, "pretty");
	struct prom_opts po;
	struct snapshot snap;
	json_t *doc;
	int err = api->opts.collect(api->opts.ctx, &snap, &po);

	if (err)
		return err;
	doc = json__alerts(&snap);
	snapshot__free(&snap);
	if (!doc)
		return -ENOMEM;
	err = respond(req, 200, JSON_TYPE,
		      dump(doc, pretty && strcmp(pretty, "0") && strcmp(pretty, "false")), resp);
	json_decref(doc);
	return err;
}

int agentapi__handle(const struct http_request *req, void *ctx, struct http_response *resp)
{
	struct agentapi *api = ctx;
	const char *path = req->path, *pid_arg;
	long pid;

	if (!strcmp(path, HEALTHZ))
		return respond(req, 200, HTTP_TEXT, strdup("ok\n"), resp);
	if (!strcmp(path, "/"))
		return landing(req, resp);
	if (!strcmp(path, metrics_path))
		return respond_cached(api->metrics, req, PROM_CONTENT_TYPE, resp);
	if (!strcmp(path, PROCS)) {
		pid_arg = http__arg(req, "pid");
		pid = parse_pid(pid_arg);
		if (pid_arg && pid == NO_PID)
			return respond(req, 400, HTTP_TEXT, strdup("pid: expected a PID\n"), resp);
		return processes(api, req, pid, false, resp);
	}
	if (!strncmp(path, PROCS "/", strlen(PROCS "/"))) {
		pid = parse_pid(path + strlen(PROCS "/"));
		if (pid == NO_PID)
			return respond(req, 404, HTTP_TEXT, strdup("not found: see /\n"), resp);
		return processes(api, req, pid, true, resp);
	}
	if (!strcmp(path, ALERTS))
		return alerts(api, req, resp);
	return respond(req, 404, HTTP_TEXT, strdup("not found: see /\n"), resp);
}

void agentapi__free(struct agentapi *api)
{
	if (!api)
		return;
	rcache__free(api->metrics);
	rcache__free(api->procs);
	free(api);
}
