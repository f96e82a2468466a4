#!/bin/sh
# bk-csv: options, golden outputs, round trips, exit codes, output handling.
. "$(dirname "$0")/lib.sh"

run bk-csv --help
is "--help exits 0" "$rc" 0
like "--help prints the usage" out '^usage: bk-csv '
run bk-csv --version
like "--version names the suite" out '^bk-csv \(bk\) [0-9]'
exits "a bad option exits 64" 64 bk-csv --frobnicate
empty "a bad option writes nothing on stdout" out
exits "an unknown format exits 64" 64 bk-csv -F xml
exits "--select with --drop exits 64" 64 bk-csv -s a -x b
exits "--sep-line without --excel exits 64" 64 bk-csv --sep-line
exits "--excel with -F jsonl exits 64" 64 bk-csv --excel -F jsonl
exits "a bad delimiter exits 64" 64 bk-csv --delimiter '"'
exits "a bad thread count exits 64" 64 bk-csv -j 0
exits "a missing file exits 66" 66 bk-csv nosuch.csv

# Tricky but valid RFC 4180: quotes, commas, embedded CRLF and LF, spaces at
# both ends, empty unquoted (NULL) against "" (empty string), unicode, a
# last line without a line break.
printf 'id,text,note\r\n1,"a ""quoted"" word","x,y"\r\n2,"line1\r\nline2", lead and trail \r\n3,,""\r\n4,"multi\nline\n",ação ✓ 😀\r\n5," ",\\.\r\n6,"=1+2",-12.50' >tricky.csv
printf 'id,text,note\n1,"a ""quoted"" word","x,y"\n2,"line1\r\nline2", lead and trail \n3,,""\n4,"multi\nline\n",ação ✓ 😀\n5, ,\\.\n6,=1+2,-12.50\n' >want.csv
run bk-csv tricky.csv
is "plain output exits 0" "$rc" 0
same "plain output: minimal quoting, LF, values kept" out want.csv
run bk-csv want.csv
same "our output reads back to itself" out want.csv
cp out once.csv
run sh -c 'bk-csv <tricky.csv | bk-csv'
same "stdin works and the round trip is stable" out want.csv

# Python's csv module is the reference for the cell values.
cat >cells.py <<'PY'
import csv, sys, json
with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
    print(json.dumps(list(csv.reader(f))))
PY
if command -v python3 >/dev/null; then
	python3 cells.py tricky.csv >a.json && python3 cells.py out >b.json
	same "Python's csv reads the same cells before and after" b.json a.json
else
	skip "python3 missing"
fi

# Header only, one record, a single column with a NULL (blank line).
printf 'a,b\n' >h.csv
run bk-csv --count h.csv
same "a header alone comes out alone" out h.csv
is "a header alone has 0 records" "$(cat err)" 0
printf 'x\n1\n\n""\n' >one.csv
run bk-csv --count one.csv
same "one column: a blank line is a NULL record" out one.csv
is "one column: 3 records" "$(cat err)" 3
printf 'x\n\\.\n' >dot.csv
run bk-csv dot.csv
is "one column: \\. is quoted as PostgreSQL does" "$(cat out)" "$(printf 'x\n"\\."')"
printf '\357\273\277a,b\n1,2\n' >bom.csv
run bk-csv bom.csv
is "a byte order mark is removed" "$(cat out)" "$(printf 'a,b\n1,2')"

# Counting and checking.
printf 'a,b\n1,2\n3,4\n5,6\n' >n.csv
run bk-csv --test n.csv
is "--check exits 0 on valid input" "$rc" 0
empty "--check writes nothing" out
run bk-csv --test --count n.csv
is "--check --count prints the records on stdout" "$(cat out)" 3
run bk-csv --count n.csv
is "--count prints the records on stderr" "$(cat err)" 3
same "--count still copies the data" out n.csv
run bk-csv --test --count-file cnt n.csv
is "--count-file writes the number" "$(cat cnt)" 3
is "--count-file is private" "$(mode cnt)" 600
run bk-csv -v --test n.csv
like "-v reports records and fields" err '3 records, 2 fields'

# Columns.
printf 'id,nome,cpf,valor\n1,Ana,123,10.5\n2,"Bia, Jr",456,-3\n' >c.csv
run bk-csv -s valor,id c.csv
is "--select keeps the order given" "$(cat out)" "$(printf 'valor,id\n10.5,1\n-3,2')"
run bk-csv -s 4,1 c.csv
is "--select by column number" "$(cat out)" "$(printf 'valor,id\n10.5,1\n-3,2')"
run bk-csv -x cpf c.csv
is "--drop removes a column" "$(cat out)" "$(printf 'id,nome,valor\n1,Ana,10.5\n2,"Bia, Jr",-3')"
run bk-csv --redact cpf,nome c.csv
is "--redact replaces the values" "$(cat out)" "$(printf 'id,nome,cpf,valor\n1,REDACTED,REDACTED,10.5\n2,REDACTED,REDACTED,-3')"
errline "an unknown column exits 64" 64 'no column "nada" in the header' bk-csv -s id,nada c.csv
empty "an unknown column writes nothing" out

# TSV with PostgreSQL's text escapes, JSON Lines with strings and null.
printf 'a,b\n"t\tab","l\nf"\n,""\n"back\\slash",x\n' >e.csv
run bk-csv -F tsv e.csv
cat >want.tsv <<'TSV'
a	b
t\tab	l\nf
\N	
back\\slash	x
TSV
same "TSV escapes tab, newline, backslash; NULL is \\N" out want.tsv
run bk-csv -F jsonl e.csv
cat >want.jsonl <<'JSON'
{"a":"t\tab","b":"l\nf"}
{"a":null,"b":""}
{"a":"back\\slash","b":"x"}
JSON
same "JSON Lines: strings, null for NULL" out want.jsonl
if command -v jq >/dev/null; then
	run sh -c 'bk-csv -F jsonl c.csv | jq -c "[.nome, .valor]"'
	is "jq reads the JSON Lines" "$(cat out)" "$(printf '["Ana","10.5"]\n["Bia, Jr","-3"]')"
else
	skip "jq missing"
fi
printf 'a,a\n1,2\n' >dup.csv
errline "JSON Lines refuses duplicate names" 65 'duplicate column name "a"' bk-csv -F jsonl dup.csv

# Output: atomic -o, no overwrite, -f, /dev/full, broken pipe, -q.
run bk-csv -o out.csv n.csv
is "-o exits 0" "$rc" 0
same "-o writes the file" out.csv n.csv
is "-o makes a private file" "$(mode out.csv)" 600
exits "-o refuses an existing file" 73 bk-csv -o out.csv n.csv
exits "-f replaces it" 0 bk-csv -f -o out.csv c.csv
same "the replaced file is the new data" out.csv c.csv
printf 'a,b\n1,2\n3\n' >bad.csv
exits "bad input with -o exits 65" 65 bk-csv -o never.csv bad.csv
ok "bad input leaves no file" test ! -e never.csv
is "bad input leaves no temporary file" "$(ls -A | grep -c '^\.never')" 0
mkdir folder
errline "a folder as input exits 74" 74 'could not read "folder"' bk-csv folder
if [ "$(id -u)" != 0 ]; then
	printf 'a\n' >locked.csv; chmod 000 locked.csv
	exits "an unreadable input exits 77" 77 bk-csv locked.csv
else
	skip "root reads every file: no exit 77 to provoke"
fi
exits "writing to /dev/full exits 74" 74 sh -c 'bk-csv n.csv >/dev/full'
gen_text 3000000 | awk 'BEGIN { print "id,data,valor,nome,forma" } { print }' | sed '$d' >big.csv
run sh -c 'bk-csv big.csv | head -c 10 >/dev/null; echo "${PIPESTATUS:-x}"'
empty "a broken pipe prints nothing" err
run bk-csv -q --count --test n.csv
empty "-q: no message" err
exits "-q does not hide errors" 65 bk-csv -q bad.csv
like "-q still prints the error" err 'record has 1 field'
done_testing
