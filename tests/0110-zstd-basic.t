#!/bin/sh
# bk-zstd: options, levels, round trips, identical bytes whatever the
# thread count and however the input arrives, atomic -o, quiet and
# verbose, progress, broken pipes.
. "$(dirname "$0")/lib.sh"

# --help, --version, bad options
exits "--help exits 0" 0 bk-zstd --help
like "--help prints the usage" out '^usage: bk-zstd \[-1 \.\.\. -19\]'
empty "--help writes nothing on stderr" err
exits "-h exits 0" 0 bk-zstd -h
exits "--version exits 0" 0 bk-zstd --version
like "--version names the suite" out '^bk-zstd \(bk\) [0-9]'
for bad in -x --bogus "-j 0" "-j x" "-j 257" "--level 0" "--level 20" \
    "--level=x" -20 -99 -0 "-d -t" "-c -o x" "-t -o x" "a b" -p -T2 \
    --ultra --long "--fast=3"; do
	# shellcheck disable=SC2086
	exits "bad usage $bad exits 64" 64 bk-zstd $bad
	empty "bad usage $bad writes nothing on stdout" out
	like "bad usage $bad says what is wrong" err '^bk-zstd: error: '
done
usage "-20 names the level and the range" 'invalid level "20" \(1 to 19\)' \
    bk-zstd -20
usage "-T is not zstd's threads here" 'unknown option "-T"' bk-zstd -T2

# Round trips across the sizes that matter: empty, tiny, a block (128 KiB)
# and a job (8 MiB at level 3), each +-1.
gen_text 9000000 >text
for n in 0 1 131071 131072 131073 1000000 8388607 8388608 8388609 9000000; do
	head -c "$n" text >in.$n
	bk-zstd <in.$n >in.$n.zst
	bk-zstd -d <in.$n.zst >back.$n
	same "round trip of $n bytes" back.$n in.$n
done

# Golden bytes: a frame with a checksum and without a content size (the
# descriptor byte 0x04), a window for level 3 and a 1-byte input.
is "the frame header of one byte: magic, descriptor, window" \
    "$(head -c 6 in.1.zst | od -An -tx1 | tr -d ' \n')" 28b52ffd0458
is "an empty input is a 13-byte frame" "$(wc -c <in.0.zst)" 13

# The same input gives the same bytes whatever the thread count.
gen_random 3000000 >random
cat text random text >mixed
for lvl in 1 3 9; do
	bk-zstd -$lvl -j 1 <mixed >p1.zst
	bk-zstd -$lvl -j 2 <mixed >p2.zst
	bk-zstd -$lvl -j 3 <mixed >p3.zst
	same "level $lvl: -j 1 and -j 2 give the same bytes" p2.zst p1.zst
	same "level $lvl: -j 1 and -j 3 give the same bytes" p3.zst p1.zst
	bk-zstd -d <p3.zst >back
	same "level $lvl: the mixed input comes back" back mixed
done
bk-zstd -j 2 <mixed >a.zst
bk-zstd -j 16 <mixed >p16.zst
same "-j 16 gives the same bytes" p16.zst a.zst
bk-zstd -j 2 <mixed >b.zst
same "two runs give the same bytes" b.zst a.zst
cat mixed | bk-zstd -j 2 >pipe.zst
same "a pipe gives the same bytes as a file" pipe.zst a.zst
# A pipe that gives the input in small, uneven pieces.
perl -e 'open(F, "<", $ARGV[0]) or die; binmode F; $| = 1;
    my @s = (1, 7, 4096, 65537, 300000); my $i = 0;
    while (read(F, my $b, $s[$i++ % @s])) { syswrite(STDOUT, $b) }' mixed |
    bk-zstd -j 2 >dribble.zst
same "a pipe in small uneven pieces gives the same bytes" dribble.zst a.zst
bk-zstd -j 2 mixed >named.zst
same "a named input gives the same bytes as stdin" named.zst a.zst
bk-zstd -19 -j 2 <in.1000000 >l19.zst
bk-zstd -1 -j 2 <in.1000000 >l1.zst
ok "level 19 is smaller than level 1" test "$(wc -c <l19.zst)" -lt "$(wc -c <l1.zst)"
bk-zstd --best -j 2 <in.1000000 >best.zst
same "--best is -19" best.zst l19.zst
bk-zstd --level=19 -j 2 <in.1000000 >lev.zst
same "--level=19 is -19" lev.zst l19.zst
bk-zstd --fast <in.1000000 >fast.zst
same "--fast is -1" fast.zst l1.zst
bk-zstd -9 <in.1000000 >l9.zst
bk-zstd -19 -9 <in.1000000 >l19-9.zst
same "the last level given counts" l19-9.zst l9.zst
bk-zstd -1 -9 <in.1000000 >l1-9.zst
same "-1 -9 is level 9" l1-9.zst l9.zst
bk-zstd -3 <in.1000000 >l3.zst
bk-zstd <in.1000000 >dflt.zst
same "the default level is 3" dflt.zst l3.zst
bk-zstd -o -19 in.1000000
ok "-o -19 names a file, not a level" cmp -s -- -19 l3.zst
bk-zstd -c <mixed >c.zst
same "-c writes to stdout as without it" c.zst a.zst
bk-zstd -dc <a.zst >back
same "-dc decompresses to stdout" back mixed
bk-zstd -d --threads 1 --stdout a.zst >back
same "-j is accepted and ignored with -d" back mixed

# -o is atomic, private, and does not replace a file without -f.
exits "-o writes a file" 0 bk-zstd -o out.zst mixed
empty "-o leaves stdout empty" out
same "-o writes the same bytes" out.zst a.zst
is "-o makes the file mode 0600" "$(mode out.zst)" 600
errline "-o refuses an existing file" 73 'could not create "out.zst": file exists' \
    bk-zstd -o out.zst mixed
same "the refused file is untouched" out.zst a.zst
exits "-f replaces it" 0 bk-zstd -f -o out.zst in.1000000
bk-zstd -d out.zst >back
same "the replaced file holds the new data" back in.1000000
exits "-d -o writes a file" 0 bk-zstd -d -o plain a.zst
same "-d -o writes the data" plain mixed
is "-d -o makes the file mode 0600" "$(mode plain)" 600
printf 'not zstd' >bad.zst
errline "-d -o on bad data fails" 65 'not zstd data' bk-zstd -d -o plain2 bad.zst
ok "-d -o on bad data leaves no file" test ! -e plain2
is "-d -o on bad data leaves no temporary file" "$(ls -A | grep -c '^\.')" 0
errline "-o in a missing folder exits 73" 73 'could not create "nofolder/x.zst"' \
    bk-zstd -o nofolder/x.zst mixed

# -t is silent on good data; -v says what was done.
exits "-t passes a good file" 0 bk-zstd -t a.zst
empty "-t writes nothing on stdout" out
empty "-t writes nothing on stderr" err
exits "-tv passes" 0 bk-zstd -tv a.zst
like "-tv says OK" err '^bk-zstd: "a.zst": OK, 1 frame, 21000000 bytes$'
exits "-v compresses" 0 bk-zstd -v -j 2 -o v.zst mixed
like "-v reports sizes, level and threads" err \
    '^bk-zstd: "mixed": 21000000 -> [0-9]+ bytes \([0-9.]+%\), level 3, 2 threads$'
exits "-dv decompresses" 0 bk-zstd -dv -o dv.out a.zst
like "-dv reports sizes" err '^bk-zstd: "a.zst": [0-9]+ -> 21000000 bytes$'
exits "-q compresses" 0 bk-zstd -q -o q.zst mixed
empty "-q is silent" err
errline "-q still reports errors" 65 'not zstd data' bk-zstd -q -d bad.zst
exits "-P off a terminal" 0 bk-zstd -P -o p.zst mixed
empty "-P draws nothing when stderr is not a terminal" err

# Binary output to a terminal is refused without -f.
# (On a pseudo-terminal: stdout and stderr on it, or stderr only for -P.)
if command -v python3 >/dev/null 2>&1; then
	pty -o -E tty.log bk-zstd <mixed; r=$?
	like "compressed data to a terminal is refused" tty.log 'refusing to write binary data to a terminal'
	is "the refusal exits 64" "$r" 64
	pty -o -E tty2.log bk-zstd -f <in.1
	is "-f allows it" "$?" 0
	pty -E tty3.log bk-zstd -P -o prog.zst mixed
	like "-P on a terminal shows bytes, rate and time" tty3.log 'mixed: .*B/s  [0-9]+:[0-9]{2}:[0-9]{2}'
	pty -E tty4.log bk-zstd -d -P -o prog.out prog.zst
	like "-dP on a terminal shows progress too" tty4.log 'prog.zst: .*B/s  [0-9]+:[0-9]{2}:[0-9]{2}'
else
	skip "no python3"; skip "no python3"; skip "no python3"
	skip "no python3"; skip "no python3"
fi

# A reader that goes away stops bk-zstd quietly, as it stops cat.
(bk-zstd -j 2 <mixed 2>pipe.err; echo $? >pipe.rc) | head -c 10 >/dev/null
empty "a broken pipe while compressing is quiet" pipe.err
ok "a broken pipe ends compression by SIGPIPE" grep -Eq '^(141|0)$' pipe.rc
(bk-zstd -d <a.zst 2>dpipe.err; echo $? >dpipe.rc) | head -c 10 >/dev/null
empty "a broken pipe while decompressing is quiet" dpipe.err
ok "a broken pipe ends decompression by SIGPIPE" grep -Eq '^(141|0)$' dpipe.rc

done_testing
