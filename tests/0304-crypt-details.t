#!/bin/sh
# The age details of issue 11, each against the age command where it has a
# say: header lines with a NUL byte, upper-case and low-order recipients,
# a passphrase descriptor that is also the input, secrets that other users
# can read (a warning), the echo after a signal at a passphrase prompt, and
# the scrypt work factor that bk-crypt, bk-verify and bk-restore accept by
# default and with --max-work-factor.
. "$(dirname "$0")/lib.sh"
need age age-keygen python3 sqlite3 sha256sum

# The identity of 0300, private as a careful user keeps it.
cat >fixed.key <<'K'
# created: 2026-11-22T04:33:06Z
# public key: age1h0qzdz5cgd5c5y5syaqpulxscnccvksx9mz3tln49gz7ma6tjuvslwsvnk
AGE-SECRET-KEY-1XST4ZKLH2VC7GHKRNCPC643ERA7T8AAASSAZE8DQUGZ2EC60M50S7MSDE9
K
chmod 600 fixed.key
FIXED=age1h0qzdz5cgd5c5y5syaqpulxscnccvksx9mz3tln49gz7ma6tjuvslwsvnk
echo hello >hello
printf 'correct horse\n' >pw
chmod 600 pw

# ---- a NUL byte in a header line ----
# mkage.py WHERE OUT: a file for fixed.key holding "hello", made from the
# specification with python3-cryptography, with a NUL byte at the end of
# the version line or of the stanza's line (WHERE: version, stanza), or
# none; its MAC covers the header as written, NUL and all.
cat >mkage.py <<'PY'
import base64, hashlib, hmac, os, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
C = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
def unbech32(s):
    acc = bits = 0; out = bytearray()
    for c in s.lower()[s.rindex("1") + 1:-6]:
        acc = acc << 5 | C.index(c); bits += 5
        if bits >= 8: bits -= 8; out.append(acc >> bits & 255)
    return bytes(out)
def hk(key, salt, info):
    return HKDF(hashes.SHA256(), 32, salt, info).derive(key)
def raw(k):
    return k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
b64 = lambda b: base64.b64encode(b).rstrip(b"=")
where, out = sys.argv[1:3]
sec = unbech32([l for l in open("fixed.key") if l.startswith("AGE-")][0].strip())
me = X25519PrivateKey.from_private_bytes(sec).public_key()
fk, eph = os.urandom(16), X25519PrivateKey.generate()
share = raw(eph.public_key())
wrap = hk(eph.exchange(me), share + raw(me), b"age-encryption.org/v1/X25519")
body = ChaCha20Poly1305(wrap).encrypt(bytes(12), fk, None)
nul = lambda w: b"\0" if where == w else b""
hdr = (b"age-encryption.org/v1" + nul("version") + b"\n-> X25519 " +
    b64(share) + nul("stanza") + b"\n" + b64(body) + b"\n---")
mac = hmac.new(hk(fk, None, b"header"), hdr, hashlib.sha256).digest()
nonce = os.urandom(16)
chunk = ChaCha20Poly1305(hk(fk, nonce, b"payload")).encrypt(bytes(11) + b"\1",
    b"hello\n", None)
open(out, "wb").write(hdr + b" " + b64(mac) + b"\n" + nonce + chunk)
PY
python3 mkage.py none none.age
run age -d -i fixed.key none.age
same "the crafted file without a NUL opens with age" out hello
run bk-crypt -d -i fixed.key none.age
same "... and with bk-crypt" out hello
for w in version stanza; do
	python3 mkage.py $w nul-$w.age
	run age -d -i fixed.key nul-$w.age
	ok "a NUL byte in the $w line: age refuses it" test "$rc" != 0
	errline "a NUL byte in the $w line: bk-crypt refuses it (65)" 65 \
	    "could not decrypt \"nul-$w.age\": invalid header: NUL byte at offset [0-9]+$" \
	    bk-crypt -d -i fixed.key nul-$w.age
	empty "... and writes nothing" out
	errline "a NUL byte in the $w line: the header check without a key too" 65 \
	    'invalid header: NUL byte' bk-crypt -t nul-$w.age
done

# ---- recipients: lower case only, never of low order ----
UPPER=$(echo "$FIXED" | tr a-z A-Z)
run sh -c 'echo hi | age -r "$0"' "$UPPER"
ok "age refuses an upper-case recipient" test "$rc" != 0
usage "bk-crypt refuses an upper-case recipient (64)" \
    "could not parse recipient \"$UPPER\": in upper case \\(age takes recipients in lower case only\\)" \
    bk-crypt -r "$UPPER" hello
printf '%s\n' "$UPPER" >upper.rcpt
errline "an upper-case recipient in a recipients file (65)" 65 \
    'could not parse recipient in "upper.rcpt" line 1: in upper case' bk-crypt -R upper.rcpt hello
usage "mixed case is no recipient either" 'could not parse recipient' \
    bk-crypt -r "$(echo "$FIXED" | sed 's/h0q/H0Q/')" hello
exits "the lower-case one is a recipient" 0 bk-crypt -r "$FIXED" -o ok.age hello
# Points of order 2, 4 and 8 (u = 0, 1 and an order-8 point): the shared
# secret with any key is zero, so the wrap key would be public.
for lo in age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z \
    age1qyqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqj7vrya \
    age1ur4h5lpmgxu2u9jku0a0r87ydtdqnr0tnsetrlvxvgz3vh6fhqqqzyt4v9; do
	run sh -c 'echo hi | age -r "$0"' "$lo"
	like "age refuses the low-order recipient ${lo%%qqqqq*}..." err 'low order point'
	usage "bk-crypt refuses it as bad usage (64), not 70" \
	    "could not use recipient \"$lo\": an X25519 key of low order" \
	    bk-crypt -r "$lo" -o lo.age hello
	ok "... and writes nothing" test ! -e lo.age
done
printf '%s\n%s\n' "$FIXED" age1qyqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqj7vrya >lo.rcpt
errline "a low-order recipient in a recipients file (65)" 65 \
    'could not use recipient in "lo.rcpt" line 2: an X25519 key of low order' bk-crypt -R lo.rcpt hello

# ---- --passphrase-fd 0 when standard input is the input ----
bk-crypt -p --passphrase-file pw -o p.age hello
gen_random 10000 >r10k
usage "-d --passphrase-fd 0 with the input on stdin is refused" \
    '--passphrase-fd 0 is standard input, which is also the input' \
    sh -c 'bk-crypt -d --passphrase-fd 0 <p.age'
usage "... so is -t" 'is also the input' sh -c 'bk-crypt -t --passphrase-fd 0 - <p.age'
# The case that lost data: the passphrase's read took the data after it.
usage "encrypting with --passphrase-fd 0 and the data on stdin is refused" \
    'is also the input' sh -c '{ cat pw r10k; } | bk-crypt -p --passphrase-fd 0 -o swallowed.age'
ok "... and writes nothing" test ! -e swallowed.age
run sh -c 'bk-crypt -d --passphrase-fd 0 p.age <pw'
same "--passphrase-fd 0 with the input named works" out hello
run sh -c 'bk-crypt -d --passphrase-fd 3 3<pw <p.age'
same "another descriptor with the input on stdin works" out hello

# ---- secrets that other users can read: used, with one warning ----
cp fixed.key open.key; chmod 644 open.key
run bk-crypt -d -i open.key none.age
is "a world-readable identity file is used" "$rc" 0
same "... and opens the file" out hello
is "... with one warning line" "$(cat err)" \
    'bk-crypt: warning: identity file "open.key" is readable by other users (mode 0644): chmod 600 it'
run bk-crypt -d -i fixed.key none.age
empty "a private identity file: no warning" err
cp fixed.key wopen.key; chmod 602 wopen.key
run bk-crypt -y -i wopen.key
is "-y reads the identity file the same way" "$(cat out)" "$FIXED"
like "... and warns about one other users can change" err 'identity file "wopen.key" is writable by other users \(mode 0602\)'
# -y reads identity files with the reader's parser, without stdio buffers.
run sh -c 'bk-crypt -y <fixed.key'
is "-y reads standard input" "$(cat out)" "$FIXED"
printf '# no key here\n' >nokey
run age-keygen -y nokey
ok "age-keygen -y refuses a file without a key" test "$rc" != 0
errline "... and so does -y (65)" 65 'could not parse identity file "nokey": no identity found' \
    bk-crypt -y -i nokey
cp pw open.pw; chmod 604 open.pw
run bk-crypt -d --passphrase-file open.pw p.age
same "a world-readable passphrase file is used" out hello
is "... with one warning line" "$(cat err)" \
    'bk-crypt: warning: passphrase file "open.pw" is readable by other users (mode 0604): chmod 600 it'
run sh -c 'bk-crypt -d --passphrase-fd 3 p.age 3<open.pw'
like "a passphrase descriptor on such a file: the same warning" err 'passphrase descriptor is readable by other users'
run bk-crypt -q -d -i open.key none.age
empty "-q silences the warning" err
run bk-verify -i open.key --check /dev/null
like "bk-verify warns too (common/)" err 'bk-verify: warning: identity file "open.key" is readable'
run bk-verify --passphrase-file open.pw --check /dev/null
like "... for its passphrase file too" err 'bk-verify: warning: passphrase file "open.pw" is readable'
# --keygen: a shell redirection makes a file of the shell's umask.
run sh -c 'umask 022; bk-crypt --keygen >open.new'
is "--keygen to a world-readable file exits 0" "$rc" 0
like "... and warns" err "warning: the new identity's file \\(standard output\\) is readable by other users \\(mode 0644\\)"
like "... beside the public key" err '^Public key: age1'
run sh -c 'umask 077; bk-crypt --keygen >private.new'
unlike "--keygen to a private file: no warning" err warning
pty -o tty.out bk-crypt --keygen 2>err
is "--keygen to a terminal exits 0" "$?" 0
like "... writes the key there" tty.out '^AGE-SECRET-KEY-1'
like "... and warns" err 'warning: writing a secret key to a terminal'

# ---- the echo after a signal at the passphrase prompt ----
# Before the prompt, bk-crypt turns the echo off; a Ctrl-C (typed: the
# terminal sends SIGINT), a kill or a hangup must not leave it off.
pty -e echo.ok -a 'correct horse' tty.out bk-crypt -d -o ans.out p.age
is "a passphrase typed at the prompt opens the file" "$?" 0
same "... the plaintext" ans.out hello
is "... and the echo is back on" "$(cat echo.ok)" echo
for how in '-k ^C' '-s TERM' '-s HUP'; do
	case $how in
	-k*) want=130 ;; *TERM) want=143 ;; *HUP) want=129 ;;
	esac
	pty -e echo.state $how tty.out bk-crypt -d -o sig.out p.age 2>/dev/null
	is "${how#-? }: the signal still ends bk-crypt ($want)" "$?" "$want"
	like "${how#-? }: at the prompt" tty.out 'Enter passphrase: '
	is "${how#-? }: the echo is back on" "$(cat echo.state)" echo
	ok "${how#-? }: no output left behind" sh -c '! ls -A | grep -q "sig\.out"'
done
pty -e echo.state -k '^C' tty.out bk-crypt -p -o sigenc.age hello 2>/dev/null
is "Ctrl-C when asked for a new passphrase: echo back on" "$(cat echo.state)" echo

# ---- the scrypt work factor: one default everywhere, --max-work-factor ----
# A hostile file names work factor 22 (4 GiB): it is refused before scrypt
# runs, by default, in every tool.  Under an address-space limit where one
# can be set, so that an attempt fails rather than takes the memory.
python3 -c 'd = open("p.age", "rb").read(); open("wf22.age", "wb").write(d.replace(b" 18\n", b" 22\n", 1))'
lim=
sh -c 'ulimit -v 3000000 && bk-crypt --version' >/dev/null 2>&1 && lim='ulimit -v 3000000;'
limited() { sh -c "$lim"' exec "$@"' sh "$@"; }
errline "bk-crypt: work factor 22 is above the default limit (65)" 65 \
    'scrypt work factor 22 is above the limit of 20 \(it would need 4096 MiB of memory\)' \
    limited bk-crypt -d --passphrase-file pw wf22.age
errline "bk-crypt --max-work-factor 17 refuses age's 18" 65 'above the limit of 17' \
    bk-crypt -d --max-work-factor 17 --passphrase-file pw p.age
run bk-crypt -d --max-work-factor 18 --passphrase-file pw p.age
same "bk-crypt --max-work-factor 18 opens it" out hello
mkdir tree
cp p.age tree/p.age; cp wf22.age tree/wf22.age
(cd tree && bk-manifest add p.age wf22.age) >/dev/null 2>&1 || fail "bk-manifest add"
run limited bk-verify -m tree/manifest.jsonl --passphrase-file pw tree/wf22.age
is "bk-verify: a work factor of 22 fails the check (1)" "$rc" 1
like "... refused before scrypt, at the default limit" out \
    '^FAIL tree/wf22.age: scrypt work factor 22 is above the limit of 20'
run bk-verify --max-work-factor 17 -m tree/manifest.jsonl --passphrase-file pw tree/p.age
like "bk-verify --max-work-factor 17 refuses 18" out '^FAIL tree/p.age: scrypt work factor 18 is above the limit of 17'
exits "bk-verify --max-work-factor 18 accepts it" 0 \
    bk-verify --max-work-factor 18 -m tree/manifest.jsonl --passphrase-file pw tree/p.age
usage "bk-verify: a bad --max-work-factor" 'bad --max-work-factor "0" \(1 to 30\)' \
    bk-verify --max-work-factor 0 -m tree/manifest.jsonl
usage "bk-crypt: the same message" 'bad --max-work-factor "x" \(1 to 30\)' \
    bk-crypt -d --max-work-factor x p.age
# bk-restore, into SQLite: the target stays as it was.
sqlite3 app.db 'CREATE TABLE t(a); INSERT INTO t VALUES (1);'
mkdir rt
bk-dump -D sqlite:app.db -F sqlite -o rt/app.db
bk-crypt -p --passphrase-file pw -o rt/app.db.age rt/app.db
python3 -c 'd = open("rt/app.db.age", "rb").read(); open("rt/wf22.db.age", "wb").write(d.replace(b" 18\n", b" 22\n", 1))'
(cd rt && bk-manifest add app.db.age wf22.db.age) >/dev/null 2>&1 || fail "bk-manifest add rt"
sqlite3 target.db 'CREATE TABLE keep(x); INSERT INTO keep VALUES (1);'
cp target.db target.saved
errline "bk-restore: work factor 22 is refused by default (65)" 65 \
    'scrypt work factor 22 is above the limit of 20' \
    limited bk-restore --yes -D sqlite:target.db --passphrase-file pw rt/wf22.db.age
same "... the target untouched" target.db target.saved
errline "bk-restore --max-work-factor 17 refuses 18" 65 'above the limit of 17' \
    bk-restore -n --max-work-factor 17 -D sqlite:target.db --passphrase-file pw rt/app.db.age
exits "bk-restore --max-work-factor 18 accepts it" 0 \
    bk-restore -n --max-work-factor 18 -D sqlite:target.db --passphrase-file pw rt/app.db.age
run bk-restore --max-work-factor 31 -D sqlite:target.db rt/app.db.age
is "bk-restore: a bad --max-work-factor (64)" "$rc|$(head -1 err)" \
    '64|bk-restore: error: bad --max-work-factor "31" (1 to 30)'
done_testing
