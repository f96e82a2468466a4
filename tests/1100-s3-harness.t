#!/bin/sh
# The S3 test store (tests/s3.sh): a real radosgw, on loopback only, and
# what it does with the aws command line (Debian's) as the peer: the facts
# bk-s3's tests will lean on (issue 13).  radosgw's error replies have an
# empty <Message>, on which aws 2.9 crashes in its error hook (exit 255,
# "argument of type 'NoneType' is not iterable") instead of naming the
# code: where an error is expected, a non-zero exit is what is asserted.
. "$(dirname "$0")/lib.sh"
. "$TESTS/s3.sh"
# The store, aws in 5 MiB parts from 8 MiB (20 MiB takes four), and an
# interrupted test that still removes its $T (20 MiB here): need_s3.
need_s3

# --- The harness: where it listens, what it wrote ---
case $AWS_ENDPOINT_URL in
http://127.0.0.1:[0-9]*) pass "the endpoint is on 127.0.0.1" ;;
*) fail "the endpoint is on 127.0.0.1"; diag "$AWS_ENDPOINT_URL" ;;
esac
is "the region" "$AWS_REGION" us-east-1
# Every listening socket of the three daemons, from /proc: on 127.0.0.1.
/usr/bin/python3 - $(cut -d' ' -f1 "$BK_TEST_S3/pids") >"$T/listen" <<'EOF'
import os, sys
inodes = set()
for pid in sys.argv[1:]:
    for fd in os.listdir("/proc/%s/fd" % pid):
        try:
            l = os.readlink("/proc/%s/fd/%s" % (pid, fd))
        except OSError:
            continue
        if l.startswith("socket:["):
            inodes.add(l[8:-1])
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(f).readlines()[1:]:
        x = line.split()
        if x[3] == "0A" and x[9] in inodes:   # LISTEN
            print(x[1])
EOF
like "the daemons listen (monitor, OSD, radosgw)" "$T/listen" .
grep -Ev '^(0100007F|0000000000000000FFFF00000100007F):' "$T/listen" >"$T/wide"
empty "... on 127.0.0.1 only" "$T/wide"
[ "$(wc -l <"$T/listen")" -ge 3 ] && pass "... three sockets or more" ||
    { fail "... three sockets or more"; sed 's/^/#   /' "$T/listen"; }
# Nothing in Ceph's system folders since the cluster began.
find /var/log/ceph /var/lib/ceph /run/ceph /etc/ceph -newer "$BK_TEST_S3/ceph.conf" \
    -type f >"$T/outside" 2>/dev/null
empty "no file written outside the cluster's folder" "$T/outside"

# --- Buckets ---
exits "create-bucket" 0 aws s3api create-bucket --bucket bk-plain
exits "create-bucket with object lock" 0 \
    aws s3api create-bucket --bucket bk-locked --object-lock-enabled-for-bucket
run aws s3api get-bucket-location --bucket bk-plain --output text
is "the bucket's region is us-east-1 (zonegroup api-name)" "$(cat "$T/out")" us-east-1
run aws s3api get-object-lock-configuration --bucket bk-locked \
    --query ObjectLockConfiguration.ObjectLockEnabled --output text
is "object lock is on" "$(cat "$T/out")" Enabled
# As S3 in us-east-1 does, radosgw lets the owner create a bucket again.
exits "creating it again, its owner: accepted" 0 \
    aws s3api create-bucket --bucket bk-plain
run env AWS_SECRET_ACCESS_KEY=wrong /usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" \
    s3api list-objects-v2 --bucket bk-plain
[ "$rc" != 0 ] && pass "a wrong secret is refused" || fail "a wrong secret is refused"

# --- Up and down, byte for byte: 0, 1, and 20 MiB in four parts ---
: >"$T/f0"
printf x >"$T/f1"
gen_random 20971520 >"$T/f20m"
for f in f0 f1 f20m; do
	exits "aws s3 cp up: $f" 0 aws s3 cp --quiet "$T/$f" "s3://bk-plain/rt/$f"
	exits "aws s3 cp down: $f" 0 aws s3 cp --quiet "s3://bk-plain/rt/$f" "$T/back-$f"
	same "... identical: $f" "$T/back-$f" "$T/$f"
done
run aws s3api head-object --bucket bk-plain --key rt/f20m \
    --query '[ContentLength, ETag]' --output text
like "20 MiB went up in four parts (ETag md5-of-md5s-4)" "$T/out" '^20971520[[:space:]]+"[0-9a-f]{32}-4"$'
run aws s3api head-object --bucket bk-plain --key rt/f1 --query ETag --output text
is "one byte: a plain ETag, the MD5" "$(cat "$T/out")" "\"$(md5sum <"$T/f1" | cut -d' ' -f1)\""

# --- Listing across pages ---
mkdir "$T/seven"
for i in 1 2 3 4 5 6 7; do echo "$i" >"$T/seven/k$i"; done
exits "seven objects up" 0 aws s3 cp --quiet --recursive "$T/seven" s3://bk-plain/pages/
run aws s3api list-objects-v2 --bucket bk-plain --prefix pages/ --max-keys 3 \
    --no-paginate --query '[IsTruncated, KeyCount, NextContinuationToken != null]' \
    --output text
like "max-keys 3: a first page of three, truncated, with a token" "$T/out" \
    '^True[[:space:]]+3[[:space:]]+True$'
# Page by page with the continuation token: three pages, every key once.
: >"$T/keys"
pages=0 tok=
while [ $pages -lt 10 ]; do
	aws s3api list-objects-v2 --bucket bk-plain --prefix pages/ --max-keys 3 \
	    --no-paginate ${tok:+--continuation-token "$tok"} --output json \
	    >"$T/page" || break
	pages=$((pages + 1))
	jq -r '.Contents[].Key' "$T/page" >>"$T/keys"
	[ "$(jq -r .IsTruncated "$T/page")" = true ] || break
	tok=$(jq -r .NextContinuationToken "$T/page")
done
is "three pages" "$pages" 3
printf 'pages/k%s\n' 1 2 3 4 5 6 7 >"$T/want"
same "... every key once, in order" "$T/keys" "$T/want"
run aws s3 ls --page-size 2 s3://bk-plain/pages/
is "aws s3 ls, two keys a page, lists all seven" "$(wc -l <"$T/out")" 7

# --- If-None-Match: * on PUT (aws 2.9 has no option for it: its own
# botocore, with the header added before signing) ---
cat >"$T/inm.py" <<'EOF'
import os, sys
from awscli.botocore.session import Session
s3 = Session().create_client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def inm(request, **kw):
    request.headers["If-None-Match"] = "*"
s3.meta.events.register("before-sign.s3.PutObject", inm)
try:
    s3.put_object(Bucket="bk-plain", Key=sys.argv[1], Body=sys.argv[2].encode())
    print(200)
except Exception as e:         # its ClientError, whatever its module's name
    r = getattr(e, "response", None)
    if r is None:
        raise
    print(r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Code"))
EOF
run /usr/bin/python3 "$T/inm.py" inm/k first
is "If-None-Match: * on a new key: written" "$(cat "$T/out")" 200
run /usr/bin/python3 "$T/inm.py" inm/k second
is "... on an existing key: 412 PreconditionFailed" "$(cat "$T/out")" "412 PreconditionFailed"
run aws s3 cp s3://bk-plain/inm/k -
is "... and the first copy stays" "$(cat "$T/out")" first

# --- Object lock: a COMPLIANCE retention refuses the delete ---
# A version id may begin with "-": aws would take it for an option (and a
# refused delete would pass for the wrong reason), hence --version-id=ID.
until=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
run aws s3api put-object --bucket bk-locked --key locked --body "$T/f1" \
    --object-lock-mode COMPLIANCE --object-lock-retain-until-date "$until" \
    --content-md5 "$(openssl md5 -binary "$T/f1" | base64)" \
    --query VersionId --output text
vid=$(cat "$T/out")
[ "$rc" = 0 ] && [ -n "$vid" ] && [ "$vid" != None ] &&
    pass "a locked object, with a version" ||
    { fail "a locked object, with a version"; sed 's/^/#   /' "$T/err" | head -3; }
run aws s3api get-object-retention --bucket bk-locked --key locked \
    --version-id="$vid" --query Retention.Mode --output text
is "... its retention is COMPLIANCE" "$(cat "$T/out")" COMPLIANCE
run aws s3api delete-object --bucket bk-locked --key locked --version-id="$vid"
[ "$rc" != 0 ] && pass "deleting the locked version is refused" ||
    fail "deleting the locked version is refused"
run aws s3api delete-object --bucket bk-locked --key locked --version-id="$vid" \
    --bypass-governance-retention
[ "$rc" != 0 ] && pass "... even bypassing governance (it is compliance)" ||
    fail "... even bypassing governance (it is compliance)"
exits "... and it is still there" 0 \
    aws s3api head-object --bucket bk-locked --key locked --version-id="$vid"

# --- A SIGKILLed multipart upload leaves an incomplete upload ---
# aws reads a stream from a FIFO that the test keeps open: 12 MiB go in,
# then nothing, so the upload is certainly under way (and not over) when
# aws is killed, once its parts are listed.
mkfifo "$T/fifo"
/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" s3 cp - s3://bk-plain/killed/k \
    <"$T/fifo" >"$T/kill.out" 2>&1 &
up=$!
exec 8>"$T/fifo"
gen_random 12582912 >&8
uploads() {
	aws s3api list-multipart-uploads --bucket bk-plain --prefix killed/ \
	    --query 'Uploads[].UploadId' --output text >"$T/uploads" 2>/dev/null
	id=$(cat "$T/uploads")
	[ -n "$id" ] && [ "$id" != None ]
}
parts=0 i=0
while [ $i -lt 300 ]; do	# a bound, never reached on a sane machine
	if uploads; then
		parts=$(aws s3api list-parts --bucket bk-plain --key killed/k \
		    --upload-id="$id" --query 'length(Parts)' --output text 2>/dev/null)
		[ "${parts:-0}" != None ] && [ "${parts:-0}" -ge 2 ] && break
	fi
	sleep 0.2; i=$((i + 1))
done
kill -KILL $up
wait $up 2>/dev/null
exec 8>&-
[ "${parts:-0}" != None ] && [ "${parts:-0}" -ge 2 ] &&
    pass "an upload under way, two parts of 5 MiB sent" ||
    { fail "an upload under way, two parts of 5 MiB sent"; diag "parts: $parts";
      sed 's/^/#   /' "$T/kill.out" | head -3; }
run aws s3api head-object --bucket bk-plain --key killed/k
[ "$rc" != 0 ] && pass "SIGKILLed: no object" || fail "SIGKILLed: no object"
uploads
is "... but the incomplete upload is listed" "$(wc -w <"$T/uploads")" 1
exits "... and aborted" 0 aws s3api abort-multipart-upload --bucket bk-plain \
    --key killed/k --upload-id="$id"
uploads && fail "... then no longer listed" || pass "... then no longer listed"

while read -r p name; do
	echo "$name $(awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$p/status") MiB"
done <"$BK_TEST_S3/pids" >"$T/rss"
diag "the cluster's resident memory now:" $(cat "$T/rss")
done_testing
