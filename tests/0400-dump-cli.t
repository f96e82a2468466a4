#!/bin/sh
# bk-dump: command line, exit codes, output handling, bad inputs (SQLite
# source, so that this file needs no server).
. "$(dirname "$0")/lib.sh"
need sqlite3

sqlite3 db.sqlite "CREATE TABLE t (id INTEGER, name TEXT);
    INSERT INTO t VALUES (1, 'um'), (2, 'dois');"

# --help, --version, bad options
run bk-dump --help
is "--help exits 0" "$rc" 0
like "--help prints the usage" out '^usage: bk-dump '
empty "--help writes nothing on stderr" err
run bk-dump -h
is "-h exits 0" "$rc" 0
run bk-dump --version
is "--version exits 0" "$rc" 0
like "--version names the suite" out '^bk-dump \(bk\) [0-9]'
exits "an unknown option exits 64" 64 bk-dump --bogus -D sqlite:db.sqlite --table t
empty "an unknown option writes nothing on stdout" out
like "an unknown option hints at --help" err "Try 'bk-dump --help'"
ok "usage text equals the man page SYNOPSIS" sh -c '
    mandoc -T utf8 "$TOP/man/bk-dump.1" 2>/dev/null | col -b |
    sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | tr -s " \t\n" "   " |
    grep -F -- "$(bk-dump --help | sed "s/^usage: //" | tr -s " \t\n" "   " |
	sed "s/^ *//; s/ *$//")" >/dev/null'

# Usage errors: exit 64, nothing on stdout, the reason on stderr.
while IFS='|' read -r name re args; do
	# shellcheck disable=SC2086
	eval "set -- $args"
	exits "usage: $name" 64 bk-dump "$@"
	empty "usage: $name: stdout empty" out
	like "usage: $name: message" err "$re"
done <<'TABLE'
nothing to export|nothing to export|-D sqlite:db.sqlite
bad --month 2024-13|bad --month "2024-13"|-D sqlite:db.sqlite --month 2024-13 --table t
bad --month 2024-9|bad --month "2024-9"|-D sqlite:db.sqlite --month 2024-9 --table t
bad --month 0000-01|bad --month|-D sqlite:db.sqlite --month 0000-01 --table t
bad --month text|bad --month|-D sqlite:db.sqlite --month september --table t
--param without =|bad --param|-D sqlite:db.sqlite --param x --table t
--param bad name|bad parameter name "1x"|-D sqlite:db.sqlite --param 1x=2 --table t
--param twice|given twice|-D sqlite:db.sqlite --param a=1 --param a=2 --table t
--param month_start with --month|given twice|-D sqlite:db.sqlite --month 2024-09 --param month_start=x --table t
unknown format|unknown format "xml"|-D sqlite:db.sqlite -F xml --table t
sqlite format from PostgreSQL|needs an SQLite source|-D dbname=x -F sqlite
sqlite format with a table|copies the whole database|-D sqlite:db.sqlite -F sqlite --table t
--serializable on SQLite|are for PostgreSQL|-D sqlite:db.sqlite --serializable --table t
bad conninfo|bad -D: .*sqlite:PATH|-D app.db --table t
empty sqlite path|empty path|-D sqlite: --table t
undefined placeholder|no value for :who|-D sqlite:db.sqlite --query "SELECT * FROM t WHERE name = :who"
positional placeholder|only :NAME placeholders|-D sqlite:db.sqlite --query "SELECT * FROM t WHERE id = ?"
extra argument|unexpected argument|-D sqlite:db.sqlite --table t extra
TABLE

# Bad inputs: exit code and exactly one line naming the problem.
printf 'this is not a database, just text that is long enough to be read as one.............................................................' >notadb.sqlite
: >empty.sqlite
mkdir adir
gzip -c db.sqlite >db.sqlite.gz
while IFS='|' read -r name code re args; do
	eval "set -- $args"
	errline "bad input: $name" "$code" "$re" bk-dump "$@"
	empty "bad input: $name: stdout empty" out
done <<'TABLE'
missing file|66|could not open "nope.sqlite": No such file|-D sqlite:nope.sqlite --table t
a folder|66|could not open "adir": is a folder|-D sqlite:adir --table t
gzipped database|65|"db.sqlite.gz": file is not an SQLite database|-D sqlite:db.sqlite.gz --table t
not a database|65|"notadb.sqlite": file is not an SQLite database|-D sqlite:notadb.sqlite --table t
not a database, copy|65|"notadb.sqlite": file is not an SQLite database|-D sqlite:notadb.sqlite -F sqlite
unknown table|65|error: nope: no such table: nope|-D sqlite:db.sqlite --table nope
unknown table, labelled|65|error: x: no such table: nope|-D sqlite:db.sqlite --table x=nope
empty database, unknown table|65|no such table: t|-D sqlite:empty.sqlite --table t
SQL error|65|error: q: .*syntax error|-D sqlite:db.sqlite --query "q=SELEC 1"
unknown column|65|error: query2: no such column: nope|-D sqlite:db.sqlite --table t --query "SELECT nope FROM t"
label column clash|65|column "type" clashes|-D sqlite:db.sqlite --table t --query "SELECT 1 AS type"
duplicate column|65|column "id" appears twice|-D sqlite:db.sqlite --table t --query "SELECT id, id FROM t"
unreachable PostgreSQL|69|could not connect to the database|-D "host=/nonexistent/bk port=1 password=hunter2secret" --table t
TABLE
unlike "the password never shows" err hunter2secret

if [ "$(id -u)" != 0 ]; then
	cp db.sqlite locked.sqlite; chmod 000 locked.sqlite
	errline "unreadable file exits 77" 77 'could not open "locked.sqlite"' \
	    bk-dump -D sqlite:locked.sqlite --table t
else
	skip "unreadable file (running as root)"
fi

# Output: -o is atomic, private, refuses to replace without -f.
run bk-dump -D sqlite:db.sqlite --table t -o out.csv
is "-o exits 0" "$rc" 0
empty "-o writes nothing on stdout" out
printf 'id,name\n1,um\n2,dois\n' >want.csv
same "-o writes the CSV" out.csv want.csv
is "-o creates the file mode 0600" "$(mode out.csv)" 600
errline "an existing -o file is refused (73)" 73 'file exists' \
    bk-dump -D sqlite:db.sqlite --table t -o out.csv
same "the refused file is untouched" out.csv want.csv
run bk-dump -f -D sqlite:db.sqlite --table t -o out.csv
is "-f replaces it" "$rc" 0
errline "a failed export commits nothing" 65 'no such table' \
    bk-dump -D sqlite:db.sqlite --table t --table nope -o fail.csv
ok "no file after a failure" test ! -e fail.csv
is "no temporary file left" "$(ls -A | grep -c '\.bk-')" 0
errline "an output folder that does not exist exits 73" 73 'could not create' \
    bk-dump -D sqlite:db.sqlite --table t -o nodir/out.csv
exits ">/dev/full exits 74" 74 sh -c 'bk-dump -D sqlite:db.sqlite --table t >/dev/full'
like ">/dev/full says why" err 'could not write'

# --counts: label TAB rows, one line per export, written with the output.
run bk-dump -D sqlite:db.sqlite --table t --query "um=SELECT * FROM t WHERE id = 1" \
    --query "nada=SELECT * FROM t WHERE 0" --counts counts.tsv -o c.csv
is "--counts exits 0" "$rc" 0
printf 't\t2\num\t1\nnada\t0\n' >want.tsv
same "--counts writes label TAB rows" counts.tsv want.tsv
is "--counts file is mode 0600" "$(mode counts.tsv)" 600
run bk-dump -D sqlite:db.sqlite --table t --counts counts.tsv
is "an existing --counts file is refused" "$rc" 73

# -v and -q
run bk-dump -v -D sqlite:db.sqlite --table t
like "-v reports rows per label" err '^bk-dump: t: 2 rows$'
run bk-dump -q -D sqlite:db.sqlite --table t
empty "-q: nothing on stderr" err
run bk-dump -D sqlite:db.sqlite --table t
empty "by default, nothing on stderr" err

# A reader that leaves early: no message, stopped by SIGPIPE.
(bk-dump -D sqlite:db.sqlite --query "WITH RECURSIVE c(n) AS (SELECT 1
    UNION ALL SELECT n + 1 FROM c WHERE n < 300000) SELECT n, 'padding' FROM c" \
    2>pipe.err; echo $? >pipe.rc) | head -1 >/dev/null
is "broken pipe: killed by SIGPIPE" "$(cat pipe.rc)" 141
empty "broken pipe: no message" pipe.err

# The sqlite format refuses a terminal without -f, but not a pipe.
run sh -c 'bk-dump -D sqlite:db.sqlite -F sqlite | cat >copy.sqlite'
is "-F sqlite to a pipe works" "$rc" 0
is "the piped copy is a database" "$(sqlite3 copy.sqlite 'select count(*) from t')" 2
done_testing
