#!/bin/sh
# bk-s3's command line, with no store needed: a table of bad inputs, each
# with its exit code and one-line message, and secrets kept out of
# messages.  The store itself is 1101's.
. "$(dirname "$0")/lib.sh"

# A world of our own: no credentials file of the user's, no endpoint.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
AWS_SHARED_CREDENTIALS_FILE=$T/none
AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=SEKRETsekret0123456789
export AWS_SHARED_CREDENTIALS_FILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
# Port 1 on loopback: nothing listens there, the refusal is immediate;
# R, no retry of it (1103 tests the retries).
E=http://127.0.0.1:1
R=--retries=0

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

# No secret in any message, however verbose.
bk-s3 -v -v --endpoint "$E" $R put s3://b/k </dev/null >out 2>err
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=other \
    AWS_SHARED_CREDENTIALS_FILE=creds bk-s3 -v -v --endpoint "$E" $R \
    ls s3://b/ >>out 2>>err
like "-v -v names the requests" err '^bk-s3: (PUT|GET) http://127\.0\.0\.1:1/b/'
unlike "... and never a secret" err 'SEKRET'
unlike "... nor on stdout" out 'SEKRET'
done_testing
