#!/bin/sh
# bk-gz: options, round trips, the fixed header, identical bytes whatever
# the thread count, atomic -o, quiet and verbose, broken pipes.
. "$(dirname "$0")/lib.sh"
need gzip

# --help, --version, bad options
exits "--help exits 0" 0 bk-gz --help
like "--help prints the usage" out '^usage: bk-gz \[-1 \.\.\. -9\]'
empty "--help writes nothing on stderr" err
exits "-h exits 0" 0 bk-gz -h
exits "--version exits 0" 0 bk-gz --version
like "--version names the suite" out '^bk-gz \(bk\) [0-9]'
for bad in -x --bogus "-j 0" "-j x" "-j 257" "--level 0" "-d -t" \
    "-c -o x" "-t -o x" "a b" -p; do
	# shellcheck disable=SC2086
	exits "bad usage $bad exits 64" 64 bk-gz $bad
	empty "bad usage $bad writes nothing on stdout" out
	like "bad usage $bad says what is wrong" err '^bk-gz: error: '
done

# Round trips across the sizes that matter: empty, tiny, deflate's window
# and the block size (1 MiB: a member each), each +-1.
gen_text 1100000 >text
gen_text 2200000 >long
for n in 0 1 32767 32768 32769 131072 1000000 1048575 1048576 1048577 \
    2097152 2097153; do
	head -c "$n" long >in.$n
	bk-gz <in.$n >in.$n.gz
	bk-gz -d <in.$n.gz >back.$n
	same "round trip of $n bytes" back.$n in.$n
done
# A member per MiB of input; an empty input is one empty member.
for nm in 0:1 1:1 1048576:1 1048577:2 2097152:2 2097153:3; do
	bk-gz -tv in.${nm%:*}.gz 2>members.err
	like "${nm%:*} bytes make ${nm#*:} member(s)" members.err \
	    "OK, ${nm#*:} members?, ${nm%:*} bytes\$"
done

# Golden bytes (bk-gz(1), FORMAT): the header has no name and no time
# (MTIME 0, OS 3) and one extra subfield, 'B','K', holding the member's
# whole size; an empty input is one member with an empty stored block.
is "empty input gives the 33-byte gzip of nothing" \
    "$(od -An -tx1 in.0.gz | tr -d ' \n')" \
    1f8b08040000000000030800424b040021000000010000ffff0000000000000000
printf 'hello\n' | bk-gz >hello.gz
is "the header of hello, with its size (39 bytes) in the extra field" \
    "$(head -c 20 hello.gz | od -An -tx1 | tr -d ' \n')" \
    1f8b08040000000000030800424b040027000000
is "hello is 39 bytes" "$(wc -c <hello.gz)" 39
is "the trailer of hello holds its CRC and length" \
    "$(tail -c 8 hello.gz | od -An -tx1 | tr -d ' \n')" 20303a3606000000
bk-gz -1 <in.1000000 | head -c 10 | od -An -tx1 | tr -d ' \n' >xfl1
is "level 1 marks the header as fastest" "$(cat xfl1)" 1f8b0804000000000403
bk-gz -9 <in.1000000 | head -c 10 | od -An -tx1 | tr -d ' \n' >xfl9
is "level 9 marks the header as best" "$(cat xfl9)" 1f8b0804000000000203

# The same input gives the same bytes whatever the thread count.
gen_random 3000000 >random
cat text random text >mixed
for lvl in 1 6 9; do
	bk-gz -$lvl -j 1 <mixed >p1.gz
	bk-gz -$lvl -j 2 <mixed >p2.gz
	bk-gz -$lvl -j 3 <mixed >p3.gz
	same "level $lvl: -j 1 and -j 2 give the same bytes" p2.gz p1.gz
	same "level $lvl: -j 1 and -j 3 give the same bytes" p3.gz p1.gz
	bk-gz -d <p3.gz >back
	same "level $lvl: the mixed input comes back" back mixed
done
bk-gz -j 2 <mixed >a.gz
bk-gz -j 16 <mixed >p16.gz
same "-j 16, more threads than blocks in flight, gives the same bytes" p16.gz a.gz
bk-gz -j 2 <mixed >b.gz
same "two runs give the same bytes" b.gz a.gz
cat mixed | bk-gz -j 2 >pipe.gz
same "a pipe gives the same bytes as a file" pipe.gz a.gz
bk-gz -j 2 mixed >named.gz
same "a named input gives the same bytes as stdin" named.gz a.gz
bk-gz -9 <mixed >l9.gz
bk-gz -1 <mixed >l1.gz
ok "level 9 is smaller than level 1" test "$(wc -c <l9.gz)" -lt "$(wc -c <l1.gz)"
bk-gz --best <mixed >best.gz
same "--best is -9" best.gz l9.gz
bk-gz --fast <mixed >fast.gz
same "--fast is -1" fast.gz l1.gz
bk-gz --level=9 <mixed >lev.gz
same "--level=9 is -9" lev.gz l9.gz
bk-gz -c <mixed >c.gz
same "-c writes to stdout as without it" c.gz a.gz
bk-gz -dc <a.gz >back
same "-dc decompresses to stdout" back mixed
bk-gz -d --threads 1 --stdout a.gz >back
same "-p is accepted and ignored with -d" back mixed

# -o is atomic, private, and does not replace a file without -f.
exits "-o writes a file" 0 bk-gz -o out.gz mixed
empty "-o leaves stdout empty" out
same "-o writes the same bytes" out.gz a.gz
is "-o makes the file mode 0600" "$(mode out.gz)" 600
errline "-o refuses an existing file" 73 'could not create "out.gz": file exists' \
    bk-gz -o out.gz mixed
same "the refused file is untouched" out.gz a.gz
exits "-f replaces it" 0 bk-gz -f -o out.gz in.1000000
bk-gz -d out.gz >back
same "the replaced file holds the new data" back in.1000000
exits "-d -o writes a file" 0 bk-gz -d -o plain a.gz
same "-d -o writes the data" plain mixed
is "-d -o makes the file mode 0600" "$(mode plain)" 600
printf 'not gzip' >bad.gz
errline "-d -o on bad data fails" 65 'not gzip data' bk-gz -d -o plain2 bad.gz
ok "-d -o on bad data leaves no file" test ! -e plain2
is "-d -o on bad data leaves no temporary file" "$(ls -A | grep -c '^\.')" 0
errline "-o in a missing folder exits 73" 73 'could not create "nofolder/x.gz"' \
    bk-gz -o nofolder/x.gz mixed

# -t is silent on good data; -v says what was done.
exits "-t passes a good file" 0 bk-gz -t a.gz
empty "-t writes nothing on stdout" out
empty "-t writes nothing on stderr" err
exits "-tv passes" 0 bk-gz -tv a.gz
like "-tv says OK, a member per MiB" err '^bk-gz: "a.gz": OK, 5 members, 5200000 bytes$'
exits "-v compresses" 0 bk-gz -v -j 2 -o v.gz mixed
like "-v reports sizes and threads" err '^bk-gz: "mixed": 5200000 -> [0-9]+ bytes \([0-9.]+%\), 2 threads$'
exits "-dv decompresses" 0 bk-gz -dv -o dv.out a.gz
like "-dv reports sizes" err '^bk-gz: "a.gz": [0-9]+ -> 5200000 bytes$'
exits "-q compresses" 0 bk-gz -q -o q.gz mixed
empty "-q is silent" err
errline "-q still reports errors" 65 'not gzip data' bk-gz -q -d bad.gz
exits "-P off a terminal" 0 bk-gz -P -o p.gz mixed
empty "-P draws nothing when stderr is not a terminal" err

# Binary output to a terminal is refused without -f.
# (On a pseudo-terminal: stdout and stderr on it, or stderr only for -P.)
if command -v python3 >/dev/null 2>&1; then
	pty -o -E tty.log bk-gz <mixed; r=$?
	like "compressed data to a terminal is refused" tty.log 'refusing to write binary data to a terminal'
	is "the refusal exits 64" "$r" 64
	pty -o -E tty2.log bk-gz -f <in.1
	is "-f allows it" "$?" 0
	pty -E tty3.log bk-gz -P -o prog.gz mixed
	like "-P on a terminal shows bytes, rate and time" tty3.log 'mixed: .*B/s  [0-9]+:[0-9]{2}:[0-9]{2}'
else
	skip "no python3"; skip "no python3"; skip "no python3"
	skip "no python3"
fi

# A reader that goes away stops bk-gz quietly, as it stops cat.
bk-gz -j 2 <mixed >/dev/null
(bk-gz -j 2 <mixed 2>pipe.err; echo $? >pipe.rc) | head -c 10 >/dev/null
empty "a broken pipe while compressing is quiet" pipe.err
ok "a broken pipe ends compression by SIGPIPE" grep -Eq '^(141|0)$' pipe.rc
(bk-gz -d <a.gz 2>dpipe.err; echo $? >dpipe.rc) | head -c 10 >/dev/null
empty "a broken pipe while decompressing is quiet" dpipe.err
ok "a broken pipe ends decompression by SIGPIPE" grep -Eq '^(141|0)$' dpipe.rc

done_testing
