package main

// The C half of cgoload. Every function counts its own calls (cgs_c_calls) so
// that the Go-side counters can be cross-checked, and the timed ones return
// how long they ran, measured inside C, or -errno on failure.
//
// This file holds C definitions, so it must not contain //export directives
// (cgo copies the preamble of a file with exports into two C files); the Go
// functions C calls back are in callbacks.go.

/*
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

// Indexes into cgs_c_calls; one per C function called from Go.
enum {
	CGS_NOOP,
	CGS_SLEEP_US,
	CGS_SLEEP_20MS,
	CGS_OUTER,
	CGS_INNER,
	CGS_BLOCK_MS,
	CGS_SPAWN_PTHREADS,
	CGS_PANICKY,
	CGS_NEST,
	CGS_NFUNCS
};

// Read directly from Go (no cgo call) after the scenario.
uint64_t cgs_c_calls[CGS_NFUNCS];
uint64_t cgs_c_threads;        // threads created by cgs_spawn_pthreads
uint64_t cgs_panicky_returned; // must stay 0: the Go callback panics

extern void goInner(int n);
extern void goPanicky(void);
extern void goNest(int d);

static void cgs_count(int f)
{
	__atomic_fetch_add(&cgs_c_calls[f], 1, __ATOMIC_RELAXED);
}

static long long cgs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// Sleeps until ns after start, on CLOCK_MONOTONIC, across signals (the Go
// runtime preempts with SIGURG); spins below 100 us, where a timer sleep
// would overshoot by its slack. Returns the time since start or -errno.
static long long cgs_sleep_from(long long start, long long ns)
{
	long long deadline = start + ns;
	struct timespec ts = { deadline / 1000000000LL, deadline % 1000000000LL };
	int err;

	if (ns < 100000) {
		while (cgs_now() < deadline)
			;
		return cgs_now() - start;
	}
	while ((err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
		;
	if (err)
		return -err;
	return cgs_now() - start;
}

// The cheapest possible cgo call.
void cgs_noop(void)
{
	cgs_count(CGS_NOOP);
}

// Sleeps us microseconds.
long long cgs_sleep_us(int us)
{
	long long t0 = cgs_now();

	cgs_count(CGS_SLEEP_US);
	return cgs_sleep_from(t0, us * 1000LL);
}

// Sleeps 20 ms; a separate function so its histogram is not mixed with cgs_sleep_us.
long long cgs_sleep_20ms(void)
{
	long long t0 = cgs_now();

	cgs_count(CGS_SLEEP_20MS);
	return cgs_sleep_from(t0, 20 * 1000000LL);
}

// Called by goInner: a cgo call nested inside cgs_outer on the same thread.
void cgs_inner(void)
{
	cgs_count(CGS_INNER);
}

// C -> Go -> C: calls back into Go, which calls cgs_inner n times.
long long cgs_outer(int n)
{
	long long t0 = cgs_now();

	cgs_count(CGS_OUTER);
	goInner(n);
	return cgs_now() - t0;
}

// Blocks the calling thread for ms milliseconds.
long long cgs_block_ms(int ms)
{
	long long t0 = cgs_now();

	cgs_count(CGS_BLOCK_MS);
	return cgs_sleep_from(t0, ms * 1000000LL);
}

static void *cgs_pthread_main(void *arg)
{
	long long r = cgs_sleep_from(cgs_now(), (long long)(intptr_t)arg * 1000000LL);

	return (void *)(intptr_t)(r < 0);
}

// Creates n threads in C that each sleep ms and exit, and joins them.
// Returns the elapsed time, or -errno if a thread could not be made or failed.
long long cgs_spawn_pthreads(int n, int ms)
{
	long long t0 = cgs_now();
	pthread_t tids[n > 0 ? n : 1];
	int made = 0, err = 0;

	cgs_count(CGS_SPAWN_PTHREADS);
	for (; made < n; made++) {
		err = pthread_create(&tids[made], NULL, cgs_pthread_main, (void *)(intptr_t)ms);
		if (err)
			break;
		__atomic_fetch_add(&cgs_c_threads, 1, __ATOMIC_RELAXED);
	}
	for (int i = 0; i < made; i++) {
		void *failed = NULL;

		pthread_join(tids[i], &failed);
		if (failed && !err)
			err = EINTR;
	}
	return err ? -err : cgs_now() - t0;
}

// Calls goPanicky, which panics; the panic unwinds through this frame to the
// Go caller, so the line after the call never runs.
void cgs_panicky(void)
{
	cgs_count(CGS_PANICKY);
	goPanicky();
	__atomic_store_n(&cgs_panicky_returned, 1, __ATOMIC_RELAXED);
}

// C -> Go -> C ... d cgo calls deep on one thread: calls back into goNest,
// which calls cgs_nest(d - 1), down to cgs_nest(1).
void cgs_nest(int d)
{
	cgs_count(CGS_NEST);
	if (d > 1)
		goNest(d - 1);
}
*/
import "C"

// cIndex maps a C function's name to its slot in cgs_c_calls.
var cIndex = map[string]int{
	"cgs_noop":           C.CGS_NOOP,
	"cgs_sleep_us":       C.CGS_SLEEP_US,
	"cgs_sleep_20ms":     C.CGS_SLEEP_20MS,
	"cgs_outer":          C.CGS_OUTER,
	"cgs_inner":          C.CGS_INNER,
	"cgs_block_ms":       C.CGS_BLOCK_MS,
	"cgs_spawn_pthreads": C.CGS_SPAWN_PTHREADS,
	"cgs_panicky":        C.CGS_PANICKY,
	"cgs_nest":           C.CGS_NEST,
}

// cCalls returns how many calls of name C counted (a plain memory read).
func cCalls(name string) uint64 { return uint64(C.cgs_c_calls[cIndex[name]]) }

// cThreads returns how many threads cgs_spawn_pthreads created.
func cThreads() uint64 { return uint64(C.cgs_c_threads) }

// cPanickyReturned reports whether cgs_panicky ever got past its callback.
func cPanickyReturned() bool { return C.cgs_panicky_returned != 0 }

// The cgo calls themselves, one wrapper each so call sites read plainly.

func cNoop()                 { C.cgs_noop() }
func cInner()                { C.cgs_inner() }
func cPanicky()              { C.cgs_panicky() }
func cNest(d int)            { C.cgs_nest(C.int(d)) }
func cSleepUs(us int) int64  { return int64(C.cgs_sleep_us(C.int(us))) }
func cSleep20ms() int64      { return int64(C.cgs_sleep_20ms()) }
func cOuter(n int) int64     { return int64(C.cgs_outer(C.int(n))) }
func cBlockMs(ms int) int64  { return int64(C.cgs_block_ms(C.int(ms))) }
func cSpawn(n, ms int) int64 { return int64(C.cgs_spawn_pthreads(C.int(n), C.int(ms))) }
