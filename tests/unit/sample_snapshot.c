/* sample_snapshot.c - a fixed snapshot shared by the unit tests and prom_dump. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sample_snapshot.h"

static void set_func(struct func_snap *f, const char *name, __u64 addr, __u64 total_ns,
		     __u64 max_ns, __u32 inflight)
{
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->addr = addr;
	f->total_ns = f->traced_ns = total_ns;
	f->max_ns = max_ns;
	f->inflight = inflight;
}

/* Adds n calls to slot of f. */
static void add_calls(struct func_snap *f, unsigned int slot, __u64 n)
{
	f->buckets[slot] += n;
	f->calls += n;
	f->traced_calls += n;
}

static int fill_cgoload(struct proc_snap *p)
{
	p->funcs = calloc(3, sizeof(*p->funcs));
	if (!p->funcs)
		return -ENOMEM;
	p->nfuncs = 3;
	/* getaddrinfo: 4 x ~20ms + 1 x 40ms */
	set_func(&p->funcs[0], "getaddrinfo", 0x4a1200, 120000000, 40000000, 0);
	add_calls(&p->funcs[0], 24, 4);
	add_calls(&p->funcs[0], 25, 1);
	/* sqlite3_step: 600 x 1.5us, 300 x 3us, 100 x 20us */
	set_func(&p->funcs[1], "sqlite3_step", 0x4a1000, 3800000, 30000, 1);
	add_calls(&p->funcs[1], 10, 600);
	add_calls(&p->funcs[1], 11, 300);
	add_calls(&p->funcs[1], 14, 100);
	/* an unnamed C function: 1ns and 10ns */
	set_func(&p->funcs[2], "0x4a02c0", 0x4a02c0, 11, 10, 0);
	add_calls(&p->funcs[2], 0, 1);
	add_calls(&p->funcs[2], 3, 1);

	p->pid = 4242;
	p->nspid = 4242;
	strcpy(p->comm, "cgoload");
	strcpy(p->exe, "/opt/app/cgoload");
	strcpy(p->go_version, "go1.22.1");
	p->placement = "call-sites";
	p->probe_cost_ns = 13000.4;
	p->span_floor_ns = 1200;
	p->calls = 1007;
	p->inflight = 1;
	p->inflight_peak = 6;
	p->threads = (struct threads_snap){ .current = 12,
					    .peak = 14,
					    .created = 6,
					    .created_c = 4,
					    .exited = 2,
					    .go = 8,
					    .growth_per_s = 0.4 };
	p->gomaxprocs = 4;
	p->exact_calls = 1007;
	p->runtime_view = true;
	p->sampling_ratio = 1;
	p->probe_overhead = 0.002;
	p->max_threads = 10000;
	p->verdict = VERDICT_WARNING;
	strcpy(p->reasons[0], "6 threads in C at once with GOMAXPROCS 4");
	p->nreasons = 1;
	return 0;
}

static int fill_awkward(struct proc_snap *p)
{
	p->funcs = calloc(1, sizeof(*p->funcs));
	p->blocked = calloc(1, sizeof(*p->blocked));
	if (!p->funcs || !p->blocked)
		return -ENOMEM;
	p->nfuncs = 1;
	set_func(&p->funcs[0], "sleep", 0x7f0000001000, 4500000000ULL, 2000000000ULL, 2);
	add_calls(&p->funcs[0], 30, 3);
	p->nblocked = 1;
	p->blocked[0].tid = 780;
	strcpy(p->blocked[0].func, "sleep");
	p->blocked[0].elapsed_ns = 3200000000ULL;
	p->blocked[0].stack = -1;
	p->blocked[0].caller = "";

	p->pid = 777;
	p->nspid = 12;
	strcpy(p->comm, SAMPLE_AWKWARD);
	strcpy(p->exe, "/tmp/" SAMPLE_AWKWARD "/app");
	strcpy(p->go_version, "go1.19.8");
	strcpy(p->container_id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	p->placement = "entry+ret";
	p->probe_cost_ns = 45000;
	p->span_floor_ns = 20000;
	p->exited = true;
	p->calls = 3;
	p->inflight = 2;
	p->inflight_peak = 2;
	p->long_calls = 3;
	p->threads = (struct threads_snap){
		.current = 5, .peak = 9, .created = 7, .exited = 4, .go = -1, .growth_per_s = -1.5
	};
	p->gomaxprocs = -1;
	p->exact_calls = -1;
	p->sampling_ratio = 0.25;
	p->sampled = true;
	p->funcs[0].estimated = true;
	p->probe_overhead = 0.01;
	p->max_threads = 10000;
	p->max_threads_assumed = true;
	p->verdict = VERDICT_CRITICAL;
	strcpy(p->reasons[0], "2 calls blocked in C for more than 1.00s");
	strcpy(p->reasons[1], "threads grew by 7 while calls blocked");
	p->nreasons = 2;
	return 0;
}

/*
 * sqlite3_step's Go callers (1000 traced calls, 3.8ms): 700 calls and 3ms
 * from stack, counted exactly; about 300 (a sample) from a stack not read.
 */
static int add_callers(struct func_snap *f, int stack, const char *caller)
{
	f->callers = calloc(2, sizeof(*f->callers));
	if (!f->callers)
		return -ENOMEM;
	f->ncallers = 2;
	f->callers[0] = (struct caller_snap){ .stack = stack, .caller = caller, .calls = 700,
					      .total_ns = 3000000, .exact = true, .share = 0.7,
					      .time_share = 3.0 / 3.8 };
	f->callers[1] = (struct caller_snap){ .stack = -1, .caller = "", .calls = 300,
					      .total_ns = 800000, .share = 0.3,
					      .time_share = 0.8 / 3.8 };
	return 0;
}

/*
 * The C-time profile of the cgoload process: sqlite3_step from one Go stack
 * (whose caller, main.(*Store).Get, is inlined into main.handle), getaddrinfo
 * with no stack read.
 */
static int fill_ctime(struct snapshot *snap, struct proc_snap *p)
{
	struct snap_frame f[3] = {
		{ .func = snapshot__strdup(snap, "main._Cfunc_sqlite3_step"), .file = "" },
		{ .func = snapshot__strdup(snap, "main.(*Store).Get"),
		  .file = snapshot__strdup(snap, "/src/app/store.go"),
		  .line = 42,
		  .inlined = true },
		{ .func = snapshot__strdup(snap, "main.handle"),
		  .file = snapshot__strdup(snap, "/src/app/main.go"),
		  .line = 17 },
	};
	int stack;

	if (!f[0].func || !f[1].func || !f[2].func || !f[1].file || !f[2].file)
		return -ENOMEM;
	f[0].file = f[1].file + strlen(f[1].file); /* "" of the arena */
	stack = snapshot__add_stack(snap, f, 3, false, 1);
	p->ctime = calloc(2, sizeof(*p->ctime));
	if (stack < 0 || !p->ctime)
		return -ENOMEM;
	p->nctime = 2;
	p->ctime[0] = (struct ctime_snap){ .func = "sqlite3_step", .fn = 0x4a1000, .stack = stack,
					   .caller = snap->stacks[stack].caller, .ns = 2500000000ULL,
					   .samples = 125 };
	p->ctime[1] = (struct ctime_snap){ .func = "getaddrinfo", .fn = 0x4a1200, .stack = -1,
					   .caller = "", .ns = 500000000ULL, .samples = 25 };
	p->ctime_other_ns = 20000000;
	p->census_ns = 10000000000ULL;
	p->censuses = 500;
	p->census_seen = 160;
	p->census_torn = 9;
	p->census_stack_torn = 1;
	return add_callers(&p->funcs[1], stack, snap->stacks[stack].caller);
}

int sample_snapshot__fill(struct snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->wall_time = 1700000000.5;
	snap->duration_s = 10;
	snap->long_ns = 1000000000ULL;
	snap->procs = calloc(2, sizeof(*snap->procs));
	if (!snap->procs)
		return -ENOMEM;
	snap->nprocs = 2;
	if (fill_cgoload(&snap->procs[0]) || fill_awkward(&snap->procs[1]) ||
	    fill_ctime(snap, &snap->procs[0])) {
		snapshot__free(snap);
		return -ENOMEM;
	}
	return 0;
}

struct prom_opts sample_snapshot__prom_opts(void)
{
	return (struct prom_opts){
		.build_version = "0.1.0-test",
		.scrape_duration_s = 0.0125,
		.attach_failures = 2,
		.max_functions = 0,
		.attach_latency_s = 0.042,
		.discovery_dropped = 1,
	};
}

int sample_snapshot__setup(void **state)
{
	struct snapshot *snap = calloc(1, sizeof(*snap));

	if (!snap || sample_snapshot__fill(snap)) {
		free(snap);
		return -1;
	}
	*state = snap;
	return 0;
}

int sample_snapshot__teardown(void **state)
{
	snapshot__free(*state);
	free(*state);
	return 0;
}
