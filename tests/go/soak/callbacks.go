package main

// Go functions that C calls back (C -> Go -> C). A file with //export may only
// declare C functions in its preamble; they are defined in cfuncs.go.

/*
#include <stdint.h>
*/
import "C"

import (
	"sync/atomic"

	"cgoscope.test/internal/proto"
)

// Modes of cgs_soak_outer's callback.
const (
	modePlain  = iota // recurse, then cgs_soak_inner at the bottom
	modeNested        // ... then cgs_soak_outer again: C -> Go -> C -> Go -> C
	modePanic         // ... then cgs_soak_panicky, recovered in this callback, then cgs_soak_inner
)

// stackGrowFrame is the size of each frame of growThenCall: depth frames of it
// force the goroutine stack (a few KiB at first) to be grown and copied while
// cgs_soak_outer's cgo frame is live on it.
const stackGrowFrame = 512

// goSoakDeep is called by cgs_soak_outer(depth, mode).
//
//export goSoakDeep
func goSoakDeep(depth, mode C.int) C.longlong {
	d := int(depth)
	v := growThenCall(d, func() int64 { return cInner(int64(d)) })
	switch int(mode) {
	case modeNested:
		v += cOuter(d/2, modePlain)
	case modePanic:
		if !callPanicky() {
			proto.Fatalf("cgs_soak_panicky inside a callback: the panic was not recovered")
		}
		atomic.AddUint64(&stats.NestedPanics, 1)
		v += cInner(1)
	}
	return C.longlong(v)
}

// outerWant is what cgs_soak_outer(depth, mode) must return.
func outerWant(d, mode int) int64 {
	v := int64(3*d + 1)
	switch mode {
	case modeNested:
		v += outerWant(d/2, modePlain)
	case modePanic:
		v += 4
	}
	return v + 1
}

// growThenCall recurses depth frames deep, each with a stackGrowFrame-byte
// local, runs f at the bottom and returns its result; on the way back it
// checks that every frame's local survived the stack copies.
//
//go:noinline
func growThenCall(depth int, f func() int64) int64 {
	var pad [stackGrowFrame]byte
	pad[depth%stackGrowFrame] = byte(depth)
	if depth == 0 {
		return f()
	}
	r := growThenCall(depth-1, f)
	if pad[depth%stackGrowFrame] != byte(depth) {
		proto.Fatalf("a goroutine stack frame changed across a callback's stack growth")
	}
	return r
}

// panicValue is what goSoakPanic panics with; callPanicky recovers exactly it.
type panicValue struct{}

var errDeliberate = panicValue{}

// goSoakPanic is called by cgs_soak_panicky and panics; the panic unwinds
// through the C frame (the rest of runtime.cgocall, exitsyscall included, is
// skipped for that call).
//
//export goSoakPanic
func goSoakPanic() {
	panic(errDeliberate)
}

// callPanicky calls cgs_soak_panicky and recovers the panic its callback
// raises; it reports whether it recovered it.
func callPanicky() (recovered bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != errDeliberate {
				panic(v)
			}
			recovered = true
		}
	}()
	cPanicky()
	return false
}
