// Command soak is the target-safety soak workload: for -duration it runs, all
// at once, the things that stress a tracer of cgo calls, and checks its own
// results throughout:
//
//   - GC pressure: allocation of checksummed trees, runtime.GC, a low GOGC;
//   - callbacks that grow the goroutine stack (C -> Go -> deep recursion ->
//     C), some nested twice (C -> Go -> C -> Go -> C), each result checked;
//   - panics that cross cgo boundaries and are recovered: at the top level
//     (cgs_soak_panicky from a goroutine locked to its thread) and inside a
//     callback (C -> Go -> C panics -> recovered in the callback -> C);
//   - goroutines locked to their thread (runtime.LockOSThread) making cgo
//     calls that must all run on that thread; half of them end while still
//     locked, so the runtime ends their thread;
//   - a swarm of goroutines (-goroutines, 2000) making short cgo calls and
//     migrating between threads (counted: a call on another thread than the
//     goroutine's previous one);
//   - fork/exec of children: /bin/true, and this binary in -child mode, which
//     makes cgo calls itself and reports them.
//
// It speaks the workload protocol (cgoscope.test/internal/proto): READY, wait
// for SIGUSR1, run, TRUTH (every cgo call per C function, counted in Go right
// before the call and cross-checked against C's own counts), wait for SIGTERM.
// Before TRUTH it prints one line "SOAK <json>" with what happened (stats).
// Any wrong result exits 1.
//
// Every call of cgs_soak_panicky panics. Those calls never return through
// runtime.cgocall; a tracer sees them begin and never end (cgoscope counts
// each as a stale_frame drop at the thread's next cgo call). The goroutine
// making the top-level ones is locked to its thread and makes one more cgo
// call at the end, so every such frame is popped before TRUTH.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"cgoscope.test/internal/proto"
)

// counter counts the calls of one C function, made from Go.
type counter struct {
	name string
	n    uint64 // atomic
}

func (c *counter) inc()          { atomic.AddUint64(&c.n, 1) }
func (c *counter) calls() uint64 { return atomic.LoadUint64(&c.n) }

var counters = struct {
	noop, work, outer, inner, panicky, locked, child counter
}{
	noop: counter{name: "cgs_soak_noop"}, work: counter{name: "cgs_soak_work"},
	outer: counter{name: "cgs_soak_outer"}, inner: counter{name: "cgs_soak_inner"},
	panicky: counter{name: "cgs_soak_panicky"}, locked: counter{name: "cgs_soak_locked"},
	child: counter{name: "cgs_soak_child"},
}

func allCounters() []*counter {
	c := &counters
	return []*counter{&c.noop, &c.work, &c.outer, &c.inner, &c.panicky, &c.locked, &c.child}
}

// Stats is the SOAK line: what the run did besides the calls in TRUTH.
type Stats struct {
	TopPanics          uint64  `json:"top_panics"`    // cgs_soak_panicky from a locked goroutine
	NestedPanics       uint64  `json:"nested_panics"` // ... inside a callback
	Migrations         uint64  `json:"migrations"`    // swarm calls on another thread than the previous one
	StackGrowCallbacks uint64  `json:"stack_grow_callbacks"`
	LockedGoroutines   uint64  `json:"locked_goroutines"`
	LockedExitedLocked uint64  `json:"locked_exited_locked"` // ... that ended locked (thread ended)
	ChildrenTrue       uint64  `json:"children_true"`
	ChildrenSoak       uint64  `json:"children_soak"`
	GCChecks           uint64  `json:"gc_checks"`
	NumGC              uint32  `json:"num_gc"`
	Goroutines         int     `json:"goroutines"`
	ThreadsPeak        int     `json:"threads_peak"`
	DurationS          float64 `json:"duration_s"`
}

var stats Stats

type config struct {
	duration   time.Duration
	goroutines int
	callbacks  int
	locked     int
	forkEvery  time.Duration
	child      int
}

var cfg config

func main() {
	fs := flag.CommandLine
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long the soak runs")
	fs.IntVar(&cfg.goroutines, "goroutines", 2000, "`N` goroutines making short cgo calls")
	fs.IntVar(&cfg.callbacks, "callbacks", 4, "`N` goroutines making callback calls (stack growth, nesting, panics)")
	fs.IntVar(&cfg.locked, "locked", 4, "`N` goroutines starting thread-locked goroutines one after another")
	fs.DurationVar(&cfg.forkEvery, "fork-every", 100*time.Millisecond, "start a child this often (0: none)")
	fs.IntVar(&cfg.child, "child", 0, "child mode: make `N` cgo calls, print CHILD OK N, exit (no protocol)")
	opts := proto.AddFlags(fs)
	flag.Parse()
	if cfg.child > 0 {
		childMode(cfg.child)
		return
	}
	if cfg.duration <= 0 || cfg.goroutines < 0 || cfg.callbacks < 0 || cfg.locked < 0 {
		fmt.Fprintln(os.Stderr, "soak: bad flags")
		os.Exit(2)
	}
	sess := proto.Begin(opts)
	t0 := time.Now()
	run(sess, t0.Add(cfg.duration))
	stats.DurationS = time.Since(t0).Seconds()

	for _, c := range allCounters() {
		if goN, cN := c.calls(), cCalls(c.name); goN != cN {
			proto.Fatalf("%s: Go counted %d calls, C counted %d", c.name, goN, cN)
		}
	}
	if cPanickyReturned() {
		proto.Fatalf("cgs_soak_panicky: C code ran after the panicking callback")
	}
	if p := stats.TopPanics + stats.NestedPanics; p != counters.panicky.calls() {
		proto.Fatalf("%d panics recovered, %d calls of cgs_soak_panicky", p, counters.panicky.calls())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stats.NumGC = ms.NumGC
	b, _ := json.Marshal(&stats)
	fmt.Printf("SOAK %s\n", b)
	truth := proto.Truth{Pid: os.Getpid(), Calls: map[string]uint64{}, ElapsedNs: int64(stats.DurationS * 1e9)}
	for _, c := range allCounters() {
		if n := c.calls(); n > 0 {
			truth.Calls[c.name] = n
		}
	}
	sess.Finish(truth)
}

// run starts every part, waits for all of them to end (at deadline, or
// sooner on a stop request) and watches the thread count meanwhile.
func run(sess *proto.Session, deadline time.Time) {
	debug.SetGCPercent(20)
	var wg sync.WaitGroup
	over := func() bool { return time.Now().After(deadline) || sess.Stopping() }
	spawn := func(n int, f func(i int)) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) { defer wg.Done(); f(i) }(i)
		}
	}
	spawn(1, func(int) { gcPressure(over) })
	spawn(cfg.goroutines, func(i int) { swarm(i, over) })
	spawn(cfg.callbacks, func(i int) { callbacks(i, over) })
	spawn(cfg.locked, func(i int) { lockedStarter(i, over) })
	spawn(1, func(int) { topPanicker(over) })
	if cfg.forkEvery > 0 {
		spawn(1, func(int) { forker(over) })
	}
	stats.Goroutines = runtime.NumGoroutine()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if n := threads(); n > stats.ThreadsPeak {
			stats.ThreadsPeak = n
		}
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// swarm: short cgo calls with sleeps in between, so goroutines keep moving
// between threads; every 8th call is cgs_soak_work with a checked result.
func swarm(i int, over func() bool) {
	r := rand.New(rand.NewSource(int64(i)))
	last := 0
	for n := 0; !over(); n++ {
		tid := cNoop()
		if tid <= 0 {
			proto.Fatalf("cgs_soak_noop returned thread %d", tid)
		}
		if last != 0 && tid != last {
			atomic.AddUint64(&stats.Migrations, 1)
		}
		last = tid
		if n%8 == 0 {
			x := r.Uint64()
			if got, want := cWork(x), skWork(x); got != want {
				proto.Fatalf("cgs_soak_work(%d) = %d, want %d", x, got, want)
			}
		}
		if n%4 == 0 {
			runtime.Gosched()
		} else {
			time.Sleep(time.Duration(r.Intn(3000)) * time.Microsecond)
		}
	}
}

// skWork is cgs_soak_work in Go.
func skWork(x uint64) uint64 {
	for i := 0; i < 64; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// callbacks: C -> Go -> deep recursion -> C, plain, nested, or with a
// panic recovered inside the callback (one call in 8).
func callbacks(i int, over func() bool) {
	r := rand.New(rand.NewSource(int64(1000 + i)))
	for n := 0; !over(); n++ {
		depth := 16 + r.Intn(4096) // up to ~2 MiB of stack
		mode := modePlain
		switch n % 8 {
		case 3:
			mode = modeNested
		case 7:
			mode = modePanic
		}
		if got, want := cOuter(depth, mode), outerWant(depth, mode); got != want {
			proto.Fatalf("cgs_soak_outer(%d, %d) = %d, want %d", depth, mode, got, want)
		}
		atomic.AddUint64(&stats.StackGrowCallbacks, 1)
		time.Sleep(time.Duration(r.Intn(2000)) * time.Microsecond)
	}
}

// lockedStarter starts thread-locked goroutines one after another; each
// makes cgo calls that must all run on its thread; every other one ends
// while still locked, which makes the runtime end its thread.
func lockedStarter(i int, over func() bool) {
	for n := 0; !over(); n++ {
		exitLocked := (i+n)%2 == 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			runtime.LockOSThread()
			if !exitLocked {
				defer runtime.UnlockOSThread()
			}
			tid := syscall.Gettid()
			for k := 0; k < 50; k++ {
				if got := cLocked(); got != tid {
					proto.Fatalf("a goroutine locked to thread %d made a cgo call on thread %d", tid, got)
				}
				if k%10 == 0 {
					runtime.Gosched()
				}
			}
			atomic.AddUint64(&stats.LockedGoroutines, 1)
			if exitLocked {
				atomic.AddUint64(&stats.LockedExitedLocked, 1)
			}
		}()
		<-done
		time.Sleep(5 * time.Millisecond)
	}
}

// topPanicker: on one locked thread, cgs_soak_panicky (its callback panics
// through the C frame, recovered here) every few ms, then one last ordinary
// call on the same thread.
func topPanicker(over func() bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	for !over() {
		if !callPanicky() {
			proto.Fatalf("cgs_soak_panicky: the panic was not recovered")
		}
		atomic.AddUint64(&stats.TopPanics, 1)
		time.Sleep(10 * time.Millisecond)
	}
	if got := cLocked(); got != tid {
		proto.Fatalf("the panicking goroutine, locked to thread %d, made a cgo call on thread %d", tid, got)
	}
}

// gcPressure allocates checksummed trees and collects, checking the trees.
func gcPressure(over func() bool) {
	var keep [16]*node
	for n := 0; !over(); n++ {
		t := build(10, uint64(n))
		keep[n%len(keep)] = t
		if n%4 == 0 {
			runtime.GC()
		}
		for _, k := range keep {
			if k != nil && k.sum() != k.want {
				proto.Fatalf("a tree changed under GC")
			}
		}
		atomic.AddUint64(&stats.GCChecks, 1)
		if n%64 == 0 {
			debug.FreeOSMemory()
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type node struct {
	val         uint64
	left, right *node
	pad         []byte
	want        uint64
}

func build(depth int, seed uint64) *node {
	n := &node{val: seed, pad: make([]byte, 64)}
	if depth > 0 {
		n.left = build(depth-1, seed*2+1)
		n.right = build(depth-1, seed*2+2)
	}
	n.want = n.sum()
	return n
}

func (n *node) sum() uint64 {
	if n == nil {
		return 0
	}
	return n.val + n.left.sum() + 3*n.right.sum()
}

// forker alternates /bin/true and this binary in -child mode; both must exit
// 0, and the child must report its calls.
func forker(over func() bool) {
	self, err := os.Executable()
	if err != nil {
		proto.Fatalf("os.Executable: %v", err)
	}
	for n := 0; !over(); n++ {
		if n%2 == 0 {
			if err := exec.Command("/bin/true").Run(); err != nil {
				proto.Fatalf("/bin/true: %v", err)
			}
			atomic.AddUint64(&stats.ChildrenTrue, 1)
		} else {
			out, err := exec.Command(self, "-child", "50").Output()
			if err != nil || strings.TrimSpace(string(out)) != "CHILD OK 50" {
				proto.Fatalf("soak -child 50: %v, output %q", err, out)
			}
			atomic.AddUint64(&stats.ChildrenSoak, 1)
		}
		time.Sleep(cfg.forkEvery)
	}
}

// childMode makes n cgo calls from a few goroutines and checks them.
func childMode(n int) {
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < n; i += 4 {
				if got := cChild(i); got != i^0x5a5a {
					proto.Fatalf("cgs_soak_child(%d) = %d", i, got)
				}
			}
		}(g)
	}
	wg.Wait()
	if c := cCalls("cgs_soak_child"); c != uint64(n) || counters.child.calls() != uint64(n) {
		proto.Fatalf("child: %d calls counted in C, %d in Go, want %d", c, counters.child.calls(), n)
	}
	fmt.Printf("CHILD OK %d\n", n)
}

// threads returns the process's thread count (0 if unknown).
func threads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Threads:") {
			n, _ := strconv.Atoi(strings.TrimSpace(l[len("Threads:"):]))
			return n
		}
	}
	return 0
}
