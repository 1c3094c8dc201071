package e2e

import (
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"cgoscope.test/internal/proto"
)

// truthTimeout bounds any scenario: probes cost up to ~55 µs per call here.
const truthTimeout = 5 * time.Minute

// workloadPrefix starts the names of every C function the workloads define;
// the tracer may also report cgo calls the runtime or libraries make.
const workloadPrefix = "cgs_"

// traceRun is one workload run under `cgoscope profile`.
type traceRun struct {
	w     *Workload
	tr    *Tracer
	truth proto.Truth
}

// traceWorkload starts workload name with args, attaches `cgoscope profile
// -p PID profArgs...`, runs the scenario and waits for its TRUTH.
func traceWorkload(t *testing.T, name string, args []string, profArgs ...string) *traceRun {
	t.Helper()
	requireRoot(t)
	return traceStarted(t, startWorkload(t, name, args...), profArgs...)
}

// traceStarted is traceWorkload of a workload the test started itself
// (startWorkloadAt, startWorkloadCmd).
func traceStarted(t *testing.T, w *Workload, profArgs ...string) *traceRun {
	t.Helper()
	tr := runProfile(t, append([]string{"-p", itoa(w.Pid)}, profArgs...)...)
	w.Start()
	return &traceRun{w: w, tr: tr, truth: w.WaitTruth(truthTimeout)}
}

// stopJSON stops the tracer, then the workload (asserting that both end
// normally), and returns the workload's entry of the --json profile after
// the checks every run must pass.
func (r *traceRun) stopJSON(t *testing.T) (*Profile, *Process) {
	t.Helper()
	prof, proc := r.stopSampled(t)
	checkRun(t, prof, proc, r.truth)
	assertThreadsFromC(t, proc, r.truth)
	return prof, proc
}

// stopSampled stops the tracer, then the workload (asserting that both end
// normally), and returns the --json profile and the workload's entry, without
// the per-function count checks (which sampling does not meet).
func (r *traceRun) stopSampled(t *testing.T) (*Profile, *Process) {
	t.Helper()
	r.tr.Stop()
	r.w.Stop()
	prof := r.tr.JSON()
	return prof, prof.Process(t, r.w.Pid)
}

// checkRun asserts what holds for every traced workload: no drops, the exact
// calls of every workload function, consistent statistics, durations within
// the workload's own bounds.
func checkRun(t *testing.T, prof *Profile, proc *Process, truth proto.Truth) {
	t.Helper()
	assertNoDrops(t, prof)
	assertCallsExact(t, proc, truth)
	for name := range truth.Calls {
		if f := proc.Func(name); f != nil {
			assertFunctionConsistent(t, f)
		}
	}
	for name, tm := range truth.Timing {
		if f := proc.Func(name); f != nil {
			assertWithinTiming(t, proc, f, tm)
		}
	}
}

// truthTotal is every cgo call the workload made, all functions together.
func truthTotal(truth proto.Truth) uint64 {
	var n uint64
	for _, c := range truth.Calls {
		n += c
	}
	return n
}

// assertNoDrops fails the test if the tracer lost anything, printing all drops.
func assertNoDrops(t *testing.T, prof *Profile) {
	t.Helper()
	for _, cause := range dropCauses {
		if prof.Drops[cause] != 0 {
			t.Errorf("tracer dropped data: %v", prof.Drops)
			return
		}
	}
}

// assertCallsExact checks that the tracer saw exactly the workload's calls:
// every function in truth with its count, and no other workload function.
func assertCallsExact(t *testing.T, proc *Process, truth proto.Truth) {
	t.Helper()
	if len(truth.Calls) == 0 {
		t.Fatal("the workload made no calls: the scenario tests nothing")
	}
	for _, name := range sortedKeys(truth.Calls) {
		want := truth.Calls[name]
		f := proc.Func(name)
		switch {
		case f == nil:
			t.Errorf("%s: not reported (want %d calls); reported: %s", name, want, strings.Join(proc.FuncNames(), " "))
		case f.Calls != want:
			t.Errorf("%s: %d calls reported, the workload made %d", name, f.Calls, want)
		}
	}
	for _, f := range proc.Functions {
		if _, ok := truth.Calls[f.Name]; !ok && strings.HasPrefix(f.Name, workloadPrefix) {
			t.Errorf("%s: %d calls reported, the workload made none", f.Name, f.Calls)
		}
	}
}

// assertThreadsFromC checks that the threads attributed to C are exactly the
// ones the workload's C code created; the Go runtime's own threads (which in
// a cgo binary are also made by pthread_create, in runtime/cgo) are not.
func assertThreadsFromC(t *testing.T, proc *Process, truth proto.Truth) {
	t.Helper()
	th := proc.Threads
	if th.CreatedByC != uint64(truth.CThreadsCreated) {
		t.Errorf("threads.created_by_c %d, the workload's C code created %d threads (threads: %+v)",
			th.CreatedByC, truth.CThreadsCreated, th)
	}
	assertThreadsSane(t, proc)
}

// assertThreadsSane checks that the threads attributed to C are a part of all created ones.
func assertThreadsSane(t *testing.T, proc *Process) {
	t.Helper()
	if th := proc.Threads; th.Created < th.CreatedByC {
		t.Errorf("threads.created %d < created_by_c %d", th.Created, th.CreatedByC)
	}
}

// assertFunctionConsistent checks the statistics of a function whose calls
// have all completed against each other.
func assertFunctionConsistent(t *testing.T, f *Function) {
	t.Helper()
	var n uint64
	for _, b := range f.Histogram {
		if b.HiNs <= b.LoNs || (b.LoNs != 0 && b.HiNs != 2*b.LoNs) {
			t.Errorf("%s: bucket [%d, %d) is not a log2 slot", f.Name, b.LoNs, b.HiNs)
		}
		n += b.Count
	}
	if n != f.TracedCalls {
		t.Errorf("%s: histogram holds %d calls, traced_calls is %d", f.Name, n, f.TracedCalls)
	}
	if !f.Estimated && (f.Calls != f.TracedCalls || f.TotalNs != f.TracedNs) {
		t.Errorf("%s: every call traced, yet calls %d, traced_calls %d, total_ns %d, traced_ns %d",
			f.Name, f.Calls, f.TracedCalls, f.TotalNs, f.TracedNs)
	}
	if f.Inflight != 0 {
		t.Errorf("%s: %d calls in flight after the scenario ended", f.Name, f.Inflight)
	}
	if f.TracedCalls > 0 {
		if avg := float64(f.TracedNs) / float64(f.TracedCalls); math.Abs(f.AvgNs-avg) > 1 {
			t.Errorf("%s: avg_ns %.1f, but traced_ns/traced_calls is %.1f", f.Name, f.AvgNs, avg)
		}
	}
	if f.P50Ns > f.P99Ns || f.P99Ns > float64(f.MaxNs) {
		t.Errorf("%s: want p50 <= p99 <= max, have %.0f, %.0f, %d", f.Name, f.P50Ns, f.P99Ns, f.MaxNs)
	}
}

// assertWithinTiming checks a function's durations against the workload's
// measurements: each traced span lies between the time the C function
// measured itself (less the probe time the tracer may subtract, span_floor_ns)
// and the time Go measured around the cgo call. Percentiles are estimated in
// log2 slots, so they must lie within the slots of those bounds.
func assertWithinTiming(t *testing.T, proc *Process, f *Function, tm proto.Timing) {
	t.Helper()
	floor := int64(math.Ceil(proc.SpanFloorNs))
	// lo lowers a C-measured duration covering n calls by n span floors.
	lo := func(cNs int64, n uint64) uint64 { return uint64(max64(cNs-floor*int64(n), 0)) }
	within := func(what string, have, min, max uint64) {
		if have < min || have > max {
			t.Errorf("%s: %s %d ns, want it in [%d, %d] (C measured %d..%d, Go %d..%d, span floor %d)",
				f.Name, what, have, min, max, tm.CMinNs, tm.CMaxNs, tm.GoMinNs, tm.GoMaxNs, floor)
		}
	}
	within("max_ns", f.MaxNs, lo(tm.CMaxNs, 1), uint64(tm.GoMaxNs))
	within("total_ns", f.TotalNs, lo(tm.CTotalNs, tm.Calls), uint64(tm.GoTotalNs))
	qlo, qhi := slotLo(lo(tm.CMinNs, 1)), 2*slotLo(uint64(tm.GoMaxNs))
	within("p50_ns", uint64(f.P50Ns), qlo, qhi)
	within("p99_ns", uint64(f.P99Ns), qlo, qhi)
}

// slotLo is the lower bound of the log2 slot holding ns: 2^floor(log2 ns).
func slotLo(ns uint64) uint64 {
	if ns < 2 {
		return 0
	}
	return 1 << (63 - bits.LeadingZeros64(ns))
}

// slotOf returns the histogram bucket of f that contains ns, or nil.
func slotOf(f *Function, ns uint64) *Bucket {
	for i, b := range f.Histogram {
		if b.LoNs <= ns && ns < b.HiNs {
			return &f.Histogram[i]
		}
	}
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
