#!/bin/sh
# bk-dump from PostgreSQL: every format checked by the real peers (psql
# \copy, psql replaying the script, python's json), labels and the union of
# columns, --month at month boundaries, NULL against empty, parameters that
# hold SQL, and the errors.
. "$(dirname "$0")/lib.sh"
need_pg
need python3

db=bk_0401
dropdb --if-exists "$db" 2>/dev/null; dropdb --if-exists "${db}_r" 2>/dev/null
createdb "$db" || skip_all "could not create a database"
trap 'cd /; dropdb --if-exists "$db" 2>/dev/null; dropdb --if-exists "${db}_r" 2>/dev/null; rm -rf "$T"' EXIT
PGDATABASE=$db
export PGDATABASE
psql -Xq -v ON_ERROR_STOP=1 <<'SQL' || skip_all "could not create the tables"
CREATE SCHEMA loja;
CREATE TABLE loja.itens (
	id	 integer PRIMARY KEY,
	nome	 text,
	valor	 numeric(10,2),
	ativo	 boolean,
	quando	 timestamptz,
	dia	 date,
	extra	 jsonb,
	dados	 bytea,
	"Nome Estranho, ""sim""" text
);
INSERT INTO loja.itens VALUES
 (1, 'Café, "forte"', -12.50, true, '2024-09-01 00:00:00+00', '2024-09-01', '{"a": [1, 2]}', '\x00ff', 'x'),
 (2, '', NULL, false, '2024-09-30 23:59:59.999+00', '2024-09-30', NULL, NULL, NULL),
 (3, NULL, 0.00, NULL, '2024-10-01 00:00:00+00', '2024-10-01', 'null', '\x', ''),
 (4, E'linha 1\nlinha 2\r\n\ttab \\ barra', 1e6, true, '2024-08-31 23:59:59.999999+00', '2024-08-31', '"s"', NULL, '=1+2'),
 (5, '\.', 3.14, false, NULL, NULL, '{}', NULL, 'ção');
CREATE TABLE vazia (id integer, nome text);
CREATE TABLE outra (id integer, cor text, nome text);
INSERT INTO outra VALUES (10, 'azul', 'Zoë'), (11, NULL, '');
SQL

# csv: the header and the server's encoding; psql \copy reads it back.
run bk-dump --table loja.itens
is "csv exits 0" "$rc" 0
like "csv header names every column, odd names quoted" out \
    '^id,nome,valor,ativo,quando,dia,extra,dados,"Nome Estranho, ""sim"""$'
psql -XAc '\copy (SELECT * FROM loja.itens) to stdout csv header' >peer.csv
same "csv equals psql copy ... csv header" out peer.csv
createdb "${db}_r"
pg_dump -s "$db" | psql -Xq -d "${db}_r" -v ON_ERROR_STOP=1 >/dev/null 2>&1
cp out itens.csv
ok "psql copy imports the csv" psql -Xq -d "${db}_r" -v ON_ERROR_STOP=1 \
    -c '\copy loja.itens from itens.csv csv header'
ok "the imported rows equal the source (NULL and empty kept apart)" sh -c '
    psql -XAc "\\copy (SELECT * FROM loja.itens ORDER BY id) to stdout" >a &&
    psql -XA -d '"${db}_r"' -c "\\copy (SELECT * FROM loja.itens ORDER BY id) to stdout" >b &&
    cmp -s a b'
is "NULL is unquoted empty, empty string is \"\"" \
    "$(grep -c '^2,"",,f,' itens.csv)" 1

# sql: psql replays the script into an empty copy of the schema.
psql -Xq -d "${db}_r" -c 'TRUNCATE loja.itens'
run bk-dump -F sql --table loja.itens --table outra
is "sql exits 0" "$rc" 0
like "sql starts a transaction" out '^BEGIN;$'
like "sql loads through COPY FROM stdin" out '^COPY "loja"\."itens" \(.*"Nome Estranho, ""sim"""\) FROM stdin;$'
like "sql ends the transaction" out '^COMMIT;$'
cp out replay.sql
ok "psql replays the sql script" sh -c 'psql -Xq -d "$1" -v ON_ERROR_STOP=1 \
    -f replay.sql >/dev/null' - "${db}_r"
ok "the replayed rows equal the source" sh -c '
    for t in loja.itens outra; do
	psql -XAc "\\copy (SELECT * FROM $t ORDER BY id) to stdout"
    done >a &&
    for t in loja.itens outra; do
	psql -XA -d '"${db}_r"' -c "\\copy (SELECT * FROM $t ORDER BY id) to stdout"
    done >b && cmp -s a b'

# jsonl: real types, checked by python.
run bk-dump -F jsonl --table loja.itens --table vazia --table o=outra
is "jsonl exits 0" "$rc" 0
cp out itens.jsonl
cat >check.py <<'PY'
import json, sys
rows = [json.loads(l) for l in open("itens.jsonl", encoding="utf-8")]
assert len(rows) == 7, len(rows)
r = {x["id"]: x for x in rows}
assert [x["type"] for x in rows] == ["loja.itens"] * 5 + ["o"] * 2
assert list(rows[0].keys())[:3] == ["type", "id", "nome"]
assert r[1]["nome"] == 'Café, "forte"' and r[1]["valor"] == -12.5
assert r[1]["ativo"] is True and r[2]["ativo"] is False and r[3]["ativo"] is None
assert r[2]["nome"] == "" and r[3]["nome"] is None and r[2]["valor"] is None
assert r[1]["extra"] == {"a": [1, 2]} and r[3]["extra"] is None or r[3]["extra"] == None
assert r[4]["nome"] == "linha 1\nlinha 2\r\n\ttab \\ barra", repr(r[4]["nome"])
assert r[4]["valor"] == 1000000 and isinstance(r[4]["valor"], (int, float))
assert r[5]["nome"] == "\\."
assert r[10]["cor"] == "azul" and r[11]["cor"] is None and r[11]["nome"] == ""
assert r[1]["dados"] == "\\x00ff"
print("ok")
PY
run python3 check.py
is "python reads the jsonl with the right types" "$(cat out)" ok
[ "$rc" = 0 ] || sed 's/^/#   /' err

# json values with raw line breaks stay on one line.
psql -Xq -c "CREATE TABLE j (id int, v json); INSERT INTO j VALUES (1, E'{\"a\":\n 1,\r\n\"b\":\"x\\\\ny\"}')"
run bk-dump -F jsonl --table j
is "a json column with line breaks: one line" "$(wc -l <out)" 1
ok "a json column with line breaks: valid JSON" python3 -c '
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o == {"id": 1, "v": {"a": 1, "b": "x\ny"}}, o' out

# Labels and the union of columns, first-seen order.
run bk-dump --query "a=SELECT id, nome FROM outra ORDER BY id" \
    --query "b=SELECT cor, id FROM outra WHERE id = 10" --table vazia
cat >want <<'CSV'
type,id,nome,cor
a,10,Zoë,
a,11,"",
b,10,,azul
CSV
same "labels and the union of columns" out want
run bk-dump --labels --table outra
like "--labels adds the type column to one export" out '^type,id,cor,nome$'
like "--labels: label in the first column" out '^outra,10,azul,Zo'

run bk-dump -F sql --query "a=SELECT 1 AS type, 2 AS n" --table vazia
like "sql format: no label column, so a column named type is fine" out '^COPY "a" \("type", "n"\) FROM stdin;$'

# 0 rows, 1 row.
run bk-dump --table vazia
is "0 rows: exit 0" "$rc" 0
is "0 rows: only the header" "$(cat out)" "id,nome"
run bk-dump -F jsonl --table vazia
empty "0 rows in jsonl: nothing" out
run bk-dump --query "SELECT 1 AS um"
is "1 row" "$(cat out)" "um
1"

# --month: the bounds are dates the server casts in the session time zone.
q="SELECT id FROM loja.itens WHERE quando >= :month_start AND quando < :month_end ORDER BY id"
run bk-dump --timezone UTC --month 2024-09 --query "$q"
is "--month 2024-09 in UTC: 00:00 on the 1st to 23:59:59.999 on the 30th" \
    "$(tr '\n' ' ' <out)" "id 1 2 "
run bk-dump --timezone America/Sao_Paulo --month 2024-09 --query "$q"
is "--month 2024-09 in Sao Paulo (UTC-3) shifts by three hours" \
    "$(tr '\n' ' ' <out)" "id 2 3 "
run env PGTZ=UTC bk-dump --month 2024-08 --query "$q"
is "--month 2024-08, time zone from PGTZ" "$(tr '\n' ' ' <out)" "id 4 "
run bk-dump --month 2024-09 --query "SELECT :month_start::text AS s, :month_end::text AS e"
is "--month gives the first day of the month and of the next" "$(sed -n 2p out)" "2024-09-01,2024-10-01"
run bk-dump --month 2024-12 --query "SELECT :month_start::date AS s, :month_end::date AS e, :month_end::date - :month_start::date AS days"
is "--month 2024-12 ends on the first of January" "$(sed -n 2p out)" "2024-12-01,2025-01-01,31"
run bk-dump --month 2024-09 --query "SELECT id FROM loja.itens WHERE dia >= :month_start AND dia < :month_end ORDER BY id"
is "--month on a date column" "$(tr '\n' ' ' <out)" "id 1 2 "
exits "a bad --timezone exits 64" 64 bk-dump --timezone Mars/Olympus --query "SELECT 1"

# Parameters are bound, never pasted: a value holding quotes and SQL.
evil="x'); DROP TABLE outra; --"
run bk-dump --param "v=$evil" --query "SELECT :v AS v, ':v' AS lit, \$\$:v\$\$ AS dq, 1::text AS c, \"nome\" FROM outra WHERE id = :id::int" --param id=10
is "a value with quotes and SQL comes back unchanged" "$(sed -n 2p out)" \
    "x'); DROP TABLE outra; --,:v,:v,1,Zoë"
is "and outra still exists" "$(psql -XAtc 'SELECT count(*) FROM outra')" 2
run bk-dump --param id=11 --query "SELECT nome FROM outra WHERE id = :id" -F jsonl
is "a parameter takes the type the server infers (integer)" "$(cat out)" '{"nome":""}'
run bk-dump --param "n=O'Brien" --query "SELECT :n AS n" -F sql
like "sql format with a parameter" out "^O'Brien$"

# --serializable
run bk-dump --serializable --table outra
is "--serializable exits 0" "$rc" 0
run bk-dump -v -v --serializable --table outra
is "--serializable exports the same rows" "$(sed -n 2p out)" "10,azul,Zoë"

# Errors.
errline "unknown table: 65 with the label" 65 '^bk-dump: error: x: relation "nope" does not exist$' \
    bk-dump --table x=nope
errline "SQL error: 65 with the label" 65 '^bk-dump: error: q2: syntax error' \
    bk-dump --table outra --query "q2=SELEC 1"
errline "a write in the read-only snapshot fails" 65 'read-only transaction' \
    bk-dump --query "w=INSERT INTO outra VALUES (1) RETURNING *"
run sh -c 'bk-dump --query "boom=SELECT n, repeat(chr(120), 100) AS pad, 1 / (n - 3000) AS r FROM generate_series(1, 5000) n" 2>err >out.csv; echo $? >rc2'
is "a COPY failing after rows exits 65" "$(cat rc2)" 65
like "it names the label and the server's message" err '^bk-dump: error: boom: division by zero$'
ok "rows had arrived before the failure" test "$(wc -l <out.csv)" -gt 100
errline "with -o nothing is committed" 65 'division by zero' \
    bk-dump -o fail.csv --query "SELECT n, 1 / (n - 3000) FROM generate_series(1, 5000) n"
ok "no file after the failure" test ! -e fail.csv
errline "unreachable server: 69, libpq's message, no password" 69 \
    'could not connect to the database: .*No such file or directory' \
    bk-dump -D "host=$T/nowhere password=s3cr3tpw" --table outra
unlike "the password is not shown" err s3cr3tpw
errline "URI to an unreachable server: 69" 69 'could not connect' \
    bk-dump -D "postgresql://bk:s3cr3tpw@/nodb?host=$T/nowhere" --table outra
unlike "the password in the URI is not shown" err s3cr3tpw
errline "a missing database: 69" 69 'database "bk_0401_nope" does not exist' \
    bk-dump -D dbname=bk_0401_nope --table outra

# --counts from PostgreSQL.
run bk-dump --table loja.itens --table vazia --query "um=SELECT 1" --counts n.tsv -o all.csv
printf 'loja.itens\t5\nvazia\t0\num\t1\n' >want.tsv
same "--counts from PostgreSQL" n.tsv want.tsv
is "the csv has a header and 6 records" "$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1]))))' all.csv)" 7
done_testing
