#!/bin/sh
# bk-gz against the real programs: gzip, zcat, pigz, libdeflate-gzip and
# Python's gzip read what bk-gz writes, byte for byte, and bk-gz reads
# what they write; the members bk-gz writes, checked with Python's zlib.
. "$(dirname "$0")/lib.sh"
need gzip zcat pigz libdeflate-gzip python3

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

# Python's gzip module and libdeflate's gzip read ours too.
for n in $inputs; do
	bk-gz -j 2 <in.$n >ours.gz
	python3 -c 'import gzip, sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())' \
	    ours.gz >py.out
	same "python gzip reads our $n" py.out in.$n
	libdeflate-gzip -dc ours.gz >l.out
	same "libdeflate-gzip -d reads our $n" l.out in.$n
done

# Same bytes whatever the thread count, run after run, over many members.
cat in.mixed in.mixed >in.big		# 10 MB: ten members
bk-gz -j 1 <in.big >j1.gz
for j in 2 4; do
	bk-gz -j $j <in.big >j$j.gz
	same "-j $j gives the bytes of -j 1" j$j.gz j1.gz
done
bk-gz -j 4 <in.big >j4b.gz
same "a second run gives the same bytes" j4b.gz j1.gz
gzip -dc j4.gz >big.out
same "gzip reads the ten members" big.out in.big

# The format of bk-gz(1), checked with Python's zlib (not our reader):
# each member's header has one extra subfield, 'B','K' with 4 bytes, the
# member's whole size; each member holds 1 MiB of data but the last.
cat >members.py <<'EOF'
import struct, sys, zlib

def members(b):
    """Yields (start, end, flags, extra, data start, isize) per member."""
    i = 0
    while i < len(b):
        assert b[i:i + 3] == b'\x1f\x8b\x08', 'no member at %d' % i
        flags = b[i + 3]
        j = i + 10
        extra = b''
        if flags & 4:
            xlen = struct.unpack('<H', b[j:j + 2])[0]
            extra = b[j + 2:j + 2 + xlen]
            j += 2 + xlen
        assert flags & ~4 == 0, 'flags %d' % flags
        d = zlib.decompressobj(-15)
        out = d.decompress(b[j:])
        assert d.eof, 'member at %d does not end' % i
        end = len(b) - len(d.unused_data) + 8
        crc, isize = struct.unpack('<II', b[end - 8:end])
        assert crc == zlib.crc32(out) and isize == len(out)
        yield i, end, flags, extra, j, isize
        i = end

cmd, name = sys.argv[1], sys.argv[2]
b = open(name, 'rb').read()
if cmd == 'check':
    ms = list(members(b))
    for k, (start, end, flags, extra, data, isize) in enumerate(ms):
        assert flags == 4 and len(extra) == 8, 'member %d: no extra field' % k
        si, size = extra[:4], struct.unpack('<I', extra[4:])[0]
        assert si == b'BK\x04\x00', 'member %d: subfield %r' % (k, si)
        assert size == end - start, 'member %d: size %d, not %d' % (k, size, end - start)
        assert isize == 1048576 or k == len(ms) - 1, 'member %d: %d bytes' % (k, isize)
    print(len(ms))
else:
    # strip: the members without their extra field; twosub: with another
    # subfield before bk's, its size grown to match.
    out = bytearray()
    for start, end, flags, extra, data, isize in members(b):
        if cmd == 'strip':
            out += b[start:start + 3] + b'\x00' + b[start + 4:start + 10] + b[data:end]
        else:
            size = struct.unpack('<I', extra[4:])[0] + 8
            ext = b'AP\x04\x00abcd' + b'BK\x04\x00' + struct.pack('<I', size)
            out += b[start:start + 10] + struct.pack('<H', len(ext)) + ext + b[data:end]
    open(sys.argv[3], 'wb').write(out)
EOF
for n in 0 1 131073 text mixed big; do
	bk-gz <in.$n >ours.gz
	run python3 members.py check ours.gz
	is "our $n: every member says its size in a 'BK' subfield" "$rc" 0
done
is "10 MB make ten members" "$(cat out)" 10

# Members with and without the extra field, and with another subfield:
# gzip and we read them all alike, and in a row, as cat or gzip -c >>
# makes them, with members of gzip, pigz and libdeflate, empty ones too.
python3 members.py strip j1.gz bare.gz
gzip -dc bare.gz >bare.gzip
same "gzip reads our members without the extra field" bare.gzip in.big
bk-gz -d bare.gz >bare.out
same "we read our members without the extra field" bare.out in.big
python3 members.py twosub j1.gz twosub.gz
gzip -dc twosub.gz >twosub.gzip
same "gzip reads members with two subfields" twosub.gzip in.big
bk-gz -d twosub.gz >twosub.out
same "we read members with two subfields" twosub.out in.big
bk-gz <in.text >mix.gz
gzip -c in.random >>mix.gz
cat bare.gz twosub.gz >>mix.gz
bk-gz <in.0 >>mix.gz
libdeflate-gzip -c in.32769 >>mix.gz
pigz -c in.text >>mix.gz
gzip -c <in.0 >>mix.gz
cat in.text in.random in.big in.big in.32769 in.text >mix.want
bk-gz -d mix.gz >mix.out
same "we read bk, gzip, bare, two-subfield, libdeflate and pigz members in a row" mix.out mix.want
gzip -dc mix.gz >mix.gzip
same "gzip agrees on that row" mix.gzip mix.want
exits "-tv counts them" 0 bk-gz -tv mix.gz
like "-tv says 28 members (3 + 1 + 10 + 10 + 1 + 1 + 1 + 1)" err 'OK, 28 members'

# Theirs, read by ours: libdeflate-gzip and Python's gzip (name and time).
libdeflate-gzip -6 -c in.mixed >ldg.gz
bk-gz -d ldg.gz >ldg.out
same "we read libdeflate-gzip output" ldg.out in.mixed
python3 -c 'import gzip, shutil, sys
with open(sys.argv[1], "rb") as i, gzip.open("py.gz", "wb") as o: shutil.copyfileobj(i, o)' \
    in.mixed
bk-gz -d py.gz >py.out
same "we read Python gzip output (with FNAME and MTIME)" py.out in.mixed

done_testing
