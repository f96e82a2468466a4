#!/bin/sh
# bk-crypt: options, keys, exit codes, output handling and a table of bad
# inputs, each with its exit code and one-line message.
. "$(dirname "$0")/lib.sh"
need age age-keygen python3

# A fixed identity and a file the age command encrypted to it ("hello").
cat >fixed.key <<'K'
# created: 2026-11-22T04:33:06Z
# public key: age1h0qzdz5cgd5c5y5syaqpulxscnccvksx9mz3tln49gz7ma6tjuvslwsvnk
AGE-SECRET-KEY-1XST4ZKLH2VC7GHKRNCPC643ERA7T8AAASSAZE8DQUGZ2EC60M50S7MSDE9
K
FIXED=age1h0qzdz5cgd5c5y5syaqpulxscnccvksx9mz3tln49gz7ma6tjuvslwsvnk
cat >hello.age <<'A'
-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSByOUZObXc3ZHRmRGI2MDJ0
VjdOMi9CZFF5cFFKZElIL0VVZDF5SFJnUUhJCmdWTTJHYkppY0hTQjhFV291QjVL
aVkyYjRDUWlFcjZYR3h5R2FZa0hTTlUKLS0tIFNuM3dYSFlWMmwxZDBiSGY3eTdr
NXQyWjdXVzBFbjA0YUxLZFRLaU53NmsKrUIWTZs4pIePD4FV973hcgNZcfPcrwcJ
X8SYZgVAhf72SsyxF0c=
-----END AGE ENCRYPTED FILE-----
A
echo hello >hello

# --help, --version, bad options
run bk-crypt --help
is "--help exits 0" "$rc" 0
like "--help prints the usage" out '^usage: bk-crypt \[-afPqv\]'
empty "--help writes nothing on stderr" err
run bk-crypt --version
is "--version exits 0" "$rc" 0
like "--version names the suite" out '^bk-crypt \(bk\) [0-9]'
exits "a bad option exits 64" 64 bk-crypt --bogus
empty "a bad option writes nothing on stdout" out
exits "a passphrase is never an argument" 64 bk-crypt --passphrase=secret
exits "-p takes no value: the word is an input file" 66 bk-crypt -p --passphrase-fd 0 secret </dev/null
usage "no recipient" 'no recipient: give -r, -R or -p' bk-crypt hello
usage "-p excludes -r" 'excludes -r' bk-crypt -p -r "$FIXED" hello
usage "a bad recipient string" 'could not parse recipient "age1nope"' bk-crypt -r age1nope hello
usage "a secret key is not a recipient" 'could not parse recipient' \
    bk-crypt -r AGE-SECRET-KEY-1XST4ZKLH2VC7GHKRNCPC643ERA7T8AAASSAZE8DQUGZ2EC60M50S7MSDE9 hello
unlike "the secret key is not echoed" err 'XST4ZKLH2VC7'
usage "two modes" 'exclude each other' bk-crypt -d -t hello.age
usage "-t writes no output" '-t writes no output' bk-crypt -t -o x hello.age

# golden: the fixed key and the file age made
run bk-crypt -y -i fixed.key
is "-y prints the public key" "$(cat out)" "$FIXED"
is "-y agrees with age-keygen -y" "$(cat out)" "$(age-keygen -y fixed.key)"
run bk-crypt -d -i fixed.key hello.age
same "decrypts a file age made (golden)" out hello
exits "-t passes a good file" 0 bk-crypt -t -i fixed.key hello.age
empty "-t writes nothing" out

# --keygen: age-keygen's format, 0600, never over a file
run bk-crypt --keygen -o id.key
is "--keygen exits 0" "$rc" 0
is "the identity file is 0600" "$(mode id.key)" 600
like "it says when it was created" id.key '^# created: [0-9]{4}-[0-9]{2}-[0-9]{2}T'
like "it holds the public key as a comment" id.key '^# public key: age1[a-z0-9]{58}$'
like "it holds the secret key" id.key '^AGE-SECRET-KEY-1[A-Z0-9]{58}$'
pub=$(sed -n 's/^# public key: //p' id.key)
is "the public key goes to stderr, as age-keygen says it" "$(cat err)" "Public key: $pub"
is "age-keygen reads the identity" "$(age-keygen -y id.key)" "$pub"
cp id.key id.copy
errline "--keygen never replaces a file" 73 'could not create "id.key": file exists' bk-crypt --keygen -o id.key
errline "--keygen never replaces a file, even with -f" 73 'file exists' bk-crypt --keygen -f -o id.key
same "the old identity is intact" id.key id.copy
run bk-crypt --keygen -q -o q.key
empty "-q silences --keygen" err
run bk-crypt --keygen
like "--keygen writes to stdout" out '^AGE-SECRET-KEY-1'
like "and names the key on stderr for a pipe" err '^Public key: age1'

# round trips through our own reader (the age command is in 0302)
gen_random 200000 >r200k
ok "encrypt and decrypt 200000 bytes" sh -c \
    "bk-crypt -r $pub r200k | bk-crypt -d -i id.key | cmp -s - r200k"
ok "armored round trip" sh -c \
    "bk-crypt -a -r $pub r200k | bk-crypt -d -i id.key | cmp -s - r200k"
bk-crypt -a -r "$pub" -o r.asc r200k
like "-a writes the armor" r.asc '^-----BEGIN AGE ENCRYPTED FILE-----$'
is "-o makes the file 0600" "$(mode r.asc)" 600
printf '# team\n\n%s\n%s\n' "$pub" "$FIXED" >recips
bk-crypt -R recips -o two.age r200k
ok "-R: the first recipient opens it" sh -c "bk-crypt -d -i id.key two.age | cmp -s - r200k"
ok "-R: the second recipient opens it" sh -c "bk-crypt -d -i fixed.key two.age | cmp -s - r200k"
cat id.key fixed.key >both.key
ok "an identity file with several keys" sh -c "bk-crypt -d -i both.key hello.age | cmp -s - hello"
ok "several -i files" sh -c "bk-crypt -d -i fixed.key -i id.key two.age | cmp -s - r200k"

# passphrases: a file, a descriptor
printf 'correct horse\n' >pw
printf 'wrong horse\n' >badpw
bk-crypt -p --passphrase-file pw -o p.age hello
ok "--passphrase-file round trip" sh -c "bk-crypt -d --passphrase-file pw p.age | cmp -s - hello"
ok "--passphrase-fd round trip" sh -c "bk-crypt -d --passphrase-fd 3 p.age 3<pw | cmp -s - hello"
like "the default work factor is age's (18)" p.age '^-> scrypt [A-Za-z0-9+/]{22} 18$'
unlike "the passphrase is nowhere in the file" p.age 'correct horse'
errline "a wrong passphrase is a failed check (1)" 1 'no identity matches' \
    bk-crypt -d --passphrase-file badpw p.age
unlike "the passphrase is never in a message" err 'horse'
: >emptypw
errline "an empty passphrase is refused" 65 'no passphrase in "emptypw"' \
    bk-crypt -p --passphrase-file emptypw hello
errline "an identity for a passphrase file" 1 'encrypted with a passphrase, and none was given' \
    bk-crypt -d -i fixed.key p.age
errline "a missing passphrase file" 66 'could not open passphrase file "nope"' \
    bk-crypt -d --passphrase-file nope p.age
errline "no terminal for a passphrase" 66 'could not open the terminal' \
    setsid -w bk-crypt -d p.age

# output handling
exits "writing to /dev/full exits 74" 74 sh -c 'bk-crypt -r "$0" hello >/dev/full' "$FIXED"
exits "decrypting to /dev/full exits 74" 74 sh -c 'bk-crypt -d -i fixed.key hello.age >/dev/full'
gen_random 3000000 >r3m
bk-crypt -r "$FIXED" -o r3m.age r3m
run sh -c 'bk-crypt -d -i fixed.key r3m.age | head -c 10 >/dev/null'
empty "a broken pipe is quiet" err
run sh -c 'bk-crypt -r "$0" r3m | head -c 10 >/dev/null' "$FIXED"
empty "a broken pipe is quiet when encrypting" err
errline "an existing -o needs -f" 73 'file exists' bk-crypt -d -i fixed.key -o hello hello.age
exits "-f replaces it" 0 bk-crypt -d -f -i fixed.key -o hello hello.age
exits "-q keeps a good run silent" 0 bk-crypt -q -d -i fixed.key hello.age
empty "-q: nothing on stderr" err
# On a pseudo-terminal (stdout on it, stderr as given).
run pty -o tty.out bk-crypt -r "$FIXED" hello
is "binary output to a terminal is refused" "$rc" 64
like "with a message saying why" err 'refusing to write binary data to a terminal'

# bad inputs: exit code and one line each; -o never leaves a file
size=$(wc -c <r3m.age)
hdr=$(grep -abn -m1 '^---' r3m.age | cut -d: -f1)
cut_at() { head -c "$1" r3m.age >cut.age; }
flip_at() { cp r3m.age flip.age && flip flip.age "$1"; }	# one byte changed
bad() {	# bad NAME CODE REGEX FILE
	errline "$1" "$2" "$3" bk-crypt -d -i fixed.key -o plain "$4"
	if [ -e plain ]; then fail "$1: no output"; rm -f plain
	else pass "$1: no output"; fi
}
cut_at 30; bad "truncated in the header" 65 'invalid header: truncated' cut.age
mac_end=$(python3 -c 'd = open("r3m.age", "rb").read(); print(d.index(b"\n---") + 1 + d[d.index(b"\n---") + 1:].index(b"\n") + 1)')
cut_at $((mac_end - 10)); bad "truncated in the MAC line" 65 'invalid header: truncated' cut.age
cut_at "$mac_end"; bad "truncated before the nonce" 65 'no payload nonce' cut.age
cut_at $((mac_end + 16)); bad "truncated after the nonce" 65 'truncated' cut.age
cut_at $((mac_end + 16 + 65552)); bad "truncated at a chunk boundary" 65 'final chunk missing' cut.age
cut_at $((mac_end + 16 + 65552 + 1000)); bad "truncated inside a chunk" 65 'chunk 2 .* failed authentication' cut.age
cut_at $((size - 1)); bad "the last byte missing" 65 'failed authentication' cut.age
flip_at 5; bad "a byte flipped in the version line" 65 'not an age file' flip.age
letter_at() { cp r3m.age flip.age && flip flip.age "$1" base64; }	# another base64 letter
letter_at 40; bad "a letter changed in the stanza looks like a wrong key (1)" 1 'no identity matches' flip.age
# In the MAC, another base64 letter (a flipped bit might make an invalid one).
letter_at $((mac_end - 5))
bad "a letter changed in the MAC" 65 'header MAC does not match' flip.age
flip_at $((mac_end + 3)); bad "a byte flipped in the nonce" 65 'chunk 1 .* failed authentication' flip.age
flip_at $((mac_end + 16 + 70000)); bad "a byte flipped in the payload" 65 'chunk 2 \(offset [0-9]+\) failed authentication' flip.age
python3 -c 'import sys
d = open("r3m.age", "rb").read(); h = int(sys.argv[1]) + 16; c = 65552
open("dup.age", "wb").write(d[:h + c] + d[h:])
open("swap.age", "wb").write(d[:h] + d[h + c:h + 2 * c] + d[h:h + c] + d[h + 2 * c:])
open("nofinal.age", "wb").write(d[:h + 45 * c])' "$mac_end"
bad "a chunk doubled" 65 'chunk 2 .* failed authentication' dup.age
bad "two chunks swapped" 65 'chunk 1 .* failed authentication' swap.age
bad "the final chunk missing" 65 'final chunk missing' nofinal.age
cp r3m.age trail.age; printf 'x' >>trail.age
bad "trailing data" 65 'failed authentication|data after the final chunk' trail.age
bad "not an age file" 65 'not an age file' hello
bk-crypt -r "$pub" -o other.age hello
errline "the wrong key is a failed check (1)" 1 'no identity matches \(wrong key or passphrase\)' \
    bk-crypt -d -i fixed.key -o plain other.age
ok "the wrong key leaves no output" test ! -e plain
errline "a missing input" 66 'could not open "nope.age"' bk-crypt -d -i fixed.key nope.age
errline "a missing identity file" 66 'could not open identity file "nope.key"' bk-crypt -d -i nope.key hello.age
printf 'AGE-SECRET-KEY-1NOTAKEY\n' >junk.key
errline "a malformed identity file" 65 'line 1 is not an age identity' bk-crypt -d -i junk.key hello.age
unlike "the bad line is not echoed" err NOTAKEY
printf '%s\n' "$pub" >pub.only
errline "a recipients file is not an identity file" 65 'line 1 is not an age identity' bk-crypt -d -i pub.only hello.age
errline "a secret key in a recipients file" 65 'could not parse recipient in "junk.key" line 1: it is a secret key' bk-crypt -R junk.key hello
printf '# x\nage1zzz\n' >badr
errline "a bad recipients file" 65 'could not parse recipient in "badr" line 2' bk-crypt -R badr hello
errline "a missing recipients file" 66 'could not open recipients file "nope"' bk-crypt -R nope hello
if [ "$(id -u)" = 0 ]; then
	chmod 755 .
	cp fixed.key locked.key; chmod 600 locked.key
	if nobody_ok "$T"; then
		errline "an unreadable identity file" 77 'could not open identity file "locked.key": Permission denied' \
		    as_nobody bk-crypt -d -i locked.key hello.age
	else
		skip "root reads any file, and $nobody_why"
	fi
	chmod 700 .
else
	cp fixed.key locked.key; chmod 000 locked.key
	errline "an unreadable identity file" 77 'could not open identity file "locked.key": Permission denied' \
	    bk-crypt -d -i locked.key hello.age
fi
# A work factor beyond what memory allows: 70, and a clear message (under
# AddressSanitizer, an allocation that large must fail rather than abort).
python3 -c 'd = open("p.age", "rb").read(); open("wf30.age", "wb").write(d.replace(b" 18\n", b" 30\n", 1))'
errline "work factor above the limit" 65 'scrypt work factor 30 is above the limit of 20' \
    bk-crypt -d --passphrase-file pw wf30.age
# Under an address-space limit where one can be set, so that a machine that
# overcommits memory refuses the 1 TiB too instead of letting scrypt touch it.
lim=
sh -c 'ulimit -v 8000000 && bk-crypt --version' >/dev/null 2>&1 && lim='ulimit -v 8000000;'
exits "work factor beyond the memory" 70 \
    env ASAN_OPTIONS=allocator_may_return_null=1 sh -c "$lim"' exec "$@"' sh \
    bk-crypt -d --max-work-factor 30 --passphrase-file pw wf30.age
like "with a message naming the memory" err '^bk-crypt: error: could not decrypt "wf30.age": could not derive the scrypt key \(work factor 30 needs 1048576 MiB'

errline "-t: bad data is 65 too" 65 'chunk 2' bk-crypt -t -i fixed.key flip.age

# The longest passphrase: 4096 bytes and its newline fill the read buffer.
awk 'BEGIN { s = ""; for (i = 0; i < 4096; i++) s = s "a"; print s }' >long.pw
awk 'BEGIN { s = ""; for (i = 0; i < 4097; i++) s = s "a"; print s }' >toolong.pw
run bk-crypt -p --passphrase-file long.pw -o long.age hello
is "a passphrase of 4096 bytes is accepted" "$rc" 0
run bk-crypt -d --passphrase-file long.pw long.age
same "and opens the file again" out hello
errline "a passphrase of 4097 bytes is refused" 65 'longer than 4096 bytes' \
    bk-crypt -p --passphrase-file toolong.pw -o toolong.age hello
done_testing
