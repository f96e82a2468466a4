#!/bin/sh
# bk-rotate on the seed workflows: seed 001's 7 daily + 4 weekly, seed
# 002's retention by type, seed 003's 7/30/365 days by folder, and monthly
# folders backups/YYYY_MM keeping 12.
. "$(dirname "$0")/lib.sh"

# day N: the date N days after DATE, as YYYYMMDD.
day() { date -u -d "$1 + $2 days" +%Y%m%d; }
dash() { echo "$1" | sed 's/^\(....\)\(..\)\(..\)$/\1-\2-\3/'; }

# --- seed 001: SQLite backups, daily at 02:00 and weekly on Sundays.
mkdir s1 && cd s1 && mkdir daily weekly manual
i=0
while [ $i -lt 59 ]; do
	d=$(day 2025-05-01 $i)
	f=daily/chame_backup_daily_${d}_020000.db
	touch $f
	printf '{"path":"%s","created":"%sT02:00:00-03:00","type":"daily"}\n' $f "$(dash $d)"
	i=$((i + 1))
done >manifest.jsonl
for i in 0 7 14 21 28 35 42 49; do
	d=$(day 2025-05-04 $i)
	f=weekly/chame_backup_weekly_${d}_030000.db
	touch $f
	printf '{"path":"%s","created":"%sT03:00:00-03:00","type":"weekly"}\n' $f "$(dash $d)"
done >>manifest.jsonl
touch manual/chame_backup_manual_20250301_101500.db
echo '{"path":"manual/chame_backup_manual_20250301_101500.db","created":"2025-03-01T10:15:00-03:00","type":"manual","description":"before the import"}' >>manifest.jsonl
NOW=2025-06-28T12:00:00-03:00

run bk-rotate --type daily --keep-daily 7 --keep-weekly 4 --now $NOW
is "seed 001, restic style: 7 daily and 4 weekly of the dailies" "$(grep -c '^keep' "$T/out")" 9
like "the older weeks keep their newest day" "$T/out" '^keep daily/chame_backup_daily_20250615_020000.db \(weekly snapshot\)$'
like "down to the fourth week" "$T/out" '^keep daily/chame_backup_daily_20250608_020000.db \(weekly snapshot\)$'
unlike "no other type is touched" "$T/out" 'weekly/|manual/'

exits "seed 001: --type daily --keep-daily 7 --delete" 0 \
    bk-rotate --type daily --keep-daily 7 --delete --now $NOW -q
exits "seed 001: --type weekly --keep-weekly 4 --delete" 0 \
    bk-rotate --type weekly --keep-weekly 4 --delete --now $NOW -q
is "7 daily files remain" "$(ls daily | tr '\n' ' ')" \
    "chame_backup_daily_20250622_020000.db chame_backup_daily_20250623_020000.db chame_backup_daily_20250624_020000.db chame_backup_daily_20250625_020000.db chame_backup_daily_20250626_020000.db chame_backup_daily_20250627_020000.db chame_backup_daily_20250628_020000.db "
is "4 weekly files remain" "$(ls weekly | tr '\n' ' ')" \
    "chame_backup_weekly_20250601_030000.db chame_backup_weekly_20250608_030000.db chame_backup_weekly_20250615_030000.db chame_backup_weekly_20250622_030000.db "
is "the manual backup stays" "$(ls manual)" chame_backup_manual_20250301_101500.db
is "the manifest lists what remains" "$(wc -l <manifest.jsonl)" 12
is "and only that" "$(sed 's/.*"path":"\([^"]*\)".*/\1/' manifest.jsonl | sort | tr '\n' ' ')" \
    "$( (ls daily | sed 's|^|daily/|'; ls weekly | sed 's|^|weekly/|'; echo manual/chame_backup_manual_20250301_101500.db) | sort | tr '\n' ' ')"
like "the kept lines are unchanged" manifest.jsonl '"description":"before the import"'
cd "$T"

# --- seed 002: one folder per type, each with its own age limit.
mkdir s2 && cd s2 && mkdir daily weekly manual pre-migration
add() {	# add TYPE YYYYMMDD HH
	f=$1/budget_$1_$2_$30000.sql.gz
	touch "$f"
	printf '{"path":"%s","created":"%sT%s:00:00Z","type":"%s"}\n' "$f" "$(dash $2)" $3 $1 >>manifest.jsonl
}
i=0; while [ $i -lt 40 ]; do add daily "$(day 2025-05-21 $i)" 02; i=$((i + 1)); done
i=0; while [ $i -lt 20 ]; do add weekly "$(day 2025-02-16 $((i * 7)))" 03; i=$((i + 1)); done
i=0; while [ $i -lt 20 ]; do add manual "$(day 2024-12-12 $((i * 10)))" 14; i=$((i + 1)); done
for i in 0 10 20; do add pre-migration "$(day 2025-05-01 $i)" 09; done
NOW=2025-06-30T12:00:00Z
cp -r . ../s2dir
for rule in "daily 7d" "weekly 4w" "manual 90d" "pre-migration 30d"; do
	set -- $rule
	exits "seed 002: --type $1 --max-age $2 --delete" 0 \
	    bk-rotate -q --type $1 --max-age $2 --delete --now $NOW
done
is "daily: the last 7 days" "$(ls daily | head -1) $(ls daily | wc -l)" \
    "budget_daily_20250624_020000.sql.gz 6"
is "weekly: the last 4 weeks" "$(ls weekly | head -1) $(ls weekly | wc -l)" \
    "budget_weekly_20250608_030000.sql.gz 4"
is "manual: the last 90 days" "$(ls manual | head -1) $(ls manual | wc -l)" \
    "budget_manual_20250401_140000.sql.gz 9"
is "pre-migration: all too old, the newest stays" "$(ls pre-migration)" \
    "budget_pre-migration_20250521_090000.sql.gz"
is "the manifest follows" "$(wc -l <manifest.jsonl)" 20
# The names hold times without a zone, read in local time: the
# manifest's are UTC, so the comparison is made in UTC, whatever the
# machine's zone.
cd ../s2dir && rm manifest.jsonl
TZ=UTC; export TZ
for rule in "daily 7d" "weekly 4w" "manual 90d" "pre-migration 30d"; do
	set -- $rule
	bk-rotate -q --dir $1 --max-age $2 --delete --now $NOW
done
is "the same by folder (--dir)" "$(ls -R daily weekly manual pre-migration | md5sum)" \
    "$(cd ../s2 && ls -R daily weekly manual pre-migration | md5sum)"
cd "$T"

# --- seed 003: file names carry local time (Brazil); 7/30/365 days.  Its
# backup script writes an MD5 checksum of each daily dump.
TZ=America/Sao_Paulo
export TZ
mkdir -p s3/backups/daily s3/backups/weekly s3/backups/monthly && cd s3
i=0; while [ $i -lt 20 ]; do
	f=backups/daily/erp_backup_daily_$(day 2025-11-01 $i)_020000.sql.gz
	echo "-- dump $i" | gzip >$f && md5sum $f >$f.md5
	i=$((i + 1)); done
i=0; while [ $i -lt 10 ]; do
	touch backups/weekly/erp_backup_weekly_$(day 2025-09-14 $((i * 7)))_030000.sql.gz; i=$((i + 1)); done
for m in 2024_06 2024_07 2024_08 2024_09 2024_10 2024_11 2024_12 2025_01 2025_02 \
    2025_03 2025_04 2025_05 2025_06 2025_07 2025_08 2025_09 2025_10 2025_11; do
	touch backups/monthly/erp_backup_monthly_${m}_01_040000.sql.gz
done
NOW="2025-11-20 03:00"
# A checksum carries its dump's date in its name: counted as a backup, it
# would take the place of the dump on its day.
run bk-rotate --dir backups/daily --keep-daily 7 --now "$NOW"
is "a count rule counts the dumps, not their checksums" \
    "$(grep -c '^keep [^ ]*_020000\.sql\.gz (daily snapshot)$' "$T/out") $(grep -c '^keep' "$T/out")" "7 7"
is "each dump removed takes its checksum along" \
    "$(grep -c '^remove [^ ]*\.sql\.gz (no rule keeps it)$' "$T/out") $(grep -c '^remove [^ ]*\.md5 (checksum of ' "$T/out") $(wc -l <"$T/out")" \
    "13 13 33"
for rule in "daily 7d" "weekly 30d" "monthly 365d"; do
	set -- $rule
	exits "seed 003: --dir backups/$1 --max-age $2 --delete" 0 \
	    bk-rotate -q --dir backups/$1 --max-age $2 --delete --now "$NOW"
done
is "daily: 7 days" "$(ls backups/daily | head -1) $(ls backups/daily/*.gz | wc -l)" \
    "erp_backup_daily_20251114_020000.sql.gz 7"
is "each with its MD5 checksum, and no other" "$(ls backups/daily/*.md5 | wc -l)" 7
ok "md5sum -c accepts the checksums kept" sh -c 'md5sum -c --quiet backups/daily/*.md5'
is "weekly: 30 days" "$(ls backups/weekly | head -1) $(ls backups/weekly | wc -l)" \
    "erp_backup_weekly_20251026_030000.sql.gz 4"
is "monthly: 365 days" "$(ls backups/monthly | head -1) $(ls backups/monthly | wc -l)" \
    "erp_backup_monthly_2024_12_01_040000.sql.gz 12"
cd "$T"

# --- seed 000's monthly folders: backups/YYYY_MM/, keep 12.
mkdir -p s0/backups && cd s0
for y in 2023 2024 2025; do
	for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
		[ $y$m -gt 202506 ] && continue
		mkdir backups/${y}_$m
		gen_text 500 >backups/${y}_$m/backup_${y}_$m.csv
	done
done
run bk-rotate --dir backups --keep-monthly 12
is "monthly folders: 12 kept" "$(grep -c '^keep' "$T/out")" 12
like "folders are entries" "$T/out" '^keep 2025_06 \(monthly snapshot\)$'
like "the thirteenth month goes" "$T/out" '^remove 2024_06 \(no rule keeps it\)$'
exits "monthly folders: --delete" 0 bk-rotate -q --dir backups --keep-monthly 12 --delete
is "12 folders remain, with their files" "$(ls backups | head -1) $(ls backups | wc -l) $(ls backups/*/*.csv | wc -l)" \
    "2024_07 12 12"
done_testing
