#!/usr/bin/env bash
# build_realworld.sh - builds the workloads that use real cgo modules from the module proxy.
#
# Usage: scripts/build_realworld.sh [OUTDIR]      (default OUTDIR: .output/go)
#
# tests/realworld/sqlite (github.com/mattn/go-sqlite3, pinned in its go.mod and go.sum) is
# built as OUTDIR/sqlite and, without .symtab, OUTDIR/sqlite-stripped. The module is fetched
# through GOPROXY into the module cache ($(go env GOMODCACHE)) on the first build; later
# builds work offline. When a build fails (no proxy, no C compiler), OUTDIR/NAME.skip holds
# the reason and tests/e2e/sqlite_test.go skips, printing it. Exits 0 either way.
set -uo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-/usr/local/go/bin/go}
OUT=${1:-.output/go}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# build NAME [go build flags...]
build() {
	local name=$1 log
	shift
	rm -f "$OUT/$name.skip"
	if [ -x "$OUT/$name" ] && [ -z "$(find tests/realworld/sqlite tests/internal scripts/build_realworld.sh -newer "$OUT/$name" -print -quit)" ]; then
		return
	fi
	printf '  %-8s %s\n' GO "$OUT/$name"
	if ! log=$(cd tests/realworld/sqlite && GOTOOLCHAIN=local CGO_ENABLED=1 "$GO" build "$@" -o "$OUT/$name" . 2>&1); then
		rm -f "$OUT/$name"
		printf 'building tests/realworld/sqlite failed (github.com/mattn/go-sqlite3 comes from the module proxy, GOPROXY=%s): %s\n' \
			"$(GOTOOLCHAIN=local "$GO" env GOPROXY)" "${log//$'\n'/ / }" >"$OUT/$name.skip"
		echo "  SKIP     $name: $(cat "$OUT/$name.skip")" >&2
	fi
}

build sqlite
build sqlite-stripped -ldflags='-s -w'
exit 0
