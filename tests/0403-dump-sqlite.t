#!/bin/sh
# bk-dump from SQLite: csv, jsonl and sql checked against the sqlite3 shell
# and python, parameters, one snapshot, and --format sqlite copies of a
# database that another process keeps writing.
. "$(dirname "$0")/lib.sh"
need sqlite3 python3

sqlite3 -bail app.db <<'SQL'
CREATE TABLE usuarios (id INTEGER PRIMARY KEY, nome TEXT, senha TEXT,
    saldo REAL, ativo INTEGER, criado TEXT);
INSERT INTO usuarios VALUES
 (1, 'Zoë, "a primeira"', 'hash1', -12.5, 1, '2024-09-01 00:00:00'),
 (2, '', NULL, NULL, 0, '2024-09-30 23:59:59.999'),
 (3, NULL, 'hash3', 0.25, NULL, '2024-10-01 00:00:00'),
 (4, 'linha 1' || char(10) || 'linha 2' || char(13) || char(10) || char(9) || 'tab \ barra', '', 1e6, 1, '2024-08-31 23:59:59'),
 (5, '=1+2', 'x', 3, 1, NULL);
CREATE TABLE vazia (id INTEGER, nome TEXT);
CREATE TABLE "esquisita, ""sim""" ("a b" TEXT, "c""d" INTEGER);
INSERT INTO "esquisita, ""sim""" VALUES ('x', 1);
SQL

# csv, cell for cell against sqlite3 -csv (NULL and "" are told apart the
# same way by both: unquoted empty against "").
run bk-dump -D sqlite:app.db --table usuarios
is "csv exits 0" "$rc" 0
cp out ours.csv
sqlite3 -csv -header app.db 'SELECT * FROM usuarios' >peer.csv
cat >cmp.py <<'PY'
import csv, sys
def cells(path):
    # Keep quoted empty apart from unquoted empty: csv hides it, so look.
    rows = list(csv.reader(open(path, newline="", encoding="utf-8")))
    return rows
a, b = cells(sys.argv[1]), cells(sys.argv[2])
assert a == b, (a, b)
print("same")
PY
run python3 cmp.py ours.csv peer.csv
is "csv has the same cells as sqlite3 -csv" "$(cat out)" same
like "NULL is unquoted empty, empty text is \"\"" ours.csv '^2,"",,,0,'
ok "csv: every line of sqlite3's output that needs no quotes is identical" sh -c \
    'grep -v "\"" peer.csv | grep -v "^$" | while read -r l; do grep -qxF "$l" ours.csv || exit 1; done'
run bk-dump -D sqlite:app.db --table 'esquisita, "sim"'
is "odd table and column names" "$(cat out)" 'a b,"c""d"
x,1'

# jsonl against sqlite3 -json.
run bk-dump -D sqlite:app.db -F jsonl --table usuarios
cp out ours.jsonl
sqlite3 -json app.db 'SELECT * FROM usuarios' >peer.json
ok "jsonl has the same objects as sqlite3 -json" python3 -c '
import json, sys
ours = [json.loads(l) for l in open("ours.jsonl", encoding="utf-8")]
peer = json.load(open("peer.json", encoding="utf-8"))
assert ours == peer, (ours, peer)
assert ours[0]["saldo"] == -12.5 and ours[0]["id"] == 1 and ours[1]["senha"] is None
assert list(ours[0]) == ["id", "nome", "senha", "saldo", "ativo", "criado"]'

# sql: sqlite3 replays it into an empty copy of the schema, and so can psql.
run bk-dump -D sqlite:app.db -F sql --table usuarios --table vazia --table 'esquisita, "sim"'
is "sql exits 0" "$rc" 0
cp out dump.sql
sqlite3 app.db .schema >schema.sql
sqlite3 -bail replay.db <schema.sql
ok "sqlite3 replays the sql" sh -c 'sqlite3 -bail replay.db <dump.sql'
ok "the replayed rows are the same, types too" sh -c '
    q="SELECT *, typeof(nome), typeof(saldo), typeof(senha) FROM usuarios ORDER BY id"
    sqlite3 app.db "$q" >a && sqlite3 replay.db "$q" >b && cmp -s a b &&
    sqlite3 app.db "SELECT * FROM \"esquisita, \"\"sim\"\"\"" >a &&
    sqlite3 replay.db "SELECT * FROM \"esquisita, \"\"sim\"\"\"" >b && cmp -s a b'

# Labels, the union of columns, and leaving sensitive columns out by query.
run bk-dump -D sqlite:app.db --query "u=SELECT id, nome FROM usuarios WHERE id < 3" \
    --query "e=SELECT \"c\"\"d\" AS id, \"a b\" AS outra FROM \"esquisita, \"\"sim\"\"\"" --table vazia
cat >want <<'CSV'
type,id,nome,outra
u,1,"Zoë, ""a primeira""",
u,2,"",
e,1,,x
CSV
same "labels and the union of columns" out want

# Parameters: bound by name, never pasted.
run bk-dump -D sqlite:app.db --month 2024-09 \
    --query "SELECT id FROM usuarios WHERE criado >= :month_start AND criado < :month_end ORDER BY id"
is "--month on text timestamps: both ends of September" "$(tr '\n' ' ' <out)" "id 1 2 "
run bk-dump -D sqlite:app.db --month 2024-08 \
    --query "SELECT id FROM usuarios WHERE criado >= :month_start AND criado < :month_end"
is "--month 2024-08: 23:59:59 on the 31st" "$(tr '\n' ' ' <out)" "id 4 "
run bk-dump -D sqlite:app.db --param "v=x'); DROP TABLE usuarios; --" \
    --query "SELECT :v AS v, ':v' AS lit, :v = :v AS same"
is "a value with quotes and SQL comes back unchanged" "$(sed -n 2p out)" \
    "x'); DROP TABLE usuarios; --,:v,1"
is "and the table is still there" "$(sqlite3 app.db 'SELECT count(*) FROM usuarios')" 5
run bk-dump -D sqlite:app.db --table vazia
is "0 rows: only the header" "$(cat out)" "id,nome"
exits "writing through the read-only connection fails" 65 \
    bk-dump -D sqlite:app.db --query "INSERT INTO vazia VALUES (1, 'x') RETURNING *"

# --format sqlite of a database another process keeps writing.  Each
# writer transaction adds one row to a and one to b: a consistent copy has
# as many rows in both.
committed() {	# the writer has committed a row
	[ "$(sqlite3 live.db '.timeout 5000' 'SELECT count(*) FROM a' 2>/dev/null)" -gt 0 ] 2>/dev/null
}
for mode in wal delete; do
	rm -f live.db live.db-wal live.db-shm
	sqlite3 live.db "PRAGMA journal_mode=$mode; CREATE TABLE a (n INTEGER, pad TEXT);
	    CREATE TABLE b (n INTEGER, pad TEXT);" >/dev/null
	: >stop
	(i=0; while [ -e stop ]; do
		i=$((i + 1))
		sqlite3 live.db ".timeout 5000" "BEGIN; INSERT INTO a VALUES ($i, hex(randomblob(300)));
		    INSERT INTO b VALUES ($i, hex(randomblob(300))); COMMIT;" 2>/dev/null
	done) &
	loop=$!
	# The copies start once the writer has committed (not after a guess).
	wait_until committed
	good=0 total=0
	while [ $total -lt 8 ]; do
		total=$((total + 1))
		rm -f copy.db
		bk-dump -D sqlite:live.db -F sqlite -o copy.db 2>copy.err || continue
		[ "$(sqlite3 copy.db 'PRAGMA integrity_check')" = ok ] || continue
		[ "$(sqlite3 copy.db 'SELECT (SELECT count(*) FROM a) = (SELECT count(*) FROM b)')" = 1 ] || continue
		good=$((good + 1))
	done
	rm -f stop
	wait $loop
	is "$mode mode: every copy made during writes is whole and consistent" "$good" "$total"
	ok "$mode mode: the writer wrote meanwhile" test "$(sqlite3 live.db 'SELECT count(*) FROM a')" -gt 0
	is "$mode mode: the copy is one file in rollback-journal mode" \
	    "$(sqlite3 copy.db 'PRAGMA journal_mode')" delete
	is "$mode mode: the copy is mode 0600" "$(mode copy.db)" 600
done

# Exports from a live WAL database see one snapshot too: the two counts
# of one run always agree although the writer commits between them.
sqlite3 live.db "PRAGMA journal_mode=wal" >/dev/null
: >stop
(i=0; while [ -e stop ]; do
	i=$((i + 1))
	sqlite3 live.db ".timeout 5000" "BEGIN; INSERT INTO a VALUES ($i, 'x');
	    INSERT INTO b VALUES ($i, 'x'); COMMIT;" 2>/dev/null
done) &
loop=$!
bad=0
for i in 1 2 3 4 5 6; do
	bk-dump -D sqlite:live.db --query "a=SELECT count(*) AS n FROM a" \
	    --query "pause=WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 300000) SELECT count(*) AS p FROM c" \
	    --query "b=SELECT count(*) AS n FROM b" >snap.csv || bad=$((bad + 1))
	[ "$(grep '^a,' snap.csv | cut -d, -f2)" = "$(grep '^b,' snap.csv | cut -d, -f2)" ] || bad=$((bad + 1))
done
rm -f stop
wait $loop
is "SQLite exports: one snapshot while a writer commits" "$bad" 0
done_testing
