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
#      the export's bounds), BK_EXPORT (the CSV) and BK_COUNTS (the
#      .counts: type TAB records) in its environment.
# The cleanup is an option rather than "monthly-export.sh M && cleanup M"
# so that the order is the script's, not a crontab line's that an edit can
# turn into ";", and so that it runs under the month's lock, after the
# verification.  The month's rows may change between the export and the
# cleanup: a cleanup must delete only what the export holds, never "every
# row of the month".  examples/cleanup-month.sh deletes the month in one
# transaction and commits only if each table lost exactly the rows that
# BK_COUNTS counted.
#
# SOURCE is anything bk-dump -D takes: a PostgreSQL conninfo or URI, whose
# password comes from ~/.pgpass or PGPASSFILE, never from here (a SOURCE
# with one is refused: 64), or sqlite:PATH; without -d, libpq's PG*
# environment decides.  A month that is not over yet is refused: it would
# be frozen half-done, as a month is never overwritten.
#
# A run holds the flock(1) lock of BASEDIR/.lock-YYYY_MM, so a second run
# of the same month exits 75; holding it, a run knows that what an earlier
# run left is not in progress, and repairs it without help:
#   - a leftover work folder (.backup_YYYY_MM.XXXXXX, a run killed during
#     the export) is removed;
#   - files in place without a manifest line (a run killed before
#     bk-manifest add, which .backup_YYYY_MM.pending marks) are not a
#     backup (bk-verify reports them): the month is exported again, from
#     the rows as they are now, since the cleanup has not run (it comes
#     after the line), and once that export has succeeded they are moved
#     aside into .orphan-TIME.XXXXXX in the month's folder.  Files without
#     a line and without that mark (made by hand, or by an older version
#     of this script) are never touched: 73.
# A month whose CSV has its manifest line is done: it is verified again and
# never overwritten (73).  Its cleanup is run then only when a run with -c
# recorded it and did not finish the cleanup (killed, or the cleanup
# failed), which .backup_YYYY_MM.cleanup marks from before the manifest
# line until the cleanup succeeds: the run, given -c, runs it against that
# export.  A cleanup must thus be harmless when run twice (a run killed
# just after it): examples/cleanup-month.sh deletes nothing the second time.
#
# A month without a single row writes nothing, runs no cleanup and exits 1
# (a check that ran and failed): a warning on exit 0 would go unseen by a
# crontab line that notifies on failure and by a systemd OnFailure= unit,
# and an empty month most often means the wrong database, the wrong month
# or a cleanup that already ran.  Rerun it once the cause is fixed.
#
# Exit status: 0 the month is exported, recorded, verified (and cleaned up);
# 1 the month has no rows; 64 usage (a bad or unfinished month, a password
# in SOURCE); 65 a recorded month that fails verification, or a fresh
# export that does; 69 a tool is missing; 73 the month is already exported,
# or a file or folder cannot be created; 75 another run holds the month;
# the status of the
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
	   shopt -s nocasematch
	   [[ ! $OPTARG =~ (^|[[:space:]?&])password[[:space:]]*= &&
	      ! $OPTARG =~ ^[a-z0-9+.-]+://[^/@]*:[^/@]*@ ]] ||
		die 64 "a password in -d: put it in ~/.pgpass or PGPASSFILE"
	   shopt -u nocasematch
	   # The manifest records the source, never a connection string.
	   case $OPTARG in sqlite:*) source_desc=$OPTARG ;; esac ;;
	b) base=$OPTARG
	   [[ $base != -* ]] || base=./$base ;;
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
pending=$dir/.$name.pending
to_clean=$dir/.$name.cleanup
lock=$base/.lock-$ym

umask 077
[ ! -e "$base" ] || [ -d "$base" ] || die 73 "\"$base\" is not a folder"
mkdir -p "$dir" 2>/dev/null || die 73 "could not create the folder \"$dir\""
# On the way out, the month's folder goes if empty.  The lock is a file
# beside it, which stays: a folder removed and made again while a run holds
# it would be a second lock, and two runs would work at once.
trap 'rmdir "$dir" 2>/dev/null || :' EXIT
{ exec 9>>"$lock"; } 2>/dev/null || die 73 "could not open the lock file \"$lock\""
flock -n 9 || die 75 "another run of $month holds \"$lock\": not started"

# run_cleanup: runs COMMAND; once it succeeded, the mark of a cleanup to do
# goes.
run_cleanup() {
	local rc=0
	log "cleanup of $month: running"
	BK_MONTH=$month BK_MONTH_START=$month-01 BK_MONTH_END=$next-01 \
	    BK_EXPORT=$csv BK_COUNTS=$dir/$name.counts sh -c "$cleanup" 9>&- || rc=$?
	[ "$rc" = 0 ] || die "$rc" "the cleanup of $month failed (exit $rc); its export is complete and recorded: run again with -c to retry the cleanup"
	rm -f "$to_clean"
	log "cleanup of $month: done"
}

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
if [ ${#recorded[@]} -gt 0 ]; then
	rm -f "$pending"
	rc=0
	out=$(bk-verify -q --record -m "$manifest" "${recorded[@]}" 2>&1) || rc=$?
	[ "$rc" = 0 ] || die 65 "$month is recorded but fails verification (${out%%$'\n'*}): not overwriting; \"bk-manifest remove --delete\" its files to export it again"
	[ -e "$to_clean" ] ||
		die 73 "$csv: $month is already exported, recorded and verified: not overwriting (the cleanup is not run)"
	[ -n "$cleanup" ] ||
		die 73 "$csv: $month is exported, recorded and verified, but the cleanup its run was given has not been done: run again with -c to do it"
	log "$month is exported, recorded and verified by a run that did not finish its cleanup: resuming it"
	run_cleanup
	exit 0
fi
rm -f "$to_clean"
for w in "$dir/.$name".*; do
	[ -d "$w" ] || continue
	warn "removing \"$w\", left by an interrupted run"
	rm -rf "$w"
done
# Only files this script moved into place and did not record: an export
# made otherwise (by hand, by an older version) is kept.  They stay until
# the new export has succeeded.
leftovers=()
for f in "${finals[@]}"; do
	[ -e "$dir/$f" ] || continue
	[ -e "$pending" ] ||
		die 73 "$dir/$f exists without a manifest line, and no interrupted run of $prog left it: not overwriting (\"bk-manifest add\" or remove it)"
	leftovers+=("$f")
done
[ ${#leftovers[@]} = 0 ] ||
	warn "$dir holds ${leftovers[*]} without a manifest line, left by an interrupted run: exporting $month again"

work=$(mktemp -d "$dir/.$name.XXXXXX" 2>/dev/null) ||
	die 73 "could not create a work folder in \"$dir\""
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
	bk-gz -o "$work/$name.csv.gz" "$work/$name.csv" ||
		die "$?" "the compression of $month failed: nothing written"
	files+=("$name.csv.gz")
fi
if [ $sums = 1 ]; then
	(cd "$work" && bk-sum -o SHA256SUMS "${files[@]}") ||
		die "$?" "the checksums of $month failed: nothing written"
	files+=(SHA256SUMS)
fi

if [ ${#leftovers[@]} -gt 0 ]; then
	aside=$(mktemp -d "$dir/.orphan-$(date -u +%Y%m%dT%H%M%SZ).XXXXXX" 2>/dev/null) ||
		die 73 "could not create a folder in \"$dir\" for the files left by an interrupted run"
	for f in "${leftovers[@]}"; do
		out=$(mv -- "$dir/$f" "$aside/" 2>&1) ||
			die 74 "could not move $dir/$f aside (${out#mv: })"
	done
	warn "moved ${leftovers[*]}, left by an interrupted run, into \"$aside\""
fi
# Into place, the CSV last; ln never replaces a file.  Until the manifest
# line is written, .NAME.pending says that the files are this script's,
# and with -c, .NAME.cleanup that the cleanup is to be done.
{ : >"$pending"; } 2>/dev/null || die 73 "could not create \"$pending\""
[ -z "$cleanup" ] || { : >"$to_clean"; } 2>/dev/null ||
	die 73 "could not create \"$to_clean\""
for f in "${files[@]:1}" "$name.csv"; do
	out=$(ln -- "$work/$f" "$dir/$f" 2>&1) ||
		die 73 "could not put $dir/$f in place (${out#ln: }): not recorded"
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

[ -z "$cleanup" ] || run_cleanup
