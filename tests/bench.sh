#!/bin/sh
# bench.sh: make bench.  Runs every tests/bench/*.sh; each compares a bk
# tool with its peer program on the same input, in one run, and prints
# ratios against the targets.  Inputs are generated once into bench-data/.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
echo "# $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
status=0
for b in tests/bench/[0-9]*.sh; do
	[ -e "$b" ] || continue
	sh "$b" "$@" || status=1
done
exit $status
