#!/bin/sh
# bench.sh: make bench.  Runs every tests/bench/NN-NAME.sh, or only the
# NAMEs given (tests/bench.sh s3 gz, or make bench BENCH='s3 gz'): each
# compares a bk tool with its peer program on the same input, in one run,
# and prints ratios against the targets.  Inputs are generated once into
# bench-data/.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# name FILE: the NAME of tests/bench/NN-NAME.sh.
name() {
	_n=${1##*/}
	_n=${_n#*-}
	echo "${_n%.sh}"
}
for want in "$@"; do
	for b in tests/bench/[0-9]*.sh; do
		[ "$(name "$b")" = "$want" ] && continue 2
	done
	echo "bench.sh: no benchmark \"$want\" (one of:$(for b in \
	    tests/bench/[0-9]*.sh; do printf ' %s' "$(name "$b")"; done))" >&2
	exit 64
done
echo "# $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
status=0
for b in tests/bench/[0-9]*.sh; do
	[ -e "$b" ] || continue
	if [ $# -gt 0 ]; then
		case " $* " in *" $(name "$b") "*) ;; *) continue ;; esac
	fi
	sh "$b" || status=1
done
exit $status
