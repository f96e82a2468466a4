#!/bin/sh
# bk-rotate: options, golden output over a manifest, exit codes, output
# errors, quiet mode and the table of bad inputs.
. "$(dirname "$0")/lib.sh"

# A small tree: ten dailies, two weeklies, a verified manual backup, and a
# garbled line that every tool must report and keep.
mkdir daily weekly manual
for d in 01 02 03 04 05 06 07 08 09 10; do
	touch daily/db_202406${d}_020000.sql.gz
	printf '{"path":"daily/db_202406%s_020000.sql.gz","created":"2024-06-%sT02:00:00+02:00","type":"daily"}\n' $d $d
done >manifest.jsonl
for d in 02 09; do
	touch weekly/db_202406${d}_030000.sql.gz
	printf '{"path":"weekly/db_202406%s_030000.sql.gz","created":"2024-06-%sT03:00:00+02:00","type":"weekly"}\n' $d $d
done >>manifest.jsonl
touch manual/before-upgrade.sql.gz
echo '{"path":"manual/before-upgrade.sql.gz","created":"2024-05-20T15:45:00-03:00","type":"manual","verified":{"result":"ok","time":"2024-05-21T00:00:00Z"}}' >>manifest.jsonl
echo '{"path": garbled' >>manifest.jsonl
cp manifest.jsonl manifest.orig
NOW=2024-06-11T00:00:00Z

exits "--help exits 0" 0 bk-rotate --help
like "--help prints the usage" out '^usage: bk-rotate '
for o in --keep-last --keep-hourly --keep-daily --keep-weekly --keep-monthly \
    --keep-yearly --keep-within --max-age --now --delete --no-wait --dir; do
	like "the usage names $o" out -- "$o"
done
if command -v mandoc >/dev/null; then
	syn=$(mandoc -T ascii "$TOP/man/bk-rotate.1" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' ' ' | sed 's/^ //')
	is "the usage is the man page's synopsis" \
	    "$(sed 's/^usage: //' out | tr -s ' \t\n' ' ')" "$syn"
else
	skip "mandoc not installed"
fi
exits "--version exits 0" 0 bk-rotate --version
like "--version prints the version" out '^bk-rotate \(bk\) [0-9]'
exits "a bad option exits 64" 64 bk-rotate --keep-daily 1 --bogus
empty "a bad option prints nothing on stdout" out

cat >want <<'EOF2'
keep daily/db_20240610_020000.sql.gz (daily snapshot, weekly snapshot)
keep weekly/db_20240609_030000.sql.gz (daily snapshot, weekly snapshot)
keep daily/db_20240609_020000.sql.gz (daily snapshot)
keep daily/db_20240608_020000.sql.gz (daily snapshot)
remove daily/db_20240607_020000.sql.gz (no rule keeps it)
remove daily/db_20240606_020000.sql.gz (no rule keeps it)
remove daily/db_20240605_020000.sql.gz (no rule keeps it)
remove daily/db_20240604_020000.sql.gz (no rule keeps it)
remove daily/db_20240603_020000.sql.gz (no rule keeps it)
keep weekly/db_20240602_030000.sql.gz (daily snapshot)
remove daily/db_20240602_020000.sql.gz (no rule keeps it)
remove daily/db_20240601_020000.sql.gz (no rule keeps it)
keep manual/before-upgrade.sql.gz (daily snapshot, weekly snapshot)
EOF2
exits "a dry run exits 0" 0 bk-rotate -m manifest.jsonl --keep-daily 3 --keep-weekly 1 --now $NOW
same "a dry run: keep and remove, newest first, with reasons" out want
like "the garbled line is reported with its number" err 'manifest.jsonl:14:'
same "a dry run changes nothing" manifest.jsonl manifest.orig
is "a dry run removes nothing" "$(ls daily | wc -l)" 10

cat >want <<'EOF2'
keep daily/db_20240610_020000.sql.gz (newer than 5d)
keep daily/db_20240609_020000.sql.gz (newer than 5d)
keep daily/db_20240608_020000.sql.gz (newer than 5d)
keep daily/db_20240607_020000.sql.gz (newer than 5d)
keep daily/db_20240606_020000.sql.gz (newer than 5d)
remove daily/db_20240605_020000.sql.gz (older than 5d)
remove daily/db_20240604_020000.sql.gz (older than 5d)
remove daily/db_20240603_020000.sql.gz (older than 5d)
remove daily/db_20240602_020000.sql.gz (older than 5d)
remove daily/db_20240601_020000.sql.gz (older than 5d)
EOF2
run bk-rotate -m manifest.jsonl --type daily --max-age 5d --now $NOW
same "--type and --max-age (from now)" out want
BK_MANIFEST=$T/manifest.jsonl run bk-rotate -T daily --max-age 5d --now $NOW
same "BK_MANIFEST names the manifest" out want
# Without -m, the tree's manifest is the nearest one above, as from its
# root: one rule in every tool (bk_manifest_init).
(cd daily && run bk-rotate -T daily --max-age 5d --now $NOW; echo $rc >../st)
is "from a subfolder, the tree's manifest above: exit 0" "$(cat st)" 0
same "... the same verdicts" out want

cat >want <<'EOF2'
keep manual/before-upgrade.sql.gz (newest of its type)
EOF2
run bk-rotate -m manifest.jsonl -T manual --max-age 1d --now $NOW
same "the newest backup of a type is never removed" out want
run bk-rotate -m manifest.jsonl -T nosuchtype --keep-last 1
empty "a type without backups: nothing to say" out
is "a type without backups: exit 0" "$rc" 0

run bk-rotate -q -m manifest.jsonl --keep-daily 3 --now $NOW
empty "-q: nothing on stdout" out
empty "-q: nothing on stderr" err
run bk-rotate -v -m manifest.jsonl --keep-daily 3 --now $NOW
like "-v: a summary" err '6 kept, 7 to remove'

exits ">/dev/full exits 74" 74 sh -c 'bk-rotate -m manifest.jsonl --keep-last 1 >/dev/full'
like ">/dev/full says why" err 'could not write standard output'
exits "--delete >/dev/full exits 74 before removing" 74 \
    sh -c 'bk-rotate -m manifest.jsonl --keep-last 1 --delete >/dev/full'
is "--delete >/dev/full removed nothing" "$(ls daily | wc -l)" 10

# A broken pipe: a long list read by head.
awk 'BEGIN { for (i = 0; i < 50000; i++)
	printf "{\"path\":\"f%d\",\"created\":\"2020-01-01T00:00:00Z\",\"type\":\"t\"}\n", i }' >big.jsonl
sh -c 'bk-rotate -m big.jsonl --keep-last 1 2>pipe.err; echo $? >pipe.st' | head -1 >/dev/null
case $(cat pipe.st) in 141|74) pass "a broken pipe ends the run" ;;
*) fail "a broken pipe ends the run"; diag "exit $(cat pipe.st)" ;; esac
empty "a broken pipe is not an error message" pipe.err

# Bad inputs: exit code and one line on stderr.
errline "an empty policy" 64 'no retention policy' bk-rotate -m manifest.jsonl
errline "a count of zero is no policy" 64 'no retention policy' bk-rotate --keep-last 0
errline "a bad duration" 64 'invalid duration for --max-age: "7x"' bk-rotate --max-age 7x
errline "a zero duration" 64 'invalid duration for --keep-within' bk-rotate --keep-within 0d
errline "a negative count" 64 'invalid count for --keep-daily: "-1"' bk-rotate --keep-daily -1
errline "a count that is not a number" 64 'invalid count for --keep-weekly' bk-rotate --keep-weekly four
errline "a bad --now" 64 'invalid date for --now' bk-rotate --keep-last 1 --now yesterday
# -w is read by bk_parse_wait, as in bk-manifest and bk-verify: the same
# message, then the --help hint (two lines, unlike the rows above).
for w in soon -1 1.5 ' 5' +5 2147483648 ''; do
	run bk-rotate --keep-last 1 -w "$w"
	is "a bad --wait \"$w\": 64, the shared message and the hint" \
	    "$rc|$(cat err)|$(cat out)" "64|bk-rotate: error: bad number of seconds \"$w\"
Try 'bk-rotate --help' for more information.|"
done
exits "--wait unlimited is read" 0 bk-rotate -m manifest.jsonl --keep-last 1 -w unlimited --now $NOW
exits "--wait 0 is read" 0 bk-rotate -m manifest.jsonl --keep-last 1 --wait=0 --now $NOW
errline "-m and --dir together" 64 'cannot be used together' bk-rotate -m manifest.jsonl --dir daily --keep-last 1
errline "--type with --dir" 64 'needs a manifest' bk-rotate --dir daily -T daily --keep-last 1
errline "an extra argument" 64 'unexpected argument "daily"' bk-rotate --keep-last 1 daily
errline "a missing manifest" 66 'could not open manifest "nope.jsonl"' bk-rotate -m nope.jsonl --keep-last 1
errline "a missing manifest with --delete" 66 'could not open manifest' bk-rotate -m nope.jsonl --keep-last 1 --delete
ok "--delete did not create the missing manifest" test ! -e nope.jsonl
errline "a missing folder" 66 'could not open "nope"' bk-rotate --dir nope --keep-last 1
errline "--dir on a tree with a manifest" 64 'holds a manifest' bk-rotate --dir . --keep-last 1
if command -v flock >/dev/null; then
	# Another process holds the manifest's lock while bk-rotate asks.
	hold_lock manifest.jsonl
	errline "a busy lock with --no-wait" 75 'lock' bk-rotate -m manifest.jsonl --keep-last 1 --delete --no-wait
	errline "a busy lock, a dry run, -w 1" 75 'lock' bk-rotate -m manifest.jsonl --keep-last 1 -w 1
	release_lock
else
	skip "flock not installed"
fi
if [ "$(id -u)" != 0 ]; then
	mkdir ro && touch ro/a_20200101.sql.gz ro/b_20240101.sql.gz && chmod 555 ro
	run bk-rotate --dir ro --keep-last 1 --delete
	is "a file that cannot be removed exits 77" "$rc" 77
	like "and says which" err 'could not remove "a_20200101.sql.gz"'
	chmod 755 ro
else
	skip "root removes files anyway: no permission test"
	skip "root removes files anyway: no permission test"
fi
same "no bad input changed the manifest" manifest.jsonl manifest.orig

# zstd backups in a folder of dated names: .zst by name, and by its magic
# a file without the name; their checksums go with them.
mkdir zdir
for d in 1 2 3 4 5; do
	f=db_2024060${d}_020000.sql.zst
	printf 'CREATE TABLE t (a int);\n' | bk-zstd >zdir/$f
	(cd zdir && sha256sum $f >$f.sha256)
done
printf 'CREATE TABLE t (a int);\n' | bk-zstd >zdir/noname_20240606
printf 'notes of 2024-06-07\n' >zdir/notes_20240607.txt
run bk-rotate --dir zdir --keep-last 2 --now 2024-06-10 --delete
is "--dir rotates .zst files, by name and by magic" "$rc|$(ls zdir | tr '\n' ' ')" \
    "0|db_20240605_020000.sql.zst db_20240605_020000.sql.zst.sha256 noname_20240606 notes_20240607.txt "
like "... a checksum goes with its backup" out \
    '^remove db_20240601_020000\.sql\.zst\.sha256 \(checksum of db_20240601_020000\.sql\.zst\)$'
done_testing
