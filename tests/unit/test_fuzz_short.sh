#!/usr/bin/env bash
# test_fuzz_short.sh - a short libFuzzer run of every harness, after replaying past crashes.
#
# Builds the harnesses (make fuzz-build) if needed, replays tests/fuzz/regress/*/ and the real
# test binaries, then fuzzes each harness for FUZZ_SHORT_SECONDS (default 2; four harnesses
# fit in about 10 s) from the seeds. Any crash, leak or sanitizer report fails.
# Skips (77) when clang cannot build libFuzzer binaries.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTPUT=${OUTPUT:-.output}
secs=${FUZZ_SHORT_SECONDS:-2}

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$probe/t.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/t.c" -o "$probe/t" 2>"$probe/err"; then
	cat "$probe/err"
	echo "clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev: make deps)"
	exit 77
fi
command -v python3 >/dev/null || { echo "python3 missing (mkseeds.py writes the seeds)"; exit 77; }
make --no-print-directory -s OUTPUT="$OUTPUT" fuzz-build || exit 1
OUTPUT=$OUTPUT ./tests/fuzz/run.sh "$secs" --short
