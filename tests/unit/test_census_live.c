/* test_census_live.c - census__read() of real cgoload processes with goroutines blocked in C
 * (root). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "cnames.h"
#include "gobin.h"
#include "gort.h"
#include "gosym.h"
#include "procfs.h"

#define BLOCKED 5

/* A cgoload started with -block n, and what it takes to read it. */
struct live {
	pid_t pid;
	int in; /* its stdin: EOF ends it */
	struct gobin *gb;
	struct cnames *cn;
	struct gosym *gs;
	struct gort_addrs a;
	__u64 bias;
	struct census_src src;
};

static const char *gobin_dir(void)
{
	const char *d = getenv("CGOSCOPE_GOBIN");

	return d && *d ? d : ".output/go";
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Starts bin -block n -block-ms 4000 -start-now; waits for READY PID. */
static void start(struct live *l, const char *bin, int n)
{
	int in[2], out[2];
	char arg[16], line[128];
	int ready = 0;
	FILE *f;

	memset(l, 0, sizeof(*l));
	snprintf(arg, sizeof(arg), "%d", n);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	l->pid = fork();
	assert_true(l->pid >= 0);
	if (!l->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(bin, bin, "-block", arg, "-block-ms", "4000", "-start-now", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	l->in = in[1];
	f = fdopen(out[0], "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(sscanf(line, "READY %d", &ready), 1);
	assert_int_equal(ready, l->pid);
	fclose(f);
}

/* Opens the binary of l->pid as the agent does: /proc/PID/exe, the bias of a PIE. */
static void inspect(struct live *l)
{
	char exe[64];
	struct stat st;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", l->pid);
	l->gb = gobin__open(exe);
	assert_non_null(l->gb);
	assert_int_equal(gort__locate(l->gb, &l->a), 0);
	l->cn = cnames__new(l->gb);
	assert_non_null(l->cn);
	l->gs = gosym__new(l->gb);
	assert_non_null(l->gs);
	if (gobin__is_pie(l->gb)) {
		assert_int_equal(stat(exe, &st), 0);
		assert_int_equal(procfs__map_base(l->pid, st.st_ino, &l->bias), 0);
	}
	l->src = census__pid_src(l->pid);
}

static void stop(struct live *l)
{
	close(l->in);
	kill(l->pid, SIGKILL);
	waitpid(l->pid, NULL, 0);
	cnames__free(l->cn);
	gosym__free(l->gs);
	gobin__close(l->gb);
}

/* Reads until n goroutines are in C (they start one by one), for up to 3 s. */
static void wait_in_c(struct live *l, struct census *c, size_t n)
{
	double t0 = now_s();

	do {
		assert_int_equal(census__read(&l->src, &l->a, l->bias, NULL, c), 0);
		if (c->n >= n)
			return;
		usleep(20000);
	} while (now_s() - t0 < 3);
	fail_msg("only %zu of %zu goroutines seen in C", c->n, n);
}

static const char *func_name(const struct live *l, __u64 pc)
{
	struct gobin_func fn;

	return gobin__func_at(l->gb, pc - l->bias, &fn) ? "?" : fn.name;
}

/*
 * The entry's Go stack symbolized by gosym: the cgo wrapper, main.cBlockMs
 * inlined into the closure runRound.func4.1 that calls it, runtime.goexit.
 */
static void check_frames(const struct live *l, const struct census_entry *e, bool show)
{
	struct gosym_frame f[16];
	const char *last = "";
	bool inlined = false;
	unsigned int k;
	int n, i;

	for (k = 0; k < e->npc; k++) {
		n = gosym__lookup(l->gs, e->pcs[k] - l->bias, 0, f, 16);
		assert_true(n > 0);
		if (!k)
			assert_string_equal(f[0].func, "main._Cfunc_cgs_block_ms");
		for (i = 0; i < n; i++) {
			if (show)
				print_message("    %s %s:%u%s\n", f[i].func, f[i].file, f[i].line,
					      f[i].inlined ? " (inlined)" : "");
			inlined |= f[i].inlined && i + 1 < n &&
				   !strcmp(f[i].func, "main.cBlockMs") &&
				   !strcmp(f[i + 1].func, "main.runRound.func4.1");
		}
		last = f[n - 1].func;
	}
	assert_true(inlined);
	assert_string_equal(last, "runtime.goexit");
}

/* One entry of a goroutine in cgs_block_ms: its C function, frame and Go stack. */
static void check_entry(const struct live *l, const struct census_entry *e, bool show)
{
	char name[256];

	cnames__name(l->cn, e->fn - l->bias, name, sizeof(name));
	if (show) {
		print_message("  tid %u g %#llx ncgocall %llu fn %s sp %#llx bp sp+%#llx:\n",
			      e->tid, e->g, e->ncgocall, name, e->syscallsp,
			      e->syscallbp - e->syscallsp);
		for (unsigned int k = 0; k < e->npc; k++)
			print_message("    %#llx %s\n", e->pcs[k], func_name(l, e->pcs[k]));
	}
	assert_string_equal(name, "cgs_block_ms");
	assert_true(e->tid > 0 && e->ncgocall > 0);
	assert_string_equal(func_name(l, e->syscallpc), "runtime.cgocall");
	assert_int_equal(e->syscallbp, e->syscallsp + l->a.cgocall_bp);
	assert_true(e->npc >= 3 && !e->truncated);
	assert_string_equal(func_name(l, e->pcs[0]), "main._Cfunc_cgs_block_ms");
	for (unsigned int k = 1; k + 1 < e->npc; k++)
		assert_int_equal(strncmp(func_name(l, e->pcs[k]), "main.", 5), 0);
	assert_string_equal(func_name(l, e->pcs[e->npc - 1]), "runtime.goexit");
	check_frames(l, e, show);
}

/* Microseconds per census__read of l, over reps reads. */
static double cost_us(struct live *l, struct census *c, int reps)
{
	double t0 = now_s();

	for (int i = 0; i < reps; i++)
		assert_int_equal(census__read(&l->src, &l->a, l->bias, NULL, c), 0);
	return (now_s() - t0) / reps * 1e6;
}

static void check_binary(const char *bin)
{
	struct census c = { 0 };
	struct live l;

	if (access(bin, X_OK)) {
		print_message("SKIP %s: not built\n", bin);
		return;
	}
	start(&l, bin, BLOCKED);
	inspect(&l);
	print_message("%s (%s), PID %d:\n", bin, gobin__go_version(l.gb), l.pid);
	wait_in_c(&l, &c, BLOCKED);
	assert_int_equal(c.n, BLOCKED);
	for (size_t i = 0; i < c.n; i++)
		check_entry(&l, &c.v[i], i == 0);
	print_message("  %zu in C of %u Ms, %u torn; %.1f us per census\n", c.n, c.nm, c.torn,
		      cost_us(&l, &c, 100));
	census__free(&c);
	stop(&l);
}

static bool root(void)
{
	if (!geteuid())
		return true;
	print_message("****************************************************\n"
		      "SKIP: reading other processes' memory needs root\n"
		      "****************************************************\n");
	return false;
}

/* cgoload as built by make gobins, stripped too, and a few of the matrix (Go 1.17-1.26, PIE). */
static void test_live(void **state)
{
	static const char *const bins[] = {
		"cgoload",
		"cgoload-stripped",
		"matrix/go1.17/cgoload",
		"matrix/go1.19-stripped/cgoload",
		"matrix/go1.22/cgoload",
		"matrix/go1.23-stripped/cgoload",
		"matrix/go1.26-pie-stripped/cgoload",
	};
	char path[4096];

	if (!root())
		skip();
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", gobin_dir(), bins[i]);
		if (i < 2 && access(path, X_OK))
			fail_msg("%s missing: make gobins", path);
		check_binary(path);
	}
}

/*
 * The census of N goroutines blocked in C (CGOSCOPE_CENSUS_BENCH=N, default
 * 50): every one found, and what a census costs (printed; make bench has
 * the figures).
 */
static void test_cost(void **state)
{
	const char *env = getenv("CGOSCOPE_CENSUS_BENCH");
	int n = env && atoi(env) > 0 ? atoi(env) : 50;
	struct census c = { 0 };
	char path[4096];
	struct live l;
	double t0, cold;

	if (!root()) {
		print_message("SKIP: needs root to read another process's memory\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/cgoload", gobin_dir());
	start(&l, path, n);
	inspect(&l);
	wait_in_c(&l, &c, n);
	census__free(&c);
	t0 = now_s();
	assert_int_equal(census__read(&l.src, &l.a, l.bias, NULL, &c), 0);
	cold = (now_s() - t0) * 1e6;
	assert_true(c.n + c.torn + c.lost >= (size_t)n);
	print_message("%d in C (%u Ms): first census %.0f us, then %.1f us each\n", n, c.nm, cold,
		      cost_us(&l, &c, 100));
	census__free(&c);
	stop(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
