#!/bin/sh
# The README's five-minute tour, run as written: the indented lines under
# "## A five-minute tour" (a line ending in a backslash goes on with the
# next, "#" lines are the shell's comments) run one after the other in one
# bash, in a copy of the clone's layout (examples/ and the build under
# test, and demo-output/ made by examples/demo.sh, which is what
# "make demo" runs).  Each command must succeed; then what the tour says
# it shows must be so: the manifest's lines, bk-verify's verdicts, the
# report's numbers against the manifest, the HTML page, the monthly CSV,
# the restored database equal to the copy and the safety copy holding
# the damaged one.  A README whose tour breaks fails here.
. "$(dirname "$0")/lib.sh"
need bash sqlite3 flock python3

# ---- the tour's commands, from README.md ----
awk '
	/^## A five-minute tour/ { on = 1; next }
	/^## / { on = 0 }
	on && /^    / {
		l = substr($0, 5)
		if (cont != "") { sub(/^[ \t]+/, "", l); l = cont " " l; cont = "" }
		if (l ~ /\\$/) { cont = substr(l, 1, length(l) - 1); sub(/[ \t]+$/, "", cont); next }
		if (l ~ /^[ \t]*(#|$)/) next
		print l
	}' "$TOP/README.md" >cmds
n=$(wc -l <cmds)
ok "the README has a tour of at least 10 commands (found $n)" \
    test "$n" -ge 10
ok "the tour puts the built tools first in PATH" \
    grep -q 'PATH=$PWD/build/bin' cmds

# The clone as a newcomer has it after make demo.
ln -s "$TOP/examples" examples
ln -s "$BUILD" build
ok "make demo's script runs" sh -c 'BUILD="$1" examples/demo.sh >demo.out 2>&1' sh "$BUILD"

# One bash runs the commands in order (cd, export and variables carry
# over, as in the reader's shell); each one's output goes to o.N and e.N
# and its status to status, and the run stops at the first failure.
{
	echo 'cd "$1" || exit 70'
	i=0
	while IFS= read -r c; do
		i=$((i + 1))
		printf '{ %s\n} >"$1/o.%d" 2>"$1/e.%d"\n' "$c" "$i" "$i"
		printf 'st=$?; echo "%d $st" >>"$1/status"; [ "$st" = 0 ] || exit 1\n' "$i"
	done <cmds
} >tour.sh
env -u BK_MANIFEST bash tour.sh "$T" </dev/null >tour.out 2>&1

i=0
while IFS= read -r c; do
	i=$((i + 1))
	st=$(awk -v i="$i" '$1 == i { print $2 }' status 2>/dev/null)
	if [ "$st" = 0 ]; then pass "tour $i: $c"
	else
		fail "tour $i: $c"
		if [ -z "$st" ]; then diag "not run: an earlier command failed"
		else diag "exit $st"; sed 's/^/#   /' "e.$i" | head -5; fi
	fi
done <cmds
# out CMD-REGEX: the output file of the first tour command matching it.
out() {
	_o=$(grep -nE -- "$1" cmds | head -1 | cut -d: -f1)
	echo "o.${_o:-none}"
}

# ---- what it shows ----
d=demo-output
tr=$d/tour
m=$tr/manifest.jsonl
bk-manifest -m "$m" list -F tsv | cut -f2 | sort | uniq -c |
    awk '{ print $2, $1 }' >types
printf '%s\n' 'manual 1' 'monthly 2' 'pre-restore 1' >types.want
same "the manifest holds the copy, the month's CSV and .gz, the safety copy" \
    types types.want
ok "bk-job.sh kept the monthly export's run in jobs.jsonl" \
    grep -q '"job":"monthly-export","type":"monthly",.*"status":0}' "$tr/jobs.jsonl"

v=$(out '^bk-verify ')
ok "the tour's bk-verify says OK of each of the 3 backups, and nothing else" \
    test "$(grep -c '^OK ' "$v")" = 3 -a "$(wc -l <"$v")" = 3
run bk-verify -q -m "$m"
is "the tree, safety copy included, verifies after the tour" "$rc" 0

r=$(out 'report$')
like "the text report: 1 manual copy" "$r" '^manual +1 '
like "the text report: 2 monthly files and 1 run of the job" "$r" \
    '^monthly +[0-9-]+ +2 +[0-9.]+ [KMG]?i?B +- +1 +0 +0 '
like "the text report: all 3" "$r" '^all +3 '
like "the text report: the manual copy verified and drilled" "$r" \
    '^manual +[0-9-]+ [0-9:]+ ok +[0-9-]+ [0-9:]+ ok '
ok "the drill is on the copy's manifest line" \
    grep -Eq '"path":"manual/[^"]*".*"drill":\{[^}]*"result":"ok"' "$m"
bk-manifest -m "$m" report -F json >report.json
for t in manual monthly; do
	jc=$(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print([x["count"] for x in r["types"] if x["type"] == sys.argv[2]][0])' report.json "$t")
	lc=$(bk-manifest -m "$m" list -T "$t" -F tsv | wc -l)
	is "the JSON report counts the manifest's $t backups" "$jc" "$lc"
done
h=$tr/report.html
ok "the HTML page is one self-contained page with charts" \
    sh -c 'head -1 "$1" | grep -q "^<!DOCTYPE html>" &&
        grep -q "<svg" "$1" && grep -q "</html>" "$1" &&
        ! grep -Eq "(src|href)=\"?(https?:)?//" "$1"' sh "$h"

csv=$tr/2024_08/backup_2024_08.csv
printf '\357\273\277type,id,data,valor,forma_pagamento,observacoes,cliente_name,artista_name,created_at,updated_at,' >head.want
head -c "$(wc -c <head.want)" "$csv" >head.got
same "the monthly CSV is Excel's (a BOM), with seed 000's columns" head.got head.want
want=$(sqlite3 "$d/estudio.db" "SELECT
    (SELECT count(*) FROM pagamentos WHERE data LIKE '2024-08%') +
    (SELECT count(*) FROM gastos WHERE data LIKE '2024-08%')")
ok "its counts hold August's payments and expenses (and more)" \
    test "$(awk -F '\t' '{ n += $2 } END { print n }' "$tr/2024_08/backup_2024_08.counts")" -ge "$want"
run bk-gz -d <"$csv.gz"
same "the .gz holds the CSV" "$T/out" "$csv"

# The restore: the database is the copy again, and the safety copy is
# what the accident left.
copy=$(ls "$tr"/manual/*.db)
safe=$(ls "$tr"/pre-restore/*.db)
sqlite3 "$d/estudio.db" .dump >now.sql
sqlite3 "$copy" .dump >copy.sql
same "the restored database holds what the copy holds" now.sql copy.sql
is "the expenses are back, as the tour says (7 rows)" \
    "$(cat "$(out 'SELECT count')")" 7
is "the safety copy holds the database without its expenses" \
    "$(sqlite3 "$safe" 'SELECT count(*) FROM gastos')" 0
is "the safety copy holds the rest" \
    "$(sqlite3 "$safe" 'SELECT count(*) FROM pagamentos')" \
    "$(sqlite3 "$copy" 'SELECT count(*) FROM pagamentos')"
like "the tour's last list shows the safety copy" "$(out 'list -T pre-restore')" \
    '	pre-restore	.*pre-restore/'
like "restore.log records the restore and its safety copy" "$tr/restore.log" \
    '"result":"ok".*"safety_backup":"pre-restore/'

done_testing
