#!/bin/sh
# bk-restore asks before it replaces anything: on the terminal (a
# pseudo-terminal here, made the controlling one of a new session), the
# name of the database must be typed; a passphrase is asked with the echo
# off; without a terminal and without --yes it refuses.
. "$(dirname "$0")/lib.sh"
need sqlite3 python3 setsid

# ask OUT ANSWER... -- CMD...: runs CMD on a new pseudo-terminal, its
# controlling terminal, with stdout and stderr on it, typing each ANSWER
# after a prompt in turn; writes what the terminal showed to OUT and exits
# with CMD's status (pty in lib.sh).
ask() {
	_out=$1; shift
	_an=0	# the answers, moved after CMD as pty's -a options
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		set -- "$@" -a "$1"; shift; _an=$((_an + 2))
	done
	shift
	# CMD... -a ANSWER...: the options, then OUT, then CMD.
	_ac=$(($# - _an))
	set -- "$@" "$_out"
	while [ $_ac -gt 0 ]; do set -- "$@" "$1"; shift; _ac=$((_ac - 1)); done
	pty -o -E "$@"
}

sqlite3 app.db "CREATE TABLE t (a); INSERT INTO t VALUES ('backup')"
bk-dump -D sqlite:app.db -F sqlite -o app.bak.db
bk-manifest add -T manual app.bak.db
sqlite3 app.db "UPDATE t SET a = 'live'"
cp app.db app.saved
untouched() {
	if cmp -s app.db app.saved && [ ! -e pre-restore ] && [ ! -e restore.log ]
	then pass "$1: nothing changed"; else fail "$1: nothing changed"; fi
}

# ---- no terminal ----
errline "no terminal, no --yes" 64 \
    '^bk-restore: error: refusing to restore into SQLite database "app.db" without confirmation: there is no terminal to ask on \(use --yes\)$' \
    setsid -w bk-restore -D sqlite:app.db app.bak.db
untouched "no terminal"

# ---- the question ----
ask tty.out app -- bk-restore -D sqlite:app.db app.bak.db
is "a wrong answer exits 1" "$?" 1
like "... after the question naming the backup" tty.out '^bk-restore: restore "app.bak.db" \(made [0-9T:+Z-]+\)'
like "... verified" tty.out '^  verified just now: sqlite, sha256 [0-9a-f]{16}\.\.\.'"$(printf '\r')"'?$'
like "... and the target" tty.out '^  into SQLite database "app.db"\?'
like "... and the safety backup" tty.out '^  A safety backup of it goes to "pre-restore/app_[0-9_]+\.db" first\.'
like "... asking for its name" tty.out 'Type the name of the database file \(app\.db\) to go on: '
like "... says nothing changed" tty.out '^bk-restore: error: not confirmed: nothing was changed'
untouched "wrong answer"
ask tty.out "" -- bk-restore -D sqlite:app.db app.bak.db
is "an empty answer exits 1" "$?" 1
untouched "empty answer"
ask tty.out app.db -- bk-restore -D sqlite:app.db app.bak.db
is "the right answer restores" "$?" 0
is "... the data" "$(sqlite3 app.db 'SELECT a FROM t')" backup
like "... and the outcome is shown there" tty.out \
    '^bk-restore: restored "app.bak.db" into SQLite database "app.db" in [0-9.]+ s; the safety backup is "pre-restore/app_[0-9_-]+\.db"'
ok "... after the safety backup" test -s "$(ls pre-restore/app_*.db)"

# ---- --yes does not ask ----
cp app.saved app.db
ask tty.out -- bk-restore --yes -D sqlite:app.db app.bak.db
is "--yes on a terminal" "$?" 0
unlike "... asks nothing" tty.out 'to go on'
empty "... and says nothing" tty.out

# ---- a passphrase, asked with the echo off ----
printf 'pass phrase 42\n' >pass.txt
bk-crypt -p --passphrase-file pass.txt -o app.bak.db.age app.bak.db
bk-manifest add app.bak.db.age
cp app.saved app.db
ask tty.out "pass phrase 42" app.db -- bk-restore -D sqlite:app.db app.bak.db.age
is "a passphrase asked on the terminal" "$?" 0
like "... prompted" tty.out 'Enter passphrase: '
unlike "... never echoed" tty.out 'pass phrase 42'
is "... restored" "$(sqlite3 app.db 'SELECT a FROM t')" backup
cp app.saved app.db
ask tty.out "wrong phrase" -- bk-restore -D sqlite:app.db app.bak.db.age
is "a wrong passphrase exits 1" "$?" 1
like "... before any question" tty.out 'no identity matches \(wrong key or passphrase\)'
ok "... nothing changed" cmp -s app.db app.saved

# ---- PostgreSQL: the database's name ----
if [ -n "${BK_TEST_PG:-}" ] && command -v psql >/dev/null; then
	dropdb --if-exists r0904_x 2>/dev/null
	createdb r0904_x
	printf -- '--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE t (a int);\n\n--\n-- PostgreSQL database dump complete\n--\n\n' >d.sql
	bk-manifest add d.sql
	ask tty.out r0904 -- bk-restore -D r0904_x d.sql
	is "PostgreSQL: a wrong name exits 1" "$?" 1
	like "... the question names the database" tty.out \
	    'into PostgreSQL database "r0904_x" \(host .*, port [0-9]+, user .*\)\?'
	like "... it runs on top of what is there" tty.out 'The script runs on top of what is in it\.'
	is "... no table made" "$(psql -XAt -d r0904_x -c "SELECT count(*) FROM pg_tables WHERE tablename = 't'")" 0
	ask tty.out r0904_x -- bk-restore --clean -D r0904_x d.sql
	is "... the right name restores" "$?" 0
	like "... --clean is announced" tty.out 'Everything in it is dropped first and replaced\.'
	is "... the table is there" "$(psql -XAt -d r0904_x -c "SELECT count(*) FROM pg_tables WHERE tablename = 't'")" 1
	ask tty.out -- bk-restore -P --yes --clean -D r0904_x d.sql
	is "-P on a terminal" "$?" 0
	like "... the verification's meter" tty.out 'verifying: [0-9]+ B \(100%\)  '
	like "... the safety backup's" tty.out 'safety backup: [0-9.]+ (B|KiB)  '
	like "... the restore's" tty.out 'restoring: [0-9]+ B \(100%\)  '
	ask tty.out -- bk-restore --yes --clean -D r0904_x d.sql
	unlike "no -P, no meter" tty.out 'verifying|restoring'
	dropdb --force r0904_x
else
	for i in 1 2 3 4 5 6 7 8 9 10 11; do skip "no test PostgreSQL server"; done
fi
done_testing
