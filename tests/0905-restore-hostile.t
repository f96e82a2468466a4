#!/bin/sh
# bk-restore against scripts written to subvert it (DESIGN.md: nothing in
# a dump can run a meta-command, end the transaction early or fake
# success).  Each script is a pg_dump script in shape, recorded in the
# manifest; each is refused with exit 65 and one line, the target is as it
# was, nothing happened outside the database, and restore.log says
# "fail" with the same reason.  psql's restricted mode (\restrict, psql
# 15.14 and later) refuses every backslash command; the filter refuses
# every statement that would end the restore's transaction.
. "$(dirname "$0")/lib.sh"
need_pg
need createdb dropdb sha256sum

P=r0905
cleanup() { for d in t other fn; do dropdb --if-exists ${P}_$d 2>/dev/null; done; }
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT
printf '\\restrict k\n\\unrestrict k\n' | psql -X -q -v ON_ERROR_STOP=1 -f - >/dev/null 2>&1 ||
    skip_all "this psql has no \\restrict (psql 15.14, 16.10, 17.6 or later)"

state() { pg_dump -Fp "$1" | grep -v '^\\\(un\)\{0,1\}restrict '; }
createdb ${P}_t
createdb ${P}_other
psql -Xq -d ${P}_t -c "CREATE TABLE marca (x text); INSERT INTO marca VALUES ('antes')"
state ${P}_t >t.saved
state ${P}_other >o.saved

# script NAME BODY: NAME.sql, BODY between pg_dump's first and last lines.
script() {
	{ printf -- '--\n-- PostgreSQL database dump\n--\n\nSET standard_conforming_strings = on;\n'
	  printf '%s\n' "$2"
	  printf -- '\n--\n-- PostgreSQL database dump complete\n--\n\n'; } >"$1.sql"
	bk-manifest add --incomplete "$1.sql" 2>/dev/null
}
# hostile NAME BODY REASON: refused for REASON (an ERE), nothing changed.
hostile() {
	script h "$2"
	rm -f restore.log
	errline "$1" 65 "^bk-restore: error: could not restore \"h.sql\" into PostgreSQL database \"${P}_t\" .*: $3[^;]*; nothing was changed \\(rolled back\\)\$" \
	    bk-restore -q --yes --no-safety-backup -D ${P}_t h.sql
	state ${P}_t >t.now
	if cmp -s t.now t.saved; then pass "$1: the target as it was"
	else fail "$1: the target as it was"; diff t.saved t.now | head -5 | sed 's/^/#   /'; fi
	like "$1: restore.log says fail, and why" restore.log '"result":"fail".*"reason":"'"$3"
	bk-manifest remove h.sql 2>/dev/null
}
restricted='psql:<stdin>:[0-9]+: error: backslash commands are restricted; only .*unrestrict is allowed'

# ---- psql's backslash commands: none runs ----
hostile "a shell escape runs nothing" "CREATE TABLE t1 (a int);
\\! touch $T/pwned" "$restricted"
ok "... and the shell command did not run" test ! -e "$T/pwned"
hostile "an output redirection writes no file" "\\o $T/o.txt
SELECT 1;" "$restricted"
ok "... and no file was written" test ! -e "$T/o.txt"
hostile "a client-side copy writes no file" "\\copy (SELECT 1) to '$T/c.txt'" "$restricted"
ok "... and no file was written" test ! -e "$T/c.txt"
hostile "a connect switches to no other database" "\\c ${P}_other
CREATE TABLE elsewhere (a int);" "$restricted"
state ${P}_other >o.now
same "... which is as it was" o.now o.saved
hostile "a backslash command after a statement on its line" "CREATE TABLE t2 (a int); \\! touch $T/pwned2" "$restricted"
ok "... did not run" test ! -e "$T/pwned2"

# ---- fake success: no "ok" without bk-restore's own COMMIT ----
hostile "an echoed commit marker, then a quit" "CREATE TABLE t3 (a int);
\\echo bk-restore: committed
\\q" "$restricted"
hostile "ON_ERROR_STOP turned off before an error" "\\set ON_ERROR_STOP off
SELECT 1/0;
CREATE TABLE t4 (a int);" "$restricted"
# pg_dump's own \restrict and \unrestrict lines become comments (bk-restore's
# restricted mode is in force): one with a guessed key ends nothing.
script guess "CREATE TABLE t5 (a int);
\\unrestrict guessed
\\! touch $T/pwned5"
rm -f restore.log
errline "an unrestrict of the script's own leaves psql restricted" 65 "$restricted" \
    bk-restore -q --yes --no-safety-backup -D ${P}_t guess.sql
ok "... the command after it did not run" test ! -e "$T/pwned5"

# ---- statements that end the transaction: refused before psql runs them ----
txn='the script has its own'
hostile "COMMIT after a statement on its line" "CREATE TABLE t6 (a int); COMMIT; DROP TABLE marca;" \
    "$txn COMMIT statement \\(line 6\\), which would end the restore's one transaction"
hostile "lower-case commit" "CREATE TABLE t7 (a int);
commit ;" "$txn COMMIT statement \\(line 7\\)"
hostile "END" "CREATE TABLE t8 (a int);
END;" "$txn END statement"
hostile "ROLLBACK, then statements in autocommit" "ROLLBACK; DROP TABLE marca;" "$txn ROLLBACK statement"
hostile "ABORT" "ABORT;" "$txn ABORT statement"
hostile "START TRANSACTION" "START TRANSACTION;" "$txn START statement"
hostile "BEGIN inside a line" "SELECT 1; BEGIN;" "$txn BEGIN statement"
hostile "PREPARE TRANSACTION" "PREPARE TRANSACTION 'bk';" "$txn PREPARE statement"
hostile "COMMIT after a comment" "/* x */ COMMIT;" "$txn COMMIT statement"
# psql runs a last statement that has no ";": nothing may follow pg_dump's
# last lines, even with -f.
{ printf -- '--\n-- PostgreSQL database dump complete\n--\n\nCREATE TABLE t9 (a int);\nCOMMIT'; } >h.sql
bk-manifest add --incomplete h.sql 2>/dev/null; rm -f restore.log
errline "a COMMIT without ; after the last lines" 65 'pg_dump script is incomplete \(data after its last line\)$' \
    bk-restore -q --yes --unlisted --no-safety-backup -D ${P}_t h.sql
bk-manifest remove h.sql 2>/dev/null
# With standard_conforming_strings off, psql would read 'x\' as an open
# string and see the COMMIT that the filter reads as string content.
hostile "a string psql would read another way" "SET standard_conforming_strings = off;
SELECT 'x\\'; COMMIT; DROP TABLE marca; SELECT ';" \
    'a string at line 7 has a backslash before its closing quote, which psql reads two ways'
# SQL-standard function bodies: psql keeps BEGIN ATOMIC ... END; as one
# statement; the filter follows it, and refuses a body psql and the server
# would read differently.
createdb ${P}_fn
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_fn <<'SQL'
CREATE FUNCTION dobro(a int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
    SELECT a * 2;
    SELECT CASE WHEN a > 0 THEN a * 2 ELSE 0 END AS "case";
END;
CREATE PROCEDURE nada() LANGUAGE sql BEGIN ATOMIC SELECT 1; END;
SQL
pg_dump -Fp ${P}_fn >fn.sql
dropdb --force ${P}_fn; createdb ${P}_fn
bk-manifest add fn.sql
exits "pg_dump's BEGIN ATOMIC bodies restore whole" 0 bk-restore -q --yes --no-safety-backup -D ${P}_fn fn.sql
is "... and work" "$(psql -XAt -d ${P}_fn -c 'SELECT dobro(21)')" 42
dropdb --force ${P}_fn
fnbody='CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC'
hostile "BEGIN as a name inside a body" "$fnbody SELECT 1 AS begin; END; COMMIT; DROP TABLE marca; SELECT 1 AS end;" \
    'a function body at line 6 has begin as a name or nested'
hostile "END as a qualified name inside a body" "$fnbody SELECT t.end FROM (SELECT 1 AS \"end\") t; END;" \
    'a function body at line 6 has end as a name or nested'
hostile "END after a dot and a blank inside a body" "$fnbody SELECT t . end FROM (SELECT 1 AS \"end\") t; END;" \
    'a function body at line 6 has end as a name or nested'
hostile "a second END after the body" "$fnbody SELECT 1; END; END; DROP TABLE marca;" \
    "$txn END statement"
hostile "COMMIT inside a body" "$fnbody SELECT 1; COMMIT; END;" "$txn COMMIT statement"

# ---- the backstop: a COMMIT the filter did not see ----
# A psql that turns a marked comment into COMMIT; stands for a way past the
# filter: the server then knows the transaction was committed, and
# bk-restore says so, never "rolled back".
mkdir fake
printf '#!/bin/sh\nsed "s/^-- bk-test: \\(.*\\)\\$/\\1/" | exec %s "$@"\n' "$(command -v psql)" >fake/psql
chmod 755 fake/psql
# unmasked NAME BODY: NAME.sql restored through that psql.
unmasked() {
	script "$1" "$2"
	rm -f restore.log
	run env PATH="$T/fake:$PATH" bk-restore -q --yes --no-safety-backup -D ${P}_t "$1.sql"
}
unmasked split "CREATE TABLE before_split (a int);
-- bk-test: COMMIT;
CREATE TABLE after_split (a int);"
is "a COMMIT past the filter: exit 65" "$rc" 65
like "... says what is committed" err "could not restore \"split.sql\" into .*: the script ended the restore's transaction itself; what ran before that is committed\$"
like "... logged as partial" restore.log '"result":"partial","target"'
is "... what ran before it is there" "$(psql -XAt -d ${P}_t -c "SELECT count(*) FROM pg_tables WHERE tablename = 'before_split'")" 1
is "... what ran after it is not (AUTOCOMMIT off)" "$(psql -XAt -d ${P}_t -c "SELECT count(*) FROM pg_tables WHERE tablename = 'after_split'")" 0
psql -Xq -d ${P}_t -c 'DROP TABLE before_split'
unmasked split2 "CREATE TABLE before_split (a int);
-- bk-test: COMMIT;
SELECT 1/0;"
like "a COMMIT past the filter, then an error: partial too" err "what ran before that is committed\$"
psql -Xq -d ${P}_t -c 'DROP TABLE before_split'
unmasked split3 "CREATE TABLE t10 (a int);
-- bk-test: ROLLBACK;
CREATE TABLE after_rollback (a int);"
is "a ROLLBACK past the filter: exit 65" "$rc" 65
like "... no COMMIT ran, and nothing changed" err "psql did not run the COMMIT \(the script ended the restore's transaction itself\); nothing was changed \(rolled back\)\$"
state ${P}_t >t.now
same "... which is true" t.now t.saved
like "... logged as fail" restore.log '"result":"fail"'

# The same words in data, quotes, dollar quotes and comments are no statement.
script fine "CREATE TABLE words (w text);
COPY words (w) FROM stdin;
COMMIT;
\\! not a command
\\.
INSERT INTO words VALUES ('COMMIT;'), (E'it''s \\\\'), (\$q\$ROLLBACK;\$q\$);
-- COMMIT;
/* END; */
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS \$\$BEGIN RETURN 1; END\$\$;"
exits "the same words as data restore whole" 0 bk-restore -q --yes --no-safety-backup -D ${P}_t fine.sql
is "... all five rows" "$(psql -XAt -d ${P}_t -c 'SELECT count(*) FROM words')" 5
like "... logged ok" restore.log '"path":"fine.sql".*"result":"ok"'
done_testing
