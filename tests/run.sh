#!/usr/bin/env bash
# run.sh - runs every cgoscope test (unit, shell checks, e2e) and prints one summary line.
#
# `make test` builds everything and then runs this. What counts as one test:
#   unit   each test of every cmocka binary .output/unit/test_*, from its summary lines
#          "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s), ..." / "[  SKIPPED ] N test(s), ...";
#          a binary that exits non-zero without reporting a failure (a crash) is one failure.
#   checks each tests/unit/test_*.sh (other *.sh there are helpers): exit 0 passes,
#          77 skips (its last output line is the reason), anything else fails.
#   e2e    each leaf Go test of `go test -v ./e2e/` (a test or subtest without subtests of its
#          own), by its "--- PASS/FAIL/SKIP: NAME" line; a parent's line is not counted again.
#          If go test fails without any failing test line (build error, panic, timeout), that
#          is one failure.
# Environment: E2E=0 skips the e2e suite (reported as skipped; without it a non-root run
# fails at once, since e2e tests need root); GO is the Go toolchain;
# CGOSCOPE and CGOSCOPE_GOBIN override the tracer and the workload directory (absolute paths).
# The last line is exactly "N passed, N failed, N skipped"; the exit status is 1 if any
# test failed or none passed (everything skipped means nothing was tested).
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUTPUT=${OUTPUT:-$ROOT/.output}
GO=${GO:-/usr/local/go/bin/go}
command -v "$GO" >/dev/null 2>&1 || GO=go

# e2e tests load BPF programs: without root they could only skip, and a run that
# skipped them must not look green. Say why in one line and fail (E2E=0, i.e.
# `make test-unit`, runs the unit tests alone as any user).
if [ "${E2E:-1}" != 0 ] && [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: the e2e tests need root (BPF, uprobes); run as root, or E2E=0 (make test-unit) for the unit tests only" >&2
	exit 1
fi

passed=0 failed=0 skipped=0
skips=() fails=()
LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT

section() { printf '\n==== %s\n' "$*"; }
skip() { skipped=$((skipped + 1)); skips+=("$1"); }
fail() { failed=$((failed + 1)); fails+=("$1"); }

# run_unit BIN: runs one cmocka binary and adds its counts.
run_unit() {
	local bin=$1 name log rc p f s
	name=$(basename "$bin")
	log=$LOGDIR/$name.log
	"$bin" >"$log" 2>&1
	rc=$?
	cat "$log"
	read -r p f s < <(awk '
		/^\[  PASSED  \] [0-9]+ test\(s\)/  { p += $4 }
		/^\[  FAILED  \] [0-9]+ test\(s\)/  { f += $4 }
		/^\[  SKIPPED \] [0-9]+ test\(s\)/  { s += $4 }
		END { print p + 0, f + 0, s + 0 }' "$log")
	passed=$((passed + p))
	[ "$f" -gt 0 ] && { failed=$((failed + f)); fails+=("unit $name: $f test(s)"); }
	if [ "$s" -gt 0 ]; then
		skipped=$((skipped + s))
		while read -r t; do skips+=("unit $name: $t"); done < <(
			awk '/^\[  SKIPPED \] / && !/test\(s\)/ { sub(/^\[  SKIPPED \] /, ""); print }' "$log")
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "unit $name: exited $rc without reporting a failure"
	elif [ "$rc" -eq 0 ] && [ $((p + f + s)) -eq 0 ]; then
		fail "unit $name: no cmocka summary"
	fi
}

# run_check SCRIPT: runs one shell check.
run_check() {
	local sh=$1 name log rc
	name=$(basename "$sh")
	log=$LOGDIR/$name.log
	bash "$sh" >"$log" 2>&1
	rc=$?
	cat "$log"
	case $rc in
	0) passed=$((passed + 1)); echo "PASS $name" ;;
	77) skip "check $name: $(tail -n 1 "$log")"; echo "SKIP $name" ;;
	*) fail "check $name (exit $rc)"; echo "FAIL $name" ;;
	esac
}

# run_e2e: runs the Go e2e suite and counts its leaf tests.
run_e2e() {
	local log=$LOGDIR/e2e.log rc counts p f s
	(cd tests && CGOSCOPE=${CGOSCOPE:-$OUTPUT/cgoscope} CGOSCOPE_GOBIN=${CGOSCOPE_GOBIN:-$OUTPUT/go} GOTOOLCHAIN=local \
		"$GO" test -count=1 -v -timeout 20m ./e2e/) 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# Parses the -v output: result lines "--- STATUS: NAME (..)"; messages
	# ("    file.go:N: text", continuation lines indented deeper) belong to the
	# test of the last "=== RUN/CONT/NAME" line, and a skipped test's reason
	# is its last message. Prints "F name" per failed leaf, "S name: reason"
	# per skipped leaf, and "COUNTS pass fail skip" of the leaves.
	counts=$(awk '
		/^=== (RUN|CONT|NAME) / { cur = $3; next }
		match($0, /^ *--- (PASS|FAIL|SKIP): [^ ]+/) {
			n++; st[n] = substr($2, 1, 4); name[n] = $3; next
		}
		cur != "" && /^    +[^ ]+\.go:[0-9]+: / { m = $0; sub(/^ +/, "", m); last[cur] = m; next }
		cur != "" && /^        / && last[cur] != "" { m = $0; sub(/^ +/, "", m); last[cur] = last[cur] " / " m; next }
		END {
			for (i = 1; i <= n; i++) {
				leaf = 1
				for (j = 1; j <= n; j++)
					if (index(name[j], name[i] "/") == 1) { leaf = 0; break }
				if (!leaf) continue
				c[st[i]]++
				if (st[i] == "FAIL") print "F " name[i]
				if (st[i] == "SKIP") print "S " name[i] ": " last[name[i]]
			}
			print "COUNTS", c["PASS"] + 0, c["FAIL"] + 0, c["SKIP"] + 0
		}' "$log")
	read -r _ p f s < <(grep '^COUNTS ' <<<"$counts")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	while IFS= read -r l; do
		case $l in
		"F "*) fails+=("e2e ${l#F }") ;;
		"S "*) skips+=("e2e ${l#S }") ;;
		esac
	done <<<"$counts"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "e2e: go test exited $rc without a failing test (build error, panic or timeout; see above)"
	fi
}

section "unit tests"
shopt -s nullglob
for bin in "$OUTPUT"/unit/test_*; do
	[ -x "$bin" ] && run_unit "$bin"
done
for sh in tests/unit/test_*.sh; do
	run_check "$sh"
done

section "e2e tests"
if [ "${E2E:-1}" = 0 ]; then
	skip "e2e: the whole suite (E2E=0)"
	echo "E2E=0: e2e suite skipped"
else
	run_e2e
fi

section "summary"
if [ ${#skips[@]} -gt 0 ]; then
	echo "!!!! SKIPPED (${#skips[@]}) !!!!"
	printf '  SKIP  %s\n' "${skips[@]}"
fi
if [ ${#fails[@]} -gt 0 ]; then
	echo "FAILED:"
	printf '  FAIL  %s\n' "${fails[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((passed + failed + skipped)) -gt 0 ] && [ "$passed" -gt 0 ] || exit 1
