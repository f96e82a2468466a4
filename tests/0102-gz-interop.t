#!/bin/sh
# bk-gz against the real programs: gzip, zcat and pigz read what bk-gz
# writes, byte for byte, and bk-gz reads what they write.
. "$(dirname "$0")/lib.sh"
need gzip zcat pigz

gen_text 3000000 >text
gen_random 2000000 >random
cat text random >mixed
for n in 0 1 32767 32768 32769 131071 131072 131073; do
	head -c "$n" mixed >in.$n
done
cp text in.text
cp random in.random
cp mixed in.mixed
inputs="0 1 32767 32768 32769 131071 131072 131073 text random mixed"

# Ours, read by theirs.
for n in $inputs; do
	bk-gz -j 2 <in.$n >ours.gz
	gzip -dc <ours.gz >g.out
	same "gzip -d reads our $n" g.out in.$n
	zcat ours.gz >z.out
	same "zcat reads our $n" z.out in.$n
	pigz -dc <ours.gz >p.out
	same "pigz -d reads our $n" p.out in.$n
done
for lvl in 1 9; do
	bk-gz -$lvl -j 3 <in.mixed >ours.gz
	ok "gzip -t accepts our level $lvl" gzip -t ours.gz
	gzip -dc ours.gz >g.out
	same "gzip -d reads our level $lvl" g.out in.mixed
done

# Theirs, read by ours.
for n in $inputs; do
	for w in "gzip -1" "gzip -9" "pigz -6" "pigz -p3 -9"; do
		$w <in.$n >theirs.gz
		bk-gz -d <theirs.gz >b.out
		same "we read $w of $n" b.out in.$n
	done
done
exits "-t accepts pigz output" 0 bk-gz -t theirs.gz

# Concatenated members, as cat or gzip -c >> makes them; empty members too.
gzip -c in.text >cat.gz
pigz -c in.random >>cat.gz
bk-gz <in.0 >>cat.gz
bk-gz <in.32769 >>cat.gz
cat in.text in.random in.32769 >cat.want
bk-gz -d cat.gz >cat.out
same "we read concatenated members" cat.out cat.want
gzip -dc cat.gz >cat.gzip
same "gzip agrees on the concatenation" cat.gzip cat.want
exits "-tv counts the members" 0 bk-gz -tv cat.gz
like "-tv says 4 members" err 'OK, 4 members'

# Headers with a name (gzip -N, pigz), a comment (pigz -C) and a time.
cp in.text named.csv
gzip -N -c named.csv >named.gz
is "gzip -N sets FNAME" "$(od -An -tx1 -j3 -N1 named.gz | tr -d ' ')" 08
bk-gz -d named.gz >named.out
same "we read a member with FNAME" named.out in.text
pigz -C "monthly export" -c named.csv >comment.gz
is "pigz -C sets FNAME and FCOMMENT" "$(od -An -tx1 -j3 -N1 comment.gz | tr -d ' ')" 18
bk-gz -d comment.gz >comment.out
same "we read a member with FNAME and FCOMMENT" comment.out in.text
pigz -z -c named.csv >zlib.z
errline "a zlib stream (pigz -z) is not gzip" 65 'not gzip data \(no gzip magic\) at byte 0$' \
    bk-gz -d zlib.z

# Our output equals pigz's deflate data: the same blocks, the same
# dictionaries (the header differs only by the time pigz stores).
bk-gz -6 -j 2 <in.mixed >ours.gz
pigz -6 -p2 -n <in.mixed >pigz.gz
tail -c +11 ours.gz >ours.body
tail -c +11 pigz.gz >pigz.body
same "the compressed data is pigz's, byte for byte" ours.body pigz.body

done_testing
