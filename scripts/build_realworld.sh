#!/usr/bin/env bash
# build_realworld.sh - builds the workloads that use real cgo modules from the module proxy.
#
# Usage: scripts/build_realworld.sh [OUTDIR]      (default OUTDIR: .output/go)
#
# Each workload under tests/realworld has its own go.mod and go.sum pinning its module:
#   sqlite  github.com/mattn/go-sqlite3 (SQLite compiled from its amalgamation)
#   kafka   github.com/confluentinc/confluent-kafka-go/v2 (a bundled static librdkafka)
# and is built as OUTDIR/NAME and, without .symtab, OUTDIR/NAME-stripped. The modules are
# fetched through GOPROXY into the module cache ($(go env GOMODCACHE)) on the first build;
# later builds work offline. When a build fails (no proxy, no C compiler, no bundled library
# for this platform), OUTDIR/NAME.skip holds the reason and the test of the workload
# (tests/e2e/NAME_test.go) skips, printing it. Exits 0 either way.
set -uo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-/usr/local/go/bin/go}
OUT=${1:-.output/go}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# build DIR NAME [go build flags...]: builds tests/realworld/DIR as OUTDIR/NAME.
build() {
	local dir=tests/realworld/$1 name=$2 log mods
	shift 2
	rm -f "$OUT/$name.skip"
	if [ -x "$OUT/$name" ] && [ -z "$(find "$dir" tests/internal scripts/build_realworld.sh -newer "$OUT/$name" -print -quit)" ]; then
		return
	fi
	printf '  %-8s %s\n' GO "$OUT/$name"
	if ! log=$(cd "$dir" && GOTOOLCHAIN=local CGO_ENABLED=1 "$GO" build "$@" -o "$OUT/$name" . 2>&1); then
		rm -f "$OUT/$name"
		# The modules it needs: go.mod's requirements but the repository's own.
		mods=$(sed -n 's/^\t\([^ ]*\) \(v[^ ]*\).*/\1 \2/p' "$dir/go.mod" | grep -v '^cgoscope\.test ' | paste -sd, -)
		printf 'building %s failed (%s comes from the module proxy, GOPROXY=%s): %s\n' \
			"$dir" "$mods" "$(GOTOOLCHAIN=local "$GO" env GOPROXY)" "${log//$'\n'/ / }" >"$OUT/$name.skip"
		echo "  SKIP     $name: $(cat "$OUT/$name.skip")" >&2
	fi
}

for w in sqlite kafka; do
	build "$w" "$w"
	build "$w" "$w-stripped" -ldflags='-s -w'
done
exit 0
