#!/bin/sh
# 15-zstd.sh: bk-zstd against zstd on 256 MiB of CSV-like input, both
# reading a pipe-like standard input: compression at levels 1 and 3 on
# two threads (time, size), decompression of that output, the peak
# memory of each, and for scale pigz -6 -p2 (the gzip of the recipes).  Targets (issue 15): at least as fast as
# zstd -T2 at the same level and size; at most 64 MiB.  Pairs are timed
# in turn and the median of their ratios taken, for a shared machine.
. "$(dirname "$0")/lib.sh"

in=$(csv_input 256)
zs=$DATA/input-256M.csv.bk.zst
[ -s "$zs" ] || bk-zstd -3 -j 2 <"$in" >"$zs" || exit 1
# Warm the page cache so every run reads from memory.
cat "$in" "$zs" >/dev/null

echo "## bk-zstd ($(wc -c <"$in") bytes in, median of $RUNS pairs)"
for lvl in 1 3; do
	race "compress: bk-zstd -$lvl -j 2 vs zstd -T2 -$lvl" \
	    "bk-zstd -$lvl -j 2 <'$in' >/dev/null" \
	    "zstd -q -$lvl -T2 <'$in' >/dev/null" 1.0
	ours=$(bk-zstd -$lvl -j 2 <"$in" | wc -c)
	theirs=$(zstd -q -$lvl -T2 <"$in" | wc -c)
	awk -v l="size: bk-zstd -$lvl vs zstd -$lvl" -v o="$ours" -v p="$theirs" \
	    'BEGIN { d = 100 * (o - p) / p
	    printf "%-44s bk %d  zstd %d bytes  %+.4f%%  target <= 0%%  %s\n",
		l, o, p, d, (d <= 0 ? "MET" : "MISSED") }'
	peak "memory: bk-zstd -$lvl -j 2" "bk-zstd -$lvl -j 2 <'$in' >/dev/null" 64
done
race "decompress: bk-zstd -d vs zstd -d" \
    "bk-zstd -d <'$zs' >/dev/null" "zstd -q -d <'$zs' >/dev/null" 1.0
race "test: bk-zstd -t vs zstd -t" \
    "bk-zstd -t <'$zs'" "zstd -q -t <'$zs'" 1.0
peak "memory: bk-zstd -d" "bk-zstd -d <'$zs' >/dev/null" 64
race "compress: bk-zstd -1 -j 2 vs pigz -6 -p2 (info)" \
    "bk-zstd -1 -j 2 <'$in' >/dev/null" "pigz -6 -p2 <'$in' >/dev/null" 1.0
