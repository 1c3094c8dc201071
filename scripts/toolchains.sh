#!/usr/bin/env bash
# toolchains.sh - the Go toolchains the e2e build matrix uses; fetches and caches them.
#
# Usage: scripts/toolchains.sh [--fetch] [goX.Y.Z ...]
#
# Prints one line "goX.Y.Z /path/to/bin/go" on stdout per toolchain that can be used, and
# one line "SKIP goX.Y.Z: reason" on stderr per toolchain that cannot. Without --fetch nothing
# is downloaded: only the system toolchains and the ones already in the cache are listed
# (`make test OFFLINE=1`). With --fetch (`make test`) the missing ones are downloaded through
# the module proxy (GOTOOLCHAIN=goX.Y.Z, module golang.org/toolchain) into the module cache,
# $(go env GOMODCACHE), by default $HOME/go/pkg/mod; CI keeps that directory between runs.
#
# The default list is the newest patch release of every Go minor from 1.16 to 1.25 that the
# proxy serves, plus the machine's Go 1.26 ($GO) and Debian's Go 1.19 ($GO119). Go 1.16 is
# there on purpose: cgoscope must refuse it ("needs Go 1.17 or newer").
#
# Toolchains older than 1.18 do not know -buildvcs, which the user's go env file may put in
# GOFLAGS; run them with GOENV=off (scripts/build_matrix.sh does).
set -uo pipefail

GO=${GO:-/usr/local/go/bin/go}
GO119=${GO119:-/usr/lib/go-1.19/bin/go}
DEFAULT_VERSIONS="go1.16.15 go1.17.13 go1.18.10 go1.19 go1.20.14 go1.21.13 go1.22.12 go1.23.12 go1.24.13 go1.25.14 go1.26"

fetch=0
if [ "${1:-}" = --fetch ]; then
	fetch=1
	shift
fi
versions=${*:-$DEFAULT_VERSIONS}

if ! [ -x "$GO" ]; then
	echo "SKIP all: $GO (the Go that fetches the others) not found" >&2
	exit 0
fi
modcache=$(GOTOOLCHAIN=local "$GO" env GOMODCACHE)
arch=$(GOTOOLCHAIN=local "$GO" env GOHOSTOS)-$(GOTOOLCHAIN=local "$GO" env GOHOSTARCH)

# system VERSION GOBIN: a toolchain installed on the machine, listed under its real version.
system() {
	local v=$1 bin=$2 real
	if [ -x "$bin" ] && real=$(GOENV=off GOTOOLCHAIN=local "$bin" env GOVERSION 2>/dev/null); then
		case $real in
		"$v"*) echo "$real $bin" ;;
		*) echo "SKIP $v: $bin is $real" >&2 ;;
		esac
	else
		echo "SKIP $v: $bin not found (install it, e.g. make deps)" >&2
	fi
}

for v in $versions; do
	case $v in
	go1.26) system "$v" "$GO"; continue ;;
	go1.19) system "$v" "$GO119"; continue ;;
	esac
	bin=$modcache/golang.org/toolchain@v0.0.1-$v.$arch/bin/go
	if ! [ -x "$bin" ] && [ "$fetch" = 1 ]; then
		echo "  FETCH    $v" >&2
		# GOFLAGS=-mod=mod: a flag every version accepts, replacing whatever the go env file
		# sets (old toolchains reject -buildvcs and the download would look like a failure).
		log=$(GOFLAGS=-mod=mod GOTOOLCHAIN=$v "$GO" version 2>&1)
		[ -x "$bin" ] || {
			echo "SKIP $v: the module proxy did not give it: ${log//$'\n'/ / }" >&2
			continue
		}
	fi
	if ! [ -x "$bin" ]; then
		echo "SKIP $v: not in the toolchain cache $modcache (make test-matrix fetches it)" >&2
		continue
	fi
	if ! GOENV=off GOTOOLCHAIN=local "$bin" version >/dev/null 2>&1; then
		echo "SKIP $v: $bin does not run" >&2
		continue
	fi
	echo "$v $bin"
done
