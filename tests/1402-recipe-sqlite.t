#!/bin/sh
# Recipe 2 of bk(7): examples/sqlite-backup.sh, seed 001's backups of an
# SQLite application, with the real sqlite3 and python3: a manual copy
# taken while another connection holds an open write transaction holds
# exactly what was committed, with its description, author and version
# recorded and verified; daily and weekly copies rotated as the seed keeps
# them; list and info; JSON Lines, CSV and SQL exports without the
# sensitive columns (read back with python's json and csv, and the SQL
# loaded by sqlite3 into a fresh database), with lists of patterns that
# have blanks; a restore that brings back the exact content (sqlite3 .dump
# before and after), with a safety copy first, among thousands of earlier
# ones; two runs at once (the second exits 75, in bk(7)'s cron lines too
# under bk-job.sh); a copy that cannot be recorded is removed; a table of
# bad inputs.
. "$(dirname "$0")/lib.sh"
need bash sqlite3 python3 shellcheck setsid

ex=$TOP/examples
S=$ex/sqlite-backup.sh
ok "sqlite-backup.sh is shellcheck-clean" shellcheck -x "$S"

# The application's database, in WAL mode as a live application keeps it:
# users with a password hash and an API token, products with a blob, sales
# with notes holding accents, quotes, commas and a line break.
cat >schema.sql <<'EOF'
PRAGMA journal_mode = WAL;
PRAGMA user_version = 3;
CREATE TABLE users (
	id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT,
	password_hash TEXT, api_token TEXT, balance REAL NOT NULL DEFAULT 0);
CREATE TABLE products (
	id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL,
	stock INTEGER, image BLOB);
CREATE TABLE sales (
	id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users,
	product_id INTEGER REFERENCES products, quantity INTEGER NOT NULL,
	created_at TEXT NOT NULL, note TEXT);
EOF
cat >data.sql <<'EOF'
INSERT INTO users VALUES
 (1, 'Ana Müller', 'ana@example.com', '$2b$12$abcdefghijklmnopqrstuv', 'tok-ana', 12.5),
 (2, 'Bruno "B" Lima', NULL, '$2b$12$wvutsrqponmlkjihgfedcb', 'tok-bruno', -3),
 (3, 'Chloé, a guest', 'chloe@example.com', NULL, NULL, 0);
INSERT INTO products VALUES
 (1, 'Café', 2.5, 40, X'89504e470d0a1a0a'), (2, 'Pão de queijo', 4.0, NULL, NULL);
INSERT INTO sales VALUES
 (1, 1, 1, 2, '2025-06-27 08:00:00', 'paid, in cash'),
 (2, 2, 2, 1, '2025-06-27 09:30:00', 'line one
line two'), (3, 3, 1, 1, '2025-06-28 10:00:00', '=1+1');
EOF
sqlite3 -bail app.db <schema.sql >/dev/null
sqlite3 -bail app.db <data.sql
sqlite3 app.db .dump >committed.dump

# ---- backup: a manual copy while another connection writes ----
# A connection holds an open write transaction (a row inserted, not
# committed) until told to roll it back: the copy must hold exactly what
# was committed.
cat >writer.py <<'EOF'
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO sales VALUES (99, 1, 1, 5, '2025-06-29 00:00:00', 'uncommitted')")
open("writer.ready", "w").close()
while not os.path.exists("writer.go"):
    time.sleep(0.05)
c.execute("ROLLBACK")
EOF
python3 writer.py app.db &
writer=$!
wait_until test -e writer.ready
run "$S" -D app.db backup -d "Before migration" -u admin manual
: >writer.go
wait "$writer"
is "backup manual exits 0" "$rc" 0
empty "... with nothing on stderr" err
is "... its log lines are timestamped" \
    "$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z sqlite-backup\.sh: ' out)" 0
m1=$(cd backups && ls manual/app_backup_manual_*.db)
ok "... named as the seed names it" test -n "$m1"
sqlite3 "backups/$m1" .dump >m1.dump
same "... the copy holds what was committed, not the open transaction" m1.dump committed.dump
is "... and passes integrity_check" "$(sqlite3 "backups/$m1" 'PRAGMA integrity_check')" ok
bk-manifest -m backups/manifest.jsonl info -F json "backups/$m1" >m1.json
run python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
print(m["type"], m["description"], m["created_by"], m["source"],
      m["database_version"], m["verified"]["result"], sep="|")' m1.json
is "... recorded: type, description, author, source, version, verified" \
    "$(cat out)" "manual|Before migration|admin|sqlite:app.db|3|ok"

# ---- daily and weekly copies, rotated as the seed keeps them ----
# Copies made on earlier days and weeks (recorded with their dates), then
# one made now: 7 days of daily copies and 4 weeks of weekly ones stay.
mkdir -p backups/daily backups/weekly
for i in 1 2 3 4 5 6 7 8; do
	d=$(date -d "-$i days" +%Y%m%d)
	cp "backups/$m1" "backups/daily/app_backup_daily_${d}_020000.db"
	bk-manifest -q -m backups/manifest.jsonl add -T daily \
	    --created "$(date -d "-$i days" '+%Y-%m-%d 02:00')" \
	    "backups/daily/app_backup_daily_${d}_020000.db"
done
for i in 1 2 3 4 5; do
	d=$(date -d "-$((7 * i)) days" +%Y%m%d)
	cp "backups/$m1" "backups/weekly/app_backup_weekly_${d}_030000.db"
	bk-manifest -q -m backups/manifest.jsonl add -T weekly \
	    --created "$(date -d "-$((7 * i)) days" '+%Y-%m-%d 03:00')" \
	    "backups/weekly/app_backup_weekly_${d}_030000.db"
done
old7=$(date -d "-7 days" +%Y%m%d)
old8=$(date -d "-8 days" +%Y%m%d)
run "$S" -D app.db backup daily
is "backup daily exits 0" "$rc" 0
like "... and says what it kept" out 'kept the daily copies of the last 7 days'
is "7 daily copies are left, in the folder" "$(ls backups/daily | wc -l)" 7
is "... and in the manifest" "$(bk-manifest -m backups/manifest.jsonl list -T daily | wc -l)" 7
ok "... the two oldest went" test ! -e "backups/daily/app_backup_daily_${old7}_020000.db" \
    -a ! -e "backups/daily/app_backup_daily_${old8}_020000.db"
run "$S" -D app.db backup -u cron weekly
is "backup weekly exits 0" "$rc" 0
is "4 weekly copies are left" "$(bk-manifest -m backups/manifest.jsonl list -T weekly | wc -l)" 4
is "... the folder agrees" "$(ls backups/weekly | wc -l)" 4
run "$S" -D app.db backup -k 2 daily
is "backup -k 2 daily keeps 2 days" \
    "$(bk-manifest -m backups/manifest.jsonl list -T daily | wc -l)" 2
is "the manual copy is never rotated" \
    "$(bk-manifest -m backups/manifest.jsonl list -T manual | wc -l)" 1

# ---- list and info ----
run "$S" list
is "list exits 0" "$rc" 0
is "... one line per copy" "$(wc -l <out)" 7
run "$S" list -T weekly -l 2
is "list -T weekly -l 2: two weekly lines" "$(cut -f2 out | tr '\n' ' ')" "weekly weekly "
run "$S" -D app.db info
is "info exits 0" "$rc" 0
like "... names the database's version" out '^database_version: 3$'
like "... counts the rows of each table" out '^rows: sales 3$'
like "... and reports the tree" out '^manual +1 '
run "$S" info "${m1#manual/}"
is "info FILE, by its name alone" "$rc" 0
like "... shows its description" out 'Before migration'

# ---- export without the sensitive columns ----
# The rows of the database without the columns named, for comparison.
cat >rows.py <<'EOF'
import json, sqlite3, sys
db, drop = sys.argv[1], set(sys.argv[2].split(",")) if sys.argv[2] else set()
c = sqlite3.connect(db)
out = []
for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
    cols = [r[1] for r in c.execute("SELECT * FROM pragma_table_info(?)", (t,))]
    keep = [x for x in cols if x not in drop]
    for r in c.execute("SELECT %s FROM %s" % (",".join(keep), t)):
        out.append([t] + [("\\x" + v.hex()) if isinstance(v, bytes) else v for v in r])
json.dump(out, sys.stdout)
EOF
python3 rows.py app.db password_hash >want.json
python3 rows.py app.db password_hash,api_token >want2.json
python3 rows.py app.db "" >want3.json
cat >check-export.py <<'EOF'
import csv, json, re, sys
kind, path, want = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
bad = re.compile(sys.argv[4], re.I) if len(sys.argv) > 4 else None
if kind == "json":
    recs = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    keys = {k for r in recs for k in r}
    got = [list(r.values()) for r in recs]
else:
    with open(path, newline="", encoding="utf-8") as f:
        rd = csv.reader(f)
        keys = set(next(rd))
        # The union of the tables' columns: a table's own columns are its
        # non-empty cells in order (NULL and absent both empty here).
        got = [[c for c in r] for r in rd]
    want = [[("" if v is None else str(v)) for v in r] for r in want]
    got = [[c for c in r if c != ""] for r in got]
    want = [[c for c in r if c != ""] for r in want]
if bad:
    assert not [k for k in keys if bad.search(k)], keys
assert got == want, (got, want)
print(len(got), "records;", ",".join(sorted(keys)))
EOF
run "$S" -D app.db export json
is "export json exits 0" "$rc" 0
j=$(sed -n 's/.*recorded \(backups\/exports\/[^ ]*\.jsonl\) in .*/\1/p' out)
run python3 check-export.py json "$j" want.json 'password'
is "... python's json reads every row without the password hash" "$rc" 0
like "... and the other columns are all there" out '^8 records;.*api_token.*'
[ "$rc" = 0 ] || sed 's/^/#   /' err | tail -3
run "$S" -D app.db export csv
is "export csv exits 0" "$rc" 0
c=$(sed -n 's/.*recorded \(backups\/exports\/[^ ]*\.csv\) in .*/\1/p' out)
run python3 check-export.py csv "$c" want.json 'password'
is "... python's csv reads every row without the password hash" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/#   /' err | tail -3
run "$S" -D app.db export -x '*password*,*token*' sql
is "export -x '*password*,*token*' sql exits 0" "$rc" 0
q=$(sed -n 's/.*recorded \(backups\/exports\/[^ ]*\.sql\) in .*/\1/p' out)
unlike "... the script names neither column" "$q" 'password|token'
sqlite3 app.db .schema | grep -v '^PRAGMA' >fresh.sql
sqlite3 -bail fresh.db <fresh.sql
run sqlite3 -bail fresh.db ".read $q"
is "... sqlite3 loads it into a fresh database of the same schema" "$rc" 0
is "... where those columns stay NULL" \
    "$(sqlite3 fresh.db 'SELECT count(*) FROM users WHERE password_hash IS NOT NULL OR api_token IS NOT NULL')" 0
python3 rows.py fresh.db password_hash,api_token >fresh.json
same "... and every other cell is the database's" fresh.json want2.json
run env BK_SENSITIVE_COLUMNS='*token*,email' "$S" -D app.db export json
j2=$(sed -n 's/.*recorded \(backups\/exports\/[^ ]*\.jsonl\) in .*/\1/p' out)
run python3 -c 'import json, sys
print(sorted({k for l in open(sys.argv[1]) for k in json.loads(l)}))' "$j2"
is "BK_SENSITIVE_COLUMNS sets the list" "$(cat out)" \
    "['balance', 'created_at', 'id', 'image', 'name', 'note', 'password_hash', 'price', 'product_id', 'quantity', 'stock', 'type', 'user_id']"
run "$S" -D app.db export -x '*password*, *token* ,' json
j4=$(sed -n 's/.*recorded \(backups\/exports\/[^ ]*\.jsonl\) in .*/\1/p' out)
run python3 check-export.py json "$j4" want2.json 'password|token'
is "-x with blanks around its patterns drops both columns" "$rc" 0
run env BK_SENSITIVE_COLUMNS= "$S" -D app.db export json
j5=$(sed -n 's/.*recorded \(backups\/exports\/[^ ]*\.jsonl\) in .*/\1/p' out)
run python3 check-export.py json "$j5" want.json 'password'
is "an empty BK_SENSITIVE_COLUMNS is the default, not every column" "$rc" 0
errline "an -x of blanks and commas (64)" 64 'no pattern in " , " \(-x .. exports every column\)' \
    "$S" -D app.db export -x ' , ' json
run "$S" -D app.db export -x '' csv
c3=$(sed -n 's/.*recorded \(backups\/exports\/[^ ]*\.csv\) in .*/\1/p' out)
run python3 check-export.py csv "$c3" want3.json
is "-x '' keeps every column (the seed's --include-sensitive)" "$rc" 0
is "the exports are recorded, type export" \
    "$(bk-manifest -m backups/manifest.jsonl list -T export | wc -l)" 7
ok "bk-verify passes the whole tree" bk-verify -q -m backups/manifest.jsonl

# ---- restore: the exact content back, a safety copy first ----
sqlite3 app.db "UPDATE users SET balance = 99 WHERE id = 1;
    DELETE FROM sales WHERE id = 2; INSERT INTO products VALUES (3, 'Suco', 6, 1, NULL);
    PRAGMA user_version = 4"
sqlite3 app.db .dump >changed.dump
run "$S" -D app.db restore -y "${m1#manual/}"
is "restore -y NAME exits 0" "$rc" 0
sqlite3 app.db .dump >restored.dump
same "... the .dump of the database is the copy's, exactly" restored.dump committed.dump
is "... its version too" "$(sqlite3 app.db 'PRAGMA user_version')" 3
p=$(sed -n 's/.*what it held before is in \(backups\/pre-restore\/[^ ]*\.db\)$/\1/p' out)
ok "... it names the safety copy" test -f "$p"
sqlite3 "$p" .dump >safety.dump
same "... which holds what the database held before" safety.dump changed.dump
is "... recorded as pre-restore" \
    "$(bk-manifest -m backups/manifest.jsonl list -T pre-restore | cut -f2)" pre-restore
# Thousands of earlier safety copies: their list is longer than a pipe
# holds, and the restore still names the newest.
awk -v h="$(printf '%064d' 0)" 'BEGIN { for (i = 0; i < 3000; i++)
    printf "{\"path\":\"pre-restore/app_pre-restore_of_a_database_with_a_rather_long_name_%05d.db\",\"created\":\"2025-01-01T00:00:00Z\",\"type\":\"pre-restore\",\"size\":1,\"sha256\":\"%s\"}\n", i, h }' \
    >>backups/manifest.jsonl
run "$S" -D app.db restore -y "${m1#manual/}"
is "restore among 3000 earlier safety copies exits 0" "$rc" 0
p2=$(sed -n 's/.*what it held before is in \(backups\/pre-restore\/[^ ]*\.db\)$/\1/p' out)
ok "... and names its own" test -f "$p2" -a "$p2" != "$p"
cp "backups/$m1" lone.db
run "$S" -D app.db -b fresh restore -y lone.db
is "restore in a tree without a manifest: bk-restore's 66" "$rc" 66
like "... saying which step failed" err 'error: the restore of lone\.db failed \(exit 66\)'

# ---- two runs at once ----
# A daily copy stopped in its rotation (a bk-rotate that waits): a second
# backup, an export, a restore of the same tree exit 75.
mkdir fake
printf '#!/bin/sh\n: >"%s/rot.ready"\nwhile [ ! -e "%s/rot.go" ]; do sleep 0.1; done\nexec %s "$@"\n' \
    "$T" "$T" "$(command -v bk-rotate)" >fake/bk-rotate
chmod +x fake/bk-rotate
PATH="$T/fake:$PATH" "$S" -D app.db -b c backup daily >a.out 2>a.err &
first=$!
wait_until test -e rot.ready
errline "a second backup daily while one runs (75)" 75 'another run holds "c/\.lock": not started' \
    "$S" -D app.db -b c backup daily
errline "... an export (75)" 75 'another run holds "c/\.lock"' "$S" -D app.db -b c export json
errline "... a restore (75)" 75 'another run holds "c/\.lock"' "$S" -D app.db -b c restore -y "$T/lone.db"
: >rot.go
wait "$first"
is "the first one ends well" "$?" 0
is "... its copy alone in the tree" "$(ls c/daily | wc -l) $(bk-manifest -m c/manifest.jsonl list | wc -l)" "1 1"
rm fake/*
# bk(7)'s cron lines for the recipe run it under bk-job.sh too (which logs
# each run and says which was refused).
awk '/\\e$/ { sub(/\\e$/, ""); l = l $0; next } { print l $0; l = "" }' "$TOP/man/bk.7" |
    grep -E '^[0-9*].*sqlite-backup\.sh' >cron.lines
is "bk(7) has the recipe's two cron lines" "$(wc -l <cron.lines)" 2
is "... each under bk-job.sh" "$(awk '$6 !~ /\/bk-job\.sh$/' cron.lines)" ""

# ---- a copy or an export that cannot be recorded is removed ----
printf '#!/bin/sh\ncase " $* " in *" add "*) echo "bk-manifest: error: could not write: No space left on device" >&2; exit 74 ;; esac\nexec %s "$@"\n' \
    "$(command -v bk-manifest)" >fake/bk-manifest
chmod +x fake/bk-manifest
run env PATH="$T/fake:$PATH" "$S" -D app.db -b nr backup daily
is "a copy that cannot be recorded: bk-manifest's 74" "$rc" 74
like "... saying so" err 'error: recording nr/daily/app_backup_daily_[0-9_]+\.db failed \(exit 74\): "nr/daily/app_backup_daily_[0-9_]+\.db" removed'
is "... and it is gone" "$(find nr -name '*.db' | wc -l)" 0
run env PATH="$T/fake:$PATH" "$S" -D app.db -b nr export csv
is "an export that cannot be recorded: 74" "$rc" 74
is "... and it is gone" "$(find nr -name '*.csv' | wc -l)" 0
rm fake/*
run "$S" -D app.db -b -dash backup
is "a base folder whose name starts with - (-b -dash)" "$rc" 0
is "... is a folder of that name" "$(ls ./-dash/manual | wc -l)" 1

# ---- bad inputs ----
d1=$(cd backups && ls daily/*.db | head -1)
cp app.db keep.db
flip "backups/$d1" 5000
: >afile
echo "not a database" >notdb.db
mkdir nobk
for t in "$BUILD"/bin/bk-*; do
	[ "${t##*/}" = bk-rotate ] || ln -s "$t" nobk/
done
usage "no command (64)" '^usage: sqlite-backup\.sh ' "$S"
usage "an unknown command (64)" '^usage: ' "$S" -D app.db create
usage "an unknown option (64)" '^usage: ' "$S" -Z list
usage "backup with two types (64)" '^usage: ' "$S" -D app.db backup daily weekly
errline "backup of a bad type (64)" 64 'bad backup type "monthly" \(manual, daily or weekly\)' \
    "$S" -D app.db backup monthly
errline "backup -k 0 (64)" 64 'bad count "0"' "$S" -D app.db backup -k 0 daily
errline "a manual backup with -k (64)" 64 'manual copies are all kept' \
    "$S" -D app.db backup -k 3
errline "no database (64)" 64 'no database: -D or BK_SQLITE_DB' "$S" backup
errline "a missing database (66)" 66 'no such database "missing.db"' \
    "$S" -D missing.db backup
run "$S" -D notdb.db backup
is "a file that is not SQLite: bk-dump's 65" "$rc" 65
like "... and the step that failed" err 'error: the copy of notdb\.db failed \(exit 65\)'
if PATH="$T/nobk:/usr/bin:/bin" command -v bk-rotate >/dev/null; then
	skip "a bk-rotate is installed in /usr/bin or /bin"
else
	errline "a missing tool (69)" 69 'bk-rotate not found in PATH' \
	    env PATH="$T/nobk:/usr/bin:/bin" "$S" -D app.db backup daily
fi
errline "a base folder under a file (73)" 73 'could not create the folder "afile"' \
    "$S" -D app.db -b afile backup daily
errline "export in a bad format (64)" 64 'bad export format "xml" \(json, csv or sql\)' \
    "$S" -D app.db export xml
usage "export without a format (64)" '^usage: ' "$S" -D app.db export
errline "list without a tree (66)" 66 'no backups yet: no "none/manifest\.jsonl"' \
    "$S" -b none list
errline "restore of a missing file (66)" 66 'no such backup "nothing\.db"' \
    "$S" -D app.db restore -y nothing.db
usage "restore without a file (64)" '^usage: ' "$S" -D app.db restore -y
run "$S" -D app.db restore -y "$d1"
is "restore of a damaged copy: bk-restore's 1" "$rc" 1
like "... saying why" err 'sha256 does not match the manifest'
ok "... and the database is untouched" cmp -s app.db keep.db
run setsid -w "$S" -D app.db restore "$m1" </dev/null
is "restore without -y and without a terminal: bk-restore's 64" "$rc" 64
ok "... and the database is untouched" cmp -s app.db keep.db
done_testing
