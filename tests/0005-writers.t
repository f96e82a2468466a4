#!/bin/sh
# The one JSON string writer and the one CSV field writer (common/json.c,
# common/csvwrite.c): tricky strings through each, read back exactly by
# python3's json and csv modules and by jq; then one string written the
# same way by bk-dump (SQLite and PostgreSQL), bk-csv and the manifest.
. "$(dirname "$0")/lib.sh"
need python3 jq sqlite3

[ -x "$BUILD/unit/t-writers" ] ||
    { echo "Bail out! $BUILD/unit/t-writers is not built (make build)"; exit 1; }
ok "t-writers emits its files" "$BUILD/unit/t-writers" emit .

cat >check.py <<'PY'
import base64, csv, json, re, sys

ins = [bytes.fromhex(l.strip()) for l in open("inputs.hex")]

def utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False

def rows(path, delim):
    # surrogateescape gives back bytes that are not UTF-8 unchanged.
    with open(path, newline="", encoding="utf-8",
              errors="surrogateescape") as f:
        return [[c.encode("utf-8", "surrogateescape") for c in r]
                for r in csv.reader(f, delimiter=delim)]

def excel(b):
    if b[:1] and b[:1] in b"=+-@\t\r\n" and \
       not re.fullmatch(rb"[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", b):
        return b"'" + b
    return b

what = sys.argv[1]
if what == "json":
    got = {}
    for line in open("strings.jsonl", encoding="utf-8"):
        o = json.loads(line)
        got[o["i"]] = o["s"].encode("utf-8")
    assert got == {i: b for i, b in enumerate(ins) if utf8(b)}, got
elif what == "jq":
    got = {}
    for line in open("jq.out"):
        i, s = json.loads(line)
        got[i] = base64.b64decode(s)
    assert got == {i: b for i, b in enumerate(ins) if utf8(b)}, got
elif what == "refused":
    n = sum(1 for l in open("strings.jsonl"))
    assert n == sum(1 for b in ins if utf8(b)) and n < len(ins), n
elif what in ("comma", "semi", "excel"):
    d = ";" if what == "semi" else ","
    f = excel if what == "excel" else (lambda b: b)
    r = rows(what + ".csv", d)
    assert r[0] == [b"i", b"s"], r[0]
    assert r[1:] == [[str(i).encode(), f(b)] for i, b in enumerate(ins)], r
elif what == "alone":
    r = rows("alone.csv", ",")
    assert r == [[b"s"]] + [[b] for b in ins], r
elif what == "tsv":
    esc = {b"t": b"\t", b"n": b"\n", b"r": b"\r", b"\\": b"\\"}
    lines = open("pg.tsv", "rb").read().split(b"\n")
    assert lines[0] == b"i\ts" and lines[-1] == b"", lines
    r = [[re.sub(rb"\\(.)", lambda m: esc[m.group(1)], c)
          for c in l.split(b"\t")] for l in lines[1:-1]]
    assert r == [[str(i).encode(), b] for i, b in enumerate(ins)], r
PY

ok "python's json reads every UTF-8 string back exactly" python3 check.py json
ok "strings that are not UTF-8 are refused, not written" python3 check.py refused
ok "jq reads the JSON Lines" sh -c 'jq -c "[.i, (.s | @base64)]" strings.jsonl >jq.out'
ok "jq reads every string back exactly" python3 check.py jq
ok "python's csv reads every field back exactly" python3 check.py comma
ok "... one field a record (\\. quoted)" python3 check.py alone
ok "... with ; as the delimiter" python3 check.py semi
ok "... Excel's dialect: formulas behind a '" python3 check.py excel
ok "TSV: PostgreSQL's text escapes undo to every string" python3 check.py tsv

# ---- the tools: one string, the same bytes everywhere ----

# BS FF SOH ESC DEL / U+2028 U+2029 é U+1F600 " \ CR LF TAB, and \. for
# the CSV rule PostgreSQL applies only to a field alone in its record.
V=$(printf 'a\b\f\001\033\177/\342\200\250\342\200\251\303\251\360\237\230\200"q\\ \r\n\tz')
HEX=$(printf '%s' "$V" | od -An -tx1 | tr -d ' \n')
sqlite3 -bail a.db "CREATE TABLE t (description TEXT, w TEXT);
    INSERT INTO t VALUES (CAST(X'$HEX' AS TEXT), '\\.');"

bk-dump -D sqlite:a.db -F jsonl --table t >sqlite.jsonl
ok "bk-dump's JSON Lines hold the string exactly" python3 -c '
import json, sys
o = json.loads(open("sqlite.jsonl", encoding="utf-8").read())
assert o == {"description": sys.argv[1], "w": "\\."}, o' "$V"
like "... short escapes and lower-case hex, as row_to_json" sqlite.jsonl \
    '^\{"description":"a\\b\\f\\u0001\\u001b'

bk-dump -D sqlite:a.db --table t >sqlite.csv
ok "bk-dump's CSV holds the string exactly" python3 -c '
import csv, sys
r = list(csv.reader(open("sqlite.csv", newline="", encoding="utf-8")))
assert r == [["description", "w"], [sys.argv[1], "\\."]], r' "$V"
like "... \\. beside another field is not quoted, as PostgreSQL does" \
    sqlite.csv '",\\\.$'

run sh -c 'bk-csv -F jsonl sqlite.csv'
same "bk-csv --format jsonl writes bk-dump's bytes" out sqlite.jsonl
run bk-csv sqlite.csv
same "bk-csv writes bk-dump's CSV unchanged" out sqlite.csv

# The manifest (jansson holds the values, json.c writes them).
printf 'v\n1\n' >f.csv
bk-manifest -m m.jsonl add --description "$V" f.csv 2>/dev/null
grep -o '"description":"\([^"\\]\|\\.\)*"' m.jsonl | sed 's/^/{/; s/$/,"w":"\\\\."}/' >m.desc
same "the manifest writes the string as bk-dump's JSON Lines do" m.desc sqlite.jsonl
bk-manifest -m m.jsonl info -F json f.csv | grep '"description"' |
    sed 's/^ *"description": /{"description":/; s/,$/,"w":"\\\\."}/' >info.desc
same "... and so does bk-manifest info -F json" info.desc sqlite.jsonl
ok "python's json reads the manifest's string exactly" python3 -c '
import json, sys
o = json.loads(open("m.jsonl", encoding="utf-8").read())
assert o["description"] == sys.argv[1], o' "$V"

# Text that is not UTF-8: JSON cannot carry it, so the export stops; CSV
# and SQL pass the bytes on.
sqlite3 -bail b.db "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('ok');
    INSERT INTO t VALUES (CAST(X'41FF42' AS TEXT));"
errline "not UTF-8 in JSON Lines: exit 65, row and column named" 65 \
    '^bk-dump: error: t: row 2, column "v": text that is not valid UTF-8' \
    bk-dump -D sqlite:b.db -F jsonl --table t
run bk-dump -D sqlite:b.db --table t
is "... the same bytes in CSV" "$(od -An -tx1 out | tr -d ' \n')" \
    "760a6f6b0a41ff420a"
exits "a table name that is not UTF-8 exits 64" 64 \
    bk-dump -D sqlite:b.db -F jsonl --table "$(printf 'x\377')"

# PostgreSQL writes the JSON (row_to_json) and the CSV (COPY) itself: the
# writers agree with it byte for byte.
if [ -n "${BK_TEST_PG:-}" ]; then
	tb=wr_$$
	psql -Xq -v ON_ERROR_STOP=1 -c "CREATE TABLE $tb (description text, w text)" \
	    -c "INSERT INTO $tb VALUES (convert_from('\\x$HEX', 'UTF8'), '\\.')"
	bk-dump -F jsonl --table "$tb" >pg.jsonl
	same "PostgreSQL's JSON Lines: the same bytes as SQLite's" pg.jsonl sqlite.jsonl
	bk-dump --table "$tb" >pg.csv
	same "PostgreSQL's CSV: the same bytes as SQLite's" pg.csv sqlite.csv
	psql -Xq -c "DROP TABLE $tb"
else
	skip "no test PostgreSQL server"
	skip "no test PostgreSQL server"
fi
done_testing
