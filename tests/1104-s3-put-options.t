#!/bin/sh
# bk-s3 put's options and cleanup against a real radosgw (tests/s3.sh),
# cross-checked with Debian's aws command line: cleanup of the uploads a
# SIGKILL leaves, across pages; --expected-size and --max-parts; -P on a
# terminal; object lock (mode, date, one version per upload, refused
# deletes, a bucket without lock); SSE-KMS with radosgw's testing key
# backend, AES256 that radosgw 16 takes and ignores, storage classes;
# virtual-hosted addressing at BUCKET.localhost.
. "$(dirname "$0")/lib.sh"
. "$TESTS/s3.sh"
need_s3
need jq python3
MiB=1048576
R=$(od -An -N4 -tx1 /dev/urandom | tr -d " \n")
B=bk-s3-opts-$R		# a bucket of this run's
L=bk-s3-lock-$R		# with object lock
D=bk-s3-deflock-$R	# with object lock and a default retention
exits "a bucket for the test" 0 aws s3api create-bucket --bucket $B
exits "a bucket with object lock" 0 \
    aws s3api create-bucket --bucket $L --object-lock-enabled-for-bucket
exits "a bucket with a default retention" 0 \
    aws s3api create-bucket --bucket $D --object-lock-enabled-for-bucket
exits "... of one day, governance" 0 aws s3api put-object-lock-configuration \
    --bucket $D --object-lock-configuration \
    '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}'
printf 'one\n' >small
gen_random $((12 * MiB)) >f12
gen_random $((20 * MiB)) >f20

# uploads BUCKET PREFIX: "KEY ID" lines of its incomplete uploads, sorted.
uploads() {
	aws s3api list-multipart-uploads --bucket "$1" --prefix "$2" \
	    --output json >"$T/uploads.json" 2>/dev/null || return 1
	jq -r '.Uploads // [] | .[] | "\(.Key) \(.UploadId)"' "$T/uploads.json" |
	    sort
}
# versions BUCKET KEY: the version ids of exactly that key, newest first.
versions() {
	aws s3api list-object-versions --bucket "$1" --prefix "$2" \
	    --output json | jq -r --arg k "$2" \
	    '.Versions // [] | .[] | select(.Key == $k) | .VersionId'
}
# epoch DATE: seconds since 1970 of an ISO 8601 date.
epoch() { date -u -d "$1" +%s; }

# --- cleanup: what a SIGKILLed put leaves ---
mkfifo fifo
bk-s3 put --part-size 5M s3://$B/killed/k <fifo >kill.out 2>kill.err &
up=$!
exec 8>fifo
gen_random $((12 * MiB)) >&8
# The upload shows once bk-s3 has begun it; its parts may still be on
# the way when the SIGKILL comes, which changes nothing for cleanup.
listed() { [ -n "$(uploads $B killed/)" ]; }
ok "a put under way shows in aws's list of uploads" wait_until listed
kill -KILL $up
wait $up 2>/dev/null
exec 8>&-
uploads $B killed/ >before
is "SIGKILLed: one incomplete upload is left" "$(wc -l <before)" 1
id=$(cut -d' ' -f2 before)
exits "cleanup --older-than 1h" 0 bk-s3 cleanup --older-than 1h s3://$B/killed/
empty "... aborts nothing" out
uploads $B killed/ >after
same "... the upload is still there" after before
exits "cleanup -n --older-than 0s" 0 bk-s3 cleanup -n --older-than 0s s3://$B/killed/
like "... says what it would abort" out \
    "^would abort s3://$B/killed/k \\(upload $id, initiated 20[0-9-]{8}T[0-9:.]+Z\\)$"
is "... one line" "$(wc -l <out)" 1
uploads $B killed/ >after
same "... and aborts nothing" after before
exits "cleanup --older-than 0s" 0 bk-s3 cleanup --older-than 0s s3://$B/killed/
like "... aborts it, one line" out \
    "^aborted s3://$B/killed/k \\(upload $id, initiated 20[0-9-]{8}T[0-9:.]+Z\\)$"
is "... one line only" "$(wc -l <out)" 1
uploads $B killed/ >after
empty "... and aws lists none" after
run aws s3api head-object --bucket $B --key killed/k
[ "$rc" != 0 ] && pass "... nor any object" || fail "... nor any object"
exits "cleanup of nothing" 0 bk-s3 cleanup --older-than 0s s3://$B/killed/
empty "... says nothing" out

# --- cleanup across pages: seven uploads, two a page ---
# aws's own library begins them, in one run of Python (aws s3api
# create-multipart-upload would start Python eight times).
/usr/bin/python3 - $B <<'EOF'
import os, sys
from awscli.botocore.session import Session
s3 = Session().create_client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
for k in "pages/a pages/b pages/c pages/a pages/b pages/a pages/d other/x".split():
    s3.create_multipart_upload(Bucket=sys.argv[1], Key=k)
EOF
uploads $B pages/ >before
is "aws began seven uploads under pages/" "$(wc -l <before)" 7
exits "cleanup -n, two a page" 0 \
    bk-s3 cleanup -n --page-size 2 --older-than 0s s3://$B/pages/
sed -n 's/^would abort s3:\/\/[^/]*\/\([^ ]*\) (upload \([^,]*\),.*/\1 \2/p' out |
    sort >planned
same "... names every upload once" planned before
is "... and aborts none" "$(uploads $B pages/ | wc -l)" 7
exits "cleanup, two a page" 0 \
    bk-s3 -v cleanup --page-size 2 --older-than 0s s3://$B/pages/
sed -n 's/^aborted s3:\/\/[^/]*\/\([^ ]*\) (upload \([^,]*\),.*/\1 \2/p' out |
    sort >done
same "... aborts every upload once" done before
like "... and counts them" err '"s3://[^"]*/pages/": 7 incomplete uploads, 7 aborted, 0 kept$'
uploads $B pages/ >left
empty "... aws lists none under the prefix" left
is "... and the one beside the prefix stays" "$(uploads $B other/ | wc -l)" 1
errline "cleanup of a missing bucket: 66" 66 \
    'could not list the uploads of "s3://no-such-bucket-[0-9a-f]*/": 404 NoSuchBucket' \
    bk-s3 cleanup --older-than 1d s3://no-such-bucket-$R/

# --- --expected-size and --max-parts ---
exits "one part at most, 20 MiB expected: one request of 20 MiB" 0 \
    bk-s3 -v put --max-parts 1 --expected-size 20M s3://$B/x20 f20
like "... parts of 20 MiB" err '"f20": parts of 20\.0 MiB, for 20971520 bytes in at most 1 parts$'
run aws s3api head-object --bucket $B --key x20 --query ETag --output text
is "... a single PUT's ETag, the MD5" "$(cat out)" "\"$(md5sum <f20 | cut -d' ' -f1)\""
aws s3 cp --quiet s3://$B/x20 x20.aws
same "... aws downloads it" x20.aws f20
errline "one part at most, no size expected, 20 MiB: 65" 65 \
    'could not upload "s3://[^"]*/y20": the stream is longer than 1 parts of 16\.0 MiB \(--expected-size makes them larger\)$' \
    bk-s3 put --max-parts 1 s3://$B/y20 f20
errline "a stream that outgrows 2 parts of 5 MiB: 65, one line" 65 \
    'the stream is longer than 2 parts of 5\.0 MiB' \
    sh -c 'cat f12 | bk-s3 put --part-size 5M --max-parts 2 s3://$0/grown' $B
run aws s3api head-object --bucket $B --key grown
[ "$rc" != 0 ] && pass "... no object" || fail "... no object"
is "... and the upload aborted" "$(uploads $B grown | wc -l)" 0
gen_random $((40 * MiB)) >f40
exits "two parts at most, 40 MiB expected, from a pipe" 0 sh -c \
    'cat f40 | bk-s3 -v put --max-parts 2 --expected-size 40M s3://$0/x40' $B
like "... parts of 20 MiB" err '"\(stdin\)": parts of 20\.0 MiB, for 41943040 bytes in at most 2 parts$'
# The ETag of two parts of 20 MiB: the MD5 of their MD5s, then "-2".
split -b $((20 * MiB)) f40 part.
want=$(for f in part.*; do openssl md5 -binary "$f"; done | openssl md5 -r | cut -d' ' -f1)
run aws s3api head-object --bucket $B --key x40 --query ETag --output text
is "... the ETag of two parts of 20 MiB" "$(cat out)" "\"$want-2\""
aws s3 cp --quiet s3://$B/x40 x40.aws
same "... aws downloads it" x40.aws f40
rm -f f40 x40.aws part.*
while IFS='|' read -r args want; do
	# shellcheck disable=SC2086
	run sh -c 'printf x | bk-s3 -v put "$@"' sh $args s3://$B/sizes/x
	like "$args: parts of $want" err "parts of $want, "
done <<'EOF'
--expected-size=100G|16.0 MiB
--expected-size=200G|21.0 MiB
--expected-size=1T|105.0 MiB
--max-parts=1000 --expected-size=100G|103.0 MiB
--expected-size=1T --part-size=200M|200.0 MiB
EOF

# --- -P: progress on a terminal, nothing off one ---
pty -E tty.out bk-s3 put -P --part-size 5M s3://$B/progress f12 >out
is "-P on a terminal: exit 0" "$?" 0
is "... stdout is the digest line" "$(cat out)" \
    "$(sha256sum <f12 | cut -d' ' -f1)  s3://$B/progress"
tr -d '\033' <tty.out | sed 's/\[K//g' | tr '\r' '\n' | grep . | tail -1 >meter
like "... the meter ends on the whole file, 100%" meter \
    '^f12: 12\.0 MiB \(100%\)  [0-9.]+ (B|KiB|MiB|GiB)/s  [0-9]+:[0-9]{2}:[0-9]{2}$'
is "... and ends its line" "$(tail -c 1 tty.out | od -An -c | tr -d ' ')" '\n'
run bk-s3 put -P s3://$B/progress2 small
empty "-P off a terminal: nothing on stderr" err
pty -E tty.out bk-s3 put s3://$B/progress3 small >out
empty "without -P: nothing on the terminal" tty.out

# --- Object lock ---
until=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
exits "put --lock-until, governance" 0 \
    bk-s3 put --lock-until "$until" --lock-mode governance s3://$L/until small
run aws s3api get-object-retention --bucket $L --key until --output json
is "... aws: mode GOVERNANCE" "$(jq -r .Retention.Mode out)" GOVERNANCE
is "... aws: until that date" "$(epoch "$(jq -r .Retention.RetainUntilDate out)")" \
    "$(epoch "$until")"
vid=$(versions $L until)
run aws s3api delete-object --bucket $L --key until --version-id="$vid"
[ "$rc" != 0 ] && pass "... deleting the version is refused" ||
    fail "... deleting the version is refused"
exits "... it is still there" 0 \
    aws s3api head-object --bucket $L --key until --version-id="$vid"
# An hour of compliance: nobody can remove it, but the cluster goes.
t0=$(date -u +%s)
exits "put --lock-for 1h: compliance by default" 0 \
    bk-s3 -v put --lock-for 1h s3://$L/for small
t1=$(date -u +%s)
like "... says so" err '"s3://[^"]*/for": locked in COMPLIANCE mode until 20'
run aws s3api get-object-retention --bucket $L --key for --output json
is "... aws: mode COMPLIANCE" "$(jq -r .Retention.Mode out)" COMPLIANCE
d=$(epoch "$(jq -r .Retention.RetainUntilDate out)")
[ "$d" -ge $((t0 + 3600)) ] && [ "$d" -le $((t1 + 3600)) ] &&
    pass "... an hour after the put" ||
    { fail "... an hour after the put"; diag "$t0 $d $t1"; }
run aws s3api delete-object --bucket $L --key for --version-id="$(versions $L for)" \
    --bypass-governance-retention
[ "$rc" != 0 ] && pass "... not deleted, even bypassing governance" ||
    fail "... not deleted, even bypassing governance"
exits "a multipart put with a lock" 0 \
    bk-s3 -v put --part-size 5M --lock-for 2h --lock-mode governance s3://$L/multi f12
versions $L multi >vids
is "... leaves exactly one version" "$(wc -l <vids)" 1
like "... having deleted the one completing made" err \
    'made by completing the upload before its copy with the sha256, deleted$'
run aws s3api get-object-retention --bucket $L --key multi --version-id="$(cat vids)" \
    --query Retention.Mode --output text
is "... locked, governance" "$(cat out)" GOVERNANCE
run aws s3api delete-object --bucket $L --key multi --version-id="$(cat vids)"
[ "$rc" != 0 ] && pass "... deleting it is refused" || fail "... deleting it is refused"
run aws s3api head-object --bucket $L --key multi --query Metadata.sha256 --output text
is "... with the sha256 metadata" "$(cat out)" "$(sha256sum <f12 | cut -d' ' -f1)"
aws s3 cp --quiet s3://$L/multi multi.aws
same "... aws downloads it" multi.aws f12
exits "... bk-s3 gets it" 0 bk-s3 get -o multi.bk s3://$L/multi
same "... byte for byte" multi.bk f12
exits "a multipart put without a lock to a versioned bucket" 0 \
    bk-s3 put --part-size 5M s3://$L/plainmulti f12
is "... leaves exactly one version too" "$(versions $L plainmulti | wc -l)" 1
exits "a multipart put where the default retention locks every version" 0 \
    bk-s3 put --part-size 5M s3://$D/multi f12
like "... warns that completing's version stays" err \
    'warning: could not delete version .* made by completing the upload \(AccessDenied\): it stays beside its copy$'
is "... and leaves two versions, as documented" "$(versions $D multi | wc -l)" 2
errline "a lock on a bucket without object lock: 78, one line" 78 \
    "could not upload \"s3://$B/nolock\": bucket \"$B\" has no object lock \\(the store says so; it is enabled when a bucket is created\\)$" \
    bk-s3 put --lock-for 1h s3://$B/nolock small
run aws s3api head-object --bucket $B --key nolock
[ "$rc" != 0 ] && pass "... nothing stored" || fail "... nothing stored"

# --- Encryption and storage class ---
exits "put --sse aws:kms with the test key" 0 \
    bk-s3 put --sse aws:kms --sse-kms-key-id bk-test-key s3://$B/kms small
run aws s3api head-object --bucket $B --key kms --output json
is "... aws: encrypted by KMS" "$(jq -r .ServerSideEncryption out)" aws:kms
is "... with that key" "$(jq -r .SSEKMSKeyId out)" bk-test-key
exits "... bk-s3 gets it" 0 bk-s3 get -o kms.bk s3://$B/kms
same "... byte for byte" kms.bk small
aws s3 cp --quiet s3://$B/kms kms.aws
same "... and aws too" kms.aws small
exits "a multipart put --sse aws:kms" 0 \
    bk-s3 put --part-size 5M --sse aws:kms --sse-kms-key-id bk-test-key s3://$B/kms12 f12
like "... warns that radosgw 16 cannot copy it for the metadata" err \
    'warning: "s3://[^"]*/kms12": the store cannot copy an encrypted object \(501 NotImplemented\): it keeps no sha256 metadata$'
run aws s3api head-object --bucket $B --key kms12 --query ServerSideEncryption --output text
is "... aws: encrypted by KMS" "$(cat out)" aws:kms
exits "... bk-s3 gets it" 0 bk-s3 get -o kms12.bk s3://$B/kms12
same "... byte for byte" kms12.bk f12
aws s3 cp --quiet s3://$B/kms12 kms12.aws
same "... and aws too" kms12.aws f12
errline "--sse aws:kms without a key id: the store's words, 70" 70 \
    '400 InvalidArgument: Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption-aws-kms-key-id$' \
    bk-s3 put --sse aws:kms s3://$B/kms-nokey small
errline "--sse aws:kms with a key the store does not have: 77" 77 \
    '403 InvalidAccessKeyId: Failed to retrieve the actual key' \
    bk-s3 put --sse aws:kms --sse-kms-key-id no-such-key s3://$B/kms-badkey small
errline "--sse aes256, which radosgw 16 takes and ignores: 78, one line" 78 \
    'could not upload "s3://[^"]*/aes": the store does not encrypt it with AES256 \(its reply names no encryption\)$' \
    bk-s3 put --sse aes256 s3://$B/aes small
run aws s3api head-object --bucket $B --key aes
[ "$rc" != 0 ] && pass "... the plaintext it stored is removed" ||
    fail "... the plaintext it stored is removed"
errline "... in parts: 78, one line" 78 \
    'could not upload "s3://[^"]*/aes12": the store does not encrypt it with AES256' \
    bk-s3 put --part-size 5M --sse aes256 s3://$B/aes12 f12
run bk-s3 -v put --part-size 5M --sse aes256 s3://$B/aes12 f12
unlike "... before any part is sent" err 'part 1 sent'
like "... the upload aborted" err 'upload aborted$'
is "... no upload left" "$(uploads $B aes12 | wc -l)" 0
exits "--storage-class STANDARD" 0 bk-s3 put --storage-class STANDARD s3://$B/std small
run aws s3api list-objects-v2 --bucket $B --prefix std --query 'Contents[0].StorageClass' \
    --output text
is "... aws lists it STANDARD" "$(cat out)" STANDARD
errline "an unknown storage class: 70, the store's code" 70 \
    'could not upload "s3://[^"]*/cold": 400 InvalidArgument$' \
    bk-s3 put --storage-class NO_SUCH_CLASS s3://$B/cold small
errline "... in parts, at the start: 70" 70 \
    'could not start the upload of "s3://[^"]*/cold": 400 InvalidArgument$' \
    bk-s3 put --part-size 5M --storage-class NO_SUCH_CLASS s3://$B/cold f12
run aws s3api head-object --bucket $B --key cold
[ "$rc" != 0 ] && pass "... nothing stored" || fail "... nothing stored"

# --- Virtual-hosted addressing: BUCKET.localhost:PORT ---
# libcurl takes every name under .localhost for the loopback; Python's
# resolver (glibc here) does not, so aws runs with one that does and
# writes down the names it was asked.
V=http://localhost:${AWS_ENDPOINT_URL##*:}
cat >virtual-config <<'EOF'
[default]
region = us-east-1
s3 =
    addressing_style = virtual
EOF
cat >aws-virtual.py <<'EOF'
import socket, sys
LOG = sys.argv.pop(1)
_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kw):
    if isinstance(host, str) and host.endswith(".localhost"):
        with open(LOG, "a") as f:
            f.write(host + "\n")
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kw)
socket.getaddrinfo = getaddrinfo
from awscli.clidriver import main
sys.exit(main())
EOF
vaws() {
	AWS_CONFIG_FILE=$T/virtual-config /usr/bin/python3 "$T/aws-virtual.py" \
	    "$T/hosts" --endpoint-url "$V" "$@"
}
vbk() { AWS_CONFIG_FILE=$T/virtual-config bk-s3 --endpoint "$V" "$@"; }
exits "virtual-hosted put" 0 vbk -v -v put s3://$B/virtual/small small
like "... to BUCKET.localhost" err "^bk-s3: PUT http://$B\\.localhost:[0-9]+/virtual/small$"
exits "... in parts" 0 vbk -v -v put --part-size 5M s3://$B/virtual/f12 f12
unlike "... every request to BUCKET.localhost" err "^bk-s3: [A-Z]+ http://localhost"
exits "virtual-hosted get" 0 vbk get -o v12.bk s3://$B/virtual/f12
same "... byte for byte" v12.bk f12
exits "virtual-hosted ls" 0 vbk ls s3://$B/virtual/
sed 's/^[^ ]* *[0-9]* //' out >v.ls
printf '%s\n' virtual/f12 virtual/small >v.want
same "... lists both" v.ls v.want
exits "aws, virtual-hosted, downloads them" 0 vaws s3 cp --quiet s3://$B/virtual/f12 v12.aws
same "... byte for byte" v12.aws f12
like "... having asked for BUCKET.localhost" hosts "^$B\\.localhost$"
exits "aws, virtual-hosted, uploads" 0 vaws s3 cp --quiet f20 s3://$B/virtual/f20
exits "... bk-s3 gets it" 0 vbk get -o v20.bk s3://$B/virtual/f20
same "... byte for byte" v20.bk f20
done_testing
