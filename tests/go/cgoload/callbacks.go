package main

// Go functions that C calls back (C -> Go -> C). A file with //export may only
// declare C functions in its preamble; they are defined in cfuncs.go.

/*
void cgs_inner(void);
void cgs_nest(int d);
*/
import "C"

// stackGrowDepth frames of stackGrowFrame bytes each (~2 MiB) force the
// goroutine stack, which starts at a few KiB, to be grown and copied several
// times while cgs_outer's cgo frame is live on it.
const (
	stackGrowDepth = 4096
	stackGrowFrame = 512
)

// goInner is called by cgs_outer(n) and calls cgs_inner n times, from deep
// recursion when -stackgrow is on.
//
//export goInner
func goInner(n C.int) {
	for i := 0; i < int(n); i++ {
		if cfg.stackGrow {
			growThenCall(stackGrowDepth, callInner)
		} else {
			callInner()
		}
	}
}

func callInner() {
	counters.inner.inc()
	cInner()
}

// growThenCall recurses depth frames deep, each with a stackGrowFrame-byte
// local the compiler cannot drop, and runs f at the bottom.
//
//go:noinline
func growThenCall(depth int, f func()) byte {
	var pad [stackGrowFrame]byte
	pad[depth%stackGrowFrame] = byte(depth)
	if depth == 0 {
		f()
		return pad[0]
	}
	return growThenCall(depth-1, f) + pad[depth%stackGrowFrame]
}

// errDeliberate is what goPanicky panics with; callPanicky recovers exactly it.
type panicValue struct{}

var errDeliberate = panicValue{}

// goPanicky is called by cgs_panicky and panics. The Go runtime supports a
// panic unwinding through the C frames of a callback: cgocallbackg defers
// unwindm, which restores the g0 stack and undoes cgocall's accounting
// (runtime/cgocall.go). The C code after the callback is skipped, and so is
// the rest of runtime.cgocall for the cgs_panicky call, including its
// exitsyscall: a tracer sees the call enter C and never leave it normally.
//
//export goPanicky
func goPanicky() {
	panic(errDeliberate)
}

// goNest is called by cgs_nest(d + 1) and calls cgs_nest(d): one more level
// of C -> Go -> C nesting on the same thread.
//
//export goNest
func goNest(d C.int) {
	callNest(int(d))
}

func callNest(d int) {
	counters.nest.inc()
	cNest(d)
}
