#!/bin/sh
# bk-manifest add: what inspection finds, checked against the real tools.
. "$(dirname "$0")/lib.sh"
need gzip sha256sum

need python3
field() {	# field PATH KEY: a field of PATH's line, as compact JSON text
	bk-manifest list -F json | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["path"] == sys.argv[1] and sys.argv[2] in o:
        print(json.dumps(o[sys.argv[2]], separators=(",", ":")))' "$1" "$2"
}

# CSV with a header, a quoted newline and a quoted comma.
{ echo 'id,cliente,valor'
  i=1; while [ $i -le 500 ]; do
	printf '%d,"Cliente %d, Ltda",%d.50\n' $i $i $i; i=$((i + 1)); done
  printf '501,"two\nlines",1.00\n'; } >a.csv
ok "add a csv" bk-manifest add --created 2025-06-27T02:00:00Z a.csv
is "csv records (header excluded, quoted newline inside)" \
    "$(field a.csv records)" 501
is "csv layers" "$(field a.csv layers)" '["csv"]'
is "size as wc -c" "$(field a.csv size)" "$(wc -c <a.csv)"
is "sha256 as sha256sum" "$(field a.csv sha256)" \
    "\"$(sha256sum a.csv | cut -c1-64)\""

# The same counted inside gzip, and the count agrees with gzip -dc | wc.
# (gen_text cuts its last line short: that is not CSV, so it goes.)
gen_text 300000 | sed '$d' |
    awk 'BEGIN { print "n,data,valor,cliente,forma" } { print }' |
    gzip -9 >b.csv.gz
ok "add a csv.gz" bk-manifest add b.csv.gz
is "records inside gzip = gzip -dc | wc -l minus the header" \
    "$(field b.csv.gz records)" "$(($(gzip -dc b.csv.gz | wc -l) - 1))"
is "csv.gz layers, innermost first" "$(field b.csv.gz layers)" \
    '["csv","gzip"]'
is "csv.gz sha256 of the compressed bytes" "$(field b.csv.gz sha256)" \
    "\"$(sha256sum b.csv.gz | cut -c1-64)\""

# pigz in parallel blocks, and several gzip members one after another.
if command -v pigz >/dev/null; then
	{ echo n,data,valor,cliente,forma; gen_text 500000 | sed '$d'; } |
	    pigz -p 2 -b 32 >c.csv.gz
	ok "add pigz output" bk-manifest add c.csv.gz
	is "records through pigz" "$(field c.csv.gz records)" \
	    "$(($(pigz -dc c.csv.gz | wc -l) - 1))"
else skip "no pigz"; skip "no pigz"; fi
{ printf 'a,b\n1,2\n' | gzip; printf '3,4\n5,6\n' | gzip; } >m.csv.gz
ok "add two gzip members" bk-manifest add m.csv.gz
is "records across members" "$(field m.csv.gz records)" 3

# JSON Lines are counted too; a plain SQL script is not a pg_dump.
printf '{"a":1}\n{"a":2}\n\n{"a":3}\n' >d.jsonl
bk-manifest add d.jsonl
is "jsonl records" "$(field d.jsonl records)" 3
printf 'BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\n' >e.sql
bk-manifest add e.sql
is "sql layer" "$(field e.sql layers)" '["sql"]'
is "no completeness for plain SQL" "$(field e.sql complete)" ""

# A SQLite database file.
if command -v sqlite3 >/dev/null; then
	sqlite3 app.db 'create table t(a); insert into t values (1),(2);'
	bk-manifest add -T manual --description "Before migration" app.db
	is "sqlite layer" "$(field app.db layers)" '["sqlite"]'
	is "no records for sqlite" "$(field app.db records)" ""
	gzip -k app.db
	bk-manifest add app.db.gz
	is "gzipped sqlite" "$(field app.db.gz layers)" \
	    '["sqlite","gzip"]'
	# A database that fails integrity_check is refused, as bk-verify and
	# bk-restore refuse it (the one check of common/sqlitefile.c).
	sqlite3 big.db "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT);
	    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
	    INSERT INTO t SELECT x, printf('%050d', x) FROM c; CREATE INDEX ib ON t(b);"
	flip big.db 8292; flip big.db 8293
	gzip -k big.db
	errline "an SQLite database failing integrity_check is refused" 65 \
	    '^bk-manifest: error: could not add "big.db": the SQLite database fails integrity_check: .* \(--incomplete records it anyway\)$' \
	    bk-manifest add big.db
	errline "... inside gzip too" 65 'could not add "big.db.gz": the SQLite database fails integrity_check' \
	    bk-manifest add big.db.gz
	unlike "... and neither is listed" manifest.jsonl '"path":"big\.db'
	exits "--incomplete records it anyway" 0 bk-manifest add --incomplete big.db
	run bk-verify -q big.db
	like "... and bk-verify gives the same reason" out '^FAIL big\.db: the SQLite database fails integrity_check: '
else for i in 1 2 3 4 5 6 7 8; do skip "no sqlite3"; done; fi

# age: encrypted content is opaque; --records tells what the pipeline knew.
if command -v age >/dev/null && command -v age-keygen >/dev/null; then
	age-keygen -o key 2>/dev/null
	gzip -c a.csv | age -r "$(age-keygen -y key)" >a.csv.gz.age
	ok "add an age file with --records" bk-manifest add --records 501 a.csv.gz.age
	is "age layer only" "$(field a.csv.gz.age layers)" '["age"]'
	is "records as given" "$(field a.csv.gz.age records)" 501
	is "digest of the encrypted bytes" "$(field a.csv.gz.age sha256)" \
	    "\"$(sha256sum a.csv.gz.age | cut -c1-64)\""
	age -a -r "$(age-keygen -y key)" <a.csv >a.csv.age
	bk-manifest add a.csv.age
	is "armored age" "$(field a.csv.age layers)" '["age-armor"]'
else for i in 1 2 3 4 5; do skip "no age"; done; fi

# Bad data: a truncated gzip file is refused, nothing is added.
head -c 3000 b.csv.gz >t.csv.gz
errline "truncated gzip refused" 65 '"t.csv.gz": truncated gzip input at byte' \
    bk-manifest add t.csv.gz
cp b.csv.gz f.csv.gz
flip f.csv.gz 2000
errline "corrupt gzip refused" 65 '"f.csv.gz": (corrupt gzip data|bad CRC)' \
    bk-manifest add f.csv.gz
unlike "neither is listed" manifest.jsonl '"(t|f)\.csv\.gz"'

# zstd, from bk-zstd and from zstd itself (several frames, a skippable
# one): recognised by its magic, counted inside, refused when damaged.
if command -v zstd >/dev/null; then
	bk-zstd <a.csv >z.csv.zst
	ok "add a csv.zst" bk-manifest add z.csv.zst
	is "csv.zst records" "$(field z.csv.zst records)" 501
	is "csv.zst layers, innermost first" "$(field z.csv.zst layers)" \
	    '["csv","zstd"]'
	{ printf 'a,b\n1,2\n' | zstd -q; printf '\120\052\115\030\000\000\000\000';
	  printf '3,4\n5,6\n' | zstd -q -19; } >mz.csv
	ok "add zstd frames, a skippable one among them, whatever the name" \
	    bk-manifest add mz.csv
	is "records across frames" "$(field mz.csv records)" 3
	is "... and the layers" "$(field mz.csv layers)" '["csv","zstd"]'
	bk-zstd <b.csv.gz >gz-in.zst
	bk-manifest add gz-in.zst
	is "gzip inside zstd: both peeled" "$(field gz-in.zst layers)" \
	    '["csv","gzip","zstd"]'
	is "... and counted" "$(field gz-in.zst records)" "$(field b.csv.gz records)"
	S=$(wc -c <z.csv.zst)
	head -c $((S - 1)) z.csv.zst >tz.csv.zst
	errline "truncated zstd refused" 65 "\"tz.csv.zst\": truncated zstd input at byte $((S - 1))\$" \
	    bk-manifest add tz.csv.zst
	cp z.csv.zst fz.csv.zst
	flip fz.csv.zst -1
	errline "a bad zstd checksum refused" 65 "\"fz.csv.zst\": bad checksum in frame ending at byte $S\$" \
	    bk-manifest add fz.csv.zst
	unlike "neither is listed" manifest.jsonl '"(tz|fz)\.csv\.zst"'
else for i in 1 2 3 4 5 6 7 8 9 10 11; do skip "no zstd"; done; fi
ok "every line parses (strict list)" sh -c "bk-manifest --strict list >/dev/null"
done_testing
