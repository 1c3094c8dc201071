/* top.c - `cgoscope top`: a live view of traced processes, refreshed like top(1); plain when not a terminal. */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "clock.h"
#include "commands.h"
#include "discover.h"
#include "starve.h"
#include "stats.h"
#include "runloop.h"
#include "topview.h"
#include "tracer.h"


static struct top_env {
	long delay_s;
	long iterations; /* 0: until q or Ctrl-C */
	bool plain;
	struct topview_opts view;
} env = { .delay_s = 1 };

static const char doc[] =
	"Live view of the Go processes' cgo calls: threads, calls in C, long-blocking calls, "
	"busiest C functions, starvation verdict. Press q to quit.\n"
	"\v"
	"Examples:\n"
	"  cgoscope top                 # every Go process with cgo (same as 'top all')\n"
	"  cgoscope top -p 1234\n"
	"  cgoscope top -n 3 > out.txt  # three plain screens, for scripts\n";

static const struct argp_option options[] = {
	{ "delay", 'd', "SECONDS", 0, "Refresh every SECONDS (default 1)", 0 },
	{ "iterations", 'n', "N", 0, "Stop after N screens", 0 },
	{ "plain", 'b', NULL, 0, "Plain output even on a terminal (batch mode)", 0 },
	{ "functions", 'f', "N", 0, "Functions shown per process (default 5)", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	long v;

	switch (key) {
	case 'd':
		if (cli__parse_long(arg, "delay", 1, 3600, &env.delay_s))
			argp_usage(state);
		break;
	case 'n':
		if (cli__parse_long(arg, "iterations", 1, 1L << 30, &env.iterations))
			argp_usage(state);
		break;
	case 'b':
		env.plain = true;
		break;
	case 'f':
		if (cli__parse_long(arg, "functions", 1, 1000, &v))
			argp_usage(state);
		env.view.max_funcs = (unsigned int)v;
		break;
	case ARGP_KEY_ARG:
		if (strcmp(arg, "all"))
			argp_error(state, "unexpected argument '%s' (use -p PID or 'all')", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct termios saved_tty;
static bool tty_raw;

/* Keys without Enter and without echo, so 'q' quits at once. */
static void tty_enter(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty))
		return;
	raw = saved_tty;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	tty_raw = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, no cursor */
}

static void tty_leave(void)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
}

/* Waits up to ms for a key; true when it was q. */
static bool wait_key(long ms, bool interactive)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;

	if (!interactive) {
		cli__sleep_ms(ms);
		return false;
	}
	if (poll(&pfd, 1, (int)ms) > 0 && read(STDIN_FILENO, &c, 1) == 1)
		return c == 'q' || c == 'Q';
	return false;
}

static int show(struct tracer *t, const struct starve_opts *so, struct snapshot *prev, bool tty,
		double started)
{
	struct snapshot cur;
	char *frame = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	err = stats__collect(t, so, &cur);
	if (err)
		return err;
	cur.duration_s = clock__mono_s() - started;
	mem = open_memstream(&frame, &len);
	if (!mem) {
		snapshot__free(&cur);
		return -errno;
	}
	err = topview__render(mem, &cur, prev->procs ? prev : NULL, &env.view);
	fclose(mem);
	if (!err) {
		fputs(tty ? "\033[H\033[2J" : "", stdout);
		fwrite(frame, 1, len, stdout);
		fputs(tty ? "" : "\n", stdout);
		fflush(stdout);
	}
	free(frame);
	snapshot__free(prev);
	*prev = cur;
	return err;
}

/* What top's run loop callbacks need. */
struct top_run {
	struct tracer *t;
	const struct starve_opts *so;
	struct snapshot *prev;
	bool tty;
	double started;
	long shown; /* screens shown */
	int err;
};

/* Waits up to ms for a key (runloop.h); true when it was q. */
static bool key_quits(void *ctx, long ms)
{
	(void)ctx;
	return wait_key(ms, tty_raw);
}

/* Shows the next screen; true (stop) after -n screens, or when it failed. */
static bool show_next(void *ctx)
{
	struct top_run *tr = ctx;

	tr->err = show(tr->t, tr->so, tr->prev, tr->tty, tr->started);
	return tr->err || (env.iterations && ++tr->shown >= env.iterations);
}

int cmd_top(int argc, char **argv)
{
	static const struct argp_child children[] = { { &cli_tracing_argp, 0, "Tracing:", 0 }, {} };
	static const struct argp argp = { options, parse_opt, NULL, doc, children, NULL, NULL };
	struct tracer_opts *topts = &cli_tracing.topts;
	struct snapshot prev = { 0 };
	struct starve_opts so;
	struct discover *d = NULL;
	struct tracer *t = NULL;
	bool tty;
	double started;
	int err = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	starve__default_opts(&so);
	topts->watch_exec = true;
	if (tracer__open(topts, &t))
		return 1;
	d = discover__new(t, &(struct discover_opts){ .pids = cli_tracing.pids, .npids = cli_tracing.npids });
	if (!d) {
		tracer__close(t);
		return 1;
	}
	cli__signals();
	discover__scan(d);
	tty = !env.plain && isatty(STDOUT_FILENO);
	if (tty)
		tty_enter();
	started = clock__mono_s();
	struct top_run tr = { .t = t, .so = &so, .prev = &prev, .tty = tty, .started = started };

	runloop__run(&(struct runloop){
		.tracer = t,
		.disc = d,
		.gov = &cli_tracing.gov,
		.every_s = env.delay_s,
		.wait = key_quits,
		.every = show_next,
		.ctx = &tr,
	});
	/* stopped by q or a signal: the screen of what was gathered until then */
	if (!tr.err && !(env.iterations && tr.shown >= env.iterations))
		tr.err = show(t, &so, &prev, tty, started);
	err = tr.err;
	if (tty)
		tty_leave();
	snapshot__free(&prev);
	discover__free(d);
	tracer__close(t);
	return err ? 1 : 0;
}
