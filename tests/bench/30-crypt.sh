#!/bin/sh
# bk-crypt against age: encrypt and decrypt 1 GiB to an X25519 recipient,
# then to a post-quantum one.
# Targets: at least 1.5x faster each way, peak memory at most 16 MiB.
. "$(dirname "$0")/lib.sh"

command -v age >/dev/null || { echo "bench: age not installed, skipped"; exit 0; }
in=$(csv_input 1024)
key=$DATA/crypt.key
[ -s "$key" ] || age-keygen -o "$key" 2>/dev/null
pub=$(age-keygen -y "$key")
enc=$DATA/crypt-1G.age
[ -s "$enc" ] || age -r "$pub" -o "$enc" "$in"

compare "crypt: encrypt 1 GiB (X25519)" \
    "bk-crypt -r $pub $in >/dev/null" \
    "age -r $pub $in >/dev/null" 1.5
compare "crypt: decrypt 1 GiB (X25519)" \
    "bk-crypt -d -i $key $enc >/dev/null" \
    "age -d -i $key $enc >/dev/null" 1.5
peak "crypt: encrypt 1 GiB, peak memory" "bk-crypt -r $pub $in >/dev/null" 16
peak "crypt: decrypt 1 GiB, peak memory" "bk-crypt -d -i $key $enc >/dev/null" 16

# A post-quantum recipient costs one X-Wing encapsulation per file; the
# payload path is the same.  age 1.1.1 has no post-quantum recipients, so
# its X25519 run on the same input is the reference.
pqkey=$DATA/crypt-pq.key
[ -s "$pqkey" ] || bk-crypt --keygen --pq -q -o "$pqkey"
pqpub=$(bk-crypt -y -i "$pqkey")
pqenc=$DATA/crypt-1G-pq.age
[ -s "$pqenc" ] || bk-crypt -r "$pqpub" -o "$pqenc" "$in"
compare "crypt: encrypt 1 GiB (pq; age: X25519)" \
    "bk-crypt -r $pqpub $in >/dev/null" \
    "age -r $pub $in >/dev/null" 1.5
compare "crypt: decrypt 1 GiB (pq; age: X25519)" \
    "bk-crypt -d -i $pqkey $pqenc >/dev/null" \
    "age -d -i $key $enc >/dev/null" 1.5

# To a file, bk-crypt also records what the plaintext held (bk-crypt(1),
# "The record of the plaintext"): the strict CSV check and record count
# bk-verify makes, in threads beside the encryption.  No target: this is
# what the record costs, against age writing the same file.
measure "rm -f $DATA/rec.age $DATA/.rec.age.bk-plain; bk-crypt -r $pub -o $DATA/rec.age $in"
_ours=$secs _ourk=$kib
measure "rm -f $DATA/rec2.age; age -r $pub -o $DATA/rec2.age $in"
awk -v o="$_ours" -v p="$secs" -v k="$_ourk" 'BEGIN {
    printf "%-44s bk %6.2fs  peer %6.2fs  ratio %5.2fx  (record: CSV check; bk peak %d KiB)\n",
	"crypt: -o 1 GiB csv, recording (age -o)", o, p, (o > 0 ? p / o : 0), k }'
rm -f "$DATA/rec.age" "$DATA/.rec.age.bk-plain" "$DATA/rec2.age"
