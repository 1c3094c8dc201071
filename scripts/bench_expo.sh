#!/usr/bin/env bash
# bench_expo.sh - what one /metrics scrape costs at PROCS x FUNCS: series, bytes (plain and
# gzip -6), the agent's own scrape time, and a real Prometheus's scrape duration of the agent.
#
#   CONFIGS="50x20 200x50" SCRAPES=20 PROM_SECONDS=30 scripts/bench_expo.sh [AGENT ARGS...]
#
# Each config runs PROCS copies of tests/go/manyfuncs -funcs FUNCS (one executable, as in
# scripts/bench_agent.sh) under `cgoscope agent` with the default flags plus AGENT ARGS
# (e.g. --per-process), curls /metrics SCRAPES times a second apart, then lets a Prometheus
# (Debian package prometheus) scrape it every second for PROM_SECONDS and asks it for its own
# scrape_duration_seconds and scrape_samples_scraped. Needs root (BPF); make bench builds the
# binaries (or: make all gobins).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/.output
# shellcheck source=bench_lib.sh
. scripts/bench_lib.sh
configs=${CONFIGS:-50x20 200x50}
scrapes=${SCRAPES:-20}
prom_seconds=${PROM_SECONDS:-30}
[ "$(id -u)" -eq 0 ] || { echo "bench_expo: needs root for BPF" >&2; exit 1; }
for f in "$out/cgoscope" "$out/go/manyfuncs"; do
	[ -x "$f" ] || { echo "bench_expo: $f missing (make all gobins)" >&2; exit 1; }
done
command -v prometheus >/dev/null || { echo "bench_expo: prometheus not found (Debian package prometheus)" >&2; exit 1; }

dir=$(mktemp -d /tmp/cgoscope-bench-expo.XXXXXX)
pids=()
agent=""
prom=""
stop_all() {
	[ -n "$prom" ] && kill "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
	agent=""
	prom=""
}
trap 'stop_all; rm -rf "$dir"' EXIT

# stats: min median max of the numbers on stdin
stats() { sort -g | awk '{v[NR] = $1} END {printf "%s %s %s\n", v[1], v[int((NR+1)/2)], v[NR]}'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# prom_query EXPR: the value of an instant query's first sample
prom_query() {
	curl -sf "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "nan")'
}

cp "$out/go/manyfuncs" "$dir/manyfuncs"
printf '%-8s %-14s %8s %10s %9s %9s %11s %11s %10s\n' config agent-args series "bytes" "gzip -6" ratio \
	"agent ms" "prom ms" "prom RSS"
printf '%-8s %-14s %8s %10s %9s %9s %11s %11s %10s\n' "" "" "" "" "" "" "med (max)" "med (max)" "MiB"
for cfg in $configs; do
	procs=${cfg%x*}
	funcs=${cfg#*x}
	hz=$((100 / funcs)); [ "$hz" -ge 1 ] || hz=1 # about 100 cgo calls/s per process
	for _ in $(seq "$procs"); do
		"$dir/manyfuncs" -funcs "$funcs" -hz "$hz" </dev/null >/dev/null 2>&1 &
		pids+=($!)
	done
	agent_start "$dir" --include "$dir/*" "$@"
	port=${url#http://127.0.0.1:}
	port=${port%/metrics}
	agent_wait_traced "$procs"
	sleep 3 # every process has called each of its functions

	: >"$dir/scrapes"
	for _ in $(seq "$scrapes"); do
		curl -sf -o "$dir/body" "$url"
		own=$(awk '$1 == "cgoscope_scrape_duration_seconds" {print $2 * 1000}' "$dir/body")
		echo "$(grep -cv '^#' "$dir/body") $(wc -c <"$dir/body") $(gzip -6c "$dir/body" | wc -c) $own" >>"$dir/scrapes"
		sleep 1
	done
	read -r _ series _ < <(awk '{print $1}' "$dir/scrapes" | stats)
	read -r _ bytes _ < <(awk '{print $2}' "$dir/scrapes" | stats)
	read -r _ gz _ < <(awk '{print $3}' "$dir/scrapes" | stats)
	read -r _ omed omax < <(awk 'NR > 1 {print $4}' "$dir/scrapes" | stats)

	pport=$(free_port)
	cat >"$dir/prometheus.yml" <<-EOT
		global:
		  scrape_interval: 1s
		  scrape_timeout: 1s
		scrape_configs:
		  - job_name: cgoscope
		    static_configs:
		      - targets: ['127.0.0.1:$port']
	EOT
	rm -rf "$dir/data"
	prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$dir/prom.log" 2>&1 &
	prom=$!
	sleep "$prom_seconds"
	pmed=$(prom_query "quantile_over_time(0.5, scrape_duration_seconds{job=\"cgoscope\"}[${prom_seconds}s]) * 1000")
	pmax=$(prom_query "max_over_time(scrape_duration_seconds{job=\"cgoscope\"}[${prom_seconds}s]) * 1000")
	psamples=$(prom_query 'scrape_samples_scraped{job="cgoscope"}')
	prss=$(awk '$1 == "VmRSS:" {printf "%.0f", $2 / 1024}' "/proc/$prom/status")
	printf '%-8s %-14s %8s %10s %9s %8.1fx %5.2f (%5.2f) %5.2f (%5.2f) %10s\n' "$cfg" "${*:-(defaults)}" \
		"$series" "$bytes" "$gz" "$(awk -v a="$bytes" -v b="$gz" 'BEGIN {print a / b}')" \
		"$omed" "$omax" "$pmed" "$pmax" "$prss"
	[ "${psamples%.*}" = "$series" ] || echo "  (Prometheus scraped $psamples samples)"
	stop_all
done
