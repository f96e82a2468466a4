#!/bin/sh
# bk(7) recipe 4: examples/pg-migrate.sh against the harness's PostgreSQL.
# create, a migration that changes the schema and the data, rollback: the
# database's pg_dump is then the one from before create, byte for byte;
# complete; status; two creates at once, the first held inside pg_dump by
# a table lock: exactly one runs, the other exits 75; one migration open
# at a time; bad inputs, each with its code and one line; a failed
# bk-manifest add; rollback into the database and server of the backup
# alone; the idiom of the header and of bk(7), run as written (an ID
# already open rolls nothing back); what rollback leaves as documented
# (the database's own settings and comment); -R and -i.
. "$(dirname "$0")/lib.sh"
need_pg
need bash flock pg_dump createdb dropdb shellcheck age age-keygen gzip

ex=$TOP/examples
P=s1404
db=${P}_db
mig=$ex/pg-migrate.sh
ts='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z pg-migrate\.sh: '
cleanup() {
	dropdb --if-exists $db 2>/dev/null
	dropdb --if-exists ${P}_gone 2>/dev/null
	dropdb --if-exists ${P}_other 2>/dev/null
}
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT

ok "pg-migrate.sh is shellcheck-clean" shellcheck -x "$mig"

createdb $db
psql -Xq -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL' || { fail "create the database"; exit 1; }
CREATE TABLE clientes (id serial PRIMARY KEY, nome text NOT NULL);
CREATE TABLE pagamentos (id serial PRIMARY KEY,
    cliente_id int REFERENCES clientes, valor numeric(10,2));
INSERT INTO clientes (nome) SELECT 'Cliente ' || i FROM generate_series(1, 50) i;
INSERT INTO pagamentos (cliente_id, valor)
    SELECT i % 50 + 1, i * 2.5 FROM generate_series(1, 400) i;
CREATE VIEW grandes AS SELECT * FROM pagamentos WHERE valor > 500;
CREATE INDEX pagamentos_valor ON pagamentos (valor);
CREATE FUNCTION total(int) RETURNS numeric LANGUAGE sql
    AS 'SELECT sum(valor) FROM pagamentos WHERE cliente_id = $1';
COMMENT ON TABLE clientes IS 'os clientes';
SQL
# snapshot FILE: the database as pg_dump sees it, without the random key
# of the \restrict lines that pg_dump writes anew each time.
snapshot() { pg_dump -Fp $db | grep -Ev '^\\(un)?restrict ' >"$1"; }
q() { psql -XAt -d $db -c "$1"; }
snapshot before.sql
like "the snapshot holds the data" before.sql '^COPY public\.pagamentos '

run "$mig" -b tree status
is "status with no migration: exit 0" "$rc" 0
is "... the header alone" "$(cat out)" "$(printf 'ID\tSTATE\tCREATED\tCLOSED\tBACKUP\tDESCRIPTION')"

# ---- create, migrate, rollback ----
run "$mig" -d $db -b tree create v2.3.1 "Add user preferences"
is "create: exit 0" "$rc" 0
empty "... nothing on standard error" err
like "... says where the backup is" out \
    "${ts}migration v2\\.3\\.1 open: rollback restores tree/pre-migration/${db}_v2\\.3\\.1_[0-9]{8}_[0-9]{6}\\.sql\\.gz\$"
unlike "... every line with a timestamp" out "^([^0-9]|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z [^p])"
b1=$(ls tree/pre-migration/*)
bk-manifest -m tree/manifest.jsonl info -F json "$b1" >info
like "... recorded with type pre-migration" info '"type": "pre-migration"'
like "... the description" info '"description": "Add user preferences"'
like "... the migration's ID" info '"migration": "v2\.3\.1"'
like "... a complete pg_dump script" info '"complete": true'
run "$mig" -b tree status
like "status: v2.3.1 open" out \
    "^v2\\.3\\.1	open	[0-9-]{10}T[0-9:]{8}Z	-	${b1#tree/}	Add user preferences\$"

psql -Xq -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL' || fail "migrate"
ALTER TABLE clientes ADD COLUMN prefs jsonb DEFAULT '{}';
UPDATE clientes SET nome = upper(nome);
DELETE FROM pagamentos WHERE valor > 800;
DROP VIEW grandes;
CREATE SCHEMA prefs;
CREATE TABLE prefs.temas (id int PRIMARY KEY, nome text);
INSERT INTO prefs.temas VALUES (1, 'escuro');
SELECT setval('pagamentos_id_seq', 9000);
COMMENT ON TABLE clientes IS 'migrated';
SQL
snapshot migrated.sql
if cmp -s migrated.sql before.sql; then fail "the migration changed the database"
else pass "the migration changed the database"; fi

run "$mig" -d $db -b tree rollback v2.3.1
is "rollback: exit 0" "$rc" 0
empty "... nothing on standard error" err
like "... says so" out "${ts}migration v2\\.3\\.1 rolled back: $db is as it was at [0-9-]{10}T[0-9:]{8}Z\$"
snapshot after.sql
same "... pg_dump of the database is the one from before create" after.sql before.sql
is "... the migrated schema is gone" "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'prefs'")" 0
pre=$(ls tree/pre-restore/*)
ok "... bk-restore kept the migrated state first" test -f "$pre"
gzip -dc "$pre" >pre.sql
like "... which holds the migration's table" pre.sql '^CREATE TABLE prefs\.temas '
like "... recorded as pre-restore" tree/manifest.jsonl '"type":"pre-restore"'
run "$mig" -b tree status
like "status: v2.3.1 rolled back" out \
    "^v2\\.3\\.1	rolled-back	[0-9-]{10}T[0-9:]{8}Z	[0-9-]{10}T[0-9:]{8}Z	${b1#tree/}	Add user preferences\$"

errline "rollback of a closed migration: 65" 65 \
    "${ts}error: migration \"v2\\.3\\.1\" is closed \\(rolled-back at [0-9-]{10}T[0-9:]{8}Z\\)\$" \
    "$mig" -d $db -b tree rollback v2.3.1
errline "complete of a closed migration: 65" 65 \
    "${ts}error: migration \"v2\\.3\\.1\" is closed \\(rolled-back at " \
    "$mig" -b tree complete v2.3.1
same "... the database untouched" after.sql before.sql

# ---- the same ID again, completed ----
# Its backup's name has the second in it: once the clock has left that of
# the first backup (a rollback can take less than a second).
later() { [ "$(date +%Y%m%d_%H%M%S)" != "$(echo "$b1" | grep -Eo '[0-9]{8}_[0-9]{6}')" ]; }
ok "the clock has left the first backup's second" wait_until later
run "$mig" -d $db -b tree create v2.3.1 "Add user preferences, again"
is "a closed ID may be created again: exit 0" "$rc" 0
q "ALTER TABLE clientes ADD COLUMN prefs jsonb" >/dev/null
run "$mig" -b tree complete v2.3.1
is "complete: exit 0" "$rc" 0
like "... says so" out "${ts}migration v2\\.3\\.1 completed; its backup tree/pre-migration/${db}_v2\\.3\\.1_[0-9_]+\\.sql\\.gz stays\$"
is "... the migration stays" \
    "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name = 'prefs'")" 1
is "... both backups kept" "$(ls tree/pre-migration | wc -l)" 2
run "$mig" -b tree status
is "status: two lines and the header" "$(wc -l <out)" 3
like "... the first rolled back" out '^v2\.3\.1	rolled-back	.*	Add user preferences$'
like "... the second completed" out \
    '^v2\.3\.1	completed	[0-9-]{10}T[0-9:]{8}Z	[0-9-]{10}T[0-9:]{8}Z	pre-migration/.*	Add user preferences, again$'

# ---- two creates at once ----
# A session holds a table's ACCESS EXCLUSIVE lock: the first create's
# pg_dump waits for it, holding the migration lock, until it commits.
ok "a session locks a table" lock_table $db pagamentos
"$mig" -d $db -b tree create m1 "first" >c1.out 2>c1.err &
c1=$!
ok "the first create's pg_dump waits for it" wait_until dump_waits $db
errline "a second create at once: 75, in one line" 75 \
    "${ts}error: another pg-migrate\\.sh holds \"tree/migrate\\.lock\": not started\$" \
    "$mig" -d $db -b tree create m2 "second"
empty "... nothing on standard output" out
errline "... a rollback at once too" 75 'holds "tree/migrate\.lock": not started$' \
    "$mig" -d $db -b tree rollback m1
is "... no second pg_dump started" "$(q "SELECT count(*) FROM pg_stat_activity
    WHERE datname = '$db' AND application_name = 'pg_dump'")" 1
unlock_table
rc=0; wait $c1 || rc=$?
is "the first create then ends with 0" "$rc" 0
empty "... nothing on its standard error" c1.err
run "$mig" -b tree status
like "... m1 is open" out '^m1	open	'
unlike "... m2 is not" out '^m2	'
errline "another create while m1 is open: 75" 75 \
    "${ts}error: migration \"m1\" is open \\(since [0-9-]{10}T[0-9:]{8}Z\\): complete or roll it back first\$" \
    "$mig" -d $db -b tree create m2 "second"
errline "m1 again while open: 73" 73 \
    "${ts}error: migration \"m1\" is already open \\(since [0-9-]{10}T[0-9:]{8}Z\\)\$" \
    "$mig" -d $db -b tree create m1 "first again"
is "... no backup made by either" "$(ls tree/pre-migration | wc -l)" 3
exits "m1 completed" 0 "$mig" -b tree complete m1

# ---- bad inputs ----
usage "no command: 64" '^usage: pg-migrate\.sh ' "$mig" -b tree
usage "an unknown command: 64" '^usage: pg-migrate\.sh ' "$mig" -b tree start m
usage "create without a description: 64" '^usage: pg-migrate\.sh ' "$mig" -d $db -b tree create m
usage "complete with two IDs: 64" '^usage: pg-migrate\.sh ' "$mig" -b tree complete m n
usage "status with an argument: 64" '^usage: pg-migrate\.sh ' "$mig" -b tree status m
usage "a bad option: 64" '^usage: pg-migrate\.sh ' "$mig" -x status
long=$(printf 'a%.0s' $(seq 65))
while IFS='|' read -r name code re cmd id; do
	errline "$name: $code" "$code" "${ts}error: $re\$" \
	    env -u PGDATABASE "$mig" -d $db -b tree "$cmd" "$id" "a description"
done <<EOF
an empty ID|64|bad migration id ""|create|
an ID with a slash|64|bad migration id "\\.\\./x"|create|../x
an ID with a space|64|bad migration id "a b"|create|a b
an ID like an option|64|bad migration id "-f"|create|-f
an ID of 65 characters|64|bad migration id "$long"|create|$long
an ID not ASCII|64|bad migration id "migração"|create|migração
EOF
while IFS='|' read -r name code re cmd id; do
	errline "$name: $code" "$code" "${ts}error: $re\$" \
	    env -u PGDATABASE "$mig" -d $db -b tree "$cmd" "$id"
done <<EOF
complete, an unknown ID|66|no migration "nope"|complete|nope
rollback, an unknown ID|66|no migration "nope"|rollback|nope
rollback, a bad ID|64|bad migration id "a;b"|rollback|a;b
EOF
errline "an empty description: 64" 64 "${ts}error: no description\$" \
    "$mig" -d $db -b tree create m5 ""
errline "a description with a newline: 64" 64 "${ts}error: bad description: a control character\$" \
    "$mig" -d $db -b tree create m5 "two
lines"
errline "no database: 64" 64 "${ts}error: no database: -d or PGDATABASE\$" \
    env -u PGDATABASE "$mig" -b tree create m5 "x"
errline "a bad database name: 64" 64 "${ts}error: bad database name \"a b\"\$" \
    "$mig" -d "a b" -b tree create m5 "x"
errline "a database name like an option: 64" 64 "${ts}error: bad database name \"-fxout\"\$" \
    "$mig" -d -fxout -b tree create m5 "x"
errline "a missing database: 69" 69 \
    "${ts}error: could not connect to database \"${P}_none\": .*database \"${P}_none\" does not exist\$" \
    "$mig" -d ${P}_none -b tree create m5 "x"
mkdir nobin
for c in date psql bk-gz bk-manifest flock; do
	ln -s "$(command -v $c)" nobin/$c
done
errline "pg_dump missing: 69" 69 "${ts}error: pg_dump not found in PATH\$" \
    env PATH="$T/nobin" "$mig" -d $db -b tree create m5 "x"
errline "bk-restore missing for rollback: 69" 69 "${ts}error: bk-restore not found in PATH\$" \
    env PATH="$T/nobin" "$mig" -d $db -b tree rollback m5
mkdir -p locked/migrate.lock
errline "a lock file that cannot be opened: 73" 73 \
    "${ts}error: could not open the lock file \"locked/migrate\\.lock\"\$" \
    "$mig" -d $db -b locked create m5 "x"
is "nothing of them in the tree: no backup" "$(ls tree/pre-migration | wc -l)" 3
run "$mig" -b tree status
is "... no migration" "$(wc -l <out)" 4

# A backup gone, a database gone: the migration stays open.
exits "m6 created" 0 "$mig" -d $db -b tree create m6 "gone"
b6=$(ls tree/pre-migration/*_m6_*)
mv "$b6" m6.sql.gz
errline "rollback without the backup: 66" 66 \
    "${ts}error: the backup of migration \"m6\" is gone: \"tree/pre-migration/${db}_m6_[0-9_]+\\.sql\\.gz\"\$" \
    "$mig" -d $db -b tree rollback m6
run "$mig" -b tree status
like "... m6 still open" out '^m6	open	'
mv m6.sql.gz "$b6"
createdb ${P}_gone
exits "a migration of another database" 0 "$mig" -d ${P}_gone -b gone create g1 "x"
dropdb --force ${P}_gone
errline "rollback into a database that is gone: 69" 69 \
    "${ts}error: could not connect to database \"${P}_gone\": " \
    "$mig" -d ${P}_gone -b gone rollback g1
run "$mig" -b gone status
like "... g1 still open" out '^g1	open	'
exits "m6 rolled back" 0 "$mig" -d $db -b tree rollback m6

mkdir -p norec/manifest.jsonl
run "$mig" -d $db -b norec create n1 "x"
is "a bk-manifest add that fails: its status" "$rc" 73
like "... said" err "${ts}error: could not record norec/pre-migration/${db}_n1_[0-9_]+\\.sql\\.gz \\(exit 73\\): migration \"n1\" not opened\$"
is "... no file left at its final name" "$(ls -A norec/pre-migration | wc -l)" 0
ok "... nothing opened" test ! -e norec/migrations.log

# pg-backup.sh's tree lock, which its health check holds alone.
ok "the tree lock held" hold_lock tree/tree.lock
errline "create while it is: 75" 75 "${ts}error: \"tree/tree\\.lock\" still busy: not started\$" \
    env BK_TREE_WAIT=0 "$mig" -d $db -b tree create t1 "x"
release_lock
run "$mig" -b tree status
unlike "... nothing opened" out '^t1	'

# ---- rollback into the database and server of the backup alone ----
createdb ${P}_other
psql -Xq -d ${P}_other -c "CREATE TABLE outra (i int)" -c "INSERT INTO outra VALUES (1), (2)"
exits "h1 created" 0 "$mig" -d $db -b tree create h1 "h1"
q "ALTER TABLE clientes ADD COLUMN h1 int" >/dev/null
errline "rollback with -d another database: 64" 64 \
    "${ts}error: migration \"h1\" is of database \"$db\", not \"${P}_other\"\$" \
    "$mig" -d ${P}_other -b tree rollback h1
errline "... with PGDATABASE another: 64" 64 \
    "${ts}error: migration \"h1\" is of database \"$db\", not \"${P}_other\"\$" \
    env PGDATABASE=${P}_other "$mig" -b tree rollback h1
ln -s "$PGHOST" sock
errline "... through another socket folder, another server for libpq: 64" 64 \
    "${ts}error: migration \"h1\" is of database \"$db\" on $PGHOST:$PGPORT, not on $T/sock:$PGPORT\$" \
    env PGHOST="$T/sock" "$mig" -d $db -b tree rollback h1
is "... the other database untouched" "$(psql -XAt -d ${P}_other -c 'SELECT count(*) FROM outra')" 2
is "... nor this one" "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name = 'h1'")" 1
run "$mig" -b tree status
like "... h1 still open" out '^h1	open	'
run env -u PGDATABASE "$mig" -b tree rollback h1
is "rollback without -d nor PGDATABASE: exit 0" "$rc" 0
like "... into the database of the backup" out "${ts}migration h1 rolled back: $db is as it was at "
is "... which is back" "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name = 'h1'")" 0

# ---- the idiom, as the header and bk(7) write it ----
# idiom SRC ID SQL: the idiom of SRC (header, man) with this test's names,
# ID and migration SQL, run by bash.
idiom() {
	if [ "$1" = header ]; then
		sed -n '/^#      if pg-migrate\.sh create/,/^#      fi$/p' "$mig" |
		    sed 's/^#      //; s#pg-migrate\.sh #m #'
	else
		sed -n '/^m="pg-migrate\.sh/,/^fi$/p' "$TOP/man/bk.7" |
		    sed '/^m=/d; s#\$m #m #'
	fi | sed "s#-f v2\\.3\\.1\\.sql erp#-f $T/mig.sql $db#; s#v2\\.3\\.1#$2#g" >idiom.sh
	printf '%s\n' "$3" >mig.sql
	grep -q "^ *m complete $2\$" idiom.sh && grep -q "^ *m rollback $2\$" idiom.sh &&
	    (m() { "$mig" -d $db -b "$T/tree" "$@"; } && . ./idiom.sh) >idiom.out 2>&1
}
for src in header man; do
	exits "h2-$src created" 0 "$mig" -d $db -b tree create h2-$src "h2"
	q "ALTER TABLE clientes ADD COLUMN h2 int" >/dev/null
	ok "the $src's idiom, its ID already open" idiom $src h2-$src "SELECT 1"
	like "... create refused it: 73" idiom.out "error: migration \"h2-$src\" is already open"
	is "... nothing rolled back (the day's work stays)" \
	    "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name = 'h2'")" 1
	run "$mig" -b tree status
	like "... the migration still open" out "^h2-$src	open	"
	exits "... which completes" 0 "$mig" -b tree complete h2-$src
	q "ALTER TABLE clientes DROP COLUMN h2" >/dev/null
	ok "the $src's idiom, a migration that fails" idiom $src b-$src \
	    "ALTER TABLE clientes ADD COLUMN b int; SELECT 1/0;"
	run "$mig" -b tree status
	like "... rolled back" out "^b-$src	rolled-back	"
	ok "the $src's idiom, a migration that works" idiom $src g-$src \
	    "ALTER TABLE clientes ADD COLUMN g_$src int;"
	run "$mig" -b tree status
	like "... completed" out "^g-$src	completed	"
	is "... its change kept" \
	    "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name = 'g_$src'")" 1
done

# ---- what rollback leaves: the database's own ----
exits "h3 created" 0 "$mig" -d $db -b tree create h3 "h3"
q "ALTER DATABASE $db SET work_mem = '7MB'" >/dev/null
q "COMMENT ON DATABASE $db IS 'migrated'" >/dev/null
q "ALTER TABLE clientes ADD COLUMN h3 int" >/dev/null
exits "rolled back" 0 "$mig" -d $db -b tree rollback h3
is "... the table as it was" "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name = 'h3'")" 0
is "... the database's setting not restored, as documented" "$(q "SHOW work_mem")" 7MB
is "... nor its comment" \
    "$(q "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'")" migrated
like "... which pg-migrate.sh says" "$mig" 'Not restored, .*'
like "... naming the settings" "$mig" '^#    .*ALTER DATABASE \.\.\. SET .*'
like "... and the comment" "$mig" '^#    .*COMMENT ON DATABASE,'
like "... and so does bk(7)" "$TOP/man/bk.7" '^\.Pq Ic COMMENT ON DATABASE ,$'
q "ALTER DATABASE $db RESET ALL" >/dev/null
q "COMMENT ON DATABASE $db IS NULL" >/dev/null

# ---- -R: the pre-migration copy encrypted; -i to roll back ----
age-keygen -o key.txt 2>/dev/null
age-keygen -y key.txt >recipients
exits "-R: created" 0 "$mig" -d $db -b tree -R recipients create r1 "r1"
br=$(ls tree/pre-migration/*_r1_*)
like "... to pre-migration/*.sql.gz.age" "$(echo "$br" >br; echo br)" '_r1_[0-9_]+\.sql\.gz\.age$'
age -d -i key.txt "$br" | gzip -dc >r1.sql
like "... which age reads" r1.sql '^COPY public\.pagamentos '
is "... no record of the plaintext left" "$(ls -A tree/pre-migration | grep -c '^\.')" 0
q "ALTER TABLE clientes ADD COLUMN r1 int" >/dev/null
run "$mig" -d $db -b tree rollback r1
ok "... rollback without the identity fails" test "$rc" != 0
like "... and says the migration stays open" err "error: the rollback of migration \"r1\" failed \\(exit [0-9]+\\): it stays open\$"
run "$mig" -d $db -b tree -i key.txt rollback r1
is "... with -i: exit 0" "$rc" 0
is "... the database back" "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name = 'r1'")" 0
mkdir enc
cp recipients enc/recipients
exits "the tree's recipients file: created without -R" 0 "$mig" -d $db -b enc create r3 "r3"
ok "... encrypted to it" test -f "$(ls enc/pre-migration/*_r3_*.sql.gz.age)"
q "ALTER TABLE clientes ADD COLUMN r3 int" >/dev/null
exits "... rolled back with -i" 0 "$mig" -d $db -b enc -i key.txt rollback r3
ok "... bk-restore's safety backup encrypted to it too" test -f "$(ls enc/pre-restore/*.sql.gz.age)"
is "... the database back" "$(q "SELECT count(*) FROM information_schema.columns WHERE column_name = 'r3'")" 0
errline "-R without its file: 66" 66 "${ts}error: could not read the recipients file \"none\"\$" \
    "$mig" -d $db -b tree -R none create r2 "x"

run bk-verify -m tree/manifest.jsonl
is "the tree verifies: the state and the lock are not taken for backups" "$rc" 0
empty "... not a word" err

done_testing
