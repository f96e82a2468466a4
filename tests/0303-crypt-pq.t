#!/bin/sh
# bk-crypt's post-quantum recipients (mlkem768x25519, age 1.3's age1pq1...
# keys): key generation, round trips of the listed sizes, identity files
# holding both kinds, the refusal to mix kinds, tampering, and a table of
# bad inputs.  The interoperable answers come from the C2SP vectors in
# 0301; age 1.1.1, Debian 12's, has no post-quantum recipients.
. "$(dirname "$0")/lib.sh"
need python3 cmp

# bech32 NAME HEX: a bech32 string (no length limit), to build keys the
# tool must refuse.  Written from BIP 173.
bech32() {
	python3 - "$1" "$2" <<'PY'
import sys
hrp, data = sys.argv[1], bytes.fromhex(sys.argv[2])
cs = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
def polymod(v):
    g = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    c = 1
    for x in v:
        t = c >> 25
        c = (c & 0x1ffffff) << 5 ^ x
        for i in range(5):
            if t >> i & 1:
                c ^= g[i]
    return c
acc = bits = 0
d = []
for b in data:
    acc = acc << 8 | b
    bits += 8
    while bits >= 5:
        bits -= 5
        d.append(acc >> bits & 31)
if bits:
    d.append(acc << (5 - bits) & 31)
e = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
m = polymod(e + d + [0] * 6) ^ 1
d += [m >> 5 * (5 - i) & 31 for i in range(6)]
print(hrp + "1" + "".join(cs[x] for x in d))
PY
}

# keys: two post-quantum identities and one X25519
run bk-crypt --keygen --pq -o pq1.key
is "--keygen --pq exits 0" "$rc" 0
is "the identity file is 0600" "$(mode pq1.key)" 600
like "it holds an AGE-SECRET-KEY-PQ-1 identity" pq1.key '^AGE-SECRET-KEY-PQ-1[0-9A-Z]{58}$'
like "and its public key in a comment" pq1.key '^# public key: age1pq1[0-9a-z]{1952}$'
like "the public key is told on stderr" err '^Public key: age1pq1'
PQ1=$(sed -n 's/^# public key: //p' pq1.key)
is "the recipient is 1959 characters, as age's" "${#PQ1}" 1959
run bk-crypt -y -i pq1.key
is "-y prints the same recipient" "$(cat out)" "$PQ1"
bk-crypt --keygen --pq -q -o pq2.key
PQ2=$(bk-crypt -y -i pq2.key)
bk-crypt --keygen -q -o x.key
X=$(bk-crypt -y -i x.key)
run bk-crypt --keygen --pq -o pq1.key
is "--keygen never replaces a file" "$rc" 73
cat pq1.key x.key >both.key

# round trips of the listed sizes, binary and armored
for n in 0 1 65535 65536 65537 3145728; do
	gen_random "$n" >in
	bk-crypt -f -r "$PQ1" -o in.age in
	run bk-crypt -d -i pq1.key in.age
	same "$n bytes round trip" out in
	bk-crypt -f -a -r "$PQ1" -o in.asc in
	run bk-crypt -d -i pq1.key in.asc
	same "$n bytes round trip, armored" out in
done
like "the stanza is mlkem768x25519" in.age '^-> mlkem768x25519 [A-Za-z0-9+/]{1494}$'

# several recipients, -R files, identity files with both kinds
gen_random 100000 >in
printf '# team\n%s\n\n%s\n' "$PQ1" "$PQ2" >pq.rcpt
run bk-crypt -R pq.rcpt -o two.age in
is "-R with two post-quantum recipients" "$rc" 0
run bk-crypt -d -i pq2.key two.age
same "the second identity opens it" out in
run bk-crypt -t -i both.key two.age
is "-t with an identity file of both kinds" "$rc" 0
bk-crypt -r "$X" -o x.age in
run bk-crypt -d -i both.key x.age
same "the same file opens an X25519 file" out in
errline "an X25519 identity cannot open a post-quantum file" 1 \
    'no identity matches' bk-crypt -d -i x.key two.age
errline "a post-quantum identity cannot open an X25519 file" 1 \
    'no identity matches' bk-crypt -d -i pq1.key x.age

# tampering: a wrong stanza tag is no match; the payload is bad data
bk-crypt -r "$PQ1" -o t.age in
# the stanza body is the line after the "-> mlkem768x25519" line
body=$(grep -ab -A1 -- '^-> mlkem768x25519' t.age | sed -n '2s/-.*//p')
cp t.age body.age; flip body.age "$body" base64
cp t.age payload.age; flip payload.age -100 1
errline "an altered stanza body: no identity matches (1)" 1 \
    'no identity matches' bk-crypt -d -i pq1.key -o plain body.age
errline "an altered payload: bad data (65)" 65 'could not decrypt' \
    bk-crypt -d -i pq1.key -o plain payload.age
ok "and nothing is committed" test ! -e plain

# bk-verify opens every layer with a post-quantum identity
printf 'id,name\n1,a\n2,b\n' | bk-gz | bk-crypt -r "$PQ1" -o t.csv.gz.age
bk-manifest add t.csv.gz.age >/dev/null
run bk-verify -v -i pq1.key t.csv.gz.age
like "bk-verify reads through the post-quantum layer" out '^OK t\.csv\.gz\.age \(csv gzip age, 2 records\)'
run bk-verify -i x.key t.csv.gz.age
is "bk-verify with the wrong kind of key: a failed check" "$rc" 1

# bad inputs: exit code and one-line message (a usage error adds the
# --help hint on a second line)
HEX=$(python3 -c 'print("ff" * 1216)')
BADQ=$(bech32 age1pq "$HEX")
SHORT=$(bech32 age1pq "$(python3 -c 'print("00" * 1215)')")
printf 'AGE-SECRET-KEY-PQ-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n' >badid.key
printf '%s\n%s\n' "$PQ1" "$X" >mixed.rcpt
while IFS='|' read -r name code re args; do
	[ -n "$name" ] || continue
	eval "set -- $args"
	run bk-crypt "$@"
	if [ "$rc" = "$code" ] && [ ! -s "$T/out" ] &&
	    head -1 "$T/err" | grep -Eq -- "$re" &&
	    { [ "$code" = 64 ] || [ "$(wc -l <"$T/err")" = 1 ]; }; then
		pass "$name (exit $code)"
	else
		fail "$name (exit $code)"; diag "exit $rc"
		sed 's/^/#   /' "$T/err" | head -3
	fi
done <<EOF
mixed -r: post-quantum and X25519|64|cannot be mixed|-r "$PQ1" -r "$X" in
mixed in a -R file|64|cannot be mixed|-R mixed.rcpt in
a truncated age1pq1 recipient|64|could not parse recipient|-r "$(printf %s "$PQ1" | cut -c1-1000)" in
a flipped character|64|could not parse recipient|-r "$(printf %s "$PQ1" | sed 's/q/p/5')" in
an ML-KEM key failing the modulus check|64|could not parse recipient|-r "$BADQ" in
a key one byte short|64|could not parse recipient|-r "$SHORT" in
a recipient in mixed case|64|could not parse recipient|-r "$(printf %s "$PQ1" | sed 's/q/Q/3')" in
--pq without --keygen|64|--pq needs --keygen|--pq -r "$PQ1" in
a bad post-quantum identity|65|line 1 is not an age identity|-d -i badid.key two.age
EOF
unlike "a bad identity is never echoed" err 'QQQQQQQQ'
done_testing
