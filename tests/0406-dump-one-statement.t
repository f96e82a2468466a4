#!/bin/sh
# 0406-dump-one-statement.t: a --query is one statement, in SQLite as in
# PostgreSQL (whose extended protocol refuses a second): the rest of the
# text is never silently dropped, nor run.
. "$(dirname "$0")/lib.sh"
need sqlite3

sqlite3 db.sqlite 'CREATE TABLE t (a int); INSERT INTO t VALUES (1);'
errline "SQLite: two statements are refused" 65 \
    '^bk-dump: error: query1: the query holds more than one statement$' \
    bk-dump -D sqlite:db.sqlite --query 'SELECT * FROM t; DELETE FROM t'
is "...and the second did not run" "$(sqlite3 db.sqlite 'SELECT count(*) FROM t')" 1
exits "a trailing semicolon and comment are one statement" 0 \
    bk-dump -D sqlite:db.sqlite --query 'SELECT * FROM t; -- done'
is "...its rows" "$(tr -d '\r' <"$T/out")" "$(printf 'a\n1')"
exits "a trailing blank is fine" 0 \
    bk-dump -D sqlite:db.sqlite --query 'SELECT * FROM t;   '

if [ -n "${BK_TEST_PG:-}" ]; then
	run bk-dump -D "dbname=$PGDATABASE" --query 'SELECT 1; SELECT 2'
	is "PostgreSQL refuses two statements too" "$rc" 65
else
	skip "no test PostgreSQL server"
fi

done_testing
