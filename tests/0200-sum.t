#!/bin/sh
# bk-sum: digests of files, against coreutils and openssl, and the CLI.
. "$(dirname "$0")/lib.sh"
need sha256sum sha512sum sha1sum md5sum b2sum openssl

# The command line.
run bk-sum --help
is "--help exits 0" "$rc" 0
like "--help prints the usage" out '^usage: bk-sum '
empty "--help writes nothing on stderr" err
run bk-sum --version
like "--version names the program" out '^bk-sum \(bk\) [0-9]'
exits "a bad option exits 64" 64 bk-sum --bogus
empty "a bad option prints nothing on stdout" out
like "a bad option says which" err '"--bogus"'
exits "a missing option argument exits 64" 64 bk-sum --algorithm
exits "an unknown algorithm exits 64" 64 bk-sum --algorithm crc32
like "an unknown algorithm is named" err 'unknown algorithm "crc32"'
exits "the same algorithm twice exits 64" 64 bk-sum --algorithm md5 --algorithm MD5
exits "--status without -c exits 64" 64 bk-sum --status
exits "-q without -c digests (-q works in every mode)" 0 sh -c 'bk-sum -q </dev/null'
exits "--name without --tee exits 64" 64 bk-sum --name x
exits "-c with --tee exits 64" 64 bk-sum -c --tee

# Golden digests: each algorithm against its usual program.
gen_text 100000 >text
printf 'abc' >abc
: >empty
for f in text abc empty; do
	run bk-sum "$f"
	same "sha256 of $f as sha256sum" out "$(sha256sum "$f" >want; echo want)"
	run bk-sum --algorithm sha512 "$f"
	same "sha512 of $f as sha512sum" out "$(sha512sum "$f" >want; echo want)"
	run bk-sum --algorithm sha1 "$f"
	same "sha1 of $f as sha1sum" out "$(sha1sum "$f" >want; echo want)"
	run bk-sum --algorithm md5 "$f"
	same "md5 of $f as md5sum" out "$(md5sum "$f" >want; echo want)"
	run bk-sum --algorithm blake2b512 "$f"
	same "blake2b512 of $f as b2sum" out "$(b2sum "$f" >want; echo want)"
	run bk-sum --algorithm sha3-256 "$f"
	is "sha3-256 of $f as openssl dgst -sha3-256" "$(cut -d' ' -f1 out)" \
	    "$(openssl dgst -sha3-256 -r "$f" | cut -d' ' -f1)"
done
is "sha3-256 of abc is the FIPS 202 vector" "$(bk-sum --algorithm sha3-256 <abc)" \
    "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532  -"

# Standard input, named "-", when no file is given.
run sh -c 'bk-sum <text'
is "stdin is named -" "$(cat out)" "$(sha256sum <text)"
run sh -c 'bk-sum - <text'
is "- is stdin" "$(cat out)" "$(sha256sum - <text)"

# Several -a in one pass: per file, in the order of -a.
run bk-sum --algorithm md5 --algorithm sha256 abc text
{ md5sum abc; sha256sum abc; md5sum text; sha256sum text; } >want
same "several -a: per file, in -a order" out want

# Tagged lines, as coreutils --tag writes them.
run bk-sum --tag abc text
same "--tag as sha256sum --tag" out "$(sha256sum --tag abc text >want; echo want)"
run bk-sum --tag --algorithm md5 abc
same "--tag -a md5 as md5sum --tag" out "$(md5sum --tag abc >want; echo want)"
run bk-sum --tag --algorithm blake2b512 abc
same "--tag -a blake2b512 as b2sum --tag" out "$(b2sum --tag abc >want; echo want)"
run bk-sum --tag --algorithm sha1 --algorithm sha512 abc
{ sha1sum --tag abc; sha512sum --tag abc; } >want
same "--tag with several -a" out want

# Awkward names: spaces, a backslash, a newline, a carriage return.
printf 1 >'with space'
printf 2 >'back\slash'
printf 3 >'new
line'
printf 4 >"$(printf 'car\rriage')"
printf 5 >' lead'
for f in 'with space' 'back\slash' 'new
line' "$(printf 'car\rriage')" ' lead'; do
	run bk-sum "$f"
	same "escaping of $(echo "$f" | head -1) as sha256sum" out \
	    "$(sha256sum "$f" >want; echo want)"
	run bk-sum --tag "$f"
	same "tagged escaping of $(echo "$f" | head -1) as sha256sum --tag" out \
	    "$(sha256sum --tag "$f" >want; echo want)"
done
is "a newline is written as \\n behind a leading backslash" \
    "$(bk-sum 'new
line')" '\4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce  new\nline'

# -o: the list appears atomically, private, and never over a file.
run bk-sum -o SUMS abc text
is "-o exits 0" "$rc" 0
empty "-o leaves stdout empty" out
same "-o writes the list" SUMS "$(sha256sum abc text >want; echo want)"
is "-o creates mode 0600" "$(mode SUMS)" 600
errline "-o refuses an existing file (73)" 73 'file exists' bk-sum -o SUMS abc
run bk-sum -f -o SUMS abc
same "-f replaces it" SUMS "$(sha256sum abc >want; echo want)"

# Missing and unreadable inputs: reported, the others still digested.
errline "a missing file exits 66" 66 'error: could not open "nope": No such file' \
    bk-sum abc nope
same "the other files are still digested" out "$(sha256sum abc >want; echo want)"
errline "a folder exits 66" 66 'could not read "\.": Is a directory' bk-sum .
run bk-sum -o LIST abc nope
is "-o with a missing file exits 66" "$rc" 66
ok "-o with a missing file writes no list" test ! -e LIST
is "-o with a missing file leaves no temporary file" \
    "$(ls -A | grep -c '^\.LIST')" 0
if [ "$(id -u)" != 0 ]; then
	printf x >secret; chmod 000 secret
	errline "an unreadable file exits 77" 77 'Permission denied' bk-sum secret
else
	skip "running as root: permissions are not enforced"
fi

# -P: a meter on a terminal only.
run bk-sum -P text
empty "-P prints nothing when stderr is not a terminal" err
same "-P does not change the output" out "$(sha256sum text >want; echo want)"
if command -v python3 >/dev/null 2>&1; then
	pty -o -E tty bk-sum -P text
	like "-P on a terminal shows bytes and rate" tty 'text: .*(100%).*/s'
else
	skip "python3 not installed"
fi

# Output errors and a reader that goes away.
run sh -c 'bk-sum abc >/dev/full'
is ">/dev/full exits 74" "$rc" 74
like ">/dev/full says so" err 'could not write'
# Far more output than two pipe buffers, so the writes must fail.
gen_random 1000 >r
set -- $(i=0; while [ $i -lt 2000 ]; do echo r; i=$((i + 1)); done)
run sh -c '(bk-sum --algorithm sha512 --algorithm blake2b512 "$@"; echo $? >status) |
    head -c 10 >/dev/null' sh "$@"
is "a broken pipe ends bk-sum by SIGPIPE, silently" "$(cat status)" 141
empty "a broken pipe prints nothing" err

done_testing
