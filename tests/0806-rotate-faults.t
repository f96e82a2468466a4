#!/bin/sh
# bk-rotate --delete under faults: the manifest is rewritten (written,
# synced, renamed) before any file goes, so a full disk, an I/O error or a
# kill never leaves it naming a file that is gone.
. "$(dirname "$0")/lib.sh"
need cc

NOW=2025-01-10T00:00:00Z
ROT="bk-rotate -q --keep-last 2 --delete --now $NOW"
# tree DIR: five daily backups, each with its manifest line.
tree() {
	mkdir -p "$1/daily"
	for d in 01 02 03 04 05; do
		: >"$1/daily/db_202501$d.sql"
		printf '{"path":"daily/db_202501%s.sql","created":"2025-01-%sT02:00:00Z","type":"daily"}\n' $d $d
	done >"$1/manifest.jsonl"
}
# listed_exist: every line of the manifest names a file that is there.
listed_exist() {
	bk-manifest --strict list -F tsv >"$T/listed" 2>&1 || return 1
	awk -F '\t' '{ print $NF }' "$T/listed" | while read -r p; do
		[ -e "$p" ] || { echo "listed, gone: $p"; return 1; }
	done
}
all5="db_20250101.sql db_20250102.sql db_20250103.sql db_20250104.sql db_20250105.sql"
notmp() { test -z "$(ls -A | grep '^\.manifest\.jsonl\.bk-')"; }

# faults CASE SPEC CODE: the fault stops the rotation with CODE before
# anything is removed.
faults() {
	rm -rf "$T/f" && tree "$T/f" && cd "$T/f" || exit 1
	cp manifest.jsonl before
	run faulty "$2" $ROT
	is "$1: exit $3" "$rc" "$3"
	like "$1: one error line" "$T/err" '^bk-rotate: error: '
	same "$1: the manifest unchanged" manifest.jsonl before
	is "$1: nothing removed" "$(echo $(ls daily))" "$all5"
	ok "$1: no temporary left" notmp
	cd "$T" || exit 1
}
faults "the new manifest cannot be written" "write:.manifest.jsonl.bk-:1:enospc" 74
faults "a write of it cut short" "write:.manifest.jsonl.bk-:1:short" 74
faults "its fsync fails" "fsync:.manifest.jsonl.bk-:1:eio" 74
faults "its rename fails" "rename:.manifest.jsonl.bk-:1:eio" 73

# A kill after the rename, before the files: they stay, without lines
# (bk-verify reports them), and no line names a file that is gone.
rm -rf f && tree f && cd f || exit 1
run faulty "unlinkat:db_:1:kill" $ROT
is "killed before the first removal: 137" "$rc" 137
is "... the manifest keeps two lines" "$(wc -l <manifest.jsonl)" 2
is "... every file still there" "$(echo $(ls daily))" "$all5"
ok "... no line names a file that is gone" listed_exist
run bk-verify
like "... bk-verify reports the files left without a line" "$T/out" \
    '^FAIL daily/db_20250101\.sql: not in the manifest'
cd "$T" || exit 1
# A kill after the first removal: the same.
rm -rf f && tree f && cd f || exit 1
run faulty "unlinkat:db_:2:kill" $ROT
is "killed after the first removal: 137" "$rc" 137
is "... one file gone" "$(ls daily | wc -l)" 4
ok "... no line names a file that is gone" listed_exist
cd "$T" || exit 1

# A removal that fails after the lines went: its line comes back (at the
# end), the others go, exit 74.
rm -rf f && tree f && cd f || exit 1
run faulty "unlinkat:db_20250102:1:eio" bk-rotate --keep-last 2 --delete --now $NOW
is "a removal fails: exit 74" "$rc" 74
like "... reported" "$T/err" \
    '^bk-rotate: warning: could not remove "daily/db_20250102\.sql" in ".*": Input/output error$'
is "... that file stays, the others go" "$(echo $(ls daily))" "db_20250102.sql db_20250104.sql db_20250105.sql"
is "... and keeps its line, now the last" "$(tail -1 manifest.jsonl)" \
    '{"path":"daily/db_20250102.sql","created":"2025-01-02T02:00:00Z","type":"daily"}'
ok "... no line names a file that is gone" listed_exist
is "... three lines" "$(wc -l <manifest.jsonl)" 3
cd "$T" || exit 1

# A line too long to rewrite (65) now stops the rotation before it removes
# anything.
rm -rf f && tree f && cd f || exit 1
{ printf '{"path":"big","created":"2025-01-01T00:00:00Z","pad":"'
  head -c 1100000 /dev/zero | tr '\0' x; printf '"}\n'; } >>manifest.jsonl
run $ROT
is "a line longer than 1 MiB: exit 65" "$rc" 65
is "... nothing removed" "$(echo $(ls daily))" "$all5"
cd "$T" || exit 1

# A full disk for real, as root: a tmpfs of 64 KiB, filled.  The backups
# are empty files, so removing them frees no room for the new manifest.
if tmpfs_mount mnt 64k; then
	tree mnt && cd mnt || exit 1
	cp manifest.jsonl "$T/before"
	cat /dev/zero >.fill 2>/dev/null
	run $ROT
	is "full disk: exit 74" "$rc" 74
	like "... saying why" "$T/err" '^bk-rotate: error: could not write ".*\.manifest\.jsonl\.bk-[^"]*": No space left on device$'
	same "... the manifest unchanged" manifest.jsonl "$T/before"
	is "... nothing removed" "$(echo $(ls daily))" "$all5"
	ok "... no temporary left" notmp
	rm .fill
	exits "room again: 0" 0 $ROT
	is "... two backups left" "$(echo $(ls daily))" "db_20250104.sql db_20250105.sql"
	ok "... and listed" listed_exist
	is "... two lines" "$(wc -l <manifest.jsonl)" 2
	cd "$T" || exit 1
else
	skip "full disk on a tmpfs: $tmpfs_why"
fi

done_testing
