// kernfs_test.go - cgoscope on a host where no one has mounted tracefs (a fresh VM, a container).
package e2e

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoTracefsMounted runs profile in a private mount namespace where
// tracefs is unmounted: cgoscope mounts it itself (before, libbpf failed
// with "failed to load BPF programs: No such file or directory"), so its
// tracepoints work: the threads the workload's C code created are counted.
func TestNoTracefsMounted(t *testing.T) {
	requireRoot(t)
	unshare := requireCommand(t, "unshare", "runs cgoscope in a private mount namespace")
	w := startWorkload(t, "cgoload", "-pthreads", "3", "-sleep1ms", "20")
	// Inside: no tracefs anywhere libbpf looks (debugfs holds the other place).
	script := `umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null
if [ -e /sys/kernel/tracing/events ] || [ -e /sys/kernel/debug/tracing/events ]; then
	echo "tracefs still mounted in the namespace" >&2; exit 99
fi
exec "$0" "$@"`
	cmd := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c", script,
		cgoscopeBin(t), "profile", "--overhead-budget=0", "--json", "-p", itoa(w.Pid), "-d", "30")
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", cmd.Args, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	}()
	for deadline := time.Now().Add(readyTimeout); !strings.Contains(stderr.String(), "collecting"); {
		select {
		case err := <-done:
			t.Fatalf("profile without tracefs mounted exited before tracing (%v):\n%s", err, stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("profile did not start tracing within %v:\n%s", tracingTimeout, stderr)
		}
	}
	w.Start()
	truth := w.WaitTruth(30 * time.Second)
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("profile: %v\n%s", err, stderr)
		}
	case <-time.After(exitTimeout):
		t.Fatalf("profile did not stop within %v", exitTimeout)
	}
	proc := parseProfile(t, lastJSON(t, stdout.Bytes())).Process(t, w.Pid)
	assertThreadsFromC(t, proc, truth)
	if f := proc.Func("cgs_sleep_us"); f == nil || f.Calls != truth.Calls["cgs_sleep_us"] {
		t.Errorf("cgs_sleep_us: %+v, the workload made %d calls", f, truth.Calls["cgs_sleep_us"])
	}
}
