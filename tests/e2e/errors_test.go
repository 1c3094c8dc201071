package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestProfileErrors: what `cgoscope profile` cannot trace, and bad usage,
// end with a message on stderr, no report on stdout, and the documented exit
// status: 1 for errors, 2 for bad usage.
func TestProfileErrors(t *testing.T) {
	cases := []struct {
		name string
		// target starts what to trace and returns the arguments after
		// "profile"; nil for usage errors, which need no target.
		target func(t *testing.T) []string
		args   []string
		status int
		want   string
	}{
		{name: "no-cgo", target: goWithoutCgo, status: 1, want: "without cgo"},
		{name: "not-go", target: notGo, status: 1, want: "not a Go binary"},
		{name: "no-such-pid", target: noSuchPid, status: 1, want: "no process"},
		{name: "bad-duration", args: []string{"-d", "abc"}, status: 2, want: "invalid duration: abc"},
		{name: "zero-long-ms", args: []string{"--long-ms", "0"}, status: 2, want: "invalid --long-ms: 0"},
		{name: "unknown-option", args: []string{"--no-such-option"}, status: 2, want: "unrecognized option '--no-such-option'"},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			// Usage errors are found before anything is loaded; the
			// targets are checked after the BPF programs are (as root).
			args := append([]string{"profile", "-p", itoa(os.Getpid())}, c.args...)
			if c.target != nil {
				requireRoot(t)
				args = append([]string{"profile"}, c.target(t)...)
			}
			status, stdout, stderr := runCgoscope(t, args...)
			if status != c.status {
				t.Errorf("cgoscope %s: exit status %d, want %d\nstderr:\n%s", strings.Join(args, " "), status, c.status, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("cgoscope %s: stderr does not say %q:\n%s", strings.Join(args, " "), c.want, stderr)
			}
			if stdout != "" {
				t.Errorf("cgoscope %s printed on stdout:\n%s", strings.Join(args, " "), stdout)
			}
		})
	}
}

// goWithoutCgo starts tests/go/nocgo, a Go program without cgo.
func goWithoutCgo(t *testing.T) []string {
	w := startWorkload(t, "nocgo")
	return []string{"-p", itoa(w.Pid)}
}

// notGo starts /bin/sleep, which is not a Go program.
func notGo(t *testing.T) []string {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sleep, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// Start returns once the exec succeeded: the PID is sleep now.
	return []string{"-p", itoa(cmd.Process.Pid)}
}

// noSuchPid returns the PID of a process that has ended and been reaped.
func noSuchPid(t *testing.T) []string {
	t.Helper()
	for i := 0; i < 10; i++ {
		cmd := exec.Command("true")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		pid := cmd.Process.Pid
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			return []string{"-p", itoa(pid)}
		}
	}
	t.Fatal("every reaped PID was reused at once")
	return nil
}
