package e2e

// Hostile or odd targets (issue 7): files that are not Go programs, binaries
// deleted or replaced while they run, processes that exit during the attach,
// PID reuse and a huge binary. Each ends with a clear message or correct
// data; cgoscope never crashes and never labels one process's data with
// another. (`profile -p` of a non-Go process or Go without cgo is in
// TestProfileErrors; a process in another mount and pid namespace in
// container_test.go.)

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copyExecutable copies src to dst, mode 0755.
func copyExecutable(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// failsAtOnce bounds how long cgoscope may take to refuse a target it can
// never trace (it loads no BPF for that).
const failsAtOnce = 3 * time.Second

// TestHostileFiles: `cgoscope profile -e FILE` of a file that can never be
// traced (truncated copies of a Go binary, garbage, an empty file, a non-Go
// ELF, Go without cgo) fails at once, exit 1, with a message saying why, and
// prints nothing on stdout. It used to wait for processes running the file.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	image, err := os.ReadFile(workloadBin(t, "cgoload"))
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, 256<<10)
	rand.New(rand.NewSource(7)).Read(garbage)
	elfGarbage := append([]byte("\x7fELF\x02\x01\x01"), garbage[7:]...)
	files := map[string][]byte{
		"empty":          nil,
		"trunc-64":       image[:64], // the ELF header alone
		"trunc-4k":       image[:4096],
		"trunc-half":     image[:len(image)/2],
		"trunc-tail":     image[:len(image)-100], // only the section headers cut
		"garbage":        garbage,
		"garbage-elfhdr": elfGarbage, // an ELF magic, then garbage
	}
	cases := []struct{ name, path, want string }{
		{"not-go", "/bin/sleep", "not a Go binary"},
		{"no-cgo", workloadBin(t, "nocgo"), "without cgo"},
		{"missing", filepath.Join(dir, "no-such-file"), "No such file or directory"},
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o755); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct{ name, path, want string }{name, path, "not a valid ELF file"})
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t0 := time.Now()
			status, stdout, stderr := runCgoscope(t, "profile", "-e", c.path, "-d", "30")
			took := time.Since(t0)
			want := "cgoscope: cannot trace " + c.path + ": "
			if status != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, c.want) {
				t.Errorf("profile -e %s: exit status %d, stderr %q; want 1 and %q ... %q", c.path, status, stderr, want, c.want)
			}
			if stdout != "" {
				t.Errorf("profile -e %s printed on stdout:\n%s", c.path, stdout)
			}
			if took > failsAtOnce {
				t.Errorf("profile -e %s took %v to refuse, want < %v", c.path, took, failsAtOnce)
			}
		})
	}
}

// TestHostileDeletedBinary: a process whose binary was deleted after it
// started is traced through /proc/PID/exe with exact counts and names, and
// its exe says " (deleted)".
func TestHostileDeletedBinary(t *testing.T) {
	requireRoot(t)
	path := filepath.Join(t.TempDir(), "cgoload")
	copyExecutable(t, workloadBin(t, "cgoload"), path)
	w := startWorkloadAt(t, path, matrixArgs...)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, proc := traceStarted(t, w, "--json").stopJSON(t) // exact counts, no drops
	checkIdentity(t, proc, "cgoload (deleted)")
	checkNested(t, proc)
	if proc.Exe != path+" (deleted)" || proc.Comm != "cgoload" {
		t.Errorf("exe %q comm %q, want %q and cgoload", proc.Exe, proc.Comm, path+" (deleted)")
	}
}

// TestHostileReplacedBinary: a process whose binary was replaced on disk
// (another file renamed over it, as package managers and deploys do) is
// traced from the file it runs (the old inode): the right names, version and
// exact counts; `profile -e` of the path now names the new file.
func TestHostileReplacedBinary(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "cgoload")
	copyExecutable(t, workloadBin(t, "cgoload"), path)
	w := startWorkloadAt(t, path, matrixArgs...)
	copyExecutable(t, "/bin/sleep", filepath.Join(dir, "new"))
	if err := os.Rename(filepath.Join(dir, "new"), path); err != nil {
		t.Fatal(err)
	}
	_, proc := traceStarted(t, w, "--json").stopJSON(t)
	checkIdentity(t, proc, "cgoload (deleted)")
	checkNested(t, proc)
	if !strings.HasPrefix(proc.GoVersion, "go1.") || proc.Exe != path+" (deleted)" {
		t.Errorf("go_version %q exe %q, want go1.* and %q", proc.GoVersion, proc.Exe, path+" (deleted)")
	}
	status, _, stderr := runCgoscope(t, "profile", "-e", path)
	if status != 1 || !strings.Contains(stderr, "not a Go binary") {
		t.Errorf("profile -e of the replaced path: exit status %d, stderr %q; want 1 and \"not a Go binary\"", status, stderr)
	}
}

// TestHostileExitDuringAttach attaches `cgoscope profile -p` to processes
// that live from a few ms to ~1 s, so the exit lands before, during and
// after the attach, and to a zombie (exited, not yet reaped). Every run
// ends in one of: exit 1 "no process with PID" / "exited during attach", or
// exit 0 with "traced process exited" and a report of that PID only (never
// another process's data, never more calls than it made). No crash.
func TestHostileExitDuringAttach(t *testing.T) {
	requireRoot(t)
	bin := workloadBin(t, "cgoload")
	outcomes := map[string]int{}
	for i := 0; i < 16; i++ {
		n := i * 60 // the process lives ~n ms: cgs_sleep_us(1000) n times
		cmd := exec.Command(bin, "-start-now", "-exit-after", "-sleep1ms", itoa(n))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		pid := cmd.Process.Pid
		status, stdout, stderr := runCgoscope(t, "profile", "-p", itoa(pid), "--json", "--no-calibrate", "-d", "20")
		if err := <-exited; err != nil {
			t.Errorf("cgoload -sleep1ms %d: %v", n, err)
		}
		switch {
		case status == 1 && strings.Contains(stderr, fmt.Sprintf("no process with PID %d", pid)):
			outcomes["no process"]++
		case status == 1 && strings.Contains(stderr, fmt.Sprintf("PID %d exited during attach", pid)):
			outcomes["exited during attach"]++
		case status == 0 && strings.Contains(stderr, "traced process exited"):
			outcomes["traced until its exit"]++
			prof := parseProfile(t, lastJSON(t, []byte(stdout)))
			if len(prof.Processes) != 1 {
				t.Fatalf("PID %d: %d processes in the report, want 1", pid, len(prof.Processes))
			}
			proc := prof.Process(t, pid)
			if proc.Comm != "cgoload" || !proc.Exited {
				t.Errorf("PID %d: comm %q exited %v, want cgoload, true", pid, proc.Comm, proc.Exited)
			}
			if f := proc.Func("cgs_sleep_us"); f != nil && f.Calls > uint64(n) {
				t.Errorf("PID %d: %d calls of cgs_sleep_us reported, it made %d", pid, f.Calls, n)
			}
		default:
			t.Errorf("profile -p %d (lives ~%d ms): exit status %d, stderr:\n%s", pid, n, status, stderr)
		}
	}
	t.Logf("outcomes of 16 attaches to exiting processes: %v", outcomes)

	// A zombie has exited but is still listed in /proc: not "a kernel thread".
	cmd := exec.Command(bin, "-start-now", "-exit-after")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	waitZombie(t, cmd.Process.Pid)
	status, _, stderr := runCgoscope(t, "profile", "-p", itoa(cmd.Process.Pid))
	if want := fmt.Sprintf("PID %d exited during attach", cmd.Process.Pid); status != 1 || !strings.Contains(stderr, want) {
		t.Errorf("profile -p of a zombie: exit status %d, stderr %q; want 1 and %q", status, stderr, want)
	}
}

// waitZombie waits until pid (a child not waited for) has exited.
func waitZombie(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(readyTimeout); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
			return
		}
	}
	t.Fatalf("PID %d did not exit within %v", pid, readyTimeout)
}

// TestHostileAgent: the agent leaves a non-Go program and Go without cgo
// alone (saying so with -v, no series, no attach failure), survives a stream
// of processes that exit during their attach without counting them as
// failures or rejecting their binary, and then traces a process of that same
// binary with exact counts.
func TestHostileAgent(t *testing.T) {
	dir := privateWorkloads(t)
	a := startAgent(t, "--include", dir+"/*", "-v")

	notgo := exec.Command(filepath.Join(dir, "notgo"), "60")
	if err := notgo.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = notgo.Process.Kill(); _ = notgo.Wait() }()
	nocgo := startWorkload(t, "nocgo")
	for pid, why := range map[int]string{notgo.Process.Pid: "not a Go binary", nocgo.Pid: "built without cgo"} {
		line := waitStderr(t, &a.process, fmt.Sprintf("not tracing PID %d: ", pid), 5*time.Second)
		if !strings.Contains(line, why) {
			t.Errorf("agent: %q, want it to say %q", line, why)
		}
	}

	// Short-lived processes: most exit before, during or right after their attach.
	for i := 0; i < 20; i++ {
		cmd := exec.Command(filepath.Join(dir, "cgoload"), "-start-now", "-exit-after", "-sleep1ms", itoa(i*5))
		if err := cmd.Run(); err != nil {
			t.Fatalf("short-lived cgoload: %v", err)
		}
	}
	w, _ := startTraced(t, a, "after exits", "cgoload", "-hot", "3000")
	w.Start()
	truth := w.WaitTruth(truthTimeout)
	m, _ := a.Scrape()
	checkCallsTotal(t, m, w.Pid, truth.Calls)
	for _, pid := range []int{notgo.Process.Pid, nocgo.Pid} {
		if m.has(pid) {
			t.Errorf("PID %d (not Go, or Go without cgo) has series", pid)
		}
	}
	if v := mustValue(t, m, "cgoscope_attach_failures_total", nil); v != 0 {
		t.Errorf("cgoscope_attach_failures_total %v, want 0 (exits during attach are not failures)\nstderr:\n%s", v, a.stderr)
	}
	w.Stop()
	nocgo.Stop()
	a.Stop()
}

// waitStderr waits up to timeout for a line of p's stderr containing want and returns it.
func waitStderr(t *testing.T, p *process, want string, timeout time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		if line := lineWith(p.stderr.String(), want); line != "" {
			return line
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not say %q within %v\nstderr:\n%s", p.what, want, timeout, p.stderr)
		}
	}
}

// TestHostilePidReuse: a traced process exits and a new process, of another
// binary, gets its PID (forced through /proc/sys/kernel/ns_last_pid). The
// agent must trace the new process under that PID with its own exe and its
// own counts, never the old process's.
func TestHostilePidReuse(t *testing.T) {
	dir := privateWorkloads(t)
	a := startAgent(t, "--include", dir+"/*")
	old, _ := startTraced(t, a, "first", "cgoload", "-hot", "300")
	old.Start()
	oldTruth := old.WaitTruth(truthTimeout)
	m, _ := a.Scrape()
	checkCallsTotal(t, m, old.Pid, oldTruth.Calls)
	pid := old.Pid
	old.Stop()

	var w *Workload
	for try := 0; try < 50 && w == nil; try++ {
		if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(itoa(pid-1)), 0o644); err != nil {
			t.Skipf("SKIPPED: cannot choose the next PID: %v", err)
		}
		c := startWorkload(t, "cgoload-stripped", "-hot", "700")
		if c.Pid == pid {
			w = c
		} else {
			c.Stop() // another process took the PID first: again
		}
	}
	if w == nil {
		t.Skipf("SKIPPED: PID %d was not handed to the new process in 50 tries (a busy host)", pid)
	}
	// Until the new process is traced, any series of the PID is the old one's.
	want := filepath.Join(dir, "cgoload-stripped")
	deadline := time.Now().Add(attachBound)
	for {
		m, _ = a.Scrape()
		s := m.find("cgoscope_process_threads", pidLabel(pid))
		if len(s) == 1 && s[0].Labels["exe"] == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d (reused by %s) not traced within %v; series: %v\nagent stderr:\n%s", pid, want, attachBound, s, a.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Start()
	truth := w.WaitTruth(truthTimeout)
	m, _ = a.Scrape()
	checkCallsTotal(t, m, pid, truth.Calls) // 700, not 1000: nothing of the old process
	for _, s := range m.find("cgoscope_cgo_calls_total", pidLabel(pid)) {
		if s.Labels["exe"] != want {
			t.Errorf("PID %d series with exe %q, want %q", pid, s.Labels["exe"], want)
		}
	}
	checkProcessesAPI(t, a, pid, truth.Calls)
	t.Logf("PID %d: traced %s (%v), then %s (%v)", pid, filepath.Join(dir, "cgoload"), oldTruth.Calls, want, truth.Calls)
	w.Stop()
	a.Stop()
}

// hugeBlobBytes is the size of the blob embedded in the huge binary.
const hugeBlobBytes = 300 << 20

// goTool returns the go command that builds test programs ($GO, else
// /usr/local/go/bin/go, else go from $PATH), or skips the test loudly.
func goTool(t *testing.T) string {
	t.Helper()
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	if _, err := os.Stat("/usr/local/go/bin/go"); err == nil {
		return "/usr/local/go/bin/go"
	}
	return requireCommand(t, "go", "builds the huge binary")
}

// TestHostileHugeBinary: a cgo program with 300 MiB of embedded data (a
// 300 MiB binary) is traced with exact counts; the attach takes seconds at
// most and cgoscope does not read the binary into memory (peak RSS bound).
func TestHostileHugeBinary(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/hugebin/main.go")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"main.go": src, "go.mod": []byte("module hugebin\n\ngo 1.19\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeBlob(t, filepath.Join(dir, "blob.bin"), hugeBlobBytes)
	t0 := time.Now()
	build := exec.Command(goTool(t), "build", "-o", "hugebin", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=1", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the huge binary: %v\n%s", err, out)
	}
	_ = os.Remove(filepath.Join(dir, "blob.bin"))
	bin := filepath.Join(dir, "hugebin")
	st, err := os.Stat(bin)
	if err != nil || st.Size() < hugeBlobBytes {
		t.Fatalf("huge binary: %v, size %d, want > %d", err, st.Size(), hugeBlobBytes)
	}
	t.Logf("built a %d MiB binary in %v", st.Size()>>20, time.Since(t0).Round(time.Millisecond))

	w := startWorkloadAt(t, bin, "-calls", "2000")
	t0 = time.Now()
	run := &traceRun{w: w, tr: runProfile(t, "-p", itoa(w.Pid), "--json")}
	attach := time.Since(t0)
	w.Start()
	run.truth = w.WaitTruth(truthTimeout)
	// VmHWM, not the rusage after exit: that counts the test's own memory,
	// which the tracer's mm shared from fork to exec.
	rss, err := peakRSS(run.tr.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	_, proc := run.stopJSON(t)
	t.Logf("%s: attach (with calibration) %v, cgoscope peak RSS %d MiB, %d calls", proc.GoVersion, attach.Round(time.Millisecond), rss>>20, proc.Calls)
	if attach > 10*time.Second {
		t.Errorf("attaching to a %d MiB binary took %v, want < 10s", st.Size()>>20, attach)
	}
	if rss > 128<<20 {
		t.Errorf("cgoscope peak RSS %d MiB tracing a %d MiB binary, want < 128 MiB", rss>>20, st.Size()>>20)
	}
}

// writeBlob writes n bytes of a fixed pattern to path (the same every run:
// the build cache keeps serving the package that embeds it).
func writeBlob(t *testing.T, path string, n int) {
	t.Helper()
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for ; n > 0; n -= len(chunk) {
		if n < len(chunk) {
			chunk = chunk[:n]
		}
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
}

// peakRSS returns the peak resident set of a running process (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	var kb int64
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := cut(line, "VmHWM:"); ok {
			_, err = fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
