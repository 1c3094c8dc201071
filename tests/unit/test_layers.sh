#!/usr/bin/env bash
# test_layers.sh - the agent's rooms include only downward: no header of a room above, no circle (issue 15).
#
# Rooms and what each may include besides itself (agent/*/README.md says why). A file's
# `#include "x.h"` must name a header of its own room or of an allowed one; headers of bpf/
# and generated ones (.skel.h, .pb-c.h) are allowed where the room says so.
set -uo pipefail
cd "$(dirname "$0")/../.."
declare -A may=(
	[gobin]=""
	[governor]=""
	[model]=""
	[live]="gobin model"
	[session]="gobin governor model live skel"
	[collect]="gobin governor model live session skel"
	[output]="model gobin pb"
	[cmd]="gobin governor model live session collect output"
)
declare -A room_of
for f in agent/*/*.h; do
	r=${f#agent/}; r=${r%%/*}
	room_of[$(basename "$f")]=$r
done
bad=0 n=0
for f in agent/*/*.c agent/*/*.h; do
	r=${f#agent/}; r=${r%%/*}
	[ -n "${may[$r]+x}" ] || { echo "test_layers: $f: room $r is not in this test's list"; bad=1; continue; }
	while read -r h; do
		n=$((n + 1))
		case $h in
		cgoscope.h) continue ;; # bpf/: the BPF side's shared types, for every room
		*.skel.h) want=skel ;;
		*.pb-c.h) want=pb ;;
		*) want=${room_of[$h]:-} ;;
		esac
		if [ -z "$want" ]; then
			echo "test_layers: $f includes \"$h\", which no room holds"; bad=1
		elif [ "$want" != "$r" ] && [[ " ${may[$r]} " != *" $want "* ]]; then
			echo "test_layers: $f ($r) includes \"$h\" ($want): an arrow up or sideways"; bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
[ "$n" -gt 50 ] || { echo "test_layers: only $n includes seen: the test would prove nothing"; exit 1; }
[ "$bad" -eq 0 ] && echo "test_layers: $n includes, every one downward"
exit "$bad"
