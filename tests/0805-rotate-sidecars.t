#!/bin/sh
# bk-rotate --dir counts only what looks like a backup (bk_backup_file, the
# rule of bk-manifest adopt and bk-verify), and --delete removes a backup's
# checksum files (.sha256, .sha512, .md5, .sums) with it, never a link, a
# folder, or the checksums of a backup kept.  The folders are built with
# the real peers: gzip, age, sha256sum, md5sum, and bk(7)'s recipe 5.
. "$(dirname "$0")/lib.sh"
need age age-keygen gzip sha256sum md5sum

TZ=UTC
export TZ
NOW=2025-01-31T12:00:00Z
mkdir outside && echo precious >outside/precious

# --- The reproduction: three dated encrypted dumps, each with the .sha256
# that recipe 5 writes beside it, and a README.  The README and the sums
# are newer than the dumps (they carry no date, so their time is their
# modification time): counted as backups, they would crowd the dumps out.
age-keygen -o key.txt 2>/dev/null
recipient=$(age-keygen -y key.txt)
mkdir daily
for d in 20250128 20250129 20250130; do
	f=daily/erp_$d.sql.gz.age
	printf 'SELECT %s;\n' $d | gzip | age -r "$recipient" -o "$f"
	bk-sum "$f" >"$f.sha256"
done
echo "Nightly dumps of erp, encrypted to the ops key." >daily/README

cat >want <<'EOF2'
keep erp_20250130.sql.gz.age (daily snapshot)
keep erp_20250129.sql.gz.age (daily snapshot)
remove erp_20250128.sql.gz.age (no rule keeps it)
remove erp_20250128.sql.gz.age.sha256 (checksum of erp_20250128.sql.gz.age)
EOF2
exits "--dir with a README and sums: exit 0" 0 bk-rotate --dir daily --keep-daily 2 --now $NOW
same "only the dumps are decided, their sums follow the one removed" out want
empty "nothing on stderr at normal verbosity (cron stays quiet)" err
run bk-rotate -v --dir daily --keep-daily 2 --now $NOW
sort err >err.sorted
cat >want <<'EOF2'
bk-rotate: 2 kept, 1 to remove, with 1 checksum file
bk-rotate: skipping "daily/README": does not look like a backup
bk-rotate: skipping "daily/erp_20250128.sql.gz.age.sha256": does not look like a backup
bk-rotate: skipping "daily/erp_20250129.sql.gz.age.sha256": does not look like a backup
bk-rotate: skipping "daily/erp_20250130.sql.gz.age.sha256": does not look like a backup
EOF2
same "-v: one line for each entry skipped, and the summary" err.sorted want
run bk-rotate -q --dir daily --keep-daily 2 --now $NOW
is "-q: silent" "$rc|$(cat out err)" "0|"
is "a dry run removes nothing" "$(ls daily | wc -l)" 7

exits "--dir --delete" 0 bk-rotate --dir daily --keep-daily 2 --delete --now $NOW
is "the two newest dumps, their sums and the README remain" "$(ls daily | tr '\n' ' ')" \
    "README erp_20250129.sql.gz.age erp_20250129.sql.gz.age.sha256 erp_20250130.sql.gz.age erp_20250130.sql.gz.age.sha256 "
ok "sha256sum -c accepts the sums kept" sh -c 'sha256sum -c --quiet daily/*.sha256'
is "age reads the dumps kept" "$(age -d -i key.txt daily/erp_20250130.sql.gz.age | gzip -dc)" "SELECT 20250130;"
run bk-rotate -v --dir daily --keep-daily 2 --now $NOW
like "a second run finds nothing to do" err '^bk-rotate: 2 kept, 0 to remove$'

# --- A folder with everything that is not a backup: keys, a lock, notes,
# a hidden file, a FIFO and a link named like backups, a link to the
# newest; backups known by their first bytes alone; checksum files of
# every kind, a link among them, and lookalikes that are not a backup's.
mkdir b && cd b
printf 'a\n' | gzip >shop_20250101.sql.gz
printf 'PGDMP\001\016\000\001\010' >shop_20250102.pgdump
printf 'c\n' | gzip >shop_20250103
sqlite3 app_20250104.data 'CREATE TABLE t (x)' 2>/dev/null ||
	printf 'SQLite format 3\000' >app_20250104.data
sha256sum shop_20250101.sql.gz >shop_20250101.sql.gz.sha256
{ sha256sum shop_20250101.sql.gz; sha512sum shop_20250101.sql.gz; } >shop_20250101.sql.gz.sums
ln -s "$T/outside/precious" shop_20250101.sql.gz.sha512
md5sum shop_20250102.pgdump >shop_20250102.pgdump.md5
sha256sum app_20250104.data >app_20250104.data.sha256
echo lookalike >shop_20250101.sql.gz.sha1
echo lookalike >shop_20250101.sql.gz.SHA256
echo lookalike >shop_20250101.sql.sha256
cp ../key.txt identity.txt && age-keygen -y identity.txt >recipients.txt
: >backup.lock
echo "restore with bk-restore" >NOTES.md
echo 2025-01-04 >.last-run
mkfifo erp_20250105.sql.gz
ln -s shop_20250101.sql.gz current_20250106.sql.gz
ln -s app_20250104.data latest
cd "$T"
ls -A b >b.before

cat >want <<'EOF2'
keep app_20250104.data (last snapshot)
keep shop_20250103 (last snapshot)
remove shop_20250102.pgdump (no rule keeps it)
remove shop_20250102.pgdump.md5 (checksum of shop_20250102.pgdump)
remove shop_20250101.sql.gz (no rule keeps it)
remove shop_20250101.sql.gz.sha256 (checksum of shop_20250101.sql.gz)
remove shop_20250101.sql.gz.sums (checksum of shop_20250101.sql.gz)
EOF2
run bk-rotate -v --dir b --keep-last 2 --now $NOW
same "backups by name and by content; checksums in table order" out want
sort err >err.sorted
cat >want <<'EOF2'
bk-rotate: 2 kept, 2 to remove, with 3 checksum files
bk-rotate: skipping "b/.last-run": hidden
bk-rotate: skipping "b/NOTES.md": does not look like a backup
bk-rotate: skipping "b/app_20250104.data.sha256": does not look like a backup
bk-rotate: skipping "b/backup.lock": does not look like a backup
bk-rotate: skipping "b/current_20250106.sql.gz": a symbolic link
bk-rotate: skipping "b/erp_20250105.sql.gz": not a regular file
bk-rotate: skipping "b/identity.txt": does not look like a backup
bk-rotate: skipping "b/latest": a symbolic link
bk-rotate: skipping "b/recipients.txt": does not look like a backup
bk-rotate: skipping "b/shop_20250101.sql.gz.SHA256": does not look like a backup
bk-rotate: skipping "b/shop_20250101.sql.gz.sha1": does not look like a backup
bk-rotate: skipping "b/shop_20250101.sql.gz.sha256": does not look like a backup
bk-rotate: skipping "b/shop_20250101.sql.gz.sha512": a symbolic link
bk-rotate: skipping "b/shop_20250101.sql.gz.sums": does not look like a backup
bk-rotate: skipping "b/shop_20250101.sql.sha256": does not look like a backup
bk-rotate: skipping "b/shop_20250102.pgdump.md5": does not look like a backup
EOF2
same "-v: why each other entry is skipped (the FIFO never opened)" err.sorted want
exits "--delete" 0 bk-rotate --dir b --keep-last 2 --delete --now $NOW
grep -v -x -e shop_20250101.sql.gz -e shop_20250101.sql.gz.sha256 \
    -e shop_20250101.sql.gz.sums -e shop_20250102.pgdump \
    -e shop_20250102.pgdump.md5 b.before >want
ls -A b >b.after
same "exactly the two backups and their three checksum files are gone" b.after want
is "the checksum link stays, its target untouched" \
    "$(readlink b/shop_20250101.sql.gz.sha512) $(cat outside/precious)" "$T/outside/precious precious"
ok "the FIFO and the links stay what they were" test -p b/erp_20250105.sql.gz -a -L b/latest -a -L b/current_20250106.sql.gz
ok "the sums of a backup kept are untouched" sh -c 'cd b && sha256sum -c --quiet app_20250104.data.sha256'

# --- A manifest tree built by bk-manifest add and recipe 5's bk-sum.
mkdir m && cd m && mkdir daily
for d in 01 02 03 04; do
	f=daily/erp_202501$d.sql.gz
	printf 'SELECT %s;\n' $d | gzip >$f
	bk-manifest -q add -T daily --created 2025-01-${d}T02:00:00Z $f || fail "bk-manifest add $f"
	bk-sum "$f" >"$f.sha256"
done
md5sum daily/erp_20250101.sql.gz >daily/erp_20250101.sql.gz.md5
# 02: a checksum link out of the tree and a folder named like a checksum.
ln -s "$T/outside/precious" daily/erp_20250102.sql.gz.sha512
mkdir daily/erp_20250102.sql.gz.sums && echo inside >daily/erp_20250102.sql.gz.sums/file
# 03: a run interrupted after the backup went, before its checksum did.
rm daily/erp_20250103.sql.gz
# A backup of its own that happens to be named like 01's checksum file.
printf 'w\n' | gzip >daily/erp_20250101.sql.gz.sums
bk-manifest -q add -T weekly --created 2025-01-05T03:00:00Z daily/erp_20250101.sql.gz.sums ||
	fail "bk-manifest add a weekly backup"
cp manifest.jsonl ../m.orig
cd "$T"

cat >want <<'EOF2'
keep daily/erp_20250104.sql.gz (last snapshot)
remove daily/erp_20250103.sql.gz (no rule keeps it, missing)
remove daily/erp_20250103.sql.gz.sha256 (checksum of daily/erp_20250103.sql.gz)
remove daily/erp_20250102.sql.gz (no rule keeps it)
remove daily/erp_20250102.sql.gz.sha256 (checksum of daily/erp_20250102.sql.gz)
remove daily/erp_20250101.sql.gz (no rule keeps it)
remove daily/erp_20250101.sql.gz.sha256 (checksum of daily/erp_20250101.sql.gz)
remove daily/erp_20250101.sql.gz.md5 (checksum of daily/erp_20250101.sql.gz)
EOF2
run bk-rotate -m m/manifest.jsonl -T daily --keep-last 1 --now $NOW
same "manifest: each removal with its checksum files, a missing one's too" out want
run bk-rotate -v -m m/manifest.jsonl -T daily --keep-last 1 --now $NOW
is "-v: the summary counts them" "$(cat err)" "bk-rotate: 1 kept, 3 to remove, with 4 checksum files"
exits "manifest --delete" 0 bk-rotate -m m/manifest.jsonl -T daily --keep-last 1 --delete --now $NOW
is "what remains in daily/" "$(ls m/daily | tr '\n' ' ')" \
    "erp_20250101.sql.gz.sums erp_20250102.sql.gz.sha512 erp_20250102.sql.gz.sums erp_20250104.sql.gz erp_20250104.sql.gz.sha256 "
ok "the checksum link stays a link" test -L m/daily/erp_20250102.sql.gz.sha512
is "the folder named like a checksum keeps its file" "$(cat m/daily/erp_20250102.sql.gz.sums/file)" inside
is "the link's target is untouched" "$(cat outside/precious)" precious
grep -v 'erp_2025010[123].sql.gz"' m.orig >want
same "the manifest loses the lines of the three backups only" m/manifest.jsonl want
ok "the kept backup's sum still holds" sh -c 'cd m && sha256sum -c --quiet daily/erp_20250104.sql.gz.sha256'
(cd m && bk-verify -q >../verify.out 2>&1; echo $? >../verify.st)
is "bk-verify finds the tree whole" "$(cat verify.st) $(cat verify.out)" "0 "

# --- A backup that cannot be reached keeps its checksum files.
mkdir -p l/real && cd l
printf 'x\n' | gzip >real/db_20240101.sql.gz && sha256sum real/db_20240101.sql.gz >real/db_20240101.sql.gz.sha256
ln -s real linked
printf 'y\n' | gzip >db_20250101.sql.gz
printf '%s\n' '{"path":"linked/db_20240101.sql.gz","created":"2024-01-01T00:00:00Z","type":"d"}' \
    '{"path":"db_20250101.sql.gz","created":"2025-01-01T00:00:00Z","type":"d"}' >manifest.jsonl
cd "$T"
run bk-rotate -m l/manifest.jsonl --keep-last 1 --now $NOW
unlike "a path through a link: no checksum line" out 'checksum of'
errline "a path through a link: refused, 65" 65 'refusing to remove "linked/db_20240101.sql.gz".*symbolic link' \
    bk-rotate -m l/manifest.jsonl --keep-last 1 --delete --now $NOW
is "and its files stay" "$(ls l/real | tr '\n' ' ')" "db_20240101.sql.gz db_20240101.sql.gz.sha256 "

# --- Removal failures, where a bind mount makes a name busy (root with
# mount rights, in a private mount namespace): one line, exit 74.
mkdir u && echo busy >u/pin
if unshare -m sh -c "mount --bind '$T/u/pin' '$T/outside/precious'" 2>/dev/null; then
	mkdir -p f1 f2
	for d in f1 f2; do
		for n in 20250101 20250102; do
			printf '%s\n' $n | gzip >$d/erp_$n.sql.gz
			sha256sum $d/erp_$n.sql.gz >$d/erp_$n.sql.gz.sha256
		done
	done
	# The checksum file is busy: the backup goes, the failure is reported.
	errline "a checksum file that cannot be removed: 74" 74 \
	    'warning: could not remove "erp_20250101.sql.gz.sha256" in "f1": Device or resource busy' \
	    unshare -m sh -c "mount --bind '$T/u/pin' f1/erp_20250101.sql.gz.sha256 &&
		exec bk-rotate --dir f1 --keep-last 1 --delete --now $NOW"
	is "the backup itself went" "$(ls f1 | tr '\n' ' ')" \
	    "erp_20250101.sql.gz.sha256 erp_20250102.sql.gz erp_20250102.sql.gz.sha256 "
	# The backup is busy: it stays, and so does its checksum file.
	errline "a backup that cannot be removed: 74" 74 \
	    'warning: could not remove "erp_20250101.sql.gz" in "f2": Device or resource busy' \
	    unshare -m sh -c "mount --bind '$T/u/pin' f2/erp_20250101.sql.gz &&
		exec bk-rotate --dir f2 --keep-last 1 --delete --now $NOW"
	is "its checksum file stays with it" "$(ls f2 | tr '\n' ' ')" \
	    "erp_20250101.sql.gz erp_20250101.sql.gz.sha256 erp_20250102.sql.gz erp_20250102.sql.gz.sha256 "
else
	for i in 1 2 3 4; do skip "no bind mounts here (needs root and mount rights)"; done
fi
done_testing
