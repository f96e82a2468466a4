#!/bin/sh
# The manifest under faults: a write cut short or a sync that fails takes
# its lines back (74 means "not added"); an unfinished last line is removed
# by the next writer; the lines of one add are written all or none, even
# when the writer is killed between them; a line holding a NUL byte is a
# bad line that rewrites keep byte for byte; a manifest that is a symbolic
# link is refused by every tool; report copes with no good line.
. "$(dirname "$0")/lib.sh"
need cc perl

good() { printf 'id,name\n%s,x\n' "$1" >"$2"; }
# Each part in a tree of its own (a folder under a tree would use its
# manifest).
mkdir t && cd t || exit 1
for f in a b c d e; do good 1 $f.csv; done
bk-manifest -q add a.csv
# Lines that all parse, none lost: the invariant after every fault.
parses() { bk-manifest --strict list -F tsv >/dev/null 2>&1; }

# taken_back NAME SPEC MESSAGE FILE: an add of FILE that meets the fault
# SPEC exits 74 saying MESSAGE, leaves the manifest as it was (74 means
# "not added"), and the same add then succeeds.
taken_back() {
	cp manifest.jsonl before
	run faulty "$2" bk-manifest add "$4"
	is "$1: exit 74" "$rc" 74
	like "$1: says so, and that the manifest is unchanged" "$T/err" \
	    "^bk-manifest: error: could not $3 \\(the manifest is unchanged\\)\$"
	same "$1: and it is, no half line left" manifest.jsonl before
	exits "$1: the same add again: 0" 0 bk-manifest -q add "$4"
	ok "$1: every line parses" parses
}
# A disk that fills in the middle of the line.
taken_back "a write cut short" write:manifest.jsonl:1:short \
    'write manifest "manifest.jsonl": No space left on device' b.csv
# A sync that fails after the line was written.
taken_back "fsync fails" fsync:manifest.jsonl:1:eio \
    'sync manifest "manifest.jsonl": Input/output error' c.csv

# ---- the same in adopt, which writes all its lines at once too
mkdir old && good 2 old/x_20240101.csv && good 3 old/y_20240102.csv
cp manifest.jsonl before
run faulty write:manifest.jsonl:1:short bk-manifest adopt old
is "adopt, write cut short: exit 74" "$rc" 74
same "... the manifest is unchanged" manifest.jsonl before
empty "... and nothing is said to be adopted" "$T/out"
exits "adopt again: 0" 0 bk-manifest adopt old
is "... both adopted" "$(grep -c '"path":"old/' manifest.jsonl)" 2
ok "every line parses" parses

# ---- an unfinished last line, as a kill or a crash inside the write
# leaves it: readers report it, the next append removes it.
cp manifest.jsonl before
printf '{"path":"d.csv","created":"2025-0' >>manifest.jsonl
n=$(wc -l <manifest.jsonl)
run bk-manifest list -F tsv
like "a reader names the unfinished line" "$T/err" \
    "^bk-manifest: warning: manifest.jsonl:$((n + 1)): unfinished last line, without its newline: an append that was cut short \\(the next write removes it\\)"
run bk-manifest add d.csv
is "the next add: 0" "$rc" 0
like "... removing the unfinished line, with a warning" "$T/err" \
    '^bk-manifest: warning: manifest "manifest.jsonl": removing an unfinished last line \(33 bytes without a newline\)'
ok "every line parses" parses
head -n "$n" manifest.jsonl >head
same "... the lines before it untouched" head before
is "... and d.csv added once" "$(grep -c '"path":"d.csv"' manifest.jsonl)" 1
# Zeros after a crash (the size grew, the data never came) are no line.
cp manifest.jsonl before
head -c 700 /dev/zero >>manifest.jsonl
exits "zeros at the end: the next add: 0" 0 bk-manifest -q add e.csv
ok "... and every line parses" parses
# A rewrite removes an unfinished line too, rather than keeping it.
cp manifest.jsonl before
printf '{"path":"zz.csv","crea' >>manifest.jsonl
exits "a rewrite with an unfinished last line: 0" 0 bk-manifest -q remove e.csv
grep -v '"path":"e.csv"' before >want
same "... which goes, the rest kept" manifest.jsonl want
# A whole last line that only lacks its newline (a hand edit) stays.
printf '{"path":"hand.csv","created":"2025-01-01T00:00:00Z"}' >>manifest.jsonl
exits "a whole line without a newline: add 0" 0 bk-manifest -q add e.csv
like "... kept, and a newline added" manifest.jsonl '^\{"path":"hand\.csv","created":"2025-01-01T00:00:00Z"\}$'
ok "every line parses" parses

# ---- kill -9 between the lines of one add: all or none
mkdir k
for i in 1 2 3 4 5; do good $i k/$i.csv; done
cp manifest.jsonl before
base=$(wc -l <before)
for w in 1 2 3; do
	cp before manifest.jsonl
	run faulty "write:manifest.jsonl:$w:kill" bk-manifest -q add k/1.csv k/2.csv k/3.csv k/4.csv k/5.csv
	got=$(($(wc -l <manifest.jsonl) - base))
	case $got in 0|5) pass "killed at write $w (exit $rc): all or none ($got of 5)" ;;
	*) fail "killed at write $w (exit $rc): all or none"; diag "$got of 5 lines added" ;; esac
	exits "... the same add again, or the next one: 73 or 0" "$([ $got = 5 ] && echo 73 || echo 0)" \
	    bk-manifest -q add k/1.csv k/2.csv k/3.csv k/4.csv k/5.csv
	is "... then all five are listed" "$(($(wc -l <manifest.jsonl) - base))" 5
done

# ---- a NUL byte in a line: a bad line, kept byte for byte by a rewrite
cd "$T" && mkdir z && cd z || exit 1
for f in a b c; do good 1 $f.csv; done
bk-manifest -q add a.csv b.csv c.csv
# jansson reads on after a NUL that follows a number: the line parsed,
# and bk-verify --record wrote {"verified":...} in its place.
perl -i -pe 's/("size":\d+)/$1\0/ if /"c\.csv"/' manifest.jsonl
perl -ne 'print if /\0/' manifest.jsonl >nul.line
is "the NUL line is there" "$(wc -l <nul.line)" 1
run bk-manifest list -F tsv
like "list reports it as a bad line" "$T/err" '^bk-manifest: warning: manifest\.jsonl:3: a NUL byte at column [0-9]+ \(line kept, ignored\)$'
run bk-verify --record
is "bk-verify --record: FAIL (exit 1)" "$rc" 1
like "... names the line" "$T/out" '^FAIL manifest\.jsonl:3: a NUL byte at column'
perl -ne 'print if /\0/' manifest.jsonl >nul.after
same "... and the rewrite kept it byte for byte" nul.after nul.line
is "... the good lines were verified" "$(grep -c '"result":"ok"' manifest.jsonl)" 2
unlike "... nothing written from half a line" manifest.jsonl '^\{"verified"'
exits "bk-manifest remove rewrites too: 0" 0 bk-manifest -q remove a.csv
perl -ne 'print if /\0/' manifest.jsonl >nul.after
same "... keeping it byte for byte" nul.after nul.line
cd "$T" || exit 1

# ---- a manifest that is a symbolic link: refused by every tool (65)
mkdir s && cd s || exit 1
good 1 x.csv; good 2 y.csv
bk-manifest -q add x.csv
mv manifest.jsonl real.jsonl
ln -s real.jsonl manifest.jsonl
cp real.jsonl before
re='^bk-[a-z]+: error: could not open manifest "manifest\.jsonl": it is a symbolic link \(name the file itself\)$'
errline "add refuses it" 65 "$re" bk-manifest add y.csv
errline "list refuses it" 65 "$re" bk-manifest list
errline "remove refuses it" 65 "$re" bk-manifest remove x.csv
errline "bk-verify refuses it" 65 "$re" bk-verify
errline "bk-verify --record refuses it" 65 "$re" bk-verify --record
errline "bk-rotate refuses it" 65 "$re" bk-rotate --keep-last 1
errline "bk-rotate --delete refuses it" 65 "$re" bk-rotate --keep-last 1 --delete
ok "the link is still a link" test -L manifest.jsonl
same "... and its target unchanged" real.jsonl before
exits "the file itself, with -m: 0" 0 bk-manifest -q -m real.jsonl add y.csv
ln -s ../elsewhere.jsonl dangling.jsonl
errline "a dangling link is refused too" 65 'could not open manifest "dangling\.jsonl": it is a symbolic link' \
    bk-manifest -m dangling.jsonl add y.csv
ok "... and nothing is created where it points" test ! -e ../elsewhere.jsonl
cd "$T" || exit 1

# ---- report on a manifest without a good line (qsort(NULL, 0) before)
printf 'not json\n' >bad.jsonl
run bk-manifest -q -m bad.jsonl report
is "report, no good line: 0" "$rc" 0
like "... counts the bad line" "$T/out" '^1 line of "bad\.jsonl" could not be parsed$'
: >empty.jsonl
exits "report, empty manifest: 0" 0 bk-manifest -m empty.jsonl report -F json

# ---- a full disk for real, as root: a tmpfs of 64 KiB
if tmpfs_mount mnt 64k; then
	cd mnt || exit 1
	good 1 a.csv; good 2 b.csv
	# Lines that end 50 bytes before the end of their page, so that the
	# next line needs a page that the full disk does not have.
	perl -e 'my ($n, $i) = (0, 0);
	    while (4046 - $n > 120) {
		my $l = sprintf(qq({"path":"p%02d","created":"2025-01-01T00:00:00Z"}\n), $i++);
		print $l; $n += length($l) }
	    my $h = q({"path":"pad","created":"2025-01-01T00:00:00Z","pad":");
	    print $h, "x" x (4046 - $n - length($h) - 3), qq("}\n)' >manifest.jsonl
	is "... the manifest fills its page but 50 bytes" "$(wc -c <manifest.jsonl)" 4046
	cp manifest.jsonl "$T/before"
	cat /dev/zero >.fill 2>/dev/null
	run bk-manifest add a.csv
	is "full disk: exit 74" "$rc" 74
	like "... saying so" "$T/err" 'could not write manifest "manifest\.jsonl": No space left on device \(the manifest is unchanged\)'
	same "... no half line left" manifest.jsonl "$T/before"
	rm .fill
	exits "space again: the same add: 0" 0 bk-manifest -q add a.csv
	ok "every line parses" parses
	cd "$T" || exit 1
else
	skip "full disk on a tmpfs: $tmpfs_why"
fi

done_testing
