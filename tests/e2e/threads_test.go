package e2e

// Issue 3, threads and blocking: OS threads against /proc, calls in flight,
// long-blocking calls reported while still blocked, and the starvation
// verdict on real programs, read from `cgoscope profile --json -i 1`.

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// intervalTimeout bounds the wait for one `-i 1` line (1 s apart, plus
	// the tracer's own work under load).
	intervalTimeout = 10 * time.Second
	// calmTimeout bounds the return to ok once the calls returned: the
	// tracer measures thread growth over 10 s (agent/collect/stats.c), so a verdict
	// that rests on growth may lag by that much.
	calmTimeout = 15 * time.Second
)

// verdicts ranks the verdict names of the JSON output.
var verdicts = map[string]int{"ok": 0, "warning": 1, "critical": 2}

// rank returns the rank of verdict v, failing the test for an unknown name.
func rank(t *testing.T, v string) int {
	t.Helper()
	r, ok := verdicts[v]
	if !ok {
		t.Fatalf("unknown verdict %q", v)
	}
	return r
}

// wallTime converts the tracer's "time" (seconds since the epoch) to a time.
func wallTime(s float64) time.Time {
	return time.Unix(0, int64(s*1e9))
}

// procThreads reads Threads: of /proc/PID/status.
func procThreads(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := cut(l, "Threads:"); ok {
			return strconv.Atoi(strings.TrimSpace(rest))
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no Threads: line", pid)
}

// threadSample is Threads: of /proc/PID/status, read before end.
type threadSample struct {
	end time.Time
	n   int
}

// threadSampler reads Threads: of a process every millisecond in the
// background, and once more the moment the test reads each tracer line
// (atLine, a runProfileWith hook), so every tracer line can be bracketed by
// /proc readings from before and after the tracer read its own count.
type threadSampler struct {
	pid  int
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	bg     []threadSample       // ascending end
	atRead map[int]threadSample // by Line.Seq
}

func newThreadSampler(t *testing.T, pid int) *threadSampler {
	s := &threadSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{}), atRead: map[int]threadSample{}}
	go s.run()
	t.Cleanup(s.Stop)
	return s
}

func (s *threadSampler) run() {
	defer close(s.done)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if n, err := procThreads(s.pid); err == nil {
			s.mu.Lock()
			s.bg = append(s.bg, threadSample{end: time.Now(), n: n})
			s.mu.Unlock()
		}
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}

// Stop ends the background sampling; it is idempotent.
func (s *threadSampler) Stop() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

func (s *threadSampler) atLine(l Line) {
	if n, err := procThreads(s.pid); err == nil {
		s.mu.Lock()
		s.atRead[l.Seq] = threadSample{end: time.Now(), n: n}
		s.mu.Unlock()
	}
}

// bracket returns the /proc thread counts around the moment a tracer line
// was made: lo and hi are the least and greatest reading from the last
// background reading that ended before the tracer's snapshot began (taken,
// its "time") to the reading made when the test read the line; stable
// reports whether every reading in between was the same. The tracer read
// its count between those two readings, so with a count that never falls
// (no thread exits) it lies in [lo, hi], and equals it when stable.
func (s *threadSampler) bracket(l Line, taken time.Time) (lo, hi int, stable, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	after, ok := s.atRead[l.Seq]
	if !ok {
		return 0, 0, false, false
	}
	i := sort.Search(len(s.bg), func(i int) bool { return !s.bg[i].end.Before(taken) }) - 1
	if i < 0 {
		return 0, 0, false, false
	}
	lo, hi = after.n, after.n
	for _, b := range s.bg[i:] {
		if b.end.After(after.end) {
			break
		}
		if b.n < lo {
			lo = b.n
		}
		if b.n > hi {
			hi = b.n
		}
	}
	return lo, hi, lo == hi, true
}

// threadAgreement tallies how the tracer's threads.current compared with /proc.
type threadAgreement struct {
	lines, within, stable, exact int
	maxSpread                    int // widest [lo, hi] of an unstable line
	stableAllBlocked             int // stable lines with every call blocked in C
}

// check compares the threads.current of one line with /proc: within the
// bracket always, equal when the count was stable.
func (a *threadAgreement) check(t *testing.T, s *threadSampler, l Line, prof *Profile, proc *Process) {
	t.Helper()
	lo, hi, stable, ok := s.bracket(l, wallTime(prof.Time))
	if !ok {
		t.Errorf("line %d: no /proc reading around it", l.Seq)
		return
	}
	a.lines++
	cur := int(proc.Threads.Current)
	if cur >= lo && cur <= hi {
		a.within++
	} else {
		t.Errorf("line %d: threads.current %d, but /proc said %d..%d around it (stable %v)", l.Seq, cur, lo, hi, stable)
	}
	if hi-lo > a.maxSpread {
		a.maxSpread = hi - lo
	}
	if stable {
		a.stable++
		if cur == lo {
			a.exact++
		}
	}
}

// TestThreadsBlocking: 200 goroutines block in C for 3 s at once. While they
// do, the interval lines must show the threads /proc shows, all 200 calls in
// flight, each call in blocked[] while still blocked, and a warning or
// critical verdict that names GOMAXPROCS; after they return the verdict must
// go back to ok, and the final document count the 200 long calls.
func TestThreadsBlocking(t *testing.T) {
	requireRoot(t)
	const (
		k       = 200
		blockMs = 3000
		fn      = "cgs_block_ms"
	)
	w := startWorkload(t, "cgoload", "-block", itoa(k), "-block-ms", itoa(blockMs))
	sampler := newThreadSampler(t, w.Pid)
	tr := runProfileWith(t, sampler.atLine, "-p", itoa(w.Pid), "--json", "-i", "1")
	var agree threadAgreement

	// Before the scenario: nothing in C, verdict ok.
	prof, l, ok := tr.NextInterval(intervalTimeout)
	if !ok {
		t.Fatal("the tracer printed no interval line")
	}
	proc := prof.Process(t, w.Pid)
	agree.check(t, sampler, l, prof, proc)
	if proc.Inflight != 0 || proc.Verdict != "ok" || len(proc.Reasons) != 0 {
		t.Errorf("before the scenario: inflight %d, verdict %s %q; want 0, ok, no reasons", proc.Inflight, proc.Verdict, proc.Reasons)
	}
	if proc.Gomaxprocs == nil || *proc.Gomaxprocs < 1 {
		t.Fatalf("gomaxprocs %v: not read from the target", proc.Gomaxprocs)
	}
	gomaxprocs := *proc.Gomaxprocs
	threshold := prof.LongThresholdNs
	if threshold != 1e9 {
		t.Errorf("long_threshold_ns %d, want the default 1 s", threshold)
	}

	started := time.Now()
	w.Start()
	var (
		worst, fnInflightMax int
		alarm                []string // reasons of the first non-ok line
		first                = map[int]uint64{}
		firstListed          time.Time // the first line listing any blocked call
		completed            time.Time // the first line after every call returned
		calmAgain            *Process  // the first ok line after that
	)
	deadline := time.Now().Add(blockMs*time.Millisecond + calmTimeout + 15*time.Second)
	for calmAgain == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the calls never all returned with the verdict back to ok (last verdict %s)", proc.Verdict)
		}
		if prof, l, ok = tr.NextInterval(intervalTimeout); !ok {
			t.Fatal("the tracer stopped printing interval lines")
		}
		proc = prof.Process(t, w.Pid)
		taken := wallTime(prof.Time)
		agree.check(t, sampler, l, prof, proc)
		if r := rank(t, proc.Verdict); r > worst {
			worst = r
		}
		if proc.Verdict != "ok" && alarm == nil {
			alarm = proc.Reasons
		}
		f := proc.Func(fn)
		if f != nil && int(f.Inflight) > fnInflightMax {
			fnInflightMax = int(f.Inflight)
		}
		if f != nil && f.Inflight == k && proc.Inflight == k {
			if _, _, stable, _ := sampler.bracket(l, taken); stable {
				agree.stableAllBlocked++
			}
		}
		if int64(len(proc.Blocked)) > proc.Inflight {
			t.Errorf("line %d: %d blocked calls but only %d in flight", l.Seq, len(proc.Blocked), proc.Inflight)
		}
		for _, b := range proc.Blocked {
			if b.Function != fn {
				t.Errorf("line %d: blocked call in %q, want %s", l.Seq, b.Function, fn)
			}
			if b.ElapsedNs < threshold {
				t.Errorf("line %d: blocked call (tid %d) listed at %d ns, under the threshold %d ns", l.Seq, b.Tid, b.ElapsedNs, threshold)
			}
			// No call can have been in C since before the scenario started.
			if since := taken.Sub(started) + 50*time.Millisecond; time.Duration(b.ElapsedNs) > since {
				t.Errorf("line %d: tid %d blocked for %v, but the scenario started %v before", l.Seq, b.Tid, time.Duration(b.ElapsedNs), since)
			}
			if _, seen := first[b.Tid]; !seen {
				first[b.Tid] = b.ElapsedNs
				if _, err := os.Stat(fmt.Sprintf("/proc/%d/task/%d", w.Pid, b.Tid)); err != nil {
					t.Errorf("line %d: blocked call on tid %d, which is not a thread of %d: %v", l.Seq, b.Tid, w.Pid, err)
				}
			}
			if firstListed.IsZero() {
				firstListed = taken
			}
		}
		if completed.IsZero() && f != nil && f.Calls == k {
			completed = taken
		}
		if !completed.IsZero() && proc.Verdict == "ok" {
			calmAgain = proc
		} else if !completed.IsZero() && taken.Sub(completed) > calmTimeout {
			t.Fatalf("the verdict stayed %s %q for over %v after the calls returned", proc.Verdict, proc.Reasons, calmTimeout)
		}
	}
	truth := w.WaitTruth(truthTimeout)
	sampler.Stop()

	// All 200 in flight at once; the bound on the process is below.
	if fnInflightMax != k {
		t.Errorf("%s: at most %d calls in flight in any line, the workload had %d in C at once", fn, fnInflightMax, k)
	}
	if len(first) != k {
		t.Errorf("%d distinct threads listed in blocked[], want %d (every call was blocked for %d ms)", len(first), k, blockMs)
	}
	if worst < verdicts["warning"] {
		t.Errorf("the verdict was ok throughout, with %d calls blocked in C and GOMAXPROCS %d", k, gomaxprocs)
	} else if want := fmt.Sprintf("GOMAXPROCS %d", gomaxprocs); !anyContains(alarm, want) {
		t.Errorf("the reasons of the alarm do not mention %q: %q", want, alarm)
	}
	if len(calmAgain.Reasons) != 0 || len(calmAgain.Blocked) != 0 || calmAgain.Inflight != 0 {
		t.Errorf("after the calls: verdict ok but reasons %q, %d blocked, %d in flight", calmAgain.Reasons, len(calmAgain.Blocked), calmAgain.Inflight)
	}
	if agree.stableAllBlocked == 0 {
		t.Errorf("no line with all %d calls in C where /proc's thread count was stable: the exact comparison was never made", k)
	}
	if agree.exact != agree.stable {
		t.Errorf("threads.current equalled /proc in only %d of %d lines where the count was stable", agree.exact, agree.stable)
	}
	t.Logf("threads vs /proc: %d lines, %d within the /proc readings around them; %d with a stable count (%d with all %d calls in C), %d of those exactly equal; widest unstable window %d threads",
		agree.lines, agree.within, agree.stable, agree.stableAllBlocked, k, agree.exact, agree.maxSpread)
	logReportLatency(t, first, started, firstListed, threshold)

	r := &traceRun{w: w, tr: tr, truth: truth}
	_, final := r.stopJSON(t)
	if final.LongCalls != k {
		t.Errorf("long_calls %d, want %d (every call lasted %d ms, the threshold is %v)", final.LongCalls, k, blockMs, time.Duration(threshold))
	}
	longest := truth.Timing[fn].GoMaxNs
	for tid, ns := range first {
		if int64(ns) > longest {
			t.Errorf("tid %d listed as blocked for %d ns, longer than any call lasted (%d ns)", tid, ns, longest)
		}
	}
	assertInflightPeak(t, final, k)
	if rank(t, final.WorstVerdict) < verdicts["warning"] || final.WorstReason == "" {
		t.Errorf("final worst_verdict %s (%q), want warning or critical with its reason", final.WorstVerdict, final.WorstReason)
	}
	if final.Verdict != "ok" || final.Exited {
		t.Errorf("final verdict %s, exited %v; want ok, false", final.Verdict, final.Exited)
	}
	// The comparison with /proc assumed the count never fell.
	if final.Threads.Exited != 0 {
		t.Errorf("%d threads exited: the Go runtime keeps idle Ms, and the /proc brackets assumed none did", final.Threads.Exited)
	}
}

// assertInflightPeak checks the process's in-flight peak against the
// workload's k concurrent calls. cgoload makes no other cgo call while they
// block, and the runtime's own C calls (mmap, sigaction, ... through
// asmcgocall) do not pass runtime.cgocall, so the peak is k exactly, plus at
// most one per call of a function the workload does not define (none here).
func assertInflightPeak(t *testing.T, proc *Process, k int64) {
	t.Helper()
	var other uint64
	for _, f := range proc.Functions {
		if !strings.HasPrefix(f.Name, workloadPrefix) {
			other += f.Calls + uint64(f.Inflight)
		}
	}
	if proc.InflightPeak < k || proc.InflightPeak > k+int64(other) {
		t.Errorf("inflight_peak %d, want %d..%d (%d calls at once, %d calls of the runtime's own)", proc.InflightPeak, k, k+int64(other), k, other)
	}
	if proc.Inflight != 0 {
		t.Errorf("inflight %d after every call returned", proc.Inflight)
	}
}

// logReportLatency logs how long calls had been blocked when they were
// first reported, and asserts that no call waited more than about one
// interval past the threshold.
func logReportLatency(t *testing.T, first map[int]uint64, started, firstListed time.Time, threshold uint64) {
	t.Helper()
	if len(first) == 0 {
		return
	}
	var el []uint64
	for _, ns := range first {
		el = append(el, ns)
	}
	sort.Slice(el, func(i, j int) bool { return el[i] < el[j] })
	// -i 1: a line every second, plus the tracer's polling (100 ms) and work.
	const slack = 1500 * time.Millisecond
	if max := el[len(el)-1]; time.Duration(max) > time.Duration(threshold)+slack {
		t.Errorf("a call was first reported after %v in C: more than %v past the %v threshold", time.Duration(max), slack, time.Duration(threshold))
	}
	t.Logf("blocked calls first reported after %v (fastest), %v (median), %v (slowest) in C, by the tracer's clock; first blocked[] entry %v after the scenario started (test's clock; threshold %v, -i 1)",
		time.Duration(el[0]), time.Duration(el[len(el)/2]), time.Duration(el[len(el)-1]), firstListed.Sub(started), time.Duration(threshold))
}

// anyContains reports whether one of ss contains sub.
func anyContains(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestThreadLimit: with debug.SetMaxThreads(60), 100 goroutines blocking in
// C (started one every 50 ms, as a steady request rate would) kill the
// program with "thread exhaustion". The tracer must read the limit from the
// target, say critical in a line made before the program died, survive its
// death, print its final report with exited true, and with --alert-exit
// exit 3.
func TestThreadLimit(t *testing.T) {
	requireRoot(t)
	const n, k = 60, 100
	w := startWorkload(t, "cgoload", "-maxthreads", itoa(n), "-block", itoa(k), "-block-every", "50", "-block-ms", "20000")
	sampler := newThreadSampler(t, w.Pid)
	tr := runProfileWith(t, sampler.atLine, "-p", itoa(w.Pid), "--json", "-i", "1", "--alert-exit")
	type sampled struct {
		l    Line
		prof *Profile
	}
	var alive []sampled // lines while the process lived, for the /proc comparison

	checkLimit := func(what string, p *Process) {
		t.Helper()
		if p.MaxThreads != n || p.MaxThreadsAssumed {
			t.Errorf("%s: max_threads %d (assumed %v), want %d read from the target", what, p.MaxThreads, p.MaxThreadsAssumed, n)
		}
	}
	prof, l, ok := tr.NextInterval(intervalTimeout)
	if !ok {
		t.Fatal("the tracer printed no interval line")
	}
	proc := prof.Process(t, w.Pid)
	alive = append(alive, sampled{l, prof})
	checkLimit("before the scenario", proc)
	if proc.Verdict != "ok" {
		t.Errorf("before the scenario: verdict %s %q, want ok", proc.Verdict, proc.Reasons)
	}

	w.Start()
	var critical []*Profile // critical lines made while the process lived
	lines := 0
	for {
		prof, l, ok := tr.NextInterval(intervalTimeout + 20*time.Second)
		if !ok {
			break
		}
		lines++
		proc := prof.Process(t, w.Pid)
		checkLimit(fmt.Sprintf("line at %.3f", prof.Time), proc)
		if proc.Verdict == "critical" && !proc.Exited && proc.Threads.Current > 0 {
			critical = append(critical, prof)
		}
		if !proc.Exited {
			alive = append(alive, sampled{l, prof})
		}
	}
	died := w.WaitCrash(exitTimeout, "thread exhaustion")
	sampler.Stop()
	// Threads grow steadily here, and none exit before the crash: the
	// tracer's count must lie within the /proc readings around each line.
	var agree threadAgreement
	for _, a := range alive {
		if a.l.At.Before(died) {
			agree.check(t, sampler, a.l, a.prof, a.prof.Process(t, w.Pid))
		}
	}
	t.Logf("threads vs /proc while growing: %d lines, %d within the readings around them, %d stable and %d of those equal; widest window %d threads",
		agree.lines, agree.within, agree.stable, agree.exact, agree.maxSpread)
	if agree.exact != agree.stable {
		t.Errorf("threads.current equalled /proc in only %d of %d lines where the count was stable", agree.exact, agree.stable)
	}
	if !strings.Contains(w.stderr.String(), fmt.Sprintf("exceeds %d-thread limit", n)) {
		t.Errorf("the workload did not die of the %d-thread limit:\n%s", n, w.stderr)
	}
	tr.WaitStatus(exitTimeout, 3)
	final := tr.JSON().Process(t, w.Pid)
	checkLimit("final report", final)

	if len(critical) == 0 || !wallTime(critical[0].Time).Before(died) {
		t.Errorf("no critical line before the workload died (%d lines after the start)", lines)
	} else {
		c := critical[0].Process(t, w.Pid)
		t.Logf("critical %v before the runtime's fatal error reached the test, at %d threads of %d, %d in C: %q",
			died.Sub(wallTime(critical[0].Time)), c.Threads.Current, n, c.Inflight, c.Reasons)
	}
	if !final.Exited {
		t.Errorf("final report: exited false, but the workload died")
	}
	if final.WorstVerdict != "critical" {
		t.Errorf("final report: worst_verdict %s (%q), want critical", final.WorstVerdict, final.WorstReason)
	}
	if !strings.Contains(tr.stderr.String(), "traced process exited") {
		t.Errorf("the tracer did not say the process exited:\n%s", tr.stderr)
	}
}

// TestThreadsFromC: a C library makes 20 threads of its own (pthread_create
// inside one cgo call). They are threads of the process, attributed to C,
// and not cgo calls: one call of cgs_spawn_pthreads, never more than that one
// call in flight.
func TestThreadsFromC(t *testing.T) {
	const n = 20
	run := traceWorkload(t, "cgoload", []string{"-pthreads", itoa(n), "-pthread-ms", "200"}, "--json")
	if run.truth.CThreadsCreated != n || run.truth.Calls["cgs_spawn_pthreads"] != 1 {
		t.Fatalf("the workload's truth: %d C threads, %d calls; want %d, 1", run.truth.CThreadsCreated, run.truth.Calls["cgs_spawn_pthreads"], n)
	}
	// The C threads have been joined: the count is stable now.
	before, err := procThreads(run.w.Pid)
	if err != nil {
		t.Fatal(err)
	}
	_, proc := run.stopJSON(t) // created_by_c == 20, calls exact
	f := proc.Func("cgs_spawn_pthreads")
	if f == nil || f.Calls != 1 || f.Inflight != 0 {
		t.Fatalf("cgs_spawn_pthreads: %+v, want 1 call, none in flight", f)
	}
	assertInflightPeak(t, proc, 1)
	// The 20 C threads lived at the same time (each sleeps 200 ms).
	th := proc.Threads
	atAttach := th.Current - int64(th.Created) + int64(th.Exited)
	if th.Created < n || th.Exited < n || th.Peak < atAttach+n {
		t.Errorf("threads %+v: want >= %d created and exited, a peak >= the %d at attach + %d", th, n, atAttach, n)
	}
	if int(th.Current) != before {
		t.Errorf("threads.current %d, /proc said %d (stable: every C thread was joined)", th.Current, before)
	}
}

// TestCalm: a calm cgo program (5 calls/s of 100 µs) for about 5 s. Every
// interval line says ok with no reasons, so does the final report, and
// --alert-exit exits 0.
func TestCalm(t *testing.T) {
	requireRoot(t)
	w := startWorkload(t, "calm")
	tr := runProfile(t, "-p", itoa(w.Pid), "--json", "-i", "1", "--alert-exit")
	w.Start()
	check := func(what string, p *Process) {
		t.Helper()
		if p.Verdict != "ok" || len(p.Reasons) != 0 || len(p.Blocked) != 0 || p.WorstVerdict != "ok" || p.WorstReason != "" {
			t.Errorf("%s: verdict %s %q, worst %s %q, %d blocked; want ok and nothing else",
				what, p.Verdict, p.Reasons, p.WorstVerdict, p.WorstReason, len(p.Blocked))
		}
	}
	lines := 0
	for ; lines < 5; lines++ {
		prof, _, ok := tr.NextInterval(intervalTimeout)
		if !ok {
			t.Fatal("the tracer stopped printing interval lines")
		}
		check(fmt.Sprintf("line %d", lines), prof.Process(t, w.Pid))
	}
	w.Stop()
	truth := w.WaitTruth(exitTimeout)
	for {
		prof, _, ok := tr.NextInterval(intervalTimeout)
		if !ok {
			break
		}
		lines++
		check(fmt.Sprintf("line %d", lines), prof.Process(t, w.Pid))
	}
	tr.Wait(exitTimeout) // status 0: --alert-exit found nothing
	prof := tr.JSON()
	proc := prof.Process(t, w.Pid)
	checkRun(t, prof, proc, truth)
	check("final report", proc)
	if calls := truth.Calls["cgs_calm_work"]; calls < 10 {
		t.Errorf("the calm program made only %d calls: the scenario tests little", calls)
	}
	t.Logf("%d interval lines, %d calls, all ok", lines, truth.Calls["cgs_calm_work"])
}
