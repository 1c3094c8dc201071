/* profile.c - `cgoscope profile`: traces cgo calls of running Go processes, then reports. */
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "commands.h"
#include "json.h"
#include "report.h"
#include "stats.h"
#include "tracer.h"

#define MAX_PIDS 64

static struct profile_env {
	pid_t pids[MAX_PIDS];
	int npids;
	const char *exe;
	long duration_s;     /* 0: until Ctrl-C or the targets exit */
	bool json;
	bool verbose;
	long long_ms;
	struct tracer_opts topts;
	struct report_opts ropts;
} env = {
	.long_ms = 1000,
	.topts = { .calibrate = true },
};

static const char doc[] =
	"Trace cgo calls of running Go processes, then print per C function: calls, total, "
	"average, p50, p99 and max latency.\n"
	"\v"
	"Examples:\n"
	"  cgoscope profile -p 1234            # until Ctrl-C or the process exits\n"
	"  cgoscope profile -p 1234 -d 10 -H   # 10 seconds, with latency histograms\n"
	"  cgoscope profile -e /usr/bin/myd --json > profile.json\n"
	"\n"
	"Exit status: 0 when a report was printed, 1 on errors, 2 on bad usage.\n";

enum { OPT_MIN_CALLS = 0x100, OPT_LONG_MS, OPT_FALLBACK, OPT_NO_CALIBRATE, OPT_MAP_ENTRIES };

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Trace this process (repeatable)", 0 },
	{ "exe", 'e', "PATH", 0, "Trace every process running this binary", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after this many seconds (default: Ctrl-C)", 0 },
	{ "json", 'j', NULL, 0, "Print one JSON document instead of tables", 0 },
	{ "histograms", 'H', NULL, 0, "Print a log2 latency histogram per function", 0 },
	{ "min-calls", OPT_MIN_CALLS, "N", 0, "Hide functions with fewer than N calls", 0 },
	{ "long-ms", OPT_LONG_MS, "MS", 0, "A call in C this long is long-blocking (default 1000)",
	  0 },
	{ "entry-ret", OPT_FALLBACK, NULL, 0,
	  "Use the fallback placement (cgocall entry + every RET)", 0 },
	{ "no-calibrate", OPT_NO_CALIBRATE, NULL, 0, "Do not measure the probe cost at start", 0 },
	{ "map-entries", OPT_MAP_ENTRIES, "N", 0, "Size of the BPF call and stats maps", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	long v;

	switch (key) {
	case 'p':
		if (env.npids == MAX_PIDS)
			argp_error(state, "at most %d PIDs", MAX_PIDS);
		if (cli__parse_long(arg, "PID", 1, 0x7fffffff, &v))
			argp_usage(state);
		env.pids[env.npids++] = (pid_t)v;
		break;
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
	case OPT_LONG_MS:
		if (cli__parse_long(arg, "--long-ms", 1, 86400000, &env.long_ms))
			argp_usage(state);
		break;
	case OPT_FALLBACK:
		env.topts.force_fallback = true;
		break;
	case OPT_NO_CALIBRATE:
		env.topts.calibrate = false;
		break;
	case OPT_MAP_ENTRIES:
		if (cli__parse_long(arg, "--map-entries", 1, 1 << 22, &v))
			argp_usage(state);
		env.topts.map_entries = v;
		break;
	case 'v':
		env.verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!env.npids && !env.exe)
			argp_error(state, "say what to trace: -p PID or -e PATH");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Adds every process running env.exe that is not traced yet. Returns how many. */
static int add_exe_procs(struct tracer *t)
{
	struct stat want, st;
	char path[64], err[256];
	struct dirent *de;
	int added = 0;
	DIR *d;

	if (stat(env.exe, &want))
		return -errno;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		if (stat(path, &st) || st.st_dev != want.st_dev || st.st_ino != want.st_ino)
			continue;
		if (!tracer__add(t, pid, err, sizeof(err)))
			added++;
	}
	closedir(d);
	return added;
}

static int attach_all(struct tracer *t)
{
	char err[256];
	int ret;

	for (int i = 0; i < env.npids; i++) {
		ret = tracer__add(t, env.pids[i], err, sizeof(err));
		if (ret) {
			fprintf(stderr, "cgoscope: cannot trace PID %d: %s\n", env.pids[i], err);
			return ret;
		}
	}
	if (env.exe) {
		ret = add_exe_procs(t);
		if (ret < 0) {
			fprintf(stderr, "cgoscope: cannot read %s: %s\n", env.exe, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void announce(struct tracer *t)
{
	size_t n;
	struct target *tg = tracer__targets(t, &n);

	for (size_t i = 0; i < n; i++) {
		const struct probe_plan *plan = &tg[i].bin->plan;
		struct probe_cost c = tracer__cost(t, plan->placement);

		fprintf(stderr, "cgoscope: tracing PID %d (%s), placement %s%s%s, probe cost %.1f us/call\n",
			tg[i].pid, tg[i].comm, probes__placement_name(plan->placement),
			plan->note[0] ? ": " : "", plan->note, c.per_call_ns / 1000);
	}
	if (env.exe && !n)
		fprintf(stderr, "cgoscope: tracing: waiting for processes running %s\n", env.exe);
	fprintf(stderr, "cgoscope: %s\n", env.duration_s ? "collecting..." : "Ctrl-C to stop");
}

/* Waits for the duration, a signal, or (with -p only) every target's exit. */
static void wait_done(struct tracer *t)
{
	double end = cli__now() + env.duration_s, next_scan = cli__now() + 1;

	while (!cli_stop && (!env.duration_s || cli__now() < end)) {
		size_t n, alive = 0;
		struct target *tg;

		cli__sleep_ms(100);
		tracer__poll(t, NULL, NULL);
		tg = tracer__targets(t, &n);
		for (size_t i = 0; i < n; i++)
			alive += !tg[i].exited;
		if (env.exe && cli__now() >= next_scan) {
			add_exe_procs(t);
			next_scan = cli__now() + 1;
		} else if (!env.exe && !alive) {
			fprintf(stderr, "cgoscope: traced process exited\n");
			break;
		}
	}
}

static int report(struct tracer *t, double started)
{
	struct snapshot snap;
	int err;

	err = stats__collect(t, &snap);
	if (err) {
		fprintf(stderr, "cgoscope: failed to read statistics: %s\n", strerror(-err));
		return err;
	}
	snap.duration_s = cli__now() - started;
	err = env.json ? json__print(stdout, &snap) : report__print(stdout, &snap, &env.ropts);
	snapshot__free(&snap);
	return err;
}

int cmd_profile(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };
	struct tracer *t = NULL;
	double started;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;
	cli__libbpf_logging(env.verbose);
	env.topts.per_pid = !env.exe;
	env.topts.long_ns = (__u64)env.long_ms * 1000000ULL;
	err = tracer__open(&env.topts, &t);
	if (err)
		return 1;
	cli__signals();
	err = attach_all(t);
	if (err)
		goto cleanup;
	announce(t);
	started = cli__now();
	wait_done(t);
	err = report(t, started);
cleanup:
	tracer__close(t);
	return err ? 1 : 0;
}
