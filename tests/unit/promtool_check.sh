#!/usr/bin/env bash
# promtool_check.sh - lints the Prometheus text of the sample snapshot with `promtool check metrics`.
# Usage: tests/unit/promtool_check.sh [path/to/prom_dump]   (build it with `make unit`)
# Exit 0 clean, 1 lint problems, 77 (skip) when prom_dump or promtool is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
dump=${1:-${OUTPUT:-.output}/unit/prom_dump}
promtool=${PROMTOOL:-promtool}

if [ ! -x "$dump" ]; then
	echo "promtool_check: $dump not built (run: make unit)"
	exit 77
fi
if ! command -v "$promtool" >/dev/null; then
	echo "promtool_check: $promtool not found (Debian package prometheus)"
	exit 77
fi
# promtool prints lint problems and exits non-zero on any of them.
out=$("$dump" | "$promtool" check metrics 2>&1) || {
	echo "promtool_check: FAIL" >&2
	echo "$out" >&2
	exit 1
}
if [ -n "$out" ]; then
	echo "promtool_check: FAIL: $out" >&2
	exit 1
fi
echo "promtool_check: OK"
