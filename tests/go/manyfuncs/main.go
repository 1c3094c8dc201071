// Command manyfuncs is a bench workload for the agent: -funcs distinct C
// functions (default 20, at most 50: cgs_f00 … cgs_f49), each called once per
// round, -hz rounds a second (default 5: 100 cgo calls/s), until SIGTERM/SIGINT. Each call spins for a duration
// that cycles from 1 ns to 16 µs, so every function fills a spread of histogram
// buckets. Many of these processes at once give the agent a realistic number
// of series to collect and render (scripts/bench_agent.sh); it prints nothing
// and is not a test workload (no READY/TRUTH protocol).
package main

/*
#include <time.h>

static long long mf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// Spins for about ns nanoseconds; returns the time it took.
static long long mf_spin(long long ns)
{
	long long t0 = mf_now(), t;

	do
		t = mf_now();
	while (t - t0 < ns);
	return t - t0;
}

#define MF_FUNC(n) long long cgs_f##n(long long ns) { return mf_spin(ns); }
MF_FUNC(00) MF_FUNC(01) MF_FUNC(02) MF_FUNC(03) MF_FUNC(04)
MF_FUNC(05) MF_FUNC(06) MF_FUNC(07) MF_FUNC(08) MF_FUNC(09)
MF_FUNC(10) MF_FUNC(11) MF_FUNC(12) MF_FUNC(13) MF_FUNC(14)
MF_FUNC(15) MF_FUNC(16) MF_FUNC(17) MF_FUNC(18) MF_FUNC(19)
MF_FUNC(20) MF_FUNC(21) MF_FUNC(22) MF_FUNC(23) MF_FUNC(24)
MF_FUNC(25) MF_FUNC(26) MF_FUNC(27) MF_FUNC(28) MF_FUNC(29)
MF_FUNC(30) MF_FUNC(31) MF_FUNC(32) MF_FUNC(33) MF_FUNC(34)
MF_FUNC(35) MF_FUNC(36) MF_FUNC(37) MF_FUNC(38) MF_FUNC(39)
MF_FUNC(40) MF_FUNC(41) MF_FUNC(42) MF_FUNC(43) MF_FUNC(44)
MF_FUNC(45) MF_FUNC(46) MF_FUNC(47) MF_FUNC(48) MF_FUNC(49)
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

var funcs = [...]func(C.longlong) C.longlong{
	func(ns C.longlong) C.longlong { return C.cgs_f00(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f01(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f02(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f03(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f04(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f05(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f06(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f07(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f08(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f09(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f10(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f11(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f12(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f13(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f14(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f15(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f16(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f17(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f18(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f19(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f20(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f21(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f22(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f23(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f24(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f25(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f26(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f27(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f28(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f29(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f30(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f31(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f32(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f33(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f34(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f35(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f36(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f37(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f38(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f39(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f40(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f41(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f42(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f43(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f44(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f45(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f46(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f47(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f48(ns) },
	func(ns C.longlong) C.longlong { return C.cgs_f49(ns) },
}

func main() {
	hz := flag.Int("hz", 5, "rounds per `second`; each round calls the C functions once")
	nfuncs := flag.Int("funcs", 20, "how many distinct C functions to call (`N` <= 50)")
	flag.Parse()
	if *hz < 1 || *nfuncs < 1 || *nfuncs > len(funcs) || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: manyfuncs [-hz N] [-funcs N]")
		os.Exit(2)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(time.Second / time.Duration(*hz))
	defer tick.Stop()
	for round := 0; ; round++ {
		select {
		case <-stop:
			return
		case <-tick.C:
			for i, f := range funcs[:*nfuncs] {
				f(C.longlong(1) << ((round + i) % 15)) // 1 ns … 16 µs
			}
		}
	}
}
