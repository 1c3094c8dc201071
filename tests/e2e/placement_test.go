package e2e

import "testing"

// placements are the probe placements a user can ask for, by name.
var placements = []string{"entry+call-site", "call-sites", "entry+ret"}

// TestPlacements runs the whole report under each placement (--placement):
// every count exact, timings within the workload's bounds, the threads its
// C code made counted as C's (created_by_c: under entry+ret too, where call
// records are per goroutine), blocked calls seen, nested and callback calls
// paired.
func TestPlacements(t *testing.T) {
	args := []string{"-hot", "2000", "-sleep1ms", "20", "-callback", "10", "-nest", "3",
		"-pthreads", "4", "-block", "3", "-block-ms", "1200"}
	for _, p := range placements {
		p := p
		t.Run(p, func(t *testing.T) {
			run := traceWorkload(t, "cgoload", args, "--json", "--placement", p)
			_, proc := run.stopJSON(t) // exact counts, timings, created_by_c
			if proc.Placement != p {
				t.Errorf("placement %q, asked for %s", proc.Placement, p)
			}
			if proc.LongCalls != 3 {
				t.Errorf("%d long-blocking calls, the workload blocked 3 goroutines for 1.2 s", proc.LongCalls)
			}
		})
	}
}

// TestPlacementsDefaults: the governor's estimates under each placement
// (entry+ret drops its frames at every pause, call records being per
// goroutine there).
func TestPlacementsDefaults(t *testing.T) {
	for _, p := range placements {
		p := p
		t.Run(p, func(t *testing.T) {
			run := traceDefaults(t, "cgoload", []string{"-phases", "sleep20ms:10,hot:2000000,sleep20ms:10"},
				"--json", "--placement", p)
			prof, proc := run.stopSampled(t)
			defaultRun{exact: []string{"cgs_sleep_20ms"}, hot: []string{"cgs_noop"}}.check(t, prof, proc, run)
		})
	}
}
