#!/bin/sh
# bk(7) recipe 3: examples/pg-backup.sh against the harness's PostgreSQL.
# The three types, each a pg_dump and the cluster's globals (roles made
# here found in them, and replayed into the server after they were
# dropped); encryption to a real age recipient, read back by age(1) and
# by bk-crypt; retention per type, by count and by age, over backups
# recorded at chosen past dates (the policies are relative to the run's
# own backup, or have a margin of half a day and more, so the clock's
# second never decides), two backups in one period too; the health check
# (bk-verify, metrics, freshness, a type without its globals) and the
# report; -z zstd: the dump and globals through bk-zstd (plain and
# encrypted), read back by zstd(1) and age(1), verified, restored by
# bk-restore into new databases identical to the source, beside the gzip
# backups in the same tree and types; the tree lock: health waits for a backup running; failures
# (pg_dump, pg_dumpall: retention still runs; bk-manifest add: no file
# left); bad inputs, each with its code and one line.
. "$(dirname "$0")/lib.sh"
need_pg
need bash pg_dump pg_dumpall createdb dropdb age age-keygen gzip zstd shellcheck

ex=$TOP/examples
# Backups' days are those of the offset each recorded: one for all.
TZ=UTC
export TZ
P=s1403
db=${P}_db
ts='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z pg-backup\.sh: '
cleanup() {
	for _d in $db ${P}_z ${P}_zw; do dropdb --if-exists $_d 2>/dev/null; done
	psql -Xq -d postgres -c "DROP ROLE IF EXISTS ${P}_reader" \
	    -c "DROP ROLE IF EXISTS ${P}_writer" 2>/dev/null
}
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT

ok "pg-backup.sh is shellcheck-clean" shellcheck -x "$ex/pg-backup.sh"

createdb $db
psql -Xq -v ON_ERROR_STOP=1 -d $db >/dev/null <<SQL || { fail "create the database"; exit 1; }
CREATE TABLE pagamentos (id serial PRIMARY KEY, valor numeric(10,2), nota text);
INSERT INTO pagamentos (valor, nota)
    SELECT i * 1.5, 'nota ' || i FROM generate_series(1, 300) i;
CREATE ROLE ${P}_writer NOLOGIN;
CREATE ROLE ${P}_reader LOGIN PASSWORD 'r34d-only' CONNECTION LIMIT 3
    IN ROLE ${P}_writer;
ALTER ROLE ${P}_reader SET search_path = audit, public;
SQL
# q SQL: one value from the server.
q() { psql -XAt -d $db -c "$1"; }
roles() {
	q "SELECT r.rolname, r.rolcanlogin, r.rolconnlimit, r.rolpassword,
	    (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = r.oid
	    AND s.setdatabase = 0), array(SELECT g.rolname FROM pg_auth_members m
	    JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid)
	    FROM pg_authid r WHERE r.rolname LIKE '${P}_%' ORDER BY 1"
}
roles >roles.before
is "two roles made" "$(grep -c "^${P}_" roles.before)" 2

# ---- the three types ----
run "$ex/pg-backup.sh" -d $db -b tree daily
is "daily: exit 0" "$rc" 0
empty "... nothing on standard error" err
ok "... a timestamped line for each step" grep -Eq "${ts}recorded tree/daily/${db}_[0-9]{8}_[0-9]{6}\\.globals\\.sql\\.gz in tree/manifest\\.jsonl\$" out
unlike "... and no line without one" out "^([^0-9]|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z [^p])"
like "... the retention said" out "${ts}daily backups and globals in tree: kept the newest of each of the last 7 days\$"
dump=$(ls tree/daily/*[0-9].sql.gz)
glob=$(ls tree/daily/*.globals.sql.gz)
is "... the dump and its globals side by side" "${glob%.globals.sql.gz}" "${dump%.sql.gz}"
is "... private" "$(mode "$dump") $(mode "$glob")" "600 600"
bk-manifest -m tree/manifest.jsonl list -F tsv | cut -f2,7 | sort >lines
printf 'daily\t%s\ndaily-globals\t%s\n' "${dump#tree/}" "${glob#tree/}" >want
same "... each with its manifest line, of its own type" lines want
bk-manifest -m tree/manifest.jsonl info -F json "$glob" >info
like "... the globals' source" info '"source": "postgresql:'$db'"'
like "... and description" info '"description": "roles and tablespaces"'
bk-manifest -m tree/manifest.jsonl info -F json "$dump" >info
like "... the dump recorded as a complete pg_dump script" info '"complete": true'
is "the dump holds the rows" \
    "$(gzip -dc "$dump" | grep -Ec '^[0-9]+	[0-9]+\.[0-9]{2}	nota [0-9]+$')" 300
gzip -dc "$glob" >globals.sql
like "the globals hold the login role" globals.sql "^CREATE ROLE ${P}_reader;\$"
like "... its attributes and password hash" globals.sql \
    "^ALTER ROLE ${P}_reader WITH .*LOGIN .*CONNECTION LIMIT 3 PASSWORD 'SCRAM-SHA-256"
like "... its settings" globals.sql "^ALTER ROLE ${P}_reader SET search_path TO 'audit', 'public';\$"
like "... the other role" globals.sql "^CREATE ROLE ${P}_writer;\$"
like "... and the membership" globals.sql "^GRANT ${P}_writer TO ${P}_reader"
like "... as pg_dumpall -g writes them" globals.sql '^-- PostgreSQL database cluster dump complete$'

# Replayed: the lines of this test's roles only, since other tests may
# be making and dropping roles of their own in the same server.
psql -Xq -d postgres -c "DROP ROLE ${P}_reader" -c "DROP ROLE ${P}_writer"
is "the roles dropped" "$(q "SELECT count(*) FROM pg_roles WHERE rolname LIKE '${P}_%'")" 0
grep -E "^(CREATE|ALTER) ROLE ${P}_|^GRANT ${P}_" globals.sql >replay.sql
run psql -X -q -v ON_ERROR_STOP=1 -d postgres -f replay.sql
is "... replayed from the globals by psql" "$rc" 0
roles >roles.after
same "... back as they were: attributes, password, settings, membership" roles.after roles.before

age-keygen -o key.txt 2>/dev/null
age-keygen -y key.txt >recipients
run "$ex/pg-backup.sh" -d $db -b tree -R recipients weekly
is "weekly, encrypted to a recipients file: exit 0" "$rc" 0
wdump=$(ls tree/weekly/*[0-9].sql.gz.age)
wglob=$(ls tree/weekly/*.globals.sql.gz.age)
is "... the dump and its globals" "${wglob%.globals.sql.gz.age}" "${wdump%.sql.gz.age}"
is "... nothing else in the folder (no record of the plaintext left)" \
    "$(ls -A tree/weekly | wc -l)" 2
bk-manifest -m tree/manifest.jsonl info -F json "$wdump" >info
like "... recorded with every layer" info '"pg_dump",'
like "... complete, as bk-crypt saw the plaintext" info '"complete": true'
age -d -i key.txt "$wdump" | gzip -dc >w.age.sql
bk-crypt -d -i key.txt "$wdump" | bk-gz -d >w.bk.sql
is "age -d reads the dump" \
    "$(grep -Ec '^[0-9]+	[0-9]+\.[0-9]{2}	nota [0-9]+$' w.age.sql)" 300
same "... bk-crypt -d reads the same" w.bk.sql w.age.sql
age -d -i key.txt "$wglob" | gzip -dc >wg.sql
like "... and the globals, encrypted too" wg.sql "^CREATE ROLE ${P}_reader;\$"
cat tree/weekly/* >weekly.raw
unlike "no password hash in the clear in the tree" weekly.raw 'SCRAM-SHA-256'

run "$ex/pg-backup.sh" -d $db -b tree -a monthly
is "monthly, retention by age: exit 0" "$rc" 0
like "... said" out "${ts}monthly backups and globals in tree: kept those younger than 365d\$"
is "... its dump and globals" "$(ls tree/monthly | wc -l)" 2

# ---- zstd (-z zstd) ----
# Into the same tree, beside the gzip backups of the same types: by age
# (-k 30d), the retention keeps both of today's.
# state DB: the database as pg_dump sees it (the \restrict keys differ).
state() { pg_dump -Fp "$1" | grep -Ev '^\\(un)?restrict '; }
state $db >db.state
like "the source as pg_dump sees it, to compare with" db.state '^CREATE TABLE public\.pagamentos '
run "$ex/pg-backup.sh" -z zstd -k 30d -d $db -b tree daily
is "-z zstd, daily: exit 0" "$rc" 0
empty "... nothing on standard error" err
ok "... a timestamped line for each step" grep -Eq "${ts}recorded tree/daily/${db}_[0-9]{8}_[0-9]{6}\\.globals\\.sql\\.zst in tree/manifest\\.jsonl\$" out
zdump=$(ls tree/daily/*[0-9].sql.zst)
zglob=$(ls tree/daily/*.globals.sql.zst)
is "... the dump and its globals side by side" "${zglob%.globals.sql.zst}" "${zdump%.sql.zst}"
is "... private" "$(mode "$zdump") $(mode "$zglob")" "600 600"
is "... zstd frames (their magic)" \
    "$(for z in "$zdump" "$zglob"; do od -An -tx1 -N4 "$z"; done | tr -d ' \n')" \
    28b52ffd28b52ffd
ok "... the gzip daily and its globals kept beside them" test -f "$dump" -a -f "$glob"
bk-manifest -m tree/manifest.jsonl list -T daily -F tsv | cut -f7 | sort >lines
printf 'daily/%s\n' "${dump##*/}" "${zdump##*/}" | sort >want
same "... both kinds recorded, of type daily" lines want
bk-manifest -m tree/manifest.jsonl list -T daily-globals -F tsv | cut -f7 | sort >lines
printf 'daily/%s\n' "${glob##*/}" "${zglob##*/}" | sort >want
same "... and of type daily-globals" lines want
bk-manifest -m tree/manifest.jsonl info -F json "$zdump" >info
like "... the dump recorded as a complete pg_dump script, through zstd" info '"complete": true'
zstd -dcq "$zdump" >z.sql
is "zstd -d reads the dump" \
    "$(grep -Ec '^[0-9]+	[0-9]+\.[0-9]{2}	nota [0-9]+$' z.sql)" 300
zstd -dcq "$zglob" >zg.sql
bk-zstd -1 <z.sql >z1.zst
same "... written at level 1 (bk-zstd -1 gives the same bytes)" "$zdump" z1.zst
like "... and the globals" zg.sql "^CREATE ROLE ${P}_reader;\$"
like "... as pg_dumpall -g writes them" zg.sql '^-- PostgreSQL database cluster dump complete$'
run bk-verify -q -m tree/manifest.jsonl "$zdump" "$zglob"
is "bk-verify: both good" "$rc" 0
# New, empty databases: nothing to save, no safety backup in the tree.
createdb ${P}_z
run bk-restore --yes --no-safety-backup -q -m tree/manifest.jsonl -D "dbname=${P}_z" "$zdump"
is "bk-restore into a new database: exit 0" "$rc" 0
state ${P}_z >z.state
same "... identical to the source (pg_dump)" z.state db.state

run "$ex/pg-backup.sh" -z zstd -k 30d -R recipients -d $db -b tree weekly
is "-z zstd, weekly, encrypted: exit 0" "$rc" 0
empty "... nothing on standard error" err
wzdump=$(ls tree/weekly/*[0-9].sql.zst.age)
wzglob=$(ls tree/weekly/*.globals.sql.zst.age)
is "... the dump and its globals" "${wzglob%.globals.sql.zst.age}" "${wzdump%.sql.zst.age}"
is "... beside the gzip ones, nothing else in the folder" "$(ls -A tree/weekly | wc -l)" 4
age -d -i key.txt "$wzdump" | zstd -dcq >wz.sql
is "age -d | zstd -d reads the dump" \
    "$(grep -Ec '^[0-9]+	[0-9]+\.[0-9]{2}	nota [0-9]+$' wz.sql)" 300
grep -Ev '^\\(un)?restrict ' z.sql >z.norestrict
grep -Ev '^\\(un)?restrict ' wz.sql >wz.norestrict
same "... the script of the plain zstd one, but for the \\restrict keys" \
    wz.norestrict z.norestrict
age -d -i key.txt "$wzglob" | zstd -dcq >wzg.sql
like "... and the globals" wzg.sql "^CREATE ROLE ${P}_reader;\$"
cat "$wzdump" "$wzglob" >wz.raw
unlike "... no password hash in the clear" wz.raw 'SCRAM-SHA-256'
run bk-verify -q -m tree/manifest.jsonl "$wzdump" "$wzglob"
is "bk-verify: both good" "$rc" 0
createdb ${P}_zw
run bk-restore --yes --no-safety-backup -q -i key.txt -m tree/manifest.jsonl -D "dbname=${P}_zw" "$wzdump"
is "bk-restore through age and zstd into a new database: exit 0" "$rc" 0
state ${P}_zw >zw.state
same "... identical to the source (pg_dump)" zw.state db.state

# ---- health and report ----
# A tree with both kinds: gzip and zstd, plain and encrypted.
mkdir prom
run "$ex/pg-backup.sh" -b tree -M prom/bk.prom health
is "health: exit 0" "$rc" 0
empty "... nothing on standard error" err
like "... says so" out "${ts}every backup in tree verified, the newest of each type fresh\$"
is "... metrics readable by node_exporter" "$(mode prom/bk.prom)" 644
like "... the run passed" prom/bk.prom '^bk_verify_success 1$'
for t in daily daily-globals weekly weekly-globals monthly monthly-globals; do
	like "... $t verified" prom/bk.prom "^bk_verify_ok\\{type=\"$t\"\\} 1\$"
done
like "... its last success" prom/bk.prom '^bk_backup_last_success_timestamp_seconds\{type="monthly-globals"\} [1-9][0-9]+$'
is "... each result recorded in the manifest, gzip and zstd" \
    "$(grep -c '"verified":{"time":"[^"]*","result":"ok"' tree/manifest.jsonl)" 10

run "$ex/pg-backup.sh" -b tree report
is "report: exit 0" "$rc" 0
for t in daily daily-globals weekly weekly-globals; do
	like "... two $t backups" out "^$t +2 "
done
for t in monthly monthly-globals; do
	like "... one $t backup" out "^$t +1 "
done
like "... ten in all" out '^all +10 '

# A tree that is not healthy: the newest daily three days old, a weekly
# backup damaged, a file without a manifest line.
mkdir -p sick/daily sick/weekly
cp "$dump" sick/daily/old.sql.gz
bk-manifest -q -m sick/manifest.jsonl add -T daily \
    --created "$(date -u -d '-3 days' +%Y-%m-%dT%H:%M:%SZ)" sick/daily/old.sql.gz
cp "$dump" sick/weekly/w.sql.gz
bk-manifest -q -m sick/manifest.jsonl add -T weekly sick/weekly/w.sql.gz
flip sick/weekly/w.sql.gz 40
cp "$dump" sick/daily/stray.sql.gz
run "$ex/pg-backup.sh" -b sick health
is "an unhealthy tree: exit 1" "$rc" 1
like "... the stale type" out '^FAIL type daily: newest good backup is 3d'
like "... the damaged backup" out '^FAIL weekly/w\.sql\.gz: '
like "... the weekly type has no good backup" out '^FAIL type weekly: no good backup$'
like "... the file without a line" out '^FAIL daily/stray\.sql\.gz: not in the manifest'
is "... one line on standard error" "$(wc -l <err)" 1
like "... saying so" err "pg-backup\\.sh: error: sick is not healthy: see the FAIL lines\$"

# ---- the tree lock ----
# A daily backup held inside pg_dump by a table lock holds the tree lock,
# shared: health, which wants it alone, waits (or gives up: 75).
exits "a tree of its own" 0 "$ex/pg-backup.sh" -d $db -b busy daily
# Files are named by the second: the next backup in a later one.
first=$(date +%Y%m%d_%H%M%S)
next_second() { [ "$(date +%Y%m%d_%H%M%S)" != "$first" ]; }
wait_until next_second
ok "a session locks a table" lock_table $db pagamentos
"$ex/pg-backup.sh" -d $db -b busy daily >d.out 2>d.err 8>&- &
d=$!
ok "a daily backup's pg_dump waits for it" wait_until dump_waits $db
errline "health meanwhile, not waiting (BK_TREE_WAIT=0): 75" 75 \
    "${ts}error: \"busy/tree\\.lock\" still busy: not started\$" \
    env BK_TREE_WAIT=0 "$ex/pg-backup.sh" -b busy health
like "... after saying it would wait" out "${ts}wait for the tree lock \"busy/tree\\.lock\"\$"
"$ex/pg-backup.sh" -b busy health >h.out 2>h.err 8>&- &
h=$!
ok "health meanwhile waits" wait_until grep -q 'wait for the tree lock' h.out
unlike "... verifying nothing yet" h.out 'verify every backup'
unlock_table
rc=0; wait $d || rc=$?
is "the backup then ends with 0" "$rc" 0
rc=0; wait $h || rc=$?
is "... and health, after it, with 0" "$rc" 0
empty "... nothing on its standard error" h.err

# ---- retention by count ----
# A template dump and globals, copied as the backups of past dates.
cp "$dump" tpl.sql.gz
cp "$glob" tplg.sql.gz
t0=$(date +%s)
# past TREE TYPE EPOCH: a dump and its globals in TREE/TYPE, recorded as
# made at EPOCH; their names go to TREE.names.
past() {
	_st=$(date -u -d "@$3" +%Y%m%d_%H%M%S)
	_f=$2/${db}_$_st.sql.gz _g=$2/${db}_$_st.globals.sql.gz
	mkdir -p "$1/$2" && cp tpl.sql.gz "$1/$_f" && cp tplg.sql.gz "$1/$_g" &&
	    bk-manifest -q -m "$1/manifest.jsonl" add -T "$2" \
	    --created "$(date -u -d "@$3" +%Y-%m-%dT%H:%M:%SZ)" "$1/$_f" &&
	    bk-manifest -q -m "$1/manifest.jsonl" add -T "$2-globals" \
	    --created "$(date -u -d "@$3" +%Y-%m-%dT%H:%M:%SZ)" "$1/$_g" &&
	    printf '%s\n%s\n' "$_f" "$_g" >>"$1.names"
}
# kept TREE FIRST LAST: the backups FIRST to LAST of TREE.names (lines,
# two per backup) are in the tree and its manifest; gone: neither.
kept() {
	sed -n "$(($2 * 2 - 1)),$(($3 * 2))p" "$1.names" >"$1.sel"
	bk-manifest -m "$1/manifest.jsonl" list -F tsv | cut -f7 >"$1.listed"
	while read -r _p; do
		[ -f "$1/$_p" ] && grep -qxF "$_p" "$1.listed" ||
		    { diag "$_p is gone"; return 1; }
	done <"$1.sel"
}
gone() {
	sed -n "$(($2 * 2 - 1)),$(($3 * 2))p" "$1.names" >"$1.sel"
	bk-manifest -m "$1/manifest.jsonl" list -F tsv | cut -f7 >"$1.listed"
	while read -r _p; do
		[ ! -e "$1/$_p" ] && ! grep -qxF "$_p" "$1.listed" ||
		    { diag "$_p is still there"; return 1; }
	done <"$1.sel"
}
: >count.names
for n in 1 2 3 4 5 6 7 8 9; do past count daily $((t0 - n * 86400)); done
for n in 1 2 3 4 5 6; do past count weekly $((t0 - n * 7 * 86400)); done
m0=$(date -u -d "@$t0" +%Y-%m-01)
for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
	past count monthly "$(date -u -d "$(date -u -d "$m0 -$n month" +%F)T04:00:00Z" +%s)"
done
is "29 past backups and their globals recorded" "$(wc -l <count/manifest.jsonl)" 58
for t in daily weekly monthly; do
	run "$ex/pg-backup.sh" -d $db -b count $t
	is "count: a $t run: exit 0" "$rc" 0
done
ok "daily: the 6 past days kept beside today's, with their globals" kept count 1 6
ok "... the 3 older removed, files and lines" gone count 7 9
ok "weekly: the 3 past weeks kept beside this week's" kept count 10 12
ok "... the 3 older removed" gone count 13 15
ok "monthly: the 11 past months kept beside this month's" kept count 16 26
ok "... the 3 older removed" gone count 27 29
is "... 7 + 4 + 12 backups, each with its globals, in the manifest" \
    "$(wc -l <count/manifest.jsonl)" 46
run bk-verify -m count/manifest.jsonl
is "... and the tree verifies, nothing left without a line" "$rc" 0

# Two backups in one period, the newer of them kept: two days, ISO weeks
# and months ago, at 10:00 and 11:00, Monday and Tuesday, the 1st and 2nd;
# then one a period earlier, the oldest, which the rule keeps while it has
# count left.
: >two.names
d2=$(date -u -d "@$((t0 - 2 * 86400))" +%F)
w2=$(date -u -d "@$((t0 - 14 * 86400))" +%F)
w2=$(date -u -d "$w2 -$(($(date -u -d "$w2" +%u) - 1)) days" +%F)
m2=$(date -u -d "$m0 -2 month" +%F)
for at in "${d2}T10:00:00Z daily" "${d2}T11:00:00Z daily" \
    "${w2}T10:00:00Z weekly" "$(date -u -d "$w2 +1 day" +%F)T10:00:00Z weekly" \
    "${m2}T04:00:00Z monthly" "$(date -u -d "$m2 +1 day" +%F)T04:00:00Z monthly" \
    "$(date -u -d "$d2 -1 day" +%F)T10:00:00Z daily" \
    "$(date -u -d "$w2 -7 days" +%F)T10:00:00Z weekly" \
    "$(date -u -d "$m2 -1 month" +%F)T04:00:00Z monthly"; do
	past two "${at#* }" "$(date -u -d "${at% *}" +%s)"
done
for t in daily weekly monthly; do
	exits "two in a period: a $t run" 0 "$ex/pg-backup.sh" -d $db -b two $t
done
ok "daily: of two the same day, the older removed" gone two 1 1
ok "... the newer kept" kept two 2 2
ok "weekly: of two the same week, the older removed" gone two 3 3
ok "... the newer kept" kept two 4 4
ok "monthly: of two the same month, the older removed" gone two 5 5
ok "... the newer kept" kept two 6 6
ok "... the older periods' kept" kept two 7 9

# ---- retention by age (-a: 7, 30, 365 days) ----
: >age.names
h=43200
for d in 0 1 2 3 4 5 6 7 8 9; do past age daily $((t0 - d * 86400 - h)); done
for d in 10 20 29 31 40; do past age weekly $((t0 - d * 86400)); done
for d in 100 300 364 366 400; do past age monthly $((t0 - d * 86400)); done
for t in daily weekly monthly; do
	run "$ex/pg-backup.sh" -a -d $db -b age $t
	is "age: a $t run: exit 0" "$rc" 0
done
ok "daily: those under 7 days kept" kept age 1 7
ok "... those older removed" gone age 8 10
ok "weekly: those under 30 days kept" kept age 11 13
ok "... those older removed" gone age 14 15
ok "monthly: those under 365 days kept" kept age 16 18
ok "... those older removed" gone age 19 20

# -k: a count or an age of one's own.
: >own.names
for d in 1 2 3; do past own daily $((t0 - d * 86400 - h)); done
run "$ex/pg-backup.sh" -k 3d -d $db -b own daily
is "-k 3d: exit 0" "$rc" 0
ok "... keeps what is under 3 days" kept own 1 2
ok "... and no more" gone own 3 3

# ---- failures and bad inputs ----
# A pg_dump and a pg_dumpall that fail after writing part of a script.
mkdir fake
cat >fake/pg_dump <<'EOF'
#!/bin/sh
printf -- '--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE x (i int);\n'
echo "pg_dump: error: connection lost" >&2
exit 1
EOF
cp fake/pg_dump fake/pg_dumpall
chmod 755 fake/pg_dump fake/pg_dumpall
run env PATH="$T/fake:$PATH" "$ex/pg-backup.sh" -d $db -b broken daily
is "a dump that fails: its status" "$rc" 1
like "... said" err "pg-backup\\.sh: error: the dump of $db failed \\(exit 1\\): nothing recorded\$"
is "... nothing left in the folder" "$(ls -A broken/daily | wc -l)" 0
ok "... nor in the manifest" test ! -s broken/manifest.jsonl
run env PATH="$T/fake:$PATH" "$ex/pg-backup.sh" -R recipients -d $db -b broken daily
is "... encrypted: its status" "$rc" 1
is "... nothing left, bk-crypt's record neither" "$(ls -A broken/daily | wc -l)" 0
mkdir fake2
cp fake/pg_dumpall fake2/
run env PATH="$T/fake2:$PATH" "$ex/pg-backup.sh" -d $db -b broken2 daily
is "the globals' dump that fails: its status" "$rc" 1
like "... said" err "error: the globals dump failed \\(exit 1\\): broken2/daily/${db}_[0-9_]+\\.sql\\.gz is recorded, the globals are not\$"
is "... the dump alone recorded" "$(bk-manifest -m broken2/manifest.jsonl list -F tsv | cut -f2)" daily
is "... no globals file" "$(ls -A broken2/daily | grep -c globals)" 0
run "$ex/pg-backup.sh" -b broken2 health
is "health of a daily without globals: exit 1" "$rc" 1
like "... says so" out '^FAIL type daily-globals: no globals$'
: >rot.names
for n in 9 10; do past rot daily $((t0 - n * 86400)); done
run env PATH="$T/fake2:$PATH" "$ex/pg-backup.sh" -k 7d -d $db -b rot daily
is "the globals' dump failing again: its status" "$rc" 1
ok "... the daily retention ran all the same: the old dumps gone" \
    test ! -e "rot/$(sed -n 1p rot.names)" -a ! -e "rot/$(sed -n 3p rot.names)"
is "... today's dump kept" "$(bk-manifest -m rot/manifest.jsonl list -T daily -F tsv | wc -l)" 1
# A bk-manifest whose add fails as a manifest that cannot be written does
# (73), after the free-space check went through the real one.
mkdir fake3
cat >fake3/bk-manifest <<EOF
#!/bin/sh
for a; do [ "\$a" = add ] && { echo "bk-manifest: error: cannot create" >&2; exit 73; }; done
exec $(command -v bk-manifest) "\$@"
EOF
chmod 755 fake3/bk-manifest
run env PATH="$T/fake3:$PATH" "$ex/pg-backup.sh" -d $db -b norec daily
is "a bk-manifest add that fails: its status" "$rc" 73
like "... said" err "error: could not record norec/daily/${db}_[0-9_]+\\.sql\\.gz \\(exit 73\\): removed\$"
is "... no file left at its final name" "$(ls -A norec/daily | wc -l)" 0

# Tools missing: a PATH with all but one of them.
mkdir nobin nobin2
for c in date pg_dump psql bk-gz bk-manifest bk-rotate; do
	ln -s "$(command -v $c)" nobin/$c
done
errline "pg_dumpall missing: 69" 69 "${ts}error: pg_dumpall not found in PATH\$" \
    env PATH="$T/nobin" "$ex/pg-backup.sh" -d $db -b x daily
cp -P nobin/* nobin2/ && ln -s "$(command -v pg_dumpall)" nobin2/
errline "bk-crypt missing for -R: 69" 69 "${ts}error: bk-crypt not found in PATH\$" \
    env PATH="$T/nobin2" "$ex/pg-backup.sh" -R recipients -d $db -b x daily
errline "bk-zstd missing for -z zstd: 69" 69 "${ts}error: bk-zstd not found in PATH\$" \
    env PATH="$T/nobin2" "$ex/pg-backup.sh" -z zstd -d $db -b x daily
errline "bk-verify missing for health: 69" 69 "${ts}error: bk-verify not found in PATH\$" \
    env PATH="$T/nobin" "$ex/pg-backup.sh" -b tree health
usage "no command: 64" '^usage: pg-backup\.sh ' "$ex/pg-backup.sh" -d $db
usage "an unknown command: 64" '^usage: pg-backup\.sh ' "$ex/pg-backup.sh" -d $db hourly
usage "a bad option: 64" '^usage: pg-backup\.sh ' "$ex/pg-backup.sh" -x daily
usage "-d without its value: 64" '^usage: pg-backup\.sh ' "$ex/pg-backup.sh" -d
usage "-z without its value: 64" '^usage: pg-backup\.sh ' "$ex/pg-backup.sh" -z
while IFS='|' read -r name code re args; do
	# shellcheck disable=SC2086
	errline "$name: $code" "$code" "${ts}error: $re\$" \
	    env -u PGDATABASE "$ex/pg-backup.sh" $args
done <<EOF
no database|64|no database: -d or PGDATABASE|-b x daily
a bad database name|64|bad database name "a;b"|-d a;b -b x daily
a database name like an option|64|bad database name "-fxout"|-d -fxout -b x daily
a count of 0|64|bad keep "0": a count \\(7\\) or an age \\(7d\\)|-k 0 -d $db -b x daily
a bad compression|64|bad compression "lz4": gzip or zstd|-z lz4 -d $db -b x daily
gzip named by its suffix|64|bad compression "gz": gzip or zstd|-z gz -d $db -b x daily
a bad age|64|bad keep "7x": a count \\(7\\) or an age \\(7d\\)|-k 7x -d $db -b x weekly
no recipients file|66|could not read the recipients file "none"|-R none -d $db -b x daily
a missing database|69|could not connect to database "${P}_none": .*database "${P}_none" does not exist|-d ${P}_none -b x daily
health without a manifest|66|no manifest "x/manifest\\.jsonl"|-b x health
report without a manifest|66|no manifest "x/manifest\\.jsonl"|-b x report
EOF
ok "... none of them made a tree" test ! -e x

done_testing
