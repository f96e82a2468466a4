#!/bin/sh
# Watching (bk(7)): examples/bk-job.sh's journal and metrics, on a clock
# that the job itself moves (a date(1) whose +%s reads a file), so that
# durations are exact without waiting; a run refused by the lock; runs
# of several jobs appending to one journal at once; the daily job of
# recipe 3 (pg-backup.sh daily) against the harness's PostgreSQL with
# both, its free-space check stopping it, then bk-verify -M on its tree;
# every metrics file through promtool check metrics; and
# examples/prometheus/bk-alerts.yml through promtool check rules and
# promtool test rules (tests/1406-watch.rules.yml), which a broken copy
# of the rules fails.
. "$(dirname "$0")/lib.sh"
need_pg
need bash flock pg_dump createdb dropdb promtool jq shellcheck

ex=$TOP/examples
P=s1406
cleanup() { dropdb --if-exists ${P}_db 2>/dev/null; }
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT
BK_LOCK_DIR=$T/locks
export BK_LOCK_DIR
mkdir locks prom bin

ok "bk-job.sh is shellcheck-clean" shellcheck "$ex/bk-job.sh"

# ---- the journal and the metrics, on the job's clock ----
real_date=$(command -v date)
cat >bin/date <<EOF
#!/bin/sh
# date +%s: the test's clock; anything else: the real date.
if [ "\$*" = "+%s" ]; then cat "$T/clock"; else exec "$real_date" "\$@"; fi
EOF
chmod 755 bin/date
# job ARGS...: bk-job.sh with the test's clock.
job() { PATH=$T/bin:$PATH "$ex/bk-job.sh" "$@"; }
# tick N [STATUS]: a job's command that moves the clock N seconds on,
# then exits STATUS (0).
tick() { echo "echo \$((\$(cat $T/clock) + $1)) >$T/clock; exit ${2:-0}"; }
echo 1000000000 >clock
run job -j jobs.jsonl -M prom/pg.prom -T daily pg-daily sh -c "$(tick 100)"
is "a job of 100 s: exit 0" "$rc" 0
is "... one line in the journal, as bk(7) gives it" "$(cat jobs.jsonl)" \
    '{"job":"pg-daily","type":"daily","started":"2001-09-09T01:46:40Z","ended":"2001-09-09T01:48:20Z","seconds":100,"status":0}'
ok "... which jq reads" jq -e '.seconds == 100' jobs.jsonl
cat >want <<'EOF'
# HELP bk_job_last_start_time_seconds When the job's last run started.
# TYPE bk_job_last_start_time_seconds gauge
bk_job_last_start_time_seconds{bk_job="pg-daily",type="daily"} 1000000000
# HELP bk_job_last_duration_seconds How long the job's last run took.
# TYPE bk_job_last_duration_seconds gauge
bk_job_last_duration_seconds{bk_job="pg-daily",type="daily"} 100
# HELP bk_job_last_exit_status The exit status of the job's last run (0: success).
# TYPE bk_job_last_exit_status gauge
bk_job_last_exit_status{bk_job="pg-daily",type="daily"} 0
# HELP bk_job_last_success_time_seconds When the job's last successful run ended (0 if never).
# TYPE bk_job_last_success_time_seconds gauge
bk_job_last_success_time_seconds{bk_job="pg-daily",type="daily"} 1000000100
EOF
same "... the metrics" prom/pg.prom want
is "... mode 0644, for node_exporter" "$(mode prom/pg.prom)" 644
is "... no temporary file left beside" "$(ls -A prom)" pg.prom
run promtool check metrics <prom/pg.prom
is "... which promtool check metrics passes" "$rc|$(cat out err)" "0|"

echo 1000086400 >clock
run job -j jobs.jsonl -M prom/pg.prom -T daily pg-daily sh -c "$(tick 30 3)"
is "the next day, a run that fails after 30 s: its status, 3" "$rc" 3
is "... a second line in the journal" "$(sed -n 2p jobs.jsonl)" \
    '{"job":"pg-daily","type":"daily","started":"2001-09-10T01:46:40Z","ended":"2001-09-10T01:47:10Z","seconds":30,"status":3}'
sed -e 's/} 1000000000$/} 1000086400/' -e 's/duration_seconds\(.*\)} 100$/duration_seconds\1} 30/' \
    -e 's/exit_status\(.*\)} 0$/exit_status\1} 3/' want >want2
same "... the metrics: its start, duration and status, the last success kept" \
    prom/pg.prom want2

echo 1000090000 >clock
run job -j jobs.jsonl -M prom/new.prom new sh -c "$(tick 5 1)"
like "a job's first run fails: no success yet (0)" prom/new.prom \
    '^bk_job_last_success_time_seconds\{bk_job="new",type=""\} 0$'
like "... without -T, the type is empty in the journal" jobs.jsonl \
    '^\{"job":"new","type":"","started":"2001-09-10T02:46:40Z","ended":"2001-09-10T02:46:45Z","seconds":5,"status":1\}$'
run job -j jobs.jsonl -M prom/new.prom new sh -c "$(tick 7)"
like "... then one that works: its end" prom/new.prom \
    '^bk_job_last_success_time_seconds\{bk_job="new",type=""\} 1000090012$'

# A run refused by the lock: recorded, and the metrics left alone (they
# belong to the run that holds the lock).
cp prom/pg.prom held.prom
hold_lock "$T/locks/bk-pg-daily.lock"
echo 1000100000 >clock
errline "a run while another holds the lock: 75" 75 \
    'bk-job\.sh: error: pg-daily: another run holds .*: not started$' \
    job -j jobs.jsonl -M prom/pg.prom -T daily pg-daily sh -c "$(tick 1)"
release_lock
is "... recorded with status 75 and no time" "$(tail -1 jobs.jsonl)" \
    '{"job":"pg-daily","type":"daily","started":"2001-09-10T05:33:20Z","ended":"2001-09-10T05:33:20Z","seconds":0,"status":75}'
same "... the metrics untouched" prom/pg.prom held.prom
is "... its command never ran (the clock did not move)" "$(cat clock)" 1000100000

# The environment names them too.
BK_JOB_JOURNAL=$T/env.jsonl BK_JOB_METRICS=$T/prom/env.prom \
    job env-job sh -c "$(tick 2)" >/dev/null
ok "BK_JOB_JOURNAL and BK_JOB_METRICS" \
    jq -e 'select(.job == "env-job" and .seconds == 2)' env.jsonl
like "... the metrics" prom/env.prom '^bk_job_last_duration_seconds\{bk_job="env-job",type=""\} 2$'

# Ten jobs at once, each under its own lock, one journal: ten whole lines.
pids=
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$ex/bk-job.sh" -j many.jsonl -T daily "c$i" true >/dev/null 2>&1 &
	pids="$pids $!"
done
n=0
for p in $pids; do wait "$p" && n=$((n + 1)); done
is "ten jobs at once: all exit 0" "$n" 10
is "... ten lines in the journal" "$(wc -l <many.jsonl)" 10
is "... each whole JSON, one per job" \
    "$(jq -r .job many.jsonl | sort -V | tr '\n' ' ')" "c1 c2 c3 c4 c5 c6 c7 c8 c9 c10 "

# ---- bk-job.sh's bad inputs ----
clock=$(cat clock)
errline "a journal in a missing folder: 73, before the job" 73 \
    "bk-job\\.sh: error: could not open the journal \"$T/none/j\\.jsonl\"\$" \
    job -j "$T/none/j.jsonl" j1 sh -c "$(tick 1)"
errline "metrics in a missing folder: 73" 73 \
    "bk-job\\.sh: error: could not write in the folder of the metrics \"$T/none/j\\.prom\"\$" \
    job -M "$T/none/j.prom" j1 sh -c "$(tick 1)"
is "... neither ran the job" "$(cat clock)" "$clock"
usage "a type with a slash: 64" 'bk-job\.sh: error: bad type "a/b"$' \
    job -T a/b j1 true
usage "-j without a file: 64" '^usage: bk-job\.sh ' "$ex/bk-job.sh" -j
mkdir gone
run job -M gone/j.prom j2 sh -c "rmdir $T/gone"
is "metrics whose folder went during the run: 74" "$rc" 74
like "... saying so" err 'bk-job\.sh: error: j2: could not create a temporary file in "gone"$'
mkdir gone
run job -M gone/j.prom j2 sh -c "rmdir $T/gone; exit 5"
is "... when the job failed too: the job's status, 5" "$rc" 5
mkdir gone
run job -j gone/j.jsonl j3 sh -c "rm -r $T/gone"
is "a journal whose folder went during the run: 74" "$rc" 74
like "... saying so" err 'bk-job\.sh: error: j3: could not write the journal "gone/j\.jsonl"$'

# ---- the daily job of recipe 3 with both, then bk-verify -M ----
createdb ${P}_db
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_db >/dev/null <<'SQL' || { fail "create the database"; exit 1; }
CREATE TABLE pagamentos (id serial PRIMARY KEY, valor numeric(10,2));
INSERT INTO pagamentos (valor) SELECT i * 1.5 FROM generate_series(1, 300) i;
SQL
mkdir tree
run "$ex/bk-job.sh" -j tree/jobs.jsonl -M prom/pg-daily.prom -T daily pg-daily \
    "$ex/pg-backup.sh" -d ${P}_db -b tree daily
is "pg-backup.sh daily through bk-job.sh with -j and -M: exit 0" "$rc" 0
like "... the free-space check logged before the dump" out \
    'Z pg-backup\.sh: space in "[^"]*": 0 B needed \(no earlier daily backup\), [0-9.]+ [KMGT]?i?B free$'
ok "... its line in jobs.jsonl beside the manifest" \
    jq -e 'select(.job == "pg-daily" and .type == "daily" and .status == 0)' \
    tree/jobs.jsonl
like "... its metrics: success" prom/pg-daily.prom \
    '^bk_job_last_exit_status\{bk_job="pg-daily",type="daily"\} 0$'
# pg-backup.sh names a backup by its second: the next run in another.
first=$(ls tree/daily | sed -n 's/^'${P}'_db_\([0-9_]*\)\.sql\.gz$/\1/p')
next_second() { [ "$(date +%Y%m%d_%H%M%S)" != "$first" ]; }
wait_until next_second
run "$ex/bk-job.sh" -j tree/jobs.jsonl -M prom/pg-daily.prom -T daily pg-daily \
    "$ex/pg-backup.sh" -d ${P}_db -b tree daily
is "a second run: exit 0" "$rc" 0
like "... it checks twice the first backup" out \
    'Z pg-backup\.sh: space in "[^"]*": [0-9.]+ KiB needed \(2 x [0-9.]+ KiB, the largest of the last 1 daily backup\), '
exits "bk-verify -M on its tree: exit 0 (jobs.jsonl is not a backup)" 0 \
    bk-verify -q -m tree/manifest.jsonl -M prom/bk.prom
run bk-manifest -m tree/manifest.jsonl adopt -n tree
is "... nor one that bk-manifest adopt would take" "$rc|$(grep -c jobs out)" "0|0"
like "... the tree's free space" prom/bk.prom \
    "^bk_filesystem_avail_bytes\\{path=\"$(cd tree && pwd -P)\"\\} [0-9]+\$"
like "... no drill yet" prom/bk.prom '^bk_drill_last_success_timestamp_seconds\{type="daily"\} 0$'
# A daily backup as large as the file system, recorded: the next run
# stops before its dump, and the job fails with it.
total=$(stat -f -c '%b %S' tree | awk '{ printf "%.0f\n", $1 * $2 }')
printf '{"path":"daily/huge.sql.gz","created":"2030-01-01T00:00:00Z","type":"daily","size":%s}\n' \
    "$total" >>tree/manifest.jsonl
before=$(find tree/daily -type f | wc -l)
run "$ex/bk-job.sh" -j tree/jobs.jsonl -M prom/pg-daily.prom -T daily pg-daily \
    "$ex/pg-backup.sh" -d ${P}_db -b tree daily
is "a daily backup that cannot fit twice: the job exits 1" "$rc" 1
like "... pg-backup.sh says what is needed and what is free" err \
    'Z pg-backup\.sh: error: not enough space in "[^"]*": [0-9.]+ [GT]iB needed \(2 x [0-9.]+ [GT]iB, the largest of the last 3 daily backups\), [0-9.]+ [KMGT]?i?B free$'
is "... no dump was made" "$(find tree/daily -type f | wc -l)" "$before"
like "... the journal has the failure" tree/jobs.jsonl '"status":1\}$'
like "... and the metrics" prom/pg-daily.prom \
    '^bk_job_last_exit_status\{bk_job="pg-daily",type="daily"\} 1$'
for f in prom/pg-daily.prom prom/bk.prom; do
	run promtool check metrics <"$f"
	is "promtool check metrics passes ${f#prom/}" "$rc|$(cat out err)" "0|"
done
run promtool check metrics <<'EOF'
# TYPE x gauge
x{a="1"} 1
# TYPE x gauge
x{a="2"} 2
EOF
is "... and refuses a broken file" "$rc" 1

# ---- the alert rules ----
rules=$ex/prometheus/bk-alerts.yml
run promtool check rules "$rules"
is "promtool check rules passes bk-alerts.yml" "$rc" 0
like "... every rule" out 'SUCCESS: 8 rules found'
run promtool test rules "$TESTS/1406-watch.rules.yml"
is "promtool test rules: each alert fires when it must and not otherwise" "$rc" 0
like "... SUCCESS" out '^  SUCCESS$'
# broken SED-EXPR: a copy of the rules changed by SED-EXPR fails the
# unit tests (run from a copy of the tree's layout).
broken() {
	rm -rf b && mkdir -p b/examples/prometheus b/tests &&
	    sed "$1" "$rules" >b/examples/prometheus/bk-alerts.yml &&
	    cp "$TESTS/1406-watch.rules.yml" b/tests/ &&
	    ! cmp -s "$rules" b/examples/prometheus/bk-alerts.yml &&
	    ! promtool test rules b/tests/1406-watch.rules.yml >b/out 2>&1
}
ok "... a daily limit of 27h fails them" broken 's/26 \* 3600/27 * 3600/'
ok "... a disk rule without the twice-the-backup branch fails them" \
    broken 's/2 \* max by/0 * max by/'
ok "... a drill rule per type fails them" \
    broken 's/max without (type) (bk_drill_last_success_timestamp_seconds)/bk_drill_last_success_timestamp_seconds/'
ok "... a job rule on the scrape's job= label fails them" \
    broken 's/bk_job }}/job }}/g'

done_testing
