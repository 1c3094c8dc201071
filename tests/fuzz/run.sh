#!/usr/bin/env bash
# run.sh - runs every libFuzzer harness of .output/fuzz for a while, after replaying its regressions.
#
# Usage: tests/fuzz/run.sh SECONDS [--short]
#   SECONDS  fuzzing time per harness (libFuzzer -max_total_time)
#   --short  start from the seeds only, in a throw-away corpus (what `make test` does);
#            without it the corpus in $OUTPUT/fuzz/corpus/HARNESS grows from run to run.
# Before fuzzing, each file in tests/fuzz/regress/HARNESS/ (inputs that once crashed) and
# the real stripped test binaries (seeds/real/HARNESS) are run once. The fuzzing itself
# starts from mkseeds.py's small synthetic binaries (fast to mutate); FUZZ_REAL=1 adds the
# real binaries (megabytes) to the corpus. Crash inputs go to $OUTPUT/fuzz/crashes/HARNESS/;
# the exit status is 1 if any replay or fuzzing run failed.
set -uo pipefail

cd "$(dirname "$0")/../.."
OUTPUT=${OUTPUT:-.output}
secs=${1:?usage: run.sh SECONDS [--short]}
short=${2:-}
FZ=$OUTPUT/fuzz

# Per harness: longest input, in bytes.
max_len() {
	case $1 in
	fuzz_gobin | fuzz_gosym | fuzz_probes) [ "${FUZZ_REAL:-0}" = 1 ] && echo 4194304 || echo 65536 ;;
	fuzz_x86) echo 4096 ;;
	fuzz_census) echo 8192 ;;
	*) echo 512 ;;
	esac
}

rm -rf "$FZ/seeds"
python3 tests/fuzz/mkseeds.py "$FZ/seeds" "$OUTPUT/testbin" || exit 1

failed=0
shopt -s nullglob
bins=("$FZ"/fuzz_*)
[ ${#bins[@]} -gt 0 ] || { echo "run.sh: no harnesses in $FZ (make fuzz-build)" >&2; exit 1; }
printf '%-14s %10s %10s %8s %8s  %s\n' HARNESS RUNS EXEC/S CORPUS RSS_MB RESULT
for bin in "${bins[@]}"; do
	[ -x "$bin" ] || continue
	h=$(basename "$bin")
	log=$FZ/$h.log
	mkdir -p "$FZ/crashes/$h"
	: >"$log"
	result=ok
	replay=(tests/fuzz/regress/"$h"/* "$FZ/seeds/real/$h"/*)
	if [ ${#replay[@]} -gt 0 ] && ! "$bin" "${replay[@]}" >>"$log" 2>&1; then
		result="REPLAY FAILED (see $log)"
	fi
	dirs=("$FZ/seeds/$h")
	[ "${FUZZ_REAL:-0}" = 1 ] && [ -d "$FZ/seeds/real/$h" ] && dirs+=("$FZ/seeds/real/$h")
	if [ "$short" = --short ]; then
		corpus=$(mktemp -d)
	else
		corpus=$FZ/corpus/$h
		mkdir -p "$corpus"
	fi
	if ! "$bin" -max_total_time="$secs" -max_len="$(max_len "$h")" -timeout=30 \
		-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$FZ/crashes/$h/" \
		"$corpus" "${dirs[@]}" >>"$log" 2>&1; then
		result="CRASH (see $log)"
	fi
	[ "$short" = --short ] && rm -rf "$corpus"
	[ "$result" = ok ] || failed=1
	printf '%-14s %10s %10s %8s %8s  %s\n' "$h" \
		"$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -n 1)" \
		"$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -n 1)" \
		"$(awk '/stat::new_units_added/ {print $2}' "$log" | tail -n 1)" \
		"$(awk '/stat::peak_rss_mb/ {print $2}' "$log" | tail -n 1)" "$result"
	if [ "$result" != ok ]; then
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)|runtime error' "$log" | head -n 10
	fi
done
exit $failed
