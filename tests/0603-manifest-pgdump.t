#!/bin/sh
# bk-manifest add of real pg_dump output: complete, truncated, gzipped.
. "$(dirname "$0")/lib.sh"
need_pg
need pg_dump gzip zstd

psql -Xq -v ON_ERROR_STOP=1 <<'SQL' || { fail "create test data"; done_testing; exit 1; }
DROP TABLE IF EXISTS m0603;
CREATE TABLE m0603 (id int PRIMARY KEY, nome text, valor numeric(10,2));
INSERT INTO m0603 SELECT i, 'Cliente ' || i, i * 1.5 FROM generate_series(1, 2000) i;
SQL

complete() {	# complete PATH: the "complete" field of PATH's line
	bk-manifest list -F json | grep "\"path\":\"$1\"" |
	    sed -n 's/.*"complete":\([a-z]*\).*/\1/p'
}

pg_dump -Fp -t m0603 >full.sql
ok "pg_dump wrote a script" test -s full.sql
ok "add a complete dump" bk-manifest add -T daily --source "host=$PGHOST dbname=$PGDATABASE password=hunter2" full.sql
is "complete" "$(complete full.sql)" true
like "pg_dump layer" manifest.jsonl '"path":"full.sql".*"layers":\["pg_dump"\]'
unlike "no password in the source" manifest.jsonl hunter2
if grep -q '^\\restrict ' full.sql; then
	pass "this pg_dump writes \\restrict"
	# Cut after the closing comment, before \unrestrict: incomplete.
	sed '/^\\unrestrict /,$d' full.sql >cut.sql
	errline "no \\unrestrict: refused" 65 'pg_dump script is incomplete' \
	    bk-manifest add cut.sql
else
	skip "pg_dump older than the 2025 minor releases"
	skip "pg_dump older than the 2025 minor releases"
fi

# Truncated at several points: refused, or recorded as incomplete with -f.
size=$(wc -c <full.sql)
for at in 100 $((size / 2)) $((size - 40)); do
	head -c $at full.sql >trunc$at.sql
	errline "truncated at $at: refused" 65 \
	    "could not add \"trunc$at.sql\": pg_dump script is incomplete" \
	    bk-manifest add trunc$at.sql
done
ok "-f records an incomplete dump" bk-manifest add --incomplete trunc100.sql
is "... as incomplete" "$(complete trunc100.sql)" false

# Through gzip, as seed 003 makes them; a truncated member is bad data.
pg_dump -Fp -t m0603 | gzip >full.sql.gz
ok "add a gzipped dump" bk-manifest add full.sql.gz
is "complete inside gzip" "$(complete full.sql.gz)" true
like "layers" manifest.jsonl '"path":"full.sql.gz".*"layers":\["pg_dump","gzip"\]'
head -c $((size / 2)) full.sql | gzip >half.sql.gz
errline "a truncated dump in a valid gzip is refused" 65 'incomplete' \
    bk-manifest add half.sql.gz

# Through zstd, from bk-zstd and from zstd; pg_dump's custom format too.
pg_dump -Fp -t m0603 | bk-zstd >full.sql.zst
ok "add a dump through bk-zstd" bk-manifest add full.sql.zst
is "complete inside zstd" "$(complete full.sql.zst)" true
like "layers" manifest.jsonl '"path":"full.sql.zst".*"layers":\["pg_dump","zstd"\]'
head -c $((size / 2)) full.sql | zstd -q >half.sql.zst
errline "a truncated dump in a valid zstd frame is refused" 65 \
    'could not add "half.sql.zst": pg_dump script is incomplete' \
    bk-manifest add half.sql.zst
pg_dump -Fc -Z0 -t m0603 | bk-zstd -19 >full.dump.zst
ok "add a custom archive through bk-zstd" bk-manifest add full.dump.zst
like "... read whole by pg_restore" manifest.jsonl \
    '"path":"full.dump.zst".*"layers":\["pg_dump-custom","zstd"\].*"complete":true'
zs=$(wc -c <full.dump.zst)
head -c $((zs - 20)) full.dump.zst >cut.dump.zst
errline "a cut zstd frame is refused" 65 \
    "\"cut.dump.zst\": truncated zstd input at byte $((zs - 20))\$" \
    bk-manifest add cut.dump.zst
psql -Xqc 'DROP TABLE m0603'
done_testing
