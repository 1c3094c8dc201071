#!/usr/bin/env bash
# test_valgrind_profile.sh - valgrind memcheck on one real `cgoscope profile -p PID -d 2` run.
#
# Profiles the cgoload workload for 2 s under valgrind: any memory error or any heap block
# not freed at exit (--errors-for-leak-kinds=all) fails. Suppressions: valgrind_libbpf.supp
# (false positives of valgrind's bpf(2) wrapper in libbpf, each entry justified there).
# --no-calibrate: the calibration probes cgoscope's own code through /proc/self/exe, which
# the kernel resolves to valgrind's tool binary, and valgrind runs translated code anyway,
# so it would measure nothing (or fail to attach). Needs root; skips (77) otherwise, when
# valgrind is missing, or when cgoscope was built with SANITIZE (ASan and valgrind do not mix).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTPUT=${OUTPUT:-.output}
CGOSCOPE=${CGOSCOPE:-$OUTPUT/cgoscope}
WORKLOAD=$OUTPUT/go/cgoload

[ "$(id -u)" -eq 0 ] || { echo "not root: profiling needs BPF (run make test as root)"; exit 77; }
command -v valgrind >/dev/null || { echo "valgrind not installed (make deps)"; exit 77; }
[ -x "$CGOSCOPE" ] && [ -x "$WORKLOAD" ] || { echo "FAIL: $CGOSCOPE or $WORKLOAD not built"; exit 1; }
if nm "$CGOSCOPE" 2>/dev/null | grep -q __asan_init; then
	echo "$CGOSCOPE is built with AddressSanitizer (SANITIZE=1): valgrind cannot run it"
	exit 77
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

tmp=$(mktemp -d)
wpid=
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

"$WORKLOAD" -start-now -rounds 1000000 -hot 20000 -workers 2 -sleep1ms 20 -sleep20ms 2 \
	-callback 50 >"$tmp/workload.log" 2>&1 &
wpid=$!
for _ in $(seq 50); do
	grep -q '^READY' "$tmp/workload.log" && break
	sleep 0.1
done
grep -q '^READY' "$tmp/workload.log" || { echo "FAIL: workload did not start"; cat "$tmp/workload.log"; exit 1; }

timeout 300 valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
	--error-exitcode=9 --suppressions=tests/unit/valgrind_libbpf.supp --log-file="$tmp/vg.log" \
	"$CGOSCOPE" profile --no-calibrate -p "$wpid" -d 2 >"$tmp/out.txt" 2>"$tmp/err.txt"
rc=$?
cat "$tmp/out.txt" "$tmp/err.txt"
# -q keeps only errors and leaks; drop valgrind's notes about bpf commands it does not model.
grep -v 'WARNING: unhandled eBPF command' "$tmp/vg.log" || true
if [ "$rc" -ne 0 ]; then
	echo "FAIL: valgrind/cgoscope exited $rc (9: memcheck errors or leaks, see above)"
	exit 1
fi
if ! grep -q 'cgs_noop' "$tmp/out.txt"; then
	echo "FAIL: the profile does not list cgs_noop"
	exit 1
fi
kill -0 "$wpid" 2>/dev/null || { echo "FAIL: the workload died while profiled"; exit 1; }
echo "valgrind: no memory errors, no leaks (profile of PID $wpid for 2 s)"
