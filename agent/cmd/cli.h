/* cli.h - pieces every cgoscope subcommand shares: number parsing, signals, libbpf logging. */
#ifndef CGOSCOPE_CLI_H
#define CGOSCOPE_CLI_H

#include <argp.h>
#include <signal.h>
#include <stdbool.h>
#include "governor.h"
#include "tracer.h"

/* Options every tracing command shares (profile, top, agent), filled by cli_tracing_argp. */
#define CLI_MAX_PIDS 64

struct cli_tracing {
	struct tracer_opts topts; /* long_ns, map_entries, placement, calibrate */
	pid_t pids[CLI_MAX_PIDS]; /* -p: the processes to trace (none: the command decides) */
	int npids;
	struct governor_opts gov; /* --overhead-budget, --sampling-period, -v */
	bool verbose;
};
extern struct cli_tracing cli_tracing;

/* argp child parser of the shared options: -p, --long-ms, --overhead-budget, --map-entries, ... */
extern const struct argp cli_tracing_argp;

/* Set by SIGINT/SIGTERM once cli__signals() ran. */
extern volatile sig_atomic_t cli_stop;

/*
 * Parses a decimal integer in [min, max] for option `what`. Returns 0 and
 * stores it, or prints "cgoscope: invalid <what>: <arg>" and returns -EINVAL.
 */
int cli__parse_long(const char *arg, const char *what, long min, long max, long *out);

/* Like cli__parse_long() for a decimal fraction in [min, max]. */
int cli__parse_double(const char *arg, const char *what, double min, double max, double *out);

/* Installs SIGINT/SIGTERM handlers that set cli_stop. */
void cli__signals(void);

/* Routes libbpf's messages to stderr, debug ones only when verbose. */
void cli__libbpf_logging(bool verbose);

/* Sleeps ms milliseconds unless a stop signal arrives first. */
void cli__sleep_ms(long ms);

#endif /* CGOSCOPE_CLI_H */
