# bench_lib.sh - what the benchmark scripts share: one timed cgoload run under a cgoscope mode, an agent started and waited for. Sourced; needs $out (and $workload for one_run).

# mode_args MODE: the cgoscope options of a mode (none: untraced)
mode_args() {
	case $1 in
	naive) echo "--entry-ret --overhead-budget=0 --no-calibrate" ;; # entry + every RET, every call
	sites) echo "--overhead-budget=0 --no-calibrate" ;;             # our call sites, every call
	nocallers) echo "--overhead-budget=0 --no-calibrate --no-callers" ;; # ... without Go callers
	default) echo "" ;;                                               # call sites + 1% budget
	census) echo "--no-probes --census-hz 50" ;;                      # no probes: the census alone
	esac
}

# one_run MODE CALLS ARGS...: prints ns per call of one cgoload run
one_run() {
	local mode=$1 calls=$2; shift 2
	local log pid tracer="" ns
	log=$(mktemp)
	"$workload" "$@" -exit-after >"$log" 2>&1 &
	pid=$!
	until grep -q READY "$log"; do sleep 0.05; done
	if [ "$mode" != none ]; then
		: >"$log.err"
		# shellcheck disable=SC2046
		"$out/cgoscope" profile -p "$pid" $(mode_args "$mode") >/dev/null 2>"$log.err" &
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

# stats VALUES...: "min median max" of the numbers
stats() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[1], v[int((NR+1)/2)], v[NR]}'
}

# agent_start DIR ARGS...: starts `cgoscope agent` on a loopback port the kernel picks, with ARGS,
# its output in DIR/agent.{out,err}; sets $agent (its PID) and $url (its /metrics), or exits 1.
agent_start() {
	local dir=$1 port=""
	shift
	"$out/cgoscope" agent --web.listen-address=127.0.0.1:0 "$@" >"$dir/agent.out" 2>"$dir/agent.err" &
	agent=$!
	for _ in $(seq 300); do
		port=$(grep -o '(port [0-9]*)' "$dir/agent.err" 2>/dev/null | grep -o '[0-9]*' || true)
		[ -n "$port" ] && break
		kill -0 "$agent" 2>/dev/null || { cat "$dir/agent.err" >&2; exit 1; }
		sleep 0.1
	done
	[ -n "$port" ] || { echo "the agent did not start" >&2; cat "$dir/agent.err" >&2; exit 1; }
	url=http://127.0.0.1:$port/metrics
}

# agent_wait_traced N: waits (2 min at most) until the agent at $url traces N processes, or exits 1.
agent_wait_traced() {
	local traced=0
	for _ in $(seq 1200); do
		traced=$(curl -sf "$url" | awk '$1 == "cgoscope_processes_traced" {print $2}' || true)
		[ "${traced:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "only ${traced:-0} of $1 processes traced" >&2
	exit 1
}
