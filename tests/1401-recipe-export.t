#!/bin/sh
# Recipe 1 of bk(7): examples/monthly-export.sh against the harness's
# PostgreSQL, on a database made from examples/tattoo-schema.pg.sql (seed
# 000's tables and columns): the CSV's header is the seed's column list and
# python's csv module reads back what the database holds; the cleanup (a
# real one, deleting the month's rows with psql) runs once, after the
# manifest line and the verification, and never after a failed step (the
# export, the manifest line, the verification); a run killed before its
# manifest line, or during the export, is repaired by the next run; a month
# without rows exits 1 with nothing written; a table of bad inputs.
. "$(dirname "$0")/lib.sh"
need_pg
need bash flock createdb dropdb python3 shellcheck sha256sum

ex=$TOP/examples
P=s1401
cleanup() { dropdb --if-exists ${P}_db 2>/dev/null; dropdb --if-exists ${P}_bad 2>/dev/null; }
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT
export PGTZ=UTC

ok "monthly-export.sh is shellcheck-clean" shellcheck -x "$ex/monthly-export.sh"

createdb ${P}_db
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_db -f "$ex/tattoo-schema.pg.sql" \
    -f "$ex/tattoo-data.sql" >/dev/null

# The cleanup of the seed: the month's rows go.  It writes down, in
# cleaned.log, the month it was given and what the manifest said of the
# export at that moment, so that the test knows it ran after the line and
# the verification, and how often it ran.
cat >cleanup.sh <<'EOF'
#!/bin/sh
set -eu
v=$(bk-manifest -m "${BK_EXPORT%/*/*}/manifest.jsonl" info -F json "$BK_EXPORT" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["verified"]["result"])')
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" -v s="$BK_MONTH_START" -v e="$BK_MONTH_END" <<'SQL'
BEGIN;
DELETE FROM comissoes WHERE pagamento_id IN
    (SELECT id FROM pagamentos WHERE data >= :'s' AND data < :'e');
DELETE FROM pagamentos WHERE data >= :'s' AND data < :'e';
DELETE FROM sessoes WHERE data >= :'s' AND data < :'e'
    AND id NOT IN (SELECT sessao_id FROM pagamentos WHERE sessao_id IS NOT NULL);
DELETE FROM gastos WHERE data >= :'s' AND data < :'e';
COMMIT;
SQL
echo "$BK_MONTH verified=$v" >>"$LOG"
EOF
chmod +x cleanup.sh
export DB=${P}_db LOG=$T/cleaned.log
clean="$T/cleanup.sh"

# rows MONTH: the month's rows of the four tables, and the names joined in,
# as psql prints them (the text forms the export must carry).
rows() {
	for t in pagamentos sessoes comissoes gastos clientes artistas; do
		psql -X --csv -d ${P}_db -c "SELECT * FROM $t ORDER BY id" >"db.$t.csv"
	done
}
rows
# check.py CSV MONTH: the header is the seed's column list, and every
# record is a row of the database, cell by cell (the Excel quote in front
# of a formula taken off), and every row of the month is there once.
cat >check.py <<'PY'
import csv, sys
path, month = sys.argv[1], sys.argv[2]
seed = ["type", "id", "data", "valor", "forma_pagamento", "observacoes",
        "cliente_name", "artista_name", "created_at", "updated_at"]
extra = ["sessao_id", "status", "pagamento_id", "percentual", "descricao"]
def table(t):
    with open("db.%s.csv" % t, newline="", encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}
db = {t: table(t) for t in ("pagamentos", "sessoes", "comissoes", "gastos",
                            "clientes", "artistas")}
def name(t, i):
    return db[t][i]["nome"] if i else ""
with open(path, newline="", encoding="utf-8-sig") as f:
    rd = csv.reader(f)
    head = next(rd)
    assert head == seed + extra, head
    got = [dict(zip(head, r)) for r in rd]
def cell(v):
    return v[1:] if v[:2] in ("'=", "'+", "'-", "'@") else v
inmonth = lambda d: d[:7] == month
want = {}
for i, p in db["pagamentos"].items():
    if inmonth(p["data"]):
        want[("pagamento", i)] = dict(p, cliente_name=name("clientes", p["cliente_id"]),
            artista_name=name("artistas", p["artista_id"]))
for i, s in db["sessoes"].items():
    if inmonth(s["data"]):
        want[("sessao", i)] = dict(s, cliente_name=name("clientes", s["cliente_id"]),
            artista_name=name("artistas", s["artista_id"]))
for i, c in db["comissoes"].items():
    p = db["pagamentos"][c["pagamento_id"]]
    if inmonth(p["data"]):
        want[("comissao", i)] = dict(c, data=p["data"],
            cliente_name=name("clientes", p["cliente_id"]),
            artista_name=name("artistas", c["artista_id"]))
for i, g in db["gastos"].items():
    if inmonth(g["data"]):
        want[("gasto", i)] = g
keys = [(r["type"], r["id"]) for r in got]
assert sorted(keys) == sorted(want), (sorted(keys), sorted(want))
assert [k[0] for k in keys] == sorted([k[0] for k in keys],
    key=["pagamento", "sessao", "comissao", "gasto"].index), keys
for r in got:
    w = want[(r["type"], r["id"])]
    for col in head[1:]:
        assert cell(r[col]) == w.get(col, ""), (r["type"], r["id"], col, r[col], w.get(col))
print(len(got))
PY

# ---- a month exported, recorded, verified, then cleaned up ----
run "$ex/monthly-export.sh" -d dbname=${P}_db -z -s -c "$clean" 2024-09
is "the export of 2024-09 exits 0" "$rc" 0
empty "... with nothing on stderr" err
csv=backups/2024_09/backup_2024_09.csv
like "its log lines are timestamped" out '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z monthly-export\.sh: exported 18 records'
is "... every one of them" \
    "$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z monthly-export\.sh: ' out)" 0
run python3 check.py "$csv" 2024-09
is "the CSV has the seed's columns and holds the month's 18 rows, cell by cell" "$(cat out)" 18
[ -s err ] && sed 's/^/#   /' err | tail -3
is "the cleanup ran once, after the line was recorded and verified" \
    "$(cat cleaned.log)" "2024-09 verified=ok"
is "... and the month's rows are gone" \
    "$(psql -XAt -d ${P}_db -c "SELECT count(*) FROM pagamentos WHERE data >= '2024-09-01' AND data < '2024-10-01'")" 0
is "the CSV and the .gz are recorded, monthly, 18 records each" \
    "$(bk-manifest -m backups/manifest.jsonl list | cut -f2,4,5,7 | sort | tr '\t\n' ', ')" \
    "monthly,18,ok,2024_09/backup_2024_09.csv monthly,18,ok,2024_09/backup_2024_09.csv.gz "
ok "sha256sum -c accepts SHA256SUMS" sh -c 'cd backups/2024_09 && sha256sum -c --quiet SHA256SUMS'
ok "bk-verify passes the whole tree" bk-verify -q -m backups/manifest.jsonl

errline "a second run of the month exits 73" 73 'already exported, recorded and verified: not overwriting' \
    "$ex/monthly-export.sh" -d dbname=${P}_db -c "$clean" 2024-09
is "... and does not run the cleanup" "$(wc -l <cleaned.log)" 1

# ---- no cleanup after any failure ----
rows
: >cleaned.log
n08() { psql -XAt -d ${P}_db -c "SELECT count(*) FROM pagamentos WHERE data < '2024-09-01'"; }
before=$(n08)
createdb -T ${P}_db ${P}_bad
psql -Xq -d ${P}_bad -c 'ALTER TABLE comissoes RENAME TO comissoes_old'
run "$ex/monthly-export.sh" -d dbname=${P}_bad -b f1 -c "$clean" 2024-08
is "a failing export exits with bk-dump's 65" "$rc" 65
like "... saying why" err 'comissao: .*comissoes.* does not exist'
is "... leaves no file" "$(find f1 -type f | wc -l)" 0

mkdir fake
# fake TOOL SCRIPT: a tool of that name first in PATH, running SCRIPT for
# the given subcommand and the real tool otherwise.
fake() {
	printf '#!/bin/sh\n%s\nexec %s "$@"\n' "$2" "$(command -v "$1")" >"fake/$1"
	chmod +x "fake/$1"
}
fake bk-manifest 'case " $* " in *" add "*) echo "bk-manifest: error: could not write \"manifest.jsonl\": No space left on device" >&2; exit 74 ;; esac'
run env PATH="$T/fake:$PATH" "$ex/monthly-export.sh" -d dbname=${P}_db -b f2 -c "$clean" 2024-08
is "a manifest line that cannot be written: exit 74" "$rc" 74
rm fake/*
fake bk-verify 'echo "FAIL $5: sha256 does not match"; exit 1'
run env PATH="$T/fake:$PATH" "$ex/monthly-export.sh" -d dbname=${P}_db -b f3 -c "$clean" 2024-08
is "a verification that fails: exit 65" "$rc" 65
like "... saying why" err 'fails verification \(FAIL .*sha256 does not match\): no cleanup'
rm fake/*
ok "after each failure, the cleanup never ran" test ! -s cleaned.log
is "... and August's rows are all there" "$(n08)" "$before"

# ---- a run killed before its manifest line, then the next run ----
fake bk-manifest 'case " $* " in *" add "*) kill -9 $PPID; exit 137 ;; esac'
mkdir k && : >k/manifest.jsonl	# a tree that has its manifest already
run env PATH="$T/fake:$PATH" "$ex/monthly-export.sh" -d dbname=${P}_db -b k -c "$clean" 2024-08
rm fake/*
is "killed between the CSV and bk-manifest add (137)" "$rc" 137
ok "... it left the CSV in place" test -f k/2024_08/backup_2024_08.csv
exits "... without a manifest line" 1 bk-manifest -m k/manifest.jsonl info k/2024_08/backup_2024_08.csv
run bk-verify -m k/manifest.jsonl
like "... which bk-verify reports as incomplete" out 'FAIL 2024_08/backup_2024_08\.csv: not in the manifest'
wait_until flock -n k/2024_08 true
run "$ex/monthly-export.sh" -d dbname=${P}_db -b k -c "$clean" 2024-08
is "the next run repairs it: exit 0" "$rc" 0
like "... saying what it removed" err 'warning: removing "k/2024_08/backup_2024_08\.csv", left without a manifest line by an interrupted run'
run python3 check.py k/2024_08/backup_2024_08.csv 2024-08
is "... its CSV holds August, cell by cell" "$(cat out)" 7
is "... recorded once" "$(bk-manifest -m k/manifest.jsonl list -T monthly | wc -l)" 1
is "... and the cleanup ran once, after the line and the verification" \
    "$(cat cleaned.log)" "2024-08 verified=ok"
is "... deleting August's rows" "$(n08)" 0
ok "the tree verifies" bk-verify -q -m k/manifest.jsonl

# Killed during the export: bk-csv's reader kills the script, leaving its
# work folder; the next run removes it.
fake bk-csv 'cat >/dev/null; kill -9 $PPID; exit 137'
run env PATH="$T/fake:$PATH" "$ex/monthly-export.sh" -d dbname=${P}_db -b k 2024-10
rm fake/*
is "killed during the export (137)" "$rc" 137
ok "... it left its work folder" sh -c 'ls -d k/2024_10/.backup_2024_10.* >/dev/null 2>&1'
wait_until flock -n k/2024_10 true
run "$ex/monthly-export.sh" -d dbname=${P}_db -b k 2024-10
is "the next run exits 0" "$rc" 0
like "... removing the work folder" err 'warning: removing "k/2024_10/\.backup_2024_10\.[A-Za-z0-9]+", left by an interrupted run'
is "... of which nothing is left" "$(find k -name '.backup_*' | wc -l)" 0
is "... and the month is recorded" "$(bk-manifest -m k/manifest.jsonl list -T monthly | wc -l)" 2

# A CSV without a line that no run of the script left (made by hand, or
# by an older version) is never taken for a leftover.
mkdir -p o/2024_08
cp k/2024_08/backup_2024_08.csv o/2024_08/
cp o/2024_08/backup_2024_08.csv foreign.csv
errline "a CSV without a line that no run left: 73" 73 \
    'o/2024_08/backup_2024_08\.csv exists without a manifest line, and no interrupted run of monthly-export\.sh left it: not overwriting' \
    "$ex/monthly-export.sh" -d dbname=${P}_db -b o 2024-08
same "... and it is untouched" o/2024_08/backup_2024_08.csv foreign.csv

# ---- a month without rows ----
: >cleaned.log
run "$ex/monthly-export.sh" -d dbname=${P}_db -b e -c "$clean" 2024-07
is "a month without rows exits 1" "$rc" 1
like "... saying so in one line" err 'error: 2024-07 has no rows in pagamentos, sessoes, comissoes or gastos: nothing written, no cleanup'
is "... one line only" "$(wc -l <err)" 1
is "... writes nothing" "$(find e -type f | wc -l)" 0
ok "... leaves no month folder" test ! -e e/2024_07
ok "... runs no cleanup" test ! -s cleaned.log

# ---- bad inputs: exit status and the one line that says why ----
next=$(date -d "$(date +%Y-%m-15) +1 month" +%Y-%m)
mkdir nobk
for t in "$BUILD"/bin/bk-*; do
	[ "${t##*/}" = bk-verify ] || ln -s "$t" nobk/
done
: >afile
errline "a bad month (64)" 64 'bad month "2024-13" \(want YYYY-MM\)' \
    "$ex/monthly-export.sh" 2024-13
errline "a month given as 2024-9 (64)" 64 'bad month "2024-9"' \
    "$ex/monthly-export.sh" 2024-9
errline "a month not over yet (64)" 64 "$next is not over yet" \
    "$ex/monthly-export.sh" "$next"
usage "no month (64)" '^usage: monthly-export\.sh ' "$ex/monthly-export.sh"
usage "two months (64)" '^usage: ' "$ex/monthly-export.sh" 2024-08 2024-09
usage "an unknown option (64)" '^usage: ' "$ex/monthly-export.sh" -m 2024-09
if PATH="$T/nobk:/usr/bin:/bin" command -v bk-verify >/dev/null; then
	skip "a bk-verify is installed in /usr/bin or /bin"
else
	errline "a missing tool (69)" 69 'bk-verify not found in PATH' \
	    env PATH="$T/nobk:/usr/bin:/bin" "$ex/monthly-export.sh" 2024-09
fi
errline "a base folder that is a file (73)" 73 '"afile" is not a folder' \
    "$ex/monthly-export.sh" -b afile 2024-09
errline "a base folder under a file (73)" 73 'could not create the folder "afile/x/2024_09"' \
    "$ex/monthly-export.sh" -b afile/x 2024-09
mkdir ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then
	errline "a base folder it cannot write to (73)" 73 'could not create the folder "ro/2024_09"' \
	    "$ex/monthly-export.sh" -b ro 2024-09
elif chmod 755 "$T" && nobody_ok "$ex" && nobody_ok "$T"; then
	# Root writes anywhere: ask as nobody.
	errline "a base folder it cannot write to (73)" 73 'could not create the folder "ro/2024_09"' \
	    as_nobody "$ex/monthly-export.sh" -b ro 2024-09
else
	skip "root writes anywhere, and $nobody_why"
fi
mkdir -p held/2024_06
( flock 9 && : >held.ok && exec sleep 600 ) 9<held/2024_06 >/dev/null 2>&1 &
holder=$!
wait_until test -e held.ok
errline "another run holds the month (75)" 75 'another run of 2024-06 holds "held/2024_06": not started' \
    "$ex/monthly-export.sh" -d dbname=${P}_db -b held 2024-06
kill "$holder"; wait "$holder" 2>/dev/null
run "$ex/monthly-export.sh" -d "host=$T/nowhere dbname=x" -b u 2024-09
is "an unreachable server: bk-dump's 69" "$rc" 69
run "$ex/monthly-export.sh" -d sqlite:missing.db -b u 2024-09
is "a missing SQLite file: bk-dump's 66" "$rc" 66
is "... and neither leaves a file" "$(find u -type f 2>/dev/null | wc -l)" 0
done_testing
