package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A phase is one step of a -phases script: what to do and how much of it.
type phase struct {
	what string // hot, sleep1ms, sleep10us, sleep20ms, callback, idle, block, patha, pathb
	n    int    // calls, or milliseconds for idle and block
}

// parsePhases reads "what:n,what:n,...": a program that changes pace, run
// in order (every round) before the fixed parts of the scenario.
func parsePhases(s string) ([]phase, error) {
	if s == "" {
		return nil, nil
	}
	var ps []phase
	for _, step := range strings.Split(s, ",") {
		colon := strings.IndexByte(step, ':') // no strings.Cut: the matrix builds it with Go 1.16
		if colon < 0 {
			return nil, fmt.Errorf("phase %q: want what:count", step)
		}
		what := step[:colon]
		n, err := strconv.Atoi(step[colon+1:])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("phase %q: want what:count with count >= 0", step)
		}
		switch what {
		case "hot", "sleep1ms", "sleep10us", "sleep20ms", "callback", "idle", "block", "patha", "pathb":
		default:
			return nil, fmt.Errorf("phase %q: unknown step %q", step, what)
		}
		ps = append(ps, phase{what, n})
	}
	return ps, nil
}

// runPhases runs each step of ps in order, the calls from one goroutine
// (hot: split over -workers).
func runPhases(ps []phase) {
	for _, p := range ps {
		switch p.what {
		case "hot":
			hotLoop(p.n, cfg.workers)
		case "sleep1ms":
			repeat(p.n, &counters.sleepUs, func() int64 { return cSleepUs(1000) })
		case "sleep10us":
			repeat(p.n, &counters.sleepUs, func() int64 { return cSleepUs(10) })
		case "sleep20ms":
			repeat(p.n, &counters.sleep20ms, cSleep20ms)
		case "callback":
			repeat(p.n, &counters.outer, func() int64 { return cOuter(2) })
		case "idle":
			time.Sleep(time.Duration(p.n) * time.Millisecond)
		case "block": // one call of cgs_block_ms, n ms long
			counters.block.timed(func() int64 { return cBlockMs(p.n) })
		case "patha":
			for i := 0; i < p.n; i++ {
				pathA()
			}
		case "pathb":
			for i := 0; i < p.n; i++ {
				pathB()
			}
		}
	}
}

// repeat makes n timed calls of call, counted by c.
func repeat(n int, c *counter, call func() int64) {
	for i := 0; i < n; i++ {
		c.timed(call)
	}
}

// pathCalls counts the cgs_sleep_us calls of pathA and pathB, by caller.
var pathCalls = map[string]uint64{}

// pathA and pathB call the same C function (cgs_sleep_us, 200 us) from two Go
// call paths, so that a tracer can tell its callers apart.
//
//go:noinline
func pathA() {
	pathCalls["main.pathA"]++
	counters.sleepUs.timed(func() int64 { return cSleepUs(200) })
}

//go:noinline
func pathB() {
	pathCalls["main.pathB"]++
	counters.sleepUs.timed(func() int64 { return cSleepUs(200) })
}
