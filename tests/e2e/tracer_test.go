package e2e

// The tracer side of the harness: `cgoscope profile` as a child process.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tracer is a running `cgoscope profile`.
type Tracer struct {
	process
	args     []string
	stdout   *syncBuffer // every stdout line
	lines    lineQueue   // the same lines, for NextLine
	onLine   func(Line)
	tracing  chan struct{}
	finished bool
}

// Line is one line the tracer printed on stdout.
type Line struct {
	Seq  int       // 0 for the first line
	Text string    // without the newline
	At   time.Time // when the test read it (before onLine ran)
}

// runProfile starts `cgoscope profile args...` and waits until it says its
// probes are attached. It is stopped at cleanup at the latest, and its output
// is logged if the test failed.
func runProfile(t *testing.T, args ...string) *Tracer {
	t.Helper()
	return runProfileWith(t, nil, args...)
}

// runProfileWith is runProfile with onLine (if not nil) called for every
// stdout line as soon as it is read, before NextLine returns it: the place to
// sample the target at the moment the tracer printed.
func runProfileWith(t *testing.T, onLine func(Line), args ...string) *Tracer {
	t.Helper()
	return startProfile(t, onLine, withFullTracing(args))
}

// runProfileDefaults is runProfile as users run it: without the
// --overhead-budget=0 the other tests add, the governor on.
func runProfileDefaults(t *testing.T, args ...string) *Tracer {
	t.Helper()
	return startProfile(t, nil, args)
}

// startProfile starts `cgoscope profile args...` (runProfileWith).
func startProfile(t *testing.T, onLine func(Line), args []string) *Tracer {
	t.Helper()
	tr := &Tracer{
		process: process{t: t, what: "tracer", stderr: &syncBuffer{}, done: make(chan struct{})},
		args:    append([]string{"profile"}, args...),
		stdout:  &syncBuffer{},
		lines:   lineQueue{wake: make(chan struct{})},
		onLine:  onLine,
		tracing: make(chan struct{}),
	}
	tr.cmd = exec.Command(cgoscopeBin(t), tr.args...)
	stdout, err := tr.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := tr.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.cmd.Start(); err != nil {
		t.Fatalf("starting cgoscope: %v", err)
	}
	// exec.Cmd.Wait must wait for both pipes' readers.
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); tr.readStdout(stdout) }()
	go func() { defer readers.Done(); tr.readStderr(stderr) }()
	go func() { readers.Wait(); tr.wait() }()
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
}

func (tr *Tracer) readStdout(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for seq := 0; sc.Scan(); seq++ {
		l := Line{Seq: seq, Text: sc.Text(), At: time.Now()}
		fmt.Fprintln(tr.stdout, l.Text)
		if tr.onLine != nil {
			tr.onLine(l)
		}
		tr.lines.push(l)
	}
	_, _ = io.Copy(tr.stdout, r)
	tr.lines.close()
}

// lineQueue hands the tracer's stdout lines to the test in order, without
// ever blocking the reader (and so the tracer).
type lineQueue struct {
	mu    sync.Mutex
	lines []Line
	next  int
	eof   bool
	wake  chan struct{} // closed and replaced on every change
}

func (q *lineQueue) push(l Line) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lines = append(q.lines, l)
	close(q.wake)
	q.wake = make(chan struct{})
}

func (q *lineQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.eof = true
	close(q.wake)
	q.wake = make(chan struct{})
}

// NextLine returns the next stdout line the test has not seen yet, waiting up
// to timeout for it; false when the tracer's stdout ended or on timeout.
func (tr *Tracer) NextLine(timeout time.Duration) (Line, bool) {
	deadline := time.After(timeout)
	q := &tr.lines
	for {
		q.mu.Lock()
		if q.next < len(q.lines) {
			l := q.lines[q.next]
			q.next++
			q.mu.Unlock()
			return l, true
		}
		eof, wake := q.eof, q.wake
		q.mu.Unlock()
		if eof {
			return Line{}, false
		}
		select {
		case <-wake:
		case <-deadline:
			return Line{}, false
		}
	}
}

// NextInterval returns the next document `profile --json -i N` printed as one
// line, checked against the schema, waiting up to timeout for it. It returns
// false when the tracer's stdout ended or the final (indented) document
// began; it fails the test on timeout.
func (tr *Tracer) NextInterval(timeout time.Duration) (*Profile, Line, bool) {
	tr.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		l, ok := tr.NextLine(time.Until(deadline))
		switch {
		case !ok && tr.lines.ended():
			return nil, Line{}, false
		case !ok:
			tr.t.Fatalf("cgoscope %s printed no interval line within %v", strings.Join(tr.args, " "), timeout)
		case strings.HasPrefix(l.Text, "{\""):
			return parseProfile(tr.t, []byte(l.Text)), l, true
		case l.Text == "{":
			return nil, Line{}, false
		}
	}
}

func (q *lineQueue) ended() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.eof && q.next == len(q.lines)
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
	return tr.WaitStatus(timeout, 0)
}

// WaitStatus is Wait for a tracer expected to exit with status want (3:
// --alert-exit and the verdict was not ok at some point).
func (tr *Tracer) WaitStatus(timeout time.Duration, want int) []byte {
	tr.t.Helper()
	tr.finished = true
	if !tr.waitExit(timeout) {
		tr.t.Fatalf("cgoscope did not exit within %v; killed\nstderr:\n%s", timeout, tr.stderr)
	}
	tr.checkExitStatus(want)
	return tr.stdout.Bytes()
}

// JSON parses the tracer's final --json document (after Stop or Wait; with
// -i it follows the interval lines), after checking it against the schema.
func (tr *Tracer) JSON() *Profile {
	tr.t.Helper()
	if !tr.finished || !tr.exited() {
		tr.t.Fatal("Tracer.JSON called before the tracer was stopped")
	}
	return parseProfile(tr.t, lastJSON(tr.t, tr.stdout.Bytes()))
}

// lastJSON returns the last of the JSON documents in out.
func lastJSON(t *testing.T, out []byte) []byte {
	t.Helper()
	var last []byte
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var doc json.RawMessage
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("tracer output is not a sequence of JSON documents: %v\noutput:\n%s", err, out)
		}
		last = doc
	}
	if last == nil {
		t.Fatalf("tracer printed no JSON document")
	}
	return last
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

// runCgoscope runs `cgoscope args...` to its end, for commands that are
// expected to end by themselves (errors), and returns its exit status,
// stdout and stderr. It fails the test if cgoscope is killed by a signal or
// runs longer than exitTimeout.
func runCgoscope(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCommand(t, cgoscopeBin(t), args...)
}

// runCommand is runCgoscope of another command (one that runs cgoscope:
// setpriv).
func runCommand(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), exitTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		t.Fatalf("%s %s did not end within %v", bin, strings.Join(args, " "), exitTimeout)
	case !errors.As(err, &exit) || !exit.Exited():
		t.Fatalf("%s %s: %v\nstderr:\n%s", bin, strings.Join(args, " "), err, &stderr)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// withFullTracing turns the overhead budget off unless args set one: the
// tests compare per-function counts exactly, which sampling would not give.
// The governor's own tests pass --overhead-budget themselves.
func withFullTracing(args []string) []string {
	for _, a := range args {
		if strings.HasPrefix(a, "--overhead-budget") {
			return args
		}
	}
	return append([]string{"--overhead-budget=0"}, args...)
}
