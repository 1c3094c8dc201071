package e2e

// The default exposition: C function series per executable, summed over its
// processes, with counters that never go back when one of them exits (its
// final counts fold into the executable's) and a series that outlives the
// executable's last process.

import (
	"testing"
	"time"
)

// waitCalls polls /metrics until name{labels} is want (or 10 s pass) and
// returns the last scrape.
func waitCalls(t *testing.T, a *Agent, name string, labels map[string]string, want float64) metrics {
	t.Helper()
	var got float64
	for deadline := time.Now().Add(10 * time.Second); ; {
		m, _ := a.Scrape()
		got, _ = m.value(name, labels)
		if got == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v is %v after 10 s, want %v", name, labels, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAgentExecutableCounters(t *testing.T) {
	requireRoot(t)
	dir := privateWorkloads(t)
	a := startAgentByExe(t, "--include", dir+"/*")
	// first ends by itself right after its calls, with no scrape in between
	first, _ := startTraced(t, a, "cold", "cgoload", "-hot", "3000", "-sleep1ms", "5", "-exit-after")
	second, _ := startTraced(t, a, "cold", "cgoload", "-hot", "5000", "-sleep1ms", "3")
	m, _ := a.Scrape()
	exe := exeOf(t, m, first.Pid)
	if other := exeOf(t, m, second.Pid); other != exe {
		t.Fatalf("two processes of one file: exe %q and %q", exe, other)
	}
	procs := map[string]string{"exe": exe}
	if v := mustValue(t, m, "cgoscope_executable_processes", procs); v != 2 {
		t.Errorf("cgoscope_executable_processes %v, want 2", v)
	}

	first.Start()
	t1 := first.WaitTruth(truthTimeout)
	first.WaitExit(exitTimeout)
	if _, _, ok := a.waitGone(first.Pid, 10*time.Second); !ok {
		t.Fatalf("PID %d still has series after it exited", first.Pid)
	}
	// Its calls were made and it exited between two scrapes: the agent read
	// its final counts before forgetting it.
	for _, fn := range []string{"cgs_noop", "cgs_sleep_us"} {
		want := float64(t1.Calls[fn])
		m = waitCalls(t, a, "cgoscope_cgo_calls_total", exeFuncLabel(exe, fn), want)
		if v, _ := m.value("cgoscope_cgo_call_duration_seconds_count", exeFuncLabel(exe, fn)); v != want {
			t.Errorf("%s: histogram _count %v after PID %d exited, want its %v calls", fn, v, first.Pid, want)
		}
	}
	if v := mustValue(t, m, "cgoscope_executable_processes", procs); v != 1 {
		t.Errorf("cgoscope_executable_processes %v after one exit, want 1", v)
	}
	if len(m.find("cgoscope_cgo_calls_total", pidLabel(second.Pid))) != 0 {
		t.Errorf("function series carry pid without --per-process")
	}

	second.Start()
	t2 := second.WaitTruth(truthTimeout)
	sum := float64(t1.Calls["cgs_noop"] + t2.Calls["cgs_noop"])
	waitCalls(t, a, "cgoscope_cgo_calls_total", exeFuncLabel(exe, "cgs_noop"), sum)
	second.Stop()
	if _, _, ok := a.waitGone(second.Pid, 10*time.Second); !ok {
		t.Fatalf("PID %d still has series after it exited", second.Pid)
	}
	// No process left: the series stays, at its last value (a restart continues it).
	m, _ = a.Scrape()
	if v, ok := m.value("cgoscope_cgo_calls_total", exeFuncLabel(exe, "cgs_noop")); !ok || v != sum {
		t.Errorf("cgs_noop %v (present %v) once every process exited, want %v", v, ok, sum)
	}
	if v := mustValue(t, m, "cgoscope_executable_processes", procs); v != 0 {
		t.Errorf("cgoscope_executable_processes %v, want 0", v)
	}
}
