package e2e

// Containers (issue 8): a workload in its own mount and pid namespace,
// chroot'ed into a rootfs that holds nothing but its static binary on a
// tmpfs only that mount namespace sees, in a cgroup named like a docker
// container's scope.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// containerScript runs in a new cgroup (CG), then in new mount and pid
// namespaces: a tmpfs over ROOT (seen by that mount namespace only) holding
// BIN as /app/cgoload, chroot, exec with the script's arguments. cgoload is
// pid 1 of its namespace; --kill-child ends it if unshare is killed.
const containerScript = `echo $$ > "$CG/cgroup.procs" &&
exec unshare --mount --pid --fork --kill-child --mount-proc --propagation private sh -c '
mount -t tmpfs -o size=64m cgoscope-ct "$ROOT" && mkdir "$ROOT/app" && cp "$BIN" "$ROOT/app/cgoload" &&
exec chroot "$ROOT" /app/cgoload "$@"' sh "$@"`

// containerCells are the matrix cells run in a container: static binaries,
// since the rootfs has no libc.
var containerCells = []string{"go1.26-static", "go1.26-static-stripped"}

// TestContainer: the agent discovers a containerised cgoload at its exec and
// attaches through /proc/PID/exe (the path it shows does not exist on the
// host); /metrics has the exact counts and container_id = the cgroup's
// 64-hex id; the JSON API and `cgoscope profile --json` report the host pid
// and the pid inside the namespace (1).
func TestContainer(t *testing.T) {
	requireRoot(t)
	requireCommand(t, "unshare", "makes the namespaces")
	requireCommand(t, "chroot", "enters the rootfs")
	for _, cell := range containerCells {
		cell := cell
		t.Run(cell, func(t *testing.T) {
			matrixBin(t, cell) // skips loudly when the cell was not built
			runContainer(t, filepath.Join(matrixDir(), cell, "cgoload"))
		})
	}
}

func runContainer(t *testing.T, bin string) {
	id := containerID(t)
	cg := makeCgroup(t, "docker-"+id+".scope")
	root := t.TempDir()
	a := startAgent(t, "--include", root+"/*")

	cmd := exec.Command("sh", append([]string{"-c", containerScript, "sh"}, matrixArgs...)...)
	cmd.Env = append(os.Environ(), "CG="+cg, "ROOT="+root, "BIN="+bin)
	hostPid := func(nsPid int) (int, error) { return nsChild(cmd.Process.Pid, nsPid) }
	w := startWorkloadCmd(t, "cgoload (container)", cmd, hostPid)
	if w.NsPid == w.Pid {
		t.Fatalf("pid %d in the container is its host pid: no pid namespace", w.Pid)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", w.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(exe); !os.IsNotExist(err) {
		t.Fatalf("the container's binary %s is visible on the host (%v): the test would not show that /proc/PID/exe is used", exe, err)
	}
	if _, m, ok := a.waitTraced(w.Pid, attachBound); !ok {
		t.Fatalf("agent did not discover PID %d (nspid %d, exe %s) within %v; pids: %v\nstderr:\n%s", w.Pid, w.NsPid, exe, attachBound, m.pids(), a.stderr)
	}
	run := traceStarted(t, w, "--json") // the profile command too, at the same time

	m, _ := a.Scrape()
	checkCallsTotal(t, m, w.Pid, run.truth.Calls)
	// the descriptive labels are on the process's info series (docs/metrics.md)
	info := m.find("cgoscope_process_info", pidLabel(w.Pid))
	if len(info) != 1 {
		t.Errorf("%d cgoscope_process_info series for PID %d, want 1", len(info), w.Pid)
	}
	for _, s := range info {
		if s.Labels["container_id"] != id || s.Labels["exe"] != exe || s.Labels["comm"] != "cgoload" {
			t.Errorf("/metrics labels %v, want container_id=%s exe=%s comm=cgoload", s.Labels, id, exe)
		}
	}
	checkContainerProcess(t, "/api/v1/processes", a.Processes().Process(t, w.Pid), w, exe, id)
	checkProcessesAPI(t, a, w.Pid, run.truth.Calls)

	_, proc := run.stopJSON(t) // exact counts, no drops
	checkContainerProcess(t, "profile --json", proc, w, exe, id)
	checkNested(t, proc)
	t.Logf("PID %d (nspid %d, exe %s, container %s): %v", w.Pid, w.NsPid, exe, id[:12], run.truth.Calls)
	a.Stop()
}

// checkContainerProcess checks what a JSON document says about the container's process.
func checkContainerProcess(t *testing.T, what string, proc *Process, w *Workload, exe, id string) {
	t.Helper()
	if proc.Pid != w.Pid || proc.NsPid != w.NsPid {
		t.Errorf("%s: pid %d nspid %d, want %d and %d", what, proc.Pid, proc.NsPid, w.Pid, w.NsPid)
	}
	if proc.ContainerID == nil || *proc.ContainerID != id {
		t.Errorf("%s: container_id %v, want %s", what, proc.ContainerID, id)
	}
	if want := wantPlacement(t, proc.GoVersion); proc.Exe != exe || proc.Comm != "cgoload" || proc.Placement != want {
		t.Errorf("%s: exe %q comm %q placement %q, want %q, cgoload, %s", what, proc.Exe, proc.Comm, proc.Placement, exe, want)
	}
}

// containerID returns a random 64-hex-digit id, like docker's.
func containerID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// makeCgroup creates cgoscope-test/NAME in the cgroup v2 hierarchy (or a v1
// one when there is none) and removes it at cleanup, after the processes in
// it have ended. It returns the cgroup's directory.
func makeCgroup(t *testing.T, name string) string {
	t.Helper()
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	var base string
	for _, line := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		if f[2] == "cgroup2" || (base == "" && f[2] == "cgroup" && strings.Contains(f[3], "pids")) {
			base = f[1]
		}
		if f[2] == "cgroup2" {
			break
		}
	}
	if base == "" {
		t.Skip("SKIPPED: no cgroup hierarchy mounted (cgroup2, or v1 pids)")
	}
	parent := filepath.Join(base, "cgoscope-test")
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// the last process may take a moment to leave
		for i := 0; i < 100 && os.Remove(dir) != nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("cgroup %s could not be removed", dir)
		}
		_ = os.Remove(parent) // fails while another test uses it
	})
	return dir
}

// nsChild returns the host pid of the child of parent (unshare --fork) and
// checks that it is nsPid inside its pid namespace.
func nsChild(parent, nsPid int) (int, error) {
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", parent, parent))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(children))
	if len(f) != 1 {
		return 0, fmt.Errorf("unshare (PID %d) has children %q, want one", parent, f)
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		return 0, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	ns := strings.Fields(lineWith(string(status), "NSpid:"))
	if len(ns) < 3 || ns[len(ns)-1] != strconv.Itoa(nsPid) {
		return 0, fmt.Errorf("PID %d: %q, want NSpid ... %d", pid, ns, nsPid)
	}
	return pid, nil
}
