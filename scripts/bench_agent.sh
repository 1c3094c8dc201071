#!/usr/bin/env bash
# bench_agent.sh - the agent's own cost: CPU, RSS and /metrics scrapes with N traced processes
# (tests/go/manyfuncs: 20 C functions, 100 cgo calls/s each), then the render-time
# micro-benchmark (.output/bench/prom_bench, no BPF). Series, gzip and a real Prometheus's
# scrape time at 50x20 and 200x50: scripts/bench_expo.sh.
#
#   PROCS=50 IDLE_SECONDS=20 SECONDS_SCRAPED=60 RENDER_ITERATIONS=100 scripts/bench_agent.sh
#
# Phase 1 (IDLE_SECONDS): nobody scrapes; phase 2 (SECONDS_SCRAPED): /metrics is scraped every
# second, as a Prometheus with a 1 s interval would (pessimistic: 15-60 s is usual).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/.output
# shellcheck source=bench_lib.sh
. scripts/bench_lib.sh
procs=${PROCS:-50}
idle=${IDLE_SECONDS:-20}
scraped=${SECONDS_SCRAPED:-60}
[ "$(id -u)" -eq 0 ] || { echo "bench_agent: needs root for BPF" >&2; exit 1; }
for f in "$out/cgoscope" "$out/go/manyfuncs" "$out/bench/prom_bench"; do
	[ -x "$f" ] || { echo "bench_agent: $f missing (make bench builds it)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/cgoscope-bench-agent.XXXXXX)
pids=()
agent=""
cleanup() {
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT

hz=$(getconf CLK_TCK)
# cpu_ticks PID: utime + stime of PID in clock ticks (fields 14 and 15 of /proc/PID/stat,
# counted after the ")" that ends comm)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# status_kb PID FIELD: a kB field of /proc/PID/status (VmRSS, VmHWM)
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
# stats: min median max mean of the numbers on stdin
stats() { sort -g | awk '{v[NR] = $1; s += $1} END {printf "%s %s %s %.6g\n", v[1], v[int((NR+1)/2)], v[NR], s / NR}'; }
now() { date +%s.%N; }
# bpf_memlock PID: bytes of BPF map memory PID holds (the memlock of each map fd, once per map)
bpf_memlock() {
	grep -H -e "^map_id:" -e "^memlock:" /proc/"$1"/fdinfo/* 2>/dev/null | awk -F"[:\t ]+" '$2 == "map_id" {id[$1] = $3} $2 == "memlock" {m[$1] = $3} END {for (f in id) if (!(id[f] in seen)) {seen[id[f]]; s += m[f]}; print s + 0}'
}

cp "$out/go/manyfuncs" "$dir/manyfuncs"
for _ in $(seq "$procs"); do
	"$dir/manyfuncs" </dev/null >/dev/null 2>&1 &
	pids+=($!)
done

t_start=$(now)
agent_start "$dir" --include "$dir/*"
agent_wait_traced "$procs"
t_traced=$(now)
sleep 3 # every process has made calls of all its functions

# workload_ticks: CPU of all the workloads (they pay the probes)
workload_ticks() { local s=0 p; for p in "${pids[@]}"; do s=$((s + $(cpu_ticks "$p"))); done; echo $s; }

# Phase 1: no scrapes.
c0=$(cpu_ticks "$agent"); w0=$(workload_ticks); t0=$(now)
: >"$dir/rss.idle"
for _ in $(seq "$idle"); do sleep 1; status_kb "$agent" VmRSS >>"$dir/rss.idle"; done
c1=$(cpu_ticks "$agent"); w1=$(workload_ticks); t1=$(now)

# Phase 2: a scrape every second.
: >"$dir/scrapes"
: >"$dir/rss.scraped"
next=$(now)
for _ in $(seq "$scraped"); do
	next=$(awk -v n="$next" 'BEGIN {printf "%.3f", n + 1}')
	# wall time, bytes; then the agent's own duration of the previous scrape and the series
	w=$(curl -sf -o "$dir/body" -w '%{time_total} %{size_download}' "$url")
	own=$(awk '$1 == "cgoscope_scrape_duration_seconds" {print $2}' "$dir/body")
	series=$(grep -cv '^#' "$dir/body")
	echo "$w $own $series" >>"$dir/scrapes"
	status_kb "$agent" VmRSS >>"$dir/rss.scraped"
	delay=$(awk -v n="$next" -v t="$(now)" 'BEGIN {d = n - t; printf "%.3f", (d > 0 ? d : 0)}')
	sleep "$delay"
done
c2=$(cpu_ticks "$agent"); w2=$(workload_ticks); t2=$(now)
hwm=$(status_kb "$agent" VmHWM)
memlock=$(bpf_memlock "$agent")
fams=$(grep -c '^# TYPE' "$dir/body")

# SIGTERM: how long the agent takes to detach everything and exit.
t_term=$(now)
kill -TERM "$agent"
wait "$agent" || true
t_gone=$(now)
agent=""

read -r wmin wmed wmax wmean < <(awk '{print $1 * 1000}' "$dir/scrapes" | stats)
read -r omin omed omax omean < <(awk 'NR > 1 {print $3 * 1000}' "$dir/scrapes" | stats)
read -r bmin bmed bmax _ < <(awk '{print $2}' "$dir/scrapes" | stats)
read -r smin smed smax _ < <(awk '{print $4}' "$dir/scrapes" | stats)
read -r rimin _ rimax _ < <(stats <"$dir/rss.idle")
read -r rsmin _ rsmax _ < <(stats <"$dir/rss.scraped")

echo
echo "agent self-cost: $procs processes of tests/go/manyfuncs (20 C functions, 100 cgo calls/s each)"
awk -v a="$t_start" -v b="$t_traced" -v n="$procs" 'BEGIN {printf "  agent start -> %d processes traced: %.2f s\n", n, b - a}'
awk -v c0="$c0" -v c1="$c1" -v c2="$c2" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v hz="$hz" \
    -v w0="$w0" -v w1="$w1" -v w2="$w2" -v idle="$idle" -v sc="$scraped" 'BEGIN {
	printf "  %-38s %10s %10s\n", "", "no scrapes", "1 s scrapes"
	printf "  %-38s %9ds %9ds\n", "measured for", idle, sc
	printf "  %-38s %9.2f%% %9.2f%%\n", "agent CPU (utime+stime, % of one CPU)", 100 * (c1 - c0) / hz / (t1 - t0), 100 * (c2 - c1) / hz / (t2 - t1)
	printf "  %-38s %9.2f%% %9.2f%%\n", "all workloads CPU (incl. their probes)", 100 * (w1 - w0) / hz / (t1 - t0), 100 * (w2 - w1) / hz / (t2 - t1)
}'
printf '  %-38s %10s %10s\n' "agent VmRSS min-max (MiB)" \
	"$(awk -v a="$rimin" -v b="$rimax" 'BEGIN {printf "%.1f-%.1f", a / 1024, b / 1024}')" \
	"$(awk -v a="$rsmin" -v b="$rsmax" 'BEGIN {printf "%.1f-%.1f", a / 1024, b / 1024}')"
awk -v h="$hwm" 'BEGIN {printf "  %-38s %21.1f\n", "agent VmHWM at the end (MiB)", h / 1024}'
awk -v m="$memlock" -v c="$(awk -F- '{print $NF + 1}' /sys/devices/system/cpu/possible)" 'BEGIN {printf "  %-38s %21.1f   (%d possible CPUs)\n", "BPF map memory (memlock, MiB)", m / 1048576, c}'
awk -v a="$t_term" -v b="$t_gone" -v n="$procs" 'BEGIN {printf "  %-38s %20.2fs\n", "SIGTERM -> exit, " n " processes", b - a}'
printf '\n  /metrics, %d scrapes      %10s %10s %10s %10s\n' "$scraped" min median max mean
printf '  %-24s %10.2f %10.2f %10.2f %10.2f\n' "wall time, curl (ms)" "$wmin" "$wmed" "$wmax" "$wmean"
printf '  %-24s %10.2f %10.2f %10.2f %10.2f\n' "agent's own (ms)" "$omin" "$omed" "$omax" "$omean"
printf '  %-24s %10s %10s %10s\n' "payload (bytes)" "$bmin" "$bmed" "$bmax"
printf '  %-24s %10s %10s %10s   (%s families)\n' "samples (lines)" "$smin" "$smed" "$smax" "$fams"

echo
# one executable, as the workload above; then 50 executables, the worst case of the by-exe series
PROM_BENCH_NO_JSON=1 PROM_BENCH_EXES=1 "$out/bench/prom_bench" 50 20 "${RENDER_ITERATIONS:-100}"
"$out/bench/prom_bench" 50 20 "${RENDER_ITERATIONS:-100}"
