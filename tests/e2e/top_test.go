package e2e

// `cgoscope top`: plain frames for scripts, and the live view on a terminal
// (tmux), which must show the process and quit on q.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// topHeader starts every frame of `cgoscope top`.
const topHeader = "cgoscope top"

// startBusy starts cgoload calling cgs_noop (and sleeping 1 ms now and then)
// until it is stopped.
func startBusy(t *testing.T) *Workload {
	t.Helper()
	w := startWorkload(t, "cgoload", "-hot", "2000", "-sleep1ms", "5", "-rounds", "100000000")
	w.Start()
	return w
}

// procRow matches the row of pid in a frame: PID COMM GO ... VERDICT.
func procRow(pid int, comm string) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`(?m)^\s*%d\s+%s\s+go1\.\S+\s+.*\s(ok|warning|critical)\s*$`, pid, regexp.QuoteMeta(comm)))
}

// TestTopPlain runs `cgoscope top -b -n 3 -p PID` and checks each of the three
// frames: header, the process's row with its verdict, cgs_noop among its
// functions.
func TestTopPlain(t *testing.T) {
	requireRoot(t)
	w := startBusy(t)
	cmd := exec.Command(cgoscopeBin(t), "top", "-b", "-n", "3", "-p", itoa(w.Pid))
	var stderr syncBuffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cgoscope top -b -n 3 -p %d: %v\nstdout:\n%s\nstderr:\n%s", w.Pid, err, out, &stderr)
	}
	t.Logf("cgoscope top -b -n 3 took %v", time.Since(t0).Round(time.Millisecond))
	if strings.Contains(string(out), "\033") {
		t.Errorf("plain output contains escape sequences:\n%q", out)
	}
	frames := strings.Split(string(out), topHeader)[1:]
	if len(frames) != 3 {
		t.Fatalf("want 3 frames, have %d:\n%s", len(frames), out)
	}
	row := procRow(w.Pid, "cgoload")
	for i, f := range frames {
		if !row.MatchString(f) {
			t.Errorf("frame %d: no row for PID %d (cgoload) ending in a verdict:\n%s", i+1, w.Pid, f)
		}
		if !regexp.MustCompile(`(?m)^\s+cgs_noop\s`).MatchString(f) {
			t.Errorf("frame %d: cgs_noop not among the functions:\n%s", i+1, f)
		}
	}
	if !strings.Contains(frames[2], fmt.Sprintf("PID %d:", w.Pid)) {
		t.Errorf("last frame has no function table for PID %d:\n%s", w.Pid, frames[2])
	}
	t.Logf("last frame:\n%s%s", topHeader, frames[2])
	w.Stop()
}

// TestTopTmux runs the live view in a tmux pane (a real terminal), reads the
// screen, and presses q: the command must exit 0 within 2 s.
func TestTopTmux(t *testing.T) {
	requireRoot(t)
	tmux := requireCommand(t, "tmux", "Debian package tmux; make deps installs it")
	w := startBusy(t)
	dir := t.TempDir()
	status := filepath.Join(dir, "status")
	sock := fmt.Sprintf("cgoscope-e2e-%d", os.Getpid())
	run := func(args ...string) (string, error) {
		cmd := exec.Command(tmux, append([]string{"-L", sock}, args...)...)
		cmd.Env = append(os.Environ(), "TERM=xterm-256color")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { _, _ = run("kill-server") })
	shell := fmt.Sprintf("%s top -p %d; echo $? > %s", cgoscopeBin(t), w.Pid, status)
	if out, err := run("new-session", "-d", "-s", "cgs", "-x", "160", "-y", "50", shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}

	row := procRow(w.Pid, "cgoload")
	var screen string
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := run("capture-pane", "-p", "-t", "cgs")
		if err == nil {
			screen = out
			if strings.Contains(screen, topHeader) && row.MatchString(screen) && strings.Contains(screen, "cgs_noop") {
				break
			}
		}
		if _, err := os.Stat(status); err == nil || time.Now().After(deadline) {
			st, _ := os.ReadFile(status)
			t.Fatalf("the live view did not show %q, PID %d's row and cgs_noop within 15 s (exit status %q); screen:\n%s", topHeader, w.Pid, st, screen)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("screen:\n%s", strings.TrimRight(screen, "\n"))

	if out, err := run("send-keys", "-t", "cgs", "q"); err != nil {
		t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
	t0 := time.Now()
	for {
		if st, err := os.ReadFile(status); err == nil && len(st) > 0 {
			t.Logf("q -> exit in %v", time.Since(t0).Round(time.Millisecond))
			if s := strings.TrimSpace(string(st)); s != "0" {
				t.Errorf("cgoscope top exited with status %s after q", s)
			}
			break
		}
		if time.Since(t0) > 2*time.Second {
			out, _ := run("capture-pane", "-p", "-t", "cgs")
			t.Fatalf("cgoscope top still running 2 s after q; screen:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The session ends with its only command.
	deadline = time.Now().Add(2 * time.Second)
	for {
		if _, err := run("has-session", "-t", "cgs"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the tmux session is still there 2 s after cgoscope top exited")
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.Stop()
}
