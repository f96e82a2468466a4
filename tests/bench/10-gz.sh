#!/bin/sh
# 10-gz.sh: bk-gz against pigz, libdeflate-gzip and gzip on 256 MiB of
# CSV-like input: compression at -6 on two threads, the size of the
# result, decompression of bk-gz's own output and of pigz's, the peak
# memory of each; and what bk-gz's 1 MiB members cost in size against
# other block sizes (bk-gz(1), FORMAT).
. "$(dirname "$0")/lib.sh"

in=$(csv_input 256)
gz=$DATA/input-256M.csv.bk.gz
pgz=$DATA/input-256M.csv.pigz.gz
# Made afresh: the format of bk-gz's output changes with its version.
bk-gz -6 -j 2 <"$in" >"$gz" || exit 1
[ -s "$pgz" ] || pigz -6 -p2 <"$in" >"$pgz" || exit 1
have_ldg=$(command -v libdeflate-gzip >/dev/null 2>&1 && echo 1)

# cpu LABEL OURS PEER: runs the two commands in turn RUNS times and prints
# the median processor time (user + system) of each and their ratio: the
# work each needs, which the load of a shared machine does not change.
# Wall-time ratios on two processors come near it when the machine is idle.
cpu() {
	_i=0 _co= _cp=
	while [ $_i -lt "$RUNS" ]; do
		for _who in o p; do
			if [ $_who = o ]; then _cmd=$2; else _cmd=$3; fi
			/usr/bin/time -f '%U %S' -o "$DATA/.time" sh -c "$_cmd" ||
			    return 0
			read -r _u _s <"$DATA/.time"
			_c=$(awk -v u="$_u" -v s="$_s" 'BEGIN { print u + s }')
			if [ $_who = o ]; then _co="$_co $_c"; else _cp="$_cp $_c"; fi
		done
		_i=$((_i + 1))
	done
	awk -v l="$1" -v o="$(median $_co)" -v p="$(median $_cp)" 'BEGIN {
	    printf "%-44s cpu bk %6.2fs  peer %6.2fs  ratio %5.2fx  (info: the bound on two idle processors)\n",
		l, o, p, p / o }'
}

echo "## bk-gz ($(wc -c <"$in") bytes in, median of $RUNS pairs)"
# race: on a shared machine, the pair by pair ratio is the figure to
# trust (both of a pair see the same load).
race "compress: bk-gz -6 -j 2 vs pigz -6 -p2" \
    "bk-gz -6 -j 2 <'$in' >/dev/null" "pigz -6 -p2 <'$in' >/dev/null" 1.8
cpu "compress: bk-gz -6 -j 2 vs pigz -6 -p2" \
    "bk-gz -6 -j 2 <'$in' >/dev/null" "pigz -6 -p2 <'$in' >/dev/null"
race "compress: bk-gz -6 -j 1 vs pigz -6 -p1 (info)" \
    "bk-gz -6 -j 1 <'$in' >/dev/null" "pigz -6 -p1 <'$in' >/dev/null" 0
[ -n "$have_ldg" ] &&
    race "compress: bk-gz -6 -j 2 vs libdeflate-gzip -6 (info)" \
    "bk-gz -6 -j 2 <'$in' >/dev/null" "libdeflate-gzip -6 <'$in' >/dev/null" 0
race "compress: bk-gz -6 -j 2 vs gzip -6" \
    "bk-gz -6 -j 2 <'$in' >/dev/null" "gzip -6 <'$in' >/dev/null" 1.8

ours=$(wc -c <"$gz")
theirs=$(wc -c <"$pgz")
awk -v o="$ours" -v p="$theirs" 'BEGIN { d = 100 * (o - p) / p
    printf "%-44s bk %d  pigz %d bytes  %+.2f%%  target <= 0%%  %s\n",
	"size: bk-gz -6 vs pigz -6", o, p, d, (d <= 0 ? "MET" : "MISSED") }'
if [ -n "$have_ldg" ]; then
	ldg=$(libdeflate-gzip -6 <"$in" | wc -c)
	awk -v o="$ours" -v p="$ldg" 'BEGIN {
	    printf "%-44s bk %d  libdeflate %d bytes  %+.2f%%  (info: the cost of 1 MiB members)\n",
		"size: bk-gz -6 vs libdeflate-gzip -6", o, p, 100 * (o - p) / p }'
fi

race "decompress own: bk-gz -d vs pigz -d" \
    "bk-gz -d <'$gz' >/dev/null" "pigz -d <'$gz' >/dev/null" 1.5
race "decompress own: bk-gz -d vs gzip -d" \
    "bk-gz -d <'$gz' >/dev/null" "gzip -d <'$gz' >/dev/null" 1.2
race "decompress pigz's: bk-gz -d vs pigz -d (info)" \
    "bk-gz -d <'$pgz' >/dev/null" "pigz -d <'$pgz' >/dev/null" 0
peak "memory: bk-gz -6 -j 2" "bk-gz -6 -j 2 <'$in' >/dev/null" 64
peak "memory: bk-gz -d" "bk-gz -d <'$gz' >/dev/null" 64

# The block size: libdeflate -6 on the same input cut into blocks, each
# compressed on its own; size against the whole file in one piece.
blocks=$DATA/gz-blocks
if [ -n "$have_ldg" ] && cc -O2 -o "$blocks" "$TOP/tests/bench/gz-blocks.c" \
    -ldeflate 2>/dev/null; then
	"$blocks" 6 65536 131072 262144 524288 1048576 2097152 4194304 \
	    <"$in" | awk -v w="$ldg" '{
	    printf "%-44s %8d bytes  %+.2f%% vs whole  cpu %.2fs%s\n",
		sprintf("size: -6 in blocks of %d KiB", $1 / 1024), $2,
		100 * ($2 - w) / w, $3, ($1 == 1048576 ? "  (bk-gz)" : "") }'
fi
