package e2e

// Who is in C, from the runtime's memory (the census): the C function and
// the Go stack of every thread in C, whether or not a probe saw its call
// begin, and the thread-time in C per function and Go caller.

import (
	"strings"
	"testing"
	"time"
)

// stackHas reports whether st has a frame of the Go function fn.
func stackHas(st *Stack, fn string) bool {
	for _, f := range st.Frames {
		if f.Function == fn {
			return true
		}
	}
	return false
}

// checkBlockedBefore asserts a profile of k goroutines that entered
// cgs_block_ms before the tracer attached: each named, with its Go caller
// (main.…) and stack, its elapsed time a lower bound at least since the
// attach and no more than the truth; the verdict names the place.
func checkBlockedBefore(t *testing.T, prof *Profile, proc *Process, k int, inC time.Duration) {
	t.Helper()
	if len(proc.Blocked) != k {
		t.Fatalf("%d calls blocked, the workload blocked %d goroutines in C before the attach", len(proc.Blocked), k)
	}
	for i, b := range proc.Blocked {
		st := prof.StackOf(b.Stack)
		switch {
		case b.Function != "cgs_block_ms":
			t.Errorf("blocked[%d]: function %q, want cgs_block_ms", i, b.Function)
		case !b.ElapsedLowerBound:
			t.Errorf("blocked[%d]: began before the attach, yet its elapsed time is not marked a lower bound", i)
		case time.Duration(b.ElapsedNs) > inC:
			t.Errorf("blocked[%d]: elapsed %v, more than the %v it was in C at most", i, time.Duration(b.ElapsedNs), inC)
		case !strings.HasPrefix(b.CalledFrom, "main."):
			t.Errorf("blocked[%d]: called from %q, want the workload's Go code (main.…)", i, b.CalledFrom)
		case st == nil || !stackHas(st, "main.(*counter).timed") || !stackHas(st, "runtime.goexit"):
			t.Errorf("blocked[%d]: stack %+v, want the goroutine's stack from cgoload's counter up", i, st)
		}
	}
	if proc.Verdict != "warning" || len(proc.Reasons) == 0 ||
		!strings.Contains(proc.Reasons[0], "in cgs_block_ms called from main.") {
		t.Errorf("verdict %s %q: want a warning naming cgs_block_ms and its Go caller", proc.Verdict, proc.Reasons)
	}
}

// TestCensusBlockedBeforeAttach: goroutines in C since before the attach
// are named, with their Go callers and stacks, under the default
// configuration; for Go 1.26 and 1.19 (the old ABI), stripped or not.
func TestCensusBlockedBeforeAttach(t *testing.T) {
	const k, blockMs = 20, 4000
	for _, bin := range []string{"cgoload", "cgoload-stripped", "go1.19"} {
		bin := bin
		t.Run(bin, func(t *testing.T) {
			requireRoot(t)
			name := bin
			if bin == "go1.19" {
				name = matrixBin(t, bin)
			}
			w := startWorkload(t, name, "-block", itoa(k), "-block-ms", itoa(blockMs), "-start-now")
			started := time.Now()
			time.Sleep(time.Second)
			tr := runProfileDefaults(t, "-p", itoa(w.Pid), "--json", "-d", "1")
			tr.Wait(exitTimeout)
			prof := tr.JSON()
			checkBlockedBefore(t, prof, prof.Process(t, w.Pid), k, time.Since(started))
			w.WaitTruth(truthTimeout)
		})
	}
}

// TestCensusCallers: one C function called from two Go call paths, twice as
// much time from the second: the C-time profile tells them apart, in their
// proportion.
func TestCensusCallers(t *testing.T) {
	run := traceDefaults(t, "cgoload", []string{"-phases", "patha:2500,pathb:5000"}, "--json")
	prof, proc := run.stopSampled(t)
	var a, b uint64
	for _, e := range proc.CTime.Entries {
		st := prof.StackOf(e.Stack)
		switch {
		case e.Function != "cgs_sleep_us" || st == nil:
		case stackHas(st, "main.pathA"):
			a += e.Ns
		case stackHas(st, "main.pathB"):
			b += e.Ns
		}
	}
	callers := run.truth.Callers["cgs_sleep_us"]
	if callers["main.pathA"] != 2500 || callers["main.pathB"] != 5000 {
		t.Fatalf("TRUTH callers %v", callers)
	}
	ratio := float64(b) / float64(a)
	t.Logf("thread-time in cgs_sleep_us: %v from main.pathA, %v from main.pathB (ratio %.2f, truth 2); census %v",
		time.Duration(a), time.Duration(b), ratio, time.Duration(proc.CTime.CensusNs))
	if a == 0 || ratio < 1.5 || ratio > 2.6 {
		t.Errorf("main.pathB / main.pathA thread-time %.2f, want about 2", ratio)
	}
	f := proc.Func("cgs_sleep_us")
	if f == nil || f.Calls != 7500 {
		t.Fatalf("cgs_sleep_us: %v calls, the workload made 7500", callsOf(f))
	}
	// the traced calls' Go stacks (200 us each: every stack read): exact per caller
	got := map[string]uint64{}
	for _, c := range f.Callers {
		st := prof.StackOf(c.Stack)
		for _, caller := range []string{"main.pathA", "main.pathB"} {
			if st != nil && stackHas(st, caller) && c.Exact {
				got[caller] += c.Calls
			}
		}
	}
	if got["main.pathA"] != 2500 || got["main.pathB"] != 5000 {
		t.Errorf("traced calls of cgs_sleep_us by Go caller %v, the workload made %v", got, callers)
	}
}

// TestCensusManyThreads: 1200 threads in C at once, every one named.
func TestCensusManyThreads(t *testing.T) {
	requireRoot(t)
	const k = 1200
	w := startWorkload(t, "cgoload", "-block", itoa(k), "-block-ms", "4000", "-start-now")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if n, err := procThreads(w.Pid); err == nil && n >= k {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workload never had %d threads", k)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1200 * time.Millisecond) // each in C for over a second before the attach
	tr := runProfileDefaults(t, "-p", itoa(w.Pid), "--json", "-d", "1")
	tr.Wait(exitTimeout)
	prof := tr.JSON()
	proc := prof.Process(t, w.Pid)
	named := 0
	for _, b := range proc.Blocked {
		if b.Function == "cgs_block_ms" && strings.HasPrefix(b.CalledFrom, "main.") {
			named++
		}
	}
	if named != k {
		t.Errorf("%d of %d blocked calls named with their Go caller (%d listed)", named, k, len(proc.Blocked))
	}
	w.WaitTruth(truthTimeout)
}
