package e2e

// Target-safety soak (issue 7): tests/go/soak runs GC pressure, callbacks
// that grow the goroutine stack, recovered panics across cgo frames,
// thread-locked goroutines (half of them end locked, so their thread ends),
// 2000 goroutines migrating between threads, and fork/exec of children, all
// at once, checking its own results; once under `cgoscope agent`, once under
// `cgoscope profile -p`, both tracing every call (--overhead-budget=0).
//
// Pass: the program exits 0 (its own checks held), the tracer stays up and
// exits 0, and the counts are exact:
//   - every C function's traced count equals the program's own count, except
//     cgs_soak_panicky: every call of it panics in its Go callback and the
//     panic unwinds through runtime.cgocall, which never reaches the leave
//     probe (at `CALL runtime.exitsyscall`); such a call is never a completed
//     call, so it is traced 0 times;
//   - the runtime's total (exact_calls, from m.ncgocall, counted at cgocall's
//     entry) includes them: it equals the sum of every function's calls;
//   - the only drops are stale_frame, exactly one per panic: the frame the
//     panic abandoned is popped and counted at the thread's next cgo call,
//     and the workload makes sure there is one (see tests/go/soak/main.go).
//
// The length is CGOSCOPE_SOAK_SECONDS (default 20; `make soak` sets
// SOAK_SECONDS, default 300).

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cgoscope.test/internal/proto"
)

// soakStats is the workload's SOAK line.
type soakStats struct {
	TopPanics          uint64  `json:"top_panics"`
	NestedPanics       uint64  `json:"nested_panics"`
	Migrations         uint64  `json:"migrations"`
	StackGrowCallbacks uint64  `json:"stack_grow_callbacks"`
	LockedGoroutines   uint64  `json:"locked_goroutines"`
	LockedExitedLocked uint64  `json:"locked_exited_locked"`
	ChildrenTrue       uint64  `json:"children_true"`
	ChildrenSoak       uint64  `json:"children_soak"`
	GCChecks           uint64  `json:"gc_checks"`
	NumGC              uint32  `json:"num_gc"`
	Goroutines         int     `json:"goroutines"`
	ThreadsPeak        int     `json:"threads_peak"`
	DurationS          float64 `json:"duration_s"`
}

// soakPanicky is the C function whose every call panics in its callback.
const soakPanicky = "cgs_soak_panicky"

func soakDuration(t *testing.T) time.Duration {
	t.Helper()
	s := os.Getenv("CGOSCOPE_SOAK_SECONDS")
	if s == "" {
		return 20 * time.Second
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("CGOSCOPE_SOAK_SECONDS=%q: want a positive number of seconds", s)
	}
	return time.Duration(n) * time.Second
}

// readSoakStats finds the SOAK line in the workload's stdout.
func readSoakStats(t *testing.T, w *Workload) soakStats {
	t.Helper()
	var st soakStats
	for _, line := range strings.Split(w.stdout.String(), "\n") {
		if rest, ok := cut(line, "SOAK "); ok {
			if err := json.Unmarshal([]byte(rest), &st); err != nil {
				t.Fatalf("bad SOAK line: %v: %q", err, line)
			}
			return st
		}
	}
	t.Fatalf("no SOAK line from the workload:\n%s", w.stdout)
	return st
}

// copyWorkload copies workload name into a new directory and points the
// harness at it, so `--include DIR/*` selects this test's processes only.
func copyWorkload(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(workloadBin(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CGOSCOPE_GOBIN", dir)
	return dir
}

// soakTotals is what a tracer reported about the soak process.
type soakTotals struct {
	calls map[string]uint64 // traced completed calls per workload function
	exact int64             // the runtime's count since attach (-1: unknown)
	drops map[string]uint64
}

// checkSoak asserts the pass conditions above and logs the numbers.
func checkSoak(t *testing.T, who string, truth proto.Truth, st soakStats, got soakTotals) {
	t.Helper()
	panics := truth.Calls[soakPanicky]
	if panics != st.TopPanics+st.NestedPanics || panics == 0 {
		t.Errorf("%s: %d calls of %s, %d+%d panics recovered (want equal, > 0)", who, panics, soakPanicky, st.TopPanics, st.NestedPanics)
	}
	var all, traced uint64
	for _, fn := range sortedKeys(truth.Calls) {
		want := truth.Calls[fn]
		all += want
		if fn == soakPanicky {
			want = 0
		}
		if got.calls[fn] != want {
			t.Errorf("%s: %s traced %d times, want %d (the workload made %d)", who, fn, got.calls[fn], want, truth.Calls[fn])
		}
		traced += got.calls[fn]
	}
	for fn, n := range got.calls {
		if _, ok := truth.Calls[fn]; !ok && strings.HasPrefix(fn, workloadPrefix) {
			t.Errorf("%s: %s traced %d times, the workload made none", who, fn, n)
		}
	}
	if got.exact != int64(all) {
		t.Errorf("%s: the runtime's count (exact_calls) %d, the workload made %d cgo calls (%d of them panicked)", who, got.exact, all, panics)
	}
	for _, cause := range dropCauses {
		want := uint64(0)
		if cause == "stale_frame" {
			want = panics
		}
		if got.drops[cause] != want {
			t.Errorf("%s: drops[%s] %d, want %d (drops: %v)", who, cause, got.drops[cause], want, got.drops)
		}
	}
	t.Logf("%s: soak %.1fs: %d cgo calls traced, %d made (%d panicked: %d top-level, %d in callbacks; stale_frame %d), crashes 0",
		who, st.DurationS, traced, all, panics, st.TopPanics, st.NestedPanics, got.drops["stale_frame"])
	t.Logf("%s: calls %v; %d goroutines, %d thread migrations, %d stack-growing callbacks, %d locked goroutines (%d ended locked), "+
		"%d+%d children (/bin/true + soak -child), %d GCs, threads peak %d",
		who, truth.Calls, st.Goroutines, st.Migrations, st.StackGrowCallbacks, st.LockedGoroutines, st.LockedExitedLocked,
		st.ChildrenTrue, st.ChildrenSoak, st.NumGC, st.ThreadsPeak)
}

// TestSoak runs the soak under the agent and under profile.
func TestSoak(t *testing.T) {
	requireRoot(t)
	d := soakDuration(t)
	args := []string{"-duration", d.String()}
	truthWait := d + truthTimeout

	t.Run("agent", func(t *testing.T) {
		dir := copyWorkload(t, "soak")
		a := startAgent(t, "--include", dir+"/*")
		w, _ := startTraced(t, a, "cold", "soak", args...)
		w.Start()
		truth := w.WaitTruth(truthWait)
		st := readSoakStats(t, w)
		m, text := a.Scrape()
		checkPromtool(t, text)
		prof := a.Processes()
		proc := prof.Process(t, w.Pid)
		got := soakTotals{calls: map[string]uint64{}, exact: -1, drops: prof.Drops}
		for _, s := range m.find("cgoscope_cgo_calls_total", pidLabel(w.Pid)) {
			got.calls[s.Labels["function"]] = uint64(s.Value)
		}
		if v, ok := m.value("cgoscope_process_cgo_calls_total", pidLabel(w.Pid)); ok {
			got.exact = int64(v)
		}
		if proc.ExactCalls == nil || *proc.ExactCalls != got.exact {
			t.Errorf("exact_calls in /api/v1/processes %v, in /metrics %d", proc.ExactCalls, got.exact)
		}
		for _, cause := range dropCauses {
			v, ok := m.value("cgoscope_bpf_drops_total", map[string]string{"cause": cause})
			if !ok || uint64(v) != prof.Drops[cause] {
				t.Errorf("cgoscope_bpf_drops_total{cause=%q} %v (present %v), /api/v1/processes drops %d", cause, v, ok, prof.Drops[cause])
			}
		}
		checkSoak(t, "agent", truth, st, got)
		if status, body, _ := a.Get("/healthz"); status != 200 || strings.TrimSpace(body) != "ok" {
			t.Errorf("/healthz after the soak: %d %q", status, body)
		}
		w.Stop()
		a.Stop()
	})

	t.Run("profile", func(t *testing.T) {
		// traceWorkload, with a TRUTH timeout that allows for the soak's length
		w := startWorkload(t, "soak", args...)
		tr := runProfile(t, "-p", itoa(w.Pid), "--json")
		w.Start()
		truth := w.WaitTruth(truthWait)
		st := readSoakStats(t, w)
		tr.Stop()
		w.Stop()
		prof := tr.JSON()
		proc := prof.Process(t, w.Pid)
		got := soakTotals{calls: map[string]uint64{}, exact: -1, drops: prof.Drops}
		for _, f := range proc.Functions {
			got.calls[f.Name] = f.Calls
			assertFunctionConsistent(t, &f)
		}
		if proc.ExactCalls != nil {
			got.exact = *proc.ExactCalls
		}
		checkSoak(t, "profile", truth, st, got)
	})
}
