#!/bin/sh
# 10-gz.sh: bk-gz against pigz and gzip on 256 MiB of CSV-like input:
# compression at -6 on two threads, the size of the result, decompression,
# and the peak memory of compression.
. "$(dirname "$0")/lib.sh"

in=$(csv_input 256)
gz=$DATA/input-256M.csv.bk.gz
[ -s "$gz" ] || bk-gz -6 -j 2 <"$in" >"$gz" || exit 1

# alternate LABEL OURS PEER: runs the two commands in turn RUNS times, so
# that a busy machine slows both alike, and prints the best wall time and
# the best processor time (user + system) of each.  For the close race
# with pigz on a shared machine; the targets are judged by compare.
alternate() {
	_i=0 _bw= _bc= _pw= _pc=
	while [ $_i -lt "$RUNS" ]; do
		for _who in b p; do
			if [ $_who = b ]; then _cmd=$2; else _cmd=$3; fi
			/usr/bin/time -f '%e %U %S' -o "$DATA/.time" sh -c "$_cmd" ||
			    return 0
			read -r _w _u _s <"$DATA/.time"
			_c=$(awk -v u="$_u" -v s="$_s" 'BEGIN { print u + s }')
			eval "_ow=\$_${_who}w _oc=\$_${_who}c"
			if [ -z "$_ow" ] || awk "BEGIN { exit !($_w < $_ow) }"; then
				eval "_${_who}w=$_w"; fi
			if [ -z "$_oc" ] || awk "BEGIN { exit !($_c < $_oc) }"; then
				eval "_${_who}c=$_c"; fi
		done
		_i=$((_i + 1))
	done
	awk -v l="$1" -v bw="$_bw" -v pw="$_pw" -v bc="$_bc" -v pc="$_pc" 'BEGIN {
	    printf "%-44s bk %6.2fs  peer %6.2fs  ratio %5.2fx  cpu bk %.2fs peer %.2fs (%.2fx)\n",
		l, bw, pw, pw / bw, bc, pc, pc / bc }'
}

echo "## bk-gz ($(wc -c <"$in") bytes in, best of $RUNS runs)"
compare "compress: bk-gz -6 -j 2 vs pigz -6 -p2" \
    "bk-gz -6 -j 2 <'$in' >/dev/null" "pigz -6 -p2 <'$in' >/dev/null" 1.0
compare "compress: bk-gz -6 -j 2 vs gzip -6" \
    "bk-gz -6 -j 2 <'$in' >/dev/null" "gzip -6 <'$in' >/dev/null" 1.8
alternate "compress, alternating: bk-gz -6 -j 2 vs pigz" \
    "bk-gz -6 -j 2 <'$in' >/dev/null" "pigz -6 -p2 <'$in' >/dev/null"
alternate "compress, alternating: -p1 vs pigz -p1 (info)" \
    "bk-gz -6 -j 1 <'$in' >/dev/null" "pigz -6 -p1 <'$in' >/dev/null"

ours=$(bk-gz -6 -j 2 <"$in" | wc -c)
theirs=$(pigz -6 -p2 <"$in" | wc -c)
awk -v o="$ours" -v p="$theirs" 'BEGIN { d = 100 * (o - p) / p
    printf "%-44s bk %d  pigz %d bytes  %+.4f%%  target <= +0.1%%  %s\n",
	"size: bk-gz -6 vs pigz -6", o, p, d, (d <= 0.1 ? "MET" : "MISSED") }'

compare "decompress: bk-gz -d vs gzip -d" \
    "bk-gz -d <'$gz' >/dev/null" "gzip -d <'$gz' >/dev/null" 1.2
compare "decompress: bk-gz -d vs pigz -d (info)" \
    "bk-gz -d <'$gz' >/dev/null" "pigz -d <'$gz' >/dev/null" 1.0
peak "memory: bk-gz -6 -j 2" "bk-gz -6 -j 2 <'$in' >/dev/null" 64
