#!/usr/bin/env bash
# bench_census.sh - what the census costs: the tracer's CPU with N threads in C at a census rate, and a tight loop's throughput under the census alone.
#
# Usage: scripts/bench_census.sh   (root; `make bench` runs it)
#
# For N goroutines blocked in C (cgoload -block N): one census__read() timed alone
# (census_bench), then `cgoscope profile --no-probes` for SECONDS at 10 and 50 Hz without a
# budget, and with the defaults (50 Hz, paced by --census-budget 5), each minus the same at
# --census-hz 0: its CPU time (utime + stime from /proc) as % of one core. Then a tight loop
# (cgoload -hot) runs untraced and under `profile --no-probes --census-hz 50`, taking turns:
# the census reads memory from outside, so the loop should not notice.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUTPUT:-.output}
workload=$out/go/cgoload
seconds=${SECONDS_EACH:-5}
[ "$(id -u)" -eq 0 ] || { echo "bench_census: needs root for BPF" >&2; exit 1; }
for f in "$out/cgoscope" "$workload" "$out/bench/census_bench"; do
	[ -x "$f" ] || { echo "bench_census: $f missing (make bench builds it)" >&2; exit 1; }
done

# cpu_of PID: utime + stime of PID, in clock ticks
cpu_of() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# start_blocked N: starts N goroutines blocked in C for long enough; sets $pid
start_blocked() {
	"$workload" -block "$1" -block-ms 600000 -start-now -maxthreads $(($1 + 500)) >/dev/null 2>&1 &
	pid=$!
	until [ "$(awk '/^Threads/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0)" -ge "$1" ]; do sleep 0.1; done
}

# tracer_cpu ARGS...: "CPU RATE": % of a core `profile -p $pid --no-probes ARGS` uses over
# $seconds, and the census samples it took per second (from its JSON)
tracer_cpu() {
	local err json tracer c0 c1 hz_ticks
	err=$(mktemp)
	json=$(mktemp)
	"$out/cgoscope" profile -p "$pid" --no-probes --json "$@" -d $((seconds + 1)) >"$json" 2>"$err" &
	tracer=$!
	until grep -q 'cgoscope: tracing' "$err"; do sleep 0.05; done
	sleep 0.5
	c0=$(cpu_of "$tracer")
	sleep "$seconds"
	c1=$(cpu_of "$tracer")
	hz_ticks=$(getconf CLK_TCK)
	wait "$tracer"
	awk -v a="$c0" -v b="$c1" -v t="$hz_ticks" -v s="$seconds" 'BEGIN { printf "%.2f ", 100 * (b - a) / t / s }'
	python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["processes"][0].get("c_time") or {}
print("%.1f" % (c["censuses"] * 1e9 / c["census_ns"]) if c.get("census_ns") else "-")' "$json"
	rm -f "$err" "$json"
}

# shellcheck source=scripts/bench_lib.sh
. scripts/bench_lib.sh

echo
echo "census cost: $(date -u +%F), $(uname -r), $(nproc) CPUs; CPU over ${seconds}s, % of one core"
echo "(one census: census__read() alone, tests/bench/census_bench; the tracer's CPU is"
echo "cgoscope profile --no-probes at the rate, minus the same at --census-hz 0, no budget)"
echo
echo "| threads in C | one census | tracer, 10 Hz | tracer, 50 Hz | default (50 Hz, --census-budget 5) |"
echo "|---:|---:|---:|---:|---:|"
for n in 10 1000 10000; do
	start_blocked "$n"
	one=$("$out/bench/census_bench" "$pid" 20 | sed -E 's/.*: ([0-9.]+) us per census.*/\1/')
	read -r base _ < <(tracer_cpu --census-hz 0)
	read -r c10 r10 < <(tracer_cpu --census-hz 10 --census-budget 0)
	read -r c50 r50 < <(tracer_cpu --census-hz 50 --census-budget 0)
	read -r cdef rdef < <(tracer_cpu)
	kill -KILL "$pid" 2>/dev/null || true # blocked in C, it would see SIGTERM after the call
	wait "$pid" 2>/dev/null || true
	sub() { awk -v a="$1" -v b="$base" 'BEGIN { printf "%.2f%%", a - b }'; }
	printf '| %s | %s us | %s (%s/s) | %s (%s/s) | %s (%s/s) |\n' "$n" "$one" "$(sub "$c10")" "$r10" \
		"$(sub "$c50")" "$r50" "$(sub "$cdef")" "$rdef"
done
echo
echo "tight loop under the census alone (--no-probes --census-hz 50), 5 rounds taking turns:"
ratios=()
for _ in 1 2 3 4 5; do
	u=$(one_run none 50000000 -hot 50000000)
	c=$(one_run census 50000000 -hot 50000000)
	ratios+=("$(awk -v u="$u" -v c="$c" 'BEGIN { printf "%.1f", 100 * u / c }')")
	echo "  untraced $u ns/call, census $c ns/call"
done
printf '  throughput under the census, %% of untraced, per round: %s\n' "${ratios[*]}"
