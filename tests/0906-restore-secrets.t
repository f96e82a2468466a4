#!/bin/sh
# bk-restore never puts a password on a command line: psql and pg_dump get
# -d rebuilt from what libpq parsed, without its secrets, and the password
# in PGPASSWORD in their own environment only; the manifest (the safety
# backup's source) and restore.log hold none.  Wrappers first in PATH
# record the argv and the environment the real programs get, then run
# them.  Issue 11: a "#" or "?" in a URI password, "://" in a quoted value
# and a percent-encoded key all used to reach their argv.
. "$(dirname "$0")/lib.sh"
need_pg
need pg_dump createdb dropdb

P=r0906
cleanup() { dropdb --if-exists ${P}_t 2>/dev/null; }
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT
PSQL=$(command -v psql)
PGDUMP=$(command -v pg_dump)

# A wrapper records its argv and environment (NUL-separated, as
# /proc/PID/cmdline and environ hold them), then execs the real program.
mkdir fake
for p in psql pg_dump; do
	real=$PSQL; [ $p = pg_dump ] && real=$PGDUMP
	cat >fake/$p <<EOF
#!/bin/sh
cat /proc/\$\$/cmdline >>'$T/$p.argv'
cat /proc/\$\$/environ >'$T/$p.env'
exec '$real' "\$@"
EOF
	chmod 755 fake/$p
done

createdb ${P}_t
psql -Xq -d ${P}_t -c "CREATE TABLE t (x text); INSERT INTO t VALUES ('v1')"
pg_dump -Fp ${P}_t >b.sql
bk-manifest add -T daily b.sql

# restore NAME -d PASSWORD: a restore with -d, through the wrappers; the
# password is nowhere in any argv, the manifest or the log, and is the
# PGPASSWORD of psql and pg_dump.
restore() {
	_rn=$1 _d=$2 _pw=$3
	rm -f psql.argv pg_dump.argv psql.env pg_dump.env
	run env PATH="$T/fake:$PATH" bk-restore --yes --clean -D "$_d" b.sql
	if [ "$rc" != 0 ]; then fail "$_rn: restored"; sed 's/^/#   /' err
		return; fi
	pass "$_rn: restored"
	if [ -s psql.argv ] && [ -s pg_dump.argv ] &&
	    ! grep -qaF -- "$_pw" psql.argv pg_dump.argv; then
		pass "... no password in psql's or pg_dump's argv"
	else fail "... no password in psql's or pg_dump's argv"
		{ tr '\0' ' ' <psql.argv; echo; } | sed 's/^/#   /'; fi
	for _p in psql pg_dump; do
		_got=$(tr '\0' '\n' <$_p.env | sed -n 's/^PGPASSWORD=//p')
		is "... $_p gets it in PGPASSWORD" "$_got" "$_pw"
		_got=$(tr '\0' '\n' <$_p.env | sed -n 's/^PGPASSFILE=//p')
		is "... and the PGPASSFILE it had" "$_got" "${PGPASSFILE-}"
	done
	if grep -qF -- "$_pw" manifest.jsonl restore.log; then
		fail "... no password in the manifest or restore.log"
		grep -F -- "$_pw" manifest.jsonl restore.log | sed 's/^/#   /'
	else pass "... no password in the manifest or restore.log"; fi
}

restore "issue 11: # in a URI password" \
    "postgresql://$PGUSER:Summer#2024@/${P}_t?host=$PGHOST" 'Summer#2024'
tr '\0' ' ' <psql.argv >psql.line
like "... psql's --dbname is libpq's reading, rebuilt" psql.line \
    "--dbname=dbname=${P}_t user=$PGUSER host=$PGHOST "
restore "issue 11: ? in a URI password" \
    "postgresql://$PGUSER:Summer?2024@/${P}_t" 'Summer?2024'
restore "issue 11: :// in a quoted value" \
    "dbname=${P}_t password='ab://cd'" 'ab://cd'
restore "issue 11: a percent-encoded key" \
    "postgresql:///${P}_t?%70assword=PctEnc9" 'PctEnc9'
restore "quotes, blanks and backslashes" \
    "dbname='${P}_t' password='it\\'s a \\\\ secret'" "it's a \\ secret"
tr '\0' ' ' <psql.argv >psql.line
like "... psql's --dbname" psql.line "--dbname=dbname=${P}_t "

# The safety backups were recorded with a source, the restores logged.
like "safety backups recorded with their source" manifest.jsonl \
    "\"type\":\"pre-restore\".*\"source\":\"dbname=${P}_t host="
like "restores logged with their target" restore.log \
    "\"target\":\"dbname=${P}_t host="
is "... and the last one worked" \
    "$(psql -XAt -d ${P}_t -c 'SELECT x FROM t')" v1

# Refused before anything runs: no psql, no pg_dump, no repetition.
rm -f psql.argv pg_dump.argv
errline_pw() {	# errline_pw NAME REGEX -d PASSWORD
	run env PATH="$T/fake:$PATH" bk-restore --yes --clean -D "$2" b.sql
	if [ "$rc" = 64 ] && grep -Eq -- "$3" err &&
	    ! grep -qF -- "$4" err && [ ! -e psql.argv ] && [ ! -e pg_dump.argv ]
	then pass "$1"
	else fail "$1"; diag "exit $rc"; sed 's/^/#   /' err; fi
}
errline_pw "unparsable: refused, not repeated, nothing run" \
    "host=$PGHOST dbname=${P}_t password=Summer 2024" \
    'bad -D: libpq cannot parse it' 'Summer'
errline_pw "a raw / in a URI password: refused" \
    "postgresql://$PGUSER:Sum/mer24@/${P}_t" \
    'bad -D: libpq would read part of a password' 'mer24'
errline_pw "a value left empty: refused" \
    "dbname=${P}_t host= password=EmptyB4" \
    'bad -D: a value in it holds what looks like a password' 'EmptyB4'
done_testing
