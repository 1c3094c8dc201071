#!/usr/bin/env bash
# bench_http.sh - the agent's CPU while greedy clients loop on /metrics, with and without the
# render cache; figures read from the agent's own metrics (process_*, cgoscope_http_*).
#
#   PROCS=50 CLIENTS=4 SECONDS_GREEDY=20 scripts/bench_http.sh
#
# PROCS processes of tests/go/manyfuncs (20 C functions each) are traced; then, for
# --web.render-cache-ttl=1000 (the default) and =0 (only concurrent scrapes share a render),
# CLIENTS curl loops fetch /metrics back to back for SECONDS_GREEDY seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/.output
procs=${PROCS:-50}
clients=${CLIENTS:-4}
secs=${SECONDS_GREEDY:-20}
[ "$(id -u)" -eq 0 ] || { echo "bench_http: needs root for BPF" >&2; exit 1; }
for f in "$out/cgoscope" "$out/go/manyfuncs"; do
	[ -x "$f" ] || { echo "bench_http: $f missing (make all gobins)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/cgoscope-bench-http.XXXXXX)
pids=()
agent=""
loops=()
cleanup() {
	for p in "${loops[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT

cp "$out/go/manyfuncs" "$dir/manyfuncs"
for _ in $(seq "$procs"); do
	"$dir/manyfuncs" </dev/null >/dev/null 2>&1 &
	pids+=($!)
done

# metric NAME [LABELS]: the value of one sample of the agent's /metrics
metric() {
	curl -s "$url" | awk -v n="$1" -v l="${2:-}" 'BEGIN { if (l != "") n = n "{" l "}" }
		$1 == n { print $2; exit }'
}

for ttl in 1000 0; do
	"$out/cgoscope" agent --web.listen-address=127.0.0.1:0 --include "$dir/*" \
		--web.render-cache-ttl="$ttl" >"$dir/agent.out" 2>"$dir/agent.err" &
	agent=$!
	port=""
	for _ in $(seq 300); do
		port=$(grep -o '(port [0-9]*)' "$dir/agent.err" 2>/dev/null | grep -o '[0-9]*' || true)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { echo "bench_http: the agent did not start" >&2; cat "$dir/agent.err" >&2; exit 1; }
	url=http://127.0.0.1:$port/metrics
	# every process traced: as many cgoscope_process_threads series as processes
	for _ in $(seq 300); do
		[ "$(curl -s "$url" | grep -c '^cgoscope_process_threads{')" -ge "$procs" ] && break
		sleep 0.2
	done
	sleep 1.1 # past the render cache: the next figures are fresh
	cpu0=$(metric process_cpu_seconds_total)
	sleep "$secs"
	sleep 1.1
	cpu_idle=$(metric process_cpu_seconds_total)
	bytes=$(curl -s "$url" | wc -c)
	req0=$(metric cgoscope_http_requests_total 'handler="/metrics",code="200"')
	ren0=$(metric cgoscope_http_renders_total)
	cpu1=$(metric process_cpu_seconds_total)
	loops=()
	for _ in $(seq "$clients"); do
		(while :; do curl -s -o /dev/null "$url"; done) &
		loops+=($!)
	done
	sleep "$secs"
	for p in "${loops[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${loops[@]}"; do wait "$p" 2>/dev/null || true; done
	loops=()
	sleep 1.1
	cpu2=$(metric process_cpu_seconds_total)
	req1=$(metric cgoscope_http_requests_total 'handler="/metrics",code="200"')
	ren1=$(metric cgoscope_http_renders_total)
	rss=$(metric process_resident_memory_bytes)
	awk -v ttl="$ttl" -v p="$procs" -v c="$clients" -v s="$secs" -v b="$bytes" \
		-v i0="$cpu0" -v i1="$cpu_idle" -v c1="$cpu1" -v c2="$cpu2" -v q0="$req0" -v q1="$req1" \
		-v r0="$ren0" -v r1="$ren1" -v rss="$rss" 'BEGIN {
		printf "render-cache-ttl %s ms, %d processes, /metrics %.0f KB: idle %.1f%% of a core; " \
			"%d greedy clients: %.1f%% of a core, %.0f scrapes/s served by %.1f renders/s; RSS %.1f MB\n",
			ttl, p, b / 1000, 100 * (i1 - i0) / s, c, 100 * (c2 - c1) / s, (q1 - q0) / s,
			(r1 - r0) / s, rss / 1e6 }'
	kill "$agent"
	wait "$agent" 2>/dev/null || true
	agent=""
done
