#!/usr/bin/env bash
# bench.sh - ns per cgo call of the bundled workloads: untraced, naive entry+RET probes, cgoscope's placement, cgoscope's default (governed).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.output
runs=${RUNS:-9}
# the governed run follows the untraced one: fully traced runs leave the kernel busy a moment
modes=${MODES:-none default naive sites nocallers} # MODES="none default": only those (ratios need the first four)
workload=$out/go/cgoload # bench() switches it per table
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root for BPF" >&2; exit 1; }

# shellcheck source=scripts/bench_lib.sh
. scripts/bench_lib.sh

# bench NAME CALLS LONGCALLS ARGS...: runs every mode $runs times, the modes taking turns
# within each round so that the VM's slow drifts (other tenants, steal time) hit them alike;
# prints min/median/max per mode and the ratios. Modes that trace every call run CALLS calls;
# untraced and governed ones run LONGCALLS (a long-running loop, where the governor's first
# hundredths of a second do not dominate). The governed/untraced throughput is the median
# of each round's own ratio.
bench() {
	local name=$1 calls=$2 long=$3; shift 3
	declare -A vals med
	local ratios=() mode n v
	printf '\n%s (%s calls per run traced fully, %s otherwise; %s rounds)\n' "$name" "$calls" "$long" "$runs"
	for _ in $(seq "$runs"); do
		declare -A round=()
		for mode in $modes; do
			n=$calls
			[ "$mode" = none ] || [ "$mode" = default ] && n=$long
			[ "$mode" = nocallers ] && n=$calls
			v=$(one_run "$mode" "$n" "${@//@N@/$n}")
			vals[$mode]+="$v "
			round[$mode]=$v
		done
		[ -n "${round[none]:-}" ] && [ -n "${round[default]:-}" ] &&
			ratios+=("$(awk -v u="${round[none]}" -v d="${round[default]}" 'BEGIN { print 100 * u / d }')")
	done
	printf '  %-10s %12s %12s %12s   (ns per call)\n' mode min median max
	for mode in $modes; do
		# shellcheck disable=SC2086
		read -r mn md mx < <(stats ${vals[$mode]})
		med[$mode]=$md
		printf '  %-10s %12s %12s %12s\n' "$mode" "$mn" "$md" "$mx"
	done
	if [ "${#ratios[@]}" -gt 0 ]; then
		read -r mn md mx < <(stats "${ratios[@]}")
		printf '  default (governed) throughput, %% of untraced, per round: median %.1f%% (min %.1f%%, max %.1f%%)\n' "$md" "$mn" "$mx"
	fi
	if [ -n "${med[sites]:-}" ] && [ -n "${med[nocallers]:-}" ]; then
		awk -v c="${med[sites]}" -v k="${med[nocallers]}" 'BEGIN {
			printf "  Go callers (every call >= 50 us, 1 in 64 shorter ones): %+.0f ns per traced call (sites - nocallers)\n", c - k }'
	fi
	[ -n "${med[none]:-}" ] && [ -n "${med[naive]:-}" ] && [ -n "${med[sites]:-}" ] || return 0
	awk -v u="${med[none]}" -v n="${med[naive]}" -v c="${med[sites]}" 'BEGIN {
		printf "  overhead per call: naive %.0f ns, call sites %.0f ns: sites/naive %.2f\n", n - u, c - u, (c - u) / (n - u)
		printf "  traced every call: %.1fx untraced\n", c / u }'
}

# bpf_breakdown: BPF run time per hit of each cgo program (kernel.bpf_stats_enabled) while the
# tight loop is traced in full: the part of a traced call that is cgoscope's own work (the
# rest is the kernel's trap). The stats add two clock reads to every run they measure.
bpf_breakdown() {
	local log pid tracer was
	log=$(mktemp)
	was=$(sysctl -n kernel.bpf_stats_enabled)
	"$workload" -hot 300000 -exit-after >"$log" 2>&1 &
	pid=$!
	until grep -q READY "$log"; do sleep 0.05; done
	# shellcheck disable=SC2046
	"$out/cgoscope" profile -p "$pid" $(mode_args sites) >/dev/null 2>"$log.err" &
	tracer=$!
	until grep -q 'cgoscope: tracing' "$log.err"; do sleep 0.05; done
	sysctl -qw kernel.bpf_stats_enabled=1
	kill -USR1 "$pid"
	sleep 0.5
	printf '\nBPF work per probe hit, tight loop traced in full, %s\n' "$(grep -o '[a-z_-]* links' "$log.err")"
	bpftool prog show | awk '/ name cgo_/ { t = c = 0; for (i = 1; i < NF; i++) { if ($i == "name") n = $(i + 1)
		if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
		if (c > 0) printf "  %-16s %8.0f ns per hit (%d hits)\n", n, t / c, c }'
	sysctl -qw kernel.bpf_stats_enabled="$was"
	wait "$pid"
	wait "$tracer"
	rm -f "$log" "$log.err"
}

echo "bench: $(date -u +%F), $(uname -r), $(nproc) CPUs"
bench "tight loop of no-op C calls" 100000 50000000 -hot @N@
bpf_breakdown
bench "realistic 10 us C calls" 50000 500000 -sleep10us @N@
# the same tight loop built with Debian's Go 1.19 (the matrix build; skipped without it)
go119=$out/go/matrix/go1.19/cgoload
if [ -x "$go119" ]; then
	workload=$go119
	bench "tight loop, Go 1.19 build ($go119)" 100000 50000000 -hot @N@
	bpf_breakdown
else
	echo "SKIP Go 1.19 tight loop: $go119 not built (make matrix)"
fi
