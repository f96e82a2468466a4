#!/bin/sh
# The seed-000 job: examples/monthly-export.sh on the tattoo-studio demo
# database (SQLite, and PostgreSQL when the test server runs), and the demo
# that "make demo" runs.
. "$(dirname "$0")/lib.sh"
need sqlite3 python3 bash bk-csv

ex=$TOP/examples
sqlite3 -bail estudio.db <"$ex/tattoo-schema.sqlite.sql"
sqlite3 -bail estudio.db <"$ex/tattoo-data.sql"

run "$ex/monthly-export.sh" -d sqlite:estudio.db 2024-09
is "the export exits 0" "$rc" 0
is "it logs the files written, timestamped" \
    "$(sed -n 's/^[0-9-]*T[0-9:]*Z monthly-export\.sh: wrote //p' out)" \
    "backups/2024_09/backup_2024_09.csv
backups/2024_09/backup_2024_09.counts"
empty "and nothing on stderr" err
csv=backups/2024_09/backup_2024_09.csv
is "the CSV is private" "$(mode "$csv")" 600
printf 'pagamento\t5\nsessao\t4\ncomissao\t4\ngasto\t5\n' >want.tsv
same "records per type" backups/2024_09/backup_2024_09.counts want.tsv
cat >check.py <<'PY'
import csv, io, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM"
assert b"\r\n" in raw, "no CRLF"
rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
head = rows[0]
assert head == ["type", "id", "data", "valor", "forma_pagamento",
    "observacoes", "cliente_name", "artista_name", "created_at",
    "updated_at", "sessao_id", "status", "pagamento_id", "percentual",
    "descricao"], head
body = rows[1:]
types = [r[0] for r in body]
assert types == ["pagamento"] * 5 + ["sessao"] * 4 + ["comissao"] * 4 + \
    ["gasto"] * 5, types
assert all(len(r) == len(head) for r in body)
col = {n: i for i, n in enumerate(head)}
dates = sorted(r[col["data"]] for r in body)
assert dates[0] == "2024-09-01" and dates[-1] == "2024-09-30", dates
# Accents intact, negative amounts still plain numbers, no live formula.
assert any(r[col["cliente_name"]] == "Çağla Şahin" for r in body)
assert any(float(r[col["valor"]]) == -150 for r in body if r[0] == "pagamento")
for r in body:
    for c in r:
        assert not c.startswith(("=", "+", "@")), c
        if c.startswith("-"):
            float(c)
assert any("\n" in r[col["observacoes"]] for r in body)
print("ok")
PY
run python3 check.py "$csv"
is "the CSV has the seed's columns, is Excel-ready and holds September" "$(cat out)" ok
[ "$rc" = 0 ] && : || sed 's/^/#   /' err

cp "$csv" before.csv
errline "an existing month is never overwritten (73)" 73 'already exported.*not overwriting' \
    "$ex/monthly-export.sh" -d sqlite:estudio.db 2024-09
same "the existing month is untouched" "$csv" before.csv

# -z: compressed with bk-gz; both recorded with bk-manifest (which
# counts the records again).
if command -v bk-gz >/dev/null && command -v bk-manifest >/dev/null; then
	run "$ex/monthly-export.sh" -d sqlite:estudio.db -b rec -z 2024-09
	is "-z exits 0" "$rc" 0
	ok "the .gz holds the CSV" sh -c 'gzip -dc rec/2024_09/backup_2024_09.csv.gz |
	    cmp -s - rec/2024_09/backup_2024_09.csv'
	is "both are recorded, 18 records each" \
	    "$(bk-manifest -m rec/manifest.jsonl list | cut -f2,4,7 | sort | tr '\t\n' ', ')" \
	    "monthly,18,2024_09/backup_2024_09.csv monthly,18,2024_09/backup_2024_09.csv.gz "
else
	skip "bk-gz or bk-manifest not built"; skip "bk-gz or bk-manifest not built"
	skip "bk-gz or bk-manifest not built"
fi
if command -v bk-sum >/dev/null; then
	run "$ex/monthly-export.sh" -d sqlite:estudio.db -b sums -s 2024-09
	is "-s exits 0" "$rc" 0
	ok "sha256sum -c accepts the SHA256SUMS written with bk-sum" \
	    sh -c 'cd sums/2024_09 && sha256sum -c --quiet SHA256SUMS'
else
	skip "bk-sum not built"; skip "bk-sum not built"
fi

exits "a bad month exits 64" 64 "$ex/monthly-export.sh" -d sqlite:estudio.db 2024-13
exits "no month exits 64" 64 "$ex/monthly-export.sh" -d sqlite:estudio.db

# A failure in the pipeline leaves nothing behind.
cp estudio.db broken.db
sqlite3 broken.db 'DROP TABLE comissoes'
run "$ex/monthly-export.sh" -d sqlite:broken.db -b fail 2024-09
is "a failing export exits non-zero (bk-dump's 65)" "$rc" 65
like "it says why" err 'comissao: no such table: comissoes'
is "and leaves no file behind (but the month's lock)" "$(find fail -type f ! -name ".lock-*" | wc -l)" 0
run "$ex/monthly-export.sh" -d sqlite:missing.db -b fail 2024-09
is "a missing database exits 66" "$rc" 66

# The same export from PostgreSQL has the same records.
if [ -n "${BK_TEST_PG:-}" ]; then
	dropdb --if-exists bk_0404 2>/dev/null
	createdb bk_0404
	trap 'cd /; dropdb --if-exists bk_0404 2>/dev/null; rm -rf "$T"' EXIT
	PGTZ=UTC psql -Xq -v ON_ERROR_STOP=1 -d bk_0404 -f "$ex/tattoo-schema.pg.sql" \
	    -f "$ex/tattoo-data.sql" >/dev/null
	run env PGTZ=UTC "$ex/monthly-export.sh" -d dbname=bk_0404 -b pg 2024-09
	is "the PostgreSQL export exits 0" "$rc" 0
	same "the same records per type" pg/2024_09/backup_2024_09.counts want.tsv
	ok "the same type, id, date and amount in every record" python3 -c '
import csv, io, sys
def rows(p):
    t = open(p, encoding="utf-8-sig", newline="").read()
    return [(r[0], r[1], r[2], float(r[3])) for r in list(csv.reader(io.StringIO(t, newline="")))[1:]]
assert rows(sys.argv[1]) == rows(sys.argv[2])' "$csv" pg/2024_09/backup_2024_09.csv
else
	skip "no test PostgreSQL server"; skip "no test PostgreSQL server"
	skip "no test PostgreSQL server"
fi

# make demo: re-runnable, no server, prints files and records.
for i in 1 2; do
	run env BK_DEMO_DIR="$T/demo" BUILD="$BUILD" "$ex/demo.sh"
	is "demo run $i exits 0" "$rc" 0
done
like "the demo prints the files written" out 'backups/2024_09/backup_2024_09\.csv'
like "the demo prints the records per type" out '^  pagamento +5$'
like "the demo prints the total" out '^  total +18$'
is "the demo's database copy passes integrity_check" \
    "$(sqlite3 "$T/demo/backups/estudio-copy.db" 'PRAGMA integrity_check')" ok
like "the demo shows the tree verified" out '^  OK estudio-copy\.db$'
# The tree the demo leaves verifies on its own, run from inside it as a
# newcomer would: every file that looks like a backup has its line.
run sh -c 'cd "$1/demo/backups" && bk-verify' sh "$T"
is "bk-verify in the demo's backup folder exits 0" "$rc" 0
is "... with an OK for each of the three backups" "$(grep -c '^OK ' out)" 3
done_testing
