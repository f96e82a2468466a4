#!/bin/sh
# Interoperability with the age command (and age-keygen), both ways: X25519
# recipients and passphrases, binary and armored, at the sizes where chunk
# boundaries matter.  age reads passphrases only from a terminal, so a
# pseudo-terminal drives it.
. "$(dirname "$0")/lib.sh"
need age age-keygen python3

# tty PASSPHRASE CMD...: runs CMD on a pseudo-terminal, stdout and stderr
# on it, typing PASSPHRASE at its first two prompts (asked for one, and to
# confirm a new one); exits with CMD's status.
tty() { _pw=$1; shift; pty -o -E -a "$_pw" -a "$_pw" /dev/null "$@"; }
# same_or_empty STATUS: the command succeeded and dec holds in.
same_or_empty() {
	[ "$1" = 0 ] && { cmp -s dec in || { [ ! -s in ] && [ ! -s dec ]; }; }
}

age-keygen -o age.key 2>/dev/null
AGEPUB=$(age-keygen -y age.key)
bk-crypt --keygen -q -o bk.key
BKPUB=$(bk-crypt -y -i bk.key)
is "age-keygen reads a bk-crypt identity" "$(age-keygen -y bk.key)" "$BKPUB"
is "bk-crypt reads an age-keygen identity" "$(bk-crypt -y -i age.key)" "$AGEPUB"

for n in 0 1 65535 65536 65537 5242880; do
	gen_random "$n" >in
	# bk-crypt encrypts, age decrypts
	bk-crypt -r "$AGEPUB" -o a.age in
	ok "$n bytes: age decrypts bk-crypt (binary)" sh -c 'age -d -i age.key a.age | cmp -s - in'
	bk-crypt -a -r "$AGEPUB" -o a.asc in
	ok "$n bytes: age decrypts bk-crypt (armored)" sh -c 'age -d -i age.key a.asc | cmp -s - in'
	# age encrypts, bk-crypt decrypts
	age -r "$BKPUB" -o b.age in
	ok "$n bytes: bk-crypt decrypts age (binary)" sh -c 'bk-crypt -d -i bk.key b.age | cmp -s - in'
	age -a -r "$BKPUB" -o b.asc in
	ok "$n bytes: bk-crypt decrypts age (armored)" sh -c 'bk-crypt -d -i bk.key b.asc | cmp -s - in'
	# the same length: no extra chunk, a full last chunk when aligned
	is "$n bytes: the same size as age's file" "$(wc -c <a.age)" "$(wc -c <b.age)"
	rm -f a.age a.asc b.age b.asc
done

# several recipients, from both sides
gen_text 100000 >in
bk-crypt -r "$AGEPUB" -r "$BKPUB" -o m.age in
ok "two recipients: age opens it with its key" sh -c 'age -d -i age.key m.age | cmp -s - in'
ok "two recipients: bk-crypt opens it with the other" sh -c 'bk-crypt -d -i bk.key m.age | cmp -s - in'
age -r "$AGEPUB" -r "$BKPUB" -o n.age in
ok "age's two-recipient file opens with bk-crypt" sh -c 'bk-crypt -d -i bk.key n.age | cmp -s - in'
cat bk.key age.key >both.key
ok "an age identity file with two keys" sh -c 'age -d -i both.key m.age | cmp -s - in'
run age -d -i age.key "$(bk-crypt -r "$BKPUB" -o o.age in; echo o.age)"
ok "age refuses the wrong key too" test "$rc" != 0

# passphrases (scrypt), through a pseudo-terminal for age
printf 'tr0ub4dor&3\n' >pw
for n in 0 65537; do
	gen_random "$n" >in
	bk-crypt -p --passphrase-file pw -o p.age in
	# age creates no -o file for an empty plaintext.
	tty 'tr0ub4dor&3' age -d -o dec p.age >/dev/null
	ok "$n bytes: age decrypts bk-crypt's passphrase file" same_or_empty $?
	rm -f dec
	bk-crypt -a -p --passphrase-file pw -o p.asc in
	tty 'tr0ub4dor&3' age -d -o dec p.asc >/dev/null
	ok "$n bytes: age decrypts bk-crypt's armored passphrase file" same_or_empty $?
	rm -f dec
	tty 'tr0ub4dor&3' age -p -o q.age in >/dev/null
	ok "$n bytes: bk-crypt decrypts age's passphrase file" sh -c 'bk-crypt -d --passphrase-file pw q.age | cmp -s - in'
	tty 'tr0ub4dor&3' age -a -p -o q.asc in >/dev/null
	ok "$n bytes: bk-crypt decrypts age's armored passphrase file" sh -c 'bk-crypt -d --passphrase-file pw q.asc | cmp -s - in'
	rm -f p.age p.asc q.age q.asc
done

# bk-crypt's own terminal prompts, with confirmation
gen_text 5000 >in
tty 'tr0ub4dor&3' bk-crypt -p -o t.age in >/dev/null
ok "bk-crypt asks the terminal for a passphrase" test -s t.age
tty 'tr0ub4dor&3' age -d -o dec t.age >/dev/null
ok "age opens what bk-crypt encrypted with a typed passphrase" cmp -s dec in
tty 'tr0ub4dor&3' bk-crypt -d -o out2 t.age >/dev/null
ok "bk-crypt asks the terminal when decrypting" cmp -s out2 in
done_testing
