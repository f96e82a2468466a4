#!/bin/sh
# 70-verify.sh: bk-verify of a large .csv.gz (sha256 of the file, inflate
# with the CRC of every member, strict CSV check and record count, all in
# one pass over the file) against gzip -t alone, which only inflates and
# checks the CRC.  Target (issue 4): at least 0.9x the speed of gzip -t.
. "$(dirname "$0")/lib.sh"

csv=$(csv_input 256)
tree=$DATA/verify-tree
gz=$tree/big.csv.gz
if [ ! -s "$gz" ] || [ ! -s "$tree/manifest.jsonl" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	gzip -6 <"$csv" >"$gz.tmp" && mv "$gz.tmp" "$gz"
	bk-manifest -m "$tree/manifest.jsonl" add -T daily "$gz" >/dev/null
fi
# Warm the page cache so both read from memory.
cat "$gz" >/dev/null

compare "bk-verify 256 MiB csv.gz vs gzip -t" \
    "bk-verify -q -m '$tree/manifest.jsonl'" \
    "gzip -t '$gz'" 0.9
# For scale: what the same checks cost one after another with the usual
# tools (digest, then inflate; no CSV check at all).
compare "bk-verify vs sha256sum; gzip -t (serial)" \
    "bk-verify -q -m '$tree/manifest.jsonl'" \
    "sha256sum '$gz' >/dev/null && gzip -t '$gz'" 1.0
