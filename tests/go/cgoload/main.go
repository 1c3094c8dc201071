// Command cgoload makes cgo calls with exactly known counts and durations, the
// ground truth cgoscope's end-to-end tests compare the tracer's output with.
//
// It speaks the workload protocol of cgoscope.test/internal/proto: READY <pid>,
// wait for SIGUSR1 (or -start-now), run the scenario, TRUTH <json>, wait for
// SIGTERM (or -exit-after), exit 0. Scenario flags combine; each round runs the
// selected parts in this order, and -rounds repeats the round:
//
//	-hot N [-workers W]   N calls of cgs_noop, split over W goroutines
//	-sleep1ms N           N calls of cgs_sleep_us(1000)
//	-sleep10us N          N calls of cgs_sleep_us(10), spinning: a realistic short call
//	-sleep20ms N          N calls of cgs_sleep_20ms()
//	-callback N           N calls of cgs_outer(2): C -> goInner -> 2 x cgs_inner
//	-block K -block-ms T  K goroutines each in cgs_block_ms(T) at the same time
//	                      (-block-every E: started one every E ms instead, so
//	                      threads grow steadily, as under a steady request rate)
//	-pthreads N           one cgs_spawn_pthreads(N, -pthread-ms) call
//	-panic N              N calls of cgs_panicky, whose Go callback panics;
//	                      the panic unwinds through C and is recovered in Go
//	-nest D               one cgs_nest(D): C -> Go -> C ... D cgo calls nested
//	                      on one thread (D calls of cgs_nest)
//	-phases SCRIPT        first, steps "what:n,..." in order, a program that
//	                      changes pace: hot:N (cgs_noop), sleep1ms:N, sleep10us:N,
//	                      sleep20ms:N, callback:N (cgs_outer(2)), idle:MS,
//	                      patha:N, pathb:N (cgs_sleep_us(200) from main.pathA, main.pathB)
//
// Modifiers: -gc (GC pressure in the background), -stackgrow (the callback
// recurses deeply before calling cgs_inner, so the goroutine stack is copied
// while cgs_outer is in C), -maxthreads N (debug.SetMaxThreads).
//
// The counts in TRUTH are made in Go right before each cgo call and are
// cross-checked against counts the C functions keep; a mismatch, or any C
// error, exits 1.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"cgoscope.test/internal/proto"
)

// config is the scenario, from the command line.
type config struct {
	hot, workers                  int
	sleep1ms, sleep20ms, callback int
	sleep10us                     int
	block, blockMs, blockEvery    int
	pthreads, pthreadMs           int
	panics, nest                  int
	maxThreads, rounds            int
	gc, stackGrow                 bool
	phases                        []phase
}

// cfg is set once in main, before the scenario starts; goInner reads it.
var cfg config

func parseFlags() *proto.Options {
	fs := flag.CommandLine
	fs.IntVar(&cfg.hot, "hot", 0, "`N` calls of cgs_noop in a tight loop")
	fs.IntVar(&cfg.workers, "workers", 1, "split the -hot loop over `W` goroutines")
	fs.IntVar(&cfg.sleep1ms, "sleep1ms", 0, "`N` calls of cgs_sleep_us(1000)")
	fs.IntVar(&cfg.sleep20ms, "sleep20ms", 0, "`N` calls of cgs_sleep_20ms()")
	fs.IntVar(&cfg.sleep10us, "sleep10us", 0, "`N` calls of cgs_sleep_us(10) (spins: a realistic short C call)")
	fs.IntVar(&cfg.callback, "callback", 0, "`N` calls of cgs_outer(2), which calls back into Go and then cgs_inner twice")
	fs.IntVar(&cfg.block, "block", 0, "`K` goroutines each block once in cgs_block_ms, concurrently")
	fs.IntVar(&cfg.blockMs, "block-ms", 1000, "how long each -block call blocks, in `ms`")
	fs.IntVar(&cfg.blockEvery, "block-every", 0, "start the -block goroutines one every `ms` (0: all at once)")
	fs.IntVar(&cfg.pthreads, "pthreads", 0, "one call of cgs_spawn_pthreads creating `N` threads in C")
	fs.IntVar(&cfg.pthreadMs, "pthread-ms", 10, "how long each C thread of -pthreads lives, in `ms`")
	fs.IntVar(&cfg.panics, "panic", 0, "`N` calls of cgs_panicky (the Go callback panics, recovered above the cgo call)")
	fs.IntVar(&cfg.nest, "nest", 0, "one call of cgs_nest(`D`): C -> Go -> C ... D cgo calls nested on one thread")
	fs.IntVar(&cfg.maxThreads, "maxthreads", 0, "debug.SetMaxThreads(`N`) (0: the runtime's default, 10000)")
	fs.IntVar(&cfg.rounds, "rounds", 1, "repeat the whole scenario `R` times")
	fs.BoolVar(&cfg.gc, "gc", false, "allocate and run runtime.GC() in a background goroutine during the scenario")
	fs.BoolVar(&cfg.stackGrow, "stackgrow", false, "recurse deeply inside the callback so the stack is copied while cgs_outer is in C")
	phases := fs.String("phases", "", "steps `what:n,...` run first in each round: hot, sleep1ms, sleep10us, sleep20ms, callback (calls), idle, block (ms)")
	opts := proto.AddFlags(fs)
	flag.Parse()
	var err error
	if cfg.phases, err = parsePhases(*phases); err != nil {
		usage("-phases: %v", err)
	}
	if flag.NArg() > 0 {
		usage("unexpected argument %q", flag.Arg(0))
	}
	for _, v := range []int{cfg.hot, cfg.sleep1ms, cfg.sleep10us, cfg.sleep20ms, cfg.callback, cfg.block,
		cfg.blockMs, cfg.blockEvery, cfg.pthreads, cfg.pthreadMs, cfg.panics, cfg.nest, cfg.maxThreads, cfg.rounds} {
		if v < 0 {
			usage("counts and durations must not be negative")
		}
	}
	if cfg.workers < 1 {
		usage("-workers must be at least 1")
	}
	return opts
}

func usage(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "cgoload: %s\n", fmt.Sprintf(format, args...))
	flag.Usage()
	os.Exit(2)
}

func main() {
	opts := parseFlags()
	if cfg.maxThreads > 0 {
		debug.SetMaxThreads(cfg.maxThreads)
	}
	sess := proto.Begin(opts)

	t0 := time.Now()
	stopGC := func() {}
	if cfg.gc {
		stopGC = startGCPressure()
	}
	for r := 0; r < cfg.rounds && !sess.Stopping(); r++ {
		runRound()
	}
	stopGC()
	elapsed := time.Since(t0)

	crossCheck()
	truth := proto.Truth{
		Pid:             os.Getpid(),
		CThreadsCreated: int(cThreads()),
		ElapsedNs:       elapsed.Nanoseconds(),
	}
	if cfg.block > 0 {
		truth.GoroutinesBlocked = cfg.block
	}
	fillTruth(&truth)
	if len(pathCalls) > 0 {
		truth.Callers = map[string]map[string]uint64{"cgs_sleep_us": pathCalls}
	}
	sess.Finish(truth)
}

// runRound runs every selected part of the scenario once, in order.
func runRound() {
	runPhases(cfg.phases)
	hotLoop(cfg.hot, cfg.workers)
	for i := 0; i < cfg.sleep1ms; i++ {
		counters.sleepUs.timed(func() int64 { return cSleepUs(1000) })
	}
	for i := 0; i < cfg.sleep10us; i++ {
		counters.sleepUs.timed(func() int64 { return cSleepUs(10) })
	}
	for i := 0; i < cfg.sleep20ms; i++ {
		counters.sleep20ms.timed(cSleep20ms)
	}
	for i := 0; i < cfg.callback; i++ {
		counters.outer.timed(func() int64 { return cOuter(2) })
	}
	every := time.Duration(cfg.blockEvery) * time.Millisecond
	concurrently(cfg.block, every, func(int) {
		counters.block.timed(func() int64 { return cBlockMs(cfg.blockMs) })
	})
	if cfg.pthreads > 0 {
		counters.spawn.timed(func() int64 { return cSpawn(cfg.pthreads, cfg.pthreadMs) })
	}
	for i := 0; i < cfg.panics; i++ {
		if !callPanicky() {
			proto.Fatalf("cgs_panicky: the callback's panic was not recovered")
		}
	}
	if cfg.nest > 0 {
		callNest(cfg.nest)
	}
}

// hotLoop makes n cgs_noop calls, split as evenly as possible over w goroutines.
func hotLoop(n, w int) {
	if n == 0 {
		return
	}
	concurrently(w, 0, func(i int) {
		share := n / w
		if i < n%w {
			share++
		}
		for j := 0; j < share; j++ {
			counters.noop.inc()
			cNoop()
		}
	})
}

// concurrently runs f(0) ... f(n-1) in n goroutines, started every apart
// (0: at once), and waits for all of them.
func concurrently(n int, every time.Duration, f func(i int)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		if i > 0 && every > 0 {
			time.Sleep(every)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			f(i)
		}(i)
	}
	wg.Wait()
}

// callPanicky calls cgs_panicky and recovers the panic its callback raises
// (which unwinds through the C frame); it reports whether it recovered it.
func callPanicky() (recovered bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != errDeliberate {
				panic(v)
			}
			recovered = true
		}
	}()
	counters.panicky.inc()
	cPanicky()
	return false
}

// startGCPressure allocates and collects in the background until the
// returned function is called (which waits for the goroutine to end).
func startGCPressure() (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		var keep [64][]byte
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			keep[i%len(keep)] = make([]byte, 64<<10)
			if i%len(keep) == 0 {
				runtime.GC()
				time.Sleep(time.Millisecond)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
