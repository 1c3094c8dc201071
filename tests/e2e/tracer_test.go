package e2e

// The tracer side of the harness: `cgoscope profile` as a child process.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tracer is a running `cgoscope profile`.
type Tracer struct {
	process
	args     []string
	stdout   bytes.Buffer // written by exec until the process is waited for
	tracing  chan struct{}
	finished bool
}

// runProfile starts `cgoscope profile args...` and waits until it says its
// probes are attached. It is stopped at cleanup at the latest, and its output
// is logged if the test failed.
func runProfile(t *testing.T, args ...string) *Tracer {
	t.Helper()
	tr := &Tracer{
		process: process{t: t, what: "tracer", stderr: &syncBuffer{}, done: make(chan struct{})},
		args:    append([]string{"profile"}, args...),
		tracing: make(chan struct{}),
	}
	tr.cmd = exec.Command(cgoscopeBin(t), tr.args...)
	tr.cmd.Stdout = &tr.stdout
	stderr, err := tr.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.cmd.Start(); err != nil {
		t.Fatalf("starting cgoscope: %v", err)
	}
	go tr.readStderr(stderr)
	t.Cleanup(tr.cleanup)

	select {
	case <-tr.tracing:
	case <-tr.done:
		t.Fatalf("cgoscope %s exited before %q (%v)\nstderr:\n%s", strings.Join(tr.args, " "), tracingLine, tr.err, tr.stderr)
	case <-time.After(tracingTimeout):
		t.Fatalf("cgoscope %s did not print %q within %v\nstderr:\n%s", strings.Join(tr.args, " "), tracingLine, tracingTimeout, tr.stderr)
	}
	return tr
}

func (tr *Tracer) readStderr(r io.Reader) {
	sc := bufio.NewScanner(r)
	seen := false
	for sc.Scan() {
		fmt.Fprintln(tr.stderr, sc.Text())
		if !seen && strings.Contains(sc.Text(), tracingLine) {
			seen = true
			close(tr.tracing)
		}
	}
	_, _ = io.Copy(io.Discard, r)
	tr.wait()
}

// Stop interrupts the tracer (SIGINT), waits for it to print what it gathered
// and exit, fails the test unless it exits with status 0, and returns stdout.
func (tr *Tracer) Stop() []byte {
	tr.t.Helper()
	tr.signal(syscall.SIGINT)
	return tr.Wait(exitTimeout)
}

// Wait waits up to timeout for the tracer to exit on its own (-d, or the
// traced process ended), fails the test unless it exits with status 0, and
// returns its stdout.
func (tr *Tracer) Wait(timeout time.Duration) []byte {
	tr.t.Helper()
	tr.finished = true
	if !tr.waitExit(timeout) {
		tr.t.Fatalf("cgoscope did not exit within %v; killed\nstderr:\n%s", timeout, tr.stderr)
	}
	tr.checkExitedNormally()
	return tr.stdout.Bytes()
}

// JSON parses the tracer's output (after Stop or Wait) as a --json profile,
// after checking it against the schema.
func (tr *Tracer) JSON() *Profile {
	tr.t.Helper()
	if !tr.finished || !tr.exited() {
		tr.t.Fatal("Tracer.JSON called before the tracer was stopped")
	}
	return parseProfile(tr.t, tr.stdout.Bytes())
}

// Output returns what the tracer printed on stdout once it has exited.
func (tr *Tracer) Output() string {
	if !tr.exited() {
		return "(still running)"
	}
	return tr.stdout.String()
}

// cleanup stops a tracer the test did not stop and logs the tracer's output
// if the test failed.
func (tr *Tracer) cleanup() {
	if !tr.exited() {
		tr.signal(syscall.SIGINT)
		if !tr.waitExit(exitTimeout) {
			tr.t.Errorf("cgoscope ignored SIGINT for %v; killed", exitTimeout)
		}
	}
	if tr.t.Failed() {
		tr.t.Logf("cgoscope %s\nstdout:\n%s\nstderr:\n%s", strings.Join(tr.args, " "), tr.Output(), tr.stderr)
	}
}
