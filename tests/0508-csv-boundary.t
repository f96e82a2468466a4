#!/bin/sh
# The CSV reader at its chunk boundaries: data that ends exactly where a
# chunk of the reader (256 KiB) or the header's first read (4 KiB) ends
# once made it loop for ever.  Each run is bounded by timeout(1), so a
# regression fails here instead of hanging the suite.
. "$(dirname "$0")/lib.sh"
need timeout gzip

# count NAME WANT FILE ARGS...: bk-csv --count ends in time and counts WANT.
count() {
	_name=$1 _want=$2 _f=$3; shift 3
	run timeout 20 bk-csv --count "$@" "$_f"
	is "$_name: exit 0" "$rc" 0
	is "$_name: $_want records" "$(cat err)" "$_want"
}

# 131072 lines of "1\n" after the header: exactly one 256 KiB chunk.
{ echo a; yes 1 | head -n 131072; } >one.csv
for p in 1 2 4; do
	count "one chunk, -j $p" 131072 one.csv -j $p
done
run sh -c '{ echo a; yes 1 | head -n 131072; } | timeout 20 bk-csv -t'
is "the issue's pipeline returns, exit 0" "$rc" 0

# 24576 fixed 32-byte rows: exactly three chunks.
awk 'BEGIN { print "id,valor"; for (i = 0; i < 24576; i++)
    printf "%010d,%020d\n", i, i * 7 }' >three.csv
is "three chunks of rows after the header" \
    "$(($(wc -c <three.csv) - 9))" $((3 * 262144))
count "three chunks" 24576 three.csv -j 1
count "three chunks, 3 threads" 24576 three.csv -j 3

# A header of exactly 4096 bytes and nothing after it.
awk 'BEGIN { for (i = 0; i < 4095; i++) printf "a"; print "" }' >head.csv
is "the header fills the first read" "$(wc -c <head.csv)" 4096
count "a 4 KiB header alone" 0 head.csv

# The same inputs through the inspection every tool asks (gzipped too).
gzip -c one.csv >one.csv.gz
gzip -c three.csv >three.csv.gz
for f in one.csv one.csv.gz three.csv three.csv.gz head.csv; do
	run timeout 20 bk-manifest add "$f"
	is "bk-manifest add $f: exit 0" "$rc" 0
done
run timeout 20 bk-verify
is "bk-verify of them all: exit 0" "$rc" 0
done_testing
