#!/bin/sh
# 0006-output-links.t: -o never writes through a symbolic link planted at
# the output's name (x.csv -> /dev/null, -> a FIFO, -> a file elsewhere):
# without -f it is a file that exists (73), with -f the link itself is
# replaced by the new file and its target is left alone.  A device named
# directly, or through /dev (/dev/stdout), is still written in place.
. "$(dirname "$0")/lib.sh"

bk-crypt --keygen -q -o key.txt
pub=$(bk-crypt -y -i key.txt)
printf 'id,name\n1,Ana\n' >in.csv
mkdir elsewhere
printf 'precious\n' >elsewhere/file
mkfifo elsewhere/fifo

# tool: the command that reads in.csv and writes -o OUT.
check() {
	_t=$1; shift
	for _dst in /dev/null "$T/elsewhere/fifo" "$T/elsewhere/file"; do
		rm -f dst
		ln -s "$_dst" dst
		errline "$_t: a link at -o to $_dst is a file that exists" 73 \
		    'file exists \(use -f to replace it\)$' "$@" -o dst
		ok "$_t: ...the link is still a link" test -L dst
		exits "$_t -f: replaces the link" 0 "$@" -f -o dst
		ok "$_t -f: ...with a regular file of mode 600" \
		    sh -c 'test -f dst && ! test -L dst && [ "$(stat -c %a dst)" = 600 ]'
		is "$_t -f: ...its target untouched" "$(cat elsewhere/file)" precious
	done
	exits "$_t: -o /dev/null is written in place" 0 "$@" -f -o /dev/null
	ok "$_t: ...and stays a device" test -c /dev/null
}

check bk-gz bk-gz in.csv
check bk-csv bk-csv in.csv
check bk-crypt bk-crypt -r "$pub" in.csv
check bk-sum sh -c 'exec bk-sum --tee "$@" <in.csv' sh
check bk-dump bk-dump -D "sqlite:$(sqlite3 db.sqlite 'create table t(a); insert into t values(1);' && echo db.sqlite)" --table t

# /dev/stdout is a link under /dev: the user named standard output.
run sh -c 'bk-gz -o /dev/stdout in.csv | gzip -dc'
is "-o /dev/stdout goes through its link" "$(cat "$T/out")" "$(cat in.csv)"

done_testing
