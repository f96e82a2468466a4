#!/bin/sh
# bk-csv --excel against Miller and csvkit on the same input, and its peak
# memory.  The input is csv_input with a header line and without its last
# (cut) line, so that every tool reads valid CSV.
. "$(dirname "$0")/lib.sh"

with_header() {	# with_header MiB: prints the path of the file
	_in=$(csv_input "$1")
	_f=$DATA/csv-$1M.csv
	if [ ! -s "$_f" ]; then
		{ echo id,data,valor,forma,cliente,artista,nota; sed '$d' "$_in"; } \
		    >"$_f.tmp" && mv "$_f.tmp" "$_f"
	fi
	echo "$_f"
}
big=$(with_header 64)
small=$(with_header 16)

if command -v mlr >/dev/null; then
	compare "bk-csv --excel vs mlr --csv cat (64 MiB)" \
	    "bk-csv --excel $big >/dev/null" "mlr --csv cat $big >/dev/null" 3
else
	echo "bk-csv: mlr not installed, skipped"
fi
if command -v csvformat >/dev/null; then
	# csvkit is slow: a smaller input, the same for both.
	compare "bk-csv --excel vs csvformat (16 MiB)" \
	    "bk-csv --excel $small >/dev/null" "csvformat $small >/dev/null" 10
else
	echo "bk-csv: csvformat not installed, skipped"
fi
compare "bk-csv --excel -j 1 vs mlr --csv cat (64 MiB)" \
    "bk-csv -j 1 --excel $big >/dev/null" "mlr --csv cat $big >/dev/null" 3
peak "bk-csv --excel peak memory (64 MiB)" "bk-csv --excel $big >/dev/null" 16
peak "bk-csv --test peak memory (64 MiB)" "bk-csv --test $big" 16
