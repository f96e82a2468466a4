#!/bin/sh
# bk-manifest adopt: seed 002's "organise" of backups made before bk.
. "$(dirname "$0")/lib.sh"
need gzip zstd sha256sum age age-keygen sqlite3
TZ=America/Sao_Paulo; export TZ

mkdir -p backups/daily backups/weekly backups/2024_09 backups/old
cd backups || exit 1
printf 'id\n1\n' | gzip >daily/backup_20250627_143022.sql.gz
printf '%s\n' '-- x' 'CREATE TABLE t (a int);' | gzip >daily/backup_20250627_143022.sql.gz
printf 'CREATE TABLE t (a int);\n' | gzip >weekly/daily-2025-06-27.sql.gz
printf 'type,id,valor\npagamento,1,10.00\nsessao,2,20.00\n' >2024_09/backup_2024_09.csv
printf 'CREATE TABLE u (a int);\n' >old/erp_backup.sql
touch -d '2025-03-04 05:06:07' old/erp_backup.sql
printf 'not a backup\n' >backup_report_20250627.txt
printf 'log\n' >rotation.log
printf 'x\n' >.hidden.sql
bk-manifest add --created 2025-06-28T02:00:00-03:00 -T daily daily/backup_20250627_143022.sql.gz 2>/dev/null
bk-manifest -q remove daily/backup_20250627_143022.sql.gz

run bk-manifest adopt -n .
is "dry run exits 0" "$rc" 0
cat >want <<'EOF2'
would adopt 2024_09/backup_2024_09.csv manual 2024-09-01T00:00:00-03:00
would adopt old/erp_backup.sql manual 2025-03-04T05:06:07-03:00
would adopt weekly/daily-2025-06-27.sql.gz weekly 2025-06-27T00:00:00-03:00
would adopt daily/backup_20250627_143022.sql.gz daily 2025-06-27T14:30:22-03:00
EOF2
same "dry run: dates from names, else mtime; type from the folder" "$T/out" want
is "dry run changes nothing" "$(cat manifest.jsonl)" ""

run bk-manifest adopt -u admin .
is "adopt exits 0" "$rc" 0
sed 's/^would adopt/adopted/' want >want2
same "adopt says what it adopted" "$T/out" want2
is "four lines" "$(wc -l <manifest.jsonl)" 4
like "created from the name, in the local offset" manifest.jsonl \
    '"path":"daily/backup_20250627_143022.sql.gz","created":"2025-06-27T14:30:22-03:00","type":"daily"'
like "monthly folder file" manifest.jsonl \
    '"path":"2024_09/backup_2024_09.csv","created":"2024-09-01T00:00:00-03:00","type":"manual",.*"records":2'
like "created_by given" manifest.jsonl '"created_by":"admin"'
unlike "reports and logs are not backups" manifest.jsonl 'report|rotation|hidden'
run bk-manifest adopt .
is "adopting again adopts nothing" "$(cat "$T/out")" ""
is "... and succeeds" "$rc" 0
empty "... silently" "$T/err"
is "... and adds nothing" "$(wc -l <manifest.jsonl)" 4

# --move puts each file into its type's folder; --type overrides.
mkdir -p scattered
printf 'CREATE TABLE v (a int);\n' >scattered/pre_v2.3.1_20250701_101500.sql
printf 'CREATE TABLE w (a int);\n' >scattered/manual-2025-07-02.sql
mode_before=$(mode scattered/manual-2025-07-02.sql)
run bk-manifest adopt --move -T pre-migration scattered
is "adopt --move exits 0" "$rc" 0
ok "moved into pre-migration/" test -f pre-migration/pre_v2.3.1_20250701_101500.sql
ok "... and gone from where it was" test ! -e scattered/pre_v2.3.1_20250701_101500.sql
like "listed under its new path" manifest.jsonl \
    '"path":"pre-migration/pre_v2.3.1_20250701_101500.sql","created":"2025-07-01T10:15:00-03:00","type":"pre-migration"'
is "moved file mode kept" "$(mode pre-migration/manual-2025-07-02.sql)" "$mode_before"
# A name already taken in the type folder is never replaced.
mkdir -p manual
printf 'A\n' >manual/same.sql
printf 'CREATE TABLE z (a int);\n' >scattered/same.sql
run bk-manifest adopt --move scattered
is "a clash is a failure" "$rc" 1
like "... saying so" "$T/err" 'could not move "scattered/same.sql" to'
is "... the existing file untouched" "$(cat manual/same.sql)" A
ok "... the scattered file still there" test -f scattered/same.sql

# A broken file is not adopted; the rest is.
printf 'garbage' | gzip | head -c 10 >daily/broken_20250629.sql.gz
printf 'CREATE TABLE ok (a int);\n' >daily/fine_20250630.sql
run bk-manifest adopt daily
is "a broken file makes adopt fail" "$rc" 1
like "... naming it" "$T/err" 'not adopted: "daily/broken_20250629.sql.gz"'
like "the good one is adopted" manifest.jsonl '"path":"daily/fine_20250630.sql"'
unlike "the broken one is not" manifest.jsonl 'broken_'

cd ..

# Which files adopt takes (bk_backup_file, the rule bk-verify's scan uses):
# a backup's name, or the first bytes of gzip, age, SQLite or a pg_dump
# archive.  Sums, keys, notes, locks and hidden names stay out.
mkdir rule
age-keygen -o rule/identity.txt 2>/dev/null
while read -r want how file; do
	mkdir -p "rule/$(dirname "$file")"
	case $how in
	sql)	printf 'CREATE TABLE t (a int);\n' >"rule/$file" ;;
	gzip)	printf 'CREATE TABLE t (a int);\n' | gzip >"rule/$file" ;;
	zstd)	printf 'CREATE TABLE t (a int);\n' | zstd -q >"rule/$file" ;;
	sqlzst)	sqlite3 "rule/$file.tmp" 'create table t(a);' &&
		    zstd -q --rm "rule/$file.tmp" -o "rule/$file" ;;
	sqlite)	sqlite3 "rule/$file" 'create table t(a);' ;;
	age)	printf 'x\n' | age -r "$(age-keygen -y rule/identity.txt)" >"rule/$file" ;;
	# A real archive: adopt has pg_restore read it whole.  Without the
	# test server there is none to make.
	pgdmp)	[ -n "${BK_TEST_PG:-}" ] || continue
		psql -Xq -c 'CREATE TABLE IF NOT EXISTS bk_adopt_0605 (a int)' &&
		    pg_dump -Fc -t bk_adopt_0605 >"rule/$file" ;;
	sum)	(cd rule && sha256sum identity.txt) >"rule/$file" ;;
	pub)	age-keygen -y rule/identity.txt >"rule/$file" ;;
	text)	printf 'Backups of erp, made by cron.\n' >"rule/$file" ;;
	empty)	: >"rule/$file" ;;
	esac
	echo "$want $file"
done >rule.want <<'EOF2'
adopt	sql	old/OLD_BACKUP.SQL
adopt	gzip	daily/erp_20250101.sql.gz
adopt	gzip	daily/erp-20250102
adopt	zstd	daily/erp_20250106.sql.zst
adopt	zstd	daily/erp_20250107.DUMP.ZST
adopt	zstd	daily/erp-20250108
adopt	sqlzst	chame_20250109.db.zst
adopt	sqlite	chame-copy
adopt	age	offsite/erp_20250103.bin
adopt	pgdmp	erp_20250104.pgc
skip	sum	daily/erp_20250101.sql.gz.sha256
skip	sum	SHA256SUMS
skip	pub	recipients
skip	text	README
skip	text	rotation.log
skip	empty	backup.lock
skip	gzip	.hidden/erp_20241231.sql.gz
skip	sum	daily/erp_20250106.sql.zst.sha256
skip	sql	.erp_20250105.sql.bk-Ab12Cd
EOF2
run bk-manifest -m rule/manifest.jsonl adopt -n rule
is "the rule's dry run exits 0" "$rc" 0
while read -r want file; do
	if grep -q "^would adopt $file " out; then got=adopt; else got=skip; fi
	is "$file: $want" "$got" "$want"
done <rule.want
unlike "the identity is no backup" out 'identity'
exits "adopting them exits 0" 0 bk-manifest -q -m rule/manifest.jsonl adopt rule
exits "...and bk-verify finds nothing left unlisted" 0 bk-verify -q -m rule/manifest.jsonl
errline "adopt outside the tree" 65 "could not adopt \"backups\": .*outside" \
    bk-manifest -m backups/daily/m.jsonl adopt backups
errline "adopt a missing folder" 66 'could not open folder "nope"' \
    bk-manifest -m backups/manifest.jsonl adopt nope
done_testing
