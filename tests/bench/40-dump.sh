#!/bin/sh
# bk-dump: 1M rows to CSV from PostgreSQL against psql's \copy of the same
# query (target >= 0.95x), from SQLite against sqlite3 -csv (>= 1.0x), and
# peak memory (<= 16 MiB whatever the row count).  Starts its own
# throwaway PostgreSQL server unless one is already exported (BK_TEST_PG).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/pg.sh"

rows=${BK_BENCH_DUMP_ROWS:-1000000}
if [ -z "${BK_TEST_PG:-}" ]; then
	pg_start || { echo "40-dump: no PostgreSQL server: skipped"; exit 0; }
fi
db=bk_bench40
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || exit 1
trap 'dropdb --if-exists "$db" 2>/dev/null; pg_stop' EXIT

# Rows shaped like the monthly export: ids, dates, amounts (some negative),
# text with commas and quotes, timestamps, some NULLs.
psql -Xq -v ON_ERROR_STOP=1 -d "$db" -c "CREATE TABLE pagamentos AS
    SELECT g AS id, date '2024-01-01' + (g % 365) AS data,
	round((random() * 2000 - 300)::numeric, 2) AS valor,
	(ARRAY['pix', 'dinheiro', 'cartão de crédito'])[1 + g % 3] AS forma_pagamento,
	CASE WHEN g % 7 = 0 THEN NULL ELSE 'Cliente ' || (g % 5000) || ', sessão \"' || (g % 40) || '\"' END AS observacoes,
	timestamptz '2024-01-01 00:00:00+00' + g * interval '17 seconds' AS created_at
    FROM generate_series(1, $rows) g" || exit 1
sq=$DATA/dump-$rows.sqlite
if [ ! -s "$sq" ]; then
	rm -f "$sq.tmp"
	psql -XAq -d "$db" -c '\copy pagamentos to stdout csv' >"$DATA/dump.csv" &&
	sqlite3 -bail "$sq.tmp" "CREATE TABLE pagamentos (id INTEGER, data TEXT,
	    valor REAL, forma_pagamento TEXT, observacoes TEXT, created_at TEXT)" \
	    ".import --csv $DATA/dump.csv pagamentos" && mv "$sq.tmp" "$sq"
	rm -f "$DATA/dump.csv"
fi

q="SELECT * FROM pagamentos"
echo "# bk-dump: $rows rows, $(psql -XAtc "SELECT pg_size_pretty(pg_total_relation_size('pagamentos'))" -d "$db") in PostgreSQL"
compare "bk-dump csv PostgreSQL vs psql \\copy" \
    "bk-dump -D dbname=$db --table pagamentos >/dev/null" \
    "psql -X -d $db -c '\\copy ($q) to stdout csv header' >/dev/null" 0.95
compare "bk-dump csv SQLite vs sqlite3 -csv" \
    "bk-dump -D sqlite:$sq --table pagamentos >/dev/null" \
    "sqlite3 -csv -header $sq '$q' >/dev/null" 1.0
compare "bk-dump jsonl SQLite vs sqlite3 -json" \
    "bk-dump -D sqlite:$sq -F jsonl --table pagamentos >/dev/null" \
    "sqlite3 -json $sq '$q' >/dev/null" 1.0
peak "bk-dump csv PostgreSQL" "bk-dump -D dbname=$db --table pagamentos >/dev/null" 16
peak "bk-dump csv, 2 exports with labels" \
    "bk-dump -D dbname=$db --table a=pagamentos --query 'b=SELECT id, valor FROM pagamentos' >/dev/null" 16
peak "bk-dump jsonl PostgreSQL" "bk-dump -D dbname=$db -F jsonl --table pagamentos >/dev/null" 16
peak "bk-dump sql PostgreSQL" "bk-dump -D dbname=$db -F sql --table pagamentos >/dev/null" 16
peak "bk-dump csv SQLite" "bk-dump -D sqlite:$sq --table pagamentos >/dev/null" 16
peak "bk-dump sql SQLite" "bk-dump -D sqlite:$sq -F sql --table pagamentos >/dev/null" 16
peak "bk-dump sqlite copy" "bk-dump -f -D sqlite:$sq -F sqlite -o $DATA/copy.sqlite" 16
rm -f "$DATA/copy.sqlite"
