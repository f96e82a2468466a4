#!/bin/sh
# bk-verify: options, golden output, exit codes, -q, -v, output failures.
. "$(dirname "$0")/lib.sh"

# A small tree: CSV, CSV in gzip (by gzip itself), SQLite, a daily folder.
mkdir tree tree/daily
printf 'id,name,amount\r\n1,"Ana, Ltda",10.50\r\n2,"Bob ""B""",3\r\n' >tree/a.csv
gzip -c tree/a.csv >tree/a.csv.gz
gen_text 200000 | sed -e '$d' -e '1i id,date,amount,client,method' >tree/daily/big.csv
big=$(($(wc -l <tree/daily/big.csv) - 1))
gzip -9 tree/daily/big.csv
sqlite3 tree/app.sqlite 'create table t(a, b); insert into t values (1, 2), (3, 4); create index ti on t(b);'
(cd tree && bk-manifest add a.csv a.csv.gz app.sqlite &&
    bk-manifest add -T daily daily/big.csv.gz) >/dev/null 2>&1 ||
    fail "bk-manifest add"
M=tree/manifest.jsonl

# usage NAME REGEX CMD...: exit 64, the message, a hint, empty stdout.
usage() {
	_name=$1 _re=$2; shift 2
	run "$@"
	if [ "$rc" = 64 ] && grep -Eq -- "$_re" "$T/err" && [ ! -s "$T/out" ]
	then pass "$_name"
	else fail "$_name"; diag "exit $rc: $*"; sed 's/^/#   /' "$T/err"; fi
}

exits "--help exits 0" 0 bk-verify --help
like "--help prints the usage" "$T/out" '^usage: bk-verify '
exits "--version exits 0" 0 bk-verify --version
like "--version prints the version" "$T/out" '^bk-verify \(bk\) [0-9]'
usage "a bad option exits 64" 'unknown option' bk-verify --bogus
empty "a bad option leaves stdout empty" "$T/out"
usage "-x exits 64" 'unknown option "-x"' bk-verify -x
usage "--max-age needs a duration" 'bad duration "soon"' bk-verify -m $M --fresh-within soon
usage "--wait needs seconds" 'bad number of seconds' bk-verify -m $M -w -3
# The rows every tool taking -w shares (bk_parse_wait): message and hint.
for w in soon 1.5 ' 5' 2147483648; do
	run bk-verify -m $M -w "$w"
	is "a bad --wait \"$w\": 64, the shared message and the hint" \
	    "$rc|$(cat err)|$(cat out)" "64|bk-verify: error: bad number of seconds \"$w\"
Try 'bk-verify --help' for more information.|"
done
exits "--wait unlimited is read" 0 bk-verify -q -m $M -w unlimited
exits "--wait 0 is read" 0 bk-verify -q -m $M --wait=0
usage "-c with --record is refused" 'does not go with' bk-verify --check x --record
errline "a missing manifest exits 66" 66 'could not open manifest "nope/manifest.jsonl"|could not open the folder' bk-verify -m nope/manifest.jsonl
errline "a manifest file that is missing exits 66" 66 'could not open manifest' bk-verify -m tree/other.jsonl
errline "a missing identity file exits 66" 66 'no-such-key' bk-verify -m $M -i no-such-key
echo garbage >badkey.txt
errline "an identity file without a key exits 65" 65 'badkey.txt.*not an age identity' bk-verify -m $M -i badkey.txt
: >emptypass
errline "an empty passphrase file exits 65" 65 'no passphrase in "emptypass"' bk-verify -m $M --passphrase-file emptypass
errline "a missing passphrase file exits 66" 66 'could not open passphrase file "no-such-pass"' bk-verify -m $M --passphrase-file no-such-pass
errline "an empty passphrase descriptor exits 65" 65 'no passphrase on descriptor 3' sh -c 'exec bk-verify -m "$1" --passphrase-fd 3 3</dev/null' sh "$M"
usage "a signed descriptor number is refused" 'bad --passphrase-fd "[+]3"' bk-verify -m $M --passphrase-fd +3
awk 'BEGIN { s = ""; for (i = 0; i < 4097; i++) s = s "a"; print s }' >longpass
errline "a passphrase over 4096 bytes exits 65" 65 'passphrase file "longpass" is longer than 4096 bytes' bk-verify -m $M --passphrase-file longpass

# Golden output: one OK line per backup, in manifest order.
cat >want <<'EOF2'
OK a.csv
OK a.csv.gz
OK app.sqlite
OK daily/big.csv.gz
EOF2
exits "a whole tree verifies: exit 0" 0 bk-verify -m $M
same "one OK line per backup" "$T/out" want
empty "nothing on stderr" "$T/err"
(cd tree && bk-verify) >out2 2>&1
same "the default manifest is ./manifest.jsonl" out2 want
BK_MANIFEST=$M bk-verify >out3 2>&1
same "BK_MANIFEST names the manifest" out3 want

cat >want <<EOF2
OK a.csv (csv, 2 records)
OK a.csv.gz (csv gzip, 2 records)
OK app.sqlite (sqlite)
OK daily/big.csv.gz (csv gzip, $big records)
EOF2
run bk-verify -v -m $M
same "-v names the layers and the records" "$T/out" want

exits "-P without a terminal: no meter" 0 bk-verify -P -m $M
empty "...nothing on stderr" "$T/err"
exits "-q: all OK" 0 bk-verify -q -m $M
empty "-q prints nothing when all is OK" "$T/out"

exits "--type selects one type" 0 bk-verify -m $M --type daily
is "--type daily: one line" "$(cat "$T/out")" "OK daily/big.csv.gz"

exits "named files" 0 bk-verify -m $M tree/a.csv tree/daily/big.csv.gz
is "named files are shown as named" "$(cat "$T/out" | tr '\n' ' ')" "OK tree/a.csv OK tree/daily/big.csv.gz "
touch tree/new.csv
exits "a named file not in the manifest fails" 1 bk-verify -m $M tree/new.csv
is "...with its reason" "$(cat "$T/out")" "FAIL tree/new.csv: not in the manifest (incomplete backup)"
exits "a named file outside the tree fails" 1 bk-verify -m $M want
like "...saying so" "$T/out" '^FAIL want: outside the manifest'

# The scan of the tree: unlisted files fail, hidden ones do not count.
touch tree/.hidden tree/daily/.tmp.x
mkdir tree/.cache && touch tree/.cache/x
exits "an unlisted file makes the run fail" 1 bk-verify -q -m $M
is "...one FAIL line for it" "$(cat "$T/out")" "FAIL new.csv: not in the manifest (incomplete backup)"
exits "--no-scan skips the scan" 0 bk-verify -q --no-scan -m $M
ln -s a.csv tree/link.csv
exits "a symlink in the tree is not a backup" 1 bk-verify -q -m $M
unlike "...and is not reported" "$T/out" 'link.csv'
rm tree/new.csv tree/link.csv

# sha256sum lists for files without a manifest.
(cd tree && sha256sum a.csv a.csv.gz app.sqlite) >sums
cp tree/a.csv tree/a.csv.gz tree/app.sqlite .
exits "-c: all OK" 0 bk-verify --check sums
is "-c: three OK lines" "$(grep -c '^OK ' "$T/out")" 3
printf 'x' >>a.csv
echo "garbage line" >>sums
exits "-c: a changed file fails" 1 bk-verify --check sums
like "...digest mismatch, and where the content broke" "$T/out" '^FAIL a.csv: sha256 does not match \(CSV line 4, column 2: record has 1 field, the header has 3\)$'
like "...a bad sums line is reported with its number and reason" "$T/out" '^FAIL sums:4: malformed line: expected "HEX  NAME" or "ALG \(NAME\) = HEX"$'
grep -v garbage sums >sums2
exits "-c names restrict the list" 0 bk-verify --check sums2 a.csv.gz
errline "-c file missing exits 66" 66 'could not open "nosums"' bk-verify --check nosums
sha256sum a.csv.gz | bk-verify --check - >out4; rc=$?
is "-c - reads standard input" "$rc $(cat out4)" "0 OK a.csv.gz"

# Other dialects and contents that bk-manifest add records.
mkdir t2
printf '\357\273\277id;valor;cliente\r\n1;10,50;"Ana; Ltda"\r\n2;3,00;Bob\r\n' >t2/excel.csv
printf 'id\tname\n1\tAna, Ltda\n2\tBob\n3\tCid\n' >t2/tabs.tsv
printf '{"id":1}\n{"id":2}\n\n{"id":3}\n' >t2/rows.jsonl
printf 'BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\n' >t2/data.sql
(cd t2 && bk-manifest add excel.csv tabs.tsv rows.jsonl data.sql) >/dev/null 2>&1 ||
    fail "bk-manifest add of the dialects"
cat >want <<'EOF2'
OK excel.csv (csv, 2 records)
OK tabs.tsv (csv, 3 records)
OK rows.jsonl (jsonl, 3 records)
OK data.sql (sql)
EOF2
exits "semicolon CSV with a BOM, TSV, JSON Lines, SQL: OK" 0 bk-verify -v -m t2/manifest.jsonl
same "...with their counts" "$T/out" want
printf '3;1,00\r\n' >>t2/excel.csv
sed -i 's/"size":[0-9]*,"sha256":"[0-9a-f]*",//' t2/manifest.jsonl
exits "a short record in semicolon CSV" 1 bk-verify -q -m t2/manifest.jsonl
is "...is found with its line" "$(cat "$T/out")" "FAIL excel.csv: CSV line 4, column 7: record has 2 fields, the header has 3"

# gzip members joined (cat a.gz b.gz), and pigz's output.
mkdir t3
gzip -dc tree/daily/big.csv.gz >big.csv
head -n 1500 big.csv | gzip >t3/joined.csv.gz
tail -n +1501 big.csv | gzip -1 >>t3/joined.csv.gz
if command -v pigz >/dev/null 2>&1; then pigz -c -p 2 -b 32 big.csv >t3/pigz.csv.gz
else gzip -c big.csv >t3/pigz.csv.gz; fi
(cd t3 && bk-manifest add joined.csv.gz pigz.csv.gz) >/dev/null 2>&1 || fail "bk-manifest add t3"
exits "gzip members joined, and pigz's blocks: OK" 0 bk-verify -v -m t3/manifest.jsonl
is "...every member counted" "$(grep -c "csv gzip, $big records" "$T/out")" 2

# Output failures.
if [ -w /dev/full ]; then
	exits "stdout on /dev/full exits 74" 74 sh -c "bk-verify -m $M >/dev/full"
else
	skip "no /dev/full"
fi
i=0; while [ $i -lt 300 ]; do cp tree/a.csv tree/c$i.csv; i=$((i + 1)); done
(cd tree && bk-manifest add c*.csv) >/dev/null 2>&1
run sh -c "bk-verify -m $M | head -1"
is "a closed pipe stops it quietly" "$rc:$(cat "$T/err")" "0:"

done_testing
