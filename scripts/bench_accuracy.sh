#!/usr/bin/env bash
# bench_accuracy.sh - how right the default (governed) view is, per phase pattern: the workload's truth against cgoscope's estimates, the sampling ratio, the throughput kept.
#
# Usage: scripts/bench_accuracy.sh   (root; `make bench` runs it; ROUNDS=N, default 3)
#
# Each pattern is a cgoload -phases script (tests/go/cgoload/phases.go). Per round it runs once
# untraced and once under `cgoscope profile --json` with default flags, taking turns; the
# figures are medians over the rounds. Per C function: what the workload made (TRUTH), what
# cgoscope reported (`calls`: the estimate while sampling), the error; per pattern the
# runtime's exact total against TRUTH, the sampling ratio and the governed run's throughput
# as % of the untraced one (the scenario's own clock, elapsed_ns).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.output
rounds=${ROUNDS:-3}
workload=$out/go/cgoload
[ "$(id -u)" -eq 0 ] || { echo "bench_accuracy: needs root for BPF" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench_accuracy: needs jq (make deps)" >&2; exit 1; }

# run TRACED ARGS...: one cgoload run; prints its TRUTH line, then (TRACED=1) the profile's JSON
run() {
	local traced=$1 log pid tracer=""
	shift
	log=$(mktemp)
	"$workload" "$@" -exit-after >"$log" 2>&1 &
	pid=$!
	until grep -q READY "$log"; do sleep 0.05; done
	if [ "$traced" = 1 ]; then
		"$out/cgoscope" profile -p "$pid" --json >"$log.json" 2>"$log.err" &
		tracer=$!
		until grep -q 'cgoscope: tracing' "$log.err"; do sleep 0.05; done
	fi
	kill -USR1 "$pid"
	wait "$pid"
	[ -n "$tracer" ] && wait "$tracer"
	grep '^TRUTH ' "$log" | cut -d' ' -f2-
	[ "$traced" = 1 ] && cat "$log.json"
	rm -f "$log" "$log.json" "$log.err"
}

# median VALUES...
median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

# pattern NAME ARGS...: the table rows of one pattern
pattern() {
	local name=$1 truth prof untraced traced ratio total exact fn
	shift
	declare -A got want=()
	local ratios=() kept=() totals=()
	for _ in $(seq "$rounds"); do
		untraced=$(run 0 "$@" | jq -r .elapsed_ns)
		{
			read -r truth
			prof=$(cat)
		} < <(run 1 "$@")
		traced=$(jq -r .elapsed_ns <<<"$truth")
		kept+=("$(awk -v u="$untraced" -v t="$traced" 'BEGIN { printf "%.1f", 100 * u / t }')")
		ratios+=("$(jq -r '.processes[0].sampling_ratio * 1000 | round / 1000' <<<"$prof")")
		total=$(jq '[.calls[]] | add' <<<"$truth")
		exact=$(jq '.processes[0].exact_calls' <<<"$prof")
		totals+=("$(awk -v e="$exact" -v t="$total" 'BEGIN { print e - t }')")
		for fn in $(jq -r '.calls | keys[]' <<<"$truth"); do
			want[$fn]=$(jq -r --arg f "$fn" '.calls[$f]' <<<"$truth")
			got[$fn]+="$(jq -r --arg f "$fn" '[.processes[0].functions[] | select(.name == $f) | .calls] | add // 0' <<<"$prof") "
		done
	done
	for fn in "${!want[@]}"; do
		# shellcheck disable=SC2086
		local m
		m=$(median ${got[$fn]})
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$fn" "${want[$fn]}" "$m" \
			"$(awk -v m="$m" -v w="${want[$fn]}" 'BEGIN { printf "%+.2f%%", 100 * (m - w) / w }')" \
			"$(median "${totals[@]}")" "$(median "${ratios[@]}")" "$(median "${kept[@]}")%"
	done | sort
}

echo
echo "accuracy of the default view ($rounds rounds, medians): $(date -u +%F), $(uname -r)"
echo "| pattern | function | truth | reported | error | exact - truth | sampling ratio | throughput kept |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
pattern "steady tight loop" -hot 50000000
pattern "hot, then calm" -phases hot:5000000,sleep20ms:20
pattern "calm, then hot" -phases sleep20ms:20,hot:5000000
pattern "100 ms bursts, calm between" -phases hot:2000000,sleep20ms:5,idle:900 -rounds 4
pattern "two hot functions interleaved" -phases hot:200000,sleep10us:400 -rounds 30
# (its throughput is that of 42 calls: microseconds, where the probes' cost is all there is)
pattern "42 calls, then exit" -hot 42
