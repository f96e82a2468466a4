#!/bin/sh
# bk-s3's command line, with no store needed: a table of bad inputs, each
# with its exit code and one-line message, and secrets kept out of
# messages.  The store itself is 1101's.
. "$(dirname "$0")/lib.sh"

# A world of our own: no credentials file of the user's, no endpoint.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
    AWS_REGION AWS_DEFAULT_REGION
AWS_SHARED_CREDENTIALS_FILE=$T/none AWS_CONFIG_FILE=$T/none
AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=SEKRETsekret0123456789
export AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE AWS_ACCESS_KEY_ID \
    AWS_SECRET_ACCESS_KEY
# Port 1 on loopback: nothing listens there, the refusal is immediate;
# R, no retry of it (1103 tests the retries).
E=http://127.0.0.1:1
R=--retries=0
# And for the rows that do not say it: one attempt, as aws takes it.
AWS_MAX_ATTEMPTS=1
export AWS_MAX_ATTEMPTS

run bk-s3 --version
like "--version" out '^bk-s3 \(bk\) '
run bk-s3 --help
like "--help names every command" out 'bk-s3 put .*bk-s3 get|bk-s3 rm'

# Usage errors: 64, nothing on stdout, the reason first.
long=$(printf '%01100d' 0)
while IFS='|' read -r name re args; do
	eval "set -- $args"
	usage "$name" "$re" bk-s3 "$@"
done <<EOF
no command|no command|
an unknown command|unknown command "cp"|cp s3://b/k
put without a URL|put needs an S3 URL|put
not an s3:// URL|not an S3 URL|get http://b/k
no bucket|bad bucket name|get s3:///k
a bucket with a space|bad bucket name|get 's3://a b/k'
no key for put|no key in|put s3://b
no key for get (a slash only)|no key in|get s3://b/
a key of 1100 bytes|key longer than 1024 bytes|get s3://b/$long
a key that is not UTF-8|not UTF-8|get "s3://b/\$(printf '\\377')"
a part size below 5M|bad part size "1M"|put --part-size 1M s3://b/k
a part size that is no size|bad part size "lots"|put --part-size lots s3://b/k
a page size of 0|bad page size "0"|ls --page-size 0 s3://b/
a page size of 1001|bad page size "1001"|ls --page-size 1001 s3://b/
-o with put|-o is for get|put -o f s3://b/k
--json with get|--json is for ls|get --json s3://b/k
--part-size with get|--part-size is for put|get --part-size 8M s3://b/k
-f with ls|-f is for put and get|ls -f s3://b/
two files for put|too many arguments for put|put s3://b/k f g
a file for get|too many arguments for get|get s3://b/k f
an ftp endpoint|bad endpoint "ftp://h"|ls --endpoint ftp://h s3://b/
an endpoint with a path|bad endpoint|ls --endpoint http://h/x s3://b/
an endpoint with a user|bad endpoint|ls --endpoint http://u@h s3://b/
an expected size that is no size|bad expected size "lots"|put --expected-size lots s3://b/k
0 parts|bad number of parts "0" \(1 to 10000\)|put --max-parts 0 s3://b/k
10001 parts|bad number of parts "10001"|put --max-parts 10001 s3://b/k
an expected size beyond 5G parts|--expected-size 100T needs parts over 5G in 10 parts|put --max-parts 10 --expected-size 100T s3://b/k
a part size too small for the expected size|--part-size 5M in 10000 parts holds less than --expected-size 1T|put --part-size 5M --expected-size 1T s3://b/k
a lock of 0s|bad lock duration "0s" \(1s to 100y\)|put --lock-for 0s s3://b/k
a lock of 101 years|bad lock duration "101y"|put --lock-for 101y s3://b/k
a lock duration that is none|bad lock duration "soon"|put --lock-for soon s3://b/k
a lock date in the past|lock date "2001-01-01T00:00:00Z" is not in the future|put --lock-until 2001-01-01T00:00:00Z s3://b/k
a lock date that is none|bad lock date "tomorrow"|put --lock-until tomorrow s3://b/k
a lock for and until|--lock-for and --lock-until exclude each other|put --lock-for 1d --lock-until 2099-01-01 s3://b/k
a lock mode that is none|bad lock mode "legal" \(compliance or governance\)|put --lock-for 1d --lock-mode legal s3://b/k
a lock mode without a lock|--lock-mode needs --lock-for or --lock-until|put --lock-mode governance s3://b/k
an encryption that is none|bad encryption "aes128" \(aes256 or aws:kms\)|put --sse aes128 s3://b/k
a KMS key without --sse|--sse-kms-key-id needs --sse aws:kms|put --sse-kms-key-id k s3://b/k
a KMS key with aes256|--sse-kms-key-id needs --sse aws:kms|put --sse aes256 --sse-kms-key-id k s3://b/k
a KMS key id with a space|bad KMS key id \\(1 to 2048 letters|put --sse aws:kms --sse-kms-key-id 'a b' s3://b/k
a storage class with a newline|bad storage class \\(1 to 64 letters, digits and _-.:/\\)\$|put --storage-class "\$(printf 'A\\nB')" s3://b/k
a storage class of 65 bytes|bad storage class|put --storage-class $(printf '%065d' 0) s3://b/k
-P with get|-P is for put|get -P s3://b/k
--lock-for with ls|--lock-for is for put|ls --lock-for 1d s3://b/
--sse with rm|--sse is for put|rm --sse aes256 s3://b/k
--storage-class with get|--storage-class is for put|get --storage-class STANDARD s3://b/k
--expected-size with cleanup|--expected-size is for put|cleanup --older-than 1d --expected-size 1G s3://b/
--page-size with put|--page-size is for ls and cleanup|put --page-size 5 s3://b/k
-n with put|-n is for cleanup|put -n s3://b/k
--older-than with ls|--older-than is for cleanup|ls --older-than 1d s3://b/
cleanup without --older-than|cleanup needs --older-than \(0s for every upload\)|cleanup s3://b/
cleanup with a bad duration|bad duration "old"|cleanup --older-than old s3://b/
cleanup without a URL|cleanup needs an S3 URL \(s3://bucket/prefix\)|cleanup --older-than 1d
cleanup with two operands|too many arguments for cleanup|cleanup --older-than 1d s3://b/ x
-f with cleanup|-f is for put and get|cleanup -f --older-than 1d s3://b/
retries that are no number|bad number of retries "x"|ls --retries x s3://b/
retries past 1000|bad number of retries "1001"|ls --retries 1001 s3://b/
negative retries|bad number of retries "-1"|ls --retries=-1 s3://b/
a retry time that is no duration|bad retry time "soon"|ls --retry-time soon s3://b/
a retry time past a week|bad retry time "8d"|put --retry-time 8d s3://b/k
a timeout of 0|bad timeout "0"|get --timeout 0 s3://b/k
a timeout that is no duration|bad timeout "1x"|get --timeout 1x s3://b/k
EOF

# Configuration and the world: one line each, the right code.
errline "no credentials at all: 78" 78 \
    '^bk-s3: error: no credentials: set AWS_ACCESS_KEY_ID' \
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY bk-s3 --endpoint "$E" \
    ls s3://b/
errline "a key id without its secret: 78" 78 'go together' \
    env -u AWS_SECRET_ACCESS_KEY bk-s3 --endpoint "$E" ls s3://b/
errline "a bad AWS_MAX_ATTEMPTS: 78" 78 \
    '^bk-s3: error: bad AWS_MAX_ATTEMPTS "0" in the environment \(1 to 1001\)$' \
    env AWS_MAX_ATTEMPTS=0 bk-s3 --endpoint "$E" ls s3://b/
errline "a bad endpoint in the environment: 78" 78 \
    '^bk-s3: error: bad endpoint in the environment' \
    env AWS_ENDPOINT_URL=ftp://h bk-s3 ls s3://b/
errline "an endpoint that does not answer: 69" 69 \
    '^bk-s3: error: could not list "s3://b/": .*(onnect|refused)' \
    bk-s3 --endpoint "$E" $R ls s3://b/
errline "... the same from AWS_ENDPOINT_URL" 69 'could not download' \
    env AWS_ENDPOINT_URL=$E bk-s3 $R get s3://b/k
errline "put of a missing file: 66" 66 'missing' \
    bk-s3 --endpoint "$E" put s3://b/k missing
errline "get -o an existing file without -f: 73" 73 '"have"' \
    sh -c ': >have; bk-s3 --endpoint "$0" get -o have s3://b/k' "$E"
: >have
run bk-s3 --endpoint "$E" $R get -o new s3://b/k
[ ! -e new ] && pass "a get that failed leaves no -o file" ||
    fail "a get that failed leaves no -o file"
ls -a >listing
unlike "... nor a temporary one" listing '\.bk-'

# Credentials from a profile of the credentials file.
cat >creds <<'EOF'
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = SEKRETfromfile0123
[other]
aws_access_key_id=AKIDOTHER
aws_secret_access_key=SEKRETother0123
EOF
errline "credentials from the file: the request is made (69)" 69 \
    'could not list' env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_SHARED_CREDENTIALS_FILE=creds bk-s3 --endpoint "$E" $R ls s3://b/
errline "a profile that is not there: 78" 78 'profile "nope"' \
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=nope \
    AWS_SHARED_CREDENTIALS_FILE=creds bk-s3 --endpoint "$E" ls s3://b/

# ~/.aws/config the aws command line's way, seen in the URL that -v -v
# shows: AWS's own endpoint, reached through a proxy where nothing
# listens (so no name is looked up and the refusal is immediate).
cat >config <<'EOF'
# a comment
[default]
region = eu-west-3
s3 =
    region = not-this-one
    addressing_style = path
[profile virt]
region=sa-east-1
s3 =
  addressing_style = virtual
[profile bad]
s3 =
    addressing_style = sideways
[profile keys]
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = SEKRETconfig0123
EOF
aws_url() {
	env -u AWS_REGION -u AWS_DEFAULT_REGION AWS_CONFIG_FILE=config \
	    https_proxy=$E HTTPS_PROXY=$E "$@" >out 2>err
	rc=$?
	sed -n 's/^bk-s3: GET //p' err | head -1
}
is "the config file's region and path-style addressing" \
    "$(aws_url bk-s3 -v -v ls s3://bucket/p)" \
    "https://s3.eu-west-3.amazonaws.com/bucket/?encoding-type=url&list-type=2&prefix=p"
run env -u AWS_REGION -u AWS_DEFAULT_REGION AWS_CONFIG_FILE=config \
    https_proxy=$E HTTPS_PROXY=$E bk-s3 ls s3://bucket/p
is "... and the request is made (69)" "$rc" 69
is "AWS_PROFILE: [profile NAME]'s region, virtual-hosted" \
    "$(aws_url env AWS_PROFILE=virt bk-s3 -v -v ls s3://bucket/p)" \
    "https://bucket.s3.sa-east-1.amazonaws.com/?encoding-type=url&list-type=2&prefix=p"
is "AWS_REGION wins over the file" \
    "$(aws_url env AWS_REGION=ap-south-1 bk-s3 -v -v ls s3://bucket/p)" \
    "https://s3.ap-south-1.amazonaws.com/bucket/?encoding-type=url&list-type=2&prefix=p"
is "AWS_DEFAULT_REGION too" \
    "$(aws_url env AWS_DEFAULT_REGION=ca-central-1 bk-s3 -v -v ls s3://bucket/p)" \
    "https://s3.ca-central-1.amazonaws.com/bucket/?encoding-type=url&list-type=2&prefix=p"
is "a profile the file does not have: us-east-1, virtual-hosted" \
    "$(aws_url env AWS_PROFILE=nope bk-s3 -v -v ls s3://bucket/p)" \
    "https://bucket.s3.us-east-1.amazonaws.com/?encoding-type=url&list-type=2&prefix=p"
is "virtual-hosted, but a bucket with a capital goes path-style" \
    "$(aws_url env AWS_PROFILE=virt bk-s3 -v -v ls s3://Bucket/p)" \
    "https://s3.sa-east-1.amazonaws.com/Bucket/?encoding-type=url&list-type=2&prefix=p"
is "an endpoint is path-style unless the file says virtual" \
    "$(aws_url env AWS_PROFILE=nope bk-s3 -v -v --endpoint $E ls s3://bucket/p)" \
    "$E/bucket/?encoding-type=url&list-type=2&prefix=p"
is "... and virtual-hosted when it does" \
    "$(aws_url env AWS_PROFILE=virt bk-s3 -v -v --endpoint $E ls s3://bucket/p)" \
    "http://bucket.127.0.0.1:1/?encoding-type=url&list-type=2&prefix=p"
errline "a bad addressing_style: 78" 78 \
    'bad s3 addressing_style "sideways" in profile "bad" of the config file' \
    env AWS_CONFIG_FILE=config AWS_PROFILE=bad bk-s3 ls s3://b/
errline "a bad region: 78" 78 'bad region' \
    env AWS_REGION=eu/west bk-s3 --endpoint "$E" ls s3://b/
errline "credentials from the config file's profile: the request is made (69)" \
    69 'could not list' env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_CONFIG_FILE=config AWS_PROFILE=keys bk-s3 --endpoint "$E" ls s3://b/

# No secret in any message, however verbose.
bk-s3 -v -v --endpoint "$E" $R put s3://b/k </dev/null >out 2>err
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=other \
    AWS_SHARED_CREDENTIALS_FILE=creds bk-s3 -v -v --endpoint "$E" $R \
    ls s3://b/ >>out 2>>err
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=keys \
    AWS_CONFIG_FILE=config bk-s3 -v -v --endpoint "$E" \
    ls s3://b/ >>out 2>>err
like "-v -v names the requests" err '^bk-s3: (PUT|GET) http://127\.0\.0\.1:1/b/'
unlike "... and never a secret" err 'SEKRET'
unlike "... nor on stdout" out 'SEKRET'
done_testing
