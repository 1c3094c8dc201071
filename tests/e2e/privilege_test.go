package e2e

// Least privilege (issue 7): without a capability it needs, every command
// refuses to start, exit 1, with one line naming each missing capability,
// before loading anything.

import (
	"strings"
	"testing"
)

// neededCaps are the capabilities cgoscope checks (agent/session/caps.c), by setpriv name.
var neededCaps = []string{"bpf", "perfmon", "sys_admin", "sys_ptrace", "dac_read_search"}

// withoutCaps runs `cgoscope args...` as root with caps removed from its
// bounding set (so from its effective set after exec), and returns its exit
// status, stdout and stderr.
func withoutCaps(t *testing.T, caps []string, args ...string) (int, string, string) {
	t.Helper()
	drop := make([]string, len(caps))
	for i, c := range caps {
		drop[i] = "-" + c
	}
	return runCommand(t, requireCommand(t, "setpriv", "drops capabilities"),
		append([]string{"--inh-caps=-all", "--bounding-set=" + strings.Join(drop, ","), "--", cgoscopeBin(t)}, args...)...)
}

// TestLeastPrivilege: profile, top and agent, each missing some of the
// capabilities, exit 1 with one line that names exactly the missing ones;
// missing an unrelated one (CAP_NET_RAW), profile traces as usual.
func TestLeastPrivilege(t *testing.T) {
	requireRoot(t)
	w := startWorkload(t, "cgoload", "-hot", "100")
	cases := []struct {
		name string
		drop []string
		args []string
	}{
		{"profile-sys_admin", []string{"sys_admin"}, []string{"profile", "-p", itoa(w.Pid), "-d", "1"}},
		{"top-bpf-perfmon", []string{"bpf", "perfmon"}, []string{"top", "-b", "-n", "1"}},
		{"agent-all", neededCaps, []string{"agent", "--web.listen-address", "127.0.0.1:0"}},
		{"agent-ptrace-dac", []string{"sys_ptrace", "dac_read_search"}, []string{"agent", "--web.listen-address", "127.0.0.1:0"}},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			status, stdout, stderr := withoutCaps(t, c.drop, c.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if status != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "cgoscope: missing capabilities: ") {
				t.Fatalf("cgoscope %s without %v: exit status %d, stderr:\n%s\nwant 1 and one line \"cgoscope: missing capabilities: ...\"",
					strings.Join(c.args, " "), c.drop, status, stderr)
			}
			dropped := map[string]bool{}
			for _, d := range c.drop {
				dropped[d] = true
			}
			for _, n := range neededCaps {
				name := "CAP_" + strings.ToUpper(n) + " ("
				if got := strings.Contains(stderr, name); got != dropped[n] {
					t.Errorf("without %v: message names %s: %v, want %v:\n%s", c.drop, name, got, dropped[n], stderr)
				}
			}
			if stdout != "" {
				t.Errorf("printed on stdout:\n%s", stdout)
			}
		})
	}
	t.Run("unrelated-cap", func(t *testing.T) {
		status, stdout, stderr := withoutCaps(t, []string{"net_raw"}, "profile", "--overhead-budget=0", "-p", itoa(w.Pid), "-d", "1", "--json")
		if status != 0 || strings.Contains(stderr, "missing capabilities") {
			t.Fatalf("profile without CAP_NET_RAW: exit status %d, stderr:\n%s", status, stderr)
		}
		parseProfile(t, lastJSON(t, []byte(stdout))).Process(t, w.Pid)
	})
}
