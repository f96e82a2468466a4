#!/bin/sh
# PostgreSQL going away: the connection terminated (pg_terminate_backend
# from another session) in the middle of bk-dump and of pg_dump in the
# recipes, and a server of our own stopped (pg_ctl -m immediate) in the
# middle of bk-restore.  Each moment is made certain, not timed: the
# victim waits on a lock, or on a pipe that is not read, and is killed
# once pg_stat_activity shows it there.  The invariants of faults/lib.sh
# after each run; the restored database as it was after the server
# comes back.
. "$(dirname "$0")/lib.sh"
need_pg
need pg_dump createdb dropdb bash
. "$TESTS/faults/lib.sh"

P=f1005
bgpids=
cleanup() {
	for p in $bgpids; do kill "$p" 2>/dev/null; done
	dropdb --if-exists ${P}_src 2>/dev/null
	[ -z "${_pg2:-}" ] || pg2_stop
}
trap 'cleanup; cd /; rm -rf "$T"' EXIT

# terminate APP WAIT-CONDITION: once a session of application_name APP
# shows WAIT-CONDITION in pg_stat_activity, terminates it.
terminate() {
	wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
	    WHERE application_name = '$1' AND $2)" ||
	    fail "$1 reached the moment ($2)"
	psql -XAtc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE application_name = '$1'" >/dev/null
}
# killed_conn APP WAIT-CONDITION KIND FINAL CMD...: runs CMD (its
# sessions named APP) in the background, terminates it at that moment,
# lets the pipeline go on (the file go), and checks the run.
killed_conn() {
	_app=$1 _cond=$2 _kind=$3 _final=$4
	shift 4
	begin_run "$T/tree" "$_kind" append "$_final"
	echo terminated >"$T/fault.log"
	TMPDIR=$R_TMP PGAPPNAME=$_app "$@" >run.out 2>run.err &
	_victim=$!
	terminate "$_app" "$_cond"
	touch go
	wait "$_victim"
	R_RC=$?
	rm -f go
	check_run
}
# wait_for SQL [PSQL-OPTIONS]: until the query says t.
says_t() { _q=$1; shift; [ "$(psql -XAt "$@" -c "$_q" 2>/dev/null)" = t ]; }
wait_for() { wait_until says_t "$@"; }

createdb ${P}_src
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_src >/dev/null <<'SQL' || { echo "Bail out! no source database"; exit 1; }
CREATE TABLE pagamentos (id serial PRIMARY KEY, valor numeric(10,2), obs text);
INSERT INTO pagamentos (valor, obs)
    SELECT i * 1.25, 'pagamento ' || i || ', pix' FROM generate_series(1, 50000) i;
SQL
bk-crypt --keygen -q -o key.txt && bk-crypt -y -i key.txt >key.pub ||
    { echo "Bail out! no age key"; exit 1; }
KEY=$T/key.txt
new_tree tree

# ---- the connection terminated mid-dump ----
# bk-dump -o: the rows of the first query are out, the second waits for
# an advisory lock another session holds.
psql -Xq -d ${P}_src -c "SELECT pg_advisory_lock(1005), pg_sleep(120)" \
    >/dev/null 2>&1 &
holder=$!
bgpids="$bgpids $holder"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
    AND objid = 1005 AND granted)" || fail "the holder took its lock"
killed_conn bk1005dump "wait_event_type = 'Lock'" tool daily/cut.csv \
    bk-dump -D dbname=${P}_src -o tree/daily/cut.csv \
    --query "rows=SELECT id, valor, obs FROM pagamentos" \
    --query "stuck=SELECT 1 AS n FROM (SELECT pg_advisory_xact_lock(1005)) l"
[ "$R_RC" = 69 ] || viol exit "exit $R_RC, wanted 69 (database unavailable)"
[ "$(wc -l <run.err)" = 1 ] || viol exit "not one line: $(cat run.err)"
report_run "bk-dump -o, its connection terminated mid-dump: exit $R_RC"

# The recipe, bk-dump | bk-csv | bk-gz -o; add: nothing recorded.
cat >recipe-csv <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
bk-dump -D "dbname=$2" \
    --query "rows=SELECT id, valor, obs FROM pagamentos" \
    --query "stuck=SELECT 1 AS n FROM (SELECT pg_advisory_xact_lock(1005)) l" |
    bk-csv | bk-gz -o "$3"
bk-manifest add -T daily "$3"
EOF
killed_conn bk1005csv "wait_event_type = 'Lock'" pipeline daily/cut.csv.gz \
    bash recipe-csv "$T/tree" ${P}_src daily/cut.csv.gz
[ "$R_RC" != 0 ] || viol exit "the recipe succeeded"
report_run "bk-dump | bk-csv | bk-gz -o; add, the connection terminated: exit $R_RC"
psql -XAtc "SELECT pg_terminate_backend(pid) FROM pg_locks
    WHERE locktype = 'advisory' AND objid = 1005" >/dev/null
wait "$holder" 2>/dev/null

# pg_dump | bk-gz | bk-crypt -o; add: pg_dump blocks on a pipe nobody
# reads yet, in the middle of its COPY, and its connection goes there.
cat >recipe-crypt <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
pg_dump -Fp "$2" |
    { while [ ! -e "$4" ]; do sleep 0.1; done; cat; } |
    bk-gz | bk-crypt -R "$KEYPUB" -o "$3"
bk-manifest add -T daily "$3"
EOF
export KEYPUB=$T/key.pub
killed_conn bk1005pgdump "query LIKE 'COPY%' AND wait_event = 'ClientWrite'" \
    pipeline daily/cut.sql.gz.age \
    bash recipe-crypt "$T/tree" ${P}_src daily/cut.sql.gz.age "$T/go"
[ "$R_RC" != 0 ] || viol exit "the recipe succeeded"
report_run "pg_dump | bk-gz | bk-crypt -o; add, the connection terminated mid-COPY: exit $R_RC"

# ---- a server stopped mid-restore ----
# A second throwaway server, ours to stop (tests/pg.sh's way), so that
# the harness's stays up.
. "$TESTS/pg.sh"
[ -n "$_pgbin" ] || { skip "no PostgreSQL server programs"; done_testing; exit; }
_pg2=$(mktemp -d /tmp/bk-pg2.XXXXXX)
[ "$(id -u)" != 0 ] || chown nobody "$_pg2"
pg2_start() {
	_as_pg "$_pgbin/pg_ctl" -D "$_pg2/data" -l "$_pg2/server.log" -w \
	    -o "-k $_pg2 -c listen_addresses='' -c fsync=off" start >/dev/null 2>&1
}
pg2_stop() {
	_as_pg "$_pgbin/pg_ctl" -D "$_pg2/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$_pg2"
	_pg2=
}
if ! _as_pg "$_pgbin/initdb" -D "$_pg2/data" -U bk -A trust -E UTF8 \
    --locale=C.UTF-8 >"$_pg2/initdb.log" 2>&1 || ! pg2_start ||
    ! PGHOST=$_pg2 createdb erp; then
	fail "a second PostgreSQL server"
	tail -3 "$_pg2"/*.log | sed 's/^/# /'
	done_testing
	exit
fi
# Its database as it is (state A), and a backup of another state (B).
PGHOST=$_pg2 psql -Xq -v ON_ERROR_STOP=1 -d erp >/dev/null <<'SQL'
CREATE TABLE clientes (id int PRIMARY KEY, nome text);
INSERT INTO clientes SELECT i, 'antes ' || i FROM generate_series(1, 100) i;
SQL
state2() { PGHOST=$_pg2 pg_dump -Fp erp | grep -v '^\\\(un\)\{0,1\}restrict '; }
state2 >a.state
pg_dump -Fp ${P}_src | bk-gz -o tree/daily/src.sql.gz &&
    bk-manifest -q -m tree/manifest.jsonl add tree/daily/src.sql.gz ||
    fail "a backup to restore"
# A session holds a lock that --clean's DROP waits for.
PGHOST=$_pg2 psql -Xq -d erp -c "BEGIN; LOCK TABLE clientes IN ACCESS SHARE MODE;
    SELECT pg_sleep(120)" >/dev/null 2>&1 &
holder=$!
bgpids="$bgpids $holder"
begin_run "$T/tree" pipeline append
echo stopped >"$T/fault.log"
TMPDIR=$R_TMP bk-restore -q --yes --clean -m tree/manifest.jsonl \
    -D "host=$_pg2 dbname=erp" tree/daily/src.sql.gz >run.out 2>run.err &
victim=$!
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = 'erp'
    AND wait_event_type = 'Lock')" -h "$_pg2" -d postgres ||
    fail "the restore waits for the lock"
_as_pg "$_pgbin/pg_ctl" -D "$_pg2/data" -m immediate stop >/dev/null 2>&1
wait "$victim"
R_RC=$?
wait "$holder" 2>/dev/null
pg2_start || fail "the second server starts again"
# check_run verifies the safety backup made before the restore.
post_safety=$(cd tree && ls pre-restore 2>/dev/null | sed 's|^|pre-restore/|')
R_FINALS=$post_safety
check_run
case $R_RC in
69|74|65|1) ;;
*)	viol exit "exit $R_RC, wanted the server's absence reported" ;;
esac
[ "$(wc -l <run.err)" = 1 ] || viol exit "not one line: $(head -3 run.err | tr '\n' ' ')"
state2 >after.state
cmp -s a.state after.state ||
    viol restore "the database changed: $(diff a.state after.state | head -3 | tr '\n' ' ')"
grep -q '"result":"fail"' tree/restore.log ||
    viol restore "restore.log has no failed attempt"
report_run "bk-restore --clean, the server stopped mid-restore: exit $R_RC"

done_testing
