#!/bin/sh
# bk-verify: pg_dump scripts from the real test server, complete and cut,
# with the classic ending and with the \restrict/\unrestrict pair that
# pg_dump writes since the 2025 minor releases.
. "$(dirname "$0")/lib.sh"
need_pg
need pg_dump gzip

psql -qX -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<'EOF2' || skip_all "could not create the test table"
DROP TABLE IF EXISTS bk_verify_t;
CREATE TABLE bk_verify_t (id int PRIMARY KEY, name text, amount numeric(10,2));
INSERT INTO bk_verify_t SELECT i, 'Cliente ' || i, i * 1.5 FROM generate_series(1, 5000) i;
EOF2
pg_dump -Fp -t bk_verify_t >dump.sql || skip_all "pg_dump failed"
diag "$(pg_dump --version)"

# The script as pg_dump wrote it, and its two variants.
if grep -q '^\\restrict ' dump.sql; then
	diag "this pg_dump writes restrict and unrestrict lines"
	cp dump.sql restrict.sql
	sed -e '/^\\restrict /d' -e '/^\\unrestrict /d' dump.sql >classic.sql
else
	diag "this pg_dump writes the classic ending; faking restrict lines"
	cp dump.sql classic.sql
	sed '3a\\restrict K3yK3yK3y' dump.sql >restrict.sql
	printf '\\unrestrict K3yK3yK3y\n\n' >>restrict.sql
fi
grep -q '^-- PostgreSQL database dump complete' classic.sql ||
    fail "the dump has the closing comment"

# line FILE: a manifest line for FILE as it is now, in its folder.
line() { manifest_line -d "$(dirname "$1")" "$(basename "$1")"; }
# verdict NAME REASON FILE: FILE, gzipped, gets one verdict from the three
# tools that ask whether it is whole: bk-manifest add, bk-verify and
# bk-restore -n all accept it (REASON "ok"), or all refuse it, saying
# "pg_dump $what is incomplete (REASON)".
what=script
verdict() {
	_vn=$1 _vr=$2
	rm -rf tr; mkdir tr
	gzip -c "$3" >tr/db.sql.gz
	line tr/db.sql.gz >tr/manifest.jsonl
	if [ "$_vr" = ok ]; then
		exits "$_vn: bk-verify OK" 0 bk-verify -m tr/manifest.jsonl
		like "$_vn: ... says OK" "$T/out" '^OK db.sql.gz$'
		exits "$_vn: bk-restore -n accepts it" 0 \
		    bk-restore -n -m tr/manifest.jsonl -D "dbname=$PGDATABASE" tr/db.sql.gz
		rm tr/manifest.jsonl
		exits "$_vn: bk-manifest add accepts it" 0 \
		    bk-manifest -m tr/manifest.jsonl add tr/db.sql.gz
		return
	fi
	_why="pg_dump $what is incomplete ($_vr)"
	run bk-verify -m tr/manifest.jsonl
	is "$_vn: bk-verify says FAIL, why" "$rc $(cat "$T/out")" "1 FAIL db.sql.gz: $_why"
	run bk-restore -n -m tr/manifest.jsonl -D "dbname=$PGDATABASE" tr/db.sql.gz
	is "$_vn: bk-restore -n refuses it, the same why" "$rc $(cat "$T/err")" \
	    "65 bk-restore: error: could not restore \"db.sql.gz\": $_why"
	rm tr/manifest.jsonl
	run bk-manifest -m tr/manifest.jsonl add tr/db.sql.gz
	is "$_vn: bk-manifest add refuses it, the same why" "$rc $(cat "$T/err")" \
	    "65 bk-manifest: error: could not add \"tr/db.sql.gz\": $_why (--incomplete records it anyway)"
}

verdict "pg_dump as written" ok dump.sql
verdict "classic ending" ok classic.sql
verdict "restrict ending" ok restrict.sql
end='no "-- PostgreSQL database dump complete" at the end'
n=$(wc -l <classic.sql)
head -n $((n / 2)) classic.sql >cut.sql
verdict "classic, cut in the middle" "$end" cut.sql
head -n $((n - 4)) classic.sql >cut.sql
verdict "classic, cut just before the closing comment" "$end" cut.sql
n=$(wc -l <restrict.sql)
head -n $((n / 2)) restrict.sql >cut.sql
verdict "restrict, cut in the middle" "$end" cut.sql
grep -v '^\\unrestrict ' restrict.sql >cut.sql
verdict "restrict, cut before unrestrict" 'no \unrestrict line matching its \restrict' cut.sql
sed 's/^\\unrestrict .*/\\unrestrict OtherKey/' restrict.sql >cut.sql
verdict "unrestrict with another key" 'no \unrestrict line matching its \restrict' cut.sql
{ cat classic.sql; echo "DROP TABLE bk_verify_t;"; } >cut.sql
verdict "a statement after the end" 'data after its last line' cut.sql
# The two that bk-verify once passed on its own: pg_dump writes no comment
# after its last line, nor a \unrestrict it did not open.
{ cat classic.sql; echo "-- a comment after the end"; } >cut.sql
verdict "a comment after the end" 'data after its last line' cut.sql
{ cat classic.sql; echo '\unrestrict K3y'; } >cut.sql
verdict "unrestrict without restrict" 'data after its last line' cut.sql

# pg_dump's custom format (-Fc): pg_restore, its own reader, reads the
# decoded archive whole, every data block checked by zlib.
what=archive
pg_dump -Fc -t bk_verify_t >dump.fc
size=$(stat -c %s dump.fc)
verdict "custom archive as written" ok dump.fc
head -c $((size * 3 / 10)) dump.fc >cut.fc
verdict "custom archive cut at 30%" 'pg_restore: error: could not read from input file: end of file' cut.fc
head -c $((size - 1)) dump.fc >cut.fc
verdict "custom archive cut by one byte" 'pg_restore: error: could not read from input file: end of file' cut.fc
cp dump.fc flip.fc; flip flip.fc $((size / 2))
verdict "custom archive with a byte flipped in its data" 'pg_restore: error: could not uncompress data: incorrect data check' flip.fc
head -c 5 dump.fc >cut.fc
verdict "custom archive of its magic alone" 'pg_restore: error: could not read from input file: end of file' cut.fc
# pg_dump's tar format (-Ft): pg_restore reads it, and it must end as tar
# does (pg_restore takes a cut tar archive from a pipe for a whole one).
pg_dump -Ft -t bk_verify_t >dump.ft
tsize=$(stat -c %s dump.ft)
verdict "tar archive as written" ok dump.ft
head -c $((tsize / 2)) dump.ft >cut.ft
verdict "tar archive cut in half" 'the tar archive does not end with its two zero blocks: it was cut short' cut.ft
head -c $((tsize - 1024)) dump.ft >cut.ft
verdict "tar archive without its end blocks" 'the tar archive does not end with its two zero blocks: it was cut short' cut.ft
# Without pg_restore, an archive is not OK: the check could not run.
rm -rf tr; mkdir tr; cp dump.fc tr/db.dump; line tr/db.dump >tr/manifest.jsonl
run env PATH="$BUILD/bin" bk-verify -m tr/manifest.jsonl
is "no pg_restore: FAIL, saying so (not 'incomplete': no verdict)" "$rc $(cat "$T/out")" \
    "1 FAIL db.dump: could not run pg_restore (from postgresql-client): No such file or directory"
run env PATH="$BUILD/bin" bk-verify --record -m tr/manifest.jsonl
unlike "...and -r records no verdict it could not reach" tr/manifest.jsonl '"verified"'
run env PATH="$BUILD/bin" bk-manifest -m tr/add.jsonl add --incomplete tr/db.dump
is "...bk-manifest add cannot record it, even with -f: 69" "$rc $(cat "$T/err")" \
    '69 bk-manifest: error: could not read "tr/db.dump": could not run pg_restore (from postgresql-client): No such file or directory'
run env PATH="$BUILD/bin" bk-restore -n -m tr/manifest.jsonl -D "dbname=$PGDATABASE" tr/db.dump
is "...nor bk-restore: 69" "$rc" 69
# Inside age, the verdict needs the key: with it, the same.
bk-crypt --keygen -o fc.key 2>/dev/null
rm -rf tr; mkdir tr
head -c $((size * 3 / 10)) dump.fc | bk-crypt -r "$(bk-crypt -y -i fc.key)" -o tr/db.dump.age
line tr/db.dump.age >tr/manifest.jsonl
run bk-verify -i fc.key -m tr/manifest.jsonl
is "custom archive cut, inside age, with the key: FAIL" "$rc $(cat "$T/out")" \
    "1 FAIL db.dump.age: pg_dump archive is incomplete (pg_restore: error: could not read from input file: end of file)"
what=script

# The recipe: pg_dump | bk-gz | bk-crypt, then bk-manifest add.
mkdir -p tree/daily
bk-crypt --keygen -o key.txt 2>/dev/null
pg_dump -Fp -t bk_verify_t | bk-gz | bk-crypt -r "$(bk-crypt -y -i key.txt)" -o tree/daily/db.sql.gz.age &&
    (cd tree && bk-manifest add -T daily daily/db.sql.gz.age) >/dev/null 2>&1 || fail "the recipe"
exits "the recipe's output verifies with the key" 0 bk-verify -v -i key.txt -m tree/manifest.jsonl
like "...through every layer" "$T/out" '^OK daily/db.sql.gz.age \(pg_dump gzip age\)$'
exits "...and without the key, its header" 0 bk-verify -m tree/manifest.jsonl
like "...saying so" "$T/out" '^OK daily/db.sql.gz.age \(age not decrypted, no identity: size, sha256 and header checked; held pg_dump gzip, whole when made\)$'

psql -qX -c 'DROP TABLE bk_verify_t' >/dev/null 2>&1
done_testing
