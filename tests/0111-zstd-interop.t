#!/bin/sh
# bk-zstd against the real zstd: zstd and zstdcat read what bk-zstd
# writes, at every level and thread count, and bk-zstd reads what zstd
# writes (levels, threads, --long within the window, several frames,
# skippable frames, stdin and stdout); our bytes are zstd -T2's from a
# pipe.
. "$(dirname "$0")/lib.sh"
need zstd zstdcat

gen_text 3000000 >text
gen_random 2000000 >random
cat text random >mixed
for n in 0 1 131071 131072 131073; do
	head -c "$n" mixed >in.$n
done
cp text in.text
cp random in.random
cp mixed in.mixed
inputs="0 1 131071 131072 131073 text random mixed"

# Ours, read by theirs.
for n in $inputs; do
	bk-zstd -j 2 <in.$n >ours.zst
	zstd -q -dc <ours.zst >z.out
	same "zstd -d reads our $n" z.out in.$n
	zstdcat ours.zst >c.out
	same "zstdcat reads our $n" c.out in.$n
done
for lvl in 1 3 9 19; do
	for j in 1 3; do
		bk-zstd -$lvl -j $j <in.mixed >ours.zst
		ok "zstd -t accepts our level $lvl on $j threads" zstd -q -t ours.zst
		zstd -q -dc ours.zst >z.out
		same "zstd -d reads our level $lvl on $j threads" z.out in.mixed
	done
done
bk-zstd -o o.zst in.text
zstd -q -d o.zst -o from-ours
same "zstd -d reads our -o file" from-ours in.text
is "our -o file is mode 0600" "$(mode o.zst)" 600
# zstd -v -l names the checksum our frame carries.
zstd -lv o.zst >list 2>&1
like "zstd -lv finds our content checksum" list 'Check: XXH64'

# Theirs, read by ours.
for n in $inputs; do
	for w in "zstd -1" "zstd -19" "zstd -T2 -3" "zstd -T3 -9" \
	    "zstd --no-check" "zstd --long=27 -3" "zstd --single-thread -5"; do
		$w -q -c <in.$n >theirs.zst
		bk-zstd -d <theirs.zst >b.out
		same "we read $w of $n" b.out in.$n
	done
done
# A named file: zstd stores its size in the frame header.
zstd -q -3 -k in.mixed -o named.zst
bk-zstd -d named.zst >b.out
same "we read zstd's frame with a content size" b.out in.mixed
exits "-t accepts zstd's output" 0 bk-zstd -t named.zst
zstd -q -19 --ultra -20 -c <in.text >ultra.zst
bk-zstd -d ultra.zst >b.out
same "we read zstd --ultra -20 (window within 128 MiB)" b.out in.text

# Our bytes are zstd's: the same library, one frame with a checksum, no
# size.  (From a named file zstd stores the size, so the bytes differ.)
for lvl in 1 3 19; do
	bk-zstd -$lvl -j 2 <in.mixed >ours.zst
	zstd -q -$lvl -T2 -c <in.mixed >theirs.zst
	same "level $lvl: our bytes are zstd -T2's from a pipe" ours.zst theirs.zst
done
bk-zstd -3 -j 1 <in.mixed >ours.zst
zstd -q -3 -T1 -c <in.mixed >theirs.zst
same "-j 1: our bytes are zstd -T1's" ours.zst theirs.zst

# Several frames, as cat or zstd -c >> makes them; empty frames too.
zstd -q -c in.text >cat.zst
zstd -q -19 -c in.random >>cat.zst
bk-zstd <in.0 >>cat.zst
bk-zstd <in.131073 >>cat.zst
cat in.text in.random in.131073 >cat.want
bk-zstd -d cat.zst >cat.out
same "we read concatenated frames" cat.out cat.want
zstd -q -dc cat.zst >cat.zstd
same "zstd agrees on the concatenation" cat.zstd cat.want
exits "-tv counts the frames" 0 bk-zstd -tv cat.zst
like "-tv says 4 frames" err 'OK, 4 frames, '

# Skippable frames (magic 0x184D2A50 to 5F, a 4-byte length, then data):
# passed over, by zstd and by us, wherever they stand.
skippable() {	# skippable NIBBLE TEXT: one skippable frame holding TEXT
	printf "\\$(printf '%03o' $((0x50 + $1)))\\052\\115\\030"
	perl -e 'print pack("V", length($ARGV[0])), $ARGV[0]' "$2"
}
{ skippable 0 'metadata'; cat cat.zst; skippable 15 ''; zstd -q -c in.1;
  skippable 7 'the end'; } >skip.zst
cat cat.want in.1 >skip.want
zstd -q -dc skip.zst >skip.zstd
same "zstd reads our skippable-frame sample" skip.zstd skip.want
bk-zstd -d skip.zst >skip.out
same "we pass over skippable frames" skip.out skip.want
exits "-tv accepts skippable frames" 0 bk-zstd -tv skip.zst
like "-tv counts them" err 'OK, 8 frames \(3 skippable\), '
skippable 3 'nothing else' >only-skip.zst
exits "a file of a skippable frame alone is valid, and empty" 0 bk-zstd -d -o only.out only-skip.zst
empty "... and decodes to nothing" only.out

# Standard input and output, both ways, through pipes.
cat in.mixed | bk-zstd | zstd -q -d | cat >pipe.out
same "bk-zstd | zstd -d in a pipe" pipe.out in.mixed
cat in.mixed | zstd -q -T2 | bk-zstd -d | cat >pipe2.out
same "zstd | bk-zstd -d in a pipe" pipe2.out in.mixed
cat in.mixed | bk-zstd -d - 2>/dev/null
is "plain text on stdin is refused" "$?" 65

done_testing
