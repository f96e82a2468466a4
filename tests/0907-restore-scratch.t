#!/bin/sh
# bk-restore --scratch, the restore drill (seed 004's "teste de
# restauração"): drills of pg_dump plain and custom dumps (gzip'd and age-
# encrypted too) and of SQLite backups made from the harness's PostgreSQL
# and sqlite3; each table's rows are what psql and sqlite3 count in the
# source, and the checksum is the one bk-restore(1) defines, computed here
# from the source by python (and the same for the same data in PostgreSQL
# and SQLite); stable from drill to drill; the drill on the manifest line,
# read by python's json; the scratch database gone afterwards (psql),
# after a SIGTERM, a SIGKILL or a Ctrl-C's SIGINT to the process group
# mid-restore too; the real database of -D untouched; --no-owner --no-acl
# where the dump's owner is missing; failed drills (a damaged backup, a
# failing script, counts or checksum not the recorded ones, a wrong key)
# recorded, exit 1; the crontab's drill line run; the table of bad inputs.
. "$(dirname "$0")/lib.sh"
need_pg
need pg_dump createdb dropdb sqlite3 python3 bash setsid

P=r0907
DBS="${P}_src ${P}_real ${P}_same ${P}_owned"
cleanup() {
	for d in $DBS; do dropdb --if-exists "$d" 2>/dev/null; done
	for r in nocreate owner; do
		psql -Xq -d postgres -c "DROP ROLE IF EXISTS ${P}_$r" 2>/dev/null
	done
}
cleanup
# A psql held by the interruption tests below is let go.
trap ': >"$T/release"; cleanup; cd /; rm -rf "$T"' EXIT

mkdir tmp
TMPDIR=$T/tmp
export TMPDIR

# scratch_dbs: the drills' databases on the server, one a line.
scratch_dbs() {
	psql -XAt -d postgres -c "SELECT datname FROM pg_database
	    WHERE datname LIKE 'bk\\_drill\\_%' ORDER BY 1"
}
no_scratch() { [ -z "$(scratch_dbs)" ]; }
# state DB: the database as pg_dump sees it (the \restrict keys differ).
state() { pg_dump -Fp "$1" | grep -v '^\\\(un\)\{0,1\}restrict '; }
# drill_field MANIFEST PATH KEY: the drill's KEY on PATH's line as JSON,
# null without one.
drill_field() {
	python3 - "$@" <<'PY'
import json, sys
m, path, key = sys.argv[1:4]
for line in open(m):
    e = json.loads(line)
    if e["path"] == path:
        print(json.dumps(e.get("drill", {}).get(key), sort_keys=True))
        break
PY
}
# shown PART: a name part as bk-restore shows it, in double quotes when
# it holds a dot or a double quote.
shown() {
	case $1 in
	*[.\"]*) printf '"%s"' "$(printf %s "$1" | sed 's/"/""/g')" ;;
	*) printf %s "$1" ;;
	esac
}
# counts_pg DB, counts_sqlite FILE: "ROWS  NAME" of each table, counted
# by psql and sqlite3, as bk-restore prints them.
counts_pg() {
	psql -XAt -F ' ' -d "$1" -c "SELECT n.nspname, c.relname
	    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	    WHERE c.relkind = 'r' AND n.nspname <> 'information_schema'
	    AND n.nspname !~ '^pg_'" | while read -r s t; do
		q=$(psql -XAt -d "$1" -c "SELECT count(*) FROM ONLY \"$s\".\"$t\"")
		n=$(shown "$t")
		[ "$s" = public ] || n=$(shown "$s").$n
		printf '%12s  %s\n' "$q" "$n"
	done | LC_ALL=C sort -k2
}
counts_sqlite() {
	sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table'
	    AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'" | while read -r t; do
		q=$(printf %s "$t" | sed 's/"/""/g')
		printf '%12s  %s\n' "$(sqlite3 "$1" "SELECT count(*) FROM \"$q\"")" \
		    "$(shown "$t")"
	done | LC_ALL=C sort -k2
}
# tables_json COUNTS: the counts as the drill's "tables" object.
tables_json() {
	python3 -c 'import json, sys
print(json.dumps({l.split()[1]: int(l.split()[0]) for l in open(sys.argv[1])}, sort_keys=True))' "$1"
}
# checksum_pg DB, checksum_sqlite FILE: the content checksum of
# bk-restore(1), computed here from the source: each row's line of COPY
# text (psql's COPY for PostgreSQL; for SQLite built in python from
# SQLite's own text of each value), their sha256 summed modulo 2^256 per
# table, the tables' lines hashed in the byte order of their names.
checksum_py='
import hashlib
Q = chr(34)
def part(x):
    return Q + x.replace(Q, 2 * Q) + Q if "." in x or Q in x else x
def checksum(tables):
    out = hashlib.sha256()
    for name in sorted(tables, key=lambda n: n.encode()):
        rows = tables[name]
        s = sum(int.from_bytes(hashlib.sha256(r).digest(), "big") for r in rows) % 2**256
        out.update(b"%s\t%d\t%s\n" % (name.encode(), len(rows), s.to_bytes(32, "big").hex().encode()))
    return out.hexdigest()
'
checksum_pg() {
	python3 -c "$checksum_py"'
import os, subprocess, sys
env = dict(os.environ, PGCLIENTENCODING="UTF8", PGOPTIONS="-c DateStyle=ISO,YMD "
    "-c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=1 -c bytea_output=hex")
psql = ["psql", "-XAt", "-d", sys.argv[1]]
names = subprocess.run(psql + ["-F", "\t", "-c", "SELECT n.nspname, c.relname FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = $$r$$ "
    "AND n.nspname <> $$information_schema$$ AND n.nspname !~ $$^pg_$$"],
    env=env, check=True, capture_output=True, text=True).stdout
tables = {}
for l in filter(None, names.split("\n")):
    s, t = l.split("\t")
    data = subprocess.run(psql + ["-c", "COPY %s%s%s.%s%s%s TO STDOUT" % (Q, s, Q, Q, t, Q)],
        env=env, check=True, capture_output=True).stdout
    tables[part(t) if s == "public" else part(s) + "." + part(t)] = data.splitlines(keepends=True)
print(checksum(tables))' "$1"
}
checksum_sqlite() {
	python3 -c "$checksum_py"'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.text_factory = bytes
esc = {8: b"\\b", 12: b"\\f", 10: b"\\n", 13: b"\\r", 9: b"\\t", 11: b"\\v", 92: b"\\\\"}
def text(v):
    return b"\\N" if v is None else b"".join(esc.get(c, bytes([c])) for c in v)
S = chr(39)
tables = {}
for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = %stable%s "
        "AND name NOT LIKE %ssqlite\\_%%%s ESCAPE %s\\%s" % (S, S, S, S, S, S)):
    t = t.decode()
    q = Q + t.replace(Q, 2 * Q) + Q
    cols = [Q + r[1].decode().replace(Q, 2 * Q) + Q for r in db.execute("PRAGMA table_info(%s)" % q)]
    sel = ", ".join("CASE WHEN typeof(%s) = %sblob%s THEN %s\\x%s || lower(hex(%s)) "
        "ELSE CAST(%s AS TEXT) END" % (c, S, S, S, S, c, c) for c in cols)
    tables[part(t)] = [b"\t".join(text(v) for v in r) + b"\n"
        for r in db.execute("SELECT %s FROM %s" % (sel, q))]
print(checksum(tables))' "$1"
}
# drilled NAME FILE COUNTS CHECKSUM [ARG...]: a drill of FILE passes,
# printing the counts and the verdict with CHECKSUM, and nothing else;
# the line records it; no scratch database is left.
drilled() {
	_dn=$1 _df=$2 _dc=$3 _dk=$4; shift 4
	run bk-restore --scratch "$@" "$_df"
	is "$_dn: exit 0" "$rc" 0
	empty "$_dn: nothing on stderr" err
	head -n -1 out >got.counts
	same "$_dn: each table's rows, as counted in the source" got.counts "$_dc"
	_dt=$(wc -l <"$_dc" | tr -d ' ')
	_dr=$(awk '{ n += $1 } END { print n + 0 }' "$_dc")
	like "$_dn: the verdict" out \
	    "^drill of \"$_df\" ok: $_dr records in $_dt tables?, checksum $_dk\$"
	is "$_dn: recorded ok" "$(drill_field manifest.jsonl "$_df" result)" '"ok"'
	is "$_dn: ... with the records" "$(drill_field manifest.jsonl "$_df" records)" "$_dr"
	is "$_dn: ... the tables" "$(drill_field manifest.jsonl "$_df" tables)" \
	    "$(tables_json "$_dc")"
	is "$_dn: ... and the checksum" \
	    "$(drill_field manifest.jsonl "$_df" checksum)" "\"$_dk\""
	ok "$_dn: no scratch database left" no_scratch
}
# failed NAME FILE REASON [ARG...]: a drill of FILE fails: exit 1, one
# line on stderr, the drill recorded as failed with that reason, no
# scratch database left.
failed() {
	_fn=$1 _ff=$2 _fr=$3; shift 3
	errline "$_fn: exit 1, one line" 1 \
	    "^bk-restore: error: drill of \"$_ff\" failed: $_fr" \
	    bk-restore --scratch "$@" "$_ff"
	is "$_fn: recorded failed" "$(drill_field manifest.jsonl "$_ff" result)" \
	    '"failed"'
	drill_field manifest.jsonl "$_ff" reason >reason.txt
	like "$_fn: ... with the reason" reason.txt "$_fr"
	ok "$_fn: no scratch database left" no_scratch
}

# ---- the source ----
createdb ${P}_src
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_src >/dev/null <<'SQL' || { fail "create the source"; exit 1; }
CREATE TABLE clientes (id serial PRIMARY KEY, nome text NOT NULL, criado date,
    foto bytea);
CREATE TABLE pagamentos (id serial PRIMARY KEY,
    cliente int NOT NULL REFERENCES clientes, valor numeric(10,2), obs text);
INSERT INTO clientes (nome, criado, foto)
    SELECT 'Cliente ' || i || ' Conceição', date '2024-09-01' + i,
    CASE WHEN i % 3 = 0 THEN NULL ELSE decode(md5(i::text), 'hex') END
    FROM generate_series(1, 300) i;
INSERT INTO pagamentos (cliente, valor, obs)
    SELECT 1 + i % 300, i * 1.25,
    CASE WHEN i % 7 = 0 THEN E'linha\ncom quebra\ttab \\ barra' WHEN i % 5 = 0
    THEN NULL ELSE 'ok' END FROM generate_series(1, 2000) i;
CREATE VIEW totais AS SELECT cliente, sum(valor) AS soma FROM pagamentos GROUP BY cliente;
CREATE MATERIALIZED VIEW resumo AS SELECT count(*) FROM pagamentos;
CREATE SCHEMA arquivo;
CREATE TABLE arquivo.velho (x int, "a.b" text);
INSERT INTO arquivo.velho VALUES (1, 'um'), (2, NULL);
CREATE TABLE "x.y" (v text);
INSERT INTO "x.y" VALUES ('ponto');
CREATE TABLE vendas (dia date, valor int) PARTITION BY RANGE (dia);
CREATE TABLE vendas_2024 PARTITION OF vendas FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE vendas_2025 PARTITION OF vendas FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO vendas SELECT date '2024-06-01' + i, i FROM generate_series(1, 400) i;
CREATE TABLE vazia (a int);
SELECT lo_from_bytea(0, 'recibo');
SQL
counts_pg ${P}_src >src.counts
like "the source has the partitions as tables" src.counts '^ +213  vendas_2024$'
unlike "... not their parent" src.counts ' vendas$'
like "... a name with a dot, quoted" src.counts '^ +1  "x\.y"$'
like "... an empty table" src.counts '^ +0  vazia$'
sum_src=$(checksum_pg ${P}_src)
is "the source's checksum, computed by python from psql's COPY" \
    "$(printf '%s\n' "$sum_src" | grep -Ec '^[0-9a-f]{64}$')" 1
# The real database that -D names: drills connect to it and leave it be.
createdb ${P}_real
psql -Xq -d ${P}_real -c "CREATE TABLE minha (x int); INSERT INTO minha VALUES (42)"
state ${P}_real >real.before

# ---- the backups, as the recipes make them ----
mkdir daily manual
bk-crypt --keygen -o key.txt 2>/dev/null
rcpt=$(bk-crypt -y -i key.txt)
pg_dump -Fp ${P}_src | bk-gz -o daily/src.sql.gz
pg_dump -Fp ${P}_src >daily/src.sql
pg_dump -Fc ${P}_src >daily/src.dump
pg_dump -Fc -Z0 ${P}_src | bk-gz -o daily/src.dump.gz
pg_dump -Fp ${P}_src | bk-gz | bk-crypt -r "$rcpt" -o daily/src.sql.gz.age
bk-manifest add -T daily daily/src.sql.gz daily/src.sql daily/src.dump \
    daily/src.dump.gz daily/src.sql.gz.age
is "five PostgreSQL backups recorded" "$(wc -l <manifest.jsonl | tr -d ' ')" 5

# ---- PostgreSQL drills ----
drilled "plain, gzip'd" daily/src.sql.gz src.counts "$sum_src" -D ${P}_real
drilled "plain" daily/src.sql src.counts "$sum_src" -D ${P}_real
drilled "custom" daily/src.dump src.counts "$sum_src" -D ${P}_real
drilled "custom, gzip'd" daily/src.dump.gz src.counts "$sum_src" -D ${P}_real
drilled "plain, gzip'd, age" daily/src.sql.gz.age src.counts "$sum_src" \
    -i key.txt -D "dbname=${P}_real"
drilled "a second drill of the same file: the same checksum" daily/src.sql.gz \
    src.counts "$sum_src" -D "postgresql:///${P}_real"
state ${P}_real >real.after
same "the real database of -D is as it was" real.after real.before
run bk-restore --scratch -q -D ${P}_real daily/src.sql
is "-q: exit 0" "$rc" 0
empty "-q: nothing on stdout" out
empty "-q: nothing on stderr" err
run bk-restore --scratch -v -D ${P}_real daily/src.sql
like "-v says where it restores" err \
    '^bk-restore: created the scratch database "bk_drill_[0-9]+_[0-9]+"'
like "... and that it dropped it" err \
    '^bk-restore: dropped the scratch database "bk_drill_[0-9]+_[0-9]+"$'
ok "... which is gone" no_scratch
ok "drills write no restore.log" test ! -e restore.log
ok "... and nothing in pre-restore/" test ! -e pre-restore
ls tmp >tmp.list
empty "... nor in TMPDIR" tmp.list

# ---- SQLite drills ----
sqlite3 app.db <<'SQL'
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, photo BLOB,
    note TEXT);
CREATE TABLE sales (id INTEGER PRIMARY KEY, user INTEGER REFERENCES users,
    amount REAL, note TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500)
INSERT INTO users SELECT x, 'Usuário ' || x,
    CASE WHEN x % 4 THEN randomblob(x % 150) END,
    'a' || char(9) || 'b' || char(10) || '\' || char(13, 1, 11, 8, 12) FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
INSERT INTO sales SELECT x, 1 + x % 500, x * 0.5, NULL FROM c;
CREATE VIEW totals AS SELECT user, sum(amount) AS s FROM sales GROUP BY user;
CREATE TABLE "o""dd" (x);
INSERT INTO "o""dd" VALUES (1);
SQL
counts_sqlite app.db >app.counts
like "the SQLite source counts" app.counts '^ +3000  sales$'
like "... a name with a double quote, quoted" app.counts '^ +1  "o""dd"$'
sum_app=$(checksum_sqlite app.db)
bk-dump -D sqlite:app.db -F sqlite -o manual/app.db
bk-dump -D sqlite:app.db -F sqlite | bk-gz | bk-crypt -r "$rcpt" -o manual/app.db.gz.age
bk-manifest add -T manual manual/app.db manual/app.db.gz.age
drilled "SQLite" manual/app.db app.counts "$sum_app"
drilled "SQLite, gzip'd, age" manual/app.db.gz.age app.counts "$sum_app" -i key.txt
drilled "SQLite again, with a -D it does not need" manual/app.db app.counts \
    "$sum_app" -D ${P}_real
ls tmp >tmp.list
empty "no scratch file left in TMPDIR" tmp.list

# The same data in both engines has the same checksum (integers, text,
# binary strings, NULLs).
createdb ${P}_same
psql -Xq -d ${P}_same -c "CREATE TABLE t (id int, name text, b bytea);
    INSERT INTO t VALUES (1, E'a\\tb\\\\c\\r\\001', '\\x00ff'), (2, NULL, NULL),
    (3, E'linha\\nnova', '\\x')"
sqlite3 same.db "CREATE TABLE t (id integer, name text, b blob);
    INSERT INTO t VALUES (1, 'a' || char(9) || 'b\\c' || char(13, 1), x'00ff'),
    (2, NULL, NULL), (3, 'linha' || char(10) || 'nova', x'')"
pg_dump -Fp ${P}_same >daily/same.sql
bk-dump -D sqlite:same.db -F sqlite -o manual/same.db
bk-manifest add daily/same.sql manual/same.db
bk-restore --scratch -D ${P}_real daily/same.sql >same.pg
bk-restore --scratch manual/same.db >same.sqlite
is "the same table in PostgreSQL and SQLite: the same checksum" \
    "$(sed -n 's/.*checksum //p' same.pg)" "$(sed -n 's/.*checksum //p' same.sqlite)"
is "... the one python computes from each" \
    "$(checksum_pg ${P}_same) $(checksum_sqlite same.db)" \
    "$(sed -n 's/.*checksum //p' same.pg) $(sed -n 's/.*checksum //p' same.pg)"

# ---- failed drills: recorded, exit 1 ----
cp daily/src.sql.gz daily/bad.sql.gz
bk-manifest add daily/bad.sql.gz
flip daily/bad.sql.gz 500
failed "a damaged backup" daily/bad.sql.gz 'sha256 does not match the manifest' \
    -D ${P}_real
is "... nothing counted" "$(drill_field manifest.jsonl daily/bad.sql.gz records)" null
# A whole script whose SQL fails half way.
sed 's/^CREATE VIEW public.totais/SELECT 1 \/ 0;\n&/' daily/src.sql >daily/fails.sql
bk-manifest add daily/fails.sql
failed "a script that fails" daily/fails.sql \
    'psql:<stdin>:[0-9]+: ERROR: +division by zero' -D ${P}_real
cp daily/src.dump daily/counted.dump
bk-manifest add --records 999 daily/counted.dump
n=$(awk '{ n += $1 } END { print n }' src.counts)
failed "records not the manifest's" daily/counted.dump \
    "$n records in $(wc -l <src.counts | tr -d ' ') tables, the manifest says 999" \
    -D ${P}_real
same "... the counts printed first" out src.counts
is "... and recorded" "$(drill_field manifest.jsonl daily/counted.dump records)" "$n"
# A checksum that is not the last drill's.
python3 - <<'PY'
import json
lines = []
for l in open("manifest.jsonl"):
    e = json.loads(l)
    if e["path"] == "daily/src.sql":
        e["drill"]["checksum"] = "0" * 64
    lines.append(json.dumps(e) + "\n")
open("manifest.jsonl", "w").writelines(lines)
PY
sum16=${sum_src%"${sum_src#????????????????}"}
failed "a checksum not the last drill's" daily/src.sql \
    "the content checksum $sum16\\.\\.\\. is not the last drill's, 0{16}\\.\\.\\." \
    -D ${P}_real
drilled "... and the next drill compares with that one" daily/src.sql \
    src.counts "$sum_src" -D ${P}_real
# A server without the dump's roles: the drill fails, and passes with
# --no-owner --no-acl, as a restore there would.
createdb ${P}_owned
psql -Xq -d postgres -c "CREATE ROLE ${P}_owner"
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_owned -c "CREATE TABLE t (a int);
    INSERT INTO t VALUES (1), (2); ALTER TABLE t OWNER TO ${P}_owner;
    GRANT SELECT ON t TO PUBLIC"
pg_dump -Fp ${P}_owned >daily/owned.sql
sum_owned=$(checksum_pg ${P}_owned)
bk-manifest add daily/owned.sql
# --force: the checksum's session may not have left the server yet (its
# backend ends a moment after the client), and the role must really go.
dropdb --force ${P}_owned
psql -Xq -d postgres -c "DROP ROLE ${P}_owner"
is "the dump's owner is gone from the server" \
    "$(psql -XAt -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = '${P}_owner'")" 0
failed "a dump whose owner is not on the server" daily/owned.sql \
    "psql:<stdin>:[0-9]+: ERROR: +role [\\\\]?\"${P}_owner[\\\\]?\" does not exist" -D ${P}_real
printf '%12s  %s\n' 2 t >owned.counts
drilled "... --no-owner --no-acl" daily/owned.sql owned.counts "$sum_owned" \
    --no-owner --no-acl -D ${P}_real
run bk-verify -q -i key.txt --no-scan
is "bk-verify reads the drilled manifest (the damaged backup fails)" "$rc" 1
is "... alone" "$(grep -c FAIL out)" 1

# ---- interrupted: the scratch database goes all the same ----
# A psql that, before the restore's files, waits in a shell command for
# the file "release" (connected to the scratch database, as bk-restore's
# psql is); the test interrupts bk-restore there.
mkdir fake
real=$(command -v psql)
cat >fake/psql <<EOF
#!/bin/sh
case "\$*" in *dev/fd/3*) exec "$real" -f "$T/hold.sql" "\$@" ;; esac
exec "$real" "\$@"
EOF
chmod +x fake/psql
printf '\\! touch %s/started; while [ ! -e %s/release ]; do sleep 0.1; done\n' \
    "$T" "$T" >hold.sql
cp daily/src.sql.gz daily/stop.sql.gz
bk-manifest add daily/stop.sql.gz
# INT goes to the whole process group, as a Ctrl-C does (setsid makes
# one; env undoes the SIG_IGN a background command starts with).
for sig in TERM:143 KILL:137 INT:130; do
	code=${sig#*:} sig=${sig%:*}
	rm -f started release
	PATH=$T/fake:$PATH setsid env --default-signal=INT bk-restore --scratch \
	    -D ${P}_real daily/stop.sql.gz >out 2>err &
	pid=$!
	wait_until test -e started
	scratch_dbs >dbs.txt
	like "SIG$sig: the scratch database exists mid-restore" dbs.txt \
	    "^bk_drill_${pid}_[0-9]+\$"
	if [ $sig = INT ]; then kill -INT -$pid; else kill -$sig $pid; fi
	# psql goes on, into a database being dropped; a bk-restore that
	# outlived the signal would go on too, and fail below, not hang.
	: >release
	wait $pid 2>/dev/null
	is "SIG$sig: bk-restore died of it" "$?" "$code"
	ok "SIG$sig: the scratch database is dropped" wait_until no_scratch
	is "SIG$sig: nothing recorded" \
	    "$(drill_field manifest.jsonl daily/stop.sql.gz result)" null
done
state ${P}_real >real.after
same "the real database of -D is still as it was" real.after real.before

# ---- the crontab's monthly drill ----
# examples/crontab's line, run by bash as cron would, with its folders
# here: the newest monthly backup of a tree that pg-backup.sh made.
line=$(grep ' drill-erp ' "$TOP/examples/crontab")
ok "examples/crontab has the drill line" test -n "$line"
mkdir erp log metrics
PGDATABASE=${P}_src bash "$TOP/examples/pg-backup.sh" -b "$T/erp" monthly \
    >/dev/null
cmd=$(printf '%s\n' "$line" | cut -d' ' -f6- |
    sed "s#/usr/local/lib/bk/#$TOP/examples/#g; s#/var/backups/erp#$T/erp#g;
    s#/var/log/bk/#$T/log/#g; s#/var/lib/node_exporter/textfile/#$T/metrics/#g;
    s#-D postgres#-D ${P}_real#")
BK_LOCK_DIR=$T bash -c "$cmd"
is "the crontab's drill runs" "$?" 0
like "... its job's metrics say so" metrics/bk-job-drill-erp.prom \
    '^bk_job_last_exit_status\{bk_job="drill-erp"[^}]*\} 0$'
like "... its log has the result" log/drill-erp.log \
    '^drill of "monthly/[^"]+" ok: [0-9]+ records in'
f=$(cd erp && ls monthly/*.sql.gz | grep -v globals)
is "... recorded on the newest monthly backup" \
    "$(drill_field erp/manifest.jsonl "$f" checksum)" "\"$sum_src\""

# ---- bad inputs: exit codes, one line, nothing recorded ----
printf 'a,b\n1,2\n' >daily/x.csv
cp daily/x.csv daily/y.csv
bk-manifest add daily/x.csv
cp daily/src.sql daily/z.sql
printf '{"path":"daily/z.sql","created":"2025-01-01T00:00:00Z"}\n' >>manifest.jsonl
cp manifest.jsonl manifest.saved
usage "--scratch --clean" \
    '^bk-restore: error: --scratch and --clean exclude each other' \
    bk-restore --scratch --clean -D ${P}_real daily/src.sql
usage "--scratch --yes" 'exclude each other: a drill touches nothing real' \
    bk-restore --scratch --yes daily/src.sql
usage "--scratch -n" '--scratch and -n exclude' bk-restore --scratch -n daily/src.sql
usage "--scratch --no-safety-backup" '--scratch and --no-safety-backup exclude' \
    bk-restore --scratch --no-safety-backup daily/src.sql
usage "--scratch --unlisted" 'a drill is recorded on the backup.s manifest line' \
    bk-restore --scratch --unlisted daily/src.sql
usage "--scratch -D sqlite:" '-D sqlite: names a real target' \
    bk-restore --scratch -D sqlite:x.db manual/app.db
usage "--scratch without a file" 'no backup file to restore' bk-restore --scratch
usage "--scratch with two files" 'one backup file at a time' \
    bk-restore --scratch manual/app.db manual/same.db
usage "a PostgreSQL backup without -D" 'a drill of a PostgreSQL backup needs -D' \
    bk-restore --scratch daily/src.sql
usage "a bad -D" 'bad -D' bk-restore --scratch -D "host='x" daily/src.sql
errline "no such file" 66 'could not open "daily/nope.sql"' \
    bk-restore --scratch -D ${P}_real daily/nope.sql
errline "a file without a manifest line" 1 \
    'could not drill "daily/y.csv": not in the manifest .* with nowhere to record a drill' \
    bk-restore --scratch -D ${P}_real daily/y.csv
errline "a CSV backup" 65 'could not drill "daily/x.csv": it holds csv, not a pg_dump' \
    bk-restore --scratch -D ${P}_real daily/x.csv
errline "a server that cannot be reached" 69 'could not connect to the database' \
    bk-restore --scratch -D "host=$T/nowhere dbname=x" daily/src.sql
psql -Xq -d postgres -c "CREATE ROLE ${P}_nocreate LOGIN"
errline "a user without CREATEDB" 77 \
    'could not create the scratch database "bk_drill_[0-9]+_[0-9]+": ERROR: +permission denied to create database' \
    bk-restore --scratch -D "dbname=${P}_real user=${P}_nocreate" daily/src.sql
ok "... no scratch database left" no_scratch
errline "a line without sha256" 1 \
    'could not drill "daily/z.sql": its manifest line has no sha256 to check it against$' \
    bk-restore --scratch -D ${P}_real daily/z.sql
hold_lock manifest.jsonl
errline "a manifest locked by another (-w 0)" 75 'manifest' \
    bk-restore --scratch -w 0 -D ${P}_real daily/src.sql
release_lock
ok "... no scratch database left" no_scratch
same "bad inputs record nothing" manifest.jsonl manifest.saved
bk-crypt --keygen -o other.txt 2>/dev/null
errline "a key that does not open the backup: a failed drill" 1 \
    'drill of "daily/src.sql.gz.age" failed: ' \
    bk-restore --scratch -i other.txt -D ${P}_real daily/src.sql.gz.age
is "... recorded" "$(drill_field manifest.jsonl daily/src.sql.gz.age result)" \
    '"failed"'
exits "standard output on a full disk: 74" 74 sh -c \
    "bk-restore --scratch -D ${P}_real daily/src.sql >/dev/full"
ok "... no scratch database left" no_scratch
done_testing
