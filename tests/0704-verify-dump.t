#!/bin/sh
# bk-verify on what bk-dump writes from SQLite (seed 001's exports): CSV,
# JSON Lines and SQL, plain and through bk-gz and bk-crypt, and the
# consistent copy of the database file.
. "$(dirname "$0")/lib.sh"
need sqlite3
command -v bk-dump >/dev/null 2>&1 || skip_all "bk-dump not built"

sqlite3 app.db "create table c(id integer primary key, name text, note text);
    insert into c values (1, 'Ana, Ltda', 'x\"y'), (2, 'Bob', 'linha1
linha2'), (3, 'Cid', null);
    with recursive n(x) as (select 4 union all select x + 1 from n where x < 500)
    insert into c select x, 'Cliente ' || x, 'nota ' || x from n;"
mkdir -p tree/manual
bk-crypt --keygen -o key.txt 2>/dev/null
for f in csv jsonl sql; do
	bk-dump -q -D sqlite:app.db -F $f --table c -o tree/manual/c.$f || fail "bk-dump -F $f"
	bk-dump -q -D sqlite:app.db -F $f --table c | bk-gz >tree/manual/c.$f.gz
	bk-dump -q -D sqlite:app.db -F $f --table c | bk-gz |
	    bk-crypt -r "$(bk-crypt -y -i key.txt)" -o tree/manual/c.$f.gz.age
done
bk-dump -q -D sqlite:app.db -F sqlite -o tree/manual/app.sqlite || fail "bk-dump -F sqlite"
(cd tree && bk-manifest add manual/*) >/dev/null 2>&1 || fail "bk-manifest add"
# The counts file the man pages' example writes beside its export is no
# backup: the tree still verifies with it there.
bk-dump -q -D sqlite:app.db --table c --counts tree/manual/c.counts -o tree/manual/counted.csv
(cd tree && bk-manifest add manual/counted.csv) >/dev/null 2>&1 || fail "bk-manifest add counted.csv"

cat >want <<'EOF2'
OK manual/app.sqlite (sqlite)
OK manual/c.csv (csv, 500 records)
OK manual/c.csv.gz (csv gzip, 500 records)
OK manual/c.csv.gz.age (csv gzip age, 500 records)
OK manual/c.jsonl (jsonl, 500 records)
OK manual/c.jsonl.gz (jsonl gzip, 500 records)
OK manual/c.jsonl.gz.age (jsonl gzip age, 500 records)
OK manual/c.sql (sql)
OK manual/c.sql.gz (sql gzip)
OK manual/c.sql.gz.age (sql gzip age)
OK manual/counted.csv (csv, 500 records)
EOF2
exits "bk-dump's outputs verify" 0 bk-verify -v -i key.txt -m tree/manifest.jsonl
LC_ALL=C sort "$T/out" >got
same "...every layer down to the content" got want
exits "...and sqlite3 agrees on the copy" 0 sqlite3 tree/manual/app.sqlite 'pragma integrity_check'
done_testing
