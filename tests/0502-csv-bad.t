#!/bin/sh
# bk-csv: the bad-input table.  Each row: exit 65, stdout untouched, one
# line on stderr naming the input, the line and the column.
. "$(dirname "$0")/lib.sh"

bad() {	# bad NAME REGEX PRINTF-INPUT
	printf "$3" >bad.csv
	errline "$1" 65 "^bk-csv: error: \"bad.csv\" $2" bk-csv --test bad.csv
	errline "$1 (stdin, 1 thread)" 65 "^bk-csv: error: \\(stdin\\) $2" \
	    sh -c 'bk-csv -j 1 <bad.csv'
}

bad "unterminated quote" 'line 2, column 3: quoted field not closed' 'a,b\n1,"abc\n2,3\n'
bad "unterminated quote in the header" 'line 1, column 3: quoted field not closed' 'a,"b\n'
bad "stray quote in an unquoted field" 'line 2, column 5: quote in an unquoted field' 'a,b\n1,ab"c\n'
bad "text after a closing quote" 'line 3, column 6: text after the closing quote' 'a,b\n1,2\n3,"x"y\n'
bad "space after a closing quote" 'line 2, column 6: text after the closing quote' 'a,b\n1,"x" \n'
bad "space before an opening quote" 'line 2, column 4: quote in an unquoted field' 'a,b\n1, "x"\n'
bad "too many fields" 'line 3, column 6: record has 3 fields, the header has 2' 'a,b\n1,2\n3,4,5\n'
bad "too few fields" 'line 2, column 2: record has 1 field, the header has 2' 'a,b\n1\n'
bad "ragged last line without a line break" 'line 3, column 2: record has 1 field, the header has 2' 'a,b\n1,2\n3'
bad "blank line in a two-column file" 'line 3, column 1: record has 1 field, the header has 2' 'a,b\n1,2\n\n'
bad "ragged record after a multi-line field" 'line 3, column 3: record has 1 field' 'a,b\n"x\ny"\n'
bad "invalid UTF-8 (Latin-1 é)" 'line 2, column 6: invalid UTF-8 \(byte 0xE9\)' 'a,b\n1,caf\351\n'
bad "invalid UTF-8 in a quoted field" 'line 2, column 4: invalid UTF-8 \(byte 0xC3\)' 'a,b\n1,"\303(x"\n'
bad "overlong UTF-8" 'line 1, column 1: invalid UTF-8 \(byte 0xC0\)' '\300\257\n'
bad "UTF-8 surrogate" 'line 1, column 2: invalid UTF-8 \(byte 0xED\)' 'a\355\240\200\n'
bad "truncated UTF-8 at the end" 'line 2, column 1: invalid UTF-8 \(byte 0xE2\)' 'a\n\342\234'
bad "NUL byte" 'line 2, column 4: NUL byte' 'a,b\n1,x\0y\n'
bad "empty input" 'line 1, column 1: empty input, no header' ''
bad "byte order mark only" 'line 1, column 1: empty input, no header' '\357\273\277'
bad "column counted in characters" 'line 2, column 6: quote in an unquoted field' 'a,b\nção,x"\n'

# Oversized records: caught in a worker (small) and while cutting (large).
awk 'BEGIN { print "a"; s = sprintf("%2000s", ""); gsub(/ /, "x", s); print s }' >big.csv
errline "a field over --max-record" 65 '"big.csv" line 2, column 2001: record longer than 1.0 KiB' \
    bk-csv --test --max-record 1K big.csv
exits "the same field fits the default limit" 0 bk-csv --test big.csv
awk 'BEGIN { print "a"; print 1; s = sprintf("%1000s", ""); gsub(/ /, "y", s)
    for (i = 0; i < 400; i++) printf "%s", s; print "" }' >huge.csv
errline "a record longer than the chunk and the limit" 65 '"huge.csv" line 3, column 1: record longer than 300.0 KiB' \
    bk-csv --test --max-record 300K huge.csv
{ printf 'a\n"'; cat huge.csv; } >open.csv
errline "a quote never closed in a large input" 65 'line 2, column 1: (quoted field not closed|record longer than 300.0 KiB)' \
    bk-csv --test --max-record 300K open.csv
exits "a bad --max-record exits 64" 64 bk-csv --max-record 0 big.csv

# The first error wins, whatever the threads find later.
{ printf 'a,b\n'; i=0; while [ $i -lt 20000 ]; do printf '%d,"x\ny"\n' $i; i=$((i+1)); done
  printf '1,2,3\n'; i=0; while [ $i -lt 20000 ]; do printf '%d,x\n' $i; i=$((i+1)); done
  printf '"unclosed\n'; } >late.csv
errline "the first error in input order, with threads" 65 'line 40002, column 6: record has 3 fields' bk-csv -j 4 --test late.csv
errline "the same error without threads" 65 'line 40002, column 6: record has 3 fields' bk-csv -j 1 --test late.csv
done_testing
