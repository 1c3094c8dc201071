package e2e

// The agent side of the harness: `cgoscope agent` as a child process, its
// HTTP endpoints, its verdict-change lines, and a reader of the Prometheus
// text format. Used by agent_test.go and prometheus_test.go.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// agentStopTimeout is how long the agent may take to exit after SIGTERM.
const agentStopTimeout = 2 * time.Second

// servingRe matches the agent's start line on stderr and captures its port.
var servingRe = regexp.MustCompile(`cgoscope: agent serving \S+ \(port (\d+)\)`)

// Agent is a running `cgoscope agent` listening on a loopback port.
type Agent struct {
	process
	args    []string
	Port    int
	URL     string // http://127.0.0.1:PORT
	stdout  *syncBuffer
	serving chan int

	mu     sync.Mutex
	events []agentEvent // the JSON lines of stdout, in order
	client *http.Client
}

// agentEvent is one verdict-change line of the agent's stdout.
type agentEvent struct {
	Event   string   `json:"event"`
	Pid     int      `json:"pid"`
	Comm    string   `json:"comm"`
	Exe     string   `json:"exe"`
	Verdict string   `json:"verdict"`
	From    string   `json:"from"`
	Reasons []string `json:"reasons"`
	Time    float64  `json:"time"`
	At      time.Time
}

// startAgent starts `cgoscope agent` on 127.0.0.1, on a port the kernel
// picks (port 0; the agent prints the one it got), with args, and waits until
// it serves. Like the profile harness, it traces every call
// (--overhead-budget=0) unless args set a budget, and its function series
// are per process (--per-process): the tests compare exact per-function
// counts of one PID. It is stopped at cleanup at the latest; its output is
// logged if the test failed.
func startAgent(t *testing.T, args ...string) *Agent {
	t.Helper()
	return startAgentArgs(t, withFullTracing(append([]string{"--per-process"}, args...)))
}

// startAgentByExe is startAgent with the default exposition: function
// series per executable ({exe,function}), summed over its processes.
func startAgentByExe(t *testing.T, args ...string) *Agent {
	t.Helper()
	return startAgentArgs(t, withFullTracing(args))
}

// startAgentDefaults is startAgent as users run it: the governor on.
func startAgentDefaults(t *testing.T, args ...string) *Agent {
	t.Helper()
	return startAgentArgs(t, args)
}

// startAgentArgs starts `cgoscope agent` with args (startAgent). Unless args
// set --web.render-cache-ttl, scrapes share only concurrent renders
// (--web.render-cache-ttl=0): the tests compare each scrape with what the
// workloads did just before it, which a render kept for 1 s would hide.
func startAgentArgs(t *testing.T, args []string) *Agent {
	t.Helper()
	requireRoot(t)
	ttl := false
	for _, a := range args {
		ttl = ttl || strings.HasPrefix(a, "--web.render-cache-ttl")
	}
	if !ttl {
		args = append([]string{"--web.render-cache-ttl=0"}, args...)
	}
	a := &Agent{
		process: process{t: t, what: "agent", stderr: &syncBuffer{}, done: make(chan struct{})},
		args:    append([]string{"agent", "--web.listen-address", "127.0.0.1:0"}, args...),
		stdout:  &syncBuffer{},
		serving: make(chan int, 1),
		client:  &http.Client{Timeout: 10 * time.Second},
	}
	a.cmd = exec.Command(cgoscopeBin(t), a.args...)
	stdout, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := a.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("starting cgoscope agent: %v", err)
	}
	var pipes sync.WaitGroup
	pipes.Add(2)
	go func() { defer pipes.Done(); a.readStdout(stdout) }()
	go func() { defer pipes.Done(); a.readStderr(stderr) }()
	go func() { pipes.Wait(); a.wait() }()
	t.Cleanup(a.cleanup)

	select {
	case a.Port = <-a.serving:
	case <-a.done:
		t.Fatalf("cgoscope %s exited before serving (%v)\nstderr:\n%s", strings.Join(a.args, " "), a.err, a.stderr)
	case <-time.After(tracingTimeout):
		t.Fatalf("cgoscope %s did not serve within %v\nstderr:\n%s", strings.Join(a.args, " "), tracingTimeout, a.stderr)
	}
	a.URL = fmt.Sprintf("http://127.0.0.1:%d", a.Port)
	return a
}

func (a *Agent) readStderr(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fmt.Fprintln(a.stderr, sc.Text())
		if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
			port, _ := strconv.Atoi(m[1])
			offer(a.serving, port)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// readStdout keeps every line; each must be one JSON object.
func (a *Agent) readStdout(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(a.stdout, line)
		ev := agentEvent{At: time.Now()}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			fmt.Fprintf(a.stderr, "harness: agent stdout line is not JSON: %v: %q\n", err, line)
			ev.Event = "(not JSON)"
		}
		a.mu.Lock()
		a.events = append(a.events, ev)
		a.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

// Events returns the lines the agent has printed on stdout so far.
func (a *Agent) Events() []agentEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]agentEvent(nil), a.events...)
}

// WaitEvent waits up to timeout for a stdout line, after the first skip
// lines, that satisfies match; it returns the line and its index.
func (a *Agent) WaitEvent(skip int, timeout time.Duration, match func(agentEvent) bool) (agentEvent, int, bool) {
	deadline := time.Now().Add(timeout)
	for {
		evs := a.Events()
		for i := skip; i < len(evs); i++ {
			if match(evs[i]) {
				return evs[i], i, true
			}
		}
		if time.Now().After(deadline) || a.exited() {
			return agentEvent{}, 0, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Get fetches path from the agent and returns the status, body and
// Content-Type; a transport error fails the test.
func (a *Agent) Get(path string) (int, string, string) {
	a.t.Helper()
	resp, err := a.client.Get(a.URL + path)
	if err != nil {
		a.t.Fatalf("GET %s: %v\nagent stderr:\n%s", path, err, a.stderr)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return resp.StatusCode, string(body), resp.Header.Get("Content-Type")
}

// Scrape fetches /metrics, checks the status and content type, and parses it.
func (a *Agent) Scrape() (metrics, string) {
	a.t.Helper()
	status, body, ctype := a.Get("/metrics")
	if status != http.StatusOK {
		a.t.Fatalf("GET /metrics: status %d\n%s", status, body)
	}
	if !strings.HasPrefix(ctype, "text/plain; version=0.0.4") {
		a.t.Errorf("GET /metrics: Content-Type %q, want text/plain; version=0.0.4", ctype)
	}
	return parseMetrics(a.t, body), body
}

// Processes fetches /api/v1/processes and checks it against the schema of
// `cgoscope profile --json`.
func (a *Agent) Processes() *Profile {
	a.t.Helper()
	status, body, ctype := a.Get("/api/v1/processes")
	if status != http.StatusOK || !strings.HasPrefix(ctype, "application/json") {
		a.t.Fatalf("GET /api/v1/processes: status %d, Content-Type %q\n%s", status, ctype, body)
	}
	return parseProfile(a.t, []byte(body))
}

// waitTraced polls /metrics until pid has series (or timeout) and returns the
// time that took and the last scrape.
func (a *Agent) waitTraced(pid int, timeout time.Duration) (time.Duration, metrics, bool) {
	a.t.Helper()
	t0 := time.Now()
	for {
		m, _ := a.Scrape()
		if m.has(pid) {
			return time.Since(t0), m, true
		}
		if time.Since(t0) > timeout {
			return time.Since(t0), m, false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitGone polls /metrics until pid has no series left (or timeout); it
// returns the time that took and how many scrapes still showed pid.
func (a *Agent) waitGone(pid int, timeout time.Duration) (time.Duration, int, bool) {
	a.t.Helper()
	t0 := time.Now()
	for stale := 0; ; stale++ {
		m, _ := a.Scrape()
		if !m.has(pid) {
			return time.Since(t0), stale, true
		}
		if time.Since(t0) > timeout {
			return time.Since(t0), stale, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop sends SIGTERM and fails the test unless the agent exits with status 0
// within agentStopTimeout; it returns how long the exit took.
func (a *Agent) Stop() time.Duration {
	a.t.Helper()
	t0 := time.Now()
	a.signal(syscall.SIGTERM)
	if !a.waitExit(agentStopTimeout) {
		a.t.Errorf("cgoscope agent did not exit within %v of SIGTERM; killed\nstderr:\n%s", agentStopTimeout, a.stderr)
		return time.Since(t0)
	}
	took := time.Since(t0)
	a.checkExitedNormally()
	return took
}

func (a *Agent) cleanup() {
	if !a.exited() {
		a.signal(syscall.SIGTERM)
		if !a.waitExit(exitTimeout) {
			a.t.Errorf("cgoscope agent ignored SIGTERM for %v; killed", exitTimeout)
		}
	}
	if a.t.Failed() {
		a.t.Logf("cgoscope %s\nstdout:\n%s\nstderr:\n%s", strings.Join(a.args, " "), a.stdout, a.stderr)
	}
}

// Kill ends a workload with SIGKILL, for scenarios that cannot end in time
// (a goroutine blocked in C for a minute); its exit status is not checked.
func (w *Workload) Kill() {
	w.stopped = true
	w.signal(syscall.SIGKILL)
	<-w.done
}

// sample is one line of the Prometheus text format.
type sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// metrics is a parsed /metrics response.
type metrics []sample

// parseMetrics parses the text format (0.0.4) strictly enough for the tests:
// comments, then `name{k="v",...} value` with \\, \" and \n escapes.
func parseMetrics(t *testing.T, text string) metrics {
	t.Helper()
	var m metrics
	for i, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			t.Fatalf("metrics line %d: %v: %q", i+1, err, line)
		}
		m = append(m, s)
	}
	return m
}

func parseSample(line string) (sample, error) {
	s := sample{Labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return s, fmt.Errorf("no metric name")
	}
	s.Name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for {
			if strings.HasPrefix(line, "}") {
				line = line[1:]
				break
			}
			eq := strings.Index(line, `="`)
			if eq <= 0 {
				return s, fmt.Errorf("bad label")
			}
			key := line[:eq]
			line = line[eq+2:]
			var val strings.Builder
			for {
				if line == "" {
					return s, fmt.Errorf("unterminated label value")
				}
				c := line[0]
				line = line[1:]
				if c == '"' {
					break
				}
				if c == '\\' && line != "" {
					switch line[0] {
					case 'n':
						c = '\n'
					case '\\', '"':
						c = line[0]
					default:
						return s, fmt.Errorf("bad escape \\%c", line[0])
					}
					line = line[1:]
				}
				val.WriteByte(c)
			}
			if _, dup := s.Labels[key]; dup {
				return s, fmt.Errorf("label %s twice", key)
			}
			s.Labels[key] = val.String()
			line = strings.TrimPrefix(line, ",")
		}
	}
	fields := strings.Fields(line)
	if len(fields) != 1 {
		return s, fmt.Errorf("want one value after the labels")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, err
	}
	s.Value = v
	return s, nil
}

// find returns the samples called name whose labels include want.
func (m metrics) find(name string, want map[string]string) []sample {
	var out []sample
	for _, s := range m {
		if s.Name != name {
			continue
		}
		ok := true
		for k, v := range want {
			if s.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// value returns the value of the one sample matching name and want.
func (m metrics) value(name string, want map[string]string) (float64, bool) {
	s := m.find(name, want)
	if len(s) != 1 {
		return 0, false
	}
	return s[0].Value, true
}

// has reports whether any series carries pid.
func (m metrics) has(pid int) bool {
	p := itoa(pid)
	for _, s := range m {
		if s.Labels["pid"] == p {
			return true
		}
	}
	return false
}

// pids lists the pid labels present.
func (m metrics) pids() map[string]bool {
	out := map[string]bool{}
	for _, s := range m {
		if p, ok := s.Labels["pid"]; ok {
			out[p] = true
		}
	}
	return out
}

// pidLabel is the label set selecting one process.
func pidLabel(pid int) map[string]string { return map[string]string{"pid": itoa(pid)} }

// exeOf returns the exe label of pid's cgoscope_process_info (the key of its
// function series by default), failing the test when there is none.
func exeOf(t *testing.T, m metrics, pid int) string {
	t.Helper()
	s := m.find("cgoscope_process_info", pidLabel(pid))
	if len(s) != 1 || s[0].Labels["exe"] == "" {
		t.Fatalf("PID %d: %d cgoscope_process_info series, want one with an exe", pid, len(s))
	}
	return s[0].Labels["exe"]
}

// exeFuncLabel selects one C function of one executable.
func exeFuncLabel(exe, fn string) map[string]string {
	return map[string]string{"exe": exe, "function": fn}
}

// funcLabel selects one C function of one process (with --per-process).
func funcLabel(pid int, fn string) map[string]string {
	return map[string]string{"pid": itoa(pid), "function": fn}
}

// requireCommand returns the path of an external tool, or skips the test
// loudly when it is not installed.
func requireCommand(t *testing.T, name, why string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("SKIPPED: %s not installed (%s): %v", name, why, err)
	}
	return p
}

// privateWorkloads copies the workload binaries (and /bin/sleep, as
// "notgo") into a directory of this test and points the harness at it, so
// that `--include DIR/*` selects this test's processes only: other tests or
// people on the host may run the same binaries from .output/go. The copies
// are new files, so the agent attaches to them from scratch. It returns DIR.
func privateWorkloads(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyFile := func(src, dst string) {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"cgoload", "cgoload-stripped", "calm", "nocgo"} {
		copyFile(workloadBin(t, name), filepath.Join(dir, name))
	}
	copyFile("/bin/sleep", filepath.Join(dir, "notgo"))
	t.Setenv("CGOSCOPE_GOBIN", dir)
	return dir
}
