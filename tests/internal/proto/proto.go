// Package proto is the small protocol every test workload under tests/go speaks,
// so that a tracer can attach before anything interesting happens and a test can
// compare what the tracer saw with what the program itself did.
//
//  1. The program prints "READY <pid>" on stdout (unbuffered: os.Stdout).
//  2. It waits for SIGUSR1, or starts at once with -start-now.
//  3. It runs its scenario and prints one line "TRUTH <json>" (see Truth).
//  4. It waits for SIGTERM or SIGINT, or for EOF on stdin when stdin is a pipe
//     (so a workload whose test died does not linger); -linger-forever ignores
//     stdin. With -exit-after it exits right after TRUTH.
//  5. It exits 0. Any internal error exits 1 with a message on stderr.
//
// A stop request that arrives before the start signal ends the program at once
// (exit 0, no TRUTH). The package imports nothing that links runtime/cgo, so
// pure-Go workloads (tests/go/nocgo) can use it.
package proto

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
)

// Truth is what a workload reports about itself on its TRUTH line.
type Truth struct {
	Pid int `json:"pid"`
	// Calls counts the calls of each C function the program made, by C name;
	// only functions actually called appear. Counted by the caller, in Go.
	Calls map[string]uint64 `json:"calls"`
	// GoroutinesBlocked is how many goroutines were blocked in C at the same
	// time by the blocking scenario (cgoload -block K: K).
	GoroutinesBlocked int `json:"goroutines_blocked"`
	// CThreadsCreated counts the threads C code created with pthread_create.
	CThreadsCreated int `json:"c_threads_created"`
	// Timing holds measured durations of the timed C functions, by C name.
	Timing map[string]Timing `json:"timing,omitempty"`
	// Callers counts, per C function, the calls made from each Go function
	// (by its full name, e.g. "main.pathA"), for workloads that know them.
	Callers map[string]map[string]uint64 `json:"callers,omitempty"`
	// ElapsedNs is the wall time of the whole scenario (all rounds).
	ElapsedNs int64 `json:"elapsed_ns"`
	// CgoCalls is every cgo call the scenario made (how far runtime.NumCgoCall
	// moved, read once no goroutine calls C any more), from a workload whose
	// library makes calls it cannot count by function (a binding's poller);
	// 0: not known.
	CgoCalls uint64 `json:"cgo_calls,omitempty"`
	// Ops counts operations made through a library's Go API that map to its C
	// calls only loosely (a Flush, a delivery report), by the workload's names.
	Ops map[string]uint64 `json:"ops,omitempty"`
}

// Timing brackets the true duration of each call of one C function: the C
// function measures itself from its first to its last statement (C*), and the
// Go caller measures around the cgo call (Go*). A tracer's span of a call lies
// between the two, on the same clock (CLOCK_MONOTONIC). A library's C
// function does not measure itself: its C bounds are 0.
type Timing struct {
	Calls     uint64 `json:"calls"`
	CMinNs    int64  `json:"c_min_ns"`
	CMaxNs    int64  `json:"c_max_ns"`
	CTotalNs  int64  `json:"c_total_ns"`
	GoMinNs   int64  `json:"go_min_ns"`
	GoMaxNs   int64  `json:"go_max_ns"`
	GoTotalNs int64  `json:"go_total_ns"`
}

// Add records one call that took cNs inside C and goNs around the cgo call.
func (t *Timing) Add(cNs, goNs int64) {
	if t.Calls == 0 || cNs < t.CMinNs {
		t.CMinNs = cNs
	}
	if t.Calls == 0 || goNs < t.GoMinNs {
		t.GoMinNs = goNs
	}
	if cNs > t.CMaxNs {
		t.CMaxNs = cNs
	}
	if goNs > t.GoMaxNs {
		t.GoMaxNs = goNs
	}
	t.CTotalNs += cNs
	t.GoTotalNs += goNs
	t.Calls++
}

// Options are the protocol's command-line flags.
type Options struct {
	StartNow      bool
	LingerForever bool
	ExitAfter     bool
}

// AddFlags registers -start-now, -linger-forever and -exit-after on fs.
func AddFlags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.BoolVar(&o.StartNow, "start-now", false, "start the scenario at once instead of waiting for SIGUSR1")
	fs.BoolVar(&o.LingerForever, "linger-forever", false, "after TRUTH, ignore EOF on stdin; exit only on SIGTERM/SIGINT")
	fs.BoolVar(&o.ExitAfter, "exit-after", false, "exit right after printing TRUTH")
	return o
}

// Session is one run of the protocol.
type Session struct {
	opts      *Options
	start     chan struct{} // closed on SIGUSR1
	stop      chan struct{} // closed on SIGTERM/SIGINT/stdin EOF
	startOnce sync.Once
	stopOnce  sync.Once
}

// Begin installs the signal handlers, prints READY and waits for the start
// signal. If a stop request comes first, it exits the program (status 0).
func Begin(opts *Options) *Session {
	s := &Session{opts: opts, start: make(chan struct{}), stop: make(chan struct{})}
	// Handlers first: SIGUSR1's default action would kill the program.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM, syscall.SIGINT)
	go s.handleSignals(sigs)
	if !opts.LingerForever && stdinIsPipe() {
		go s.watchStdin()
	}
	fmt.Printf("READY %d\n", os.Getpid())
	if opts.StartNow {
		s.startOnce.Do(func() { close(s.start) })
	}
	select {
	case <-s.start:
	case <-s.stop:
		os.Exit(0)
	}
	return s
}

// Stopping reports whether a stop has been requested; scenarios check it
// between rounds so SIGTERM does not wait for a long run to finish.
func (s *Session) Stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// Done is closed when a stop has been requested.
func (s *Session) Done() <-chan struct{} { return s.stop }

// Finish prints the TRUTH line, waits for the stop request (unless
// -exit-after) and exits 0.
func (s *Session) Finish(t Truth) {
	if t.Calls == nil {
		t.Calls = map[string]uint64{}
	}
	b, err := json.Marshal(t)
	if err != nil {
		Fatalf("encoding truth: %v", err)
	}
	fmt.Printf("TRUTH %s\n", b)
	if !s.opts.ExitAfter {
		<-s.stop
	}
	os.Exit(0)
}

// Fatalf reports an internal error on stderr and exits 1.
func Fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s: error: %s\n", filepath.Base(os.Args[0]), fmt.Sprintf(format, args...))
	os.Exit(1)
}

func (s *Session) handleSignals(sigs <-chan os.Signal) {
	for sig := range sigs {
		if sig == syscall.SIGUSR1 {
			s.startOnce.Do(func() { close(s.start) })
		} else {
			s.requestStop()
		}
	}
}

func (s *Session) requestStop() { s.stopOnce.Do(func() { close(s.stop) }) }

// watchStdin requests a stop when stdin reaches EOF (the parent went away).
func (s *Session) watchStdin() {
	_, _ = io.Copy(io.Discard, os.Stdin)
	s.requestStop()
}

func stdinIsPipe() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && fi.Mode()&os.ModeNamedPipe != 0
}
