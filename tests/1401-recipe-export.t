#!/bin/sh
# Recipe 1 of bk(7): examples/monthly-export.sh against the harness's
# PostgreSQL, on a database made from examples/tattoo-schema.pg.sql (seed
# 000's tables and columns): the CSV's header is the seed's column list and
# python's csv module reads back what the database holds; the cleanup (a
# real one: examples/cleanup-month.sh) runs once, after the manifest line
# and the verification, never after a failed step (the export, the manifest
# line, the verification), and rolls back when the month holds rows the
# export does not; a run killed before its manifest line, or during the
# export, is repaired by the next run, which keeps what the killed run left
# until its own export has succeeded; a run killed before its cleanup is
# resumed by the next run with -c; a month without rows exits 1 with nothing
# written; a table of bad inputs.
. "$(dirname "$0")/lib.sh"
need_pg
need bash flock createdb dropdb python3 shellcheck sha256sum

ex=$TOP/examples
P=s1401
cleanup() {
	for d in db bad r; do dropdb --if-exists ${P}_$d 2>/dev/null; done
}
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT
export PGTZ=UTC

ok "monthly-export.sh is shellcheck-clean" shellcheck -x "$ex/monthly-export.sh"
ok "cleanup-month.sh is shellcheck-clean" shellcheck -x "$ex/cleanup-month.sh"

createdb ${P}_db
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_db -f "$ex/tattoo-schema.pg.sql" \
    -f "$ex/tattoo-data.sql" >/dev/null
createdb -T ${P}_db ${P}_r	# for the cleanups that fail or are resumed

# The cleanup of the seed, examples/cleanup-month.sh: the month's rows go.
# Once it succeeded, this wrapper writes down, in cleaned.log, the month it
# was given and what the manifest said of the export at that moment, so
# that the test knows it ran after the line and the verification, and how
# often it ran.
cat >cleanup.sh <<EOF
#!/bin/sh
set -eu
v=\$(bk-manifest -m "\${BK_EXPORT%/*/*}/manifest.jsonl" info -F json "\$BK_EXPORT" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["verified"]["result"])')
PGDATABASE=\$DB "$ex/cleanup-month.sh"
echo "\$BK_MONTH verified=\$v" >>"\$LOG"
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
is "... leaves no file" "$(find f1 -type f ! -name ".lock-*" | wc -l)" 0

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

# ---- a cleanup that finds rows the export does not hold, resumed ----
# In ${P}_r, a row of August arrives between the export and the cleanup.
: >cleaned.log
r08() { psql -XAt -d ${P}_r -c "SELECT (SELECT count(*) FROM pagamentos WHERE data < '2024-09-01') || ' ' || (SELECT count(*) FROM gastos WHERE data < '2024-09-01')"; }
late="psql -Xq -d ${P}_r -c \"INSERT INTO gastos (id, data, valor, descricao) VALUES (100, '2024-08-20', 10, 'late')\""
run env DB=${P}_r "$ex/monthly-export.sh" -d dbname=${P}_r -b r -c "$late && $clean" 2024-08
is "a cleanup that finds a row the export does not hold: exit 3 (psql's)" "$rc" 3
like "... saying which" err 'the month holds 2 gasto rows, the export 1'
like "... and that a run with -c retries it" err 'error: the cleanup of 2024-08 failed \(exit 3\); .*run again with -c'
is "... it deleted nothing: August's 2 payments and 2 expenses are there" "$(r08)" "2 2"
ok "... the cleanup did not finish" test ! -s cleaned.log
errline "a next run without -c: 73, the cleanup still to do" 73 \
    'is exported, recorded and verified, but the cleanup its run was given has not been done: run again with -c' \
    "$ex/monthly-export.sh" -d dbname=${P}_r -b r 2024-08
psql -Xq -d ${P}_r -c 'DELETE FROM gastos WHERE id = 100'
run env DB=${P}_r "$ex/monthly-export.sh" -d dbname=${P}_r -b r -c "$clean" 2024-08
is "once the late row is dealt with, a next run with -c: exit 0" "$rc" 0
like "... resuming the cleanup" out 'by a run that did not finish its cleanup: resuming it'
is "... which ran once, after the line and its verification" "$(cat cleaned.log)" "2024-08 verified=ok"
is "... deleting August" "$(r08)" "0 0"
run env BK_MONTH_START=2024-08-01 BK_MONTH_END=2024-09-01 \
    BK_COUNTS=r/2024_08/backup_2024_08.counts PGDATABASE=${P}_r "$ex/cleanup-month.sh"
is "cleanup-month.sh run again deletes nothing and exits 0" "$rc" 0
errline "a next run with -c: 73, the cleanup is not run again" 73 'already exported, recorded and verified' \
    "$ex/monthly-export.sh" -d dbname=${P}_r -b r -c "$clean" 2024-08
is "... it did not" "$(wc -l <cleaned.log)" 1

# A run killed just after its manifest line, before the verification and
# the cleanup: the next run with -c verifies the month and cleans it up.
: >cleaned.log
fake bk-manifest "case \" \$* \" in *\" add \"*) $(command -v bk-manifest) \"\$@\"; kill -9 \$PPID; exit 137 ;; esac"
run env DB=${P}_r PATH="$T/fake:$PATH" "$ex/monthly-export.sh" -d dbname=${P}_r -b r -c "$clean" 2024-09
rm fake/*
is "killed just after bk-manifest add (137)" "$rc" 137
ok "... the CSV has its line" bk-manifest -q -m r/manifest.jsonl info r/2024_09/backup_2024_09.csv
is "... no cleanup ran" "$(psql -XAt -d ${P}_r -c "SELECT count(*) FROM pagamentos WHERE data >= '2024-09-01' AND data < '2024-10-01'")" 5
wait_until flock -n r/.lock-2024_09 true
run env DB=${P}_r "$ex/monthly-export.sh" -d dbname=${P}_r -b r -c "$clean" 2024-09
is "the next run with -c: exit 0" "$rc" 0
is "... the cleanup ran once, after the verification" "$(cat cleaned.log)" "2024-09 verified=ok"
is "... and September's rows are gone" "$(psql -XAt -d ${P}_r -c "SELECT count(*) FROM pagamentos WHERE data >= '2024-09-01' AND data < '2024-10-01'")" 0

# ---- a run killed before its manifest line, then the next run ----
: >cleaned.log
fake bk-manifest 'case " $* " in *" add "*) kill -9 $PPID; exit 137 ;; esac'
mkdir k && : >k/manifest.jsonl	# a tree that has its manifest already
run env PATH="$T/fake:$PATH" "$ex/monthly-export.sh" -d dbname=${P}_db -b k -c "$clean" 2024-08
rm fake/*
is "killed between the CSV and bk-manifest add (137)" "$rc" 137
ok "... it left the CSV in place" test -f k/2024_08/backup_2024_08.csv
exits "... without a manifest line" 1 bk-manifest -m k/manifest.jsonl info k/2024_08/backup_2024_08.csv
run bk-verify -m k/manifest.jsonl
like "... which bk-verify reports as incomplete" out 'FAIL 2024_08/backup_2024_08\.csv: not in the manifest'
wait_until flock -n k/.lock-2024_08 true
cp k/2024_08/backup_2024_08.csv left.csv
# A next run whose own export fails, or finds the month empty (the
# database ${P}_r, whose August is cleaned up above), leaves them be.
run "$ex/monthly-export.sh" -d dbname=${P}_bad -b k -c "$clean" 2024-08
is "a next run whose export fails exits with bk-dump's 65" "$rc" 65
same "... and leaves the files of the killed run in place" k/2024_08/backup_2024_08.csv left.csv
run "$ex/monthly-export.sh" -d dbname=${P}_r -b k -c "$clean" 2024-08
is "a next run that finds the month empty exits 1" "$rc" 1
same "... and leaves them in place too" k/2024_08/backup_2024_08.csv left.csv
run "$ex/monthly-export.sh" -d dbname=${P}_db -b k -c "$clean" 2024-08
is "the next run that can export repairs it: exit 0" "$rc" 0
like "... saying what it found" err 'warning: k/2024_08 holds backup_2024_08\.csv backup_2024_08\.counts without a manifest line, left by an interrupted run: exporting 2024-08 again'
like "... and where it moved it" err 'warning: moved backup_2024_08\.csv backup_2024_08\.counts, left by an interrupted run, into "k/2024_08/\.orphan-[0-9]{8}T[0-9]{6}Z\.[A-Za-z0-9]+"'
same "... which holds the killed run's CSV" k/2024_08/.orphan-*/backup_2024_08.csv left.csv
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
wait_until flock -n k/.lock-2024_10 true
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
is "... writes nothing" "$(find e -type f ! -name ".lock-*" | wc -l)" 0
ok "... leaves no month folder" test ! -e e/2024_07
ok "... but its lock file, which stays" test -f e/.lock-2024_07
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
# The month's lock is a file beside its folder, which a run may remove
# on its way out: held while there is no folder, it still holds.
mkdir held
hold_lock held/.lock-2024_06
errline "another run holds the month (75)" 75 'another run of 2024-06 holds "held/\.lock-2024_06": not started' \
    "$ex/monthly-export.sh" -d dbname=${P}_db -b held 2024-06
release_lock
errline "a password in a conninfo -d (64)" 64 'a password in -d: put it in ~/\.pgpass or PGPASSFILE' \
    "$ex/monthly-export.sh" -d "dbname=${P}_db PassWord = s3cret" -b pw 2024-09
unlike "... never shown" err s3cret
errline "a password in a URI -d (64)" 64 'a password in -d' \
    "$ex/monthly-export.sh" -d "postgresql://u:s3cret@localhost/${P}_db" -b pw 2024-09
errline "a password in a URI's parameters (64)" 64 'a password in -d' \
    "$ex/monthly-export.sh" -d "postgresql://localhost/${P}_db?password=s3cret" -b pw 2024-09
ok "... and nothing is written" test ! -e pw
# A file at a final name that appears during the export: ln refuses it,
# with 73 and one line, not set -e's 1.
fake bk-csv "$(command -v bk-csv) \"\$@\" && mkdir -p l2/2024_10 && : >l2/2024_10/backup_2024_10.counts; exit"
errline "a final name that cannot be made (73)" 73 'could not put l2/2024_10/backup_2024_10\.counts in place \(.*File exists\): not recorded' \
    env PATH="$T/fake:$PATH" "$ex/monthly-export.sh" -d dbname=${P}_db -b l2 2024-10
rm fake/*
ok "... and nothing is recorded" test ! -e l2/manifest.jsonl
run "$ex/monthly-export.sh" -d dbname=${P}_db -b -dash 2024-10
is "a base folder whose name starts with - (-b -dash)" "$rc" 0
ok "... is a folder of that name" test -f ./-dash/2024_10/backup_2024_10.csv
run "$ex/monthly-export.sh" -d "host=$T/nowhere dbname=x" -b u 2024-09
is "an unreachable server: bk-dump's 69" "$rc" 69
run "$ex/monthly-export.sh" -d sqlite:missing.db -b u 2024-09
is "a missing SQLite file: bk-dump's 66" "$rc" 66
is "... and neither leaves a file" "$(find u -type f ! -name ".lock-*" 2>/dev/null | wc -l)" 0
done_testing
