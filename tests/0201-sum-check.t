#!/bin/sh
# bk-sum -c: lists written by bk-sum checked by coreutils, and theirs by us.
. "$(dirname "$0")/lib.sh"
need sha256sum sha512sum sha1sum md5sum b2sum

gen_text 50000 >text
gen_random 20000 >random
printf 1 >'with space'
printf 2 >'back\slash'
printf 3 >'new
line'
printf 4 >"$(printf 'car\rriage')"
set -- text random 'with space' 'back\slash' 'new
line' "$(printf 'car\rriage')"

# Our lists, checked by the real programs.
bk-sum "$@" >ours.sha256
ok "sha256sum -c accepts our list" sha256sum -c --strict --quiet ours.sha256
bk-sum --tag "$@" >ours.tag
ok "sha256sum -c accepts our tagged list" sha256sum -c --strict --quiet ours.tag
bk-sum --algorithm md5 "$@" >ours.md5
ok "md5sum -c accepts our list" md5sum -c --strict --quiet ours.md5
bk-sum --algorithm sha512 --tag "$@" >ours.sha512
ok "sha512sum -c accepts our tagged list" sha512sum -c --strict --quiet ours.sha512
bk-sum --algorithm sha1 "$@" >ours.sha1
ok "sha1sum -c accepts our list" sha1sum -c --strict --quiet ours.sha1
bk-sum --algorithm blake2b512 --tag "$@" >ours.b2
ok "b2sum -c accepts our tagged list" b2sum -c --strict --quiet ours.b2

# Their lists, checked by us, with the same report as theirs.
for prog in sha256sum md5sum sha1sum sha512sum; do
	$prog "$@" >theirs
	run bk-sum -c theirs
	is "$prog list: exit 0" "$rc" 0
	$prog -c theirs >want
	same "$prog list: the report of $prog -c" out want
	$prog --tag "$@" >theirs
	run bk-sum -c theirs
	is "$prog --tag list: exit 0" "$rc" 0
	same "$prog --tag list: the report of $prog -c" out want
done
b2sum --tag "$@" >theirs
run bk-sum -c theirs
is "b2sum --tag list: exit 0" "$rc" 0
# A tagged name may hold what the tag is made of, " (" and ") = ", and
# an escaped one both a backslash and a newline.
printf 5 >'a (1).csv'
printf 6 >'x) = y'
printf 7 >'both\
new'
sha256sum --tag 'a (1).csv' 'x) = y' 'both\
new' >theirs
run bk-sum -c theirs
is "names with \" (\" and \") = \" in a --tag list: exit 0" "$rc" 0
sha256sum -c theirs >want
same "...the report of sha256sum -c" out want
like "...the name with both escaped" out '^\\both\\\\\\nnew: OK$'
sha256sum -b text random >theirs
run bk-sum -c theirs
is "the binary-mode marker * is accepted" "$rc" 0
printf 'text: OK\nrandom: OK\n' >want
same "binary-mode names read without the *" out want
run sh -c 'sha256sum text | bk-sum -c'
is "the list on stdin" "$(cat out)" "text: OK"
run sh -c 'sha256sum text | bk-sum -c ours.md5 -'
is "several lists, - among them" "$rc" 0
is "several lists: every line reported" "$(wc -l <out)" 7
sha256sum text | sed 's/$/\r/' >crlf
run bk-sum -c crlf
is "CR LF line ends are accepted" "$(cat out)" "text: OK"
{ echo '# made by hand'; sha256sum text; } >comment
run bk-sum -c comment
is "comment lines are skipped" "$(cat out)" "text: OK"
sha256sum text | tr a-f A-F | sed 's/  .*$/  text/' >upper
run bk-sum -c upper
is "upper-case digests are accepted" "$(cat out)" "text: OK"

# The algorithm: from the tag, the length, or -a.
openssl dgst -sha3-256 -r text | sed 's/ \*/  /' >sha3
run bk-sum -c sha3
is "a 64-digit line is sha256 without -a" "$rc" 1
run bk-sum --algorithm sha3-256 -c sha3
is "-a sha3-256 reads 64-digit lines as SHA3-256" "$(cat out)" "text: OK"
b2sum text >b2
run bk-sum --algorithm blake2b512 -c b2
is "-a blake2b512 reads 128-digit lines as BLAKE2b" "$(cat out)" "text: OK"
bk-sum --algorithm sha3-256 --tag text >sha3tag
run bk-sum -c sha3tag
is "a SHA3-256 tag needs no -a" "$(cat out)" "text: OK"
sha256sum --tag text >one
errline "-a md5 refuses a SHA256 tagged line" 1 \
    'one:1: malformed line: algorithm not among -a' bk-sum --algorithm md5 -c one
errline "-a md5 refuses a 64-digit line" 1 \
    'digest length fits no -a algorithm' bk-sum --algorithm md5 -c upper

# Tampered and missing files.
cp ours.sha256 list
printf x >>text
run bk-sum -c list
is "a tampered file: exit 1" "$rc" 1
like "a tampered file: FAILED" out '^text: FAILED$'
like "the untouched ones: OK" out '^random: OK$'
like "a name with a newline is reported escaped" out '^\\new\\nline: OK$'
sha256sum -c list >want 2>/dev/null
same "the report matches sha256sum -c's" out want
empty "a mismatch prints nothing on stderr" err
run bk-sum -c -q list
is "-q: exit 1" "$rc" 1
is "-q prints only failures" "$(cat out)" "text: FAILED"
run bk-sum -c --status list
is "--status: exit 1" "$rc" 1
empty "--status prints nothing" out
sha256sum random >ok1
run bk-sum -c -q ok1
is "-q: a good list exits 0" "$rc" 0
empty "-q: a good list prints nothing" out
rm random
run bk-sum -c ok1
is "a missing file: exit 1" "$rc" 1
is "a missing file: FAILED open or read" "$(cat out)" "random: FAILED open or read"
like "a missing file: the reason on stderr" err 'could not open "random": No such file'

# Bad lists: each exits 1 with one line naming the list and line number.
h=$(sha256sum <text | cut -c1-64)
m=$(md5sum <text | cut -c1-32)
bad() {	# bad NAME REGEX LINE: a list whose second line is LINE
	printf '%s  text\n%s\n' "$h" "$3" >bad.lst
	errline "malformed: $1" 1 "^bk-sum: error: bad\.lst:2: malformed line: $2" \
	    bk-sum -c bad.lst
}
bad "one space" 'expected two spaces' "$h text"
bad "no name" 'empty name' "$h  "
bad "short digest" 'digest length fits no algorithm' "${h%?}  text"
bad "not hex" 'expected' "x$h  text"
bad "free text" 'expected' "hello world"
bad "blank line" 'expected' ""
bad "unknown tag" 'unknown algorithm' "CRC32 (text) = $h"
bad "tag length" 'digest length does not fit' "MD5 (text) = $h"
bad "tag without digest" 'expected "ALG' "SHA256 (text) = "
bad "tag without =" 'expected "ALG' "SHA256 (text) $h"
bad "bad escape" 'bad escape' "\\$h  a\\tb"
bad "empty tagged name" 'empty name' "SHA256 () = $h"
like "the good line is still checked" out '^text: OK$'
printf '%s  text\0x\n' "$m" >nul.lst
errline "malformed: a NUL byte" 1 'nul\.lst:1: malformed line: NUL byte' \
    bk-sum -c nul.lst
: >empty.lst
errline "an empty list exits 1" 1 'empty\.lst: no digest lines' bk-sum -c empty.lst
echo '# nothing' >comments.lst
errline "a list of comments only exits 1" 1 'no digest lines' bk-sum -c comments.lst
errline "a missing list exits 66" 66 'could not open "nolist": No such file' \
    bk-sum -c nolist
errline "a folder as list exits 66" 66 'could not read "\.": Is a directory' \
    bk-sum -c .
run sh -c 'bk-sum -c ok1 nolist'
is "a missing list outranks a failed check (66)" "$rc" 66

# Output errors.
sha256sum text >good
run sh -c 'bk-sum -c good >/dev/full'
is "-c >/dev/full exits 74" "$rc" 74

done_testing
