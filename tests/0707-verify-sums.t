#!/bin/sh
# bk-verify -c and bk-sum -c read checksum lists with one parser
# (common/sumlist.c): lists written by the real sha256sum, with and without
# --tag, escaped names included, get the same verdict from both tools, and
# a bad line the same reason.
. "$(dirname "$0")/lib.sh"
need sha256sum md5sum gzip

# Backups whose names sha256sum writes escaped (a backslash, a newline),
# and names that hold what the tagged form is made of.
printf 'id,name\r\n1,Ana\r\n' >plain.csv
gzip -c plain.csv >'back\slash.csv.gz'
printf 'id,name\r\n2,Bob\r\n' >'new
line.csv'
printf 'id,name\r\n3,Cid\r\n' >'with space (1).csv'
printf 'id,name\r\n4,Dai\r\n' >'x) = y.csv'
set -- plain.csv 'back\slash.csv.gz' 'new
line.csv' 'with space (1).csv' 'x) = y.csv'
cat >want.ok <<'EOF2'
OK plain.csv
OK back\slash.csv.gz
OK \new\nline.csv
OK with space (1).csv
OK x) = y.csv
EOF2

# verdicts: bk-sum -c's report ("NAME: OK", "NAME: FAILED ...") and
# bk-verify's ("OK NAME", "FAIL NAME: reason") as "OK NAME" or "FAIL NAME",
# so that the two can be compared line for line.
sum_verdicts() { sed -e 's/^\(.*\): OK$/OK \1/' -e 's/^\(.*\): FAILED.*$/FAIL \1/' "$1"; }
verify_verdicts() { sed 's/^FAIL \([^:]*\):.*$/FAIL \1/' "$1"; }

# both NAME LIST CODE: bk-sum -c and bk-verify -c both exit CODE on LIST and
# give each file the same verdict.
both() {
	run bk-sum -c "$2"
	is "$1: bk-sum -c exits $3" "$rc" "$3"
	sum_verdicts out >sum.v
	run bk-verify -c "$2"
	is "$1: bk-verify -c exits $3" "$rc" "$3"
	verify_verdicts out >verify.v
	same "$1: the same verdicts" verify.v sum.v
}

sha256sum "$@" >gnu.sums
like "sha256sum escapes the backslash" gnu.sums '^\\[0-9a-f]{64}  back\\\\slash\.csv\.gz$'
like "sha256sum escapes the newline" gnu.sums '^\\[0-9a-f]{64}  new\\nline\.csv$'
both "sha256sum list" gnu.sums 0
same "sha256sum list: every file OK, the newline escaped" out want.ok
sha256sum --tag "$@" >tag.sums
like "sha256sum --tag escapes the newline" tag.sums '^\\SHA256 \(new\\nline\.csv\) = [0-9a-f]{64}$'
both "sha256sum --tag list" tag.sums 0
same "sha256sum --tag list: every file OK" out want.ok
sha256sum -b "$@" >binary.sums
both "sha256sum -b list (the * marker)" binary.sums 0
{ echo '# made by hand'; sed 's/$/\r/' tag.sums; } >crlf.sums
both "a comment and CR LF line ends" crlf.sums 0
run bk-verify -c gnu.sums 'new
line.csv'
is "an operand with a newline picks its escaped line" "$rc $(cat out)" \
    '0 OK \new\nline.csv'
bk-sum "$@" | bk-verify -c - >out 2>err; rc=$?
is "bk-sum's own list, on standard input" "$rc" 0
same "...every file OK" out want.ok

# Failures: the same files fail in both tools.
cp plain.csv saved.csv
printf '3,Eve\r\n' >>plain.csv
both "a changed file" tag.sums 1
like "...bk-verify says why" out '^FAIL plain\.csv: sha256 does not match$'
mv 'new
line.csv' saved2.csv
both "a changed and a missing file" gnu.sums 1
like "...the missing one escaped, on one line" out '^FAIL \\new\\nline\.csv: file is missing$'
mv saved.csv plain.csv
mv saved2.csv 'new
line.csv'
both "all restored" gnu.sums 0

# Another algorithm: bk-sum checks it; bk-verify hashes sha256 only, so
# each such line is a FAIL saying so, never a silent skip.
md5sum "$@" >md5.sums
run bk-sum -c md5.sums
is "an md5 list: bk-sum -c exits 0" "$rc" 0
run bk-verify -c md5.sums
is "an md5 list: bk-verify -c exits 1" "$rc" 1
is "...a FAIL line for each file" "$(grep -c '^FAIL ' out)" 5
like "...saying bk-verify checks only sha256" out \
    '^FAIL plain\.csv: listed with md5; bk-verify checks only sha256 \(bk-sum -c checks md5\)$'
empty "...nothing on stderr" err
{ sha256sum plain.csv; md5sum --tag 'x) = y.csv'; } >mixed.sums
run bk-verify -c mixed.sums
is "a mixed list: the sha256 line OK, the MD5 tag FAIL" "$rc|$(cat out)" \
    "1|OK plain.csv
FAIL x) = y.csv: listed with md5; bk-verify checks only sha256 (bk-sum -c checks md5)"

# Bad lines: both tools report the same reason for the same line, check
# the good line beside it, and exit 1.
h=$(sha256sum <plain.csv | cut -c1-64)
while IFS='|' read -r what line; do
	printf '%s  plain.csv\n%s\n' "$h" "$line" >bad.lst
	run bk-sum -c bad.lst
	sum="$rc|$(sum_verdicts out)|$(sed 's/^bk-sum: error: //' err)"
	run bk-verify -c bad.lst
	verify="$rc|$(grep -v '^FAIL' out)|$(sed -n 's/^FAIL //p' out)"
	is "malformed, $what: the same reason from both" "$verify" "$sum"
	like "malformed, $what: the line number" out '^FAIL bad\.lst:2: malformed line: '
done <<EOF2
one space|$h plain.csv
no name|$h  
short digest|${h%?}  plain.csv
not hex|x$h  plain.csv
free text|hello world
blank line|
unknown tag|CRC32 (plain.csv) = $h
tag length|MD5 (plain.csv) = $h
tag without digest|SHA256 (plain.csv) = 
tag without =|SHA256 (plain.csv) $h
bad escape|\\$h  a\\tb
empty tagged name|SHA256 () = $h
EOF2
printf '%s  plain.csv\0x\n' "$h" >nul.lst
run bk-verify -c nul.lst
is "a NUL byte: FAIL with the line number" "$rc|$(cat out)" \
    "1|FAIL nul.lst:1: malformed line: NUL byte in the line"
: >empty.lst
run bk-verify -c empty.lst
is "an empty list fails, as in bk-sum -c" "$rc|$(cat out)" \
    "1|FAIL empty.lst: no digest lines"
echo '# nothing' >comments.lst
run bk-verify -c comments.lst
is "a list of comments only fails" "$rc|$(cat out)" \
    "1|FAIL comments.lst: no digest lines"
run bk-verify -M metrics.prom -c bad.lst
like "malformed lines count in the metrics" metrics.prom '^bk_verify_bad_lines 1$'

done_testing
