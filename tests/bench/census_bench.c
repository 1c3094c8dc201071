/* census_bench.c - the census's own cost: census__read() of a live process, timed (no BPF). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "census.h"
#include "gobin.h"
#include "gort.h"
#include "procfs.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct census out = { 0 };
	struct gort_addrs a;
	struct census_src src;
	struct gobin *gb;
	struct stat st;
	char exe[64];
	__u64 bias = 0;
	double t0, cpu0, dt;
	int pid, rounds, err;

	if (argc != 3 || (pid = atoi(argv[1])) <= 0 || (rounds = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: census_bench PID ROUNDS\n");
		return 2;
	}
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	gb = gobin__open(exe);
	if (!gb || gort__locate(gb, &a) || stat(exe, &st) ||
	    (gobin__is_pie(gb) && procfs__map_base(pid, st.st_ino, &bias))) {
		fprintf(stderr, "census_bench: cannot read the Go runtime of %d\n", pid);
		return 1;
	}
	src = census__pid_src(pid);
	err = census__read(&src, &a, bias, NULL, &out); /* the first read learns the list */
	t0 = now_s();
	cpu0 = (double)clock() / CLOCKS_PER_SEC;
	for (int i = 0; i < rounds && !err; i++)
		err = census__read(&src, &a, bias, NULL, &out);
	dt = now_s() - t0;
	if (err) {
		fprintf(stderr, "census_bench: census__read: %s\n", strerror(-err));
		return 1;
	}
	printf("%u Ms, %zu in C: %.1f us per census (%.0f ns per M), cpu %.1f us\n", out.nm, out.n,
	       1e6 * dt / rounds, 1e9 * dt / rounds / (out.nm ? out.nm : 1),
	       1e6 * ((double)clock() / CLOCKS_PER_SEC - cpu0) / rounds);
	if (getenv("CENSUS_BENCH_ADDRS"))
		for (size_t i = 0; i < out.n && i < 40; i++)
			fprintf(stderr, "%llx\n", (unsigned long long)out.v[i].m);
	census__free(&out);
	gobin__close(gb);
	return 0;
}
