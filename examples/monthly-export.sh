#!/bin/bash
# monthly-export.sh: the monthly financial export of seed 000.
#
#   monthly-export.sh [-d SOURCE] [-b BASEDIR] [-m] [-z] [-s] YYYY-MM
#
# Writes BASEDIR/YYYY_MM/backup_YYYY_MM.csv (BASEDIR is ./backups): the
# pagamentos, sessoes, comissoes and gastos of that month, in one snapshot,
# as one Excel-ready CSV (UTF-8 BOM, CRLF, formulas neutralised) whose
# columns are type, id, data, valor, forma_pagamento, observacoes,
# cliente_name, artista_name, created_at, updated_at, then the columns of
# each type.  Beside it: backup_YYYY_MM.counts (type TAB records), and with
# -z backup_YYYY_MM.csv.gz (bk-gz), with -s SHA256SUMS (bk-sum) over the
# files written.  With -m, the CSV (and the .gz) are then recorded in
# BASEDIR/manifest.jsonl (bk-manifest add, type monthly, which counts the
# records again and must agree): the commit point of bk(7).
#
# SOURCE is anything bk-dump -D takes: a PostgreSQL conninfo or URI (the
# password comes from ~/.pgpass or PGPASSFILE, never from here) or
# sqlite:PATH; without -d, libpq's PG* environment decides.
#
# An existing month is never overwritten (exit 73).  Any failure anywhere in
# the pipeline (set -o pipefail) leaves nothing at the final names: every
# file is first written under a temporary name and moved into place only
# after everything succeeded, so a cleanup that runs "monthly-export.sh
# 2024-09 && cleanup 2024-09" only ever runs after a complete export.

set -eu -o pipefail

prog=${0##*/}
die() { echo "$prog: error: $2" >&2; exit "$1"; }
usage() {
	echo "usage: $prog [-d SOURCE] [-b BASEDIR] [-m] [-z] [-s] YYYY-MM" >&2
	exit 64
}

source_opt=()
source_desc=postgresql
base=backups
manifest=0
gzip=0
sums=0
while getopts d:b:mzsh opt; do
	case $opt in
	d) source_opt=(-D "$OPTARG")
	   # The manifest records the source, never a connection string
	   # (it may hold a password).
	   case $OPTARG in sqlite:*) source_desc=$OPTARG ;; esac ;;
	b) base=$OPTARG ;;
	m) manifest=1 ;;
	z) gzip=1 ;;
	s) sums=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
month=$1
[[ $month =~ ^[0-9]{4}-(0[1-9]|1[0-2])$ ]] ||
	die 64 "bad month \"$month\" (want YYYY-MM)"

for tool in bk-dump bk-csv; do
	command -v "$tool" >/dev/null || die 69 "$tool not found in PATH"
done
[ $gzip = 0 ] || command -v bk-gz >/dev/null || die 69 "bk-gz not found in PATH"
[ $sums = 0 ] || command -v bk-sum >/dev/null || die 69 "bk-sum not found in PATH"
[ $manifest = 0 ] || command -v bk-manifest >/dev/null ||
	die 69 "bk-manifest not found in PATH"

ym=${month/-/_}
dir=$base/$ym
name=backup_$ym
[ -e "$dir/$name.csv" ] &&
	die 73 "$dir/$name.csv exists: not overwriting an existing month"

umask 077
mkdir -p "$dir"
work=$(mktemp -d "$dir/.$name.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The queries run on PostgreSQL and SQLite alike.  :month_start and
# :month_end are bound by bk-dump (first day of the month and of the next);
# comissoes take the month of their payment.  The first query fixes the
# order of the common columns; the others add their own at the end.
# pipefail would report the last stage that failed; the first one tells
# the real cause (bk-csv then only sees a short input), so take that.
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
	s.created_at, s.updated_at, s.hora, s.status
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
	g.created_at, g.updated_at, g.descricao, g.categoria
	FROM gastos g
	WHERE g.data >= :month_start AND g.data < :month_end
	ORDER BY g.data, g.id" |
	bk-csv --excel -o "$work/$name.csv"
status=("${PIPESTATUS[@]}")
set -e
for st in "${status[@]}"; do
	[ "$st" = 0 ] || exit "$st"
done

files=("$name.csv" "$name.counts")
if [ $gzip = 1 ]; then
	bk-gz -o "$work/$name.csv.gz" "$work/$name.csv"
	files+=("$name.csv.gz")
fi
if [ $sums = 1 ]; then
	(cd "$work" && bk-sum -o SHA256SUMS "${files[@]}")
	files+=(SHA256SUMS)
fi

# Everything is complete: move it into place, the CSV last, so that its
# presence means the month is done.  ln refuses to replace a file that a
# concurrent run may have written meanwhile.
for f in "${files[@]}"; do
	[ "$f" = "$name.csv" ] && continue
	ln "$work/$f" "$dir/$f"
done
ln "$work/$name.csv" "$dir/$name.csv" ||
	die 73 "$dir/$name.csv appeared meanwhile: not overwriting"
if [ $manifest = 1 ]; then
	records=$(awk -F '\t' '{ n += $2 } END { print n + 0 }' "$dir/$name.counts")
	recorded=("$dir/$name.csv")
	[ $gzip = 0 ] || recorded+=("$dir/$name.csv.gz")
	bk-manifest -m "$base/manifest.jsonl" add -T monthly \
	    --description "monthly export $month" --source "$source_desc" --records "$records" \
	    "${recorded[@]}"
fi
for f in "${files[@]}"; do
	echo "$dir/$f"
done
