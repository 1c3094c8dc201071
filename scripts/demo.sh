#!/usr/bin/env bash
# demo.sh - starts the bundled Go workload and profiles it with cgoscope for 5 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.output
[ "$(id -u)" -eq 0 ] || { echo "demo: cgoscope needs root for BPF: run 'sudo make demo'" >&2; exit 1; }
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

# A workload that keeps calling C: a hot no-op loop, 1 ms and 20 ms sleepers,
# C -> Go -> C callbacks, over and over until we stop it.
"$out/go/cgoload" -start-now -rounds 1000000 -hot 20000 -workers 2 -sleep1ms 20 -sleep20ms 2 \
	-callback 50 > "$out/demo-workload.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
sleep 1
echo "demo: profiling the bundled workload (PID $pid) for 5 seconds"
echo "demo: \$ cgoscope profile -p $pid -d 5 -H"
echo
"$out/cgoscope" profile -p "$pid" -d 5 -H
echo
echo "demo: by default the probes sample once they cost more than 1% of a CPU (the hot loop above);"
echo "demo: 'cgoscope profile -p PID --overhead-budget=0' traces every call whatever the cost."
