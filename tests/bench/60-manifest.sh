#!/bin/sh
# bk-manifest: the inspection of "add" (digest, inflate, record count in
# one pass) against the peers doing the same work in two passes, and
# reading a manifest of 100 000 entries.
. "$(dirname "$0")/lib.sh"

csv=$(csv_input 256)
gz=$DATA/manifest-256M.csv.gz
[ -s "$gz" ] || gzip -1 <"$csv" >"$gz"
work=$(mktemp -d "${TMPDIR:-/tmp}/bk-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$gz" "$work/a.csv.gz"

# One pass of bk-manifest add, against sha256sum plus gzip -dc | wc -l.
compare "add: inspect 256 MiB csv.gz (one pass)" \
    "rm -f $work/m.jsonl; bk-manifest -m $work/m.jsonl add $work/a.csv.gz" \
    "sha256sum $work/a.csv.gz >/dev/null; gzip -dc $work/a.csv.gz | wc -l >/dev/null" \
    1.0
peak "add: peak memory on 256 MiB csv.gz" \
    "rm -f $work/m.jsonl; bk-manifest -m $work/m.jsonl add $work/a.csv.gz" 16

# 100 000 entries: read, sort, print (bk-rotate's reading cost).
awk 'BEGIN { for (i = 0; i < 100000; i++)
    printf "{\"path\":\"daily/db_%06d.sql.gz\",\"created\":\"2025-%02d-%02dT02:00:00-03:00\",\"type\":\"daily\",\"size\":%d,\"sha256\":\"%064d\",\"layers\":[\"pg_dump\",\"gzip\"],\"complete\":true,\"created_by\":\"cron\"}\n",
	i, i % 12 + 1, i % 28 + 1, 100000 + i, i }' >"$work/big.jsonl"
compare "list: 100 000 entries (peer: jq -c)" \
    "bk-manifest -m $work/big.jsonl list -F tsv >/dev/null" \
    "jq -c 'select(.type == \"daily\")' $work/big.jsonl >/dev/null" 1.0
measure "cp $work/big.jsonl $work/big2.jsonl && bk-manifest -m $work/big2.jsonl remove daily/db_000005.sql.gz"
printf '%-44s bk %6.2fs  (one rewrite of 100 000 lines)\n' "remove: rewrite 100 000 entries" "$secs"
