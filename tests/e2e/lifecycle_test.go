package e2e

// Agent lifecycle (issue 7): SIGTERM, SIGINT and SIGKILL of the agent each
// leave nothing in the kernel (its BPF programs freed, no link or perf event
// of them, no uprobe in tracefs, and the traced program's code byte for byte
// the file's again: no breakpoint left), the traced program keeps running,
// and an agent started again picks it up. TestAgent's checkShutdown covers
// SIGTERM from the perf-event side; this test adds the program-ID and code
// checks, the other two signals and the restart.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// agentProgIDs returns the BPF program IDs the process pid holds, from the
// prog_id lines of its fdinfo (program and link fds carry one).
func agentProgIDs(t *testing.T, pid int) map[int]bool {
	t.Helper()
	ids := map[int]bool{}
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fdinfo/*", pid))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := cut(line, "prog_id:"); ok {
				if id, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil {
					ids[id] = true
				}
			}
		}
	}
	return ids
}

// kernelLeftovers lists what the kernel still has of the programs ids: the
// programs themselves and links to them.
func kernelLeftovers(t *testing.T, bpftool string, ids map[int]bool) []string {
	t.Helper()
	var left []string
	var progs []struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	if out, err := exec.Command(bpftool, "-j", "prog", "show").Output(); err != nil {
		t.Fatalf("bpftool prog show: %v", err)
	} else if err := json.Unmarshal(out, &progs); err != nil {
		t.Fatalf("bpftool -j prog show: %v", err)
	}
	for _, p := range progs {
		if ids[p.ID] {
			left = append(left, fmt.Sprintf("program %d (%s)", p.ID, p.Name))
		}
	}
	var links []struct {
		ID     int `json:"id"`
		ProgID int `json:"prog_id"`
	}
	if out, err := exec.Command(bpftool, "-j", "link", "list").Output(); err != nil {
		t.Fatalf("bpftool link list: %v", err)
	} else if err := json.Unmarshal(out, &links); err != nil {
		t.Fatalf("bpftool -j link list: %v", err)
	}
	for _, l := range links {
		if ids[l.ProgID] {
			left = append(left, fmt.Sprintf("link %d of program %d", l.ID, l.ProgID))
		}
	}
	return left
}

// codeDiffs counts the bytes of pid's executable mappings that differ from
// its binary on disk: a uprobe is a breakpoint written into the code.
func codeDiffs(t *testing.T, pid int, exe string) int {
	t.Helper()
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	diffs, mapped := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[1] != "r-xp" || f[5] != exe {
			continue
		}
		var lo, hi, off uint64
		fmt.Sscanf(f[0], "%x-%x", &lo, &hi)
		fmt.Sscanf(f[2], "%x", &off)
		buf := make([]byte, hi-lo)
		if _, err := mem.ReadAt(buf, int64(lo)); err != nil {
			t.Fatalf("reading PID %d's code at %#x: %v", pid, lo, err)
		}
		for i := range buf {
			if int(off)+i < len(bin) && buf[i] != bin[int(off)+i] {
				diffs++
			}
		}
		mapped++
	}
	if mapped == 0 {
		t.Fatalf("PID %d has no executable mapping of %s", pid, exe)
	}
	return diffs
}

// TestAgentLifecycle stops the agent with each signal while it traces a
// running program, checks the kernel's view, and restarts it.
func TestAgentLifecycle(t *testing.T) {
	requireRoot(t)
	bpftool := requireCommand(t, "bpftool", "the kernel's view of BPF programs and links")
	dir := copyWorkload(t, "calm")
	exe := filepath.Join(dir, "calm")
	const rate = 200
	var calm *Workload

	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL} {
		a := startAgent(t, "--include", dir+"/*")
		if calm == nil {
			calm, _ = startTraced(t, a, "cold", "calm", "-rate", itoa(rate))
			calm.Start()
		} else if took, _, ok := a.waitTraced(calm.Pid, attachBound); !ok {
			t.Fatalf("restarted agent (%d): calm (PID %d, still running) not traced after %v", i, calm.Pid, took)
		} else {
			t.Logf("restarted agent: calm picked up again within %v", took.Round(time.Millisecond))
		}
		// Counts after the (re)start: they grow, and the runtime's total
		// since attach agrees with the traced count (calm makes only
		// cgs_calm_work; calls in flight or begun before the probes were on
		// at the attach are the only difference).
		lbl := funcLabel(calm.Pid, "cgs_calm_work")
		m1, _ := a.Scrape()
		c1, _ := m1.value("cgoscope_cgo_calls_total", lbl)
		// counting: a later scrape shows more calls (calm makes `rate` a second)
		var m2 metrics
		var c2 float64
		ok := false
		for deadline := time.Now().Add(5 * time.Second); !ok || c2 <= c1; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%v agent: cgs_calm_work calls %v, and %v (found %v) for 5 s after: not counting", sig, c1, c2, ok)
			}
			m2, _ = a.Scrape()
			c2, ok = m2.value("cgoscope_cgo_calls_total", lbl)
		}
		exact := mustValue(t, m2, "cgoscope_process_cgo_calls_total", pidLabel(calm.Pid))
		if exact < c2 || exact > c2+3 {
			t.Errorf("%v agent: the runtime's count %v, traced %v: want traced <= runtime <= traced + 3", sig, exact, c2)
		}
		if c2 > rate*3 {
			t.Errorf("%v agent: %v calls counted, more than calm made since this agent started", sig, c2)
		}
		ids := agentProgIDs(t, a.cmd.Process.Pid)
		if len(ids) == 0 {
			t.Fatalf("the agent (PID %d) holds no BPF program: the checks below would prove nothing", a.cmd.Process.Pid)
		}
		if d := codeDiffs(t, calm.Pid, exe); d == 0 {
			t.Errorf("calm's code equals its file while traced: the breakpoint check below would prove nothing")
		}

		t0 := time.Now()
		a.signal(sig)
		if !a.waitExit(agentStopTimeout) {
			t.Fatalf("agent did not exit within %v of %v", agentStopTimeout, sig)
		}
		if sig == syscall.SIGKILL {
			if st := a.cmd.ProcessState; st == nil || st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Errorf("agent: %v, want killed by SIGKILL", a.cmd.ProcessState)
			}
		} else {
			a.checkExitedNormally()
		}
		// The kernel frees programs after the last reference goes (RCU): poll.
		var left []string
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			left = kernelLeftovers(t, bpftool, ids)
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(left) > 0 {
			t.Errorf("after %v of the agent: the kernel still has %s", sig, strings.Join(left, ", "))
		}
		for _, e := range perfList(t, bpftool) {
			if e.Pid == a.cmd.Process.Pid {
				t.Errorf("after %v: perf event of the agent's PID: %+v", sig, e)
			}
		}
		if ev, err := os.ReadFile("/sys/kernel/tracing/uprobe_events"); err == nil {
			for _, line := range strings.Split(string(ev), "\n") {
				if strings.Contains(line, "cgoscope") || strings.Contains(line, dir) {
					t.Errorf("after %v: uprobe left in tracefs: %s", sig, line)
				}
			}
		}
		if d := codeDiffs(t, calm.Pid, exe); d != 0 {
			t.Errorf("after %v of the agent: %d bytes of calm's code still differ from its file", sig, d)
		}
		if calm.exited() {
			t.Fatalf("calm exited when the agent got %v", sig)
		}
		t.Logf("%v: agent gone in %v; %d programs freed, no link, perf event, uprobe or breakpoint left; calm runs on",
			sig, time.Since(t0).Round(time.Millisecond), len(ids))
	}

	// The program kept working through all of it.
	calm.signal(syscall.SIGTERM)
	truth := calm.WaitTruth(exitTimeout)
	calm.WaitExit(exitTimeout)
	if truth.Calls["cgs_calm_work"] == 0 {
		t.Errorf("calm: TRUTH %v", truth.Calls)
	}
}
