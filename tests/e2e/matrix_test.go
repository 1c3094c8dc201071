package e2e

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The support matrix: cgoload built once per Go version and build mode by
// scripts/build_matrix.sh into $CGOSCOPE_GOBIN/matrix/CELL/cgoload (or, when
// a cell could not be built, CELL.skip with the reason). `make test` builds
// the cells whose toolchain is at hand; `make test-matrix` fetches every
// toolchain first.

// matrixCells are the cells the README's support matrix claims; a missing
// binary skips its subtest loudly. Cells found on disk but not listed here
// are run too.
var matrixCells = []string{
	"go1.17", "go1.17-stripped",
	"go1.18", "go1.18-stripped",
	"go1.19", "go1.19-stripped", "go1.19-pie-stripped",
	"go1.20", "go1.20-stripped",
	"go1.21", "go1.21-stripped",
	"go1.22", "go1.22-stripped",
	"go1.23", "go1.23-stripped",
	"go1.24", "go1.24-stripped",
	"go1.25", "go1.25-stripped",
	"go1.26", "go1.26-stripped", "go1.26-trimpath",
	"go1.26-pie", "go1.26-pie-stripped",
	"go1.26-static", "go1.26-static-stripped",
	"go1.26-race",
}

// tooOldCell is built with a Go that cgoscope must refuse.
const tooOldCell = "go1.16"

// matrixArgs is the scenario every cell runs: short calls, timed calls, and
// C -> Go -> C callbacks (nested calls on one thread).
var matrixArgs = []string{"-hot", "20000", "-sleep1ms", "5", "-callback", "10"}

// matrixFuncs must be reported by name in every cell.
var matrixFuncs = []string{"cgs_noop", "cgs_sleep_us", "cgs_outer", "cgs_inner"}

func matrixDir() string {
	return filepath.Join(outputPath("CGOSCOPE_GOBIN", "../../.output/go"), "matrix")
}

// matrixBin returns the workload name (relative to CGOSCOPE_GOBIN) of cell's
// binary. Without one it skips the test loudly, with the reason the build
// left (no toolchain), or fails it if the toolchain was there but the build
// failed.
func matrixBin(t *testing.T, cell string) string {
	t.Helper()
	name := filepath.Join("matrix", cell, "cgoload")
	if _, err := os.Stat(filepath.Join(matrixDir(), cell, "cgoload")); err == nil {
		return name
	}
	reason := "not built (scripts/build_matrix.sh did not run)"
	if b, err := os.ReadFile(filepath.Join(matrixDir(), cell+".skip")); err == nil {
		reason = strings.TrimSpace(string(b))
	}
	if strings.HasPrefix(reason, "build failed:") {
		t.Fatalf("matrix cell %s: %s", cell, reason)
	}
	t.Skipf("SKIPPED: matrix cell %s has no binary: %s; `make test-matrix` fetches every toolchain and builds every cell", cell, reason)
	return ""
}

// allMatrixCells is matrixCells plus the cells found on disk.
func allMatrixCells() []string {
	seen := map[string]bool{tooOldCell: true}
	cells := append([]string(nil), matrixCells...)
	for _, c := range cells {
		seen[c] = true
	}
	found, _ := filepath.Glob(filepath.Join(matrixDir(), "*", "cgoload"))
	sort.Strings(found)
	for _, f := range found {
		c := filepath.Base(filepath.Dir(f))
		if !seen[c] {
			seen[c] = true
			cells = append(cells, c)
		}
	}
	return cells
}

// wantPlacement is the probe placement cgoscope should choose for a binary
// of goVersion ("go1.22.3"): Go 1.21 and newer start runtime.cgocall with
// PUSH BP, an instruction the kernel emulates, so its entry is the enter site;
// older releases start it with SUB SP and keep the CALL asmcgocall site.
func wantPlacement(t *testing.T, goVersion string) string {
	t.Helper()
	var minor int
	if _, err := fmt.Sscanf(goVersion, "go1.%d", &minor); err != nil {
		t.Fatalf("go_version %q: %v", goVersion, err)
	}
	if minor >= 21 {
		return "entry+call-site"
	}
	return "call-sites"
}

// cellRelease is the Go release a cell is built with: "go1.22" of "go1.22-pie".
func cellRelease(cell string) string {
	if i := strings.IndexByte(cell, '-'); i >= 0 {
		return cell[:i]
	}
	return cell
}

// TestMatrix traces the same scenario in every cell and asserts that the
// probes sit at emulated sites (wantPlacement), every C function is named (from .gopclntab
// when the binary has no .symtab), the counts are exact and nothing dropped.
func TestMatrix(t *testing.T) {
	for _, cell := range allMatrixCells() {
		cell := cell
		t.Run(cell, func(t *testing.T) {
			name := matrixBin(t, cell)
			checkBuildMode(t, cell, filepath.Join(matrixDir(), cell, "cgoload"))
			run := traceWorkload(t, name, matrixArgs, "--json")
			_, proc := run.stopJSON(t) // no drops, exact counts, consistent statistics
			checkIdentity(t, proc, "cgoload")
			if want := wantPlacement(t, proc.GoVersion); proc.Placement != want {
				t.Errorf("placement %q, want %s", proc.Placement, want)
			}
			release := cellRelease(cell)
			if proc.GoVersion != release && !strings.HasPrefix(proc.GoVersion, release+".") {
				t.Errorf("go_version %q, want %s.*", proc.GoVersion, release)
			}
			for _, f := range matrixFuncs {
				if proc.Func(f) == nil {
					t.Errorf("%s: not reported by name; reported: %s", f, strings.Join(proc.FuncNames(), " "))
				}
			}
			checkNested(t, proc)
			t.Logf("%s: %s, placement %s, probe cost %.0f ns, %d calls", cell, proc.GoVersion, proc.Placement, proc.ProbeCostNs, proc.Calls)
		})
	}
}

// checkBuildMode checks that the binary is what the cell's name says, so a
// build flag that silently did nothing cannot make a cell pass.
func checkBuildMode(t *testing.T, cell, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	interp := false
	for _, p := range f.Progs {
		interp = interp || p.Type == elf.PT_INTERP
	}
	mode := func(m string) bool { return strings.Contains(cell, "-"+m) }
	if stripped := f.Section(".symtab") == nil; stripped != mode("stripped") {
		t.Errorf("%s: has .symtab: %v", path, !stripped)
	}
	if pie := f.Type == elf.ET_DYN; pie != mode("pie") {
		t.Errorf("%s: ELF type %v", path, f.Type)
	}
	if static := !interp; static != mode("static") {
		t.Errorf("%s: statically linked (no PT_INTERP): %v", path, static)
	}
	if race := f.Section(".symtab") == nil || hasSymbol(f, "__tsan_init"); mode("race") && !race {
		t.Errorf("%s: no race detector runtime (__tsan_init)", path)
	}
}

func hasSymbol(f *elf.File, name string) bool {
	syms, _ := f.Symbols()
	for _, s := range syms {
		if s.Name == name {
			return true
		}
	}
	return false
}

// TestMatrixTooOldGo: a Go 1.16 program (stack ABI, no register ABI) is
// refused with a clear message and a failing exit status.
func TestMatrixTooOldGo(t *testing.T) {
	name := matrixBin(t, tooOldCell)
	requireRoot(t)
	w := startWorkload(t, name)
	cmd := exec.Command(cgoscopeBin(t), "profile", "-p", itoa(w.Pid), "-d", "1")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(tracingTimeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("cgoscope profile of a Go 1.16 process did not end within %v:\n%s", tracingTimeout, out)
	}
	if err == nil {
		t.Errorf("cgoscope profile of a Go 1.16 process exited 0:\n%s", out)
	}
	const want = "needs Go 1.17 or newer"
	if !strings.Contains(string(out), want) {
		t.Errorf("cgoscope profile of a Go 1.16 process does not say %q:\n%s", want, out)
	}
	if strings.Contains(string(out), tracingLine) {
		t.Errorf("cgoscope attached to a Go 1.16 process:\n%s", out)
	}
}
