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
	diag "this pg_dump writes \\restrict and \\unrestrict"
	cp dump.sql restrict.sql
	sed -e '/^\\restrict /d' -e '/^\\unrestrict /d' dump.sql >classic.sql
else
	diag "this pg_dump writes the classic ending; faking \\restrict"
	cp dump.sql classic.sql
	sed '3a\\restrict K3yK3yK3y' dump.sql >restrict.sql
	printf '\\unrestrict K3yK3yK3y\n\n' >>restrict.sql
fi
grep -q '^-- PostgreSQL database dump complete' classic.sql ||
    fail "the dump has the closing comment"

# line FILE: a manifest line for FILE as it is now.
line() {
	printf '{"path":"%s","created":"2024-09-01T02:00:00Z","type":"daily","size":%s,"sha256":"%s"}\n' \
	    "$(basename "$1")" "$(stat -c %s "$1")" "$(sha256sum <"$1" | cut -c1-64)"
}
# check NAME WANT-EXIT REGEX FILE: FILE, gzipped, alone in a tree.
check() {
	rm -rf tr; mkdir tr
	gzip -c "$4" >tr/db.sql.gz
	line tr/db.sql.gz >tr/manifest.jsonl
	run bk-verify -m tr/manifest.jsonl
	if [ "$rc" = "$2" ] && grep -Eq -- "$3" "$T/out"; then pass "$1"
	else fail "$1"; diag "exit $rc, wanted $2 and /$3/"; sed 's/^/#   /' "$T/out" "$T/err"; fi
}

check "pg_dump as written: OK" 0 '^OK db.sql.gz$' dump.sql
check "classic ending: OK" 0 '^OK db.sql.gz$' classic.sql
check "\\restrict ending: OK" 0 '^OK db.sql.gz$' restrict.sql
n=$(wc -l <classic.sql)
head -n $((n / 2)) classic.sql >cut.sql
check "classic, cut in the middle" 1 '^FAIL db.sql.gz: pg_dump script is incomplete \(no "-- PostgreSQL database dump complete" at the end\)$' cut.sql
head -n $((n - 4)) classic.sql >cut.sql
check "classic, cut just before the closing comment" 1 'dump complete" at the end\)$' cut.sql
n=$(wc -l <restrict.sql)
head -n $((n / 2)) restrict.sql >cut.sql
check "\\restrict, cut in the middle" 1 'dump complete" at the end\)$' cut.sql
grep -v '^\\unrestrict ' restrict.sql >cut.sql
check "\\restrict, cut before \\unrestrict" 1 '^FAIL db.sql.gz: pg_dump script is incomplete \(no \\unrestrict line after \\restrict\)$' cut.sql
sed 's/^\\unrestrict .*/\\unrestrict OtherKey/' restrict.sql >cut.sql
check "\\unrestrict with another key" 1 'differs from its \\restrict key$' cut.sql
{ cat classic.sql; echo "DROP TABLE bk_verify_t;"; } >cut.sql
check "a statement after the end" 1 'data after its last line$' cut.sql

# The recipe: pg_dump | bk-gz | bk-crypt, then bk-manifest add.
mkdir -p tree/daily
bk-crypt --keygen -o key.txt 2>/dev/null
pg_dump -Fp -t bk_verify_t | bk-gz | bk-crypt -r "$(bk-crypt -y -i key.txt)" -o tree/daily/db.sql.gz.age &&
    (cd tree && bk-manifest add -t daily daily/db.sql.gz.age) >/dev/null 2>&1 || fail "the recipe"
exits "the recipe's output verifies with the key" 0 bk-verify -v -i key.txt -m tree/manifest.jsonl
like "...through every layer" "$T/out" '^OK daily/db.sql.gz.age \(pg_dump gzip age\)$'
exits "...and without the key, its header" 0 bk-verify -m tree/manifest.jsonl
like "...saying so" "$T/out" '^OK daily/db.sql.gz.age \(age not decrypted: no identity\)$'

psql -qX -c 'DROP TABLE bk_verify_t' >/dev/null 2>&1
done_testing
