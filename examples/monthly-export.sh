#!/bin/bash
# monthly-export.sh: the monthly financial export of seed 000, before a
# cleanup (recipe 1 of bk(7)).
#
#   monthly-export.sh [-d SOURCE] [-b BASEDIR] [-z] [-s] [-c COMMAND] YYYY-MM
#
# Writes BASEDIR/YYYY_MM/backup_YYYY_MM.csv (BASEDIR is ./backups): the
# pagamentos, sessoes, comissoes and gastos of that month, in one snapshot,
# as one Excel-ready CSV (UTF-8 BOM, CRLF, formulas neutralised) whose
# columns are the seed's: type, id, data, valor, forma_pagamento,
# observacoes, cliente_name, artista_name, created_at, updated_at, then the
# type-specific ones: sessao_id (pagamento), status (sessao), pagamento_id
# and percentual (comissao), descricao (gasto).  A comissao takes the date
# of its payment, so a month holds each payment with its commissions.
# Beside it: backup_YYYY_MM.counts (type TAB records), with -z
# backup_YYYY_MM.csv.gz (bk-gz), with -s SHA256SUMS (bk-sum).
#
# Then, in this order, each step only if the one before succeeded:
#   1. the files are moved into place (the CSV last);
#   2. bk-manifest add -T monthly records the CSV (and the .gz) in
#      BASEDIR/manifest.jsonl, counting the records again: the commit point;
#   3. bk-verify --record reads them back against their manifest line
#      (and, with -s, every file against SHA256SUMS);
#   4. with -c, the cleanup: COMMAND, run by sh(1) with BK_MONTH (YYYY-MM),
#      BK_MONTH_START and BK_MONTH_END (its first day and the next month's,
#      as the export's bounds) and BK_EXPORT (the CSV) in its environment.
# The cleanup is an option rather than "monthly-export.sh M && cleanup M"
# so that the order is the script's, not a crontab line's that an edit can
# turn into ";", and so that it runs under the month's lock, after the
# verification, and never for a month exported by an earlier run: its rows
# may have changed since, and the cleanup would delete rows that no backup
# holds.
#
# SOURCE is anything bk-dump -D takes: a PostgreSQL conninfo or URI (the
# password comes from ~/.pgpass or PGPASSFILE, never from here) or
# sqlite:PATH; without -d, libpq's PG* environment decides.  A month that
# is not over yet is refused: it would be frozen half-done, as a month is
# never overwritten.
#
# A run holds the flock(1) lock of the month's folder, so a second run of
# the same month exits 75; holding it, a run knows that what an earlier
# run left is not in progress, and repairs it without help:
#   - a leftover work folder (.backup_YYYY_MM.XXXXXX, a run killed during
#     the export) is removed;
#   - files in place without a manifest line (a run killed before
#     bk-manifest add, which .backup_YYYY_MM.pending marks) are not a
#     backup (bk-verify reports them): they are removed and the month is
#     exported again, from the rows as they are now, since the cleanup has
#     not run (it comes after the line).  Files without a line and without
#     that mark (made by hand, or by an older version of this script) are
#     never removed: 73.
# A month whose CSV has its manifest line is done: it is verified again and
# never overwritten (73), and the cleanup is not run.
#
# A month without a single row writes nothing, runs no cleanup and exits 1
# (a check that ran and failed): a warning on exit 0 would go unseen by a
# crontab line that notifies on failure and by a systemd OnFailure= unit,
# and an empty month most often means the wrong database, the wrong month
# or a cleanup that already ran.  Rerun it once the cause is fixed.
#
# Exit status: 0 the month is exported, recorded, verified (and cleaned up);
# 1 the month has no rows; 64 usage (a bad or unfinished month); 65 a
# recorded month that fails verification, or a fresh export that does;
# 69 a tool is missing; 73 the month is already exported, or a folder
# cannot be created; 75 another run holds the month; the status of the
# failing tool (bk-dump's 65, 66, 69...) or of COMMAND otherwise.  Each
# step logs one timestamped line on standard output, a failure one on
# standard error.

set -euo pipefail

prog=${0##*/}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s: %s\n' "$(now)" "$prog" "$*"; }
warn() { printf '%s %s: warning: %s\n' "$(now)" "$prog" "$*" >&2; }
die() { printf '%s %s: error: %s\n' "$(now)" "$prog" "$2" >&2; exit "$1"; }
usage() {
	echo "usage: $prog [-d source] [-b basedir] [-z] [-s] [-c command] yyyy-mm" >&2
	exit 64
}

source_opt=()
source_desc=postgresql
base=backups
gzip=0
sums=0
cleanup=
while getopts :d:b:zsc:h opt; do
	case $opt in
	d) source_opt=(-D "$OPTARG")
	   # The manifest records the source, never a connection string
	   # (it may hold a password).
	   case $OPTARG in sqlite:*) source_desc=$OPTARG ;; esac ;;
	b) base=$OPTARG ;;
	z) gzip=1 ;;
	s) sums=1 ;;
	c) cleanup=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
month=$1
[[ $month =~ ^([0-9]{4})-(0[1-9]|1[0-2])$ ]] ||
	die 64 "bad month \"$month\" (want YYYY-MM)"
y=$((10#${BASH_REMATCH[1]}))
m=$((10#${BASH_REMATCH[2]}))
if [ "$m" = 12 ]; then next=$(printf '%04d-01' $((y + 1)))
else next=$(printf '%04d-%02d' "$y" $((m + 1))); fi
[[ $next < $(date +%Y-%m) || $next == "$(date +%Y-%m)" ]] ||
	die 64 "$month is not over yet: its export would be frozen half-done"

tools=(bk-dump bk-csv bk-manifest bk-verify flock)
[ $gzip = 0 ] || tools+=(bk-gz)
[ $sums = 0 ] || tools+=(bk-sum)
for tool in "${tools[@]}"; do
	command -v "$tool" >/dev/null || die 69 "$tool not found in PATH"
done

ym=${month/-/_}
dir=$base/$ym
name=backup_$ym
manifest=$base/manifest.jsonl
csv=$dir/$name.csv
finals=("$name.csv" "$name.csv.gz" "$name.counts" SHA256SUMS)

umask 077
[ ! -e "$base" ] || [ -d "$base" ] || die 73 "\"$base\" is not a folder"
mkdir -p "$dir" 2>/dev/null || die 73 "could not create the folder \"$dir\""
exec 9<"$dir"
flock -n 9 || die 75 "another run of $month holds \"$dir\": not started"

# The month's state, as the last run left it.
recorded=()
for f in "$name.csv" "$name.csv.gz"; do
	[ -e "$manifest" ] || break
	rc=0
	out=$(bk-manifest -q -m "$manifest" info "$dir/$f" 2>&1 >/dev/null) || rc=$?
	case $rc in
	0) recorded+=("$dir/$f") ;;
	1) ;;	# not listed
	*) die "$rc" "could not read the manifest (${out#bk-manifest: error: })" ;;
	esac
done
pending=$dir/.$name.pending
if [ ${#recorded[@]} -gt 0 ]; then
	rm -f "$pending"
	rc=0
	out=$(bk-verify -q --record -m "$manifest" "${recorded[@]}" 2>&1) || rc=$?
	[ "$rc" = 0 ] || die 65 "$month is recorded but fails verification (${out%%$'\n'*}): not overwriting; \"bk-manifest remove --delete\" its files to export it again"
	die 73 "$csv: $month is already exported, recorded and verified: not overwriting (the cleanup is not run)"
fi
for w in "$dir/.$name".*; do
	[ -d "$w" ] || continue
	warn "removing \"$w\", left by an interrupted run"
	rm -rf "$w"
done
for f in "${finals[@]}"; do
	[ -e "$dir/$f" ] || continue
	# Only files this script moved into place and did not record: an
	# export made otherwise (by hand, by an older version) is kept.
	[ -e "$pending" ] ||
		die 73 "$dir/$f exists without a manifest line, and no interrupted run of $prog left it: not overwriting (\"bk-manifest add\" or remove it)"
	warn "removing \"$dir/$f\", left without a manifest line by an interrupted run: exporting $month again"
	rm -f "$dir/$f"
done
rm -f "$pending"

work=$(mktemp -d "$dir/.$name.XXXXXX")
# On the way out, the work folder goes, and the month's folder if empty.
trap 'rm -rf "$work"; rmdir "$dir" 2>/dev/null || :' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The queries run on PostgreSQL and SQLite alike.  :month_start and
# :month_end are bound by bk-dump (first day of the month and of the next).
# The first query fixes the order of the seed's common columns; the others
# add their own at the end.  pipefail would report the last stage that
# failed; the first one tells the real cause (bk-csv then only sees a short
# input), so take that.
log "exporting $month to $csv"
set +e
bk-dump "${source_opt[@]}" --month "$month" --counts "$work/$name.counts" \
    --query "pagamento=SELECT p.id, p.data, p.valor, p.forma_pagamento,
	p.observacoes, c.nome AS cliente_name, a.nome AS artista_name,
	p.created_at, p.updated_at, p.sessao_id
	FROM pagamentos p
	LEFT JOIN clientes c ON c.id = p.cliente_id
	LEFT JOIN artistas a ON a.id = p.artista_id
	WHERE p.data >= :month_start AND p.data < :month_end
	ORDER BY p.data, p.id" \
    --query "sessao=SELECT s.id, s.data, s.valor, s.observacoes,
	c.nome AS cliente_name, a.nome AS artista_name,
	s.created_at, s.updated_at, s.status
	FROM sessoes s
	LEFT JOIN clientes c ON c.id = s.cliente_id
	LEFT JOIN artistas a ON a.id = s.artista_id
	WHERE s.data >= :month_start AND s.data < :month_end
	ORDER BY s.data, s.id" \
    --query "comissao=SELECT co.id, p.data, co.valor, co.observacoes,
	c.nome AS cliente_name, a.nome AS artista_name,
	co.created_at, co.updated_at, co.pagamento_id, co.percentual
	FROM comissoes co
	JOIN pagamentos p ON p.id = co.pagamento_id
	LEFT JOIN clientes c ON c.id = p.cliente_id
	LEFT JOIN artistas a ON a.id = co.artista_id
	WHERE p.data >= :month_start AND p.data < :month_end
	ORDER BY p.data, co.id" \
    --query "gasto=SELECT g.id, g.data, g.valor, g.forma_pagamento,
	g.created_at, g.updated_at, g.descricao
	FROM gastos g
	WHERE g.data >= :month_start AND g.data < :month_end
	ORDER BY g.data, g.id" |
	bk-csv --excel -o "$work/$name.csv"
status=("${PIPESTATUS[@]}")
set -e
for st in "${status[@]}"; do
	[ "$st" = 0 ] || die "$st" "the export of $month failed (exit $st): nothing written"
done
records=$(awk -F '\t' '{ n += $2 } END { print n + 0 }' "$work/$name.counts")
[ "$records" != 0 ] ||
	die 1 "$month has no rows in pagamentos, sessoes, comissoes or gastos: nothing written, no cleanup (wrong database or month?)"
log "exported $records records ($(tr '\t\n' '= ' <"$work/$name.counts"| sed 's/ $//'))"

files=("$name.csv" "$name.counts")
if [ $gzip = 1 ]; then
	bk-gz -o "$work/$name.csv.gz" "$work/$name.csv"
	files+=("$name.csv.gz")
fi
if [ $sums = 1 ]; then
	(cd "$work" && bk-sum -o SHA256SUMS "${files[@]}")
	files+=(SHA256SUMS)
fi

# Into place, the CSV last; ln never replaces a file.  Until the manifest
# line is written, .NAME.pending says that the files are this script's.
: >"$pending"
for f in "${files[@]:1}" "$name.csv"; do
	ln "$work/$f" "$dir/$f"
done
rm -rf "$work"
to_record=("$csv")
[ $gzip = 0 ] || to_record+=("$csv.gz")
bk-manifest -m "$manifest" add -T monthly --description "monthly export $month" \
    --source "$source_desc" --records "$records" "${to_record[@]}"
rm -f "$pending"
log "recorded ${to_record[*]} in $manifest"
rc=0
out=$(bk-verify -q --record -m "$manifest" "${to_record[@]}" 2>&1) || rc=$?
[ "$rc" = 0 ] || die 65 "the export of $month fails verification (${out%%$'\n'*}): no cleanup"
if [ $sums = 1 ]; then
	out=$(cd "$dir" && bk-verify -q -c SHA256SUMS 2>&1) || rc=$?
	[ "$rc" = 0 ] || die 65 "the export of $month fails verification (${out%%$'\n'*}): no cleanup"
fi
log "verified ${to_record[*]}"
for f in "${files[@]}"; do
	log "wrote $dir/$f"
done

[ -n "$cleanup" ] || exit 0
log "cleanup of $month: running"
rc=0
BK_MONTH=$month BK_MONTH_START=$month-01 BK_MONTH_END=$next-01 BK_EXPORT=$csv \
    sh -c "$cleanup" 9<&- || rc=$?
[ "$rc" = 0 ] || die "$rc" "the cleanup of $month failed (exit $rc); its export is complete and recorded"
log "cleanup of $month: done"
