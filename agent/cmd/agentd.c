/* agentd.c - `cgoscope agent`: discovers Go processes that use cgo, traces them, serves /metrics and a JSON API. */
#include <argp.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "agentapi.h"
#include "cli.h"
#include "clock.h"
#include "commands.h"
#include "discover.h"
#include "expo.h"
#include "http.h"
#include "json.h"
#include "procfs.h"
#include "prom.h"
#include "runloop.h"
#include "starve.h"
#include "stats.h"
#include "tracer.h"
#include "webconfig.h"

#define MAX_FILTERS 32

static struct agent_env {
	const char *listen;
	const char *telemetry_path;
	const char *web_config; /* --web.config.file */
	double cache_ttl_s;
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
	.listen = "127.0.0.1:10247",
	.telemetry_path = "/metrics",
	.cache_ttl_s = AGENTAPI_DEFAULT_TTL_S,
	.max_functions = 50,
};

/* The daemon's state; `lock` guards the tracer and everything below it. */
static struct agent {
	pthread_mutex_t lock;
	struct tracer *tracer;
	struct discover *disc;
	struct expo *expo; /* what /metrics exports, kept across scrapes */
	/* guards expo: renders run outside `lock`, folding exits under it (order: lock, expo_lock) */
	pthread_mutex_t expo_lock;
	struct verdict_memo {
		pid_t pid;
		__u64 start_time;
		enum verdict verdict;
	} *memo;
	size_t nmemo;
	double scrape_duration_s;
	double started;
} ag = { .lock = PTHREAD_MUTEX_INITIALIZER, .expo_lock = PTHREAD_MUTEX_INITIALIZER };

static const char doc[] =
	"Trace every Go process that makes cgo calls on this host and serve Prometheus metrics, "
	"a JSON API and alerts.\n"
	"\v"
	"Endpoints: / (links), /healthz, /metrics (--web.telemetry-path), /api/v1/processes\n"
	"[?pid=N][&pretty=1], /api/v1/processes/PID, /api/v1/alerts (docs/http.md). When a\n"
	"process's starvation verdict changes, one JSON line is written to stdout. It listens\n"
	"on 127.0.0.1:10247 unless told otherwise; TLS and basic auth come from\n"
	"--web.config.file (the Prometheus exporter-toolkit format, reloaded on SIGHUP).\n"
	"\n"
	"Examples:\n"
	"  cgoscope agent                                   # all Go+cgo processes, 127.0.0.1:10247\n"
	"  cgoscope agent --web.listen-address=:10247 --web.config.file=/etc/cgoscope/web.yml\n"
	"  cgoscope agent --include '/srv/*'\n"
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
	OPT_WEB_CONFIG,
	OPT_CACHE_TTL,
};

static const struct argp_option options[] = {
	{ "web.listen-address", OPT_LISTEN, "ADDR", 0,
	  "Listen here: IPv4:port, [IPv6]:port, localhost:port or :port for every address "
	  "(default 127.0.0.1:10247)", 0 },
	{ "web.config.file", OPT_WEB_CONFIG, "FILE", 0,
	  "TLS and basic auth (bcrypt) in the exporter-toolkit web config format; SIGHUP reloads it",
	  0 },
	{ "web.render-cache-ttl", OPT_CACHE_TTL, "MS", 0,
	  "Scrapes within MS ms of a render share it (default 1000; 0: only concurrent ones)", 0 },
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
	{ "tls-cert", OPT_TLS_CERT, "FILE", 0,
	  "Serve HTTPS with this PEM certificate (tls_server_config.cert_file)", 0 },
	{ "tls-key", OPT_TLS_KEY, "FILE", 0, "... and this PEM key (key_file)", 0 },
	{ "basic-auth-user", OPT_USER, "USER", 0,
	  "Require HTTP basic auth (not on /healthz); one more user besides the web config's", 0 },
	{ "basic-auth-password-file", OPT_PASS_FILE, "FILE", 0,
	  "... with the plain password in FILE", 0 },
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
	case OPT_WEB_CONFIG:
		env.web_config = arg;
		break;
	case OPT_CACHE_TTL: {
		long ms;

		if (cli__parse_long(arg, "--web.render-cache-ttl", 0, 60000, &ms))
			argp_usage(state);
		env.cache_ttl_s = ms / 1000.0;
		break;
	}
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
		if (env.web_config && env.http.tls_cert)
			argp_error(state, "--tls-cert/--tls-key or --web.config.file, not both");
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

/* agentapi's collect: a snapshot under the agent lock (the renders work on the copy). */
static int collect(void *ctx, struct snapshot *snap, struct prom_opts *po)
{
	struct discover_stats ds;
	int err;

	/*
	 * No discovery here: the run loop polls execs and exits every tick
	 * (10-20 ms), so a scrape never parses an ELF or attaches probes
	 * while it holds the lock the governor needs.
	 */
	pthread_mutex_lock(&ag.lock);
	ds = discover__stats(ag.disc);
	*po = (struct prom_opts){
		.scrape_duration_s = ag.scrape_duration_s,
		.attach_failures = ds.attach_failures,
		.expo = ag.expo,
		.buckets = &env.buckets,
		.attach_latency_s = ds.attach_latency_s,
		.discovery_dropped = ds.dropped,
	};
	err = stats__collect(ag.tracer, &env.starve, snap);
	if (!err)
		snap->duration_s = clock__mono_s() - ag.started;
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
	pthread_mutex_lock(&ag.expo_lock);
	expo__update(ag.expo, &snap, snap.wall_time);
	pthread_mutex_unlock(&ag.expo_lock);
	snapshot__free(&snap);
}

static void rendered(void *ctx, double seconds)
{
	pthread_mutex_lock(&ag.lock);
	ag.scrape_duration_s = seconds;
	pthread_mutex_unlock(&ag.lock);
}

static volatile sig_atomic_t reload_asked;

static void on_sighup(int sig)
{
	(void)sig;
	reload_asked = 1;
}

/* Reads --web.config.file into *wc and points env.http at it. Returns 0 or -errno (printed). */
static int web_config_load(struct webconfig *wc)
{
	char why[256];
	int err;

	if (!env.web_config)
		return 0;
	err = webconfig__load(env.web_config, wc, why, sizeof(why));
	if (err) {
		fprintf(stderr, "cgoscope: --web.config.file %s: %s\n", env.web_config, why);
		return err;
	}
	webconfig__apply(wc, &env.http);
	return 0;
}

/* SIGHUP: the web config again; a bad file keeps the old settings (logged). */
static void web_config_reload(struct http_server *srv, struct webconfig *wc)
{
	struct webconfig fresh;
	struct http_opts opts = env.http;
	char why[256];

	reload_asked = 0;
	if (!env.web_config) {
		fprintf(stderr, "cgoscope: SIGHUP: no --web.config.file to reload\n");
		return;
	}
	if (webconfig__load(env.web_config, &fresh, why, sizeof(why))) {
		fprintf(stderr, "cgoscope: web config not reloaded, keeping the old one: %s\n", why);
		return;
	}
	webconfig__apply(&fresh, &opts);
	if (http__reload(srv, &opts)) {
		webconfig__free(&fresh);
		return;
	}
	webconfig__free(wc);
	*wc = fresh;
	webconfig__apply(wc, &env.http);
	fprintf(stderr, "cgoscope: web config reloaded from %s (%zu users, %s)\n", env.web_config,
		wc->nusers, wc->cert_file ? "TLS" : "no TLS");
}

/* What the agent's run loop callbacks need. */
struct agent_run {
	struct http_server *srv;
	struct webconfig *wc;
};

/* Sleeps a tick (runloop.h), then reloads the web config if SIGHUP asked for it. */
static bool sleep_reload(void *ctx, long ms)
{
	struct agent_run *r = ctx;

	cli__sleep_ms(ms);
	if (reload_asked)
		web_config_reload(r->srv, r->wc);
	return false;
}

/* Evaluates the verdicts every second (runloop.h): alert lines on stdout. */
static bool every_evaluate(void *ctx)
{
	(void)ctx;
	evaluate_alerts();
	return false;
}

static void loop(struct http_server *srv, struct webconfig *wc)
{
	struct agent_run r = { .srv = srv, .wc = wc };

	runloop__run(&(struct runloop){
		.tracer = ag.tracer,
		.disc = ag.disc,
		.gov = &cli_tracing.gov,
		.lock = &ag.lock,
		.every_s = 1,
		.wait = sleep_reload,
		.every = every_evaluate,
		.ctx = &r,
	});
}

int cmd_agent(int argc, char **argv)
{
	static const struct argp_child children[] = { { &cli_tracing_argp, 0, "Tracing:", 0 }, {} };
	static const struct argp argp = { options, parse_opt, NULL, doc, children, NULL, NULL };
	struct sigaction hup = { .sa_handler = on_sighup };
	struct tracer_opts *topts = &cli_tracing.topts;
	struct http_server *srv = NULL;
	struct agentapi *api = NULL;
	struct webconfig wc = { 0 };
	size_t n;
	int err;

	starve__default_opts(&env.starve);
	prom__default_buckets(&env.buckets);
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	env.http.listen = env.listen;
	env.http.route = agentapi__route;
	if (web_config_load(&wc))
		return 2;
	sigemptyset(&hup.sa_mask);
	sigaction(SIGHUP, &hup, NULL);
	topts->watch_exec = true;
	err = tracer__open(topts, &ag.tracer);
	if (err) {
		webconfig__free(&wc);
		return 1;
	}
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
	err = agentapi__new(&(struct agentapi_opts){
		.telemetry_path = env.telemetry_path, .cache_ttl_s = env.cache_ttl_s,
		.collect = collect, .rendered = rendered, .render_lock = &ag.expo_lock,
		.srv = &srv }, &api);
	if (!err)
		err = http__start(&env.http, agentapi__handle, api, &srv);
	if (err)
		goto cleanup;
	fprintf(stderr, "cgoscope: agent serving http%s://%s%s (port %d), tracing %zu processes\n",
		env.http.tls_cert ? "s" : "", env.listen, env.telemetry_path, http__port(srv), n);
	loop(srv, &wc);
	fprintf(stderr, "cgoscope: stopping\n");
cleanup:
	http__stop(srv); /* before the renders its responses may still hold */
	agentapi__free(api);
	webconfig__free(&wc);
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
