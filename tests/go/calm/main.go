// Command calm is a calm cgo service: a few short C calls per second (by
// default 5 calls/s of a 100 µs C function) until it is told to stop. A
// tracer watching it should find nothing alarming.
//
// It speaks the workload protocol of cgoscope.test/internal/proto, except that
// its scenario runs until SIGTERM/SIGINT (or stdin EOF), and TRUTH is printed
// then, right before it exits 0.
package main

/*
#include <errno.h>
#include <time.h>

// Works (sleeps) us microseconds; returns the time it took in ns, or -errno.
long long cgs_calm_work(int us)
{
	struct timespec t0, deadline;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = t0;
	deadline.tv_nsec += us * 1000L;
	deadline.tv_sec += deadline.tv_nsec / 1000000000L;
	deadline.tv_nsec %= 1000000000L;
	while ((err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL)) == EINTR)
		;
	if (err)
		return -err;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
}
*/
import "C"

import (
	"flag"
	"os"
	"time"

	"cgoscope.test/internal/proto"
)

func main() {
	rate := flag.Int("rate", 5, "C calls per `second`")
	us := flag.Int("us", 100, "duration of each C call in `µs`")
	opts := proto.AddFlags(flag.CommandLine)
	flag.Parse()
	if *rate < 1 || *us < 0 {
		proto.Fatalf("-rate must be at least 1 and -us not negative")
	}
	opts.ExitAfter = true // the scenario ends with the stop request itself

	sess := proto.Begin(opts)
	t0 := time.Now()
	var timing proto.Timing
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	defer tick.Stop()
	for running := true; running; {
		select {
		case <-sess.Done():
			running = false
		case <-tick.C:
			start := time.Now()
			cNs := int64(C.cgs_calm_work(C.int(*us)))
			if cNs < 0 {
				proto.Fatalf("cgs_calm_work failed: errno %d", -cNs)
			}
			timing.Add(cNs, time.Since(start).Nanoseconds())
		}
	}

	truth := proto.Truth{Pid: os.Getpid(), ElapsedNs: time.Since(t0).Nanoseconds()}
	if timing.Calls > 0 {
		truth.Calls = map[string]uint64{"cgs_calm_work": timing.Calls}
		truth.Timing = map[string]proto.Timing{"cgs_calm_work": timing}
	}
	sess.Finish(truth)
}
