#!/usr/bin/env bash
# build_matrix.sh - builds cgoload once per cell of the e2e support matrix (Go version x build mode).
#
# Usage: scripts/build_matrix.sh [--fetch] [OUTDIR]      (default OUTDIR: .output/go/matrix)
#
# For each cell NAME it writes OUTDIR/NAME/cgoload, or, when the cell cannot be built (no
# toolchain, build failure), OUTDIR/NAME.skip holding the reason; tests/e2e/matrix_test.go
# runs every cell and skips, printing that reason, the ones without a binary. Cells:
#
#   go1.N, go1.N-stripped   for every toolchain scripts/toolchains.sh lists (1.16 to 1.26):
#                           default build, and -ldflags='-s -w' (no .symtab: names and the
#                           probe sites come from .gopclntab, whose layout changed in 1.18
#                           and 1.20). go1.16 only unstripped: cgoscope must refuse it.
#   go1.26-trimpath         -trimpath
#   go1.26-pie              -buildmode=pie
#   go1.26-pie-stripped     -buildmode=pie -ldflags='-s -w'
#   go1.26-static           external linking, -extldflags -static (glibc, pthreads)
#   go1.26-static-stripped  the same without .symtab
#   go1.26-race             -race
#   go1.19-pie-stripped     Debian's Go 1.19, PIE without .symtab
#
# Without --fetch, only toolchains already cached are used (no network: `make test OFFLINE=1`);
# with --fetch the missing ones are downloaded first (`make test`, `make test-matrix`). A binary newer than its
# sources and this script is not rebuilt. Exits 0 even when a cell failed to build: its
# .skip file starts with "build failed:" and the e2e test fails that cell.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
fetch=
if [ "${1:-}" = --fetch ]; then
	fetch=--fetch
	shift
fi
OUT=${1:-.output/go/matrix}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SRCS=(tests/go/cgoload tests/internal tests/go.mod scripts/build_matrix.sh)

declare -A gobin=()
while read -r v bin; do
	[[ $v =~ ^(go1\.[0-9]+) ]] || continue
	gobin[${BASH_REMATCH[1]}]=$bin
done < <(scripts/toolchains.sh $fetch 2> >(sed 's/^/  /' >&2))

# build CELL MINOR [go build flags...]: builds OUT/CELL/cgoload with Go MINOR.
build() {
	local cell=$1 minor=$2 go log env
	shift 2
	go=${gobin[$minor]:-}
	rm -f "$OUT/$cell.skip"
	if [ -z "$go" ]; then
		rm -rf "${OUT:?}/$cell"
		echo "no $minor toolchain (scripts/toolchains.sh lists none; make test-matrix fetches it)" >"$OUT/$cell.skip"
		echo "  SKIP     $cell: $(cat "$OUT/$cell.skip")" >&2
		return
	fi
	if [ -x "$OUT/$cell/cgoload" ] && [ -z "$(find "${SRCS[@]}" "$go" -newer "$OUT/$cell/cgoload" -print -quit)" ]; then
		return
	fi
	mkdir -p "$OUT/$cell"
	printf '  %-8s %s\n' GO "$OUT/$cell/cgoload ($minor $*)"
	# GOENV=off: the user's go env file may set GOFLAGS=-buildvcs=false, unknown before 1.18.
	env=(GOENV=off GOTOOLCHAIN=local CGO_ENABLED=1 GOFLAGS=)
	case $minor in go1.16 | go1.17) ;; *) env+=(GOFLAGS=-buildvcs=false) ;; esac
	if ! log=$(cd tests && env "${env[@]}" "$go" build "$@" -o "$OUT/$cell/cgoload" ./go/cgoload 2>&1); then
		rm -rf "${OUT:?}/$cell"
		printf 'build failed: %s build %s: %s\n' "$go" "$*" "${log//$'\n'/ / }" >"$OUT/$cell.skip"
		echo "  FAIL     $cell: $(cat "$OUT/$cell.skip")" >&2
	fi
}

build go1.16 go1.16
for n in 17 18 19 20 21 22 23 24 25 26; do
	build "go1.$n" "go1.$n"
	build "go1.$n-stripped" "go1.$n" -ldflags='-s -w'
done
build go1.26-trimpath go1.26 -trimpath
build go1.26-pie go1.26 -buildmode=pie
build go1.26-pie-stripped go1.26 -buildmode=pie -ldflags='-s -w'
build go1.26-static go1.26 -ldflags='-linkmode external -extldflags "-static"'
build go1.26-static-stripped go1.26 -ldflags='-s -w -linkmode external -extldflags "-static"'
build go1.26-race go1.26 -race
build go1.19-pie-stripped go1.19 -buildmode=pie -ldflags='-s -w'
exit 0
