#!/bin/sh
# make_testbins.sh - the Go binaries test_gobin and test_cnames read, with the toolchains' answers.
#
# Usage: tests/unit/make_testbins.sh [DIR]   (default $CGOSCOPE_TESTBIN_DIR or .output/testbin)
#
# For each binary NAME it writes NAME (the ELF), and for Go binaries NAME.version
# (`go env GOVERSION`) and, when unstripped, NAME.nm (`go tool nm`) and
# NAME.offsets (runtime struct offsets from DWARF, by the dwarfoffs tool it
# builds first). Stripped builds use the same flags as their unstripped twin
# plus -ldflags='-s -w', so text addresses match and the twin's NAME.nm and
# NAME.offsets are the ground truth for both.
#
# The inlframes builds goXY-inl* (test_gosym) come with NAME.frames instead:
# what the program itself printed of its stacks through runtime.CallersFrames.
# They are built by Go 1.26 and 1.19, and by every other toolchain
# scripts/toolchains.sh finds in the module cache (none is fetched).
set -eu

OUT=${1:-${CGOSCOPE_TESTBIN_DIR:-.output/testbin}}
GO=${GO:-/usr/local/go/bin/go}
GO119=${GO119:-/usr/lib/go-1.19/bin/go}
SRC=$(cd "$(dirname "$0")/testdata" && pwd)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT/.stamp" "$OUT"/go1*-inl*
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

# build GO NAME PROGRAM [go build flags...]
build() {
	go=$1 name=$2 prog=$3
	shift 3
	echo "  GO       $OUT/$name"
	(cd "$SRC/$prog" && "$go" build -trimpath "$@" -o "$OUT/$name" .)
	"$go" env GOVERSION >"$OUT/$name.version"
	case $name in
	*-stripped) ;;
	*)
		"$go" tool nm "$OUT/$name" >"$OUT/$name.nm"
		"$OUT/dwarfoffs" "$OUT/$name" >"$OUT/$name.offsets"
		;;
	esac
}

# inl GO NAME [go build flags...]: builds inlframes and records what it prints.
inl() {
	go=$1 name=$2
	shift 2
	echo "  GO       $OUT/$name"
	rm -f "$OUT/$name.frames"
	# Toolchains before 1.18 reject the -buildvcs a go env file may hold: GOENV=off.
	(cd "$SRC/inlframes" && GOENV=off GOFLAGS= CGO_ENABLED=0 "$go" build -trimpath "$@" \
		-o "$OUT/$name" .)
	"$OUT/$name" >"$OUT/$name.frames.tmp"
	mv "$OUT/$name.frames.tmp" "$OUT/$name.frames"
}

echo "  GO       $OUT/dwarfoffs"
(cd "$SRC/dwarfoffs" && "$GO" build -trimpath -o "$OUT/dwarfoffs" .)

CGO_ENABLED=1 build "$GO" go126-cgo cgohello
CGO_ENABLED=1 build "$GO" go126-cgo-stripped cgohello -ldflags='-s -w'
CGO_ENABLED=1 build "$GO" go126-cgo-pie cgohello -buildmode=pie
CGO_ENABLED=1 build "$GO" go126-cgo-pie-stripped cgohello -buildmode=pie -ldflags='-s -w'
CGO_ENABLED=0 build "$GO" go126-nocgo nocgo
# stdcgo: cgo from the standard library only, which Go links internally by default
# (host objects leave section symbols such as net(.text) in .symtab); then external linking.
CGO_ENABLED=1 build "$GO" go126-std stdcgo -tags netcgo
CGO_ENABLED=1 build "$GO" go126-std-stripped stdcgo -tags netcgo -ldflags='-s -w'
CGO_ENABLED=1 build "$GO" go126-std-ext stdcgo -tags netcgo -ldflags=-linkmode=external
CGO_ENABLED=1 build "$GO" go126-std-ext-stripped stdcgo -tags netcgo -ldflags='-linkmode=external -s -w'
CGO_ENABLED=1 build "$GO" go126-std-pie stdcgo -tags netcgo -buildmode=pie
CGO_ENABLED=1 build "$GO" go126-std-pie-stripped stdcgo -tags netcgo -buildmode=pie -ldflags='-s -w'

inl "$GO" go126-inl
inl "$GO" go126-inl-stripped -ldflags='-s -w'
inl "$GO" go126-inl-pie -buildmode=pie
inl "$GO" go126-inl-pie-stripped -buildmode=pie -ldflags='-s -w'

rm -f "$OUT"/go119-*
if [ -x "$GO119" ]; then
	CGO_ENABLED=1 build "$GO119" go119-cgo cgohello
	CGO_ENABLED=1 build "$GO119" go119-cgo-stripped cgohello -ldflags='-s -w'
	CGO_ENABLED=1 build "$GO119" go119-std stdcgo -tags netcgo
	CGO_ENABLED=1 build "$GO119" go119-std-stripped stdcgo -tags netcgo -ldflags='-s -w'
	inl "$GO119" go119-inl
	inl "$GO119" go119-inl-stripped -ldflags='-s -w'
	inl "$GO119" go119-inl-pie-stripped -buildmode=pie -ldflags='-s -w'
else
	echo "********************************************************************" >&2
	echo "SKIP: $GO119 not found; test_gobin and test_cnames will skip the Go 1.19 binaries." >&2
	echo "********************************************************************" >&2
fi

# inlframes by the other cached toolchains (1.16-1.25), PIE too where the table
# holds relocated pointers (before 1.18).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GOFLAGS= GO=$GO GO119=$GO119 "$ROOT/scripts/toolchains.sh" 2>/dev/null | while read -r v bin; do
	case $v in
	go1.16.* | go1.17.*)
		n=go1${v#go1.}
		n=${n%%.*}
		inl "$bin" "$n-inl" </dev/null
		inl "$bin" "$n-inl-pie" -buildmode=pie </dev/null
		;;
	go1.18.* | go1.2[0-5].*)
		n=go1${v#go1.}
		inl "$bin" "${n%%.*}-inl" </dev/null
		;;
	esac
done

cp /bin/true "$OUT/notgo"
touch "$OUT/.stamp"
