/* cli.c - pieces every cgoscope subcommand shares: number parsing, signals, libbpf logging. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "cli.h"

volatile sig_atomic_t cli_stop;

struct cli_tracing cli_tracing = {
	.topts = { .calibrate = true,
		   .long_ns = 1000000000ULL,
		   .placement = PROBES_AUTO,
		   .census_hz = 50,
		   .census_budget = 0.05 },
	.gov = { .budget = 0.01, .period_s = 2.0 },
};

enum {
	OPT_LONG_MS = 0x200,
	OPT_BUDGET,
	OPT_PERIOD,
	OPT_MAP_ENTRIES,
	OPT_FALLBACK,
	OPT_PLACEMENT,
	OPT_CENSUS_HZ,
	OPT_CENSUS_BUDGET,
	OPT_NO_CALLERS,
	OPT_NO_PROBES,
	OPT_NO_CALIBRATE,
};

static const struct argp_option tracing_options[] = {
	{ "pid", 'p', "PID", 0, "Trace this process (repeatable)", 0 },
	{ "long-ms", OPT_LONG_MS, "MS", 0, "A call in C this long is long-blocking (default 1000)",
	  0 },
	{ "overhead-budget", OPT_BUDGET, "PERCENT", 0,
	  "CPU the probes may cost a process, in % of one core (default 1); above it they "
	  "sample. 0: trace every call whatever the cost",
	  0 },
	{ "sampling-period", OPT_PERIOD, "SECONDS", 0,
	  "When sampling, one cycle of probes on then off lasts this long (default 2)", 0 },
	{ "map-entries", OPT_MAP_ENTRIES, "N", 0, "Size of the BPF call and stats maps", 0 },
	{ "census-hz", OPT_CENSUS_HZ, "HZ", 0,
	  "Read which threads are in C, in which function and Go stack, this often per process "
	  "(the C-time profile; default 50, 0: never; costs the traced program nothing)",
	  0 },
	{ "census-budget", OPT_CENSUS_BUDGET, "PERCENT", 0,
	  "Reading the runtime's threads (census, exact counts) may cost cgoscope this much of "
	  "one CPU, all processes together: with many threads the census runs less often "
	  "(default 5, 0: no limit)",
	  0 },
	{ "placement", OPT_PLACEMENT, "WHERE", 0,
	  "Probe sites: auto (default: the cheapest the binary allows), entry+call-site, "
	  "call-sites or entry+ret",
	  0 },
	{ "no-probes", OPT_NO_PROBES, NULL, 0,
	  "No uprobes at all: exact totals, threads in C and the C-time profile from the runtime's "
	  "memory only (no per-function counts or latencies)",
	  0 },
	{ "no-callers", OPT_NO_CALLERS, NULL, 0,
	  "Do not keep the Go callers of traced calls (their stacks cost the probes a little)", 0 },
	{ "entry-ret", OPT_FALLBACK, NULL, 0,
	  "Use the fallback placement (cgocall entry + every RET): --placement entry+ret", 0 },
	{ "no-calibrate", OPT_NO_CALIBRATE, NULL, 0,
	  "Do not measure the probe cost at start (disables the overhead budget)", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages and every attach", 0 },
	{},
};

static error_t parse_tracing(int key, char *arg, struct argp_state *state)
{
	struct tracer_opts *o = &cli_tracing.topts;
	double pct;
	long v;

	switch (key) {
	case 'p':
		if (cli_tracing.npids == CLI_MAX_PIDS)
			argp_error(state, "at most %d PIDs", CLI_MAX_PIDS);
		if (cli__parse_long(arg, "PID", 1, 0x7fffffff, &v))
			argp_usage(state);
		cli_tracing.pids[cli_tracing.npids++] = (pid_t)v;
		break;
	case OPT_LONG_MS:
		if (cli__parse_long(arg, "--long-ms", 1, 86400000, &v))
			argp_usage(state);
		o->long_ns = (__u64)v * 1000000ULL;
		break;
	case OPT_BUDGET:
		if (cli__parse_double(arg, "--overhead-budget", 0, 100, &pct))
			argp_usage(state);
		cli_tracing.gov.budget = pct / 100;
		break;
	case OPT_PERIOD:
		if (cli__parse_double(arg, "--sampling-period", 0.05, 3600, &cli_tracing.gov.period_s))
			argp_usage(state);
		break;
	case OPT_MAP_ENTRIES:
		if (cli__parse_long(arg, "--map-entries", 1, 1 << 22, &v))
			argp_usage(state);
		o->map_entries = (__u32)v;
		break;
	case OPT_CENSUS_HZ:
		if (cli__parse_double(arg, "--census-hz", 0, 1000, &o->census_hz))
			argp_usage(state);
		break;
	case OPT_CENSUS_BUDGET:
		if (cli__parse_double(arg, "--census-budget", 0, 100, &o->census_budget))
			argp_usage(state);
		o->census_budget /= 100;
		break;
	case OPT_NO_PROBES:
		o->no_probes = true;
		break;
	case OPT_NO_CALLERS:
		o->no_callers = true;
		break;
	case OPT_FALLBACK:
		o->placement = PLACEMENT_ENTRY_RET;
		break;
	case OPT_PLACEMENT:
		if (probes__parse_placement(arg, &o->placement)) {
			fprintf(stderr, "cgoscope: invalid --placement: %s (want auto, "
					"entry+call-site, call-sites or entry+ret)\n", arg);
			argp_usage(state);
		}
		break;
	case OPT_NO_CALIBRATE:
		o->calibrate = false;
		break;
	case 'v':
		cli_tracing.verbose = true;
		cli_tracing.gov.verbose = true;
		break;
	case ARGP_KEY_END:
		cli__libbpf_logging(cli_tracing.verbose);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_tracing_argp = { tracing_options, parse_tracing, NULL, NULL, NULL, NULL, NULL };
static bool verbose_libbpf;

int cli__parse_long(const char *arg, const char *what, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		fprintf(stderr, "cgoscope: invalid %s: %s (want %ld..%ld)\n", what, arg, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cli__parse_double(const char *arg, const char *what, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "cgoscope: invalid %s: %s (want %g..%g)\n", what, arg, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli__signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose_libbpf)
		return 0;
	if (level == LIBBPF_INFO && !verbose_libbpf)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void cli__libbpf_logging(bool verbose)
{
	verbose_libbpf = verbose;
	libbpf_set_print(libbpf_print);
}

void cli__sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	if (!cli_stop)
		nanosleep(&ts, NULL); /* a signal ends it early */
}

