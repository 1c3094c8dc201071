package main

// The C half of soak. Every function counts its own calls (sk_calls) so the
// Go-side counters can be cross-checked, and returns a value the Go caller
// checks, so a call that ran with corrupted arguments or lost its result is
// noticed. No //export here (see callbacks.go).

/*
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
	SK_NOOP,
	SK_WORK,
	SK_OUTER,
	SK_INNER,
	SK_PANICKY,
	SK_LOCKED,
	SK_CHILD,
	SK_NFUNCS
};

// Read directly from Go (no cgo call) at the end.
uint64_t sk_calls[SK_NFUNCS];
uint64_t sk_panicky_returned; // must stay 0: the callback panics

extern long long goSoakDeep(int depth, int mode);
extern void goSoakPanic(void);

static void sk_count(int f)
{
	__atomic_fetch_add(&sk_calls[f], 1, __ATOMIC_RELAXED);
}

// The short call the goroutine swarm makes: returns the thread it ran on.
int cgs_soak_noop(void)
{
	sk_count(SK_NOOP);
	return (int)syscall(SYS_gettid);
}

// A little arithmetic with a result Go recomputes (skWork in main.go).
uint64_t cgs_soak_work(uint64_t x)
{
	sk_count(SK_WORK);
	for (int i = 0; i < 64; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}

// C -> Go (goSoakDeep: deep recursion, nested calls, recovered panics) -> C.
long long cgs_soak_outer(int depth, int mode)
{
	long long r;

	sk_count(SK_OUTER);
	r = goSoakDeep(depth, mode);
	return r + 1;
}

// Called at the bottom of goSoakDeep's recursion.
long long cgs_soak_inner(long long v)
{
	sk_count(SK_INNER);
	return v * 3 + 1;
}

// Calls goSoakPanic, which panics: the panic unwinds through this frame.
void cgs_soak_panicky(void)
{
	sk_count(SK_PANICKY);
	goSoakPanic();
	__atomic_store_n(&sk_panicky_returned, 1, __ATOMIC_RELAXED);
}

// Made by goroutines locked to their thread: returns the thread.
int cgs_soak_locked(void)
{
	sk_count(SK_LOCKED);
	return (int)syscall(SYS_gettid);
}

// The child mode's call.
int cgs_soak_child(int i)
{
	sk_count(SK_CHILD);
	return i ^ 0x5a5a;
}
*/
import "C"

// cIndex maps a C function's name to its slot in sk_calls.
var cIndex = map[string]int{
	"cgs_soak_noop":    C.SK_NOOP,
	"cgs_soak_work":    C.SK_WORK,
	"cgs_soak_outer":   C.SK_OUTER,
	"cgs_soak_inner":   C.SK_INNER,
	"cgs_soak_panicky": C.SK_PANICKY,
	"cgs_soak_locked":  C.SK_LOCKED,
	"cgs_soak_child":   C.SK_CHILD,
}

// cCalls returns how many calls of name C counted (a plain memory read).
func cCalls(name string) uint64 { return uint64(C.sk_calls[cIndex[name]]) }

// cPanickyReturned reports whether cgs_soak_panicky ever got past its callback.
func cPanickyReturned() bool { return C.sk_panicky_returned != 0 }

// The cgo calls, each counted in Go right before it is made.

func cNoop() int {
	counters.noop.inc()
	return int(C.cgs_soak_noop())
}

func cWork(x uint64) uint64 {
	counters.work.inc()
	return uint64(C.cgs_soak_work(C.uint64_t(x)))
}

func cOuter(depth, mode int) int64 {
	counters.outer.inc()
	return int64(C.cgs_soak_outer(C.int(depth), C.int(mode)))
}

func cInner(v int64) int64 {
	counters.inner.inc()
	return int64(C.cgs_soak_inner(C.longlong(v)))
}

func cPanicky() {
	counters.panicky.inc()
	C.cgs_soak_panicky()
}

func cLocked() int {
	counters.locked.inc()
	return int(C.cgs_soak_locked())
}

func cChild(i int) int {
	counters.child.inc()
	return int(C.cgs_soak_child(C.int(i)))
}
