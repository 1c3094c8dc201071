/* profile.c - `cgoscope profile`: traces cgo calls of running Go processes, then reports. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "clock.h"
#include "commands.h"
#include "discover.h"
#include "json.h"
#include "profout.h"
#include "report.h"
#include "runloop.h"
#include "starve.h"
#include "stats.h"
#include "tracer.h"

static struct profile_env {
	const char *exe;
	long duration_s;     /* 0: until Ctrl-C or the targets exit */
	bool json;
	long interval_s;     /* print a report this often; 0: once at the end */
	bool alert_exit;     /* exit 3 when the worst verdict was not ok */
	const char *pprof;   /* write the final profile here (gzip'd profile.proto) */
	const char *folded;  /* ... and as folded stacks here */
	struct report_opts ropts;
	struct starve_opts starve;
} env;

static const char doc[] =
	"Trace cgo calls of running Go processes, then print per C function: calls, total, "
	"average, p50, p99 and max latency.\n"
	"\v"
	"Examples:\n"
	"  cgoscope profile -p 1234            # until Ctrl-C or the process exits\n"
	"  cgoscope profile -p 1234 -d 10 -H   # 10 seconds, with latency histograms\n"
	"  cgoscope profile -e /usr/bin/myd --json > profile.json\n"
	"  cgoscope profile -p 1234 -d 30 --pprof cgo.pb.gz && go tool pprof -top cgo.pb.gz\n"
	"\n"
	"Exit status: 0 when a report was printed, 1 on errors, 2 on bad usage, 3 with\n"
	"--alert-exit when the starvation verdict was warning or critical at some point.\n";

enum {
	OPT_MIN_CALLS = 0x100,
	OPT_ALERT_EXIT,
	OPT_WARN_FRACTION,
	OPT_CRIT_FRACTION,
	OPT_ETA,
	OPT_PPROF,
	OPT_FOLDED,
};

static const struct argp_option options[] = {
	{ "exe", 'e', "PATH", 0, "Trace every process running this binary", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after this many seconds (default: Ctrl-C)", 0 },
	{ "json", 'j', NULL, 0, "Print one JSON document instead of tables", 0 },
	{ "histograms", 'H', NULL, 0, "Print a log2 latency histogram per function", 0 },
	{ "min-calls", OPT_MIN_CALLS, "N", 0, "Hide functions with fewer than N calls", 0 },
	{ "interval", 'i', "SECONDS", 0,
	  "Print a report every SECONDS (with --json: JSON lines, the final report too)", 0 },
	{ "pprof", OPT_PPROF, "FILE", 0,
	  "Also write the profile for `go tool pprof` (gzip'd profile.proto): calls, C time and "
	  "the census's thread-time in C, by C function and Go caller",
	  0 },
	{ "folded", OPT_FOLDED, "FILE", 0,
	  "Also write folded stacks (flamegraph.pl, speedscope) of the time in C", 0 },
	{ "alert-exit", OPT_ALERT_EXIT, NULL, 0,
	  "Exit with status 3 if the verdict was not ok at some point", 0 },
	{ "warn-fraction", OPT_WARN_FRACTION, "F", 0,
	  "Warning when threads reach F x the thread limit (default 0.5)", 0 },
	{ "crit-fraction", OPT_CRIT_FRACTION, "F", 0,
	  "Critical when threads reach F x the thread limit (default 0.8)", 0 },
	{ "eta", OPT_ETA, "SECONDS", 0,
	  "Critical when thread growth reaches the limit within SECONDS (default 300)", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	long v;

	switch (key) {
	case 'e':
		env.exe = arg;
		break;
	case 'd':
		if (cli__parse_long(arg, "duration", 1, 86400 * 365, &env.duration_s))
			argp_usage(state);
		break;
	case 'j':
		env.json = true;
		break;
	case 'H':
		env.ropts.histograms = true;
		break;
	case OPT_MIN_CALLS:
		if (cli__parse_long(arg, "--min-calls", 0, 0x7fffffff, &v))
			argp_usage(state);
		env.ropts.min_calls = v;
		break;
	case 'i':
		if (cli__parse_long(arg, "interval", 1, 86400, &env.interval_s))
			argp_usage(state);
		break;
	case OPT_ALERT_EXIT:
		env.alert_exit = true;
		break;
	case OPT_PPROF:
		env.pprof = arg;
		break;
	case OPT_FOLDED:
		env.folded = arg;
		break;
	case OPT_WARN_FRACTION:
		if (cli__parse_double(arg, "--warn-fraction", 0.01, 1, &env.starve.warn_fraction))
			argp_usage(state);
		break;
	case OPT_CRIT_FRACTION:
		if (cli__parse_double(arg, "--crit-fraction", 0.01, 1, &env.starve.crit_fraction))
			argp_usage(state);
		break;
	case OPT_ETA:
		if (cli__parse_double(arg, "--eta", 1, 86400 * 7, &env.starve.eta_s))
			argp_usage(state);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!cli_tracing.npids && !env.exe)
			argp_error(state, "say what to trace: -p PID or -e PATH");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* -e of a file that could never be traced fails at once instead of waiting for processes. */
static int check_exe(void)
{
	char err[256];
	int ret = tracer__check_binary(env.exe, err, sizeof(err));

	if (ret)
		fprintf(stderr, "cgoscope: cannot trace %s: %s\n", env.exe, err);
	return ret;
}

/* Traces the -p processes, and with -e every process running that file now. */
static int attach_all(struct tracer *t, struct discover *d)
{
	char err[256];
	int ret;

	for (int i = 0; i < cli_tracing.npids; i++) {
		ret = tracer__add(t, cli_tracing.pids[i], err, sizeof(err));
		if (ret) {
			fprintf(stderr, "cgoscope: cannot trace PID %d: %s\n", cli_tracing.pids[i], err);
			return ret;
		}
	}
	if (d)
		discover__scan(d);
	return 0;
}

/* Says on stderr how tg is traced (tracer__for_each()). */
static void announce_one(struct target *tg, void *ctx)
{
	struct tracer *t = ctx;
	const struct probe_plan *plan = &tg->bin->plan;
	struct probe_cost c = tracer__cost(t, plan->placement);

	if (tracer__opts(t)->no_probes) {
		fprintf(stderr,
			"cgoscope: tracing PID %d (%s) with no probes: the runtime's counts and "
			"the census only\n",
			tg->pid, tg->comm);
		return;
	}
	fprintf(stderr,
		"cgoscope: tracing PID %d (%s), placement %s%s%s (%s links), probe cost "
		"%.1f us/call\n",
		tg->pid, tg->comm, probes__placement_name(plan->placement), plan->note[0] ? ": " : "",
		plan->note, tracer__link_kind(t), c.per_call_ns / 1000);
}

static void announce(struct tracer *t)
{
	tracer__for_each(t, announce_one, t);
	if (env.exe && !tracer__count(t, false))
		fprintf(stderr, "cgoscope: tracing: waiting for processes running %s\n", env.exe);
	fprintf(stderr, "cgoscope: %s\n", env.duration_s ? "collecting..." : "Ctrl-C to stop");
}

static int report(struct tracer *t, double started, bool final);

/* What profile's run loop callbacks need. */
struct profile_run {
	struct tracer *t;
	bool discovering; /* -e: processes come and go; else the run ends when they have all gone */
	double started;
};

/* Evaluates the verdict every second; prints with --interval. */
static bool every_report(void *ctx)
{
	struct profile_run *pr = ctx;

	report(pr->t, pr->started, false);
	return false;
}

/* With -p only: true (stop) once every traced process has exited. */
static bool all_exited(void *ctx)
{
	struct profile_run *pr = ctx;

	if (pr->discovering || tracer__count(pr->t, true))
		return false;
	fprintf(stderr, "cgoscope: traced process exited\n");
	return true;
}

/*
 * Waits for the duration, a signal, or (with -p only) every target's exit;
 * with -e, d traces the processes that start running the file meanwhile.
 */
static void wait_done(struct tracer *t, struct discover *d, double started)
{
	struct profile_run pr = { .t = t, .discovering = d != NULL, .started = started };

	runloop__run(&(struct runloop){
		.tracer = t,
		.disc = d,
		.gov = &cli_tracing.gov,
		.until_s = env.duration_s ? clock__mono_s() + env.duration_s : 0,
		.every_s = env.interval_s ? env.interval_s : 1,
		.every = every_report,
		.after_tick = all_exited,
		.ctx = &pr,
	});
}

/* Writes the --pprof and --folded files of the final snapshot. Returns 0 or -errno. */
static int write_profiles(const struct snapshot *snap)
{
	int err = env.pprof ? profout__write_pprof(snap, env.pprof) : 0;

	if (err) {
		fprintf(stderr, "cgoscope: cannot write %s: %s\n", env.pprof, strerror(-err));
		return err;
	}
	err = env.folded ? profout__write_folded(snap, env.folded) : 0;
	if (err)
		fprintf(stderr, "cgoscope: cannot write %s: %s\n", env.folded, strerror(-err));
	return err;
}

/* The worst verdict any process had, as of the last report. */
static enum verdict worst_seen;

/* Collects a snapshot (which judges starvation) and prints it when final or with --interval. */
static int report(struct tracer *t, double started, bool final)
{
	struct snapshot snap;
	int err;

	err = stats__collect(t, &env.starve, &snap);
	if (err) {
		fprintf(stderr, "cgoscope: failed to read statistics: %s\n", strerror(-err));
		return err;
	}
	snap.duration_s = clock__mono_s() - started;
	for (size_t i = 0; i < snap.nprocs; i++)
		if (snap.procs[i].worst_verdict > worst_seen)
			worst_seen = snap.procs[i].worst_verdict;
	if (final || env.interval_s) {
		/* with --interval, JSON lines throughout: the final document is one line too */
		if (env.json && env.interval_s)
			err = json__print_line(stdout, &snap);
		else if (env.json)
			err = json__print(stdout, &snap);
		else
			err = report__print(stdout, &snap, &env.ropts);
		fflush(stdout);
	}
	if (final && !err)
		err = write_profiles(&snap);
	snapshot__free(&snap);
	return err;
}

int cmd_profile(int argc, char **argv)
{
	static const struct argp_child children[] = { { &cli_tracing_argp, 0, "Tracing:", 0 }, {} };
	static const struct argp argp = { options, parse_opt, NULL, doc, children, NULL, NULL };
	struct tracer_opts *topts = &cli_tracing.topts;
	struct tracer *t = NULL;
	struct discover *d = NULL;
	double started;
	int err;

	starve__default_opts(&env.starve);
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;
	topts->watch_exec = env.exe != NULL; /* processes that start running it are traced */
	if (env.exe && check_exe())
		return 1;
	err = tracer__open(topts, &t);
	if (err)
		return 1;
	if (env.exe) {
		d = discover__new(t, &(struct discover_opts){ .exe = env.exe,
							      .keep_exited = true,
							      .verbose = cli_tracing.verbose });
		if (!d) {
			err = -errno;
			fprintf(stderr, "cgoscope: cannot trace %s: %s\n", env.exe, strerror(errno));
			goto cleanup;
		}
	}
	cli__signals();
	err = attach_all(t, d);
	if (err)
		goto cleanup;
	announce(t);
	started = clock__mono_s();
	wait_done(t, d, started);
	err = report(t, started, true);
cleanup:
	discover__free(d);
	tracer__close(t);
	if (err)
		return 1;
	return env.alert_exit && worst_seen != VERDICT_OK ? 3 : 0;
}
