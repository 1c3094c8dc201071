#!/usr/bin/env bash
# deps.sh - installs the Debian packages that building and testing cgoscope need (idempotent).
set -euo pipefail
pkgs=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libjansson-dev libmicrohttpd-dev
      libcapstone-dev libcmocka-dev clang-format pkg-config prometheus golang-1.19-go tmux make gcc jq
      valgrind libclang-rt-14-dev python3 libprotobuf-c-dev protobuf-c-compiler
      libyaml-dev libcrypt-dev libgnutls28-dev python3-jsonschema)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root (sudo make deps)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
