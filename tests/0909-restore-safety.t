#!/bin/sh
# bk-restore's safety backups encrypted to the tree's recipients file and
# rotated like any type: PostgreSQL and SQLite safety backups that age
# decrypts (age -d -i key) and bk-restore restores, recorded with their
# depth (what bk-crypt saw of the plaintext), nothing of the plaintext
# left in the tree; a recipients file that cannot be used stops the
# restore before anything changes; bk-rotate -T pre-restore keeps and
# deletes as asked, the other types untouched.
. "$(dirname "$0")/lib.sh"
need_pg
need age pg_dump createdb dropdb sqlite3

P=r0909
DBS="${P}_a ${P}_b"
cleanup() { for d in $DBS; do dropdb --if-exists "$d" 2>/dev/null; done; }
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT

state() { pg_dump -Fp "$1" | grep -v '^\\\(un\)\{0,1\}restrict '; }
# others: the files in pre-restore/ that are not the safety backups named
# in the manifest (temporaries, plaintext, records).
others() {
	ls -A pre-restore | while read -r f; do
		grep -q "\"path\":\"pre-restore/$f\"" manifest.jsonl || echo "$f"
	done
}

# The tree is a folder of its own: what the test keeps goes beside it.
mkdir tree && cd tree || exit 1
bk-crypt --keygen -o ../key.txt 2>/dev/null
bk-crypt -y -i ../key.txt >recipients
mkdir daily
createdb ${P}_a
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_a >/dev/null <<'SQL' || { fail "create the source"; exit 1; }
CREATE TABLE contas (id int PRIMARY KEY, saldo numeric(10,2));
INSERT INTO contas SELECT i, i * 10 FROM generate_series(1, 100) i;
SQL
pg_dump -Fp ${P}_a | bk-gz -o daily/a.sql.gz
bk-manifest add -T daily daily/a.sql.gz
createdb ${P}_b
psql -Xq -d ${P}_b -c "CREATE TABLE antes (x text); INSERT INTO antes VALUES ('o que havia')"
state ${P}_b >../b.before

# ---- PostgreSQL: the safety backup is encrypted to the recipients ----
run bk-restore --yes -D ${P}_b daily/a.sql.gz
is "a restore with a recipients file in the tree" "$rc" 0
s=$(sed -n 's/.*"safety_backup":"\([^"]*\)".*/\1/p' restore.log | tail -1)
case $s in
pre-restore/${P}_b_*.sql.gz.age) pass "... its safety backup is named .sql.gz.age" ;;
*) fail "... its safety backup is named .sql.gz.age"; diag "got '$s'" ;;
esac
is "... mode 0600" "$(mode "$s")" 600
like "... recorded as pre-restore, with what the plaintext held" manifest.jsonl \
    "\"path\":\"$s\",.*\"type\":\"pre-restore\",.*\"layers\":\\[\"pg_dump\",\"gzip\",\"age\"\\],\"complete\":true"
run age -d -i ../key.txt "$s"
is "age -d -i key decrypts it" "$rc" 0
gzip -dc "$T/out" | grep -v '^\\\(un\)\{0,1\}restrict ' >../s.sql
like "... to the dump of what the database held" ../s.sql "^o que havia$"
run gzip -dc "$s"
ok "... which is not readable without the key" test "$rc" != 0
others >../others
empty "nothing else is left in pre-restore/" ../others
run bk-verify -q -i ../key.txt
is "bk-verify passes on the tree" "$rc" 0
run bk-restore --yes --clean --no-safety-backup -q -i ../key.txt -D ${P}_b "$s"
is "bk-restore restores the encrypted safety backup" "$rc" 0
state ${P}_b >../b.undone
same "... and the database is as it was" ../b.undone ../b.before
errline "... not without the key" 1 'could not restore ".*\.sql\.gz\.age"' \
    bk-restore -q --yes --clean --no-safety-backup -D ${P}_b "$s" </dev/null

# ---- SQLite: the copy is encrypted, its plaintext never in the tree ----
# Its safety backup must be the newest for the rotation below: recorded in
# a later second than the PostgreSQL one (a tie would leave the order to
# the names).
s_created=$(grep "\"path\":\"$s\"" manifest.jsonl | sed 's/.*"created":"\([^"]*\)".*/\1/')
s_epoch=$(date -d "$s_created" +%s)
later_second() { [ "$(date +%s)" -gt "$s_epoch" ]; }
wait_until later_second
sqlite3 ../app.db "CREATE TABLE itens (n int); INSERT INTO itens VALUES (1), (2), (3);"
sqlite3 new.db "CREATE TABLE itens (n int); INSERT INTO itens VALUES (9);"
bk-manifest add -T daily new.db
run bk-restore --yes -D sqlite:../app.db new.db
is "an SQLite restore with the recipients file" "$rc" 0
is "... restored" "$(sqlite3 ../app.db 'SELECT group_concat(n) FROM itens')" 9
q=$(sed -n 's/.*"path":"new.db".*"safety_backup":"\([^"]*\)".*/\1/p' restore.log | tail -1)
case $q in
pre-restore/app_*.db.age) pass "... its safety backup is named .db.age" ;;
*) fail "... its safety backup is named .db.age"; diag "got '$q'" ;;
esac
like "... recorded with its depth" manifest.jsonl \
    "\"path\":\"$q\",.*\"type\":\"pre-restore\",.*\"layers\":\\[\"sqlite\",\"age\"\\]"
age -d -i ../key.txt -o ../back.db "$q"
is "age -d -i key decrypts it to the database as it was" \
    "$(sqlite3 ../back.db 'SELECT group_concat(n) FROM itens')" 1,2,3
others >../others
empty "... nothing else left in pre-restore/" ../others
run bk-restore --yes --no-safety-backup -q -i ../key.txt -D sqlite:../app.db "$q"
is "bk-restore restores it" "$rc" 0
is "... the database is as it was" "$(sqlite3 ../app.db 'SELECT group_concat(n) FROM itens')" 1,2,3

# ---- a recipients file that cannot be used: nothing restored ----
cp recipients recipients.good
n0=$(ls -A pre-restore | wc -l)
sed 's/^/x/' recipients.good >recipients
errline "a recipients file with a bad key: bk-crypt's reason, 65" 65 \
    'could not make the safety backup of .*: bk-crypt: error: could not parse recipient in ".*/recipients" line 1: not an age public key \(age1\.\.\. or age1pq1\.\.\.\); nothing was changed$' \
    bk-restore --yes --clean -D ${P}_b daily/a.sql.gz
grep AGE-SECRET ../key.txt >recipients
errline "a secret key in it: 65, the key not repeated" 65 \
    'could not parse recipient in ".*/recipients" line 1: it is a secret key \(give its public key: bk-crypt -y\); nothing was changed$' \
    bk-restore --yes --clean -D ${P}_b daily/a.sql.gz
: >recipients
errline "an empty one: 65" 65 'recipients file ".*/recipients" has no recipient; nothing was changed$' \
    bk-restore --yes --clean -D ${P}_b daily/a.sql.gz
rm recipients && mkdir recipients
errline "a folder: 78" 78 'could not use recipients file ".*/recipients": not a regular file$' \
    bk-restore --yes --clean -D ${P}_b daily/a.sql.gz
errline "... for SQLite too" 78 'could not use recipients file ".*/recipients": not a regular file$' \
    bk-restore --yes -D sqlite:../app.db new.db
rmdir recipients && mv recipients.good recipients
state ${P}_b >../b.now
same "... the database untouched by all of them" ../b.now ../b.before
is "... nothing added to pre-restore/" "$(ls -A pre-restore | wc -l)" "$n0"
run bk-restore -n --clean -D ${P}_b daily/a.sql.gz
like "-n names the encrypted safety backup" "$T/out" \
    "^would make the safety backup \"pre-restore/${P}_b_[0-9_-]+\\.sql\\.gz\\.age\" of"

# ---- bk-rotate -T pre-restore keeps and deletes as asked ----
# Two older safety backups (copies of this one, dated), beside the daily.
cp "$s" pre-restore/${P}_b_20260101_020000.sql.gz.age
cp "$s" pre-restore/${P}_b_20260201_020000.sql.gz.age
bk-manifest -q add -T pre-restore --created 2026-01-01T02:00:00Z pre-restore/${P}_b_20260101_020000.sql.gz.age
bk-manifest -q add -T pre-restore --created 2026-02-01T02:00:00Z pre-restore/${P}_b_20260201_020000.sql.gz.age
npre=$(grep -c '"type":"pre-restore"' manifest.jsonl)
ndaily=$(grep -c '"type":"daily"' manifest.jsonl)
run bk-rotate -n -T pre-restore --keep-last $((npre - 2))
is "bk-rotate -n -T pre-restore plans" "$rc" 0
like "... to remove the oldest" "$T/out" "pre-restore/${P}_b_20260101_020000\\.sql\\.gz\\.age"
like "... and the next" "$T/out" "pre-restore/${P}_b_20260201_020000\\.sql\\.gz\\.age"
ok "... removing nothing yet" test -e pre-restore/${P}_b_20260101_020000.sql.gz.age
run bk-rotate -T pre-restore --keep-last $((npre - 2)) --delete
is "bk-rotate -T pre-restore --delete" "$rc" 0
ok "... the two oldest are gone" test ! -e pre-restore/${P}_b_20260101_020000.sql.gz.age -a \
    ! -e pre-restore/${P}_b_20260201_020000.sql.gz.age
is "... and their lines" "$(grep -c '"type":"pre-restore"' manifest.jsonl)" $((npre - 2))
ok "... the newest stay" test -e "$s" -a -e "$q"
is "... the daily ones untouched" "$(grep -c '"type":"daily"' manifest.jsonl)" "$ndaily"
run bk-rotate -T pre-restore --max-age 30d --now 2099-01-01 --delete
is "--max-age 30d long after" "$rc" 0
is "... all go but the newest, which bk-rotate never removes" \
    "$(grep '"type":"pre-restore"' manifest.jsonl | sed 's/^{"path":"\([^"]*\)".*/\1/')" "$q"
ok "... its file stays, the other is gone" test -e "$q" -a ! -e "$s"
ok "... the daily backup stays" test -e daily/a.sql.gz
run bk-verify -q -i ../key.txt
is "bk-verify passes on the tree after the rotation" "$rc" 0
done_testing
