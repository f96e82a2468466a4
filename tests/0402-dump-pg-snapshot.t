#!/bin/sh
# bk-dump from PostgreSQL under concurrency: every export sees one
# snapshot while another session commits, and a connection killed in the
# middle of an export fails the run and commits nothing.  Advisory locks
# order the sessions, so the tests do not depend on timing.
. "$(dirname "$0")/lib.sh"
need_pg

db=bk_0402
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || skip_all "could not create a database"
bgpids=
trap 'for p in $bgpids; do kill "$p" 2>/dev/null; done; cd /
    dropdb --if-exists --force "$db" 2>/dev/null; rm -rf "$T"' EXIT
PGDATABASE=$db
export PGDATABASE
psql -Xq -v ON_ERROR_STOP=1 -c 'CREATE TABLE t (id serial, v text);
    INSERT INTO t (v) SELECT md5(g::text) FROM generate_series(1, 100) g;' ||
    skip_all "could not create the table"

# wait_for SQL: polls until the query returns t.
says_t() { [ "$(psql -XAtc "$1")" = t ]; }
wait_for() { wait_until says_t "$1"; }

# The writer holds lock 2, waits until the dump holds lock 1 (the dump has
# its snapshot and exported "before"), inserts and commits, then releases
# lock 2, on which the dump waits before exporting "after".
psql -Xq -v ON_ERROR_STOP=1 >writer.out 2>&1 <<'SQL' &
SELECT pg_advisory_lock(2);
DO $$ BEGIN
	WHILE NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
	    AND objid = 1 AND granted) LOOP
		PERFORM pg_sleep(0.05);
	END LOOP;
END $$;
INSERT INTO t (v) VALUES ('written during the export');
SELECT pg_advisory_unlock(2);
SQL
writer=$!
bgpids="$bgpids $writer"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 2 AND granted)" ||
    fail "the writer took its lock"
run bk-dump --counts n.tsv \
    --query "before=SELECT count(*) AS n FROM t" \
    --query "lock=SELECT 1 AS n FROM (SELECT pg_advisory_xact_lock(1)) l" \
    --query "wait=SELECT 1 AS n FROM (SELECT pg_advisory_xact_lock_shared(2)) l" \
    --query "after=SELECT count(*) AS n FROM t" \
    --query "rows=SELECT id, v FROM t ORDER BY id"
is "the export ran" "$rc" 0
wait "$writer"
is "the writer committed during the export" \
    "$(psql -XAtc "SELECT count(*) FROM t")" 101
is "the export saw the table as it was at its start, before and after" \
    "$(grep -E '^(before|after),' out | cut -d, -f1,2 | tr '\n' ' ')" "before,100 after,100 "
unlike "the row written meanwhile is not in the export" out 'written during'
is "--counts agrees" "$(grep '^rows' n.tsv)" "rows	100"

# Same dance with --serializable.
psql -Xq -v ON_ERROR_STOP=1 >writer.out 2>&1 <<'SQL' &
SELECT pg_advisory_lock(2);
DO $$ BEGIN
	WHILE NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
	    AND objid = 1 AND granted) LOOP
		PERFORM pg_sleep(0.05);
	END LOOP;
END $$;
INSERT INTO t (v) VALUES ('written during the export');
SELECT pg_advisory_unlock(2);
SQL
writer=$!
bgpids="$bgpids $writer"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 2 AND granted)" ||
    fail "the writer took its lock"
run bk-dump --serializable \
    --query "before=SELECT count(*) AS n FROM t" \
    --query "lock=SELECT 1 AS n FROM (SELECT pg_advisory_xact_lock(1)) l" \
    --query "wait=SELECT 1 AS n FROM (SELECT pg_advisory_xact_lock_shared(2)) l" \
    --query "after=SELECT count(*) AS n FROM t"
wait "$writer"
is "--serializable: one snapshot too" \
    "$(grep -E '^(before|after),' out | tr '\n' ' ')" "before,101 after,101 "

# The connection killed mid-export: a session holds lock 3; the dump
# exports rows, then blocks on lock 3 and is terminated there.
psql -Xq -c "SELECT pg_advisory_lock(3), pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
bgpids="$bgpids $holder"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 3 AND granted)" ||
    fail "the holder took its lock"
PGAPPNAME=bk0402victim bk-dump -o killed.csv \
    --query "rows=SELECT id, v FROM t" \
    --query "stuck=SELECT 1 AS n FROM (SELECT pg_advisory_xact_lock(3)) l" \
    >killed.out 2>killed.err &
victim=$!
bgpids="$bgpids $victim"
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'bk0402victim' AND wait_event_type = 'Lock')" ||
    fail "the dump reached the lock"
psql -XAtc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bk0402victim'" >/dev/null
wait "$victim"
is "a killed connection exits 69" "$?" 69
like "it says the connection ended" killed.err '^bk-dump: error: stuck: .*terminating connection'
is "one line on stderr" "$(wc -l <killed.err)" 1
ok "nothing committed at -o" test ! -e killed.csv
is "no temporary file left" "$(ls -A | grep -c '\.bk-')" 0
psql -XAtc "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 3" >/dev/null
wait "$holder" 2>/dev/null
done_testing
