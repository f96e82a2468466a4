#!/bin/sh
# bk-verify -M, what watching needs beyond the backups: the last restore
# drill per type, read from the manifest lines' "drill" field as
# bk-restore --scratch records it (bk-manifest(5)), and the file system
# of the tree, compared with what stat(1) -f reads from statvfs.
. "$(dirname "$0")/lib.sh"
need stat

mkdir -p tree/daily tree/weekly tree/manual
for f in daily/a daily/b daily/c weekly/w manual/m; do
	printf 'id,v\n1,%s\n' "$f" >"tree/$f.csv"
done
# drill TIME RESULT: the field as bk-restore --scratch writes it.
drill() {
	printf '"drill":{"time":"%s","result":"%s","records":1,"tables":{"t":1},"checksum":"%s"}' \
	    "$1" "$2" 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
}
# The daily drills: a passed, then c failed later; b was never drilled.
# The newest line is not the newest drill: the order is by drill time.
{
	manifest_line -d tree daily/a.csv 2024-09-01T02:00:00Z daily \
	    "$(drill 2024-09-02T03:00:00Z ok)"
	manifest_line -d tree daily/c.csv 2024-09-03T02:00:00Z daily \
	    "$(drill 2024-09-05T03:00:00+02:00 failed)"
	manifest_line -d tree daily/b.csv 2024-09-04T02:00:00Z daily
	manifest_line -d tree weekly/w.csv 2024-09-01T03:00:00Z weekly
	manifest_line -d tree manual/m.csv 2024-09-01T04:00:00Z manual \
	    "$(drill 2024-09-01T05:00:00Z ok)"
} >tree/manifest.jsonl
M="-m tree/manifest.jsonl"
t_a=$(date -u -d 2024-09-02T03:00:00Z +%s)
t_c=$(date -u -d 2024-09-05T01:00:00Z +%s)
t_m=$(date -u -d 2024-09-01T05:00:00Z +%s)
exits "bk-verify -M: exit 0" 0 bk-verify -q $M -M out.prom
grep '^bk_drill' out.prom >got
cat >want <<EOF2
bk_drill_last_timestamp_seconds{type="daily"} $t_c
bk_drill_last_timestamp_seconds{type="weekly"} 0
bk_drill_last_timestamp_seconds{type="manual"} $t_m
bk_drill_last_ok{type="daily"} 0
bk_drill_last_ok{type="weekly"} 0
bk_drill_last_ok{type="manual"} 1
bk_drill_last_success_timestamp_seconds{type="daily"} $t_a
bk_drill_last_success_timestamp_seconds{type="weekly"} 0
bk_drill_last_success_timestamp_seconds{type="manual"} $t_m
EOF2
same "the drills per type: the newest (its offset counted), its result, the newest that passed" got want
like "each a gauge with its help" out.prom '^# TYPE bk_drill_last_ok gauge$'

# The file system: its size is the one stat(1) reads; what is free moves
# with other writers, so it is only bounded.
dir=$(cd tree && pwd -P)
total=$(stat -f -c '%b %S' tree | awk '{ printf "%.0f\n", $1 * $2 }')
like "the tree's file system size, labelled with its folder" out.prom \
    "^bk_filesystem_size_bytes\\{path=\"$dir\"\\} $total\$"
avail=$(sed -n 's/^bk_filesystem_avail_bytes{path="[^"]*"} //p' out.prom)
ok "what is free: more than 0, at most the size" \
    [ "${avail:-0}" -gt 0 ] && [ "$avail" -le "$total" ]

# -T: the type's drills only.
exits "-T daily: exit 0" 0 bk-verify -q $M -T daily -M t.prom
is "... one type's drill lines" "$(grep -c '^bk_drill.*{' t.prom)" 3
like "... daily's" t.prom "^bk_drill_last_success_timestamp_seconds\\{type=\"daily\"\\} $t_a\$"
# A file named: the drills of all the type's lines still count.
exits "one file named: exit 0" 0 bk-verify -q $M -M f.prom tree/daily/b.csv
like "... the type's drills from the other lines" f.prom \
    "^bk_drill_last_timestamp_seconds\\{type=\"daily\"\\} $t_c\$"

# A drill field that is not one is a bad line, as a bad "verified" is.
cp tree/manifest.jsonl good.jsonl
while IFS='|' read -r name field; do
	cp good.jsonl tree/manifest.jsonl
	manifest_line -d tree weekly/w.csv 2024-09-02T03:00:00Z weekly "$field" \
	    >>tree/manifest.jsonl
	run bk-verify $M -M bad.prom
	is "a drill $name: exit 1" "$rc" 1
	like "... a FAIL line naming the field" out \
	    'FAIL .*manifest\.jsonl:6: field "drill" is not an object with a result ok or failed$'
	like "... counted" bad.prom '^bk_verify_bad_lines 1$'
done <<EOF2
that is a string|"drill":"ok"
without a result|"drill":{"time":"2024-09-02T03:00:00Z"}
with the result of a verification|"drill":{"time":"2024-09-02T03:00:00Z","result":"fail"}
EOF2
# A drill that does not say when it ran counts for no time.
for field in '"drill":{"result":"ok"}' '"drill":{"time":"yesterday","result":"ok"}'; do
	cp good.jsonl tree/manifest.jsonl
	manifest_line -d tree weekly/w.csv 2024-09-02T03:00:00Z weekly "$field" \
	    >>tree/manifest.jsonl
	exits "a drill $field: exit 0" 0 bk-verify -q $M -M notime.prom
	like "... no weekly drill" notime.prom \
	    '^bk_drill_last_timestamp_seconds\{type="weekly"\} 0$'
done
cp good.jsonl tree/manifest.jsonl
manifest_line -d tree weekly/w.csv 2024-09-02T03:00:00Z weekly '"drill":null' \
    >>tree/manifest.jsonl
exits "a null drill is no drill" 0 bk-verify -q $M -M null.prom
cp good.jsonl tree/manifest.jsonl

# bk-manifest keeps the field through a rewrite (bk-verify --record).
exits "--record: exit 0" 0 bk-verify -q $M --record
is "... the drills kept" "$(grep -c '"drill":{"time"' tree/manifest.jsonl)" 3

# A checksum list has no tree: neither drills nor file system.
(cd tree && sha256sum daily/a.csv) >tree/SHA256SUMS
exits "-c: exit 0" 0 sh -c 'cd tree && bk-verify -q -c SHA256SUMS -M ../sums.prom'
unlike "... no drill or file system lines" sums.prom '^bk_(drill|filesystem)'

if command -v promtool >/dev/null 2>&1; then
	run promtool check metrics <out.prom
	is "promtool check metrics passes the file" "$rc|$(cat out err)" 0\|
else
	skip "promtool not installed (Debian's prometheus)"
fi

done_testing
