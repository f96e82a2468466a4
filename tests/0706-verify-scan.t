#!/bin/sh
# bk-verify: the scan of the tree for files without a manifest line.  Only
# files that look like backups (bk_backup_file: a backup's name, or the
# first bytes of gzip, age, SQLite or a pg_dump archive) count; the sums,
# keys, notes and locks that the recipes of bk(7) leave beside the backups
# do not.
. "$(dirname "$0")/lib.sh"
need gzip sha256sum age age-keygen sqlite3

# Recipe 5 of bk(7), with the real peers beside bk: an encrypted dump, its
# sum by bk-sum and by sha256sum, the recipients file and an identity.
mkdir -p tree/daily tree/keys
age-keygen -o tree/keys/identity.txt 2>/dev/null
age-keygen -y tree/keys/identity.txt >tree/recipients
f=daily/erp_20250101.sql.gz.age
printf -- '--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (a int);\n--\n-- PostgreSQL database dump complete\n--\n' |
    bk-gz | bk-crypt -R tree/recipients -o tree/$f
(cd tree && bk-manifest add -T daily $f && bk-sum $f >$f.sha256 &&
    sha256sum daily/erp_20250101.sql.gz.age >SHA256SUMS) 2>/dev/null ||
    fail "recipe 5 of bk(7)"
printf 'id,name\n1,Ana\n' >tree/monthly.csv
(cd tree && bk-manifest add -T monthly monthly.csv) 2>/dev/null
M=tree/manifest.jsonl
ok "sha256sum reads bk-sum's file" sh -c "cd tree && sha256sum -c --quiet $f.sha256"
cat >want <<EOF2
OK $f (age not decrypted, no identity: size, sha256 and header checked; held pg_dump gzip, whole when made)
OK monthly.csv
EOF2
exits "a recipe's tree verifies clean" 0 bk-verify -m $M
same "...one OK line per backup, nothing else" out want
empty "...nothing on stderr" err

# make HOW FILE: writes FILE (under tree/) the way HOW says.
make_file() {
	mkdir -p "tree/$(dirname "$2")"
	case $1 in
	gzip)	printf 'CREATE TABLE x (a int);\n' | gzip >"tree/$2" ;;
	text)	printf 'Backups of erp, made by cron at 02:00.\n' >"tree/$2" ;;
	empty)	: >"tree/$2" ;;
	sum)	(cd tree && sha256sum monthly.csv) >"tree/$2" ;;
	key)	age-keygen -o "tree/$2" 2>/dev/null ;;
	pub)	age-keygen -y tree/keys/identity.txt >"tree/$2" ;;
	prom)	printf 'bk_verify_success 1\n' >"tree/$2" ;;
	age)	printf 'x\n' | age -r "$(cat tree/recipients)" >"tree/$2" ;;
	armor)	printf 'x\n' | age -a -r "$(cat tree/recipients)" >"tree/$2" ;;
	sqlite)	sqlite3 "tree/$2" 'create table t(a); insert into t values (1);' ;;
	pgdmp)	printf 'PGDMP\001\016\000\004\010\001\001' >"tree/$2" ;;
	esac
}

# The table: each row puts one file beside the backups.  "clean" rows stay
# (so the last clean run sees all of them together); "FAIL" rows must make
# the run exit 1 with exactly this line on stdout, and are removed again:
#   FAIL FILE: not in the manifest (incomplete backup)
while read -r want how file; do
	make_file "$how" "$file"
	run bk-verify -m $M
	if [ "$want" = clean ]; then
		if [ "$rc" = 0 ] && cmp -s out want && [ ! -s err ]; then
			pass "$file ($how) is not a backup: clean"
		else fail "$file ($how) is not a backup: clean"
			diag "exit $rc"; sed 's/^/#   /' out err | head -5; fi
	else
		if [ "$rc" = 1 ] && [ "$(grep -c . out)" = 3 ] &&
		    grep -qxF "FAIL $file: not in the manifest (incomplete backup)" out &&
		    [ ! -s err ]; then
			pass "$file ($how) is an unlisted backup: exit 1"
		else fail "$file ($how) is an unlisted backup: exit 1"
			diag "exit $rc"; sed 's/^/#   /' out err | head -5; fi
		rm -f "tree/$file"
	fi
done <<'EOF2'
clean	text	README
clean	text	README.md
clean	text	daily/NOTES.txt
clean	sum	daily/erp_20250102.sql.gz.sha256
clean	sum	monthly.csv.md5
clean	key	keys/backup-key.txt
clean	pub	recipients.txt
clean	empty	backup.lock
clean	empty	daily/.erp_20250102.sql.gz.bk-Ab12Cd
clean	text	rotation.log
clean	prom	bk.prom
clean	gzip	.old/erp_20241231.sql.gz
FAIL	gzip	dump.sql.gz
FAIL	empty	daily/erp_20250102.sql.gz.age
FAIL	text	DUMP.SQL
FAIL	text	export.jsonl
FAIL	text	clients.tsv
FAIL	empty	chame_20250101.db
FAIL	empty	app.sqlite3
FAIL	empty	before-upgrade.bak
FAIL	empty	erp.dump
FAIL	empty	erp.sql.gpg
FAIL	gzip	daily/erp-20250103
FAIL	age	offsite.bin
FAIL	armor	daily/offsite.txt
FAIL	sqlite	chame-copy
FAIL	pgdmp	erp.pgc
EOF2

# A symbolic link and a folder that carry a backup's name are no backups.
ln -s $f tree/latest.sql.gz.age
mkdir tree/old.sql.gz
exits "a symlink and a folder with a backup's name: clean" 0 bk-verify -m $M
same "...nothing reported" out want
rm tree/latest.sql.gz.age; rmdir tree/old.sql.gz
if [ "$(id -u)" != 0 ]; then
	# Unreadable: judged by its name alone, so a backup's name counts.
	make_file gzip secret-copy; chmod 000 tree/secret-copy
	exits "an unreadable file without a backup's name: clean" 0 bk-verify -m $M
	make_file gzip secret.sql.gz; chmod 000 tree/secret.sql.gz
	exits "an unreadable file with a backup's name: exit 1" 1 bk-verify -m $M
	like "...reported" out '^FAIL secret.sql.gz: not in the manifest'
	rm -f tree/secret-copy tree/secret.sql.gz
else
	skip "root reads any file"; skip "root reads any file"
	skip "root reads any file"
fi

# A temporary file of a killed run: over an hour old, a warning with its
# age (the run does not fail: it is no backup); younger, a run in progress.
printf 'partial' >tree/.x.sql.gz.bk-AbC123
run bk-verify -q -m $M
is "a fresh temporary: exit 0" "$rc" 0
empty "...and nothing said (a run may be writing it)" err
touch -d '3 hours ago' tree/.x.sql.gz.bk-AbC123
run bk-verify -m $M -M m.prom
is "a temporary 3 hours old: still exit 0" "$rc" 0
is "...one warning with its age" "$(cat err)" \
    'bk-verify: warning: ".x.sql.gz.bk-AbC123": a temporary file of a bk run that was killed, 3h old (find removes old ones: see bk-verify(1))'
like "...counted in the metrics" m.prom '^bk_verify_stale_temporary_files 1$'
# The command the man page gives removes it, and nothing else.
find tree -name '.*.bk-??????' -mmin +60 -delete
ok "...which the documented find removes" test ! -e tree/.x.sql.gz.bk-AbC123
run bk-verify -q -m $M
empty "...and the warning is gone" err

# The metric counts what the scan reports, and nothing else.
exits "with all the clean files: exit 0" 0 bk-verify -q -m $M -M m.prom
like "...bk_verify_unlisted_files 0" m.prom '^bk_verify_unlisted_files 0$'
make_file gzip dump.sql.gz
make_file sqlite chame-copy
exits "two unlisted backups: exit 1" 1 bk-verify -q -m $M -M m.prom
is "...two FAIL lines, sorted" "$(cat out)" "FAIL chame-copy: not in the manifest (incomplete backup)
FAIL dump.sql.gz: not in the manifest (incomplete backup)"
like "...bk_verify_unlisted_files 2" m.prom '^bk_verify_unlisted_files 2$'
like "...bk_verify_success 0" m.prom '^bk_verify_success 0$'
exits "--no-scan: exit 0" 0 bk-verify -q --no-scan -m $M
# What adopt takes is what verify missed: after adopting, it is clean.
(cd tree && bk-manifest -q adopt .) >/dev/null 2>&1
exits "after bk-manifest adopt: clean again" 0 bk-verify -q -m $M
is "...adopt took exactly the two" "$(grep -c '"path"' $M)" 4
done_testing
