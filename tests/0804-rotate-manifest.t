#!/bin/sh
# bk-rotate with the manifests bk-manifest writes: entries added with
# their dates, rotated, listed again; and
# additions running while a rotation rewrites the manifest lose nothing.
. "$(dirname "$0")/lib.sh"
command -v bk-manifest >/dev/null 2>&1 || skip_all "bk-manifest not built"

mkdir daily weekly
for d in 01 02 03 04 05 06 07 08 09 10 11 12 13 14; do
	gen_text 300 | sed '$d' >daily/db_202501$d.csv
	bk-manifest -q add -T daily --created 2025-01-${d}T02:00:00-03:00 daily/db_202501$d.csv ||
		fail "bk-manifest add daily/db_202501$d.csv"
done
for d in 20241201 20241208 20241215 20241222 20241229 20250105 20250112; do
	gen_text 200 | sed '$d' >weekly/db_${d}_030000.csv
	bk-manifest -q add -T weekly --created "$(echo $d | sed 's/\(....\)\(..\)/\1-\2-/')T03:00:00Z" \
	    weekly/db_${d}_030000.csv || fail "bk-manifest add weekly/db_$d"
done
is "21 entries" "$(bk-manifest list -F tsv | wc -l)" 21

exits "rotate by type: daily" 0 bk-rotate -q -T daily --keep-daily 7 --delete --now 2025-01-15T00:00:00Z
exits "rotate by type: weekly" 0 bk-rotate -q -T weekly --keep-weekly 4 --delete --now 2025-01-15T00:00:00Z
bk-manifest list -F tsv | awk -F '\t' '{ print $NF }' | sort >listed
{ ls daily | sed 's|^|daily/|'; ls weekly | sed 's|^|weekly/|'; } | sort >present
same "bk-manifest lists exactly the files left" listed present
is "7 daily and 4 weekly" "$(grep -c daily/ listed) $(grep -c weekly/ listed)" "7 4"
is "the oldest daily left" "$(head -1 listed)" daily/db_20250108.csv
run bk-manifest info daily/db_20250114.csv
is "bk-manifest reads the rewritten manifest" "$rc" 0

# Four writers add 25 backups each while rotations rewrite the manifest.
mkdir new
i=0
while [ $i -lt 100 ]; do gen_text 50 | sed '$d' >new/n_$i.csv; i=$((i + 1)); done
for w in 0 1 2 3; do
	( i=$w; while [ $i -lt 100 ]; do
		bk-manifest -q add -T new --created 2030-01-01T00:00:00Z new/n_$i.csv || echo "add $i failed"
		i=$((i + 4))
	done ) >writer$w.log 2>&1 &
done
n=0
while [ $n -lt 10 ]; do
	bk-rotate -q -T daily --keep-last 1 --delete -w 30 --now 2025-01-15T00:00:00Z ||
		echo "rotate failed" >>writer0.log
	n=$((n + 1))
done
wait
empty "no writer and no rotation failed" writer0.log
cat writer1.log writer2.log writer3.log >writers.log
empty "no other writer failed" writers.log
is "every addition is in the manifest" "$(bk-manifest list -T new -F tsv | wc -l)" 100
is "the rotation did its part" "$(bk-manifest list -T daily -F tsv | wc -l) $(ls daily | wc -l)" "1 1"
done_testing
