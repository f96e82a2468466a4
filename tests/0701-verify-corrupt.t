#!/bin/sh
# bk-verify: the corruption scenarios, each with its message and exit code.
# Each scenario is a tree of its own.  Most record the damaged file in the
# manifest as it now is (size and sha256 of the damaged bytes), so that the
# layer that notices the damage speaks; a few keep the good file's line, to
# show the cheap checks (missing, size, digest) coming first.
. "$(dirname "$0")/lib.sh"
need gzip zstd sqlite3 age age-keygen perl

# line FILE [RECORDS] [LAYERS]: a manifest line for FILE as it is now, in
# its folder, with its record count and layers (JSON) when given.
line() {
	_x=${2:+\"records\":$2}
	manifest_line -d "$(dirname "$1")" "$(basename "$1")" "" "" "$_x${3:+,\"layers\":$3}"
}
# tree NAME: a fresh tree; the file to damage goes in NAME/.
tree() { rm -rf "$1"; mkdir "$1"; }
# scenario NAME DIR REGEX: bk-verify of DIR exits 1 with exactly one FAIL
# line, matching "^FAIL REGEX$", and nothing on stderr.
scenario() {
	run bk-verify -m "$2/manifest.jsonl"
	if [ "$rc" = 1 ] && [ "$(grep -c '^FAIL' "$T/out")" = 1 ] &&
	    grep -Eq -- "^FAIL $3\$" "$T/out" && [ ! -s "$T/err" ]; then
		pass "$1"
	else
		fail "$1"; diag "exit $rc; wanted FAIL $3"
		sed 's/^/#   /' "$T/out" "$T/err" | head -5
	fi
}

# The good inputs.
{ echo 'id,date,amount,client'
  i=1; while [ $i -le 2000 ]; do
	echo "$i,2024-09-$((i % 28 + 1)),$i.50,\"Cliente $i, Ltda\""; i=$((i + 1)); done
} >good.csv
gzip -6 -c good.csv >good.csv.gz
{ printf -- '--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n'
  i=0; while [ $i -lt 3000 ]; do echo "INSERT INTO t VALUES ($i, 'row $i');"; i=$((i + 1)); done
  printf -- '\n--\n-- PostgreSQL database dump complete\n--\n\n'
} >good.sql
gzip -c good.sql >good.sql.gz
age-keygen -o key.txt 2>/dev/null
age-keygen -o other.txt 2>/dev/null
age -r "$(age-keygen -y key.txt)" -o good.csv.gz.age good.csv.gz
sqlite3 good.sqlite "create table t(a integer primary key, b text);
    with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000)
    insert into t select x, printf('value %d %08x %08x', x, (x * 2654435761) % 4294967296, (x * 40503) % 65536) from c;
    create index tb on t(b);"

# ---- truncation at several points ----
sz=$(stat -c %s good.csv.gz)
for cut in 5 12 $((sz / 2)) $((sz - 8)) $((sz - 3)); do
	tree tr; head -c $cut good.csv.gz >tr/x.csv.gz; line tr/x.csv.gz >tr/manifest.jsonl
	scenario "csv.gz truncated at byte $cut" tr 'x.csv.gz: truncated gzip input at byte [0-9]+'
done
sz=$(stat -c %s good.sql.gz)
for cut in 20 $((sz / 3)) $((sz - 1)); do
	tree tr; head -c $cut good.sql.gz >tr/x.sql.gz; line tr/x.sql.gz >tr/manifest.jsonl
	scenario "sql.gz truncated at byte $cut" tr 'x.sql.gz: truncated gzip input at byte [0-9]+'
done
# A script cut before its end but gzipped whole: only the content tells.
sz=$(stat -c %s good.sql)
tree tr; head -c $((sz - 60)) good.sql | gzip >tr/x.sql.gz; line tr/x.sql.gz >tr/manifest.jsonl
scenario "pg_dump script cut before gzip" tr 'x.sql.gz: pg_dump script is incomplete \(no "-- PostgreSQL database dump complete" at the end\)'
sz=$(stat -c %s good.csv.gz.age)
for cut in 30 200 $((sz / 2)) $((sz - 1)); do
	tree tr; head -c $cut good.csv.gz.age >tr/x.csv.gz.age; line tr/x.csv.gz.age >tr/manifest.jsonl
	run bk-verify -i key.txt -m tr/manifest.jsonl
	if [ "$rc" = 1 ] && grep -Eq '^FAIL x.csv.gz.age: .*(truncated|header|failed authentication)' "$T/out"; then
		pass ".age truncated at byte $cut"
	else fail ".age truncated at byte $cut"; sed 's/^/#   /' "$T/out" "$T/err"; fi
done
sz=$(stat -c %s good.sqlite)
for cut in 100 $((sz / 2)) $((sz - 4096)); do
	tree tr; head -c $cut good.sqlite >tr/x.sqlite; line tr/x.sqlite >tr/manifest.jsonl
	scenario "sqlite truncated at byte $cut" tr 'x.sqlite: the SQLite database (is damaged|fails integrity_check).*'
done
# Cut at a record boundary: still valid CSV, but records are missing.
tree tr; head -n 1500 good.csv >tr/x.csv; line tr/x.csv >tr/manifest.jsonl
sed -i 's/}$/,"records":2000}/' tr/manifest.jsonl
scenario "CSV cut at a line end: the record count" tr 'x.csv: 1499 records, the manifest says 2000'
tree tr; head -c 1025 good.csv >tr/x.csv; line tr/x.csv >tr/manifest.jsonl
scenario "CSV cut inside a quoted field" tr 'x.csv: CSV line 28, column 21: quoted field not closed before the end of the input'
tree tr; head -c 1012 good.csv >tr/x.csv; line tr/x.csv >tr/manifest.jsonl
scenario "CSV cut inside a record" tr 'x.csv: CSV line 28, column 12: record has 2 fields, the header has 4'

# ---- a flipped byte in each layer ----
tree fl; cp good.csv.gz.age fl/x.csv.gz.age; flip fl/x.csv.gz.age -100; line fl/x.csv.gz.age >fl/manifest.jsonl
run bk-verify -i key.txt -m fl/manifest.jsonl
if [ "$rc" = 1 ] && grep -Eq '^FAIL x.csv.gz.age: ' "$T/out" && ! grep -q '^OK' "$T/out"; then
	pass "age payload: one flipped byte fails authentication"
else fail "age payload flipped"; sed 's/^/#   /' "$T/out" "$T/err"; fi
errmsg=$(sed -n 's/^FAIL x.csv.gz.age: //p' "$T/out")
age -d -i key.txt fl/x.csv.gz.age >/dev/null 2>&1
is "age(1) refuses it too" "$?" 1
diag "age payload: $errmsg"
tree fl; cp good.csv.gz fl/x.csv.gz; flip fl/x.csv.gz 2000; line fl/x.csv.gz >fl/manifest.jsonl
scenario "gzip body: flipped byte" fl 'x.csv.gz: (corrupt gzip data \(.*\) at byte [0-9]+|bad CRC in member ending at byte [0-9]+|bad length.*|truncated gzip input.*)'
tree fl; cp good.csv.gz fl/x.csv.gz; flip fl/x.csv.gz -8; line fl/x.csv.gz >fl/manifest.jsonl
scenario "gzip trailer CRC: flipped byte" fl "x.csv.gz: bad CRC in member ending at byte $(stat -c %s fl/x.csv.gz)"
tree fl; cp good.csv.gz fl/x.csv.gz; flip fl/x.csv.gz -2; line fl/x.csv.gz >fl/manifest.jsonl
scenario "gzip trailer length: flipped byte" fl 'x.csv.gz: bad length in member ending at byte [0-9]+'
tree fl; cp good.csv.gz fl/x.csv.gz; printf 'junk' >>fl/x.csv.gz; line fl/x.csv.gz >fl/manifest.jsonl
scenario "gzip: trailing garbage" fl 'x.csv.gz: trailing garbage after gzip data at byte [0-9]+'
# CSV content: a line feed turned into a comma joins two records.
tree fl; sed '100{N;s/\n/,/}' good.csv | gzip >fl/x.csv.gz; line fl/x.csv.gz 2000 >fl/manifest.jsonl
scenario "CSV: two records joined" fl 'x.csv.gz: CSV line 100, column 81: record has 8 fields, the header has 4'
tree fl; sed '100d' good.csv | gzip >fl/x.csv.gz; line fl/x.csv.gz 1999 >fl/manifest.jsonl
sed -i 's/"records":1999/"records":1999/' fl/manifest.jsonl
exits "CSV with a line removed, recorded as such, is fine" 0 bk-verify -m fl/manifest.jsonl
sed -i 's/"records":1999/"records":2000/' fl/manifest.jsonl
scenario "CSV: a line removed changes the record count" fl 'x.csv.gz: 1999 records, the manifest says 2000'
# The column is where the reader stopped; a lone carriage return ends a
# record (as in bk-csv), so the record before it is short.
for row in 'quote in an unquoted field|4|1,a"b,3,4' \
    'text after the closing quote of a field|6|1,"a"b,3,4' \
    'record has 3 fields, the header has 4|6|1,2,3' \
    'invalid UTF-8 \(byte 0xFF\)|3|1,\377,3,4' \
    'record has 2 fields, the header has 4|4|1,2\r3,3,4'; do
	msg=${row%%|*} bad=${row#*|} col=${bad%%|*} bad=${bad#*|}
	tree fl; { head -n 50 good.csv; printf "$bad\n"; tail -n 10 good.csv; } >fl/x.csv
	line fl/x.csv >fl/manifest.jsonl
	scenario "CSV: $msg" fl "x.csv: CSV line 51, column $col: $msg"
done
tree fl; cp good.sqlite fl/x.sqlite; flip fl/x.sqlite 20000; line fl/x.sqlite >fl/manifest.jsonl
scenario "sqlite: a flipped byte in a table page" fl 'x.sqlite: the SQLite database fails integrity_check: .*'
is "...which quick_check alone would have missed" "$(sqlite3 fl/x.sqlite 'pragma quick_check')" ok
tree fl; cp good.sql.gz fl/x.sql.gz; flip fl/x.sql.gz 1000; line fl/x.sql.gz >fl/manifest.jsonl
run bk-verify -m fl/manifest.jsonl
gzip -t fl/x.sql.gz 2>/dev/null; gz=$?
is "sql.gz flipped: we fail where gzip -t fails" "$rc $gz" "1 1"

# ---- zstd: the same scenarios through the zstd layer ----
bk-zstd <good.csv >good.csv.zst
sz=$(stat -c %s good.csv.zst)
for cut in 3 10 $((sz / 2)) $((sz - 4)) $((sz - 1)); do
	tree zs; head -c $cut good.csv.zst >zs/x.csv.zst; line zs/x.csv.zst >zs/manifest.jsonl
	scenario "csv.zst truncated at byte $cut" zs "x.csv.zst: truncated zstd input at byte $cut"
done
tree zs; cp good.csv.zst zs/x.csv.zst; flip zs/x.csv.zst -1; line zs/x.csv.zst >zs/manifest.jsonl
scenario "zstd checksum: flipped byte" zs "x.csv.zst: bad checksum in frame ending at byte $sz"
for at in 100 $((sz / 2)); do
	tree zs; cp good.csv.zst zs/x.csv.zst; flip zs/x.csv.zst $at; line zs/x.csv.zst >zs/manifest.jsonl
	scenario "zstd body: flipped byte at $at" zs 'x.csv.zst: (corrupt zstd data \(.*\)|bad checksum in frame ending) at byte [0-9]+'
	zstd -q -t zs/x.csv.zst 2>/dev/null
	is "... and zstd -t fails on it too" "$?" 1
done
tree zs; cp good.csv.zst zs/x.csv.zst; printf 'junk' >>zs/x.csv.zst; line zs/x.csv.zst >zs/manifest.jsonl
scenario "zstd: trailing garbage" zs "x.csv.zst: trailing garbage after zstd data at byte $sz"
tree zs; head -n 10 good.csv | zstd -q --long=30 >zs/x.csv.zst; line zs/x.csv.zst >zs/manifest.jsonl
scenario "zstd: a frame asking for a 1 GiB window" zs 'x.csv.zst: zstd frame needs a window larger than 128 MiB at byte 4'
tree zs; zstd -q -c </dev/null >zs/x.csv.zst; line zs/x.csv.zst >zs/manifest.jsonl
scenario "zstd of nothing" zs 'x.csv.zst: no data inside the zstd layer'
tree zs; bk-zstd <good.csv | age -r "$(age-keygen -y key.txt)" >zs/x.csv.zst.age
line zs/x.csv.zst.age 2000 >zs/manifest.jsonl
exits "zstd under age, with the identity: OK" 0 bk-verify -v -i key.txt -m zs/manifest.jsonl
is "...decrypted and decompressed through to the CSV" "$(cat "$T/out")" \
    "OK x.csv.zst.age (csv zstd age, 2000 records)"
tree zs; sed '100d' good.csv | bk-zstd >zs/x.csv.zst; line zs/x.csv.zst 2000 >zs/manifest.jsonl
scenario "CSV in zstd: a line removed changes the record count" zs 'x.csv.zst: 1999 records, the manifest says 2000'

# ---- the cheap checks, with the good file's line ----
tree ch; cp good.csv.gz ch/x.csv.gz; line ch/x.csv.gz 2000 '["csv","gzip"]' >ch/manifest.jsonl
cp ch/manifest.jsonl good.line
rm ch/x.csv.gz
scenario "deleted" ch 'x.csv.gz: file is missing'
cp good.csv.gz ch/x.csv.gz; printf '\n' >>ch/x.csv.gz
scenario "wrong size" ch "x.csv.gz: size is $(($(stat -c %s good.csv.gz) + 1)) bytes, the manifest says $(stat -c %s good.csv.gz)"
cp good.csv.gz ch/x.csv.gz; flip ch/x.csv.gz 1500
scenario "same size, other bytes: digest first, then the layer" ch 'x.csv.gz: sha256 does not match \(.*\)'
cp good.csv.gz ch/x.csv.gz; sed -i 's/"records":2000/"records":2001/' ch/manifest.jsonl
scenario "wrong record count" ch 'x.csv.gz: 2000 records, the manifest says 2001'
cp good.line ch/manifest.jsonl; sed -i 's/\["csv","gzip"\]/["sqlite"]/' ch/manifest.jsonl
scenario "other layers than recorded" ch 'x.csv.gz: layers are "csv gzip", the manifest says "sqlite"'
cp good.line ch/manifest.jsonl
chmod 000 ch/x.csv.gz
if [ "$(id -u)" != 0 ]; then
	scenario "unreadable" ch 'x.csv.gz: could not open: Permission denied'
else
	skip "root reads any file"
fi
chmod 600 ch/x.csv.gz
rm ch/x.csv.gz; mkdir ch/x.csv.gz
scenario "a folder where a file should be" ch 'x.csv.gz: not a regular file'
rmdir ch/x.csv.gz; ln -s ../good.csv.gz ch/x.csv.gz
scenario "a symlink is not followed" ch 'x.csv.gz: is a symbolic link'
rm ch/x.csv.gz
tree ch; : >ch/x.csv; line ch/x.csv >ch/manifest.jsonl
scenario "empty file" ch 'x.csv: file is empty'
tree ch; gzip -c </dev/null >ch/x.csv.gz; line ch/x.csv.gz >ch/manifest.jsonl
scenario "gzip of nothing" ch 'x.csv.gz: no data inside the gzip layer'

# ---- the manifest and the tree ----
tree mf; cp good.csv good.csv.gz good.sqlite mf/
{ line mf/good.csv 2000; echo '{"path": "broken", "created": '; line mf/good.csv.gz 2000
  echo '{"path":"/etc/passwd","created":"2024-09-01T00:00:00Z"}'; line mf/good.sqlite; } >mf/manifest.jsonl
run bk-verify -m mf/manifest.jsonl
is "garbled lines: exit 1" "$rc" 1
like "garbled line 2 is reported with its number" "$T/out" '^FAIL mf/manifest.jsonl:2: invalid JSON'
like "a path leaving the tree is reported with its number" "$T/out" '^FAIL mf/manifest.jsonl:4: path "/etc/passwd" is absolute'
is "the other lines are still verified" "$(grep -c '^OK' "$T/out")" 3
tree nm; cp good.csv nm/; line nm/good.csv >nm/manifest.jsonl
mkdir nm/daily; cp good.csv.gz nm/daily/late.csv.gz
scenario "a file not in the manifest" nm 'daily/late.csv.gz: not in the manifest \(incomplete backup\)'
exits "...not with --no-scan" 0 bk-verify --no-scan -m nm/manifest.jsonl

# ---- age with and without an identity ----
tree ag; cp good.csv.gz.age ag/x.csv.gz.age; line ag/x.csv.gz.age 2000 '["age"]' >ag/manifest.jsonl
exits "age without identity: OK" 0 bk-verify -m ag/manifest.jsonl
is "...saying it was not decrypted" "$(cat "$T/out")" "OK x.csv.gz.age (age not decrypted, no identity: size, sha256 and header checked; content never checked)"
exits "age with its identity: OK" 0 bk-verify -v -i key.txt -m ag/manifest.jsonl
is "...decrypted through to the CSV" "$(cat "$T/out")" "OK x.csv.gz.age (csv gzip age, 2000 records)"
exits "age with another identity: FAIL" 1 bk-verify -i other.txt -m ag/manifest.jsonl
like "...no identity matched" "$T/out" '^FAIL x.csv.gz.age: .*'
# -i repeats, and every identity is tried: the order of the files never
# changes the verdict.
exits "-i other -i key: OK" 0 bk-verify -v -i other.txt -i key.txt -m ag/manifest.jsonl
is "...decrypted by the second file's key" "$(cat "$T/out")" "OK x.csv.gz.age (csv gzip age, 2000 records)"
exits "-i key -i other: OK" 0 bk-verify -v -i key.txt -i other.txt -m ag/manifest.jsonl
is "...decrypted by the first file's key" "$(cat "$T/out")" "OK x.csv.gz.age (csv gzip age, 2000 records)"
printf 'secret words\n' >pass.txt
bk-crypt -p --passphrase-file pass.txt -o ag/p.csv.age good.csv
line ag/p.csv.age 2000 >>ag/manifest.jsonl
exits "a passphrase file opens scrypt files" 0 bk-verify -v --passphrase-file pass.txt -m ag/manifest.jsonl ag/p.csv.age
is "...through to the CSV" "$(cat "$T/out")" "OK ag/p.csv.age (csv age, 2000 records)"
printf 'other words\n' >wrong.txt
exits "a wrong passphrase fails" 1 bk-verify --passphrase-file wrong.txt -m ag/manifest.jsonl ag/p.csv.age
tree ag; head -c 40 good.csv.gz.age >ag/x.age; line ag/x.age >ag/manifest.jsonl
scenario "age header cut: fails even without identity" ag 'x.age: .*'

done_testing
