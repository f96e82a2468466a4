#!/bin/sh
# A full disk, for real: a small tmpfs (root only) holds the outputs, then
# the backup tree and its manifest, then TMPDIR.  A tool that meets ENOSPC
# fails with 74 (73 when it cannot even create), leaves nothing at its
# output path and no temporary file, and gives the space back; the
# invariants of faults/lib.sh hold after each run.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "not root: no tmpfs to fill (mount needs root)"
need mount umount sqlite3
mkdir full
mount -t tmpfs -o size=256k,mode=0700 bk-test-full "$T/full" 2>mount.err ||
    skip_all "could not mount a tmpfs: $(head -1 mount.err)"
trap 'cd /; umount "$T/full" 2>/dev/null; rm -rf "$T"' EXIT
. "$TESTS/faults/lib.sh"
F=$T/full

# run_plain CMD...: as faulty, without a fault.
run_plain() {
	TMPDIR=$R_TMP "$@" >"$T/run.out" 2>"$T/run.err"
	R_RC=$?
}
# fill: takes every free block of the tmpfs (zeros: no backup).
fill() { cat /dev/zero >"$F/filler" 2>/dev/null; }
# The exit of a run that met a full disk.
want_enospc() {
	case $R_RC in
	73|74)	grep -Eq 'No space left on device|disk is full' "$T/run.err" ||
		    viol exit "exit $R_RC, without saying the disk is full: $(head -1 "$T/run.err")" ;;
	*)	viol exit "exit $R_RC on a full disk, wanted 74 (or 73)" ;;
	esac
}
# The run gave its space back: nothing but the filler on the disk.
emptied() {
	_left=$(cd "$F" && find . -mindepth 1 ! -name filler | tr '\n' ' ')
	[ -z "$_left" ] || viol tmp "left on the full disk: $_left"
}
# A fault (a full disk) was met: check_run must not call the run's
# failure a run without a fault.
met() { echo "enospc" >"$T/fault.log"; }

# ---- outputs bigger than the disk ----
gen_random 400000 >rand.bin
{ echo 'id,blob'; od -An -tx1 -v rand.bin | awk '{ print NR "," $1 $2 $3 $4 $5 $6 $7 $8 }'; } >big.csv
sqlite3 big.db "CREATE TABLE t (b BLOB); INSERT INTO t SELECT randomblob(1000)
    FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s
    WHERE i < 400) SELECT i FROM s);"
bk-crypt --keygen -q -o key.txt && bk-crypt -y -i key.txt >key.pub ||
    { echo "Bail out! no age key"; exit 1; }
while read -r name out cmd; do
	begin_run "$F" tool append "$out"
	met
	run_plain sh -c "$cmd" -- "$F/$out"
	check_run
	want_enospc
	emptied
	report_run "$name to a full disk: exit $R_RC"
	rm -rf "${F:?}"/* "$F"/.[!.]* 2>/dev/null
done <<EOF
bk-gz out.gz bk-gz -1 -o "\$1" $T/rand.bin
bk-gz-d out.bin bk-gz -c $T/rand.bin | bk-gz -d -o "\$1"
bk-csv out.csv bk-csv -o "\$1" $T/big.csv
bk-crypt out.age bk-crypt -R $T/key.pub -o "\$1" $T/rand.bin
bk-dump out.csv bk-dump -D sqlite:$T/big.db --table t -o "\$1"
bk-dump-F-sqlite out.db bk-dump -D sqlite:$T/big.db -F sqlite -o "\$1"
bk-sum-tee out.bin bk-sum --tee -o "\$1" <$T/rand.bin
EOF

# ---- the manifest's folder is full ----
# tree: a tree on the tmpfs, its manifest ending ROOM bytes before the
# end of a 4 KiB page (tmpfs allocates whole pages), and a new file to add.
tree() {
	rm -rf "${F:?}"/* "$F"/.[!.]* 2>/dev/null
	new_tree "$F"
	printf 'id,v\n1,%s\n' "$(printf 'p%.0s' $(seq 1 50))" >"$F/daily/pad.csv"
	bk-manifest -q -m "$F/manifest.jsonl" add --description x "$F/daily/pad.csv"
	$PY - "$F/manifest.jsonl" "$1" <<'PY'
import json, sys
path, room = sys.argv[1], int(sys.argv[2])
lines = open(path, 'rb').read().split(b'\n')[:-1]
o = json.loads(lines[-1])
size = sum(len(l) + 1 for l in lines)
want = (size // 4096 + 2) * 4096 - room
o['description'] += 'x' * (want - size)
lines[-1] = json.dumps(o, separators=(',', ':')).encode()
open(path, 'wb').write(b''.join(l + b'\n' for l in lines))
PY
	printf 'id,v\n1,new\n' >"$F/daily/new_20250630.csv"
}

# full_add ROOM EXPECT NAME [TODO REGEX]: bk-manifest add of a new file
# on the full disk, the manifest's last page with ROOM bytes free; EXPECT
# is ok (the line fits) or enospc.
full_add() {
	tree "$1"
	fill
	begin_run "$F" pipeline append daily/new_20250630.csv
	[ "$2" = ok ] || met
	run_plain bk-manifest -m "$F/manifest.jsonl" add "$F/daily/new_20250630.csv"
	check_run
	if [ "$2" = ok ]; then
		[ "$R_RC" = 0 ] ||
		    viol exit "exit $R_RC, though the line fits: $(head -1 "$T/run.err")"
	else
		want_enospc
		! listed daily/new_20250630.csv ||
		    viol exit "exit $R_RC, and the file is listed"
	fi
	report_run "add, $3: exit $R_RC" "${4:-}" "${5:-}"
}
full_add 400 ok "the line fits in the last page of a full disk"
full_add 0 enospc "no room for the line"
# The kernel writes what fits, then says ENOSPC.
full_add 40 enospc "room for part of the line"

# adopt, the same.
tree 40
mkdir "$F/found" && printf 'a\n1\n' >"$F/found/x.csv"
fill
begin_run "$F" pipeline append found/x.csv daily/new_20250630.csv
met
run_plain bk-manifest -q -m "$F/manifest.jsonl" adopt "$F"
check_run
want_enospc
report_run "adopt, room for part of a line: exit $R_RC"

# The rewrites need room for a whole copy of the manifest.
tree 0
fill
begin_run "$F" pipeline rewrite
met
run_plain bk-verify -q --record -m "$F/manifest.jsonl"
check_run
want_enospc
report_run "bk-verify --record on a full disk: exit $R_RC"

tree 0
fill
begin_run "$F" pipeline append
met
run_plain bk-manifest -q -m "$F/manifest.jsonl" remove daily/old_20250101.csv
check_run
want_enospc
report_run "remove on a full disk: exit $R_RC"

# bk-rotate --delete: what it deletes (a page) frees less than the
# rewrite needs (the manifest takes three).
tree 0
printf 'o\n1\n' >"$F/daily/old_20241231.csv"
bk-manifest -q -m "$F/manifest.jsonl" add -T daily --created 2024-12-31 \
    "$F/daily/old_20241231.csv"
fill
begin_run "$F" pipeline delete
met
run_plain bk-rotate -q -m "$F/manifest.jsonl" -T daily --keep-last 2 --delete \
    --now 2025-06-30T00:00:00Z
check_run
want_enospc
report_run "bk-rotate --delete on a full disk: exit $R_RC"

# bk-restore: no room for the safety backup, so nothing is restored.
tree 0
sqlite3 "$F/daily/b.db" "CREATE TABLE t (v); INSERT INTO t VALUES ('b')"
rm -f "$F/filler"
bk-manifest -q -m "$F/manifest.jsonl" add "$F/daily/b.db"
mkdir live
sqlite3 live/a.db "CREATE TABLE t (v); INSERT INTO t SELECT randomblob(3000)
    FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s
    WHERE i < 200) SELECT i FROM s);"
sqlite3 live/a.db "SELECT count(*) FROM t" >live.before
fill
begin_run "$F" pipeline append
met
run_plain bk-restore -q --yes -m "$F/manifest.jsonl" -D "sqlite:$T/live/a.db" \
    "$F/daily/b.db"
check_run
want_enospc
sqlite3 live/a.db "SELECT count(*) FROM t" >live.after
cmp -s live.before live.after || viol restore "the live database changed"
report_run "bk-restore, no room for the safety backup: exit $R_RC"

# ---- TMPDIR is full: the private copy of an SQLite database ----
rm -rf "${F:?}"/* "$F"/.[!.]* 2>/dev/null
mkdir tree2
cp big.db tree2/big.db
bk-manifest -q -m tree2/manifest.jsonl add tree2/big.db
mkdir "$F/tmp"
fill
cp big.db tree2/big2.db
for cmd in "bk-verify -q -m $T/tree2/manifest.jsonl" \
    "bk-manifest -m $T/tree2/manifest.jsonl add $T/tree2/big2.db" \
    "bk-restore -n -q -m $T/tree2/manifest.jsonl -D sqlite:$T/live/a.db $T/tree2/big.db" \
    "bk-restore -q --yes --no-safety-backup -m $T/tree2/manifest.jsonl -D sqlite:$T/live/a.db $T/tree2/big.db"; do
	begin_run "$T/tree2" pipeline append
	met
	R_TMP=$F/tmp
	run_plain $cmd
	check_run
	# bk-verify says FAIL with the reason; the others, an I/O error.
	case ${cmd%% *}:$R_RC in
	bk-verify:1|*:74) ;;
	*)	viol exit "exit $R_RC, wanted 74 (bk-verify: 1): $(head -1 "$T/run.err")" ;;
	esac
	sqlite3 live/a.db "SELECT count(*) FROM t" >live.after
	cmp -s live.before live.after || viol restore "the live database changed"
	R_TMP=$T/tmp.run
	report_run "TMPDIR full: ${cmd%% -*}: exit $R_RC"
done

done_testing
