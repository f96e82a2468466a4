#!/bin/sh
# 10-gz.sh: bk-gz against pigz and gzip on 256 MiB of CSV-like input:
# compression at -6 on two threads, the size of the result, decompression,
# and the peak memory of compression.
. "$(dirname "$0")/lib.sh"

in=$(csv_input 256)
gz=$DATA/input-256M.csv.bk.gz
[ -s "$gz" ] || bk-gz -6 -p2 <"$in" >"$gz" || exit 1

echo "## bk-gz ($(wc -c <"$in") bytes in, best of $RUNS runs)"
compare "compress: bk-gz -6 -p2 vs pigz -6 -p2" \
    "bk-gz -6 -p2 <'$in' >/dev/null" "pigz -6 -p2 <'$in' >/dev/null" 1.0
compare "compress: bk-gz -6 -p2 vs gzip -6" \
    "bk-gz -6 -p2 <'$in' >/dev/null" "gzip -6 <'$in' >/dev/null" 1.8
compare "compress: bk-gz -6 -p1 vs pigz -6 -p1 (info)" \
    "bk-gz -6 -p1 <'$in' >/dev/null" "pigz -6 -p1 <'$in' >/dev/null" 1.0

ours=$(bk-gz -6 -p2 <"$in" | wc -c)
theirs=$(pigz -6 -p2 <"$in" | wc -c)
awk -v o="$ours" -v p="$theirs" 'BEGIN { d = 100 * (o - p) / p
    printf "%-44s bk %d  pigz %d bytes  %+.4f%%  target <= +0.1%%  %s\n",
	"size: bk-gz -6 vs pigz -6", o, p, d, (d <= 0.1 ? "MET" : "MISSED") }'

compare "decompress: bk-gz -d vs gzip -d" \
    "bk-gz -d <'$gz' >/dev/null" "gzip -d <'$gz' >/dev/null" 1.2
compare "decompress: bk-gz -d vs pigz -d (info)" \
    "bk-gz -d <'$gz' >/dev/null" "pigz -d <'$gz' >/dev/null" 1.0
peak "memory: bk-gz -6 -p2" "bk-gz -6 -p2 <'$in' >/dev/null" 64
