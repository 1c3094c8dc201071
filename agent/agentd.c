/* agentd.c - `cgoscope agent`: discovers Go processes that use cgo, traces them, serves /metrics and a JSON API. */
#include <argp.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "clock.h"
#include "commands.h"
#include "discover.h"
#include "expo.h"
#include "http.h"
#include "json.h"
#include "procfs.h"
#include "prom.h"
#include "starve.h"
#include "stats.h"
#include "tracer.h"

#define MAX_FILTERS 32

static struct agent_env {
	const char *listen;
	const char *telemetry_path;
	const char *include[MAX_FILTERS];
	int ninclude;
	const char *exclude[MAX_FILTERS];
	int nexclude;
	long max_functions;
	bool per_process;
	struct prom_buckets buckets;
	struct http_opts http;
	struct starve_opts starve;
} env = {
	.listen = ":10247",
	.telemetry_path = "/metrics",
	.max_functions = 50,
};

/* The daemon's state; `lock` guards the tracer and everything below it. */
static struct agent {
	pthread_mutex_t lock;
	struct tracer *tracer;
	struct discover *disc;
	struct expo *expo; /* what /metrics exports, kept across scrapes */
	struct verdict_memo {
		pid_t pid;
		__u64 start_time;
		enum verdict verdict;
	} *memo;
	size_t nmemo;
	double scrape_duration_s;
	double started;
} ag = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char doc[] =
	"Trace every Go process that makes cgo calls on this host and serve Prometheus metrics, "
	"a JSON API and alerts.\n"
	"\v"
	"Endpoints: / (links), /healthz, /metrics (--web.telemetry-path), /api/v1/processes,\n"
	"/api/v1/alerts. When a process's starvation verdict changes, one JSON line is\n"
	"written to stdout.\n"
	"\n"
	"Examples:\n"
	"  cgoscope agent                                   # all Go+cgo processes, :10247\n"
	"  cgoscope agent --web.listen-address=127.0.0.1:10247 --include '/srv/*'\n"
	"  cgoscope agent -p 1234 -p 5678                   # a fixed set of processes\n";

enum {
	OPT_LISTEN = 0x100,
	OPT_PATH,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_MAX_FUNCS,
	OPT_PER_PROCESS,
	OPT_BUCKETS,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_USER,
	OPT_PASS_FILE,
};

static const struct argp_option options[] = {
	{ "web.listen-address", OPT_LISTEN, "ADDR", 0, "Listen here (default :10247)", 0 },
	{ "web.telemetry-path", OPT_PATH, "PATH", 0, "Path of the metrics (default /metrics)", 0 },
	{ "include", OPT_INCLUDE, "GLOB", 0,
	  "Trace only processes whose executable path or comm matches (repeatable)", 0 },
	{ "exclude", OPT_EXCLUDE, "GLOB", 0,
	  "Never trace processes whose executable path or comm matches (repeatable)", 0 },
	{ "max-functions", OPT_MAX_FUNCS, "N", 0,
	  "Function series per executable: the first N-1 to reach the top, the rest as "
	  "function=\"other\" (default 50)",
	  0 },
	{ "per-process", OPT_PER_PROCESS, NULL, 0,
	  "Function series per process ({pid,exe,function}) instead of per executable", 0 },
	{ "histogram-buckets", OPT_BUCKETS, "LIST", 0,
	  "Bounds of the latency histogram in seconds, rounded up to powers of two ns "
	  "(default 15 from 256ns to 68.7s)",
	  0 },
	{ "tls-cert", OPT_TLS_CERT, "FILE", 0, "Serve HTTPS with this PEM certificate", 0 },
	{ "tls-key", OPT_TLS_KEY, "FILE", 0, "... and this PEM key", 0 },
	{ "basic-auth-user", OPT_USER, "USER", 0, "Require HTTP basic auth (not on /healthz)", 0 },
	{ "basic-auth-password-file", OPT_PASS_FILE, "FILE", 0, "... with the password in FILE",
	  0 },
	{},
};

static char *read_secret(const char *path)
{
	char buf[256];
	FILE *f = fopen(path, "re");

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_LISTEN:
		env.listen = arg;
		break;
	case OPT_PATH:
		if (arg[0] != '/')
			argp_error(state, "--web.telemetry-path must start with /");
		env.telemetry_path = arg;
		break;
	case OPT_INCLUDE:
	case OPT_EXCLUDE:
		if ((key == OPT_INCLUDE ? env.ninclude : env.nexclude) == MAX_FILTERS)
			argp_error(state, "at most %d --include/--exclude each", MAX_FILTERS);
		if (key == OPT_INCLUDE)
			env.include[env.ninclude++] = arg;
		else
			env.exclude[env.nexclude++] = arg;
		break;
	case OPT_MAX_FUNCS:
		if (cli__parse_long(arg, "--max-functions", 1, 100000, &env.max_functions))
			argp_usage(state);
		break;
	case OPT_PER_PROCESS:
		env.per_process = true;
		break;
	case OPT_BUCKETS:
		if (prom__parse_buckets(arg, &env.buckets))
			argp_error(state, "--histogram-buckets: increasing seconds in (0, 549], "
					  "comma-separated: '%s'", arg);
		break;
	case OPT_TLS_CERT:
		env.http.tls_cert = arg;
		break;
	case OPT_TLS_KEY:
		env.http.tls_key = arg;
		break;
	case OPT_USER:
		env.http.basic_user = arg;
		break;
	case OPT_PASS_FILE:
		env.http.basic_pass = read_secret(arg);
		if (!env.http.basic_pass)
			argp_error(state, "cannot read a password from %s", arg);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!env.http.tls_cert != !env.http.tls_key)
			argp_error(state, "--tls-cert and --tls-key go together");
		if (!env.http.basic_user != !env.http.basic_pass)
			argp_error(state,
				   "--basic-auth-user and --basic-auth-password-file go together");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct verdict_memo *memo_get(const struct proc_snap *p, __u64 start_time)
{
	struct verdict_memo *m;

	for (size_t i = 0; i < ag.nmemo; i++)
		if (ag.memo[i].pid == (pid_t)p->pid && ag.memo[i].start_time == start_time)
			return &ag.memo[i];
	m = realloc(ag.memo, (ag.nmemo + 1) * sizeof(*m));
	if (!m)
		return NULL;
	ag.memo = m;
	m = &ag.memo[ag.nmemo++];
	m->pid = p->pid;
	m->start_time = start_time;
	m->verdict = VERDICT_OK;
	return m;
}

/* Marks the memos of tg's process as kept (tracer__for_each()). */
static void memo_keep(struct target *tg, void *ctx)
{
	bool *keep = ctx;

	for (size_t i = 0; i < ag.nmemo; i++)
		if (tg->pid == ag.memo[i].pid && tg->start_time == ag.memo[i].start_time)
			keep[i] = true;
}

/* Keeps only the memos of processes still traced. */
static void memo_prune(void)
{
	bool *keep = calloc(ag.nmemo ? ag.nmemo : 1, sizeof(*keep));
	size_t kept = 0;

	if (!keep)
		return;
	tracer__for_each(ag.tracer, memo_keep, keep);
	for (size_t i = 0; i < ag.nmemo; i++)
		if (keep[i])
			ag.memo[kept++] = ag.memo[i];
	ag.nmemo = kept;
	free(keep);
}

/* Writes one JSON line per process whose verdict changed since the last evaluation. */
static void evaluate_alerts(void)
{
	struct snapshot snap;

	if (stats__collect(ag.tracer, &env.starve, &snap))
		return;
	for (size_t i = 0; i < snap.nprocs; i++) {
		struct proc_snap *p = &snap.procs[i];
		struct verdict_memo *m = memo_get(p, p->start_time);
		json_t *line;

		if (!m || m->verdict == p->verdict)
			continue;
		line = json__alert(p, m->verdict, snap.wall_time);
		m->verdict = p->verdict;
		if (line) {
			json_dumpf(line, stdout, JSON_COMPACT | JSON_REAL_PRECISION(15));
			fputc('\n', stdout);
			fflush(stdout);
			json_decref(line);
		}
	}
	snapshot__free(&snap);
	memo_prune();
}

static int respond_text(struct http_response *resp, int status, const char *type, char *body)
{
	if (!body)
		return -ENOMEM;
	resp->status = status;
	resp->content_type = type;
	resp->body = body;
	resp->len = strlen(body);
	return 0;
}

static int respond_json(struct http_response *resp, json_t *body_json)
{
	char *body;

	if (!body_json)
		return -ENOMEM;
	body = json_dumps(body_json, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	json_decref(body_json);
	return respond_text(resp, 200, "application/json", body);
}

static int render_metrics(const struct snapshot *snap, struct http_response *resp)
{
	struct discover_stats ds = discover__stats(ag.disc);
	struct prom_opts po = {
		.scrape_duration_s = ag.scrape_duration_s,
		.attach_failures = ds.attach_failures,
		.expo = ag.expo,
		.buckets = &env.buckets,
		.attach_latency_s = ds.attach_latency_s,
		.discovery_dropped = ds.dropped,
	};
	char *text;
	size_t len;
	int err = prom__render(snap, &po, &text, &len);

	if (err)
		return err;
	resp->status = 200;
	resp->content_type = PROM_CONTENT_TYPE;
	resp->body = text;
	resp->len = len;
	return 0;
}

static char *landing_page(void)
{
	char *page = NULL;

	if (asprintf(&page,
		     "<!DOCTYPE html><html><head><title>cgoscope</title></head><body>"
		     "<h1>cgoscope %s</h1><p>cgo calls of the Go processes on this host.</p><ul>"
		     "<li><a href=\"%s\">%s</a> (Prometheus)</li>"
		     "<li><a href=\"/api/v1/processes\">/api/v1/processes</a></li>"
		     "<li><a href=\"/api/v1/alerts\">/api/v1/alerts</a></li>"
		     "<li><a href=\"/healthz\">/healthz</a></li></ul></body></html>\n",
		     CGOSCOPE_VERSION, env.telemetry_path, env.telemetry_path) < 0)
		return NULL;
	return page;
}

/* Serves one request (on the HTTP thread): fresh data under the agent lock. */
static int handle(const char *path, void *ctx, struct http_response *resp)
{
	bool metrics = !strcmp(path, env.telemetry_path);
	bool procs = !strcmp(path, "/api/v1/processes"), alerts = !strcmp(path, "/api/v1/alerts");
	double t0 = clock__mono_s();
	struct snapshot snap;
	int err;

	(void)ctx;
	if (!strcmp(path, "/healthz"))
		return respond_text(resp, 200, "text/plain; charset=utf-8", strdup("ok\n"));
	if (!strcmp(path, "/"))
		return respond_text(resp, 200, "text/html; charset=utf-8", landing_page());
	if (!metrics && !procs && !alerts)
		return respond_text(resp, 404, "text/plain; charset=utf-8",
				    strdup("not found: see /\n"));
	pthread_mutex_lock(&ag.lock);
	discover__poll(ag.disc); /* exits and execs up to this very moment */
	err = stats__collect(ag.tracer, &env.starve, &snap);
	if (!err) {
		snap.duration_s = clock__mono_s() - ag.started;
		if (metrics)
			err = render_metrics(&snap, resp);
		else
			err = respond_json(resp, procs ? json__snapshot(&snap) : json__alerts(&snap));
		snapshot__free(&snap);
	}
	if (metrics)
		ag.scrape_duration_s = clock__mono_s() - t0;
	pthread_mutex_unlock(&ag.lock);
	return err;
}

/* Folds the final counts of processes that just exited into their executables' series. */
static void fold_exits(void *ctx)
{
	struct snapshot snap;

	(void)ctx;
	if (stats__collect(ag.tracer, &env.starve, &snap))
		return;
	expo__update(ag.expo, &snap, snap.wall_time);
	snapshot__free(&snap);
}

static void loop(void)
{
	double next_eval = clock__mono_s() + 1;

	while (!cli_stop) {
		cli__sleep_ms((long)(tracer__tick_s(ag.tracer) * 1000));
		pthread_mutex_lock(&ag.lock);
		discover__poll(ag.disc);
		tracer__govern(ag.tracer, &cli_tracing.gov);
		if (clock__mono_s() >= next_eval) {
			evaluate_alerts();
			next_eval = clock__mono_s() + 1;
		}
		pthread_mutex_unlock(&ag.lock);
	}
}

int cmd_agent(int argc, char **argv)
{
	static const struct argp_child children[] = { { &cli_tracing_argp, 0, "Tracing:", 0 }, {} };
	static const struct argp argp = { options, parse_opt, NULL, doc, children, NULL, NULL };
	struct tracer_opts *topts = &cli_tracing.topts;
	struct http_server *srv = NULL;
	size_t n;
	int err;

	starve__default_opts(&env.starve);
	prom__default_buckets(&env.buckets);
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	env.http.listen = env.listen;
	topts->watch_exec = true;
	err = tracer__open(topts, &ag.tracer);
	if (err)
		return 1;
	cli__signals();
	ag.started = clock__mono_s();
	ag.expo = expo__new(&(struct expo_opts){ .per_process = env.per_process,
						 .max_functions = (unsigned int)env.max_functions,
						 .linger_s = env.per_process ? 0 : EXPO_LINGER_S });
	if (!ag.expo) {
		err = -ENOMEM;
		goto cleanup;
	}
	ag.disc = discover__new(ag.tracer, &(struct discover_opts){
		.include = env.include, .ninclude = env.ninclude,
		.exclude = env.exclude, .nexclude = env.nexclude,
		.pids = cli_tracing.pids, .npids = cli_tracing.npids,
		.verbose = cli_tracing.verbose, .before_remove = fold_exits });
	if (!ag.disc) {
		err = -ENOMEM;
		goto cleanup;
	}
	discover__scan(ag.disc);
	n = tracer__count(ag.tracer, false);
	err = http__start(&env.http, handle, NULL, &srv);
	if (err)
		goto cleanup;
	fprintf(stderr, "cgoscope: agent serving http%s://%s%s (port %d), tracing %zu processes\n",
		env.http.tls_cert ? "s" : "", env.listen, env.telemetry_path, http__port(srv), n);
	loop();
	fprintf(stderr, "cgoscope: stopping\n");
cleanup:
	http__stop(srv);
	pthread_mutex_lock(&ag.lock);
	discover__free(ag.disc);
	tracer__close(ag.tracer);
	ag.tracer = NULL;
	pthread_mutex_unlock(&ag.lock);
	free(ag.memo);
	expo__free(ag.expo);
	free((char *)env.http.basic_pass);
	return err ? 1 : 0;
}
