#!/bin/sh
# bk-restore onto a server without the dump's roles: a dump from the test
# server of objects owned by one role, with GRANTs to another, restored
# where both are dropped.  Without --no-owner and --no-acl the restore
# rolls back and the target stays as it was; with them it succeeds and the
# contents equal the source's, plain script and custom archive alike; each
# option does its half; hostile statements are still refused.  Then the
# cluster's globals (pg_dumpall -g, gzipped and encrypted like any backup):
# roles dropped and brought back by --globals, a second run over roles
# that exist, and a table of bad globals files.
. "$(dirname "$0")/lib.sh"
need_pg
need pg_dump pg_dumpall createdb dropdb

P=r0908
DBS="${P}_src ${P}_t1 ${P}_t2 ${P}_t3 ${P}_t4 ${P}_t5"
ROLES="${P}_owner ${P}_reader ${P}_g1 ${P}_g2"
cleanup() {
	for d in $DBS; do dropdb --if-exists "$d" 2>/dev/null; done
	for r in $ROLES; do psql -Xq -c "DROP ROLE IF EXISTS $r" 2>/dev/null; done
}
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT

# contents DB: the database as pg_dump sees it, owners and grants aside.
contents() {
	pg_dump -Fp --no-owner --no-acl "$1" | grep -v '^\\\(un\)\{0,1\}restrict '
}
# state DB: all of it, owners and grants too.
state() { pg_dump -Fp "$1" | grep -v '^\\\(un\)\{0,1\}restrict '; }
owners() {
	psql -XAt -d "$1" -c "SELECT tableowner FROM pg_tables WHERE schemaname = 'app' ORDER BY tablename"
}
q() { psql -XAt -c "$1"; }

# ---- a database owned by one role, with grants to another ----
psql -Xq -c "CREATE ROLE ${P}_owner" -c "CREATE ROLE ${P}_reader" &&
    createdb ${P}_src || { fail "create the roles and the source"; exit 1; }
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_src >/dev/null <<SQL || { fail "fill the source"; exit 1; }
CREATE SCHEMA app AUTHORIZATION ${P}_owner;
CREATE TABLE app.clientes (id serial PRIMARY KEY, nome text);
INSERT INTO app.clientes (nome) SELECT 'Cliente ' || i FROM generate_series(1, 50) i;
CREATE TABLE app.pagamentos (id int, valor numeric(10,2), owner text);
INSERT INTO app.pagamentos SELECT i, i * 1.5, 'x' FROM generate_series(1, 200) i;
CREATE VIEW app.totais AS SELECT count(*) AS n, sum(valor) AS soma FROM app.pagamentos;
CREATE FUNCTION app.dobro(x int) RETURNS int LANGUAGE sql AS 'SELECT 2 * x';
ALTER TABLE app.clientes OWNER TO ${P}_owner;
ALTER TABLE app.pagamentos OWNER TO ${P}_owner;
ALTER VIEW app.totais OWNER TO ${P}_owner;
ALTER FUNCTION app.dobro(int) OWNER TO ${P}_owner;
GRANT SELECT ON app.clientes, app.pagamentos TO ${P}_reader;
GRANT USAGE ON SCHEMA app TO ${P}_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE ${P}_owner IN SCHEMA app GRANT SELECT ON TABLES TO ${P}_reader;
SQL
contents ${P}_src >src.contents
mkdir daily
pg_dump -Fp ${P}_src | bk-gz -o daily/src.sql.gz
pg_dump -Fc ${P}_src >daily/src.dump
ok "the backups are recorded" bk-manifest add -T daily daily/src.sql.gz daily/src.dump
grep -q "OWNER TO ${P}_owner" "$(pg_dump -Fp ${P}_src >plain.sql && echo plain.sql)" &&
    grep -q "GRANT SELECT ON TABLE app.clientes TO ${P}_reader" plain.sql &&
    grep -q "ALTER DEFAULT PRIVILEGES FOR ROLE ${P}_owner" plain.sql &&
    pass "the dump has its owners, grants and default privileges" ||
    fail "the dump has its owners, grants and default privileges"
# The roles go: the server lacks them now.
dropdb --force ${P}_src
psql -Xq -c "DROP ROLE ${P}_owner" -c "DROP ROLE ${P}_reader"
is "the roles are gone" "$(q "SELECT count(*) FROM pg_roles WHERE rolname LIKE '${P}_%'")" 0

# ---- without the options: rolled back, the target as it was ----
createdb ${P}_t1
psql -Xq -d ${P}_t1 -c "CREATE TABLE marca (x text); INSERT INTO marca VALUES ('t1')"
state ${P}_t1 >t1.before
errline "a plain dump whose owner is missing: 65" 65 \
    "could not restore \"daily/src.sql.gz\" into .*: psql:<stdin>:[0-9]+: ERROR: role \"${P}_owner\" does not exist; nothing was changed \(rolled back\)" \
    bk-restore --yes -D ${P}_t1 daily/src.sql.gz
state ${P}_t1 >t1.after
same "... the target untouched" t1.after t1.before
errline "a custom archive whose owner is missing: 65" 65 \
    "ERROR: role \"${P}_owner\" does not exist; nothing was changed \(rolled back\)" \
    bk-restore -q --yes --no-safety-backup -D ${P}_t1 daily/src.dump
state ${P}_t1 >t1.after
same "... the target untouched" t1.after t1.before
errline "--no-owner alone: the grants still fail" 65 \
    "ERROR: role \"${P}_reader\" does not exist; nothing was changed" \
    bk-restore -q --yes --no-safety-backup --no-owner -D ${P}_t1 daily/src.sql.gz
errline "--no-acl alone: the owners still fail" 65 \
    "ERROR: role \"${P}_owner\" does not exist; nothing was changed" \
    bk-restore -q --yes --no-safety-backup --no-acl -D ${P}_t1 daily/src.sql.gz
state ${P}_t1 >t1.after
same "... the target untouched" t1.after t1.before

# ---- with them: the same contents, owned by the user restoring ----
createdb ${P}_t2
run bk-restore --yes -v --no-owner --no-acl -D ${P}_t2 daily/src.sql.gz
is "--no-owner --no-acl restores the plain dump" "$rc" 0
like "... saying what it left out" err 'left out [0-9]+ statements of ownership and privileges'
contents ${P}_t2 >t2.contents
same "... the contents equal the source's" t2.contents src.contents
me=$(q "SELECT current_user")
is "... the tables are the restoring user's" "$(owners ${P}_t2 | sort -u)" "$me"
is "... no grants to anyone" "$(psql -XAt -d ${P}_t2 -c "SELECT count(*) FROM information_schema.role_table_grants WHERE table_schema = 'app' AND grantee <> current_user")" 0
is "... the rows" "$(psql -XAt -d ${P}_t2 -c 'SELECT n, soma FROM app.totais')" "200|30150.00"
like "... logged with both options" restore.log \
    "\"path\":\"daily/src.sql.gz\",.*\"result\":\"ok\".*\"no_owner\":true,\"no_acl\":true"
createdb ${P}_t3
run bk-restore --yes --no-owner --no-acl -D ${P}_t3 daily/src.dump
is "--no-owner --no-acl restores the custom archive" "$rc" 0
contents ${P}_t3 >t3.contents
same "... the contents equal the source's" t3.contents src.contents
run bk-restore --yes --clean --no-owner --no-acl -D ${P}_t1 daily/src.sql.gz
is "--clean with them over the marked database" "$rc" 0
contents ${P}_t1 >t1.contents
same "... which becomes the source" t1.contents src.contents
run bk-restore -n --no-owner --no-acl -D ${P}_t1 daily/src.sql.gz
like "-n says it" out 'would restore "daily/src.sql.gz" into .*, without ownership and privileges$'

# ---- hostile statements are refused with the options too ----
# Each script is whole and recorded, with one line added in its middle.
hostile() {
	gzip -dc daily/src.sql.gz | awk -v l="$2" '
	    /^CREATE TABLE app.pagamentos/ && !done { print l; done = 1 } { print }' |
	    bk-gz -o "daily/$1.sql.gz" && bk-manifest add "daily/$1.sql.gz"
}
hostile rollback "ALTER TABLE app.clientes OWNER TO ${P}_owner; ROLLBACK;"
hostile bang "GRANT ALL ON app.clientes TO x;
\\! touch $T/pwned"
hostile end 'GRANT SELECT ON app.clientes TO "a; COMMIT"; END;'
hostile chain "ALTER TABLE app.clientes OWNER TO ${P}_owner; COMMIT AND CHAIN;"
createdb ${P}_t4
psql -Xq -d ${P}_t4 -c "CREATE TABLE marca (x text)"
state ${P}_t4 >t4.before
for h in rollback:ROLLBACK end:END chain:COMMIT; do
	errline "${h%%:*}: its ${h#*:} refused with --no-owner --no-acl" 65 \
	    "the script has its own ${h#*:} statement \(line [0-9]+\), which would end the restore's one transaction; nothing was changed" \
	    bk-restore -q --yes --no-safety-backup --no-owner --no-acl -D ${P}_t4 "daily/${h%%:*}.sql.gz"
done
errline "a backslash command refused with them" 65 \
    'backslash commands are restricted.*nothing was changed' \
    bk-restore -q --yes --no-safety-backup --no-owner --no-acl -D ${P}_t4 daily/bang.sql.gz
ok "... it did not run" test ! -e pwned
state ${P}_t4 >t4.after
same "... the target untouched by all of them" t4.after t4.before
usage "--no-owner is for PostgreSQL" '^bk-restore: error: --no-owner is for PostgreSQL: SQLite has no roles$' \
    bk-restore --yes --no-owner -D sqlite:x.db daily/src.sql.gz
usage "--no-acl is for PostgreSQL" '^bk-restore: error: --no-acl is for PostgreSQL: SQLite has no roles$' \
    bk-restore --yes --no-acl -D sqlite:x.db daily/src.sql.gz

# ---- the cluster's globals ----
psql -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL || { fail "create the roles"; exit 1; }
CREATE ROLE ${P}_g1 LOGIN PASSWORD 'Sekr3t-g1' CONNECTION LIMIT 7;
CREATE ROLE ${P}_g2 NOLOGIN;
COMMENT ON ROLE ${P}_g2 IS 'leitores';
GRANT ${P}_g2 TO ${P}_g1;
ALTER ROLE ${P}_g1 SET work_mem TO '3MB';
SQL
roles() {
	q "SELECT r.rolname, r.rolcanlogin, r.rolconnlimit, r.rolconfig,
	    a.rolpassword, shobj_description(r.oid, 'pg_authid')
	    FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid
	    WHERE r.rolname LIKE '${P}_g%' ORDER BY 1"
	q "SELECT r.rolname, m.rolname FROM pg_auth_members a
	    JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
	    WHERE m.rolname LIKE '${P}_g%'"
}
roles >roles.before
hash=$(q "SELECT rolpassword FROM pg_authid WHERE rolname = '${P}_g1'")
bk-crypt --keygen -o key.txt 2>/dev/null
g=daily/globals.sql.gz.age
pg_dumpall -g | bk-gz | bk-crypt -r "$(bk-crypt -y -i key.txt)" -o $g
ok "the globals are recorded like any backup" bk-manifest add -T daily $g
like "... as a whole pg_dumpall script, gzipped and encrypted" manifest.jsonl \
    "\"path\":\"$g\",.*\"layers\":\\[\"pg_dumpall\",\"gzip\",\"age\"\\],\"complete\":true"
psql -Xq -c "DROP ROLE ${P}_g1" -c "DROP ROLE ${P}_g2"
is "the roles are dropped" "$(q "SELECT count(*) FROM pg_roles WHERE rolname LIKE '${P}_g%'")" 0
createdb ${P}_t5
errline "a globals file without --globals: 65" 65 \
    "could not restore \"$g\": it holds a cluster's globals, a pg_dumpall script \(--globals restores the roles and tablespaces of pg_dumpall -g\)$" \
    bk-restore --yes -i key.txt -D ${P}_t5 $g
run bk-restore --yes -v --globals -i key.txt -D ${P}_t5 $g
is "--globals restores them" "$rc" 0
roles >roles.after
same "... the roles are back: attributes, password, settings, comment, membership" roles.after roles.before
like "... the roles that exist are not created again" err \
    "role \"$me\" exists: its CREATE ROLE \\(line [0-9]+\\) left out"
safety=$(ls pre-restore/globals_*.sql.gz)
ok "... after a safety backup of the globals" test -s "$safety"
like "... recorded as a pg_dumpall script" manifest.jsonl \
    "\"path\":\"$safety\",.*\"type\":\"pre-restore\",.*\"layers\":\\[\"pg_dumpall\",\"gzip\"\\],\"complete\":true"
like "... logged" restore.log "\"path\":\"$g\",.*\"result\":\"ok\".*\"globals\":true"
psql -Xq -c "ALTER ROLE ${P}_g1 NOLOGIN CONNECTION LIMIT 1"
run bk-restore --yes --globals -i key.txt -D ${P}_t5 $g
is "again, over roles that all exist: 0" "$rc" 0
roles >roles.again
same "... their ALTER ROLE applied: as in the file" roles.again roles.before
for f in err out restore.log manifest.jsonl; do
	unlike "no password hash in $f" $f "${hash#SCRAM-SHA-256}|Sekr3t"
done

# ---- bad globals files: refused, the roles as they were ----
gzip -dc daily/src.sql.gz >plain.sql
age -d -i key.txt $g | gzip -dc >globals.sql
# bad NAME LINE: globals.sql with LINE before its role memberships.
bad() {
	awk -v l="$2" '/^-- Role memberships/ && !done { print l; done = 1 } { print }' \
	    globals.sql >"daily/$1.sql" && bk-manifest add "daily/$1.sql"
}
bad table "CREATE TABLE ${P}_x (a int);"
bad drop "DROP ROLE ${P}_g2;"
bad grant "GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${P}_g2;"
bad setrole "SET ROLE ${P}_g2;"
bad tablespace "CREATE TABLESPACE ${P}_ts LOCATION '/nonexistent';"
bad password "ALTER ROLE ${P}_g1 WITH LOGIN 'SCRAM-SHA-256\$4096:secrethash';"
bad commit "CREATE ROLE ${P}_g3; COMMIT AND CHAIN;"
pg_dumpall -g --clean >daily/clean.sql && bk-manifest add daily/clean.sql
head -20 globals.sql >cut.sql
cp plain.sql daily/notglobals.sql && bk-manifest add daily/notglobals.sql
D=' \(bk-restore --globals never drops: make it without pg_dumpall --clean\)'
G='could not restore "daily/%s" into .*: a globals script holds only roles and tablespaces, and line [0-9]+ has a %s statement%s; nothing was changed \(rolled back\)$'
while IFS='|' read -r name code re args; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	errline "$name: $code" "$code" "$re" bk-restore -q --yes --no-safety-backup $args
done <<EOF
a CREATE TABLE|65|$(printf "$G" table.sql CREATE '')|--globals -D ${P}_t5 daily/table.sql
a DROP ROLE|65|$(printf "$G" drop.sql DROP "$D")|--globals -D ${P}_t5 daily/drop.sql
pg_dumpall -g --clean|65|$(printf "$G" clean.sql DROP "$D")|--globals -D ${P}_t5 daily/clean.sql
a GRANT on tables|65|$(printf "$G" grant.sql GRANT '')|--globals -D ${P}_t5 daily/grant.sql
SET ROLE|65|$(printf "$G" setrole.sql SET '')|--globals -D ${P}_t5 daily/setrole.sql
a missing tablespace|65|tablespace "${P}_ts" \\(line [0-9]+\\) does not exist, and CREATE TABLESPACE cannot run in the restore's transaction: create it first; nothing was changed|--globals -D ${P}_t5 daily/tablespace.sql
COMMIT AND CHAIN|65|the script has its own COMMIT statement \\(line [0-9]+\\)|--globals -D ${P}_t5 daily/commit.sql
a server error near a password hash|65|syntax error \\(the script's words not shown\\); nothing was changed|--globals -D ${P}_t5 daily/password.sql
a pg_dump script with --globals|65|could not restore "daily/notglobals.sql" with --globals: it holds pg_dump, not a pg_dumpall script$|--globals -D ${P}_t5 daily/notglobals.sql
a cut globals file|65|pg_dumpall script is incomplete \\(no "-- PostgreSQL database cluster dump complete" at the end\\)$|--globals --unlisted -D ${P}_t5 cut.sql
EOF
usage "--globals with --clean: 64" \
    '^bk-restore: error: --globals and --clean exclude each other: a globals restore never drops$' \
    bk-restore --yes --globals --clean -D ${P}_t5 daily/table.sql
usage "--globals into SQLite: 64" \
    '^bk-restore: error: --globals is for PostgreSQL: SQLite has no roles$' \
    bk-restore --yes --globals -D sqlite:x.db daily/table.sql
unlike "no password hash in the last message" err secrethash
unlike "... nor in the log" restore.log secrethash
run bk-restore --yes -v --no-safety-backup --globals -D ${P}_t5 daily/password.sql
unlike "... nor in psql's messages with -v" err secrethash
roles >roles.now
same "the roles are as they were after all of them" roles.now roles.before
is "... no role or table of theirs was made" "$(q "SELECT count(*) FROM pg_roles WHERE rolname = '${P}_g3'")$(psql -XAt -d ${P}_t5 -c "SELECT count(*) FROM pg_tables WHERE tablename = '${P}_x'")" 00
done_testing
