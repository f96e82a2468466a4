#!/bin/sh
# bk-gz on bad input: each row has its exit code (65 for -d, 1 for -t)
# and its one-line message with the byte offset; then the I/O failures.
. "$(dirname "$0")/lib.sh"
need gzip

gen_text 200000 >text
bk-gz <text >good.gz
S=$(wc -c <good.gz)

# patch IN OUT OFFSET MASK: a copy of IN with one byte xored with MASK.
patch() { cp "$1" "$2" && flip "$2" "$3" "$4"; }

: >empty
printf 'hello, world\n' >plain
printf '\037' >magic1
patch good.gz method.gz 2 0x0f		# deflate (8) becomes 7
patch good.gz flags.gz 3 0x20		# a reserved flag
patch good.gz blocktype.gz 20 0x02	# the first block's type 2 (dynamic) becomes 3
patch good.gz crc.gz $((S - 8)) 1
patch good.gz len.gz $((S - 3)) 1
{ cat good.gz; printf 'garbage'; } >garbage.gz
{ cat good.gz; head -c 512 /dev/zero; } >zeros.gz
{ cat good.gz; printf '\037'; } >half.gz
{ cat good.gz; printf '\037\213'; } >twothirds.gz
cat good.gz good.gz >two.gz
patch two.gz crc2.gz $((2 * S - 8)) 1
cp text name-that-is-long.csv
gzip -N -c name-that-is-long.csv >named.gz

# The table: file, expected message (ERE).
while read -r file re; do
	errline "-d $file" 65 "^bk-gz: error: \"$file\": $re$" bk-gz -d "$file"
	empty "-d $file: nothing on stdout but what was decoded" out
	errline "-t $file" 1 "^bk-gz: error: \"$file\": $re$" bk-gz -t "$file"
done <<EOF
empty not gzip data \\(empty input\\) at byte 0
plain not gzip data \\(no gzip magic\\) at byte 0
magic1 truncated gzip input at byte 1
method.gz unknown compression method in gzip header at byte 2
flags.gz reserved flags set in gzip header at byte 3
EOF
while read -r file re; do
	errline "-d $file" 65 "^bk-gz: error: \"$file\": $re$" bk-gz -d "$file"
	errline "-t $file" 1 "^bk-gz: error: \"$file\": $re$" bk-gz -t "$file"
done <<EOF
blocktype.gz corrupt gzip data \\(invalid block type\\) at byte 21
crc.gz bad CRC in member ending at byte $S
len.gz bad length in member ending at byte $S
garbage.gz trailing garbage after gzip data at byte $S
zeros.gz trailing garbage after gzip data at byte $S
half.gz truncated gzip input at byte $((S + 1))
twothirds.gz truncated gzip input at byte $((S + 2))
crc2.gz bad CRC in member ending at byte $((2 * S))
EOF

# Forged sizes in bk's extra field (bytes 16-19 of a member it writes):
# the member is decoded whole only when its deflate data ends exactly
# where the size says, with the right CRC and length; anything else
# streams through inflate.  A wrong size costs time, never a wrong byte
# or another verdict: the valid ones decode as gzip decodes them, the
# damaged ones fail as they would with a true size.
# setsize IN OUT VALUE [OFFSET]: a copy of IN with the 32-bit size at
# OFFSET (16) set to VALUE.
setsize() {
	cp "$1" "$2" && perl -e 'my ($f, $v, $o) = @ARGV;
	    open(F, "+<", $f) or die "setsize: $f: $!\n"; binmode(F);
	    seek(F, $o, 0); print F pack("V", $v); close(F) or die' \
	    "$2" "$3" "${4:-16}"
}
is "good.gz says its size in its extra field" \
    "$(od -An -tu4 -j16 -N4 good.gz | tr -d ' ')" "$S"
setsize good.gz size-plus1.gz $((S + 1))
setsize good.gz size-minus1.gz $((S - 1))
setsize good.gz size-0.gz 0
setsize good.gz size-header.gz 28
setsize good.gz size-max.gz 4294967295
setsize good.gz size-5m.gz 5000000
setsize good.gz size-half.gz $((S / 2))
setsize two.gz size-both.gz $((2 * S))
setsize two.gz size-second.gz $((S - 20)) $((S + 16))
# A 'B','K' subfield of 3 bytes, and one whose LEN runs past XLEN.
patch good.gz size-len3.gz 14 0x07
patch good.gz size-len-past.gz 15 0x01
cat text text >text2
while read -r file want; do
	bk-gz -d "$file" >forged.out 2>forged.err; r=$?
	is "forged $file: -d exits 0" "$r" 0
	same "forged $file: the data comes back" forged.out "$want"
	empty "forged $file: nothing on stderr" forged.err
	exits "forged $file: -t passes" 0 bk-gz -t "$file"
	gzip -dc "$file" >forged.gzip
	same "forged $file: gzip agrees" forged.gzip "$want"
done <<EOF
size-plus1.gz text
size-minus1.gz text
size-0.gz text
size-header.gz text
size-max.gz text
size-5m.gz text
size-half.gz text
size-both.gz text2
size-second.gz text2
size-len3.gz text
size-len-past.gz text
EOF
# Damage behind a forged size is found as behind a true one.
setsize blocktype.gz size-blocktype.gz $((S + 1))
setsize crc.gz size-crc.gz $((S - 1))
setsize garbage.gz size-garbage.gz $((S + 7))
setsize len.gz size-len.gz 4294967295
patch good.gz isize-huge.gz $((S - 1)) 0x80
head -c $((S / 2)) size-plus1.gz >size-cut.gz
while read -r file re; do
	errline "-d $file" 65 "^bk-gz: error: \"$file\": $re$" bk-gz -d "$file"
	errline "-t $file" 1 "^bk-gz: error: \"$file\": $re$" bk-gz -t "$file"
done <<EOF
size-blocktype.gz corrupt gzip data \\(invalid block type\\) at byte 21
size-crc.gz bad CRC in member ending at byte $S
size-garbage.gz trailing garbage after gzip data at byte $S
size-len.gz bad length in member ending at byte $S
isize-huge.gz bad length in member ending at byte $S
size-cut.gz truncated gzip input at byte $((S / 2))
EOF

# Truncated anywhere: in the header, in the name, in the data, in the
# trailer.  The offset is the length of what was there.
for n in 1 2 5 9 10 15 30 100 1000 $((S / 2)) $((S - 8)) $((S - 4)) $((S - 1)); do
	head -c "$n" good.gz >cut.gz
	errline "cut at $n" 65 "^bk-gz: error: \"cut.gz\": truncated gzip input at byte $n$" \
	    bk-gz -d cut.gz
done
head -c 20 named.gz >cutname.gz
errline "cut inside the FNAME field" 65 '"cutname.gz": truncated gzip input at byte 20$' \
    bk-gz -d cutname.gz
errline "stdin is named (stdin)" 65 '^bk-gz: error: "\(stdin\)": truncated gzip input at byte 100$' \
    sh -c 'head -c 100 good.gz | bk-gz -d'

# What was decoded before the error has gone out; the exit code tells.
bk-gz -d garbage.gz >partial 2>/dev/null
same "data before trailing garbage is written" partial text
run gzip -dc garbage.gz
is "gzip itself only warns on trailing garbage" "$rc" 2

# Input missing, unreadable, not a file; output that fails.
errline "missing input exits 66" 66 'could not open "nothing.gz": No such file or directory' \
    bk-gz -d nothing.gz
errline "missing input exits 66 when compressing" 66 'could not open "nothing"' \
    bk-gz nothing
errline "missing input exits 66 with -t" 66 'could not open "nothing.gz"' \
    bk-gz -t nothing.gz
mkdir folder
errline "a folder as input exits 74" 74 'could not read "folder": Is a directory' \
    bk-gz -d folder
errline "a folder as input exits 74 when compressing" 74 'could not read "folder"' \
    bk-gz folder
cp good.gz locked.gz
chmod 000 locked.gz
if [ "$(id -u)" != 0 ]; then
	errline "an unreadable input exits 77" 77 'could not open "locked.gz": Permission denied' \
	    bk-gz -d locked.gz
elif chmod 755 "$T" && nobody_ok "$T"; then
	# Root reads any file: ask as nobody.
	errline "an unreadable input exits 77" 77 'could not open "locked.gz": Permission denied' \
	    as_nobody bk-gz -d locked.gz
else
	skip "root reads any file, and $nobody_why"
fi
# Threads that cannot start (address space too small for their stacks).
if sh -c 'ulimit -v 40000 && bk-gz --version' >/dev/null 2>&1; then
	errline "threads that cannot start exit 70" 70 'could not start a thread' \
	    sh -c 'ulimit -v 40000; bk-gz -j 64 <text'
else
	skip "cannot limit the address space here (sanitizer build?)"
fi
if [ -w /dev/full ]; then
	errline "compressing to /dev/full exits 74" 74 'could not write "\(stdout\)": No space left on device' \
	    sh -c 'bk-gz <text >/dev/full'
	errline "decompressing to /dev/full exits 74" 74 'could not write "\(stdout\)": No space left on device' \
	    sh -c 'bk-gz -d <good.gz >/dev/full'
	errline "--help to /dev/full exits 74" 74 'could not write' \
	    sh -c 'bk-gz --help >/dev/full'
else
	skip "no /dev/full"; skip "no /dev/full"; skip "no /dev/full"
fi

done_testing
