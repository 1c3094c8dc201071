package e2e

import (
	"testing"
	"time"
)

// TestGovernor runs a tight loop of no-op C calls under the default overhead
// budget (1% of a core): the probes must sample, the total must still be the
// exact count (from the runtime's own m.ncgocall), and calls that block in C
// while the probes are off must still be reported as long-blocking.
func TestGovernor(t *testing.T) {
	requireRoot(t)
	const hot, blockers = 3000000, 3
	w := startWorkload(t, "cgoload", "-hot", itoa(hot), "-block", itoa(blockers), "-block-ms", "3000")
	tr := runProfile(t, "-p", itoa(w.Pid), "--json", "-i", "1", "--overhead-budget=1")
	w.Start()

	// Until every call was made and none is in C any more.
	maxBlocked, done := 0, false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !done; {
		prof, _, ok := tr.NextInterval(5 * time.Second)
		if !ok {
			t.Fatalf("no interval line from the tracer:\n%s", tr.Output())
		}
		proc := prof.Process(t, w.Pid)
		if n := len(proc.Blocked); n > maxBlocked {
			maxBlocked = n
		}
		done = proc.ExactCalls != nil && *proc.ExactCalls == hot+blockers && proc.Inflight == 0
	}
	truth := w.WaitTruth(truthTimeout)
	truthCalls := truthTotal(truth)
	tr.Stop()
	w.Stop()
	proc := tr.JSON().Process(t, w.Pid)
	assertNoDrops(t, tr.JSON())

	if proc.ExactCalls == nil || uint64(*proc.ExactCalls) != truthCalls {
		t.Errorf("exact_calls %v, the workload made %d cgo calls", proc.ExactCalls, truthCalls)
	}
	if proc.SamplingRatio <= 0 || proc.SamplingRatio >= 1 {
		t.Errorf("sampling_ratio %v: the probes should have sampled the hot loop", proc.SamplingRatio)
	}
	if f := proc.Func("cgs_noop"); f == nil || f.TracedCalls == 0 || f.TracedCalls >= hot {
		t.Errorf("cgs_noop traced calls %v: want some, fewer than all %d (sampled)", f, hot)
	} else if !f.Estimated || f.Calls < hot*9/10 || f.Calls > hot*11/10 {
		t.Errorf("cgs_noop: %d calls estimated (estimated %v), the workload made %d: want within 10%%",
			f.Calls, f.Estimated, hot)
	}
	if maxBlocked != blockers {
		t.Errorf("at most %d calls listed as long-blocking at once, want %d", maxBlocked, blockers)
	}
	t.Logf("sampling ratio %.3f, probe overhead %.4f cores, %d of %d calls traced, %d blocked seen",
		proc.SamplingRatio, proc.ProbeOverhead, proc.Calls, truthCalls, maxBlocked)
}

// TestGovernorPauses: with a 10% budget and a 0.5 s sampling period the
// probes of a tight loop pause and resume some 7 times while the loop's
// thread is in and out of C. Across every pause no call may be paired with
// the enter of another (a no-op that "lasted" the whole pause, about 0.45 s,
// counted as long-blocking), and the leave of a call that began while the
// probes were off is expected, not a loss: no drops, no long calls, no call
// near a pause's length. (With 0.2 s pauses, a no-op preempted for 170 ms
// on a loaded 2-CPU VM could not be told from a pairing across a pause.)
func TestGovernorPauses(t *testing.T) {
	const hot = 100000000
	run := traceWorkload(t, "cgoload", []string{"-hot", itoa(hot)}, "--json", "--overhead-budget=10", "--sampling-period=0.5")
	prof, proc := run.stopSampled(t)
	assertNoDrops(t, prof)
	if proc.SamplingRatio <= 0 || proc.SamplingRatio >= 1 {
		t.Errorf("sampling_ratio %v: the probes should have paused and resumed", proc.SamplingRatio)
	}
	if proc.LongCalls != 0 {
		t.Errorf("%d long-blocking calls reported; the workload's calls are no-ops", proc.LongCalls)
	}
	f := proc.Func("cgs_noop")
	if f == nil || f.TracedCalls == 0 {
		t.Fatalf("cgs_noop not traced: %v", proc.FuncNames())
	}
	if f.MaxNs >= 300000000 {
		t.Errorf("cgs_noop max_ns %d: a no-op paired across a pause of the probes", f.MaxNs)
	}
	if proc.ExactCalls == nil || *proc.ExactCalls != hot {
		t.Errorf("exact_calls %v, the workload made %d", proc.ExactCalls, hot)
	}
	t.Logf("sampling ratio %.3f, %d of %d calls traced, %d estimated, max %d ns", proc.SamplingRatio,
		f.TracedCalls, hot, f.Calls, f.MaxNs)
}
