#!/bin/sh
# bk-zstd on bad input: each row has its exit code (65 for -d, 1 for -t)
# and its one-line message with the byte offset; bombs (a window too
# large, a huge expansion) stay within bounds; then the I/O failures, and
# nothing at the final path.
. "$(dirname "$0")/lib.sh"
need zstd gzip

gen_text 200000 >text
bk-zstd <text >good.zst
S=$(wc -c <good.zst)
printf 'hello\n' | bk-zstd >hello.zst
H=$(wc -c <hello.zst)

# patch IN OUT OFFSET MASK: a copy of IN with one byte xored with MASK.
patch() { cp "$1" "$2" && flip "$2" "$3" "$4"; }

: >empty
printf 'hello, world\n' >plain
gzip -c text >gzip.zst
printf '\050' >magic1
printf '\050\265\057' >magic3
printf '\120\052\115' >skipmagic3
# A skippable frame that says 100 bytes follow, and 5 do.
{ printf '\120\052\115\030'; perl -e 'print pack("V", 100)'; printf 'hello'; } >skipcut.zst
patch good.zst dict.zst 4 0x01		# the descriptor asks for a dictionary ID
patch good.zst reserved.zst 4 0x08	# the descriptor's reserved bit
patch good.zst window.zst 5 0x80	# the window exponent + 16: 2^37 bytes
patch hello.zst blocktype.zst 6 0x06	# the first block's type, 3: reserved
patch good.zst sum.zst -1 0x01		# the checksum's last byte
patch hello.zst data.zst 10 0x01	# a literal of a raw block: found by the checksum
{ cat good.zst; printf 'garbage'; } >garbage.zst
{ cat good.zst; head -c 512 /dev/zero; } >zeros.zst
{ cat good.zst; printf '\050'; } >half.zst
{ cat good.zst; printf '\050\265\057'; } >threequarters.zst
{ cat good.zst; gzip -c text; } >thengzip.zst
cat good.zst good.zst >two.zst
patch two.zst sum2.zst -1 0x01
# A frame made by zstd itself that needs a window of 1 GiB (no size known:
# from a pipe), and one of 256 MiB, both past zstd -d's own limit.
head -c 1000 text | zstd -q --long=30 -c >long30.zst
head -c 1000 text | zstd -q --long=28 -c >long28.zst
run zstd -q -t long30.zst
is "zstd -d refuses the 1 GiB window too" "$rc" 1

# The table: file, expected message (ERE).  Nothing decoded comes first.
while read -r file re; do
	errline "-d $file" 65 "^bk-zstd: error: \"$file\": $re$" bk-zstd -d "$file"
	empty "-d $file: nothing on stdout" out
	errline "-t $file" 1 "^bk-zstd: error: \"$file\": $re$" bk-zstd -t "$file"
done <<EOF
empty not zstd data \\(empty input\\) at byte 0
plain not zstd data \\(no zstd magic\\) at byte 0
gzip.zst not zstd data \\(no zstd magic\\) at byte 0
magic1 truncated zstd input at byte 1
magic3 truncated zstd input at byte 3
skipmagic3 truncated zstd input at byte 3
skipcut.zst truncated zstd input at byte 13
dict.zst zstd frame needs a dictionary at byte 4
reserved.zst corrupt zstd data \\(Unsupported frame parameter\\) at byte 4
window.zst zstd frame needs a window larger than 128 MiB at byte 4
long30.zst zstd frame needs a window larger than 128 MiB at byte 4
long28.zst zstd frame needs a window larger than 128 MiB at byte 4
blocktype.zst corrupt zstd data \\(Data corruption detected\\) at byte 4
data.zst bad checksum in frame ending at byte $H
EOF
while read -r file re; do
	errline "-d $file" 65 "^bk-zstd: error: \"$file\": $re$" bk-zstd -d "$file"
	errline "-t $file" 1 "^bk-zstd: error: \"$file\": $re$" bk-zstd -t "$file"
done <<EOF
sum.zst bad checksum in frame ending at byte $S
garbage.zst trailing garbage after zstd data at byte $S
zeros.zst trailing garbage after zstd data at byte $S
thengzip.zst trailing garbage after zstd data at byte $S
half.zst truncated zstd input at byte $((S + 1))
threequarters.zst truncated zstd input at byte $((S + 3))
sum2.zst bad checksum in frame ending at byte $((2 * S))
EOF

# A byte changed anywhere in the data is caught, by the decoder or by the
# checksum, and zstd agrees that the file is bad.
for off in 9 100 1000 $((S / 2)) $((S - 10)); do
	for mask in 0x01 0x80; do
		patch good.zst flip.zst "$off" "$mask"
		errline "a byte at $off xored with $mask is caught" 65 \
		    '"flip.zst": (corrupt zstd data \(.*\)|bad checksum in frame ending) at byte [0-9]+$' \
		    bk-zstd -d flip.zst
		run zstd -q -t flip.zst
		ok "zstd agrees: the byte at $off xored with $mask is bad" test "$rc" != 0
	done
done

# Truncated anywhere: in the header, in a block, in the checksum.  The
# offset is the length of what was there.
for n in 1 2 4 5 6 9 10 100 1000 $((S / 2)) $((S - 4)) $((S - 1)); do
	head -c "$n" good.zst >cut.zst
	errline "cut at $n" 65 "^bk-zstd: error: \"cut.zst\": truncated zstd input at byte $n$" \
	    bk-zstd -d cut.zst
done
errline "stdin is named (stdin)" 65 '^bk-zstd: error: "\(stdin\)": truncated zstd input at byte 100$' \
    sh -c 'head -c 100 good.zst | bk-zstd -d'

# What was decoded before the error has gone out; the exit code tells.
bk-zstd -d garbage.zst >partial 2>/dev/null
same "data before trailing garbage is written" partial text

# Bombs.  A frame that asks for a huge window is refused before anything
# is allocated (under a small address space the refusal is the same, not
# an allocation failure); 256 MiB of zeros in 8 KiB decode as a stream,
# within that address space.
head -c 268435456 /dev/zero | zstd -q -19 -c >zeros.bomb
ok "the bomb is small" test "$(wc -c <zeros.bomb)" -lt 20000
if sh -c 'ulimit -v 100000 && bk-zstd --version' >/dev/null 2>&1; then
	errline "a 1 GiB window is refused within 100 MB of address space" 65 \
	    '"long30.zst": zstd frame needs a window larger than 128 MiB at byte 4$' \
	    sh -c 'ulimit -v 100000; exec bk-zstd -d long30.zst'
	exits "256 MiB of zeros decode within 100 MB of address space" 0 \
	    sh -c 'ulimit -v 100000; exec bk-zstd -t zeros.bomb'
else
	skip "cannot limit the address space here (sanitizer build?)"
	skip "cannot limit the address space here (sanitizer build?)"
fi
exits "-tv reads the whole bomb" 0 bk-zstd -tv zeros.bomb
like "-tv counts its 256 MiB" err 'OK, 1 frame, 268435456 bytes$'

# Input missing, unreadable, not a file; output that fails.
errline "missing input exits 66" 66 'could not open "nothing.zst": No such file or directory' \
    bk-zstd -d nothing.zst
errline "missing input exits 66 when compressing" 66 'could not open "nothing"' \
    bk-zstd nothing
errline "missing input exits 66 with -t" 66 'could not open "nothing.zst"' \
    bk-zstd -t nothing.zst
mkdir folder
errline "a folder as input exits 74" 74 'could not read "folder": Is a directory' \
    bk-zstd -d folder
errline "a folder as input exits 74 when compressing" 74 'could not read "folder"' \
    bk-zstd folder
cp good.zst locked.zst
chmod 000 locked.zst
if [ "$(id -u)" != 0 ]; then
	errline "an unreadable input exits 77" 77 'could not open "locked.zst": Permission denied' \
	    bk-zstd -d locked.zst
elif chmod 755 "$T" && nobody_ok "$T"; then
	# Root reads any file: ask as nobody.
	errline "an unreadable input exits 77" 77 'could not open "locked.zst": Permission denied' \
	    as_nobody bk-zstd -d locked.zst
else
	skip "root reads any file, and $nobody_why"
fi
# An output folder that cannot be written: nothing at the final path.
mkdir ro
chmod 555 ro
if [ "$(id -u)" != 0 ]; then
	errline "-o in a read-only folder exits 77" 77 'could not create "ro/x.zst": Permission denied' \
	    bk-zstd -o ro/x.zst text
elif chmod 755 "$T" && nobody_ok "$T"; then
	chmod 644 text
	errline "-o in a read-only folder exits 77" 77 'could not create "ro/x.zst": Permission denied' \
	    as_nobody bk-zstd -o ro/x.zst text
else
	skip "root writes any folder, and $nobody_why"
fi
is "the read-only folder stays empty" "$(ls -A ro)" ""
errline "-o under a file exits 73" 73 'could not create "text/x.zst"' \
    bk-zstd -o text/x.zst good.zst
errline "-d -o of bad data exits 65" 65 '"garbage.zst": trailing garbage after zstd data' \
    bk-zstd -d -o out.txt garbage.zst
ok "-d -o of bad data leaves nothing at the final path" test ! -e out.txt
is "-d -o of bad data leaves no temporary file" "$(ls -A | grep -c '^\.')" 0
if [ -w /dev/full ]; then
	errline "compressing to /dev/full exits 74" 74 'could not write "\(stdout\)": No space left on device' \
	    sh -c 'bk-zstd <text >/dev/full'
	errline "decompressing to /dev/full exits 74" 74 'could not write "\(stdout\)": No space left on device' \
	    sh -c 'bk-zstd -d <good.zst >/dev/full'
	errline "--help to /dev/full exits 74" 74 'could not write' \
	    sh -c 'bk-zstd --help >/dev/full'
else
	skip "no /dev/full"; skip "no /dev/full"; skip "no /dev/full"
fi
# -o on a disk that fills: the injected ENOSPC, and nothing left behind.
errline "-o on a full disk exits 74" 74 'could not write "full.zst": No space left on device' \
    faulty write:.full.zst:1:enospc bk-zstd -o full.zst text
ok "-o on a full disk leaves nothing at the final path" test ! -e full.zst
is "-o on a full disk leaves no temporary file" "$(ls -A | grep -c '^\.')" 0
# Worker threads that cannot start (address space too small).
if sh -c 'ulimit -v 40000 && bk-zstd --version' >/dev/null 2>&1; then
	errline "threads that cannot start exit 70" 70 'could not compress \(out of memory, or a thread could not start\)' \
	    sh -c 'ulimit -v 40000; bk-zstd -j 64 -o nothreads.zst <text'
	ok "... and leave nothing at the final path" test ! -e nothreads.zst
else
	skip "cannot limit the address space here (sanitizer build?)"
	skip "cannot limit the address space here (sanitizer build?)"
fi

done_testing
