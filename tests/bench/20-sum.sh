#!/bin/sh
# bk-sum against sha256sum and openssl dgst, and --tee against cat.
. "$(dirname "$0")/lib.sh"
in=$(csv_input 256)

echo "## bk-sum (256 MiB CSV; $(grep -qw sha_ni /proc/cpuinfo && echo "CPU has SHA extensions" || echo "CPU lacks SHA extensions"))"

# Digesting a file: the same input, the same output line, three programs.
compare "bk-sum sha256 vs sha256sum" \
    "bk-sum $in >/dev/null" "sha256sum $in >/dev/null" 3
# openssl dgst is the floor: the same libcrypto code.  A ratio of 0.95
# means bk-sum is at most 5% slower.
compare "bk-sum sha256 vs openssl dgst -sha256" \
    "bk-sum $in >/dev/null" "openssl dgst -sha256 $in >/dev/null" 0.95

# --tee: the fair comparison is the same pipe on both sides (cat feeding
# the tool, the tool writing to /dev/null): cat <in >/dev/null alone is not
# a copy at all, since coreutils' cat may skip the data for /dev/null.
# The issue's target, "at most 10% over cat", is a ratio of 1/1.10 = 0.91.
# A tee that digests cannot beat the digest alone, so the figures that say
# what the copy itself costs are the next two: --tee against the same
# digest with no copy (bk-sum, and openssl dgst, reading the same pipe).
compare "cat | bk-sum --tee vs cat | cat" \
    "cat $in | bk-sum --tee >/dev/null 2>&1" "cat $in | cat >/dev/null" 0.91
compare "cat | bk-sum --tee vs cat | bk-sum (no copy)" \
    "cat $in | bk-sum --tee >/dev/null 2>&1" "cat $in | bk-sum >/dev/null" 0.91
compare "cat | bk-sum --tee vs cat | openssl dgst" \
    "cat $in | bk-sum --tee >/dev/null 2>&1" \
    "cat $in | openssl dgst -sha256 >/dev/null" 0.91
compare "cat | bk-sum --tee | cat vs cat | cat | cat" \
    "cat $in | bk-sum --tee 2>/dev/null | cat >/dev/null" \
    "cat $in | cat | cat >/dev/null" 0.91
# Two digests in one pass: --tee runs one thread per algorithm, while
# digesting without --tee runs them one after the other on each buffer.
compare "cat | bk-sum --tee --algorithm sha256 --algorithm md5 vs the same, no copy" \
    "cat $in | bk-sum --tee --algorithm sha256 --algorithm md5 >/dev/null 2>&1" \
    "cat $in | bk-sum --algorithm sha256 --algorithm md5 >/dev/null" 0
# The other algorithms against their usual programs (no targets).
compare "bk-sum --algorithm md5 vs md5sum" "bk-sum --algorithm md5 $in >/dev/null" \
    "md5sum $in >/dev/null" 0
compare "bk-sum --algorithm sha512 vs sha512sum" "bk-sum --algorithm sha512 $in >/dev/null" \
    "sha512sum $in >/dev/null" 0
compare "bk-sum --algorithm blake2b512 vs b2sum" "bk-sum --algorithm blake2b512 $in >/dev/null" \
    "b2sum $in >/dev/null" 0
peak "bk-sum --tee peak memory" "bk-sum --tee <$in >/dev/null 2>&1" 16
