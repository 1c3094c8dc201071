package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of the agent tests. Issue 4 targets 100 ms from exec to traced; the
// figure is logged, and only a generous bound is asserted so a loaded test
// machine does not make the suite flaky.
const (
	attachBound = 2 * time.Second // exec -> series in /metrics
	goneBound   = 2 * time.Second // exit -> no series left
)

// TestAgent runs `cgoscope agent` over this test's own workloads and checks
// what a Prometheus server would see: exact per-function counts for the Go
// processes with cgo, nothing for the others, series that follow processes
// as they come and go, valid exposition text, the JSON API, and a clean
// shutdown that leaves the traced programs running.
func TestAgent(t *testing.T) {
	requireRoot(t)
	dir := privateWorkloads(t)
	a := startAgent(t, "--include", dir+"/*")
	checkEndpoints(t, a)

	// Processes that must never be traced, started first: when a later Go
	// workload appears, the agent has examined their exec events too.
	notgo := exec.Command(filepath.Join(dir, "notgo"), "600")
	if err := notgo.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = notgo.Process.Kill(); _ = notgo.Wait() })
	nocgo := startWorkload(t, "nocgo")

	load, _ := startTraced(t, a, "cold", "cgoload", "-hot", "20000", "-sleep1ms", "20", "-callback", "10")
	const calmRate = 20
	calm, _ := startTraced(t, a, "cold", "calm", "-rate", itoa(calmRate))
	calm.Start()
	idle, _ := startTraced(t, a, "warm", "cgoload", "-hot", "5000") // run after the agent has gone

	load.Start()
	truth := load.WaitTruth(truthTimeout)
	nocgo.Start()
	nocgo.WaitTruth(truthTimeout)

	scrapeAt := time.Now()
	m, text := a.Scrape()
	t.Logf("scrape: %d bytes, %d samples, %.2f ms as the agent measured the previous one",
		len(text), len(m), 1000*mustValue(t, m, "cgoscope_scrape_duration_seconds", nil))
	checkPromtool(t, text)
	checkProcessSeries(t, m, load.Pid, "cgoload")
	checkProcessSeries(t, m, calm.Pid, "calm")
	checkCallsTotal(t, m, load.Pid, truth.Calls)
	for _, pid := range []int{nocgo.Pid, notgo.Process.Pid} {
		if m.has(pid) {
			t.Errorf("PID %d is not a Go program with cgo, but has series: %v", pid, m.find("cgoscope_process_threads", pidLabel(pid)))
		}
	}
	if n := mustValue(t, m, "cgoscope_processes_traced", nil); n != 3 {
		t.Errorf("cgoscope_processes_traced %v, want 3 (cgoload twice, calm); pids with series: %v", n, m.pids())
	}
	checkProcessesAPI(t, a, load.Pid, truth.Calls)

	// calm ends with the stop request and reports its count then: the count
	// scraped above can only miss the calls made since (at calmRate/s).
	calmSeen, _ := m.value("cgoscope_cgo_calls_total", funcLabel(calm.Pid, "cgs_calm_work"))
	calm.signal(syscall.SIGTERM)
	since := time.Since(scrapeAt)
	calmTruth := calm.WaitTruth(exitTimeout)
	calm.WaitExit(exitTimeout)
	want := float64(calmTruth.Calls["cgs_calm_work"])
	if slack := float64(calmRate)*since.Seconds() + 1; calmSeen > want || want-calmSeen > slack {
		t.Errorf("calm: %v calls of cgs_calm_work scraped, it made %v in all, at most %.0f of them after the scrape", calmSeen, want, slack)
	}

	// A process that exits: gone from the next scrape.
	took, stale, ok := a.waitGone(calm.Pid, goneBound)
	t.Logf("exit -> series gone: %v (%d scrape(s) still showed it)", took.Round(time.Millisecond), stale)
	if !ok {
		t.Errorf("calm (PID %d) exited, its series are still there after %v", calm.Pid, goneBound)
	}

	// A process started after the agent, of a binary not seen before: appears.
	late, _ := startTraced(t, a, "cold", "cgoload-stripped", "-hot", "3000")
	late.Start()
	lateTruth := late.WaitTruth(truthTimeout)
	m, _ = a.Scrape()
	checkCallsTotal(t, m, late.Pid, lateTruth.Calls)

	checkShutdown(t, a, dir)

	// The traced programs keep working without their probes and end normally.
	idle.Start()
	idleTruth := idle.WaitTruth(truthTimeout)
	if idleTruth.Calls["cgs_noop"] != 5000 {
		t.Errorf("cgoload after the agent's exit: %v", idleTruth.Calls)
	}
	for _, w := range []*Workload{idle, load, late, nocgo} {
		w.Stop()
	}
}

// startTraced starts a workload (before its scenario) and waits until the
// agent serves its series; it logs the time from exec to the first scrape
// with the process and the agent's own cgoscope_attach_latency_seconds.
// kind says whether the agent has seen the binary before ("warm") or not.
func startTraced(t *testing.T, a *Agent, kind, name string, args ...string) (*Workload, time.Duration) {
	t.Helper()
	t0 := time.Now()
	w := startWorkload(t, name, args...)
	ready := time.Since(t0)
	_, m, ok := a.waitTraced(w.Pid, attachBound)
	total := time.Since(t0)
	if !ok {
		t.Fatalf("%s (PID %d, started after the agent) has no series %v after its exec", name, w.Pid, total)
	}
	lat := mustValue(t, m, "cgoscope_attach_latency_seconds", nil)
	t.Logf("%s %s: exec -> traced %.1f ms (agent's cgoscope_attach_latency_seconds); exec -> in /metrics <= %v (READY after %v)",
		kind, name, 1000*lat, total.Round(100*time.Microsecond), ready.Round(100*time.Microsecond))
	if lat <= 0 || lat > attachBound.Seconds() {
		t.Errorf("cgoscope_attach_latency_seconds %v, want it in (0, %v]", lat, attachBound.Seconds())
	}
	return w, total
}

// mustValue returns the value of the one series name{labels}.
func mustValue(t *testing.T, m metrics, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := m.value(name, labels)
	if !ok {
		t.Fatalf("want exactly one series %s%v, have %d", name, labels, len(m.find(name, labels)))
	}
	return v
}

// checkProcessSeries checks the labels of a traced process's series and
// that every per-process metric is there.
func checkProcessSeries(t *testing.T, m metrics, pid int, comm string) {
	t.Helper()
	info := m.find("cgoscope_process_info", pidLabel(pid))
	if len(info) != 1 || info[0].Value != 1 {
		t.Errorf("PID %d (%s): cgoscope_process_info %v, want one series of value 1", pid, comm, info)
		return
	}
	l := info[0].Labels
	if l["comm"] != comm || filepath.Base(l["exe"]) != comm || !strings.HasPrefix(l["go_version"], "go1.") {
		t.Errorf("PID %d: info labels %v, want comm=%s, exe=.../%s, go_version=go1.*", pid, l, comm, comm)
	}
	s := m.find("cgoscope_process_threads", pidLabel(pid))
	if len(s) != 1 {
		t.Errorf("PID %d (%s): %d cgoscope_process_threads series, want 1", pid, comm, len(s))
		return
	}
	if got := s[0].Labels; len(got) != 2 || got["exe"] != l["exe"] {
		t.Errorf("PID %d: cgoscope_process_threads labels %v, want {pid, exe} only", pid, got)
	}
	if n, err := procThreads(pid); err == nil && s[0].Value <= 0 {
		t.Errorf("PID %d: cgoscope_process_threads %v (/proc: %d)", pid, s[0].Value, n)
	}
	for _, name := range []string{"cgoscope_process_cgo_inflight_calls", "cgoscope_process_cgo_inflight_calls_peak",
		"cgoscope_process_long_blocking_calls", "cgoscope_process_long_blocking_calls_completed_total",
		"cgoscope_process_threads_peak", "cgoscope_process_threads_created_total",
		"cgoscope_process_threads_created_by_c_total", "cgoscope_process_threads_exited_total",
		"cgoscope_process_gomaxprocs", "cgoscope_process_max_threads", "cgoscope_process_starvation_state",
		"cgoscope_process_probe_cost_seconds", "cgoscope_functions_folded"} {
		if len(m.find(name, pidLabel(pid))) != 1 {
			t.Errorf("PID %d: want one series %s", pid, name)
		}
	}
	if v, _ := m.value("cgoscope_process_starvation_state", pidLabel(pid)); v != 0 {
		t.Errorf("PID %d (%s): starvation state %v, want 0 (ok)", pid, comm, v)
	}
}

// checkCallsTotal checks cgoscope_cgo_calls_total of every workload function
// against the workload's own counts, and the histogram's count with it.
func checkCallsTotal(t *testing.T, m metrics, pid int, calls map[string]uint64) {
	t.Helper()
	if len(calls) == 0 {
		t.Fatal("the workload made no calls: the scenario tests nothing")
	}
	for _, fn := range sortedKeys(calls) {
		want := float64(calls[fn])
		got, ok := m.value("cgoscope_cgo_calls_total", funcLabel(pid, fn))
		switch {
		case !ok:
			t.Errorf("PID %d: no cgoscope_cgo_calls_total{function=%q} (want %v)", pid, fn, want)
		case got != want:
			t.Errorf("PID %d: cgoscope_cgo_calls_total{function=%q} %v, the workload made %v calls", pid, fn, got, want)
		}
		count, _ := m.value("cgoscope_cgo_call_duration_seconds_count", funcLabel(pid, fn))
		inf, _ := m.value("cgoscope_cgo_call_duration_seconds_bucket", map[string]string{"pid": itoa(pid), "function": fn, "le": "+Inf"})
		if count != want || inf != want {
			t.Errorf("PID %d %s: histogram _count %v, +Inf bucket %v, want %v", pid, fn, count, inf, want)
		}
	}
	for _, s := range m.find("cgoscope_cgo_calls_total", pidLabel(pid)) {
		fn := s.Labels["function"]
		if _, ok := calls[fn]; !ok && strings.HasPrefix(fn, workloadPrefix) {
			t.Errorf("PID %d: %s has %v calls, the workload made none", pid, fn, s.Value)
		}
	}
}

// checkProcessesAPI checks /api/v1/processes against the schema of `cgoscope
// profile --json` and the counts of pid.
func checkProcessesAPI(t *testing.T, a *Agent, pid int, calls map[string]uint64) {
	t.Helper()
	prof := a.Processes()
	proc := prof.Process(t, pid)
	assertNoDrops(t, prof)
	for _, fn := range sortedKeys(calls) {
		if f := proc.Func(fn); f == nil || f.Calls != calls[fn] {
			t.Errorf("/api/v1/processes: PID %d %s: %+v, want %d calls", pid, fn, f, calls[fn])
		}
	}
	if proc.Verdict != "ok" {
		t.Errorf("/api/v1/processes: PID %d verdict %q, want ok", pid, proc.Verdict)
	}
}

// alertsDoc is /api/v1/alerts.
type alertsDoc struct {
	Time   float64      `json:"time"`
	Alerts []agentEvent `json:"alerts"`
}

// Alerts fetches /api/v1/alerts.
func (a *Agent) Alerts() alertsDoc {
	a.t.Helper()
	status, body, ctype := a.Get("/api/v1/alerts")
	var doc alertsDoc
	if status != http.StatusOK || !strings.HasPrefix(ctype, "application/json") {
		a.t.Fatalf("GET /api/v1/alerts: status %d, Content-Type %q\n%s", status, ctype, body)
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Time <= 0 || doc.Alerts == nil {
		a.t.Fatalf("GET /api/v1/alerts: want {\"time\": ..., \"alerts\": [...]}, have %v\n%s", err, body)
	}
	return doc
}

// checkEndpoints checks the endpoints other than /metrics.
func checkEndpoints(t *testing.T, a *Agent) {
	t.Helper()
	if status, body, _ := a.Get("/healthz"); status != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("GET /healthz: %d %q, want 200 ok", status, body)
	}
	status, body, ctype := a.Get("/")
	if status != 200 || !strings.HasPrefix(ctype, "text/html") {
		t.Errorf("GET /: %d %q", status, ctype)
	}
	for _, p := range []string{"/metrics", "/api/v1/processes", "/api/v1/alerts", "/healthz"} {
		if !strings.Contains(body, `href="`+p+`"`) {
			t.Errorf("GET /: no link to %s:\n%s", p, body)
		}
	}
	for _, p := range []string{"/nope", "/metrics/x", "/api/v1", "/healthz/x"} {
		if status, _, _ := a.Get(p); status != 404 {
			t.Errorf("GET %s: status %d, want 404", p, status)
		}
	}
	a.Processes()
	a.Alerts()
}

// checkPromtool runs `promtool check metrics` on a scrape.
func checkPromtool(t *testing.T, text string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Logf("SKIPPED (part): promtool not installed, exposition text not linted: %v", err)
		return
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// perfEntry is one line of `bpftool -j perf list`: a perf event with a BPF
// program attached, and the process holding it. libbpf attaches uprobes as
// perf events of the uprobe PMU, so this is where they show.
type perfEntry struct {
	Pid      int    `json:"pid"`
	FdType   string `json:"fd_type"`
	Filename string `json:"filename"`
}

func perfList(t *testing.T, bpftool string) []perfEntry {
	t.Helper()
	out, err := exec.Command(bpftool, "-j", "perf", "list").Output()
	if err != nil {
		t.Fatalf("bpftool perf list: %v", err)
	}
	var l []perfEntry
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatalf("bpftool -j perf list: %v\n%s", err, out)
	}
	return l
}

// uprobeMultiLinks returns the ids of the uprobe_multi links process pid
// holds (the link_id of each link fd whose fdinfo says link_type uprobe_multi).
func uprobeMultiLinks(pid int) map[string]bool {
	ids := map[string]bool{}
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fdinfo/*", pid))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), "link_type:\tuprobe_multi") {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "link_id:\t") {
				ids[strings.TrimPrefix(line, "link_id:\t")] = true
			}
		}
	}
	return ids
}

// checkShutdown stops the agent with SIGTERM and checks it leaves no probe
// behind: no perf event (uprobe or tracepoint) of its process, none of its
// uprobe_multi links, and no uprobe in tracefs (libbpf's fallback when there
// is no uprobe PMU).
func checkShutdown(t *testing.T, a *Agent, dir string) {
	t.Helper()
	pid := a.cmd.Process.Pid
	bpftool, err := exec.LookPath("bpftool")
	if err != nil {
		t.Logf("SKIPPED (part): bpftool not installed, probes left behind not checked")
	}
	count := func() (uprobes, all int) {
		for _, e := range perfList(t, bpftool) {
			if e.Pid == pid {
				all++
				if e.FdType == "uprobe" || e.FdType == "uretprobe" {
					uprobes++
				}
			}
		}
		return
	}
	multi := uprobeMultiLinks(pid)
	if bpftool != "" {
		if u, _ := count(); u == 0 && len(multi) == 0 {
			t.Errorf("neither bpftool perf list nor its link fds show an uprobe of the agent (PID %d) while it traces: the check below would prove nothing", pid)
		}
	}
	took := a.Stop()
	t.Logf("SIGTERM -> agent exited in %v (%d uprobe_multi links)", took.Round(time.Millisecond), len(multi))
	if bpftool != "" {
		if u, all := count(); all != 0 {
			t.Errorf("after the agent's exit, %d perf events (%d uprobes) of PID %d remain", all, u, pid)
		}
		out, err := exec.Command(bpftool, "-j", "link", "show").Output()
		var links []struct {
			ID   int    `json:"id"`
			Type string `json:"type"`
		}
		if err == nil && json.Unmarshal(out, &links) == nil {
			for _, l := range links {
				if multi[fmt.Sprint(l.ID)] {
					t.Errorf("after the agent's exit, its %s link %d remains", l.Type, l.ID)
				}
			}
		}
	}
	if ev, err := os.ReadFile("/sys/kernel/tracing/uprobe_events"); err == nil {
		for _, line := range strings.Split(string(ev), "\n") {
			if strings.Contains(line, "cgoscope") || strings.Contains(line, dir) {
				t.Errorf("uprobe left in tracefs: %s", line)
			}
		}
	}
}

// TestAgentVerdictChange checks the agent's alert lines on stdout: a workload
// whose goroutines block in C moves to warning (or critical) and back to ok,
// one JSON line each, and /api/v1/alerts lists it meanwhile.
func TestAgentVerdictChange(t *testing.T) {
	requireRoot(t)
	dir := privateWorkloads(t)
	a := startAgent(t, "--include", dir+"/*")
	w, _ := startTraced(t, a, "cold", "cgoload", "-block", "40", "-block-ms", "3000")
	started := time.Now()
	w.Start()
	bad := func(e agentEvent) bool {
		return e.Event == "verdict_change" && e.Pid == w.Pid && (e.Verdict == "warning" || e.Verdict == "critical")
	}
	ev, i, ok := a.WaitEvent(0, 3*time.Second, bad)
	if !ok {
		t.Fatalf("no verdict_change to warning/critical for PID %d within 3 s of 40 goroutines blocking in C; stdout: %v", w.Pid, a.Events())
	}
	t.Logf("verdict_change %s -> %s after %v: %v", ev.From, ev.Verdict, ev.At.Sub(started).Round(time.Millisecond), ev.Reasons)
	if ev.From != "ok" || len(ev.Reasons) == 0 || ev.Comm != "cgoload" || ev.Time <= 0 {
		t.Errorf("verdict_change line: %+v, want from ok, comm cgoload, a time and reasons", ev)
	}
	found := false
	for _, al := range a.Alerts().Alerts {
		found = found || (al.Pid == w.Pid && al.Verdict != "ok")
	}
	if !found {
		t.Errorf("/api/v1/alerts does not list PID %d while its verdict is %s", w.Pid, ev.Verdict)
	}
	w.WaitTruth(truthTimeout)
	back, _, ok := a.WaitEvent(i+1, 5*time.Second, func(e agentEvent) bool {
		return e.Event == "verdict_change" && e.Pid == w.Pid && e.Verdict == "ok"
	})
	if !ok {
		t.Fatalf("no verdict_change back to ok for PID %d within 5 s of the blocking calls' end; stdout: %v", w.Pid, a.Events())
	}
	t.Logf("verdict_change %s -> ok", back.From)
	w.Stop()
}

// TestAgentBadHTTP feeds the agent's HTTP server what a hostile or broken
// client sends (an unknown path, a 64 KiB header, garbage, 100 idle
// connections); /metrics must keep answering.
func TestAgentBadHTTP(t *testing.T) {
	requireRoot(t)
	a := startAgent(t, "--include", "/nonexistent/*")
	addr := fmt.Sprintf("127.0.0.1:%d", a.Port)
	metricsOK := func(when string) {
		t.Helper()
		if status, _, _ := a.Get("/metrics"); status != 200 {
			t.Fatalf("%s: GET /metrics: status %d", when, status)
		}
	}
	// raw sends req on a new connection and returns the status line (or "" if
	// the server closed the connection without one).
	// sent, when not nil, is told once the request is on its way.
	rawSent := func(req []byte, sent *sync.WaitGroup) string {
		t.Helper()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(15 * time.Second))
		_, _ = c.Write(req) // the server may close early
		if sent != nil {
			sent.Done()
		}
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if n == 0 && err != nil && !os.IsTimeout(err) {
			return ""
		}
		if os.IsTimeout(err) {
			t.Errorf("no answer to %d bytes of request within 15 s", len(req))
		}
		line, _, _ := bytes.Cut(buf[:n], []byte("\r\n"))
		return string(line)
	}
	raw := func(req []byte) string { return rawSent(req, nil) }

	if status, _, _ := a.Get("/does/not/exist"); status != 404 {
		t.Errorf("unknown path: status %d, want 404", status)
	}
	big := "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n"
	st := raw([]byte(big))
	t.Logf("64 KiB header: %q", st)
	if st != "" && !strings.Contains(st, " 431 ") && !strings.Contains(st, " 400 ") && !strings.Contains(st, " 413 ") {
		t.Errorf("64 KiB header: %q, want 431 (or 400/413, or the connection closed)", st)
	}
	metricsOK("after a 64 KiB header")

	// Sent at once: a request the server cannot parse may be held until the
	// connection timeout (10 s) before it is closed.
	rng := rand.New(rand.NewSource(1))
	junk := make([]byte, 4096)
	rng.Read(junk)
	reqs := [][]byte{junk, []byte("\x00\x01\x02\r\n\r\n"), []byte("GET\r\n\r\n"),
		[]byte("BREW /metrics HTCPCP/1.0\r\n\r\n"), []byte("GET /metrics HTTP/9.9\r\n\r\n"),
		[]byte("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nxx")}
	answers := make([]string, len(reqs))
	var wg, sent sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		sent.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			st := rawSent(reqs[i], &sent)
			answers[i] = fmt.Sprintf("%q after %v", st, time.Since(t0).Round(time.Millisecond))
			if strings.HasPrefix(st, "HTTP/1.1 200") {
				t.Errorf("%q: answered %q", clip(reqs[i], 12), st)
			}
		}(i)
	}
	sent.Wait() // every garbage request is on the server's side now
	metricsOK("while garbage requests are pending")
	wg.Wait()
	for i := range reqs {
		t.Logf("%q: %s", clip(reqs[i], 12), answers[i])
	}
	metricsOK("after garbage")

	// 100 idle connections from 127.0.0.2: the per-address limit keeps most
	// out, and a client at another address (Prometheus) is still served.
	var idle []net.Conn
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	for i := 0; i < 100; i++ {
		if c, err := d.Dial("tcp", addr); err == nil {
			idle = append(idle, c)
		}
	}
	t0 := time.Now()
	metricsOK("with 100 idle connections open from another address")
	t.Logf("%d idle connections opened; /metrics answered in %v meanwhile", len(idle), time.Since(t0).Round(time.Millisecond))
	for _, c := range idle {
		c.Close()
	}
	// The same from 127.0.0.1 itself: the per-address limit (16) then keeps
	// this address out until they close or time out; logged, not asserted.
	idle = idle[:0]
	for i := 0; i < 100; i++ {
		if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			idle = append(idle, c)
		}
	}
	short := &http.Client{Timeout: time.Second}
	if resp, err := short.Get(a.URL + "/metrics"); err != nil {
		t.Logf("with 100 idle connections from 127.0.0.1 open, /metrics from 127.0.0.1: %v (per-address connection limit)", err)
	} else {
		resp.Body.Close()
		t.Logf("with 100 idle connections from 127.0.0.1 open, /metrics from 127.0.0.1: %s", resp.Status)
	}
	for _, c := range idle {
		c.Close()
	}
	// the server sees the closes on its own time: served again within 5 s
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := short.Get(a.URL + "/metrics")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 100 idle connections from the same address were closed: GET /metrics: %v %v for 5 s", resp, err)
		}
	}
	if a.exited() {
		t.Fatalf("the agent died: %v\n%s", a.err, a.stderr)
	}
}

// clip returns at most the first n bytes of b.
func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
