#!/bin/sh
# bk-restore into the harness's PostgreSQL: the round trip pg_dump ->
# bk-gz -> bk-crypt -> bk-manifest add -> bk-restore (and through bk-zstd
# or zstd instead of bk-gz), a script that fails
# in the middle (the target stays exactly as it was, the safety backup
# stays), --clean, undoing a restore, the pre-migration rollback, and
# pg_dump's BEGIN;/COMMIT; around large objects.
. "$(dirname "$0")/lib.sh"
need_pg
need pg_dump createdb dropdb

P=r0901
DBS="${P}_src ${P}_a ${P}_b ${P}_c ${P}_d ${P}_t ${P}_t2 ${P}_m ${P}_fc ${P}_fc2 ${P}_ft
    ${P}_z ${P}_zc ${P}_zb"
cleanup() { for d in $DBS; do dropdb --if-exists "$d" 2>/dev/null; done; }
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT

# state DB: the database as pg_dump sees it (the \restrict keys differ).
state() { pg_dump -Fp "$1" | grep -v '^\\\(un\)\{0,1\}restrict '; }
# answers DB: what an application would read.
answers() {
	psql -XAt -d "$1" -c 'SELECT count(*), sum(valor) FROM pagamentos' \
	    -c 'SELECT * FROM totais ORDER BY 1 LIMIT 5' \
	    -c "SELECT nome, criado FROM clientes WHERE id IN (1, 150, 300) ORDER BY id" \
	    -c 'SELECT convert_from(lo_get(oid), $$UTF8$$) FROM pg_largeobject_metadata' \
	    -c 'SELECT total(7)' -c 'SELECT count(*) FROM arquivo.velho'
}
# tables DB: the user tables, one a line.
tables() {
	psql -XAt -d "$1" -c "SELECT schemaname || '.' || tablename FROM pg_tables
	    WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
}
los() { psql -XAt -d "$1" -c 'SELECT count(*) FROM pg_largeobject_metadata'; }
# marked DB: a copy of the source with a table of its own, its state
# saved in DB.state.
marked() {
	createdb -T ${P}_src "$1"
	psql -Xq -d "$1" -c "CREATE TABLE marca (x text); INSERT INTO marca VALUES ('$1')"
	state "$1" >"$1.state"
}
nlines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

createdb ${P}_src
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_src >/dev/null <<'SQL' || { fail "create the source"; exit 1; }
CREATE TABLE clientes (id serial PRIMARY KEY, nome text NOT NULL, criado date);
CREATE TABLE pagamentos (id serial PRIMARY KEY,
    cliente int NOT NULL REFERENCES clientes, valor numeric(10,2), obs text);
INSERT INTO clientes (nome, criado)
    SELECT 'Cliente ' || i || ' Conceição', date '2024-09-01' + i
    FROM generate_series(1, 300) i;
INSERT INTO pagamentos (cliente, valor, obs)
    SELECT 1 + i % 300, i * 1.25,
    CASE WHEN i % 7 = 0 THEN E'linha\ncom quebra\ttab' ELSE 'ok' END
    FROM generate_series(1, 2000) i;
CREATE VIEW totais AS SELECT cliente, sum(valor) AS soma FROM pagamentos GROUP BY cliente;
CREATE FUNCTION total(c int) RETURNS numeric LANGUAGE sql
    AS $$ SELECT sum(valor) FROM pagamentos WHERE cliente = c $$;
CREATE SCHEMA arquivo;
CREATE TABLE arquivo.velho (x int);
INSERT INTO arquivo.velho VALUES (1), (2);
COMMENT ON TABLE clientes IS 'os clientes';
SELECT lo_from_bytea(0, convert_to('recibo nº 1', 'UTF8'));
SQL
state ${P}_src >src.state
answers ${P}_src >src.answers

# ---- the round trip, as the recipes make backups ----
mkdir daily
bk-crypt --keygen -o key.txt 2>/dev/null
f=daily/src_20250627_020000.sql.gz.age
pg_dump -Fp ${P}_src | bk-gz | bk-crypt -r "$(bk-crypt -y -i key.txt)" -o $f
ok "the pipeline made a backup" test -s $f
ok "bk-manifest add records it" bk-manifest add -T daily $f
createdb ${P}_a
run bk-restore --yes -i key.txt -D "dbname=${P}_a password=hunter2" $f
is "restore into a new database" "$rc" 0
empty "... silently" err
answers ${P}_a >a.answers
same "... psql reads what the source holds" a.answers src.answers
state ${P}_a >a.state
same "... pg_dump sees the same database" a.state src.state
unlike "no password in the manifest" manifest.jsonl hunter2
unlike "no password in the log" restore.log hunter2
safety=$(ls pre-restore/${P}_a_*.sql.gz)
ok "a safety backup was made" test -s "$safety"
is "... mode 0600" "$(mode "$safety")" 600
like "... recorded as pre-restore" manifest.jsonl \
    "\"path\":\"$safety\",.*\"type\":\"pre-restore\",.*\"layers\":\\[\"pg_dump\",\"gzip\"\\],\"complete\":true,\"description\":\"before restoring $f\""
like "... with its source, no password" manifest.jsonl \
    "\"path\":\"$safety\",.*\"source\":\"dbname=${P}_a host=[^ ]* port=[0-9]+ user=[^ \"]*\""
gzip -t "$safety" && pass "... gzip reads it" || fail "... gzip reads it"
like "the log has the restore" restore.log \
    "^\\{\"path\":\"$f\",\"created\":\"[^\"]+\",\"result\":\"ok\",\"target\":\"dbname=${P}_a host=.*\",\"sha256\":\"[0-9a-f]{64}\",\"safety_backup\":\"$safety\",\"seconds\":[0-9]+,\"created_by\":\"[^\"]+\"\\}$"
is "... mode 0600" "$(mode restore.log)" 600
run bk-verify -q -i key.txt
is "bk-verify passes on the tree afterwards" "$rc" 0
empty "... no FAIL line" out

# ---- pg_dump's custom format (-Fc): the same round trip ----
fc=daily/src_20250627_030000.dump.gz.age
pg_dump -Fc ${P}_src | bk-gz | bk-crypt -r "$(bk-crypt -y -i key.txt)" -o $fc
ok "bk-manifest add records a custom archive" bk-manifest add -T daily $fc
createdb ${P}_fc
run bk-restore --yes -i key.txt -D ${P}_fc $fc
is "a custom archive restores into a new database" "$rc" 0
answers ${P}_fc >fc.answers
same "... psql reads what the source holds (large object too)" fc.answers src.answers
state ${P}_fc >fc.state
same "... pg_dump sees the same database" fc.state src.state
like "... logged ok" restore.log "\"path\":\"$fc\",.*\"result\":\"ok\""
ft=daily/src_20250627_040000.tar.gz
pg_dump -Ft ${P}_src | bk-gz -o $ft
ok "bk-manifest add records a tar archive" bk-manifest add -T daily $ft
like "... as pg_dump-tar inside gzip" manifest.jsonl "\"path\":\"$ft\".*\"layers\":\\[\"pg_dump-tar\",\"gzip\"\\],\"complete\":true"
createdb ${P}_ft
run bk-restore --yes -D ${P}_ft $ft
is "a tar archive restores into a new database" "$rc" 0
answers ${P}_ft >ft.answers
same "... psql reads what the source holds" ft.answers src.answers
# Into a database that holds a table of its own: all or nothing there too.
marked ${P}_fc2
run bk-restore --yes -i key.txt -D ${P}_fc2 $fc
is "a custom archive into a database that is not empty: 65" "$rc" 65
like "... the server's reason" err 'already exists .*nothing was changed \(rolled back\)'
state ${P}_fc2 >fc2.now
same "... the target as it was" fc2.now ${P}_fc2.state

# ---- through zstd: a script and a custom archive ----
fz=daily/src_20250627_050000.sql.zst
pg_dump -Fp ${P}_src | bk-zstd -o $fz
ok "bk-manifest add records a dump through bk-zstd" bk-manifest add -T daily $fz
like "... as pg_dump inside zstd" manifest.jsonl "\"path\":\"$fz\".*\"layers\":\\[\"pg_dump\",\"zstd\"\\],\"complete\":true"
createdb ${P}_z
run bk-restore --yes -D ${P}_z $fz
is "a .sql.zst restores into a new database" "$rc" 0
answers ${P}_z >z.answers
same "... psql reads what the source holds" z.answers src.answers
state ${P}_z >z.state
same "... pg_dump sees the same database" z.state src.state
if command -v zstd >/dev/null; then
	fzc=daily/src_20250627_060000.dump.zst.age
	pg_dump -Fc -Z0 ${P}_src | zstd -q -T2 -9 |
	    bk-crypt -r "$(bk-crypt -y -i key.txt)" -o $fzc
	run bk-manifest add -T daily $fzc
	is "bk-manifest add records a custom archive from zstd, encrypted" "$rc" 0
	empty "... without a warning: bk-crypt recorded the plaintext" err
	like "... its layers, as bk-crypt saw them inside" manifest.jsonl \
	    "\"path\":\"$fzc\".*\"layers\":\\[\"pg_dump-custom\",\"zstd\",\"age\"\\],\"complete\":true"
	createdb ${P}_zc
	run bk-restore --yes -i key.txt -D ${P}_zc $fzc
	is "a .dump.zst.age restores into a new database" "$rc" 0
	answers ${P}_zc >zc.answers
	same "... psql reads what the source holds (large object too)" zc.answers src.answers
	run bk-verify -v -i key.txt $fz $fzc
	is "bk-verify passes both" "$rc" 0
	like "... the script, read whole through zstd" out \
	    "^OK $fz \\(pg_dump zstd\\)\$"
	like "... the archive, decrypted and read whole by pg_restore" out \
	    "^OK $fzc \\(pg_dump-custom zstd age\\)\$"
else for i in 1 2 3 4 5 6 7 8; do skip "no zstd"; done; fi
# A damaged zstd backup, its manifest line made for the damaged bytes:
# the layer's reason, and nothing touched.
fzb=daily/src_20250627_070000.sql.zst
pg_dump -Fp ${P}_src | bk-zstd >$fzb
flip $fzb -2
manifest_line $fzb 2025-06-27T07:00:00Z >>manifest.jsonl
marked ${P}_zb
errline "a damaged .sql.zst is refused" 65 \
    "could not restore \"$fzb\": bad checksum in frame ending at byte $(wc -c <$fzb)\$" \
    bk-restore --yes --clean -D ${P}_zb $fzb
state ${P}_zb >zb.now
same "... the target as it was" zb.now ${P}_zb.state

# ---- not empty, no --clean: refused by the server, rolled back ----
marked ${P}_b
n0=$(nlines manifest.jsonl)
errline "a database that is not empty" 65 \
    "could not restore \"$f\" into PostgreSQL database \"${P}_b\" .*: psql:<stdin>:[0-9]+: ERROR: .* already exists \(the database is not empty: --clean empties it first, in the same transaction\); nothing was changed \(rolled back\); the safety backup is \"pre-restore/${P}_b_[0-9_-]+\.sql\.gz\"$" \
    bk-restore --yes -i key.txt -D ${P}_b $f
state ${P}_b >b.after
same "... left exactly as it was" b.after ${P}_b.state
named=$(sed -n 's/.*the safety backup is "\(.*\)"$/\1/p' err)
ok "... the safety backup it names exists" test -s "$named"
is "... and is in the manifest" "$(nlines manifest.jsonl)" $((n0 + 1))
like "... the log says why" restore.log "\"result\":\"fail\".*\"reason\":\"psql:<stdin>:[0-9]+: ERROR: .*already exists"

# ---- --clean: exactly the dump, whatever was there ----
run bk-restore --yes --clean -i key.txt -D ${P}_b $f
is "--clean restores over a full database" "$rc" 0
state ${P}_b >b.clean
same "... which becomes the source" b.clean src.state
is "... the extra table is gone" "$(tables ${P}_b | grep -c marca)" 0
like "... logged with clean" restore.log '"result":"ok".*"clean":true'
undo=$(sed -n "s/.*\"safety_backup\":\"\\([^\"]*\\)\".*\"clean\":true.*/\\1/p" restore.log | tail -1)
ok "... after a safety backup" test -s "$undo"

# ---- undo: restore the safety backup ----
run bk-restore --yes --clean -D ${P}_b "$undo"
is "the safety backup restores" "$rc" 0
state ${P}_b >b.undone
same "... and the database is as before the restore" b.undone ${P}_b.state

# ---- a script that fails half way, after the large objects ----
# pg_dump writes BEGIN;/COMMIT; around large objects: the COMMIT must not
# end the restore's transaction, or the first half would stay.
pg_dump -Fp ${P}_src | awk '
    /^-- Name: .* Type: (FK )?CONSTRAINT;/ && !done { print "SELECT 1/0;"; print ""; done = 1 }
    { print }' | bk-gz >daily/broken.sql.gz
grep -q '^BEGIN;$' "$(pg_dump -Fp ${P}_src >plain.sql && echo plain.sql)" &&
    pass "the dump has pg_dump's BEGIN; for its large object" ||
    fail "the dump has pg_dump's BEGIN; for its large object"
bk-manifest add daily/broken.sql.gz
marked ${P}_c
n0=$(nlines restore.log)
errline "an error in the middle, with --clean" 65 \
    "could not restore \"daily/broken.sql.gz\" into .*: psql:<stdin>:[0-9]+: ERROR: division by zero; nothing was changed \(rolled back\); the safety backup is \"pre-restore/${P}_c_[0-9_-]+\.sql\.gz\"$" \
    bk-restore --yes --clean -D ${P}_c daily/broken.sql.gz
state ${P}_c >c.after
same "... the target is exactly as before (the clean rolled back too)" c.after ${P}_c.state
is "... its large object is still there" "$(los ${P}_c)" 1
named=$(sed -n 's/.*the safety backup is "\(.*\)"$/\1/p' err)
ok "... the safety backup stays" test -s "$named"
is "... one log line" "$(nlines restore.log)" $((n0 + 1))
line=$(sed -n 's/.*"path":"daily\/broken.sql.gz".*"reason":"\([^"]*\)".*/\1/p' restore.log)
want=$(sed -n '/^SELECT 1\/0;$/=' "$(gzip -dc daily/broken.sql.gz >broken.sql && echo broken.sql)")
like "... psql's line number points into the decoded script" restore.log \
    "\"reason\":\"psql:<stdin>:$want: ERROR: division by zero\""
createdb ${P}_d
errline "an error in the middle, into an empty database" 65 'division by zero; nothing was changed' \
    bk-restore -q --yes --no-safety-backup -D ${P}_d daily/broken.sql.gz
is "... no table stays" "$(tables ${P}_d | wc -l | tr -d ' ')" 0
is "... no large object stays" "$(los ${P}_d)" 0

# ---- the filter leaves BEGIN;/COMMIT; alone where they are data ----
createdb ${P}_t
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_t >/dev/null <<'SQL'
CREATE TABLE words (w text);
INSERT INTO words VALUES ('COMMIT;'), ('BEGIN;'), (E'x\nCOMMIT;'), ('\.'), ('END;');
CREATE TABLE "COPY x FROM stdin" (a int);
INSERT INTO "COPY x FROM stdin" VALUES (1);
CREATE TABLE "two
COMMIT;
lines" ("BEGIN;" text DEFAULT 'x
BEGIN;
y');
INSERT INTO "two
COMMIT;
lines" VALUES (DEFAULT);
CREATE PROCEDURE p() LANGUAGE plpgsql AS $body$
BEGIN
INSERT INTO words VALUES ('in p');
COMMIT;
END
$body$;
CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'it''s
COMMIT;
$x$' $$;
CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $q$ SELECT E'\'
BEGIN;
' $q$;
COMMENT ON TABLE words IS 'a
BEGIN;
comment';
/* a comment
COMMIT;
*/
SELECT lo_from_bytea(4242, 'blob');
SQL
pg_dump -Fp ${P}_t >trick.sql
ok "the script has COMMIT; lines that are data" test "$(grep -c '^COMMIT;$' trick.sql)" -ge 3
bk-manifest add trick.sql
createdb ${P}_t2
run bk-restore --yes -D ${P}_t2 trick.sql
is "a script with BEGIN;/COMMIT; in bodies, strings and rows restores" "$rc" 0
state ${P}_t >t.state; state ${P}_t2 >t2.state
same "... unchanged" t2.state t.state
is "... the procedure still commits" \
    "$(psql -XAt -d ${P}_t2 -c "SELECT prosrc ~ E'\nCOMMIT;\n' FROM pg_proc WHERE proname = 'p'")" t

# ---- the pre-migration rollback (bk(7), recipe 4) ----
createdb -T ${P}_src ${P}_m
mkdir pre-migration
m=pre-migration/m_20250627_100000.sql.gz
pg_dump -Fp ${P}_m | bk-gz -o $m
bk-manifest add -T pre-migration --description "before 0042" $m
state ${P}_m >m.state
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_m >/dev/null 2>&1 <<'SQL'
ALTER TABLE clientes ADD COLUMN email text;
CREATE TABLE nova (x int REFERENCES clientes);
INSERT INTO pagamentos (cliente, valor) VALUES (1, 99);
SELECT 1/0;
SQL
is "the migration failed half way" "$?" 3
state ${P}_m >m.half
cmp -s m.half m.state && fail "... and changed the database" ||
    pass "... and changed the database"
run bk-restore --yes --clean -D ${P}_m $m
is "bk-restore --clean rolls it back" "$rc" 0
state ${P}_m >m.back
same "... to the exact state before the migration" m.back m.state
done_testing
