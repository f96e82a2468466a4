#!/bin/sh
# bk-restore into SQLite (seed 001: restore with a safety copy first):
# the round trip bk-dump -F sqlite -> bk-gz -> bk-crypt -> bk-manifest add
# -> bk-restore, compared with sqlite3 .dump; the safety copy; a new, an
# empty and a WAL target; an application's open connection sees the new
# data; a refused backup leaves no new file behind.
. "$(dirname "$0")/lib.sh"
need sqlite3 python3

dump() { sqlite3 "$1" .dump; }

sqlite3 app.db <<'SQL'
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
    password_hash TEXT, photo BLOB);
CREATE TABLE sales (id INTEGER PRIMARY KEY, user INTEGER REFERENCES users,
    amount REAL, note TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500)
INSERT INTO users SELECT x, 'Usuário ' || x, hex(randomblob(8)), randomblob(x % 50) FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
INSERT INTO sales SELECT x, 1 + x % 500, x * 0.5, 'linha' || char(10) || x FROM c;
CREATE INDEX sales_user ON sales(user);
CREATE VIEW totals AS SELECT user, sum(amount) AS s FROM sales GROUP BY user;
CREATE TRIGGER no_negative BEFORE INSERT ON sales WHEN NEW.amount < 0
    BEGIN SELECT RAISE(ABORT, 'negative'); END;
SQL
dump app.db >before.dump
# The tree is bk/, beside the application's files; bk-restore finds its
# manifest from the backup's folder.
mkdir -p bk/manual
bk-crypt --keygen -o key.txt 2>/dev/null
f=bk/manual/app_20250627_143022.db.gz.age
bk-dump -D sqlite:app.db -F sqlite | bk-gz | bk-crypt -r "$(bk-crypt -y -i key.txt)" -o $f
ok "the pipeline made a backup" test -s $f
bk-manifest -m bk/manifest.jsonl add -T manual --description "Before migration" -u admin $f
sqlite3 app.db "DELETE FROM sales WHERE id > 100; UPDATE users SET name = 'x';
    CREATE TABLE extra (a);"
dump app.db >changed.dump

# ---- the round trip ----
run bk-restore --yes -i key.txt -D sqlite:app.db $f
is "restore into the live database" "$rc" 0
empty "... silently" err
dump app.db >after.dump
same "... sqlite3 .dump shows the backup's data" after.dump before.dump
is "... integrity_check" "$(sqlite3 app.db 'PRAGMA integrity_check')" ok
safety=$(cd bk && ls pre-restore/app_*.db)
ok "a safety copy was made" test -s "bk/$safety"
is "... mode 0600" "$(mode "bk/$safety")" 600
dump "bk/$safety" >safety.dump
same "... holding what the database held" safety.dump changed.dump
like "... recorded as pre-restore" bk/manifest.jsonl \
    "\"path\":\"$safety\",.*\"type\":\"pre-restore\",.*\"layers\":\\[\"sqlite\"\\],.*\"source\":\"sqlite:$T/app.db\""
like "the log" bk/restore.log "\"path\":\"${f#bk/}\",.*\"result\":\"ok\",\"target\":\"sqlite:$T/app.db\",.*\"safety_backup\":\"$safety\""
run bk-verify -q -i key.txt -m bk/manifest.jsonl
is "bk-verify passes on the tree afterwards" "$rc" 0
empty "... no FAIL line" out

# ---- undo with the safety copy ----
run bk-restore --yes -D sqlite:app.db "bk/$safety"
is "the safety copy restores" "$rc" 0
dump app.db >undone.dump
same "... back to what it held" undone.dump changed.dump

# ---- targets: new, empty, WAL ----
run bk-restore --yes -i key.txt -D sqlite:new.db $f
is "a new database file" "$rc" 0
dump new.db >new.dump
same "... holds the backup" new.dump before.dump
is "... mode 0600" "$(mode new.db)" 600
unlike "... no safety copy for it" bk/manifest.jsonl 'pre-restore/new_'
like "... logged without one" bk/restore.log '"target":"sqlite:[^"]*/new.db","sha256":"[0-9a-f]+","seconds"'
: >empty.db
run bk-restore --yes -i key.txt -D sqlite:empty.db $f
is "an empty file" "$rc" 0
dump empty.db >empty.dump
same "... holds the backup" empty.dump before.dump
unlike "... no safety copy for it" bk/manifest.jsonl 'pre-restore/empty_'
sqlite3 wal.db "PRAGMA journal_mode=WAL; CREATE TABLE t(a); INSERT INTO t VALUES (1);" >/dev/null
run bk-restore --yes -i key.txt -D sqlite:wal.db $f
is "a database in WAL mode" "$rc" 0
dump wal.db >wal.dump
same "... holds the backup" wal.dump before.dump
is "... still in WAL mode" "$(sqlite3 wal.db 'PRAGMA journal_mode')" wal
sqlite3 "$(ls bk/pre-restore/wal_*.db)" "SELECT * FROM t" >wal.safety
is "... its safety copy is whole" "$(cat wal.safety)" 1

# ---- an application keeps its connection across the restore ----
sqlite3 live.db "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'old')"
mkfifo go
python3 - live.db go >app.out <<'PY' &
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*) FROM users").fetchone()[0], flush=True)
open(sys.argv[2]).read()
print(db.execute("SELECT count(*) FROM users").fetchone()[0], flush=True)
print(db.execute("PRAGMA integrity_check").fetchone()[0], flush=True)
PY
app=$!
wait_until test -s app.out
run bk-restore --yes -i key.txt -D sqlite:live.db $f
is "restore under an open connection" "$rc" 0
echo go >go
wait $app
is "... which then reads the new data" "$(sed -n 2p app.out)" 500
is "... whole" "$(sed -n 3p app.out)" ok

# ---- a refused backup leaves no new file behind ----
cp $f bk/altered.db.gz.age; bk-manifest -m bk/manifest.jsonl add bk/altered.db.gz.age
flip bk/altered.db.gz.age 300
errline "an altered backup into a new file" 1 'sha256 does not match the manifest' \
    bk-restore --yes -i key.txt -D sqlite:new2.db bk/altered.db.gz.age
ok "... the new file is not left behind" test ! -e new2.db
run bk-restore -n -i key.txt -D sqlite:new3.db $f
like "-n for a new file" out '^would restore ".*" into a new SQLite database "new3.db"$'
like "... and no safety copy" out '^would make no safety backup: SQLite database "new3.db" is new$'
ok "... creates nothing" test ! -e new3.db

# ---- through zstd: the copy restores; a CSV is no database ----
z=bk/manual/app_20250628_020000.db.zst
sqlite3 src.db <before.dump
bk-dump -D sqlite:src.db -F sqlite | bk-zstd -o $z
bk-manifest -m bk/manifest.jsonl add -T manual $z
like "bk-manifest records the copy inside zstd" bk/manifest.jsonl \
    "\"path\":\"${z#bk/}\".*\"layers\":\\[\"sqlite\",\"zstd\"\\]"
run bk-verify -v -m bk/manifest.jsonl $z
is "bk-verify passes the .db.zst" "$rc|$(cat out)" "0|OK $z (sqlite zstd)"
run bk-restore --yes -D sqlite:fromzst.db $z
is "a .db.zst restores into a new file" "$rc" 0
dump fromzst.db >fromzst.dump
same "... holding the backup" fromzst.dump before.dump
bk-dump -D sqlite:src.db --table users | bk-zstd -o bk/manual/users.csv.zst
bk-manifest -m bk/manifest.jsonl add bk/manual/users.csv.zst
errline "a .csv.zst is refused: CSV is no database" 65 \
    'could not restore "manual/users.csv.zst": it holds csv, not a plain pg_dump script or an SQLite database' \
    bk-restore --yes -D sqlite:csv.db bk/manual/users.csv.zst
ok "... and no file is made" test ! -e csv.db

# ---- a WAL target with another page size (the backup API cannot change it) ----
mkdir ps
sqlite3 ps/small.db 'PRAGMA page_size=1024; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);'
sqlite3 ps/live.db 'PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE u(y);' >/dev/null
bk-manifest -m ps/manifest.jsonl add ps/small.db >/dev/null
run bk-restore --yes -D sqlite:ps/live.db ps/small.db
is "a WAL target with another page size is restored" "$rc" 0
is "... with the backup's data" "$(sqlite3 ps/live.db 'SELECT group_concat(x) FROM t')" 1,2
is "... keeping its page size and WAL mode" \
    "$(sqlite3 ps/live.db 'PRAGMA page_size; PRAGMA journal_mode' | tr '\n' ' ')" "4096 wal "
done_testing
