#!/bin/sh
# bk-restore's guards on PostgreSQL: a damaged backup is refused before
# the database is touched; a file that changes between the verification
# and the restore, or a bk-restore killed half way, never commits; psql,
# pg_dump and the server failing give their exit codes, and nothing
# changes.  Fake psql and pg_dump programs, first in PATH, make the
# failures happen on cue.
. "$(dirname "$0")/lib.sh"
need_pg
need pg_dump createdb dropdb sqlite3 gzip sha256sum

P=r0902
cleanup() { dropdb --if-exists ${P}_src 2>/dev/null; dropdb --if-exists ${P}_t 2>/dev/null; }
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT
PSQL=$(command -v psql)
PGDUMP=$(command -v pg_dump)

state() { pg_dump -Fp "$1" | grep -v '^\\\(un\)\{0,1\}restrict '; }
# untouched NAME: the target as saved, no safety backup made, the
# manifest as saved.
untouched() {
	state ${P}_t >t.now
	if cmp -s t.now t.saved && cmp -s manifest.jsonl manifest.saved &&
	    [ -z "$(ls pre-restore 2>/dev/null)" ]; then pass "$1: nothing changed"
	else fail "$1: nothing changed"; diff t.saved t.now | head -5 | sed 's/^/#   /'
		ls pre-restore 2>/dev/null | sed 's/^/#   made: /'; fi
}
# fake NAME BODY: a program NAME in ./fake running the shell BODY.
fake() {
	mkdir -p fake
	printf '#!/bin/sh\n%s\n' "$2" >fake/$1
	chmod 755 fake/$1
}

createdb ${P}_src
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_src <<'SQL' || { fail "create the source"; exit 1; }
CREATE TABLE linhas (id int PRIMARY KEY, texto text);
INSERT INTO linhas SELECT i, 'linha ' || i || ' ' || md5(i::text)
    FROM generate_series(1, 30000) i;
SQL
pg_dump -Fp ${P}_src >big.sql
gzip -c big.sql >big.sql.gz
bk-manifest add -T daily big.sql big.sql.gz
createdb ${P}_t
psql -Xq -d ${P}_t -c "CREATE TABLE marca (x text); INSERT INTO marca VALUES ('antes')"
state ${P}_t >t.saved
cp manifest.jsonl manifest.saved

# ---- damaged backups: refused before anything is touched ----
cp big.sql.gz altered.sql.gz; bk-manifest add altered.sql.gz
flip altered.sql.gz 2000
cp manifest.jsonl manifest.saved
errline "an altered backup" 1 \
    '^bk-restore: error: could not restore "altered.sql.gz": sha256 does not match the manifest \(.*\)$' \
    bk-restore --yes --clean -D ${P}_t altered.sql.gz
untouched "altered"
head -c 300000 big.sql >cut.sql; bk-manifest add --incomplete cut.sql 2>/dev/null
sed '/^\\unrestrict /d' big.sql >nounres.sql; bk-manifest add --incomplete nounres.sql 2>/dev/null
head -c 100000 big.sql.gz >cut.sql.gz; manifest_line cut.sql.gz >>manifest.jsonl
sqlite3 app.db "CREATE TABLE x(a); INSERT INTO x VALUES (1)"; bk-manifest add app.db
cp manifest.jsonl manifest.saved
errline "a truncated script, recorded as such" 65 \
    '"cut.sql": pg_dump script is incomplete \(no "-- PostgreSQL database dump complete" at the end\)$' \
    bk-restore --yes --clean -D ${P}_t cut.sql
untouched "truncated script"
if grep -q '^\\restrict ' big.sql; then
	errline "a script cut before \\unrestrict" 65 \
	    '"nounres.sql": pg_dump script is incomplete \(no \\unrestrict line matching its \\restrict\)$' \
	    bk-restore --yes --clean -D ${P}_t nounres.sql
	untouched "no \\unrestrict"
else
	skip "pg_dump older than the 2025 minor releases"
	skip "pg_dump older than the 2025 minor releases"
fi
errline "a truncated gzip" 65 '"cut.sql.gz": truncated gzip input at byte 100000$' \
    bk-restore --yes --clean -D ${P}_t cut.sql.gz
untouched "truncated gzip"
errline "an SQLite database for PostgreSQL" 65 \
    '"app.db": it holds an SQLite database, and the target is PostgreSQL \(use -D sqlite:PATH\)$' \
    bk-restore --yes --clean -D ${P}_t app.db
untouched "SQLite for PostgreSQL"

# ---- the server ----
errline "no server there" 69 '^bk-restore: error: could not connect to the database: .*/nonexistent' \
    bk-restore --yes -D "host=/nonexistent dbname=x" big.sql
errline "no such database" 69 'could not connect to the database: .*database "nosuch_r0902" does not exist' \
    bk-restore --yes -D nosuch_r0902 big.sql
# A psql session holds the restore lock and runs bk-restore meanwhile.
"$PSQL" -Xq -d ${P}_t -c 'SELECT pg_advisory_lock(7451038360)' \
    -c "\\! bk-restore --yes -D ${P}_t big.sql >'$T/out' 2>'$T/err'; echo \$? >'$T/rc'" >/dev/null
is "another restore holds the database: 75" "$(cat rc)" 75
like "... and says so" err "^bk-restore: error: another bk-restore is restoring into PostgreSQL database \"${P}_t\""
untouched "lock"

# ---- psql and pg_dump failing ----
errline "no psql" 69 "could not restore \"big.sql\" into .*: could not run psql: No such file or directory; nothing was changed" \
    env PATH="$BUILD/bin" bk-restore -q --yes --no-safety-backup -D ${P}_t big.sql
untouched "no psql"
like "... logged" restore.log '"result":"fail".*"reason":"could not run psql: No such file or directory"' 
errline "no pg_dump for the safety backup" 69 \
    "could not make the safety backup of PostgreSQL database \"${P}_t\" .*: could not run pg_dump: No such file or directory; nothing was changed$" \
    env PATH="$BUILD/bin" bk-restore --yes -D ${P}_t big.sql
untouched "no pg_dump"
like "... logged" restore.log '"result":"fail".*"reason":"could not make the safety backup: could not run pg_dump: No such file or directory"' 
fake pg_dump 'echo "pg_dump: error: query failed: ERROR:  permission denied for table marca" >&2; exit 1'
errline "pg_dump refused" 77 \
    'could not make the safety backup of .*: pg_dump: error: query failed: ERROR: permission denied for table marca; nothing was changed$' \
    env PATH="$T/fake:$PATH" bk-restore --yes -D ${P}_t big.sql
untouched "pg_dump refused"
rm fake/pg_dump
fake psql 'kill -9 $$'
errline "psql killed" 70 'could not restore "big.sql" into .*: psql was killed by signal 9; nothing was changed \(rolled back\); the safety backup is "pre-restore/' \
    env PATH="$T/fake:$PATH" bk-restore --yes --clean -D ${P}_t big.sql
state ${P}_t >t.now
same "... the database is as before" t.now t.saved
fake psql 'echo "psql: error: connection to server was lost" >&2; exit 2'
errline "psql lost the server" 69 ': psql: error: connection to server was lost; nothing was changed \(rolled back\)' \
    env PATH="$T/fake:$PATH" bk-restore -q --yes --no-safety-backup --clean -D ${P}_t big.sql
state ${P}_t >t.now
same "... the database is as before" t.now t.saved

# A server that speaks Portuguese: the error is psql's last "psql:" line,
# not the lines of context after it.
fake psql 'cat >/dev/null; printf "%s\n" "psql:<stdin>:3: NOTA:  tabela \"x\" não existe, ignorando" "psql:<stdin>:12: ERRO:  relação \"marca\" já existe" "DETALHE:  linha de contexto" "CONTEXTO:  outra" >&2; exit 3'
errline "psql's error in another language" 65 \
    ': psql:<stdin>:12: ERRO: relação "marca" já existe; nothing was changed \(rolled back\)$' \
    env PATH="$T/fake:$PATH" bk-restore -q --yes --no-safety-backup -D ${P}_t big.sql

# ---- the file changes after the verification ----
# psql starts, then (while bk-restore waits for it to read the first
# 64 KiB) a byte far into the file changes; the real psql then reads it
# all.  The second pass hashes again: no COMMIT is sent.
cp big.sql big.orig
size=$(stat -c %s big.sql)
fake psql "printf x | dd of='$T/big.sql' bs=1 seek=$((size - 200000)) conv=notrunc 2>/dev/null
exec '$PSQL' \"\$@\""
errline "the file changes between verification and restore" 1 \
    'could not restore "big.sql" into .*: the file changed after it was verified \(sha256 differs\); nothing was changed \(rolled back\); the safety backup is' \
    env PATH="$T/fake:$PATH" bk-restore --yes --clean -D ${P}_t big.sql
state ${P}_t >t.now
same "... no COMMIT: the database is as before" t.now t.saved
like "... logged" restore.log '"result":"fail".*"reason":"the file changed after it was verified'
cp big.orig big.sql

# ---- bk-restore killed half way ----
# The psql that bk-restore starts kills it, then reads what it was sent
# up to the end of its input.  With psql --single-transaction that end
# would commit half a restore; here no COMMIT was sent, so the server
# rolls back.
fake psql "kill -9 \$PPID
'$PSQL' \"\$@\" >/dev/null 2>&1; echo \$? >'$T/psql.rc'"
rm -f psql.rc
env PATH="$T/fake:$PATH" bk-restore --yes --clean -D ${P}_t big.sql >/dev/null 2>&1
is "bk-restore was killed" "$?" 137
wait_until test -s psql.rc
is "... psql read its input to the end and stopped" "$(cat psql.rc 2>/dev/null)" 0
state ${P}_t >t.now
same "... the database is as before" t.now t.saved
is "... its rows are all there" "$(psql -XAt -d ${P}_t -c 'SELECT x FROM marca')" antes
rm -f fake/psql

# ---- psql that stops early with status 0 never counts as a restore ----
printf -- '--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE q1 (a int);\n\\q\nCREATE TABLE q2 (a int);\n\n--\n-- PostgreSQL database dump complete\n--\n\n' >quit.sql
bk-manifest add quit.sql
errline "a script that quits half way" 65 \
    'could not restore "quit.sql" into .*: psql:<stdin>:6: error: backslash commands are restricted; only \\unrestrict is allowed; nothing was changed \(rolled back\)$' \
    bk-restore -q --yes --no-safety-backup -D ${P}_t quit.sql
is "... its first table was rolled back" \
    "$(psql -XAt -d ${P}_t -c "SELECT count(*) FROM pg_tables WHERE tablename IN ('q1', 'q2')")" 0

# ---- a password in -d reaches psql and pg_dump, not their command line ----
fake psql "printf '%s\\n' \"\$*\" >'$T/psql.argv'; printf '%s\\n' \"\${PGPASSWORD-}\" >'$T/psql.pw'
exec '$PSQL' \"\$@\""
fake pg_dump "printf '%s\\n' \"\$*\" >'$T/pg_dump.argv'; printf '%s\\n' \"\${PGPASSWORD-}\" >'$T/pg_dump.pw'
exec '$PGDUMP' \"\$@\""
run env PATH="$T/fake:$PATH" bk-restore --yes --clean -D "dbname=${P}_t password=hunter2" big.sql
is "a restore with a password in -d" "$rc" 0
like "psql gets -d without it" psql.argv "--dbname=dbname=${P}_t( |$)"
unlike "... nowhere on its command line" psql.argv hunter2
is "... but in PGPASSWORD" "$(cat psql.pw)" hunter2
like "pg_dump gets -d without it" pg_dump.argv "--dbname=dbname=${P}_t( |$)"
unlike "... nowhere on its command line" pg_dump.argv hunter2
is "... but in PGPASSWORD" "$(cat pg_dump.pw)" hunter2
run env PATH="$T/fake:$PATH" bk-restore --yes --clean -D ${P}_t big.sql
is "a database name alone" "$rc" 0
like "... is psql's --dbname" psql.argv "--dbname=${P}_t( |$)"
is "... no PGPASSWORD made up" "$(cat psql.pw)" ""
rm -f fake/psql fake/pg_dump

# And the same backup, unharmed, restores.
run bk-restore --yes --clean -D ${P}_t big.sql
is "the backup itself restores" "$rc" 0
state ${P}_t >t.now; state ${P}_src >src.state
same "... completely" t.now src.state
done_testing
