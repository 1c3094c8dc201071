package main

import (
	"sync"
	"sync/atomic"
	"time"

	"cgoscope.test/internal/proto"
)

// counter counts the calls of one C function, made from Go, and for timed
// functions records how long each call took, in C and around the cgo call.
type counter struct {
	name string
	n    uint64 // atomic

	mu     sync.Mutex
	timing proto.Timing
}

// inc counts one call; done right before the cgo call.
func (c *counter) inc() { atomic.AddUint64(&c.n, 1) }

func (c *counter) calls() uint64 { return atomic.LoadUint64(&c.n) }

// timed counts one call, runs call (a cgo call returning the duration it
// measured in C, or -errno) and records both durations.
func (c *counter) timed(call func() int64) {
	c.inc()
	t0 := time.Now()
	cNs := call()
	goNs := time.Since(t0).Nanoseconds()
	if cNs < 0 {
		proto.Fatalf("%s failed: errno %d", c.name, -cNs)
	}
	c.mu.Lock()
	c.timing.Add(cNs, goNs)
	c.mu.Unlock()
}

// counters holds one counter per C function cgoload calls.
var counters = struct {
	noop, sleepUs, sleep20ms, outer, inner, block, spawn, panicky, nest counter
}{
	noop:      counter{name: "cgs_noop"},
	sleepUs:   counter{name: "cgs_sleep_us"},
	sleep20ms: counter{name: "cgs_sleep_20ms"},
	outer:     counter{name: "cgs_outer"},
	inner:     counter{name: "cgs_inner"},
	block:     counter{name: "cgs_block_ms"},
	spawn:     counter{name: "cgs_spawn_pthreads"},
	panicky:   counter{name: "cgs_panicky"},
	nest:      counter{name: "cgs_nest"},
}

func allCounters() []*counter {
	c := &counters
	return []*counter{&c.noop, &c.sleepUs, &c.sleep20ms, &c.outer, &c.inner, &c.block, &c.spawn, &c.panicky, &c.nest}
}

// crossCheck compares every Go-side count with the count C kept itself.
func crossCheck() {
	for _, c := range allCounters() {
		if goN, cN := c.calls(), cCalls(c.name); goN != cN {
			proto.Fatalf("%s: Go counted %d calls, C counted %d", c.name, goN, cN)
		}
	}
	if cPanickyReturned() {
		proto.Fatalf("cgs_panicky: C code ran after the panicking callback")
	}
}

// fillTruth puts the calls (only functions actually called) and timings into t.
func fillTruth(t *proto.Truth) {
	t.Calls = map[string]uint64{}
	t.Timing = map[string]proto.Timing{}
	for _, c := range allCounters() {
		if n := c.calls(); n > 0 {
			t.Calls[c.name] = n
		}
		c.mu.Lock()
		if c.timing.Calls > 0 {
			t.Timing[c.name] = c.timing
		}
		c.mu.Unlock()
	}
}
