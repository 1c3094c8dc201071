package e2e

import (
	"bufio"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cgoscope.test/internal/proto"
)

// TestProfile traces cgoload scenarios with `cgoscope profile --json` and
// checks the report against the workload's own counts and timings (checkRun),
// plus what is particular to each scenario.
func TestProfile(t *testing.T) {
	cases := []struct {
		name     string
		workload string
		args     []string
		check    func(t *testing.T, proc *Process)
	}{
		// (a) Many very short calls: every one must be counted.
		{name: "hot", workload: "cgoload", args: []string{"-hot", "200000"}},
		// (b) Known durations: histogram slots and totals.
		{name: "sleepers", workload: "cgoload", args: []string{"-sleep1ms", "50", "-sleep20ms", "10"}, check: checkSleepers},
		// (c) C -> Go -> C on one thread: nested calls paired right.
		{name: "callbacks", workload: "cgoload", args: []string{"-callback", "100"}, check: checkNested},
		// (d) The same function on many threads at once.
		{name: "workers", workload: "cgoload", args: []string{"-hot", "100000", "-workers", "8"}},
		// (e) No .symtab: names must come from elsewhere (.gopclntab).
		{name: "stripped", workload: "cgoload-stripped", args: []string{"-hot", "50000", "-sleep1ms", "20", "-callback", "20"}, check: checkNested},
		// Threads made by C code, not by the Go runtime.
		{name: "pthreads", workload: "cgoload", args: []string{"-pthreads", "8", "-pthread-ms", "50"}, check: checkPthreads},
		// The goroutine stack is copied (and collected) while cgs_outer is in C.
		{name: "stackgrow", workload: "cgoload", args: []string{"-callback", "50", "-stackgrow", "-gc"}, check: checkNested},
		// GC pressure while many short calls run.
		{name: "gc", workload: "cgoload", args: []string{"-hot", "50000", "-gc"}},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			run := traceWorkload(t, c.workload, c.args, "--json")
			_, proc := run.stopJSON(t)
			checkIdentity(t, proc, c.workload)
			if proc.Exited {
				t.Errorf("process reported as exited, but it was running when the tracer stopped")
			}
			if c.check != nil {
				c.check(t, proc)
			}
		})
	}
}

// checkIdentity checks what the tracer says about the process itself.
func checkIdentity(t *testing.T, proc *Process, workload string) {
	t.Helper()
	if base := filepath.Base(proc.Exe); base != workload {
		t.Errorf("exe %q, want a path ending in %q", proc.Exe, workload)
	}
	if !strings.HasPrefix(proc.GoVersion, "go1.") {
		t.Errorf("go_version %q, want go1.*", proc.GoVersion)
	}
	if want := wantPlacement(t, proc.GoVersion); proc.Placement != want && proc.Placement != "entry+ret" {
		t.Errorf("placement %q, want %s or entry+ret", proc.Placement, want)
	}
	// The floor is the part of the probe cost inside every span; the timing
	// checks allow for it, so it must be sane.
	if proc.ProbeCostNs <= 0 || proc.SpanFloorNs < 0 || proc.SpanFloorNs > proc.ProbeCostNs {
		t.Errorf("want 0 <= span_floor_ns <= probe_cost_ns, 0 < probe_cost_ns; have %.0f, %.0f", proc.SpanFloorNs, proc.ProbeCostNs)
	}
}

// sleeper is a C function that sleeps a known time per call.
type sleeper struct {
	name    string
	nominal time.Duration
	// p50InNominalSlot: the p50 must lie in the log2 slot holding nominal.
	// Not for 1 ms: 10^6 ns is only 4.6% below the slot bound 2^20 ns and a
	// real 1 ms sleep overshoots by 20-100 µs, so its p50 lands on either
	// side; checkRun's bounds from the measured durations cover it instead.
	p50InNominalSlot bool
}

var sleepers = []sleeper{
	{name: "cgs_sleep_20ms", nominal: 20 * time.Millisecond, p50InNominalSlot: true},
	{name: "cgs_sleep_us", nominal: time.Millisecond},
}

// checkSleepers: no call is reported shorter than the sleep, the maximum and
// total are at least the nominal time, and the 20 ms p50 is in its slot.
// "Shorter" allows for span_floor_ns, which the tracer may subtract.
func checkSleepers(t *testing.T, proc *Process) {
	for _, s := range sleepers {
		f := proc.Func(s.name)
		if f == nil {
			t.Errorf("%s: not reported", s.name)
			continue
		}
		nominal := uint64(s.nominal.Nanoseconds())
		least := nominal - uint64(proc.SpanFloorNs) // shortest plausible span
		if f.MaxNs < least {
			t.Errorf("%s: max_ns %d < the %v it sleeps", s.name, f.MaxNs, s.nominal)
		}
		if f.TotalNs < f.Calls*least {
			t.Errorf("%s: total_ns %d < %d calls x %v", s.name, f.TotalNs, f.Calls, s.nominal)
		}
		for _, b := range f.Histogram {
			if b.Count > 0 && b.HiNs <= least {
				t.Errorf("%s: %d calls in [%d, %d) ns, shorter than the %v sleep", s.name, b.Count, b.LoNs, b.HiNs, s.nominal)
			}
		}
		if s.p50InNominalSlot {
			b := slotOf(f, nominal)
			if b == nil || f.P50Ns < float64(b.LoNs) || f.P50Ns >= float64(b.HiNs) {
				t.Errorf("%s: p50 %.0f ns is not in the slot holding %v; histogram %v", s.name, f.P50Ns, s.nominal, f.Histogram)
			}
		}
	}
}

// checkNested: cgs_outer's calls enclose cgs_inner's, so if each inner span
// was paired with its own enter, outer time is at least inner time.
func checkNested(t *testing.T, proc *Process) {
	outer, inner := proc.Func("cgs_outer"), proc.Func("cgs_inner")
	if outer == nil || inner == nil {
		t.Errorf("cgs_outer or cgs_inner not reported; reported: %s", strings.Join(proc.FuncNames(), " "))
		return
	}
	if outer.TotalNs < inner.TotalNs || outer.MaxNs < inner.MaxNs {
		t.Errorf("cgs_outer (total %d, max %d ns) encloses cgs_inner (total %d, max %d ns) but is shorter: nested calls mispaired",
			outer.TotalNs, outer.MaxNs, inner.TotalNs, inner.MaxNs)
	}
}

// checkPthreads: the 8 C threads were seen to start and, joined within the
// scenario, to exit.
func checkPthreads(t *testing.T, proc *Process) {
	if th := proc.Threads; th.Exited < 8 || th.Peak < th.Current {
		t.Errorf("8 C threads started and exited, but threads are %+v", th)
	}
}

// (f) Without --json the tracer prints a table: the column headers and a row
// for cgs_sleep_us with its exact count.
// TestProfileLinkKinds traces the same calls through either kind of uprobe
// link: uprobe_multi (the default on this kernel) and the perf-event links
// kernels before 6.6 get (forced with CGOSCOPE_NO_UPROBE_MULTI). Both must
// say which they use and count exactly, nested calls included.
func TestProfileLinkKinds(t *testing.T) {
	for _, c := range []struct{ kind, env string }{{"uprobe_multi", ""}, {"perf-event", "1"}} {
		t.Run(c.kind, func(t *testing.T) {
			t.Setenv("CGOSCOPE_NO_UPROBE_MULTI", c.env) // empty: not set
			run := traceWorkload(t, "cgoload", []string{"-hot", "20000", "-callback", "50"}, "--json")
			waitStderr(t, &run.tr.process, "("+c.kind+" links)", 5*time.Second)
			_, proc := run.stopJSON(t) // no drops, exact counts
			checkIdentity(t, proc, "cgoload")
			checkNested(t, proc)
		})
	}
}

func TestProfileText(t *testing.T) {
	const calls = 20
	run := traceWorkload(t, "cgoload", []string{"-sleep1ms", fmt.Sprint(calls)})
	out := string(run.tr.Stop())
	run.w.Stop()
	for _, header := range []string{"CALLS", "TOTAL", "P99"} {
		if !strings.Contains(out, header) {
			t.Errorf("no %s column header in the text output", header)
		}
	}
	row := lineWith(out, "cgs_sleep_us")
	if row == "" {
		t.Fatalf("no row for cgs_sleep_us in the text output:\n%s", out)
	}
	if !hasField(row, fmt.Sprint(calls)) {
		t.Errorf("the cgs_sleep_us row does not show its %d calls: %q", calls, row)
	}
}

// (g) The target exits while traced: the tracer notices, prints what it
// gathered and exits 0 on its own; the counts are still exact.
func TestProfileTargetExits(t *testing.T) {
	run := traceWorkload(t, "cgoload", []string{"-exit-after", "-hot", "20000", "-sleep1ms", "20"}, "--json")
	run.w.WaitExit(exitTimeout)
	run.tr.Wait(exitTimeout)
	prof := run.tr.JSON()
	proc := prof.Process(t, run.w.Pid)
	checkRun(t, prof, proc, run.truth)
	if !proc.Exited {
		t.Errorf("process not reported as exited")
	}
	assertExactAtExit(t, proc, run.truth)
}

// TestProfileTargetExitsSampled: a hot loop sampled by the governor, then
// the process exits at once. Only the runtime's count has every call, and
// the process is gone when the report is made: the total read at its
// exit_group must still be exact (the last reading while it ran is not).
func TestProfileTargetExitsSampled(t *testing.T) {
	run := traceWorkload(t, "cgoload", []string{"-exit-after", "-hot", "3000000"}, "--json", "--overhead-budget=0.01")
	run.w.WaitExit(exitTimeout)
	run.tr.Wait(exitTimeout)
	proc := run.tr.JSON().Process(t, run.w.Pid)
	if !proc.Exited {
		t.Errorf("process not reported as exited")
	}
	if proc.SamplingRatio >= 1 {
		t.Errorf("sampling_ratio %v: the governor should have sampled the hot loop", proc.SamplingRatio)
	}
	assertExactAtExit(t, proc, run.truth)
}

// assertExactAtExit: an exited process's runtime total is every call it made, and final.
func assertExactAtExit(t *testing.T, proc *Process, truth proto.Truth) {
	t.Helper()
	made := truthTotal(truth)
	if proc.ExactCalls == nil || uint64(*proc.ExactCalls) != made || proc.ExactCallsPartial {
		t.Errorf("exact_calls %v (partial %v) after the exit, the workload made %d cgo calls", proc.ExactCalls, proc.ExactCallsPartial, made)
	}
}

// lineWith returns the first line of s containing sub, or "".
func lineWith(s, sub string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.Contains(sc.Text(), sub) {
			return sc.Text()
		}
	}
	return ""
}

// hasField reports whether the whitespace-separated fields of line include f.
func hasField(line, f string) bool {
	for _, x := range strings.Fields(line) {
		if x == f {
			return true
		}
	}
	return false
}

// TestProfileExe: `cgoscope profile -e FILE` traces every process running
// FILE: one already running when it starts and one exec'd afterwards (found
// through the exec tracepoint), each with its own exact counts; a process of
// another file (the same program at another path) is not traced.
func TestProfileExe(t *testing.T) {
	requireRoot(t)
	path := filepath.Join(t.TempDir(), "cgoload")
	copyExecutable(t, workloadBin(t, "cgoload"), path)
	before := startWorkloadAt(t, path, "-hot", "20000", "-sleep1ms", "5")
	other := startWorkload(t, "cgoload", "-hot", "1000")
	tr := runProfile(t, "-e", path, "--json", "-v")
	waitStderr(t, &tr.process, fmt.Sprintf("tracing PID %d", before.Pid), 10*time.Second)
	after := startWorkloadAt(t, path, "-callback", "30", "-hot", "10000")
	waitStderr(t, &tr.process, fmt.Sprintf("tracing PID %d (just exec'd)", after.Pid), 10*time.Second)

	runs := []*Workload{before, after, other}
	truths := make([]proto.Truth, len(runs))
	for _, w := range runs {
		w.Start()
	}
	for i, w := range runs {
		truths[i] = w.WaitTruth(truthTimeout)
	}
	tr.Stop()
	for _, w := range runs {
		w.Stop()
	}
	prof := tr.JSON()
	if len(prof.Processes) != 2 {
		t.Errorf("%d processes traced, want the 2 running %s", len(prof.Processes), path)
	}
	for i, w := range runs[:2] {
		proc := prof.Process(t, w.Pid)
		checkIdentity(t, proc, "cgoload")
		checkRun(t, prof, proc, truths[i])
	}
	for _, p := range prof.Processes {
		if p.Pid == other.Pid {
			t.Errorf("PID %d (%s) was traced, but it does not run %s", p.Pid, p.Exe, path)
		}
	}
}
