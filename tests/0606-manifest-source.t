#!/bin/sh
# bk-manifest add --source: the source is recorded as libpq parsed it, without
# any secret, whatever its form; one libpq cannot parse (or would misread)
# is recorded as a placeholder, never as given.  Issue 11: a "#" or "?" in
# a URI password, "://" in a quoted conninfo value and a percent-encoded
# key all used to reach the manifest.
. "$(dirname "$0")/lib.sh"

n=0
# src NAME SOURCE WANT SECRET: adds a new file with -s SOURCE; the line
# records WANT as its source, and SECRET is nowhere in the manifest.
src() {
	n=$((n + 1))
	printf 'id\n%s\n' $n >f$n.csv
	run bk-manifest add -T manual --source "$2" f$n.csv
	if [ "$rc" != 0 ]; then fail "$1: add"; sed 's/^/#   /' err; return; fi
	_got=$(bk-manifest list -F json | grep "\"path\":\"f$n.csv\"" |
	    jq -r '.source // "(none)"')
	is "$1" "$_got" "$3"
	if grep -qF -- "$4" manifest.jsonl; then fail "... no secret"
		grep -F -- "$4" manifest.jsonl | head -1 | sed 's/^/#   /'
	else pass "... no secret"; fi
}
need jq

src "issue 11: # in a URI password" \
    'postgresql://app:Summer#2024@db/erp' 'dbname=erp user=app host=db' \
    'Summer#2024'
empty "... quietly" err
src "issue 11: ? in a URI password" \
    'postgresql://app:Summer?2024@db/erp?sslmode=require' \
    'dbname=erp user=app host=db sslmode=require' 'Summer?2024'
src "issue 11: :// in a quoted value" \
    "host=db password='ab://cd'" 'host=db' 'ab://cd'
src "issue 11: a percent-encoded key" \
    'postgresql://db/erp?%70assword=Pct3nc' 'dbname=erp host=db' 'Pct3nc'
src "an encoded sslpassword" \
    'postgresql://db/erp?ssl%70assword=SslPw9' 'dbname=erp host=db' 'SslPw9'
src "percent-encoded password" \
    'postgresql://u:Q%3Fm%40rk%23@db/erp' 'dbname=erp user=u host=db' 'Q?m@rk#'
src "quotes, spaces, backslashes kept" \
    "dbname='my db' password='it\\'s' application_name=a\\\\b" \
    "dbname='my db' application_name='a\\\\b'" "it's"
src "several hosts" \
    'postgresql://u:MultiPw@h1:5432,h2:5433/erp' \
    'dbname=erp user=u host=h1,h2 port=5432,5433' 'MultiPw'
src "a database name" 'erp' 'erp' 'nothing-secret-here'
src "sqlite:PATH" 'sqlite:/srv/a=b.db' 'sqlite:/srv/a=b.db' 'nothing-secret-here'
src "free text" 'before the demo' 'before the demo' 'nothing-secret-here'

# Refused by the parser: a placeholder, a warning, the add still done.
src "libpq cannot parse it" 'host=db password=Summer 2024' \
    '(unparsable connection string)' 'Summer'
like "... a warning" err '^bk-manifest: warning: --source is not a connection string libpq can parse: recorded as "\(unparsable connection string\)"$'
unlike "... that does not repeat it" err 'Summer|2024'
src "a raw / in a URI password" 'postgresql://app:Sum/mer24@db/erp' \
    '(unparsable connection string)' 'mer24'
src "a value left empty before the password" 'host= password=EmptyB4' \
    '(unparsable connection string)' 'EmptyB4'
src "another scheme with user info" 'mysql://root:MyPw1@db/x' \
    '(unparsable connection string)' 'MyPw1'
src "nothing but a password" 'password=OnlyPw' '(none)' 'OnlyPw'
done_testing
