package e2e

import (
	"strings"
	"testing"
)

// sqliteFuncs are go-sqlite3's C functions the test insists on seeing by
// name (the TRUTH line has their exact counts; checkRun compares them all).
var sqliteFuncs = []string{"_sqlite3_prepare_v2_internal", "_sqlite3_step_row_internal", "_sqlite3_step_internal"}

// TestSQLite traces a program doing real work with github.com/mattn/go-sqlite3
// (tests/realworld/sqlite: 2000 inserts in a transaction, 500 queries) and
// compares the counts of go-sqlite3's C functions with the ones the program
// derived from its own operations. Built by scripts/build_realworld.sh; when
// the module could not be fetched, the subtests skip and say why.
func TestSQLite(t *testing.T) {
	for _, name := range []string{"sqlite", "sqlite-stripped"} {
		name := name
		t.Run(name, func(t *testing.T) {
			requireRealworld(t, name)
			run := traceWorkload(t, name, []string{"-rows", "2000", "-queries", "500"}, "--json")
			_, proc := run.stopJSON(t) // no drops, every count in TRUTH exact
			checkIdentity(t, proc, name)
			if want := wantPlacement(t, proc.GoVersion); proc.Placement != want {
				t.Errorf("placement %q, want %s", proc.Placement, want)
			}
			for _, f := range sqliteFuncs {
				if run.truth.Calls[f] == 0 {
					t.Errorf("%s: not in the workload's TRUTH", f)
				}
				if proc.Func(f) == nil {
					t.Errorf("%s: not reported by name; reported: %s", f, strings.Join(proc.FuncNames(), " "))
				}
			}
		})
	}
}
