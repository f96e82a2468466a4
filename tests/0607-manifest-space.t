#!/bin/sh
# bk-manifest space: the free space of the tree's file system against
# FACTOR times the largest of the last three backups of the type, and
# --min.  The free space is the real one: stat(1) -f of the tree says
# what statvfs says, and the recorded sizes are chosen so that the
# answer cannot change while the test runs (an eighth of what is free
# must fit twice; the file system's whole size never fits once); as
# root, a tmpfs of 1 MiB holding a real backup, checked to the byte.
. "$(dirname "$0")/lib.sh"
need stat

# line PATH CREATED TYPE SIZE: a manifest line with the size recorded.
line() {
	printf '{"path":"%s","created":"%s","type":"%s","size":%s}\n' "$@"
}
# fs_total, fs_avail DIR: the file system's size and what a user may
# still write there, in bytes, as stat(1) reads them from statvfs.
fs_total() { stat -f -c '%b %S' "$1" | awk '{ printf "%.0f\n", $1 * $2 }'; }
fs_avail() { stat -f -c '%a %S' "$1" | awk '{ printf "%.0f\n", $1 * $2 }'; }

mkdir tree
dir=$(cd tree && pwd -P)
total=$(fs_total tree)
avail=$(fs_avail tree)
eighth=$((avail / 8))
ok "the tree's file system has room to test with" test "$eighth" -gt 1024

# ---- pass and fail, by the real free space ----
{
	line daily/a 2024-09-01T02:00:00Z daily "$total"	# older than 3
	line daily/b 2024-09-02T02:00:00Z daily 100
	line daily/c 2024-09-03T02:00:00Z daily "$eighth"
	line weekly/w 2024-09-03T03:00:00Z weekly "$total"
	line daily/d 2024-09-04T02:00:00Z daily 300
} >tree/manifest.jsonl
M="-m tree/manifest.jsonl"
run bk-manifest $M -v space -T daily
is "twice an eighth of what is free fits (the oldest daily, the file system's size, is not of the last three): 0" "$rc" 0
like "... one line saying so" out \
    "^space in \"$dir\": [0-9.]+ [KMGT]?i?B needed \\(2 x [0-9.]+ [KMGT]?i?B, the largest of the last 3 daily backups\\), [0-9.]+ [KMGT]?i?B free\$"
is "... only that line" "$(wc -l <out)" 1
like "... -v: the bytes, twice the largest of the last three" err \
    "^bk-manifest: $((eighth * 2)) bytes needed, [0-9]+ free of $total\$"
run bk-manifest $M -q space -T daily
is "-q: exit 0" "$rc" 0
empty "... nothing on standard output" out
empty "... nor on standard error" err
run bk-manifest $M space -T weekly --factor 1
is "one weekly backup the size of the file system: 1" "$rc" 1
empty "... nothing on standard output" out
is "... one line on standard error" "$(wc -l <err)" 1
like "... saying what is needed and what is free" err \
    "^bk-manifest: error: not enough space in \"$dir\": [0-9.]+ [KMGT]iB needed \\(1 x [0-9.]+ [KMGT]iB, the largest of the last 1 weekly backup\\), [0-9.]+ [KMGT]?i?B free\$"
run bk-manifest $M -v space
is "without -T: every type, the weekly one among the last three: 1" "$rc" 1
like "... the bytes" err "^bk-manifest: $((total * 2)) bytes needed, [0-9]+ free of $total\$"
like "... of any type" err 'the largest of the last 3 backups\)'
exits "--factor 0: the backups do not count" 0 \
    bk-manifest $M space -T weekly --factor 0
exits "--factor 7: 7 times an eighth fits" 0 \
    bk-manifest $M space -T daily --factor 7
run bk-manifest $M -v space -T daily --factor 9
is "... and 9 times an eighth does not fit" "$rc" 1
like "... the bytes" err "^bk-manifest: $((eighth * 9)) bytes needed"
run bk-manifest $M -v space -T daily --min "$((avail * 2))"
is "--min above what is free: 1" "$rc" 1
like "... --min is the reason" err "needed \\(--min\\), "
like "... the bytes" err "^bk-manifest: $((avail * 2)) bytes needed"
run bk-manifest $M -v space -T daily --min 1K
is "--min below twice the backups: they decide" "$rc" 0
like "... the bytes" err "^bk-manifest: $((eighth * 2)) bytes needed"
run bk-manifest $M space -T monthly
is "no backup of the type and no --min: 0" "$rc" 0
like "... saying so" out 'B needed \(no earlier monthly backup\), '
run bk-manifest $M space -T monthly --min "$total"
is "no backup of the type: only --min, the whole file system: 1" "$rc" 1
mkdir empty
run bk-manifest -m empty/manifest.jsonl -v space --min 1M
is "no manifest yet: --min 1M fits" "$rc" 0
like "... the bytes" err '^bk-manifest: 1048576 bytes needed'
ok "... and no manifest is made" test ! -e empty/manifest.jsonl
exits "no manifest yet: a --min of the file system's size does not" 1 \
    bk-manifest -m empty/manifest.jsonl space --min "$total"
printf 'not json\n' >>tree/manifest.jsonl
run bk-manifest $M space -T daily
is "a bad line is skipped with a warning" "$rc|$(cat err)" \
    "0|bk-manifest: warning: tree/manifest.jsonl:6: invalid JSON at column 3: '[' or '{' expected near 'not' (line kept, ignored)"
exits "... and refused with --strict" 65 bk-manifest $M --strict space -T daily

# ---- bad inputs ----
while IFS='|' read -r name code re args; do
	# shellcheck disable=SC2086
	if [ "$code" = 64 ]; then
		usage "$name: 64" "$re" bk-manifest $args
	else
		errline "$name: $code" "$code" "$re" bk-manifest $args
	fi
done <<EOF
a factor that is not a number|64|bad factor "x"\$|space --factor x
a negative factor|64|bad factor "-1"\$|space --factor -1
a fractional factor|64|bad factor "1.5"\$|space --factor 1.5
a bad size|64|bad size "lots"\$|space --min lots
an operand|64|space takes no file names\$|space daily
an option of another command|64|option -F does not apply to space\$|space -F json
--factor with another command|64|option --factor does not apply to list\$|list --factor 2
a manifest in a missing folder|66|$T/none|-m $T/none/manifest.jsonl space
EOF
exits "standard output full: 74" 74 sh -c \
    "bk-manifest -m tree/manifest.jsonl space -T daily >/dev/full"

# ---- a small file system of its own, to the byte ----
if tmpfs_mount small 1M; then
	# 300 KiB that do not compress, through bk-gz, then recorded.
	gen_random 307200 | bk-gz -o small/d1.gz
	bk-manifest -q -m small/manifest.jsonl add -T daily small/d1.gz
	size=$(stat -c %s small/d1.gz)
	free=$(fs_avail small)
	run bk-manifest -m small/manifest.jsonl -v space -T daily
	is "tmpfs 1M, a backup of $size bytes, $free free: twice fits" \
	    "$rc|$(sed -n 1p err)" \
	    "0|bk-manifest: $((size * 2)) bytes needed, $free free of 1048576"
	run bk-manifest -m small/manifest.jsonl space -T daily --factor 3
	is "... three times does not ($((size * 3)) > $free): 1" "$rc" 1
	like "... in one line" err \
	    "^bk-manifest: error: not enough space in \"$(cd small && pwd -P)\": 900\\.[0-9] KiB needed \\(3 x 300\\.[0-9] KiB, the largest of the last 1 daily backup\\), [0-9.]+ KiB free\$"
	# Fill it up: the next daily no longer fits twice.
	head -c $((free - size * 2 + 4096)) /dev/zero >small/filler
	exits "... filled by $(stat -c %s small/filler) bytes, twice no longer fits" \
	    1 bk-manifest -m small/manifest.jsonl space -T daily
	rm small/filler
	exits "... emptied again, it does" 0 \
	    bk-manifest -m small/manifest.jsonl space -T daily
else
	skip "a tmpfs of 1M: $tmpfs_why"
fi

done_testing
