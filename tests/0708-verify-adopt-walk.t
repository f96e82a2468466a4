#!/bin/sh
# bk-verify's scan and bk-manifest adopt walk a tree with one walk
# (bk_walk_tree): a file adopt would catalog is exactly one the scan
# reports as not in the manifest, and the other way round, on a tree with
# all that lives beside backups.
. "$(dirname "$0")/lib.sh"
need gzip sha256sum sqlite3

mkdir -p tree/listed tree/a tree/deep/er/and/deeper tree/nested/daily \
    tree/.cache elsewhere
sql() { printf 'CREATE TABLE t (a int);\n' >"$1"; }
sql tree/listed/erp_20250101.sql
(cd tree && bk-manifest -q add -T daily listed/erp_20250101.sql) ||
    fail "the listed backup"
M=tree/manifest.jsonl

# Backups without a line: nested, at any depth, by name or by content.
# a-c.sql, a/b.sql and a0.sql pin the order: the bytes of whole paths.
printf 'CREATE TABLE t (a int);\n' | gzip >tree/top.sql.gz
sql tree/a-c.sql
sql tree/a/b.sql
sql tree/a0.sql
sql tree/deep/er/and/deeper/erp_20250102.sql
printf 'CREATE TABLE t (a int);\n' | gzip >tree/nested/daily/erp-20250103
sqlite3 tree/nested/chame-copy 'create table t(a); insert into t values (1);'
printf '{"a":1}\n' >tree/export.jsonl
# What is no backup: hidden files and folders, sums and counts beside the
# backups, a note, a FIFO, the manifest itself (a .jsonl file too) and a
# metrics file; links to a file and to folders, in and out of the tree.
sql tree/.hidden.sql
printf 'x' | gzip >tree/a/.secret.sql.gz
sql tree/.cache/erp_20241231.sql
(cd tree && sha256sum top.sql.gz a-c.sql >SHA256SUMS)
(cd tree && sha256sum top.sql.gz >top.sql.gz.sha256)
printf 'clients\t2\n' >tree/export.jsonl.counts
printf 'Backups of erp, made by cron at 02:00.\n' >tree/README
mkfifo tree/pipe.sql
ln -s top.sql.gz tree/latest.sql.gz
ln -s a tree/a-link
sql elsewhere/outside.sql
ln -s ../elsewhere tree/offsite
# bk's temporaries: one a killed run left, one of a run in progress.
printf 'partial' >tree/deep/.erp.sql.bk-AbC123
touch -d '3 hours ago' tree/deep/.erp.sql.bk-AbC123
printf 'partial' >tree/.top.sql.gz.bk-XyZ789
# The metrics file, written by a first run.
bk-verify -q -m $M -M tree/bk.prom >/dev/null 2>&1
ok "the metrics file is in the tree" test -s tree/bk.prom

cat >want <<'EOF2'
a-c.sql
a/b.sql
a0.sql
deep/er/and/deeper/erp_20250102.sql
export.jsonl
nested/chame-copy
nested/daily/erp-20250103
top.sql.gz
EOF2

run bk-verify -m $M -M tree/bk.prom
is "verify: exit 1" "$rc" 1
sed -n 's/^FAIL \(.*\): not in the manifest (incomplete backup)$/\1/p' out >verify.got
same "verify reports the backups without a line, in the byte order of paths" \
    verify.got want
is "...and besides, only the listed backup's OK" \
    "$(grep -v ': not in the manifest' out)" "OK listed/erp_20250101.sql"
is "...one warning: the stale temporary, by its path in the tree" "$(cat err)" \
    'bk-verify: warning: "deep/.erp.sql.bk-AbC123": a temporary file of a bk run that was killed, 3h old (find removes old ones: see bk-verify(1))'

run bk-manifest -m $M adopt -n tree
is "adopt -n: exit 0" "$rc" 0
sed 's/^would adopt \([^ ]*\) .*/\1/' out | LC_ALL=C sort >adopt.got
same "adopt would take exactly what verify reports" adopt.got want
empty "...saying nothing on stderr" err

# A folder given to adopt: what the scan reports under it.
run bk-manifest -m $M adopt -n tree/nested
sed 's/^would adopt \([^ ]*\) .*/\1/' out | LC_ALL=C sort >sub.got
grep '^nested/' want >sub.want
same "adopt of a subfolder: the scan's files under it" sub.got sub.want

# Links are never followed; with -v each tool names each one it skips,
# and the FIFO.
run bk-verify -v -m $M
sed -n 's/^bk-verify: skipping "\(.*\)": \(.*\)/\1: \2/p' err >verify.skip
cat >skip.want <<'EOF2'
a-link: a symbolic link
latest.sql.gz: a symbolic link
offsite: a symbolic link
pipe.sql: not a regular file
EOF2
same "verify -v names the links and the FIFO it skips" verify.skip skip.want
run bk-manifest -v -m $M adopt -n tree
sed -n 's/^bk-manifest: skipping "tree\/\(.*\)": \(.*\)/\1: \2/p' err >adopt.skip
same "adopt -v names the same ones" adopt.skip skip.want

# Folders that cannot be read: both tools warn, skip them, and carry on.
# Root reads any folder, so as root both run as nobody.
mkdir tree/a/locked
sql tree/a/locked/z.sql
chmod 000 tree/a/locked
as=
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$T"; chmod -R a+rX tree; chmod 000 tree/a/locked
	nobody_ok "$T" && as=as_nobody
fi
if [ "$(id -u)" = 0 ] && [ -z "$as" ]; then
	skip "root reads any folder, and $nobody_why"
	skip "root reads any folder, and $nobody_why"
	skip "root reads any folder, and $nobody_why"
else
	run $as bk-verify -m $M
	sed -n 's/^FAIL \(.*\): not in the manifest (incomplete backup)$/\1/p' \
	    out >verify.got
	same "an unreadable folder: verify reports the rest" verify.got want
	like "...and warns about the folder" err \
	    '^bk-verify: warning: could not open folder "a/locked": Permission denied$'
	run $as bk-manifest -m $M adopt -n tree
	like "adopt warns about the same folder" err \
	    '^bk-manifest: warning: could not open folder "tree/a/locked": Permission denied$'
fi
chmod 700 tree/a/locked; rm -r tree/a/locked

# Adopting for real leaves the scan nothing to report.
run bk-manifest -q -m $M adopt tree
is "adopt: exit 0" "$rc" 0
is "...one line per file verify reported" "$(grep -c '"path"' $M)" \
    "$(($(wc -l <want) + 1))"
exits "verify after adopt: exit 0" 0 bk-verify -q -m $M -M tree/bk.prom
like "...nothing unlisted in the metrics" tree/bk.prom \
    '^bk_verify_unlisted_files 0$'
like "...the stale temporary still counted" tree/bk.prom \
    '^bk_verify_stale_temporary_files 1$'
done_testing
