package e2e

// The default configuration, as users run it: the overhead governor on (a
// 1% budget), on programs that change pace. The workload's TRUTH is the
// judge: the runtime's count must be exact, a function called only while
// the program is calm exactly counted, a hot one within 10%, every figure
// possible (a sampling ratio in [0, 1], no long-blocking call that did not
// happen).

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// hotTolerance is how far a hot function's estimate may be from the truth.
const hotTolerance = 0.10

// traceDefaults is traceWorkload with the tracer in its default configuration.
func traceDefaults(t *testing.T, name string, args []string, profArgs ...string) *traceRun {
	t.Helper()
	requireRoot(t)
	w := startWorkload(t, name, args...)
	tr := runProfileDefaults(t, append([]string{"-p", itoa(w.Pid)}, profArgs...)...)
	w.Start()
	return &traceRun{w: w, tr: tr, truth: w.WaitTruth(truthTimeout)}
}

// defaultRun is what a default-configuration run must show, whatever the workload.
type defaultRun struct {
	exact []string // functions that must be counted exactly (called only while calm)
	hot   []string // functions estimated within hotTolerance
	long  uint64   // completed calls that did last longer than the threshold
}

// check asserts the run's output against truth: exact totals, possible
// figures, exact calm functions, hot ones within the tolerance, and that the
// estimates of all functions add up to the runtime's count.
func (want defaultRun) check(t *testing.T, prof *Profile, proc *Process, r *traceRun) {
	t.Helper()
	assertNoDrops(t, prof)
	total := truthTotal(r.truth)
	if proc.ExactCalls == nil || uint64(*proc.ExactCalls) != total {
		t.Errorf("exact_calls %v, the workload made %d", proc.ExactCalls, total)
	}
	if proc.SamplingRatio < 0 || proc.SamplingRatio > 1 {
		t.Errorf("sampling_ratio %v: not in [0, 1]", proc.SamplingRatio)
	}
	for _, name := range want.exact {
		if f := proc.Func(name); f == nil || f.Calls != r.truth.Calls[name] {
			t.Errorf("%s (called while calm): %v calls reported, the workload made %d", name,
				callsOf(f), r.truth.Calls[name])
		}
	}
	for _, name := range want.hot {
		f, n := proc.Func(name), float64(r.truth.Calls[name])
		if f == nil || float64(f.Calls) < n*(1-hotTolerance) || float64(f.Calls) > n*(1+hotTolerance) {
			t.Errorf("%s: %v calls reported, the workload made %.0f: want within %.0f%%", name,
				callsOf(f), n, hotTolerance*100)
		}
	}
	var sum uint64
	// no function can have spent more thread-time in C than the run had threads in C
	peak := proc.InflightPeak
	if peak < 1 {
		peak = 1
	}
	threadTime := prof.DurationS * 1e9 * float64(peak) * 1.05
	for i := range proc.Functions {
		f := &proc.Functions[i]
		sum += f.Calls
		if f.TracedCalls > f.Calls || f.Estimated != proc.Sampled {
			t.Errorf("%s: calls %d, traced %d, estimated %v (process sampled %v)", f.Name,
				f.Calls, f.TracedCalls, f.Estimated, proc.Sampled)
		}
		if float64(f.TotalNs) > threadTime {
			t.Errorf("%s: %d ns in C, more than the %.0f ns of thread-time in C the run had (%.2f s, peak %d in C)",
				f.Name, f.TotalNs, threadTime, prof.DurationS, proc.InflightPeak)
		}
		if f.LowerBound != (proc.Sampled && f.TracedCalls == 0 && f.Calls > 0) {
			t.Errorf("%s: calls_lower_bound %v with %d traced of %d (sampled %v)", f.Name, f.LowerBound,
				f.TracedCalls, f.Calls, proc.Sampled)
		}
	}
	// each estimate is rounded: they may differ from the total by half a call each
	if d := int64(sum) - int64(total); d*2 > int64(len(proc.Functions)) || -d*2 > int64(len(proc.Functions)) {
		t.Errorf("the functions' calls add up to %d, the runtime counted %d", sum, total)
	}
	if proc.LongCalls != want.long {
		t.Errorf("%d long-blocking calls reported, want %d", proc.LongCalls, want.long)
	}
	if len(proc.Blocked) != 0 || proc.UnattributedCalls != 0 {
		t.Errorf("after the scenario: %d calls blocked, %d unattributed", len(proc.Blocked), proc.UnattributedCalls)
	}
	t.Logf("sampled %v, ratio %.3f, probe overhead %.4f cores; %s", proc.Sampled, proc.SamplingRatio,
		proc.ProbeOverhead, funcSummary(proc, r))
}

func callsOf(f *Function) interface{} {
	if f == nil {
		return "no"
	}
	return f.Calls
}

// funcSummary is "name calls/truth (traced n)" for every workload function.
func funcSummary(proc *Process, r *traceRun) string {
	var b strings.Builder
	for _, name := range sortedKeys(r.truth.Calls) {
		if f := proc.Func(name); f != nil {
			b.WriteString(name + " " + itoa(int(f.Calls)) + "/" + itoa(int(r.truth.Calls[name])) +
				" (traced " + itoa(int(f.TracedCalls)) + ") ")
		}
	}
	return b.String()
}

// waitExited waits for a workload that exits by itself (-exit-after) and
// for the tracer, which then ends, and returns its profile and the workload's entry.
func (r *traceRun) waitExited(t *testing.T) (*Profile, *Process) {
	t.Helper()
	r.w.WaitExit(exitTimeout)
	r.tr.Wait(exitTimeout)
	prof := r.tr.JSON()
	return prof, prof.Process(t, r.w.Pid)
}

// A tight loop, then a C function that sleeps 20 ms (issue 12's first
// report: the 20 ms function was missing): the calm calls are counted
// exactly, although the first of them begins while the probes are off.
func TestDefaultsHotThenCalm(t *testing.T) {
	run := traceDefaults(t, "cgoload", []string{"-phases", "hot:3000000,sleep20ms:20"}, "--json")
	prof, proc := run.stopSampled(t)
	if !proc.Sampled {
		t.Errorf("the hot loop was traced in full: the governor did not sample")
	}
	defaultRun{exact: []string{"cgs_sleep_20ms"}, hot: []string{"cgs_noop"}}.check(t, prof, proc, run)
}

// A tight loop, then one 1.5 s call into C (issue 12's Kafka report: the
// producer's one long call, rd_kafka_metadata, was missing): it begins while
// the probes are off, so no probe sees it begin; the census follows it to its
// end. It is one completed long-blocking call of cgs_block_ms, at least about
// as long as it was.
func TestDefaultsHotThenLong(t *testing.T) {
	const blockMs = 1500
	run := traceDefaults(t, "cgoload", []string{"-phases", "hot:3000000,block:" + itoa(blockMs)}, "--json")
	prof, proc := run.stopSampled(t)
	defaultRun{exact: []string{"cgs_block_ms"}, hot: []string{"cgs_noop"}, long: 1}.check(t, prof, proc, run)
	// seen from within a census interval of its start to within one of its end
	slack := uint64(100 * time.Millisecond)
	if f := proc.Func("cgs_block_ms"); f == nil || f.MaxNs+slack < blockMs*uint64(time.Millisecond) ||
		f.TotalNs < f.MaxNs {
		t.Errorf("cgs_block_ms: %+v, want its one call of %d ms timed (max_ns, total_ns)", f, blockMs)
	} else {
		t.Logf("cgs_block_ms: max %v, traced %d, unseen long calls %d", time.Duration(f.MaxNs),
			f.TracedCalls, proc.LongCallsUnseen)
	}
}

// Calm first, then a tight loop: the calm calls stay exact once sampling begins.
func TestDefaultsCalmThenHot(t *testing.T) {
	run := traceDefaults(t, "cgoload", []string{"-phases", "sleep20ms:20,hot:3000000"}, "--json")
	prof, proc := run.stopSampled(t)
	defaultRun{exact: []string{"cgs_sleep_20ms"}, hot: []string{"cgs_noop"}}.check(t, prof, proc, run)
}

// Bursts of a tight loop with calm calls between them.
func TestDefaultsBursts(t *testing.T) {
	run := traceDefaults(t, "cgoload", []string{"-phases", "hot:2000000,sleep20ms:5,idle:800", "-rounds", "3"},
		"--json")
	prof, proc := run.stopSampled(t)
	defaultRun{exact: []string{"cgs_sleep_20ms"}, hot: []string{"cgs_noop"}}.check(t, prof, proc, run)
}

// Two functions interleaved faster than the governor's windows: 2 ms of a
// tight loop, then 4 ms of 10 µs calls, 100 times. The 10 µs calls may all
// fall while the probes are off; the census still sees them in C, so the
// function is listed (a lower bound when never traced), and the tight loop's
// time in C is not its traced spans' times its calls (the probes' own time
// is far longer than a no-op's).
func TestDefaultsInterleaved(t *testing.T) {
	run := traceDefaults(t, "cgoload", []string{"-phases", "hot:70000,sleep10us:400", "-rounds", "100",
		"-exit-after"}, "--json")
	prof, proc := run.waitExited(t)
	f := proc.Func("cgs_sleep_us")
	if f == nil || f.Calls == 0 || f.Calls > run.truth.Calls["cgs_sleep_us"]*11/10 {
		t.Errorf("cgs_sleep_us: %v calls reported, the workload made %d: want it listed, at most 10%% over",
			callsOf(f), run.truth.Calls["cgs_sleep_us"])
	}
	defaultRun{}.check(t, prof, proc, run)
}

// 42 calls, then the process exits: every call traced, the ratio exactly 1.
func TestDefaultsShortExit(t *testing.T) {
	run := traceDefaults(t, "cgoload", []string{"-hot", "42", "-exit-after"}, "--json")
	prof, proc := run.waitExited(t)
	if proc.Sampled || proc.SamplingRatio != 1 {
		t.Errorf("42 calls: sampled %v, sampling_ratio %v; want every call traced, ratio 1",
			proc.Sampled, proc.SamplingRatio)
	}
	defaultRun{exact: []string{"cgs_noop"}}.check(t, prof, proc, run)
}

// A tight loop that exits while the probes are off: the total read at its
// exit is exact, the ratio stopped at the exit.
func TestDefaultsExitWhileOff(t *testing.T) {
	run := traceDefaults(t, "cgoload", []string{"-hot", "20000000", "-exit-after"}, "--json")
	prof, proc := run.waitExited(t)
	if !proc.Exited || proc.ExactCallsPartial {
		t.Errorf("exited %v, exact_calls_partial %v: want the exact total read at its exit", proc.Exited,
			proc.ExactCallsPartial)
	}
	if proc.SamplingRatio <= 0 || proc.SamplingRatio >= 1 {
		t.Errorf("sampling_ratio %v: the loop should have been sampled", proc.SamplingRatio)
	}
	defaultRun{hot: []string{"cgs_noop"}}.check(t, prof, proc, run)
}

// Every call blocks (20 goroutines, 1.5 s each): nothing to sample, every
// call counted, every one long-blocking.
func TestDefaultsAllBlock(t *testing.T) {
	run := traceDefaults(t, "cgoload", []string{"-block", "20", "-block-ms", "1500"}, "--json")
	prof, proc := run.stopSampled(t)
	if proc.Sampled {
		t.Errorf("20 blocking calls were sampled")
	}
	defaultRun{exact: []string{"cgs_block_ms"}, long: 20}.check(t, prof, proc, run)
}

// `--json -i 1` is JSON lines throughout, the final report too.
func TestDefaultsJSONLines(t *testing.T) {
	requireRoot(t)
	w := startWorkload(t, "cgoload", "-phases", "hot:1000000,sleep20ms:10,idle:1200")
	tr := runProfileDefaults(t, "-p", itoa(w.Pid), "--json", "-i", "1")
	w.Start()
	w.WaitTruth(truthTimeout)
	time.Sleep(1100 * time.Millisecond) // one interval line after the scenario
	out := tr.Stop()
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("%d lines from --json -i 1:\n%s", len(lines), out)
	}
	for i, l := range lines {
		var doc map[string]interface{}
		if err := json.Unmarshal([]byte(l), &doc); err != nil || doc["processes"] == nil {
			t.Errorf("line %d of %d is not a whole JSON report (%v): %.120s", i+1, len(lines), err, l)
		}
	}
}

// The agent as users run it: the same truth through /api/v1/processes and
// /metrics, for a program that changes pace. The scrapes wait for the fact
// (the runtime's count reaching the workload's total), not for a time.
func TestDefaultsAgent(t *testing.T) {
	dir := privateWorkloads(t)
	a := startAgentDefaults(t, "--include", dir+"/*")
	w, _ := startTraced(t, a, "cold", "cgoload", "-phases", "hot:3000000,sleep20ms:20")
	w.Start()
	truth := w.WaitTruth(truthTimeout)
	total := truthTotal(truth)
	var m metrics
	for deadline := time.Now().Add(10 * time.Second); ; {
		m, _ = a.Scrape()
		if v, ok := m.value("cgoscope_process_cgo_calls_total", pidLabel(w.Pid)); ok && v == float64(total) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cgoscope_process_cgo_calls_total of PID %d never reached the workload's %d calls", w.Pid, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	run := &traceRun{w: w, truth: truth}
	prof := a.Processes()
	defaultRun{exact: []string{"cgs_sleep_20ms"}, hot: []string{"cgs_noop"}}.check(t, prof, prof.Process(t, w.Pid), run)

	// Function series are per executable by default: this one runs once.
	m, _ = a.Scrape()
	exe := exeOf(t, m, w.Pid)
	if v := mustValue(t, m, "cgoscope_cgo_calls_total", exeFuncLabel(exe, "cgs_sleep_20ms")); v != 20 {
		t.Errorf("/metrics: cgs_sleep_20ms %v calls, the workload made 20", v)
	}
	if len(m.find("cgoscope_cgo_calls_total", pidLabel(w.Pid))) != 0 {
		t.Errorf("/metrics: function series carry pid without --per-process")
	}
	noop := mustValue(t, m, "cgoscope_cgo_calls_total", exeFuncLabel(exe, "cgs_noop"))
	if n := float64(truth.Calls["cgs_noop"]); noop < n*(1-hotTolerance) || noop > n*(1+hotTolerance) {
		t.Errorf("/metrics: cgs_noop %v calls, the workload made %.0f", noop, n)
	}
	if r := mustValue(t, m, "cgoscope_process_sampling_ratio", pidLabel(w.Pid)); r < 0 || r > 1 {
		t.Errorf("/metrics: sampling ratio %v", r)
	}
}
