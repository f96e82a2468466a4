#!/bin/sh
# One CSV reader for bk-csv, bk-manifest add and bk-verify: the same
# separators, the same record count, the same line and column on errors.
. "$(dirname "$0")/lib.sh"
need gzip python3

# count FILE SEP: records after the header by Python's csv module, strict.
count() {
	python3 -c '
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
    r = csv.reader(f, delimiter=sys.argv[2], strict=True)
    print(sum(1 for _ in r) - 1)' "$1" "$2"
}
# records PATH: the records field of PATH in the manifest, "" if none.
records() {
	bk-manifest list -F json | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["path"] == sys.argv[1]:
        print(o.get("records", ""))' "$1"
}

# A semicolon CSV with a byte order mark, as Excel writes it in Brazil,
# with a quoted semicolon and a quoted line break; and the same gzipped.
mkdir t && cd t || exit 1
{ printf '\357\273\277id;valor;cliente\r\n'
  i=1; while [ $i -le 300 ]; do
	printf '%d;%d,50;"Cliente %d; Ltda"\r\n' $i $i $i; i=$((i + 1)); done
  printf '301;1,00;"duas\r\nlinhas"\r\n'; } >excel.csv
gzip -c excel.csv >excel.csv.gz
printf 'a\tb\n1\t2,5\n' >tabs.tsv
ok "semicolon CSV with a BOM, gzipped, and TSV: added" \
    bk-manifest add excel.csv excel.csv.gz tabs.tsv
is "records of the semicolon CSV = Python's csv" "$(records excel.csv)" \
    "$(count excel.csv ';')"
is "...301 of them" "$(records excel.csv)" 301
is "...the same inside gzip" "$(records excel.csv.gz)" 301
is "TSV: one record" "$(records tabs.tsv)" 1
run bk-verify -v
is "bk-verify: OK with the right counts" "$rc $(tr '\n' ' ' <"$T/out")" \
    "0 OK excel.csv (csv, 301 records) OK excel.csv.gz (csv gzip, 301 records) OK tabs.tsv (csv, 1 record) "
cd ..

# A ragged row: bk-manifest add refuses it with the line and column (65).
mkdir r && cd r || exit 1
printf 'id,name,amount\n1,"Ana, Ltda",10.50\n2,Bob\n3,Carl,7\n' >rag.csv
errline "add: a ragged row is refused with line and column" 65 \
    '^bk-manifest: error: could not add "rag.csv": CSV line 3, column 6: record has 2 fields, the header has 3 \(--incomplete records it anyway\)$' \
    bk-manifest add rag.csv
empty "...and nothing is recorded" manifest.jsonl
printf 'id,name\n1,"open\n2,x\n' | gzip >quote.csv.gz
errline "add: an unclosed quote inside gzip, where it opened" 65 \
    'could not add "quote.csv.gz": CSV line 2, column 3: quoted field not closed before the end of the input' \
    bk-manifest add quote.csv.gz
printf 'id,name\n1,\377\n' >utf.csv
errline "add: invalid UTF-8, with its column" 65 \
    'could not add "utf.csv": CSV line 2, column 3: invalid UTF-8 \(byte 0xFF\)' \
    bk-manifest add utf.csv
exits "add --incomplete records it anyway" 0 bk-manifest add --incomplete rag.csv
is "...without a record count" "$(records rag.csv)" ""
exits "add -f -r records the count given" 0 bk-manifest add --incomplete --records 3 quote.csv.gz
is "...that count" "$(records quote.csv.gz)" 3
# bk-verify reports the same place for the same files.
run bk-verify quote.csv.gz rag.csv
is "bk-verify: the ragged row's line and column" "$rc $(tr '\n' ' ' <"$T/out")" \
    '1 FAIL quote.csv.gz: CSV line 2, column 3: quoted field not closed before the end of the input FAIL rag.csv: CSV line 3, column 6: record has 2 fields, the header has 3 '
cd ..

# The same ragged row after many good ones, inside gzip: the reader's
# workers still report the first error in input order.
mkdir g && cd g || exit 1
{ echo 'id,date,amount,client,method'
  gen_text 3000000 | sed '$d'
  echo '9,2024-09-01,1.00'
  gen_text 300000 | sed '$d'; } >big.csv
bad=$(($(gen_text 3000000 | sed '$d' | wc -l) + 2))
gzip -c big.csv >big.csv.gz
manifest_line big.csv.gz >manifest.jsonl
run bk-verify big.csv.gz
is "bk-verify: a ragged row deep in a csv.gz, line and column" \
    "$rc $(cat "$T/out")" \
    "1 FAIL big.csv.gz: CSV line $bad, column 18: record has 3 fields, the header has 5"
errline "add refuses it at the same place" 65 \
    "could not add \"big.csv\": CSV line $bad, column 18: record has 3 fields" \
    bk-manifest -m other.jsonl add big.csv
cd ..

done_testing
