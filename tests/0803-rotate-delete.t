#!/bin/sh
# bk-rotate --delete: what it removes, what it never touches (symbolic
# links out of the tree, paths leaving it, files without a manifest line),
# and the manifest rewrite that follows.
. "$(dirname "$0")/lib.sh"

mkdir outside && echo precious >outside/target && echo precious >outside/file.gz
NOW=2025-01-31T00:00:00Z

# --- --dir: dated folders are backups, removed with their tree without
# following the links inside; symbolic links are not backups, never
# counted, never removed, never followed.
mkdir d && cd d
touch erp_20250130.sql.gz erp_20250129.sql.gz
ln -s "$T/outside" erp_20240101
ln -s "$T/outside/target" erp_20240102.sql.gz
mkdir b_20240103 && echo x >b_20240103/data.csv && ln -s "$T/outside" b_20240103/escape
mkdir -p b_20240104/sub/deeper && echo y >b_20240104/sub/deeper/z
cd "$T"
run bk-rotate --dir d --keep-last 2 --now $NOW
cat >want <<'EOF2'
keep erp_20250130.sql.gz (last snapshot)
keep erp_20250129.sql.gz (last snapshot)
remove b_20240104 (no rule keeps it)
remove b_20240103 (no rule keeps it)
EOF2
same "--dir: dated folders are entries, links are not" out want
empty "--dir: nothing said about the links without -v" err
run bk-rotate -v --dir d --keep-last 2 --now $NOW
sort err >err.sorted
cat >want <<'EOF2'
bk-rotate: 2 kept, 2 to remove
bk-rotate: skipping "d/erp_20240101": a symbolic link
bk-rotate: skipping "d/erp_20240102.sql.gz": a symbolic link
EOF2
same "-v names each link skipped" err.sorted want
exits "--dir --delete" 0 bk-rotate --dir d --keep-last 2 --delete --now $NOW
is "what remains" "$(ls d | tr '\n' ' ')" "erp_20240101 erp_20240102.sql.gz erp_20250129.sql.gz erp_20250130.sql.gz "
ok "the links stay links" test -L d/erp_20240101 -a -L d/erp_20240102.sql.gz
is "the targets of the links survive" "$(cat outside/target outside/file.gz)" "precious
precious"
ok "the folder the links pointed at survives" test -d outside
is "a folder is removed with its tree, links not followed" "$(ls outside | tr '\n' ' ')" "file.gz target "

# --- a folder without a date in its name is not a backup.
mkdir -p t/daily t/pre-migration && touch t/daily/x t/erp_20250101.sql.gz
touch -d 2020-01-01 t/pre-migration
run bk-rotate --dir t --max-age 7d --delete --now $NOW
is "folders without a date: skipped" "$(cat out)" "keep erp_20250101.sql.gz (newest of its type)"
like "with a warning" err 'skipping folder "t/pre-migration": no date in its name'
ok "and never removed" test -d t/pre-migration -a -e t/daily/x

# --- a manifest tree.
mkdir m && cd m && mkdir daily
for d in 01 02 03 04 05; do
	echo "backup $d" >daily/db_202501${d}.sql.gz
	manifest_line daily/db_202501$d.sql.gz 2025-01-${d}T02:00:00Z daily \
	    '"extra":{"kept":"as is"}'
done >manifest.jsonl
# A garbled line, a line whose file is gone, a line escaping the tree and
# a folder reached through a symbolic link.
echo 'not json at all' >>manifest.jsonl
echo '{"path":"daily/db_20241201.sql.gz","created":"2024-12-01T02:00:00Z","type":"daily"}' >>manifest.jsonl
echo '{"path":"../outside/file.gz","created":"2024-11-01T02:00:00Z","type":"daily"}' >>manifest.jsonl
ln -s "$T/outside" linked
echo '{"path":"linked/target","created":"2024-10-01T02:00:00Z","type":"daily"}' >>manifest.jsonl
# A file in the tree without a manifest line: incomplete, never touched.
touch daily/db_20240101.sql.gz
cp manifest.jsonl ../manifest.orig
cd "$T"

run bk-rotate -m m/manifest.jsonl --keep-last 2 --now $NOW
like "a dry run reports the missing file" out '^remove daily/db_20241201.sql.gz \(no rule keeps it, missing\)$'
unlike "a file without a manifest line is not a backup here" out 'db_20240101'
unlike "a path leaving the tree is not a backup" out 'outside'
like "a garbled line is reported" err 'manifest.jsonl:6:'
like "a path leaving the tree is reported" err 'manifest.jsonl:8:'

run bk-rotate -m m/manifest.jsonl --keep-last 2 --delete --now $NOW
is "a path through a symbolic link is refused: 65" "$rc" 65
like "and says why" err 'refusing to remove "linked/target".*symbolic link'
is "the link's target survives" "$(cat outside/target outside/file.gz)" "precious
precious"
is "the old files are gone, the kept ones stay" "$(ls m/daily | tr '\n' ' ')" \
    "db_20240101.sql.gz db_20250104.sql.gz db_20250105.sql.gz "
grep -v 'db_2025010[123]\|db_20241201' manifest.orig >want
same "the manifest loses exactly the lines of what was removed" m/manifest.jsonl want
like "kept lines keep their unknown fields" m/manifest.jsonl '"extra":\{"kept":"as is"\}'
is "the manifest stays private" "$(mode m/manifest.jsonl)" 600

# --- verification results: a failed backup is not good; the newest one
# verified stays, whatever the policy.
mkdir v && cd v
for d in 01 02 03 04; do touch w_202501$d.gz; done
{
	echo '{"path":"w_20250104.gz","created":"2025-01-04T00:00:00Z","type":"w","verified":{"result":"fail","reason":"truncated"}}'
	echo '{"path":"w_20250103.gz","created":"2025-01-03T00:00:00Z","type":"w","verified":{"result":"fail"}}'
	echo '{"path":"w_20250102.gz","created":"2025-01-02T00:00:00Z","type":"w","verified":{"result":"ok"}}'
	echo '{"path":"w_20250101.gz","created":"2025-01-01T00:00:00Z","type":"w","verified":{"result":"ok"}}'
} >manifest.jsonl
cd "$T"
cat >want <<'EOF2'
keep w_20250104.gz (last snapshot)
remove w_20250103.gz (no rule keeps it)
keep w_20250102.gz (newest good backup)
remove w_20250101.gz (no rule keeps it)
EOF2
run bk-rotate -m v/manifest.jsonl --keep-last 1 --now $NOW
same "the newest verified backup is kept" out want
cat >want <<'EOF2'
keep w_20250104.gz (newest of its type)
remove w_20250103.gz (older than 1d)
keep w_20250102.gz (newest good backup)
remove w_20250101.gz (older than 1d)
EOF2
run bk-rotate -m v/manifest.jsonl --max-age 1d --now $NOW
same "also against max-age" out want
rm v/w_20250102.gz
run bk-rotate -m v/manifest.jsonl --keep-last 1 --now $NOW
like "a missing file is not good" out '^keep w_20250101.gz \(newest good backup\)$'
done_testing
