#!/bin/sh
# bk-s3 through tests/s3proxy.py, a proxy in front of the test radosgw that
# breaks requests on purpose: connections dropped, answers lost, 503
# SlowDown, 500 InternalError, a 200 <Error>, bodies damaged either way,
# downloads cut or stalled, a client too slow to finish.  What is retried
# ends whole (aws, straight from radosgw, downloads the same bytes) and
# the proxy's log shows the retries; what is permanent fails at once (one
# request); a damaged download is refused; a signal ends a retry loop and
# leaves nothing behind; TLS through AWS_CA_BUNDLE.
. "$(dirname "$0")/lib.sh"
. "$TESTS/s3.sh"
need_s3
need openssl
_proxies=
trap 'kill $_proxies 2>/dev/null; cd /; rm -rf "$T"' EXIT
# The machine's own bundle must not be taken for ours.
unset AWS_CA_BUNDLE
B=bk-s3-faults-$(od -An -N4 -tx1 /dev/urandom | tr -d " \n")
exits "a bucket for the test" 0 aws s3api create-bucket --bucket $B
MiB=1048576
gen_random 100000 >small
gen_random $((12 * MiB)) >big

# proxy DIR [--tls CERT KEY]: starts a proxy in front of radosgw, its
# files in DIR; returns once it listens.
proxy() {
	mkdir "$1"
	/usr/bin/python3 "$TESTS/s3proxy.py" "$@" 2>"$1/stderr" &
	_proxies="$_proxies $!"
	wait_until test -s "$1/port"
}
# rules RULE...: the proxy's rules from now on, one an argument, and an
# empty log, the old one kept in px/all (tests/s3proxy.py says what
# rules mean).
rules() {
	printf '%s\n' "$@" >px/rules.tmp && mv px/rules.tmp px/rules
	cat px/log >>px/all 2>/dev/null
	: >px/log
}
# count REGEX: the proxy's log lines that match.
count() { grep -Ec -- "$1" px/log; }
# at_least N REGEX: at least N lines of the log match.
at_least() { [ "$(count "$2")" -ge "$1" ]; }
# gone PID: the process has ended (a zombie until waited for).
gone() {
	_st=$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)
	[ -z "$_st" ] || [ "$_st" = Z ]
}
# no_uploads NAME: no multipart upload left in the bucket.
no_uploads() {
	aws s3api list-multipart-uploads --bucket $B \
	    --query 'Uploads[].UploadId' --output text >uploads 2>&1
	if [ ! -s uploads ] || [ "$(cat uploads)" = None ]; then pass "$1"
	else fail "$1"; sed 's/^/#   /' uploads | head -3; fi
}
# no_object NAME KEY: radosgw has no such key.
no_object() { errline "$1" 66 '404 not found' bk-s3 head "s3://$B/$2"; }

ok "the proxy starts" proxy px
P=http://127.0.0.1:$(cat px/port)
s3() { bk-s3 --endpoint "$P" "$@"; }

# --- Uploads: every fault retried, the object whole ---
rules 'drop method=PUT nth=1'
exits "a single PUT whose connection drops" 0 s3 put s3://$B/up/single small
empty "... quiet at the default verbosity (cron)" err
is "... the PUT was sent twice" "$(count "^PUT /$B/up/single ")" 2
like "... the first dropped" px/log "^PUT /$B/up/single - drop$"

rules 'lose method=PUT nth=1'
exits "a single PUT whose answer is lost" 0 s3 put -v s3://$B/up/lost small
like "... stored by the first attempt" px/log "^PUT /$B/up/lost - lose:200$"
like "... the retry finds the key taken (412)" px/log "^PUT /$B/up/lost 412 "
like "... and its ETag the body's MD5: done (-v)" err \
    'stored by an attempt whose answer was lost'

rules 'corrupt method=PUT nth=1'
exits "a single PUT whose body is damaged on the way" 0 s3 put s3://$B/up/bad1 small
is "... refused by radosgw, then sent right" \
    "$(count "^PUT /$B/up/bad1 400 corrupt$") $(count "^PUT /$B/up/bad1 200 -$")" "1 1"

rules 'drop every=2'
exits "a multipart upload, every other request dropped" 0 \
    s3 put -v --part-size 5M s3://$B/up/drops big
is "... prints the stream's sha256" "$(cut -d' ' -f1 out)" \
    "$(sha256sum <big | cut -d' ' -f1)"
n=$(count ' - drop$')
ok "... the proxy dropped requests ($n)" test "$n" -ge 4
like "... -v says so, one line a retry" err \
    '"s3://[^"]*": PUT: .*; retry 1 of 10 in [0-9.]+ s$'

rules 'error method=POST match=uploadId= nth=1 status=200 code=InternalError' \
    'error every=2 status=503 code=SlowDown'
exits "a multipart upload through 503 SlowDown and a 200 <Error>" 0 \
    s3 put --part-size 5M s3://$B/up/slow big
n=$(count ' 503 error$')
ok "... answered 503 SlowDown ($n)" test "$n" -ge 4
is "... and the completion a 200 <Error> InternalError, then done" \
    "$(grep "^POST /$B/up/slow?uploadId=" px/log | cut -d' ' -f3 | tr '\n' ' ')" \
    "200 200 "

rules 'corrupt method=PUT match=partNumber nth=2' \
    'error every=3 status=500 code=InternalError'
exits "a multipart upload through 500 InternalError and damaged parts" 0 \
    s3 put --part-size 5M s3://$B/up/bad3 big
n=$(count '^PUT [^ ]*partNumber=[^ ]* 400 corrupt$')
ok "... radosgw refused the damaged parts ($n)" test "$n" -ge 1
ok "... the proxy answered 500" test "$(count ' 500 error$')" -ge 2

# A Complete that worked but whose answer was lost: sent again, AWS S3
# answers NoSuchUpload (radosgw would say 200 again; the proxy says what
# S3 does).
rules 'lose method=POST match=uploadId= nth=1' \
    'error method=POST match=uploadId= nth=2 status=404 code=NoSuchUpload' \
    'lose method=PUT match=partNumber=2 nth=1'
exits "a multipart upload whose Complete answer is lost" 0 \
    s3 put -v --part-size 5M s3://$B/up/complete big
like "... the completion was lost" px/log "^POST /$B/up/complete\?uploadId=[^ ]+ - lose:200$"
like "... then NoSuchUpload" px/log "^POST /$B/up/complete\?uploadId=[^ ]+ 404 error$"
like "... so the object is checked (-v)" err 'no upload to complete: checking'

rules 'stall method=PUT match=partNumber=2 nth=1'
exits "a part whose answer stalls (--timeout 2)" 0 \
    s3 put -v --timeout 2 --part-size 5M s3://$B/up/stalled big
like "... the stall" px/log "^PUT /$B/up/stalled\?partNumber=2&[^ ]* - stall$"
like "... timed out and retried (-v)" err 'PUT: Operation too slow.*; retry 1 of'

# What aws, straight from radosgw, downloads of each: the bytes sent.
mkdir fetched
run aws s3 cp --recursive s3://$B/up/ fetched/
for f in single:small lost:small bad1:small drops:big slow:big bad3:big \
    complete:big stalled:big; do
	same "aws downloads up/${f%:*} whole" fetched/${f%:*} ${f#*:}
done

# --- Downloads: resumed where they broke, refused when damaged ---
rules 'drop nth=1' 'error nth=2 status=503 code=SlowDown'
exits "get through a drop and a 503" 0 s3 get -o got1 s3://$B/up/drops
same "... byte for byte" got1 big
is "... three GETs" "$(cut -d' ' -f1,3,4 px/log | tr '\n' ' ')" \
    "GET - drop GET 503 error GET 200 - "

rules 'cut method=GET nth=1'
exits "get of a download cut halfway" 0 s3 get -v -o got2 s3://$B/up/drops
same "... byte for byte" got2 big
like "... cut" px/log "^GET /$B/up/drops - cut$"
like "... resumed: the rest only (206)" px/log "^GET /$B/up/drops 206 -$"
like "... from where it broke (-v)" err 'retry 1 of 10 in [0-9.]+ s, from where it broke$'

rules 'stall method=GET nth=1'
run sh -c 'bk-s3 --endpoint "$0" get --timeout 2 s3://$1/up/stalled >got3' "$P" $B
is "get to stdout of a download that stalls (--timeout 2)" "$rc" 0
same "... byte for byte, resumed" got3 big
like "... stalled" px/log "^GET /$B/up/stalled - stall$"
like "... then the rest only (206)" px/log "^GET /$B/up/stalled 206 -$"

rules 'cut method=GET nth=1' 'hold method=GET nth=2'
bk-s3 --endpoint "$P" get -o got4 s3://$B/up/slow >out 2>err &
getter=$!
wait_until grep -q '^# holding GET' px/log
bk-s3 put -f s3://$B/up/slow small >/dev/null
: >px/release
wait $getter
is "an object replaced while its download resumes: 65" "$?" 65
like "... said in one line" err '^bk-s3: error: could not download "s3://[^"]*/slow": it changed after [0-9]+ bytes had come'
like "... radosgw refused the resume (If-Match)" px/log "^GET /$B/up/slow 412 hold$"
[ ! -e got4 ] && pass "... nothing at -o" || fail "... nothing at -o"
rm -f px/release

rules 'corrupt method=GET'
errline "get of bytes altered on the way: 65" 65 'sha256 mismatch' \
    s3 get -o got5 s3://$B/up/drops
[ ! -e got5 ] && pass "... nothing at -o" || fail "... nothing at -o"
ls -a >listing
unlike "... nor a temporary file" listing '\.bk-'
is "... and no retry: one GET" "$(count '^GET ')" 1

exits "aws stores an object without sha256 metadata" 0 \
    aws s3api put-object --bucket $B --key plain --body small
rules
exits "get of it" 0 s3 get -v -o got6 s3://$B/plain
same "... byte for byte" got6 small
like "... checked by the MD5 of its ETag (-v)" err \
    'no sha256 metadata: checked the size and the MD5 of the ETag'
rules 'corrupt method=GET'
errline "... which refuses altered bytes: 65" 65 'MD5 mismatch with the object.s ETag' \
    s3 get -o got7 s3://$B/plain
[ ! -e got7 ] && pass "... nothing at -o" || fail "... nothing at -o"

# --- ls across pages through faults ---
for i in 1 2 3 4 5; do
	printf '%s' $i | bk-s3 put -q s3://$B/list/k$i >/dev/null
done
rules 'error every=2 status=503 code=SlowDown' 'drop every=3'
exits "ls two keys a page through 503 and drops" 0 \
    s3 ls --page-size 2 s3://$B/list/
sed 's/^[^ ]* *[0-9]* //' out >keys
printf 'list/k%s\n' 1 2 3 4 5 >want
same "... every key once" keys want
ok "... through faults" test "$(count ' (503 error|- drop)$')" -ge 2

# --- What is permanent fails at once ---
rules
errline "a wrong secret: 77 at once" 77 \
    'could not upload "s3://[^"]*": 403 SignatureDoesNotMatch$' \
    env AWS_SECRET_ACCESS_KEY=wrong bk-s3 --endpoint "$P" put s3://$B/denied small
is "... after exactly one request" "$(grep -vc '^#' px/log)" 1
rules
errline "a missing key: 66 at once" 66 '404 NoSuchKey$' \
    s3 get -o nope s3://$B/no/such/key
is "... after exactly one request" "$(grep -vc '^#' px/log)" 1

# A port nothing listens on: refused at once, each time.
errline "an unreachable endpoint: 69 after --retries 2" 69 \
    'could not list "s3://[^"]*": .*(onnect|refused).* \(3 attempts\)$' \
    bk-s3 --endpoint http://127.0.0.1:1 --retries 2 ls s3://$B/
errline "... and with --retry-time 3 however many retries" 69 \
    '\([0-9]+ attempts\)$' \
    bk-s3 --endpoint http://127.0.0.1:1 --retries 1000 --retry-time 3 ls s3://$B/
n=$(sed -n 's/.*(\([0-9]*\) attempts)$/\1/p' err)
ok "... the time ends them: $n attempts" test "${n:-0}" -ge 2 -a "${n:-0}" -lt 1001
errline "... AWS_MAX_ATTEMPTS=2 without --retries: 2 attempts" 69 \
    '\(2 attempts\)$' env AWS_MAX_ATTEMPTS=2 \
    bk-s3 --endpoint http://127.0.0.1:1 ls s3://$B/
errline "... --retries before AWS_MAX_ATTEMPTS" 69 '\(2 attempts\)$' \
    env AWS_MAX_ATTEMPTS=5 bk-s3 --endpoint http://127.0.0.1:1 --retries 1 \
    ls s3://$B/

# --- Signals: an upload under way, a retry loop waiting ---
rules 'slow method=PUT match=partNumber rate=1000000'
bk-s3 --endpoint "$P" put --part-size 5M s3://$B/killed big >kill.out 2>kill.err &
up=$!
wait_until grep -q "^# slow PUT /$B/killed?partNumber=1&" px/log
kill -TERM $up
wait $up 2>/dev/null
is "SIGTERM while a part crawls through a slow proxy: 143" "$?" 143
empty "... no digest printed" kill.out
no_object "... no object" killed
like "... the upload aborted by its id" px/log "^DELETE /$B/killed\?uploadId=[^ &]+ 204 -$"

rules 'error method=PUT match=partNumber status=503 code=SlowDown'
bk-s3 --endpoint "$P" put --retries 1000 --retry-time 1h --part-size 5M \
    s3://$B/waiting big >kill.out 2>kill.err &
up=$!
wait_until at_least 2 '^PUT [^ ]*partNumber=1&[^ ]* 503'
kill -TERM $up
wait_until gone $up || kill -KILL $up
wait $up 2>/dev/null
is "SIGTERM during the backoff of --retries 1000 --retry-time 1h: 143" "$?" 143
no_object "... no object" waiting
like "... the upload aborted by its id" px/log \
    "^DELETE /$B/waiting\?uploadId=[^ &]+ 204 -$"
no_uploads "no multipart upload is left in the bucket, after every fault"
rules
unlike "no request of this file named an empty upload id" px/all \
    'uploadId=( |&|$)'

# --- TLS: the certificate of AWS_CA_BUNDLE, and no other ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 >openssl.out 2>&1
ok "a self-signed certificate for 127.0.0.1" test -s cert.pem
ok "a TLS proxy" proxy tls --tls cert.pem key.pem
S=https://127.0.0.1:$(cat tls/port)
exits "put through https with AWS_CA_BUNDLE" 0 \
    env AWS_CA_BUNDLE=cert.pem bk-s3 --endpoint "$S" put s3://$B/tls small
exits "... get" 0 env AWS_CA_BUNDLE=cert.pem bk-s3 --endpoint "$S" get -o got8 s3://$B/tls
same "... byte for byte" got8 small
: >tls/log
errline "without it: 78 at once, the certificate named" 78 \
    'could not list "s3://[^"]*/": SSL certificate problem: .*self-signed.*\(AWS_CA_BUNDLE names the certificates to trust\)$' \
    bk-s3 --endpoint "$S" ls s3://$B/
wait_until grep -q '^# tls handshake failed' tls/log
is "... after one handshake, no request" "$(cat tls/log | wc -l)" 1
errline "a CA bundle that cannot be read: 78" 78 \
    'could not read the CA bundle "missing.pem" \(AWS_CA_BUNDLE\)' \
    env AWS_CA_BUNDLE=missing.pem bk-s3 --endpoint "$S" ls s3://$B/
done_testing
