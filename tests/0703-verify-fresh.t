#!/bin/sh
# bk-verify: freshness (--max-age), Prometheus metrics (--metrics) and
# recording the results in the manifest (--record).
. "$(dirname "$0")/lib.sh"
need gzip

now=$(date +%s)
# entry FILE TYPE AGE-SECONDS [RECORDS]: a manifest line for FILE, created
# AGE seconds ago.
entry() {
	manifest_line -d tree "$1" "$(date -u -d "@$((now - $3))" +%Y-%m-%dT%H:%M:%SZ)" \
	    "$2" "${4:+\"records\":$4,}\"note\":\"kept\""
}
mkdir -p tree/daily tree/weekly
printf 'a,b\n1,2\n3,4\n' >tree/daily/d1.csv
printf 'a,b\n1,2\n' | gzip >tree/daily/d2.csv.gz
printf 'a,b\n1,2\n3,4\n5,6\n' >tree/weekly/w1.csv
printf 'x,y\n1,2\n' >tree/weekly/w2.csv
{ entry daily/d1.csv daily $((3 * 86400 + 4 * 3600)) 2
  entry daily/d2.csv.gz daily $((30 * 3600)) 1
  entry weekly/w1.csv weekly $((2 * 86400)) 3
  entry weekly/w2.csv weekly $((9 * 86400)) 1; } >tree/manifest.jsonl
M=tree/manifest.jsonl
d2=$(stat -c %s tree/daily/d2.csv.gz)

# ---- freshness ----
exits "fresh enough: exit 0" 0 bk-verify -q -m $M --fresh-within 2d --type daily
empty "...and quiet" "$T/out"
exits "too old: exit 1" 1 bk-verify -q -m $M --fresh-within 1d --type daily
is "...the reason" "$(cat "$T/out")" "FAIL type daily: newest good backup is 1d 6h old (limit 1d)"
exits "without --type, every type is checked" 1 bk-verify -q -m $M --fresh-within 36h
is "...only the stale one fails" "$(cat "$T/out")" "FAIL type weekly: newest good backup is 2d old (limit 1d 12h)"
# A broken newest backup does not count: the next good one is older.
cp tree/daily/d2.csv.gz d2.keep
printf 'x' >>tree/daily/d2.csv.gz
exits "the newest is broken: the older good one counts" 1 bk-verify -q -m $M --fresh-within 2d --type daily
is "...two lines" "$(cat "$T/out" | tr '\n' '|')" "FAIL daily/d2.csv.gz: size is $((d2 + 1)) bytes, the manifest says $d2|FAIL type daily: newest good backup is 3d 4h old (limit 2d)|"
cp d2.keep tree/daily/d2.csv.gz
exits "a type with no backup at all" 1 bk-verify -q -m $M --fresh-within 1d --type monthly
is "...says there is none" "$(cat "$T/out")" "FAIL type monthly: no good backup"

# ---- metrics ----
mask() { sed -E -e '/^bk_drill/!s/(timestamp_seconds(\{[^}]*\})?) [0-9]+$/\1 T/' \
    -e 's/(duration_seconds) [0-9.]+$/\1 D/' \
    -e 's/^(bk_filesystem_[a-z]+_bytes)\{path="[^"]*"\} [0-9]+$/\1{path="P"} B/' "$1"; }
before=$(date +%s)
exits "metrics: exit 0" 0 bk-verify -q -m $M --metrics out.prom
after=$(date +%s)
cat >want <<'EOF2'
# HELP bk_backup_last_success_timestamp_seconds Creation time of the newest backup of the type that verified OK (0 if none).
# TYPE bk_backup_last_success_timestamp_seconds gauge
bk_backup_last_success_timestamp_seconds{type="daily"} T
bk_backup_last_success_timestamp_seconds{type="weekly"} T
# HELP bk_backup_size_bytes Size of the newest backup of the type that verified OK.
# TYPE bk_backup_size_bytes gauge
bk_backup_size_bytes{type="daily"} D2
bk_backup_size_bytes{type="weekly"} 16
# HELP bk_backup_records Records in the newest backup of the type that verified OK.
# TYPE bk_backup_records gauge
bk_backup_records{type="daily"} 1
bk_backup_records{type="weekly"} 3
# HELP bk_verify_backups Backups of the type verified in this run.
# TYPE bk_verify_backups gauge
bk_verify_backups{type="daily"} 2
bk_verify_backups{type="weekly"} 2
# HELP bk_verify_ok 1 if every backup of the type verified OK in this run, else 0.
# TYPE bk_verify_ok gauge
bk_verify_ok{type="daily"} 1
bk_verify_ok{type="weekly"} 1
# HELP bk_drill_last_timestamp_seconds When the newest restore drill of a backup of the type ran (0 if none).
# TYPE bk_drill_last_timestamp_seconds gauge
bk_drill_last_timestamp_seconds{type="daily"} 0
bk_drill_last_timestamp_seconds{type="weekly"} 0
# HELP bk_drill_last_ok 1 if the newest restore drill of the type passed, else 0.
# TYPE bk_drill_last_ok gauge
bk_drill_last_ok{type="daily"} 0
bk_drill_last_ok{type="weekly"} 0
# HELP bk_drill_last_success_timestamp_seconds When the newest restore drill of the type that passed ran (0 if none).
# TYPE bk_drill_last_success_timestamp_seconds gauge
bk_drill_last_success_timestamp_seconds{type="daily"} 0
bk_drill_last_success_timestamp_seconds{type="weekly"} 0
# HELP bk_filesystem_avail_bytes Bytes free for bk on the file system of the backup tree.
# TYPE bk_filesystem_avail_bytes gauge
bk_filesystem_avail_bytes{path="P"} B
# HELP bk_filesystem_size_bytes Size of the file system of the backup tree.
# TYPE bk_filesystem_size_bytes gauge
bk_filesystem_size_bytes{path="P"} B
# HELP bk_verify_unlisted_files Files in the tree that look like backups but have no manifest line (incomplete backups).
# TYPE bk_verify_unlisted_files gauge
bk_verify_unlisted_files 0
# HELP bk_verify_stale_temporary_files Temporary files of bk runs that were killed, over an hour old.
# TYPE bk_verify_stale_temporary_files gauge
bk_verify_stale_temporary_files 0
# HELP bk_verify_bad_lines Manifest or sums lines that could not be read.
# TYPE bk_verify_bad_lines gauge
bk_verify_bad_lines 0
# HELP bk_verify_success 1 if the whole run passed (exit status 0), else 0.
# TYPE bk_verify_success gauge
bk_verify_success 1
# HELP bk_verify_last_run_timestamp_seconds When this verification ran.
# TYPE bk_verify_last_run_timestamp_seconds gauge
bk_verify_last_run_timestamp_seconds T
# HELP bk_verify_duration_seconds How long this verification took.
# TYPE bk_verify_duration_seconds gauge
bk_verify_duration_seconds D
EOF2
mask out.prom | sed "s/} $d2\$/} D2/" >got
same "metrics: the golden text (times masked)" got want
is "metrics: the newest good daily backup's time" \
    "$(sed -n 's/^bk_backup_last_success_timestamp_seconds{type="daily"} //p' out.prom)" $((now - 30 * 3600))
is "metrics: mode 0644 for node_exporter" "$(mode out.prom)" 644
last=$(sed -n 's/^bk_verify_last_run_timestamp_seconds //p' out.prom)
ok "metrics: the run's time is when it ran" [ "$last" -ge "$before" ] && [ "$last" -le "$after" ]
# Prometheus's own Python client parses the text format as node_exporter's
# textfile collector would.
if python3 -c 'import prometheus_client' 2>/dev/null; then
	run python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families as parse
n = sum(len(f.samples) for f in parse(open(sys.argv[1]).read()))
print(n)' out.prom
	ok "prometheus_client parses the metrics" [ "$rc" = 0 ] && [ "$(cat out)" -eq "$(grep -vc '^#' out.prom)" ]
else
	skip "python3-prometheus-client not installed"
fi
# A failing run still writes metrics, and says so in them.
printf 'x' >>tree/weekly/w1.csv
touch tree/weekly/stray.csv
exits "metrics of a failing run: exit 1" 1 bk-verify -q -m $M --metrics out.prom
like "...bk_verify_ok 0 for the broken type" out.prom '^bk_verify_ok\{type="weekly"\} 0$'
like "...the good type still 1" out.prom '^bk_verify_ok\{type="daily"\} 1$'
like "...the older good weekly is now the last success" out.prom "^bk_backup_records\\{type=\"weekly\"\\} 1\$"
like "...the unlisted file counted" out.prom '^bk_verify_unlisted_files 1$'
like "...and the run failed" out.prom '^bk_verify_success 0$'
rm tree/weekly/stray.csv
printf 'a,b\n1,2\n3,4\n5,6\n' >tree/weekly/w1.csv
# Atomic: the file is replaced by a rename, never rewritten in place.
ino1=$(stat -c %i out.prom)
bk-verify -q -m $M --metrics out.prom
ino2=$(stat -c %i out.prom)
ok "metrics: replaced by rename (a new inode)" [ "$ino1" != "$ino2" ]
is "metrics: no temporary file left" "$(ls -a | grep -c '^\.out\.prom')" 0
mkdir ro && chmod 500 ro
if [ "$(id -u)" != 0 ]; then
	errline "metrics into a folder we cannot write: 77" 77 'could not.*Permission denied' bk-verify -q -m $M --metrics ro/m.prom
else
	errline "metrics into a missing folder: 73" 73 'could not' bk-verify -q -m $M --metrics nofolder/m.prom
fi
# A metrics file inside the tree is not an unlisted backup.
exits "metrics inside the tree are not a backup" 0 bk-verify -q -m $M --metrics tree/bk.prom
exits "...even on the next run" 0 bk-verify -q -m $M --metrics tree/bk.prom
rm tree/bk.prom

# ---- --record ----
echo '{"path": "garbled' >>$M
cp $M before
exits "--record: exit 1 (the garbled line)" 1 bk-verify -q --record -m $M
grep -c '"verified":{' $M >n
is "--record: every good line has its result" "$(cat n)" 4
like "--record: the time and result" $M '"verified":\{"time":"[0-9-]+T[0-9:]+(Z|[+-][0-9:]+)","result":"ok"\}'
like "--record: unknown fields survive" $M '"note":"kept"'
grep -v '"verified"' $M >rest
is "--record: the garbled line is kept verbatim" "$(cat rest)" '{"path": "garbled'
sed 's/,"verified":{[^}]*}//' $M >stripped
same "--record: nothing else changed" stripped before
is "--record: the manifest stays 0600" "$(mode $M)" 600
printf 'x' >>tree/daily/d1.csv
bk-verify -q --record -m $M >/dev/null
like "--record: a failure and its reason" $M '"path":"daily/d1.csv".*"verified":\{"time":"[^"]+","result":"fail","reason":"size is 13 bytes, the manifest says 12"\}'
like "--record: the others stay ok" $M '"path":"weekly/w2.csv".*"result":"ok"'
bk-verify -q --record -m $M tree/weekly/w1.csv >/dev/null
is "--record with named files touches only those lines" \
    "$(grep -c '"result":"fail"' $M)" 1
if command -v flock >/dev/null 2>&1; then
	hold_lock $M
	errline "--record with the lock busy: 75" 75 'could not lock' bk-verify -q --record -w 0 -m $M
	release_lock
else
	skip "no flock(1)"
fi

done_testing
