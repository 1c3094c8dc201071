#!/usr/bin/env bash
# bench.sh - ns per cgo call of the bundled workloads: untraced, naive entry+RET probes, cgoscope's default.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.output
runs=${RUNS:-3}
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root for BPF" >&2; exit 1; }

# one_run MODE ARGS...: prints ns per call of one cgoload run (MODE: none, naive, cgoscope)
one_run() {
	local mode=$1 calls=$2; shift 2
	local log pid tracer="" ns
	log=$(mktemp)
	"$out/go/cgoload" "$@" -exit-after >"$log" 2>&1 &
	pid=$!
	until grep -q READY "$log"; do sleep 0.05; done
	if [ "$mode" != none ]; then
		local extra=()
		[ "$mode" = naive ] && extra=(--entry-ret)
		"$out/cgoscope" profile -p "$pid" --no-calibrate "${extra[@]}" >/dev/null 2>"$log.err" &
		tracer=$!
		until grep -q 'cgoscope: tracing' "$log.err"; do sleep 0.05; done
	fi
	kill -USR1 "$pid"
	wait "$pid"
	[ -n "$tracer" ] && wait "$tracer"
	ns=$(grep -o '"elapsed_ns":[0-9]*' "$log" | cut -d: -f2)
	rm -f "$log" "$log.err"
	awk -v ns="$ns" -v n="$calls" 'BEGIN { printf "%.1f", ns / n }'
}

# bench NAME CALLS ARGS...: runs each mode $runs times, prints min/median/max and ratios
bench() {
	local name=$1 calls=$2; shift 2
	declare -A med
	printf '\n%s (%s calls per run, %s runs)\n' "$name" "$calls" "$runs"
	printf '  %-10s %10s %10s %10s   (ns per call)\n' mode min median max
	for mode in none naive cgoscope; do
		local vals=()
		for _ in $(seq "$runs"); do vals+=("$(one_run "$mode" "$calls" "$@")"); done
		read -r mn md mx < <(printf '%s\n' "${vals[@]}" | sort -g | awk '{v[NR]=$1} END {print v[1], v[int((NR+1)/2)], v[NR]}')
		med[$mode]=$md
		printf '  %-10s %10s %10s %10s\n' "$mode" "$mn" "$md" "$mx"
	done
	awk -v u="${med[none]}" -v n="${med[naive]}" -v c="${med[cgoscope]}" 'BEGIN {
		printf "  overhead per call: naive %.0f ns, cgoscope %.0f ns; cgoscope/naive overhead %.2f; traced/untraced %.1fx\n",
			n - u, c - u, (c - u) / (n - u), c / u }'
}

echo "bench: $(date -u +%F), $(uname -r), $(nproc) CPUs"
bench "tight loop of no-op C calls" 100000 -hot 100000
bench "1 ms C calls" 200 -sleep1ms 200
