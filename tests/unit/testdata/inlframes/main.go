// inlframes prints, for a few stacks with inlined calls, each PC of runtime.Callers and the
// frame runtime.CallersFrames gives it: the ground truth of test_gosym's inline expansion.
//
// Output: "ENTRY main.record <runtime entry address>" (a PIE's load bias follows from it),
// then per stack "STACK <name>" and one "PC <pc> <function> <file> <line>" line per frame,
// tab-separated, innermost first. Callers gives one PC per frame, inlined ones included.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
)

type store struct{ depth int }

var sink int

// record is the innermost physical frame of every stack.
//
//go:noinline
func record() []uintptr {
	pcs := make([]uintptr, 64)
	return pcs[:runtime.Callers(1, pcs)]
}

func leaf() []uintptr { return record() }

func mid() []uintptr {
	sink++
	return leaf()
}

//go:noinline
func outer() []uintptr { return mid() }

func (s *store) load() []uintptr {
	s.depth++
	return mid()
}

func (s *store) Get() []uintptr { return s.load() }

//go:noinline
func viaMethod(s *store) []uintptr { return s.Get() }

//go:noinline
func run(f func() []uintptr) []uintptr { return f() }

func show(name string, pcs []uintptr) {
	frames := runtime.CallersFrames(pcs)
	fmt.Printf("STACK %s\n", name)
	for i := 0; ; i++ {
		f, more := frames.Next()
		if i >= len(pcs) || f.PC+1 != pcs[i] {
			fmt.Fprintf(os.Stderr, "inlframes: frame %d of %s is not PC %d\n", i, name, i)
			os.Exit(1)
		}
		fmt.Printf("PC\t%#x\t%s\t%s\t%d\n", pcs[i], f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
}

func main() {
	pcs := record()
	fmt.Printf("ENTRY main.record %#x\n", runtime.FuncForPC(pcs[0]).Entry())
	show("direct", outer())
	show("method", viaMethod(&store{}))
	show("closure", run(func() []uintptr { return leaf() }))
	var wg sync.WaitGroup
	var g []uintptr
	wg.Add(1)
	go func() {
		defer wg.Done()
		g = run(func() []uintptr { return (&store{}).Get() })
	}()
	wg.Wait()
	show("goroutine", g)
}
