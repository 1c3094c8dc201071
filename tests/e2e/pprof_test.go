package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pprofOut runs `go tool pprof args... file` and returns its output.
func pprofOut(t *testing.T, gobin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(gobin, append([]string{"tool", "pprof"}, args...)...)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if os.Getenv("HOME") == "" {
		cmd.Env = append(cmd.Env, "GOCACHE="+filepath.Join(os.TempDir(), "cgoscope-gocache"))
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestProfilePprof: `profile --pprof` and `--folded` of one C function
// called from two Go paths (2500 and 5000 calls): go tool pprof reads the
// file, counts the calls per function and shows both callers above the C
// leaf; the folded stacks name them root first.
func TestProfilePprof(t *testing.T) {
	gobin := goTool(t)
	dir := t.TempDir()
	pb, folded := filepath.Join(dir, "cgo.pb.gz"), filepath.Join(dir, "cgo.folded")
	run := traceDefaults(t, "cgoload", []string{"-phases", "patha:2500,pathb:5000"}, "--json",
		"--pprof", pb, "--folded", folded)
	run.stopSampled(t)

	top := pprofOut(t, gobin, "-top", "-sample_index=calls", pb)
	if m := regexp.MustCompile(`(?m)^\s+(\d+)\s+\S+%\s+\S+%\s+\d+\s+\S+%\s+cgs_sleep_us$`).FindStringSubmatch(top); m == nil || m[1] != "7500" {
		t.Errorf("go tool pprof -top: want cgs_sleep_us with 7500 calls flat:\n%s", top)
	}
	traces := pprofOut(t, gobin, "-traces", "-sample_index=calls", pb)
	for _, caller := range []string{"main.pathA", "main.pathB"} {
		if !regexp.MustCompile(`(?s)cgs_sleep_us\n.*` + regexp.QuoteMeta(caller)).MatchString(traces) {
			t.Errorf("go tool pprof -traces: no stack with cgs_sleep_us called from %s:\n%s", caller, traces)
		}
	}
	b, err := os.ReadFile(folded)
	if err != nil {
		t.Fatal(err)
	}
	var a, bb, bare int
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		i := strings.LastIndexByte(l, ' ')
		stack, v := l[:i], l[i+1:]
		n, err := strconv.Atoi(v)
		if err == nil && stack == "cgs_sleep_us" {
			bare += n // census samples whose call ended while its stack was read
			continue
		}
		if err != nil || !strings.HasSuffix(stack, ";cgs_sleep_us") {
			t.Errorf("folded line %q: want root;...;cgs_sleep_us N", l)
			continue
		}
		if strings.Contains(stack, ";main.pathA;") {
			a += n
		} else if strings.Contains(stack, ";main.pathB;") {
			bb += n
		}
	}
	if a == 0 || bb < a*3/2 || bb > a*5/2 {
		t.Errorf("folded: thread-time %d ns from main.pathA, %d from main.pathB: want about 1:2\n%s", a, bb, b)
	}
	if bare > (a+bb)/2 {
		t.Errorf("folded: %d ns without a stack against %d with one: want most with their stack\n%s", bare, a+bb, b)
	}
}
