#!/bin/sh
# bk-dump -D takes what libpq takes, passwords with "#", "?", "://" or
# percent-encoded keys included (libpq's own parser checks it, libpq
# connects), and a -d it cannot parse or would misread is refused with
# exit 64 before connecting, without repeating it: libpq's message would
# quote it, password and all.  bk-dump runs no other program, so a
# password goes nowhere but to libpq.
. "$(dirname "$0")/lib.sh"
need_pg

db=bk_0405
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || skip_all "could not create a database"
trap 'cd /; dropdb --if-exists "$db" 2>/dev/null; rm -rf "$T"' EXIT
psql -Xq -d "$db" -c "CREATE TABLE t (x text); INSERT INTO t VALUES ('v1')" ||
    skip_all "could not create the table"

# dumps NAME SOURCE: bk-dump -D SOURCE reads the table.
dumps() {
	run bk-dump -D "$2" --table t
	if [ "$rc" = 0 ] && grep -q '^v1' out; then pass "$1"
	else fail "$1"; diag "exit $rc"; sed 's/^/#   /' err | head -3; fi
}
dumps "issue 11: # in a URI password" \
    "postgresql://$PGUSER:Summer#2024@/$db?host=$PGHOST"
dumps "issue 11: ? in a URI password" "postgresql://$PGUSER:Summer?2024@/$db"
dumps "issue 11: :// in a quoted value" "dbname=$db password='ab://cd'"
dumps "issue 11: a percent-encoded key" "postgresql:///$db?%70assword=x"

# refused NAME REGEX SOURCE SECRET: exit 64, the reason, never SECRET.
refused() {
	run bk-dump -D "$3" --table t
	if [ "$rc" = 64 ] && [ ! -s out ] &&
	    head -1 err | grep -Eq -- "^bk-dump: error: bad -D: $2" &&
	    ! grep -qF -- "$4" err; then pass "$1"
	else fail "$1"; diag "exit $rc"; sed 's/^/#   /' err | head -3; fi
}
refused "unparsable: not repeated" 'libpq cannot parse it .*not shown' \
    "dbname=$db password=Summer 2024" Summer
refused "libpq's message would quote it" 'libpq cannot parse it' \
    "postgresql://$PGUSER:Sum%zzmer@/$db" Sum
refused "a raw / in a URI password" 'libpq would read part of a password' \
    "postgresql://$PGUSER:Sum/mer24@/$db" mer24
refused "a value left empty before password=" \
    'a value in it holds what looks like a password' \
    "dbname=$db host= password=EmptyB4" EmptyB4
refused "a dbname holding a URI with a password" \
    'a value in it holds what looks like a password' \
    "dbname='postgresql://u:NestPw@h/x'" NestPw
done_testing
