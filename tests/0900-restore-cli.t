#!/bin/sh
# bk-restore: options, usage errors, and the table of bad inputs, each
# refused with its exit code and one line before the target is touched.
# The target here is SQLite, so no PostgreSQL server is needed.
. "$(dirname "$0")/lib.sh"
need sqlite3 gzip sha256sum python3 setsid flock

# untouched NAME: the target is byte for byte as saved, and nothing was
# made: no safety backup, no log line.
untouched() {
	if cmp -s target.db target.saved && [ ! -e pre-restore ] &&
	    [ ! -e restore.log ]; then pass "$1: target untouched"
	else fail "$1: target untouched"; ls -la | sed 's/^/#   /'; fi
}

# ---- the command line ----
run bk-restore --help
is "--help exits 0" "$rc" 0
like "--help prints the usage" out '^usage: bk-restore \[-nPqv\]'
empty "--help: nothing on stderr" err
# The usage is the man page's SYNOPSIS.
is "the usage is the SYNOPSIS" \
    "$(sed 's/^usage: //' out | tr -s ' \t\n' ' ' | sed 's/ $//')" \
    "$(mandoc -T utf8 "$TOP/man/bk-restore.1" 2>/dev/null | col -b |
    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' ' ' |
    sed 's/^ //; s/ $//')"
run bk-restore --version
like "--version" out '^bk-restore \(bk\) [0-9]'

# usage NAME REGEX ARGS...: exit 64, the message and the hint, no stdout.
usage() {
	_un=$1 _ur=$2; shift 2
	run bk-restore "$@"
	if [ "$rc" = 64 ] && [ ! -s out ] && grep -Eq -- "$_ur" err &&
	    grep -q "Try 'bk-restore --help'" err; then pass "$_un"
	else fail "$_un"; diag "exit $rc"; sed 's/^/#   /' err; fi
}
usage "no target" 'no target: give -D' x.db
usage "no file" 'no backup file to restore' -D sqlite:t.db
usage "two files" 'one backup file at a time' -D sqlite:t.db a b
usage "empty -D" 'empty target' -D '' x.db
usage "--clean is for PostgreSQL" '--clean is for PostgreSQL' --clean -D sqlite:t.db x.db
usage "passphrase file and fd" 'exclude each other' \
    --passphrase-file p --passphrase-fd 3 -D x f
usage "bad --passphrase-fd" 'bad --passphrase-fd "x"' --passphrase-fd x -D x f
usage "bad -w" 'bad number of seconds "soon"' -w soon -D x f
usage "bad option" 'unknown option "--bogus"' --bogus

# ---- a tree with a good backup ----
sqlite3 app.db "CREATE TABLE u(id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO u VALUES (1, 'Ana'), (2, 'Bó'); CREATE INDEX un ON u(name);"
bk-dump -D sqlite:app.db -F sqlite -o good.db
gzip -c good.db >good.db.gz
bk-manifest add -T daily good.db good.db.gz
sqlite3 target.db "CREATE TABLE keep(x); INSERT INTO keep VALUES ('before');"
cp target.db target.saved

# A -D that cannot go on to psql is refused before the backup is even
# opened (nope.sql does not exist), and never repeated: libpq's own
# message would quote it, password and all.
usage "bad connection string" 'bad -D: libpq cannot parse it \(not shown: it may hold a password\)$' \
    -D "host=x password=Summer 2024" nope.sql
unlike "... not repeated" err 'Summer|2024'
usage "a URI libpq would misread" 'bad -D: libpq would read part of a password as a host' \
    -D "postgresql://app:Sum/mer2024@db/erp" nope.sql
unlike "... not repeated" err 'Sum|mer2024|app'
usage "a value holding a password" 'bad -D: a value in it holds what looks like a password' \
    -D "host= password=Summer2024" nope.sql
unlike "... not repeated" err 'Summer2024'
usage "an sslpassword cannot be passed on" 'an sslpassword cannot be passed on to psql' \
    -D "dbname=x sslpassword=secret" nope.sql
unlike "... not repeated" err secret

# ---- bad inputs: code, one line, target untouched ----
# bad NAME CODE REGEX FILE [OPTIONS...]
bad() {
	_bn=$1 _bc=$2 _br=$3 _bf=$4; shift 4
	errline "$_bn" "$_bc" "^bk-restore: error: .*$_br" \
	    bk-restore --yes "$@" -D sqlite:target.db "$_bf"
	untouched "$_bn"
}
bad "missing file" 66 'could not open "nope.db": No such file or directory' nope.db
cp good.db unlisted.db
bad "not in the manifest" 1 '"unlisted.db": not in the manifest .*incomplete backup; --unlisted' unlisted.db
cp good.db grown.db; manifest_line grown.db >>manifest.jsonl; echo x >>grown.db
bad "size differs" 1 '"grown.db": size is [0-9]+ bytes, the manifest says [0-9]+$' grown.db
cp good.db.gz altered.db.gz; manifest_line altered.db.gz >>manifest.jsonl
flip altered.db.gz 100
bad "altered: sha256 differs" 1 '"altered.db.gz": sha256 does not match the manifest' altered.db.gz
bad "altered, even with --unlisted" 1 'sha256 does not match the manifest' altered.db.gz --unlisted
head -c $(($(stat -c %s good.db.gz) / 2)) good.db.gz >cut.db.gz
manifest_line cut.db.gz >>manifest.jsonl
bad "truncated gzip" 65 '"cut.db.gz": truncated gzip input at byte [0-9]+$' cut.db.gz
cp good.db broken.db
flip broken.db 4100
gzip -c broken.db >broken.db.gz; manifest_line broken.db.gz >>manifest.jsonl
bad "damaged SQLite inside gzip" 65 '"broken.db.gz": the SQLite database (is damaged|fails integrity_check)' broken.db.gz
printf 'id,name\n1,Ana\n' >data.csv; bk-manifest add data.csv
bad "CSV" 65 '"data.csv": it holds csv, not a plain pg_dump script or an SQLite database$' data.csv
printf -- '--\n-- PostgreSQL database dump\n--\n\nSET x = 1;\n\n--\n-- PostgreSQL database dump complete\n--\n\n' >dump.sql
bk-manifest add dump.sql
bad "pg_dump into SQLite" 65 '"dump.sql": it holds a pg_dump script, and the target is SQLite$' dump.sql
{ printf 'PGDMP'; head -c 200 /dev/zero; } >custom.dump; manifest_line custom.dump >>manifest.jsonl
bad "a pg_dump archive into SQLite" 65 '"custom.dump": it holds a pg_dump archive, and the target is SQLite$' custom.dump
: >empty.db; manifest_line empty.db >>manifest.jsonl
bad "empty file" 65 '"empty.db": file is empty$' empty.db
gzip -c </dev/null >empty.db.gz; manifest_line empty.db.gz >>manifest.jsonl
bad "empty gzip" 65 '"empty.db.gz": no data inside the gzip layer$' empty.db.gz
ln -s good.db link.db
bad "symbolic link" 65 '"link.db": a symbolic link, not a backup file$' link.db
mkdir folder.db
bad "a folder" 65 '"folder.db": not a regular file$' folder.db
: >elsewhere.log; ln -s elsewhere.log restore.log
errline "restore.log a symbolic link" 65 \
    'restore.log": it is a symbolic link \(nothing was restored\)$' \
    bk-restore --yes -D sqlite:target.db good.db
ok "...target untouched, nothing written through the link" sh -c \
    'cmp -s target.db target.saved && [ ! -e pre-restore ] && [ ! -s elsewhere.log ]'
rm -f restore.log elsewhere.log
mkdir ../outside.$$ 2>/dev/null; cp good.db ../outside.$$/o.db
bad "outside the tree" 65 "\"../outside.$$/o.db\": outside the manifest's folder" \
    ../outside.$$/o.db -m manifest.jsonl
rm -rf ../outside.$$
printf '{"path":"nosum.db","created":"2024-09-01T02:00:00Z"}\n' >>manifest.jsonl
cp good.db nosum.db
bad "no sha256 recorded" 1 '"nosum.db": its manifest line has no sha256 .*--unlisted' nosum.db
bad "missing manifest" 66 'could not open manifest "none.jsonl"' good.db -m none.jsonl
bad "missing identity file" 66 'nokey.txt' good.db -i nokey.txt
bk-crypt --keygen -o key.txt 2>/dev/null
bk-crypt --keygen -o other.txt 2>/dev/null
bk-crypt -R key.txt -o good.db.age good.db 2>/dev/null ||
    bk-crypt -r "$(bk-crypt -y -i key.txt)" -o good.db.age good.db
bk-manifest add good.db.age
bad "wrong age key" 1 '"good.db.age": no identity matches \(wrong key or passphrase\)$' good.db.age -i other.txt
bad "age without a key" 1 '"good.db.age": no identity matches' good.db.age
echo "correct horse" >pass.txt
bk-crypt -p --passphrase-file pass.txt -o pass.db.age good.db
bk-manifest add pass.db.age
# setsid: a new session has no controlling terminal, even when the tests
# run from one.
errline "a passphrase, and no terminal to ask for it" 66 \
    'could not open the terminal to ask for the passphrase \(use --passphrase-file' \
    setsid -w bk-restore --yes -D sqlite:target.db pass.db.age
untouched "no terminal for the passphrase"
echo "wrong horse" >wrong.txt
bad "a wrong passphrase" 1 '"pass.db.age": .*(wrong key or passphrase|passphrase)' \
    pass.db.age --passphrase-file wrong.txt
cp good.db.age forged.db.age
flip forged.db.age -40
manifest_line forged.db.age >>manifest.jsonl
bad "age chunk forged, recorded as is" 65 '"forged.db.age": .*failed authentication' forged.db.age -i key.txt

# The target itself.
echo "not a database" >notdb.txt; cp notdb.txt notdb.saved
errline "a target that is not a database" 65 \
    'could not restore into "notdb.txt": it is not an SQLite database' \
    bk-restore --yes -D sqlite:notdb.txt good.db
ok "... is left alone" cmp -s notdb.txt notdb.saved
mkdir dir.db
errline "a folder as target" 65 'could not restore into "dir.db": not a regular file' \
    bk-restore --yes -D sqlite:dir.db good.db
errline "a target in a missing folder" 66 'could not open the folder of "no/t.db"' \
    bk-restore --yes -D sqlite:no/t.db good.db
ok "... and nothing was created" test ! -e pre-restore

# ---- --unlisted: a file without a manifest line ----
run bk-restore --yes --unlisted -D sqlite:target.db unlisted.db
is "--unlisted restores an unlisted file" "$rc" 0
like "... with a warning" err 'warning: "unlisted.db" is not in the manifest: restoring it because of --unlisted'
sqlite3 target.db .dump >t.dump; sqlite3 app.db .dump >a.dump
same "... the data" t.dump a.dump
like "... logged as forced" restore.log '"path":"unlisted.db".*"result":"ok".*"forced":true'
ls pre-restore/target_*.db >/dev/null 2>&1 && pass "... after a safety backup" ||
    fail "... after a safety backup"
sqlite3 "$(ls pre-restore/target_*.db)" .dump >s.dump
sqlite3 target.saved .dump >ts.dump
same "... which holds the old data" s.dump ts.dump

# ---- dry run, quiet, verbose ----
cp target.saved target.db; rm -rf pre-restore restore.log
run bk-restore -n -D sqlite:target.db good.db.gz
is "-n exits 0" "$rc" 0
sed 's/_[0-9]\{8\}_[0-9]\{6\}\(-[0-9]*\)\{0,1\}/_STAMP/' out >dry
cat >dry.want <<'EOF'
verified "good.db.gz": 256 bytes, sqlite gzip, sha256 as recorded
would make the safety backup "pre-restore/target_STAMP.db" of SQLite database "target.db"
would restore "good.db.gz" into SQLite database "target.db"
EOF
sed -i "s/256 bytes/$(stat -c %s good.db.gz) bytes/" dry.want
same "-n says what it would do" dry dry.want
untouched "-n"
errline "-n to a full disk" 74 'could not write standard output' \
    sh -c 'bk-restore -n -D sqlite:target.db good.db.gz >/dev/full'
# A reader that has gone: exit 74 without a message, as bk_finish does.
python3 -c '
import os, subprocess, sys
r, w = os.pipe(); os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
sys.stderr.buffer.write(p.stderr); sys.exit(p.returncode)' \
    bk-restore -n -D sqlite:target.db good.db.gz 2>err
is "-n to a closed pipe exits 74" "$?" 74
empty "... quietly" err
run bk-restore -q --yes --no-safety-backup -D sqlite:new1.db good.db.gz
is "-q: restored" "$rc" 0
empty "-q: nothing on stdout" out
empty "-q: nothing on stderr" err
run bk-restore --yes --no-safety-backup -D sqlite:new2.db good.db.gz
like "--no-safety-backup warns" err 'warning: no safety backup of SQLite database "new2.db" \(--no-safety-backup\)'
run bk-restore -v --yes -D sqlite:target.db good.db.gz
like "-v: what was verified" err '^bk-restore: verified "good.db.gz": [0-9]+ bytes, sha256 as recorded, sqlite gzip$'
like "-v: the safety backup" err '^bk-restore: safety backup "pre-restore/target_[0-9_-]+\.db": [0-9]+ bytes$'
like "-v: the outcome" err '^bk-restore: restored "good.db.gz" into SQLite database "target.db" in [0-9.]+ s; the safety backup is "pre-restore/target_[0-9_-]+\.db"$'
empty "-v: nothing on stdout" out

# ---- locks and permissions ----
cp target.saved target.db; rm -rf pre-restore restore.log
errline "another restore holds the target" 75 \
    'another bk-restore is restoring into "target.db"' \
    flock target.db bk-restore --yes -D sqlite:target.db good.db
untouched "target lock"
errline "the manifest's lock stays busy (-w 0)" 75 \
    'could not lock manifest ".*manifest.jsonl": another process holds it' \
    flock manifest.jsonl bk-restore -w 0 --yes -D sqlite:target.db good.db
untouched "manifest lock"
touch pre-restore
errline "pre-restore is not a folder" 73 \
    'could not create the safety backup: ".*/pre-restore" is not a folder' \
    bk-restore --yes -D sqlite:target.db good.db
ok "... nothing restored" cmp -s target.db target.saved
rm -f pre-restore
if [ "$(id -u)" = 0 ]; then
	# As root the checks run as nobody, on a tree nobody may read.
	chmod 755 "$T"
	chmod 644 manifest.jsonl
fi
if [ "$(id -u)" = 0 ] && ! nobody_ok "$T"; then
	skip "$nobody_why"
	skip "$nobody_why"
	skip "$nobody_why"
	chmod 600 manifest.jsonl
	chmod 700 "$T"
elif [ "$(id -u)" = 0 ]; then
	chown nobody target.db
	chmod 600 good.db
	errline "an unreadable backup" 77 'could not open "good.db": Permission denied' \
	    as_nobody bk-restore --yes -D sqlite:target.db good.db
	chmod 644 good.db
	errline "a manifest that cannot take the safety backup's line" 77 \
	    'could not write ".*/manifest.jsonl": Permission denied' \
	    as_nobody bk-restore --yes -D sqlite:target.db good.db
	chown root target.db; chmod 644 target.db
	chown nobody "$T" manifest.jsonl
	errline "a target that cannot be written" 77 'could not open "target.db": Permission denied' \
	    as_nobody bk-restore --yes -D sqlite:target.db good.db
	chown root "$T" manifest.jsonl
	chmod 600 target.db manifest.jsonl
	chmod 700 "$T"
else
	chmod 000 good.db
	errline "an unreadable backup" 77 'could not open "good.db": Permission denied' \
	    bk-restore --yes -D sqlite:target.db good.db
	chmod 644 good.db; chmod 444 manifest.jsonl
	errline "a manifest that cannot take the safety backup's line" 77 \
	    'could not write ".*/manifest.jsonl": Permission denied' \
	    bk-restore --yes -D sqlite:target.db good.db
	chmod 600 manifest.jsonl; chmod 444 target.db
	errline "a target that cannot be written" 77 'could not open "target.db": Permission denied' \
	    bk-restore --yes -D sqlite:target.db good.db
	chmod 600 target.db
fi
untouched "permissions"
done_testing
