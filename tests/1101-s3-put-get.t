#!/bin/sh
# bk-s3 against a real radosgw (tests/s3.sh), cross-checked with Debian's
# aws command line: what one uploads, the other downloads byte for byte;
# sizes around the part boundary, a pipe, awkward keys, listing across
# pages, no overwrite without -f, a wrong secret, a get refused on a bad
# digest, an upload interrupted by SIGTERM (aborted, nothing left).
. "$(dirname "$0")/lib.sh"
. "$TESTS/s3.sh"
need_s3
need jq
# need_s3 made aws upload in 5 MiB parts from 8 MiB, as bk-s3 --part-size 5M.
# A bucket of its own, new on every run.
B=bk-s3-put-get-$(od -An -N4 -tx1 /dev/urandom | tr -d " \n")
exits "a bucket for the test" 0 aws s3api create-bucket --bucket $B
MiB=1048576

# meta KEY: the sha256 metadata aws sees on an object.
meta() {
	aws s3api head-object --bucket $B --key "$1" \
	    --query Metadata.sha256 --output text 2>/dev/null
}
# no_uploads NAME: no multipart upload left in the bucket.
no_uploads() {
	aws s3api list-multipart-uploads --bucket $B \
	    --query 'Uploads[].UploadId' --output text >"$T/uploads" 2>&1
	if [ ! -s "$T/uploads" ] || [ "$(cat "$T/uploads")" = None ]; then
		pass "$1"
	else fail "$1"; sed 's/^/#   /' "$T/uploads" | head -3; fi
}

# --- bk-s3 uploads, aws downloads; aws uploads, bk-s3 downloads ---
for size in 0 1 $((5 * MiB)) $((5 * MiB + 1)) $((12 * MiB)); do
	gen_random $size >"f$size"
	want=$(sha256sum <"f$size" | cut -d' ' -f1)
	exits "put $size bytes" 0 bk-s3 put --part-size 5M s3://$B/up/$size "f$size"
	is "... prints the stream's sha256 and the URL" "$(cat out)" \
	    "$want  s3://$B/up/$size"
	run aws s3 cp s3://$B/up/$size "a$size"
	same "... aws downloads it byte for byte" "a$size" "f$size"
	is "... its metadata is the sha256" "$(meta up/$size)" "$want"
	exits "... bk-s3 gets it back" 0 bk-s3 get -o "g$size" s3://$B/up/$size
	same "... byte for byte" "g$size" "f$size"
	exits "aws puts $size bytes" 0 aws s3 cp "f$size" s3://$B/aws/$size
	exits "... bk-s3 gets it" 0 bk-s3 get -o "h$size" s3://$B/aws/$size
	same "... byte for byte" "h$size" "f$size"
done
run aws s3api head-object --bucket $B --key up/$((5 * MiB)) --query ETag --output text
unlike "exactly one part goes in a single PUT (no -N ETag)" out '-'
run aws s3api head-object --bucket $B --key up/$((5 * MiB + 1)) --query ETag --output text
like "one part and a byte: two parts" out '-2"?$'
run aws s3api head-object --bucket $B --key up/$((12 * MiB)) --query ETag --output text
like "12 MiB in parts of 5: three parts" out '-3"?$'

# A stream from a pipe, of a length nobody knew, and to stdout.
gen_random $((11 * MiB)) >pipe.in
exits "put from a pipe" 0 sh -c 'cat pipe.in | bk-s3 put --part-size 5M s3://$0/pipe' $B
run aws s3 cp s3://$B/pipe pipe.aws
same "... aws downloads it" pipe.aws pipe.in
run sh -c 'bk-s3 get s3://$0/pipe | cat >pipe.out' $B
same "get to a pipe" pipe.out pipe.in
exits "put with the default part size (one request)" 0 bk-s3 put s3://$B/default pipe.in
run aws s3 cp s3://$B/default default.aws
same "... aws downloads it" default.aws pipe.in

# --- Keys S3 wants encoded, and dots libcurl would have folded ---
printf 'one\n' >small
while IFS= read -r key; do
	exits "put key '$key'" 0 bk-s3 put "s3://$B/$key" small
	run aws s3api get-object --bucket $B --key "$key" got
	same "... aws finds it under that key" got small
	exits "... aws puts it again" 0 aws s3api put-object --bucket $B \
	    --key "$key" --body small
	exits "... bk-s3 gets it" 0 bk-s3 get -o got2 "s3://$B/$key"
	same "... byte for byte" got2 small
	rm -f got got2
done <<'EOF'
keys/a b/c  d
keys/plus+eq=amp&q?hash#pct%
keys/acentuação/ü/€/日本
keys/x/../k
keys/./dot/../..
keys/~tilde_-.
EOF
bk-s3 ls s3://$B/keys/ | sed 's/^[^ ]* *[0-9]* //' >keys.ls
cat >keys.want <<'EOF'
keys/./dot/../..
keys/a b/c  d
keys/acentuação/ü/€/日本
keys/plus+eq=amp&q?hash#pct%
keys/x/../k
keys/~tilde_-.
EOF
same "ls shows every key as it is, in order" keys.ls keys.want

# --- Listing across pages ---
for i in 1 2 3 4 5 6 7; do
	printf '%s' "$i" | bk-s3 put -q s3://$B/pages/k$i >/dev/null
done
exits "ls two keys a page" 0 bk-s3 ls --page-size 2 s3://$B/pages/
is "... lists all seven" "$(wc -l <out)" 7
exits "ls --json, three a page" 0 bk-s3 ls --json --page-size 3 s3://$B/pages/
jq -r '.key' out >keys
printf 'pages/k%s\n' 1 2 3 4 5 6 7 >want
same "... every key once, in order, as JSON Lines" keys want
is "... with sizes" "$(jq -s 'map(.size) | add' out)" 7
# A key with a byte XML cannot carry: listed because bk-s3 asks for
# encoding-type=url and decodes; paging on such keys too.
ctl=$(printf 'ctl/a\001b')
exits "put a key holding a control character" 0 bk-s3 put -q "s3://$B/$ctl" small
exits "... and one with a plus and a space" 0 bk-s3 put -q "s3://$B/ctl/p+ q" small
exits "ls lists them" 0 bk-s3 ls --json --page-size 1 s3://$B/ctl/
is "... decoded, a page at a time" "$(jq -c .key out | tr '\n' ' ')" \
    '"ctl/a\u0001b" "ctl/p+ q" '
exits "ls as text too" 0 bk-s3 ls s3://$B/ctl/
is "... the key's bytes as they are (only a newline or a backslash is escaped)" \
    "$(grep -c " $ctl\$" out)" 1
exits "ls of an empty prefix" 0 bk-s3 ls s3://$B/nothing/
empty "... lists nothing" out

# --- Never overwrite without -f ---
printf 'first\n' >first
printf 'second\n' >second
exits "put a key" 0 bk-s3 put s3://$B/keep first
errline "put it again: 73" 73 'exists \(-f replaces it\)' \
    bk-s3 put s3://$B/keep second
errline "... in parts too: 73" 73 'exists \(-f replaces it\)' \
    bk-s3 put --part-size 5M s3://$B/keep f$((12 * MiB))
run aws s3 cp s3://$B/keep -
is "... the first copy stays" "$(cat out)" first
exits "-f replaces it" 0 bk-s3 put -f s3://$B/keep second
run aws s3 cp s3://$B/keep -
is "... with the second" "$(cat out)" second
exits "-f replaces it in parts" 0 bk-s3 put -f --part-size 5M s3://$B/keep f$((12 * MiB))
run aws s3 cp s3://$B/keep keep.out
same "... with the long one" keep.out f$((12 * MiB))
no_uploads "no incomplete upload is left"

# --- Wrong credentials: 77 at once ---
errline "a wrong secret: 77, the server's code" 77 \
    'could not upload "s3://[^"]*": 403 SignatureDoesNotMatch' \
    env AWS_SECRET_ACCESS_KEY=wrong bk-s3 put s3://$B/denied small
errline "an unknown key id: 77" 77 '403 InvalidAccessKeyId' \
    env AWS_ACCESS_KEY_ID=AKIDNOSUCHKEY bk-s3 get s3://$B/keep
errline "a wrong secret on a long upload: 77" 77 '403 access denied' \
    env AWS_SECRET_ACCESS_KEY=wrong bk-s3 put --part-size 5M s3://$B/denied \
    f$((12 * MiB))
run aws s3api head-object --bucket $B --key denied
[ "$rc" != 0 ] && pass "... nothing was stored" || fail "... nothing was stored"

# --- get refuses what does not check out ---
exits "aws stores an object whose sha256 metadata is wrong" 0 \
    aws s3api put-object --bucket $B --key liar --body small \
    --metadata sha256=$(printf '%064d' 0)
errline "get -o refuses it: 65" 65 'sha256 mismatch' \
    bk-s3 get -o liar.out s3://$B/liar
[ ! -e liar.out ] && pass "... and leaves nothing at -o" ||
    fail "... and leaves nothing at -o"
ls -a >listing
unlike "... nor a temporary file" listing '\.bk-'
exits "... to stdout too: 65" 65 bk-s3 get s3://$B/liar
errline "get of a missing key: 66" 66 '404 NoSuchKey' \
    bk-s3 get -o missing.out s3://$B/no/such/key
[ ! -e missing.out ] && pass "... nothing at -o" || fail "... nothing at -o"
errline "a missing bucket: 66" 66 '404 NoSuchBucket' bk-s3 ls s3://no-such-bucket/

# --- head, rm, /dev/full ---
exits "head" 0 bk-s3 head s3://$B/up/1
like "... the size" out '^size: 1$'
like "... the sha256" out "^sha256: $(sha256sum <f1 | cut -d' ' -f1)$"
like "... the ETag" out '^etag: "[0-9a-f]{32}"$'
exits "head >/dev/full: 74" 74 sh -c 'bk-s3 head s3://$0/up/1 >/dev/full' $B
exits "rm" 0 bk-s3 rm s3://$B/up/1
errline "... then head: 66" 66 'could not look up' bk-s3 head s3://$B/up/1
exits "rm of a missing key succeeds, as in S3" 0 bk-s3 rm s3://$B/up/1

# --- SIGTERM mid-upload: aborted, no object, no parts left ---
mkfifo fifo
bk-s3 put --part-size 5M s3://$B/killed <fifo >kill.out 2>kill.err &
up=$!
exec 8>fifo
gen_random $((12 * MiB)) >&8
# Two parts sent (the third waits for more input) means the upload is
# under way; then the signal.
parts=0 i=0
while [ $i -lt 300 ]; do	# a bound, never reached on a sane machine
	id=$(aws s3api list-multipart-uploads --bucket $B --prefix killed \
	    --query 'Uploads[0].UploadId' --output text 2>/dev/null)
	if [ -n "$id" ] && [ "$id" != None ]; then
		parts=$(aws s3api list-parts --bucket $B --key killed \
		    --upload-id="$id" --query 'length(Parts)' --output text \
		    2>/dev/null)
		[ "${parts:-0}" != None ] && [ "${parts:-0}" -ge 2 ] && break
	fi
	sleep 0.2; i=$((i + 1))
done
kill -TERM $up
wait $up 2>/dev/null
rc=$?
exec 8>&-
[ "${parts:-0}" != None ] && [ "${parts:-0}" -ge 2 ] &&
    pass "an upload under way, two parts sent" ||
    fail "an upload under way, two parts sent"
is "SIGTERM ends bk-s3 as SIGTERM does" "$rc" 143
empty "... with no digest printed" kill.out
run aws s3api head-object --bucket $B --key killed
[ "$rc" != 0 ] && pass "... no object" || fail "... no object"
no_uploads "... and the upload aborted: no parts left"
done_testing
