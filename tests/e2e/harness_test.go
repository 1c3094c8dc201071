// Package e2e runs the real cgoscope binary against the ground-truth workloads
// in tests/go and compares what it reports with what the workloads did.
//
// The harness starts workloads (this file) and tracers (tracer_test.go) and
// checks that both end well; schema_test.go holds the types of `cgoscope
// profile --json` and checks_test.go the assertions tests share.
//
// Environment: CGOSCOPE is the tracer binary (default ../../.output/cgoscope),
// CGOSCOPE_GOBIN the directory of the workload binaries (default
// ../../.output/go); tests/run.sh sets both. The tests need root.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cgoscope.test/internal/proto"
)

// Timeouts of the harness; scenarios choose their own WaitTruth timeout.
const (
	readyTimeout   = 10 * time.Second // workload start -> READY
	tracingTimeout = 30 * time.Second // tracer start -> "cgoscope: tracing"
	exitTimeout    = 30 * time.Second // stop request -> process gone
)

// tracingLine is what the tracer prints on stderr once its probes are attached.
const tracingLine = "cgoscope: tracing"

// outputPath returns the absolute path of $env, or of def (relative to this
// package's directory) when env is unset.
func outputPath(env, def string) string {
	p := os.Getenv(env)
	if p == "" {
		p = def
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

// cgoscopeBin returns the tracer binary, failing the test if it is missing.
func cgoscopeBin(t *testing.T) string {
	t.Helper()
	return mustExist(t, outputPath("CGOSCOPE", "../../.output/cgoscope"))
}

// workloadBin returns the binary of workload name, failing the test if it is missing.
func workloadBin(t *testing.T, name string) string {
	t.Helper()
	return mustExist(t, filepath.Join(outputPath("CGOSCOPE_GOBIN", "../../.output/go"), name))
}

// requireRealworld skips the test, loudly, when workload name, one of those
// scripts/build_realworld.sh builds from a module of the module proxy, was
// not built, printing the reason the script left in name.skip.
func requireRealworld(t *testing.T, name string) {
	t.Helper()
	dir := outputPath("CGOSCOPE_GOBIN", "../../.output/go")
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
		reason := "not built (scripts/build_realworld.sh did not run)"
		if b, err := os.ReadFile(filepath.Join(dir, name+".skip")); err == nil {
			reason = strings.TrimSpace(string(b))
		}
		t.Skipf("SKIPPED: %s: %s", name, reason)
	}
}

func mustExist(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%v (build it first: make all gobins)", err)
	}
	return path
}

// requireRoot skips the test, loudly, unless it runs as root, and makes sure
// tracefs and bpffs are mounted (uprobes and BPF need them).
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("SKIPPED: needs root to load BPF programs and attach uprobes (euid %d)", os.Geteuid())
	}
	mountOnce.Do(func() { mountErr = mountKernelFS() })
	if mountErr != nil {
		t.Fatalf("mounting kernel filesystems: %v", mountErr)
	}
}

var (
	mountOnce sync.Once
	mountErr  error
)

// mountKernelFS mounts tracefs and bpffs where they are missing.
func mountKernelFS() error {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return err
	}
	for _, m := range []struct{ fstype, source, target string }{
		{"tracefs", "nodev", "/sys/kernel/tracing"},
		{"bpf", "bpf", "/sys/fs/bpf"},
	} {
		if isMounted(string(data), m.fstype, m.target) {
			continue
		}
		if err := syscall.Mount(m.source, m.target, m.fstype, 0, ""); err != nil {
			return fmt.Errorf("mount -t %s %s %s: %w", m.fstype, m.source, m.target, err)
		}
	}
	return nil
}

// isMounted reports whether mounts (/proc/self/mounts) has fstype at target.
func isMounted(mounts, fstype, target string) bool {
	for _, line := range strings.Split(mounts, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == target && f[2] == fstype {
			return true
		}
	}
	return false
}

// syncBuffer is a bytes.Buffer safe for one writer goroutine and readers.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first time.Time // when the first bytes were written
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.first.IsZero() && len(p) > 0 {
		b.first = time.Now()
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Bytes returns a copy of what was written so far.
func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// FirstWrite returns when something was first written (the zero time if never).
// A pipe's reader writes here, so it is when the test first saw the output.
func (b *syncBuffer) FirstWrite() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.first
}

// process is a child process whose end is observed by a goroutine: done is
// closed once it has been waited for. The goroutine that reads the child's
// last pipe calls wait (exec.Cmd requires reads to finish before Wait).
type process struct {
	t      *testing.T
	what   string // "workload cgoload", "tracer"
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error     // of cmd.Wait, valid once done is closed
	ended  time.Time // when cmd.Wait returned, valid once done is closed
}

func (p *process) wait() {
	p.err = p.cmd.Wait()
	p.ended = time.Now()
	close(p.done)
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitExit waits up to timeout for the process to end; it kills it and
// reports false if it does not.
func (p *process) waitExit(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return false
	}
}

// checkExitedNormally fails the test unless the process exited with status 0
// (in particular, not by a signal).
func (p *process) checkExitedNormally() {
	p.t.Helper()
	p.checkExitStatus(0)
}

// checkExitStatus fails the test unless the process exited (not by a
// signal) with status want.
func (p *process) checkExitStatus(want int) {
	p.t.Helper()
	st := p.cmd.ProcessState
	switch {
	case st == nil:
		p.t.Errorf("%s: never waited for (%v)", p.what, p.err)
	case !st.Exited():
		p.t.Errorf("%s did not exit normally: %v\nstderr:\n%s", p.what, st, p.stderr)
	case st.ExitCode() != want:
		p.t.Errorf("%s exited with status %d, want %d\nstderr:\n%s", p.what, st.ExitCode(), want, p.stderr)
	}
}

// signal sends sig unless the process has already ended.
func (p *process) signal(sig syscall.Signal) {
	if !p.exited() {
		_ = p.cmd.Process.Signal(sig)
	}
}

// Workload is a running ground-truth program from tests/go.
type Workload struct {
	process
	Pid     int            // on the host
	NsPid   int            // in the workload's own pid namespace (the READY line): Pid unless it runs in a container
	target  *os.Process    // where signals go: the workload, also when cmd is a wrapper (unshare)
	stdin   io.WriteCloser // held open: the workload exits on its EOF
	stdout  *syncBuffer    // every stdout line, for failure messages
	ready   chan int
	truth   chan proto.Truth
	stopped bool
}

// startWorkload starts workload name with args and waits for its READY line.
// The workload is stopped (and its normal exit asserted) at cleanup at the
// latest.
func startWorkload(t *testing.T, name string, args ...string) *Workload {
	t.Helper()
	return startWorkloadAt(t, workloadBin(t, name), args...)
}

// startWorkloadAt is startWorkload of the binary at path (a copy of a
// workload, which the test may then delete or replace).
func startWorkloadAt(t *testing.T, path string, args ...string) *Workload {
	t.Helper()
	return startWorkloadCmd(t, filepath.Base(path), exec.Command(path, args...), nil)
}

// startWorkloadCmd is startWorkload of cmd, which runs workload name itself
// (hostPid nil) or through a wrapper such as unshare that puts it in another
// pid namespace: then hostPid returns the host pid of the process whose
// READY line said nsPid, and signals go to that process.
func startWorkloadCmd(t *testing.T, name string, cmd *exec.Cmd, hostPid func(nsPid int) (int, error)) *Workload {
	t.Helper()
	w := &Workload{
		process: process{t: t, what: "workload " + name, stderr: &syncBuffer{}, done: make(chan struct{})},
		stdout:  &syncBuffer{},
		ready:   make(chan int, 1),
		truth:   make(chan proto.Truth, 1),
	}
	w.cmd = cmd
	w.cmd.Stderr = w.stderr
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if w.stdin, err = w.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", w.what, err)
	}
	go w.readStdout(stdout)
	t.Cleanup(w.Stop)

	select {
	case w.NsPid = <-w.ready:
	case <-w.done:
		t.Fatalf("%s exited before READY (%v)\nstdout:\n%s\nstderr:\n%s", w.what, w.err, w.stdout, w.stderr)
	case <-time.After(readyTimeout):
		t.Fatalf("%s printed no READY within %v\nstdout:\n%s", w.what, readyTimeout, w.stdout)
	}
	w.Pid, w.target = w.NsPid, w.cmd.Process
	if hostPid != nil {
		pid, err := hostPid(w.NsPid)
		if err != nil {
			t.Fatalf("%s: the host pid of READY %d: %v", w.what, w.NsPid, err)
		}
		if w.target, err = os.FindProcess(pid); err != nil {
			t.Fatal(err)
		}
		w.Pid = pid
	} else if w.Pid != w.cmd.Process.Pid {
		t.Fatalf("%s: READY %d, but its pid is %d", w.what, w.Pid, w.cmd.Process.Pid)
	}
	return w
}

// signal sends sig to the workload (not to a wrapper around it) unless it
// has already ended.
func (w *Workload) signal(sig syscall.Signal) {
	switch {
	case w.target == nil: // stopped before READY
		w.process.signal(sig)
	case !w.exited():
		_ = w.target.Signal(sig)
	}
}

// readStdout passes READY and TRUTH on to the test, then waits for the process.
func (w *Workload) readStdout(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(w.stdout, line)
		if rest, ok := cut(line, "READY "); ok {
			if pid, err := strconv.Atoi(rest); err == nil {
				offer(w.ready, pid)
			}
		} else if rest, ok := cut(line, "TRUTH "); ok {
			var tr proto.Truth
			if err := json.Unmarshal([]byte(rest), &tr); err != nil {
				fmt.Fprintf(w.stderr, "harness: bad TRUTH line: %v\n", err)
				continue
			}
			offer(w.truth, tr)
		}
	}
	_, _ = io.Copy(io.Discard, r)
	w.wait()
}

// offer sends v on ch (buffered, size 1) unless ch is full: a second READY or
// TRUTH line must not block the reader, and only the first counts.
func offer[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// cut is strings.CutPrefix, which Go 1.19 lacks.
func cut(s, prefix string) (string, bool) {
	if strings.HasPrefix(s, prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

// Start tells the workload to run its scenario (SIGUSR1).
func (w *Workload) Start() {
	w.t.Helper()
	if err := w.target.Signal(syscall.SIGUSR1); err != nil {
		w.t.Fatalf("starting the scenario of %s: %v", w.what, err)
	}
}

// WaitTruth waits up to timeout for the TRUTH line and returns it.
func (w *Workload) WaitTruth(timeout time.Duration) proto.Truth {
	w.t.Helper()
	select {
	case tr := <-w.truth:
		return tr
	case <-w.done:
		// The line may have been read just before the process ended.
		select {
		case tr := <-w.truth:
			return tr
		default:
		}
		w.t.Fatalf("%s exited without TRUTH (%v)\nstdout:\n%s\nstderr:\n%s", w.what, w.err, w.stdout, w.stderr)
	case <-time.After(timeout):
		w.t.Fatalf("%s printed no TRUTH within %v\nstdout:\n%s", w.what, timeout, w.stdout)
	}
	return proto.Truth{}
}

// Stop ends the workload with SIGTERM (unless it has already exited, e.g.
// with -exit-after) and fails the test unless it exits normally with status 0.
// It is idempotent; startWorkload registers it as a cleanup.
func (w *Workload) Stop() {
	w.t.Helper()
	if w.stopped {
		return
	}
	w.stopped = true
	w.signal(syscall.SIGTERM)
	if !w.waitExit(exitTimeout) {
		w.t.Errorf("%s did not exit within %v of SIGTERM; killed", w.what, exitTimeout)
		return
	}
	w.checkExitedNormally()
}

// WaitExit waits for a workload that ends by itself (-exit-after) and fails
// the test unless it exits normally with status 0.
func (w *Workload) WaitExit(timeout time.Duration) {
	w.t.Helper()
	w.stopped = true
	if !w.waitExit(timeout) {
		w.t.Errorf("%s did not exit by itself within %v; killed", w.what, timeout)
		return
	}
	w.checkExitedNormally()
}

// goFatalStatus is the exit status of a Go program that dies of a fatal
// runtime error ("fatal error: thread exhaustion"), with the default GOTRACEBACK.
const goFatalStatus = 2

// WaitCrash waits for a workload that is expected to die by itself of a fatal
// Go runtime error: it fails the test unless the workload exits with status 2
// and its stderr contains want. Only this marks a failing exit as expected;
// Stop and WaitExit still demand status 0. It returns when the test first saw
// the workload's stderr output (the runtime prints before it dies).
func (w *Workload) WaitCrash(timeout time.Duration, want string) time.Time {
	w.t.Helper()
	w.stopped = true
	if !w.waitExit(timeout) {
		w.t.Fatalf("%s was expected to die (%q) within %v, but it still ran; killed\nstderr:\n%s", w.what, want, timeout, w.stderr)
	}
	w.checkExitStatus(goFatalStatus)
	if !strings.Contains(w.stderr.String(), want) {
		w.t.Errorf("%s: stderr does not say %q:\n%s", w.what, want, w.stderr)
	}
	return w.stderr.FirstWrite()
}
