#!/bin/sh
# The off-site copy end to end (bk(7) recipe 5, examples/offsite.sh)
# against the harness's PostgreSQL and radosgw: pg_dump | bk-gz |
# bk-crypt, recorded, uploaded with bk-s3 put -m (the copy recorded in
# the manifest line), checked by bk-verify --remote and --download; the
# copy fetched back by aws byte for byte, and restored into new databases
# through bk-s3 get | bk-crypt -d | bk-gz -d | psql and through
# bk-restore, identical.  Then the copy altered, replaced and deleted
# behind bk's back (each a FAIL with its reason), a store that cannot be
# asked (69, 77: no verdict), and the bad inputs of -m, --remote and
# --download, each with its code and message, the manifest unchanged
# after every failure.
. "$(dirname "$0")/lib.sh"
. "$TESTS/s3.sh"
need_s3
need_pg
need pg_dump createdb dropdb

P=o1106
B=bk-1106
DBS="${P}_src ${P}_pipe ${P}_rest"
cleanup() { for d in $DBS; do dropdb --if-exists "$d" 2>/dev/null; done; }
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT

# answers DB: what an application reads of the database.
answers() {
	psql -XAt -d "$1" -c 'SELECT count(*), sum(valor) FROM pagamentos' \
	    -c 'SELECT count(*) FROM clientes' \
	    -c "SELECT nome FROM clientes WHERE id IN (1, 150, 300) ORDER BY id" \
	    -c 'SELECT md5(string_agg(obs, $$,$$ ORDER BY id)) FROM pagamentos'
}
# field JQ: a field of the one manifest line, through python's json.
field() {
	python3 -c 'import json, sys
e = json.loads(open(sys.argv[1]).readline())
print(eval(sys.argv[2], {"e": e}))' tree/manifest.jsonl "$1"
}
# unchanged NAME: the manifest is byte for byte the saved one.
unchanged() { same "$1: the manifest is unchanged" tree/manifest.jsonl m.saved; }

createdb ${P}_src
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_src >/dev/null <<'SQL' || { fail "create the source"; exit 1; }
CREATE TABLE clientes (id serial PRIMARY KEY, nome text NOT NULL);
CREATE TABLE pagamentos (id serial PRIMARY KEY,
    cliente int NOT NULL REFERENCES clientes, valor numeric(10,2), obs text);
INSERT INTO clientes (nome)
    SELECT 'Cliente ' || i || ' Conceição' FROM generate_series(1, 300) i;
INSERT INTO pagamentos (cliente, valor, obs)
    SELECT 1 + i % 300, i * 1.25,
    CASE WHEN i % 7 = 0 THEN E'linha\ncom quebra' ELSE 'ok ' || i END
    FROM generate_series(1, 3000) i;
SQL
answers ${P}_src >src.answers
exits "a bucket for this file" 0 aws s3api create-bucket --bucket $B

# ---- the recipe ----
bk-crypt --keygen -o id.txt 2>/dev/null
bk-crypt -y -i id.txt >recipients
run "$TOP/examples/offsite.sh" -d ${P}_src -b tree \
    -R recipients s3://$B/pg
is "offsite.sh runs the recipe" "$rc" 0
empty "... nothing on standard error" err
like "... logs each step with a timestamp" out \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z offsite\.sh: verified '
unlike "... and nothing but such lines" out \
    '^([^0-9]|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z offsite\.sh: [^a-z])'
f=$(cd tree && echo daily/${P}_src_*.sql.gz.age)
key=pg/$f
url=s3://$B/$key
ok "one encrypted backup in the tree" test -f "tree/$f"
sha=$(sha256sum <"tree/$f" | cut -d' ' -f1)
size=$(stat -c %s "tree/$f")
is "the manifest line records the copy's URL" "$(field 'e["remote"][0]["url"]')" "$url"
is "... its size and sha256, the file's" \
    "$(field 'e["remote"][0]["size"], e["remote"][0]["sha256"], e["sha256"]')" \
    "($size, '$sha', '$sha')"
etag=$(aws s3api head-object --bucket $B --key "$key" --query ETag --output text)
is "... and the ETag aws sees" "\"$(field 'e["remote"][0]["etag"]')\"" "$etag"
like "... and when it was uploaded" tree/manifest.jsonl \
    '"uploaded":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(Z|[+-][0-9]{2}:[0-9]{2})"'
exits "aws downloads the object" 0 aws s3 cp "$url" aws.copy
same "... byte for byte the local file" aws.copy "tree/$f"
run bk-manifest -m tree/manifest.jsonl info "tree/$f"
like "bk-manifest info shows the copy" out "^remote: +$url \\(uploaded .*, never verified\\)$"

# ---- bk-verify --remote, --download ----
run bk-verify -m tree/manifest.jsonl --remote
is "bk-verify --remote passes" "$rc" 0
like "... the file's line" out "^OK $f \\(age not decrypted"
like "... the copy's line says what was checked" out \
    "^OK $url \\(size and sha256 metadata checked; --download reads the content\\)$"
run bk-verify -m tree/manifest.jsonl --remote --download -v -i id.txt
is "--download with the identity passes" "$rc" 0
like "... every layer of the copy read" out "^OK $url \\(pg_dump gzip age\\)$"
run bk-verify -m tree/manifest.jsonl --remote --download
like "--download without an identity: what could be checked" out \
    "^OK $url \\(age not decrypted, no identity: size, sha256 and header checked; held pg_dump gzip, whole when made\\)$"
run bk-verify -q -m tree/manifest.jsonl --remote --record -M metrics.prom
is "--record" "$rc" 0
empty "... -q: no line" out
like "... the copy's check goes into its record" tree/manifest.jsonl \
    '"remote":\[\{[^]]*"verified":\{"time":"[^"]*","result":"ok"\}'
like "... the file's into the line's" tree/manifest.jsonl \
    '\],"verified":\{"time":"[^"]*","result":"ok"\}\}$'
like "... metrics: the copies checked" metrics.prom '^bk_verify_remote_copies\{type="daily"\} 1$'
like "... all good" metrics.prom '^bk_verify_remote_ok\{type="daily"\} 1$'
like "... the newest good copy's backup" metrics.prom \
    '^bk_backup_remote_last_success_timestamp_seconds\{type="daily"\} [1-9][0-9]+$'

# ---- restored from the copy ----
createdb ${P}_pipe
bk-s3 get "$url" | bk-crypt -d -i id.txt | bk-gz -d |
    psql -Xq -v ON_ERROR_STOP=1 -d ${P}_pipe >/dev/null 2>psql.err
ok "bk-s3 get | bk-crypt -d | bk-gz -d | psql" test ! -s psql.err
answers ${P}_pipe >pipe.answers
same "... holds what the source holds" pipe.answers src.answers
# The disk is lost: the copy comes back to its place, and bk-restore
# checks it against the manifest before it touches the database.
mv "tree/$f" local.orig
exits "bk-s3 get -o puts the copy back" 0 bk-s3 get -o "tree/$f" "$url"
createdb ${P}_rest
run bk-restore --yes -i id.txt -D ${P}_rest "tree/$f"
is "bk-restore restores the fetched copy" "$rc" 0
answers ${P}_rest >rest.answers
same "... identical" rest.answers src.answers
mv local.orig "tree/$f"

# ---- the copy changed behind bk's back ----
cp tree/manifest.jsonl m.saved
# expect_fail NAME REGEX ARGS...: bk-verify ARGS exits 1, the file's line
# OK, the copy's FAIL line matching REGEX, and the manifest unchanged.
expect_fail() {
	_en=$1 _er=$2; shift 2
	run bk-verify -m tree/manifest.jsonl --no-scan "$@"
	is "$_en: exit 1" "$rc" 1
	like "$_en: the file is still OK" out "^OK $f"
	like "$_en: the copy FAILs" out "^FAIL $url: $_er\$"
	unchanged "$_en"
}
printf 'not the backup\n' >other
aws s3 cp other "$url" >/dev/null
expect_fail "another file over the copy" \
    "size is 15 bytes, the manifest says $size" --remote
aws s3 cp "tree/$f" "$url" --metadata sha256=$(printf '%064d' 0) >/dev/null
expect_fail "the right bytes, another sha256 in the metadata" \
    "sha256 metadata does not match" --remote
expect_fail "... --download: bk-s3 get refuses it" \
    "sha256 mismatch: the object's metadata says 0{64}" --remote --download
aws s3 cp "tree/$f" "$url" >/dev/null
expect_fail "the right bytes without metadata (aws cp)" \
    "no sha256 metadata \\(the object was not uploaded by bk-s3\\)" --remote
cp "tree/$f" altered
flip altered 200
aws s3 cp altered "$url" --metadata sha256=$sha >/dev/null
run bk-verify -m tree/manifest.jsonl --no-scan --remote
is "altered bytes under the right metadata: the head cannot tell" "$rc" 0
expect_fail "... --download reads them" \
    "sha256 does not match \\(.*\\)" --remote --download -i id.txt
aws s3 rm "$url" >/dev/null
expect_fail "the copy deleted" "missing from the store \\(404 not found\\)" --remote
expect_fail "... --download" "missing from the store \\(404 NoSuchKey.*\\)" \
    --remote --download
run bk-verify -m tree/manifest.jsonl --remote --record -M metrics.prom
is "--record a missing copy" "$rc" 1
like "... its record says why" tree/manifest.jsonl \
    '"result":"fail","reason":"missing from the store \(404 not found\)"\}\}\]'
like "... the file's own check stays ok" tree/manifest.jsonl \
    '\],"verified":\{"time":"[^"]*","result":"ok"\}\}$'
like "... metrics: the copy not OK" metrics.prom '^bk_verify_remote_ok\{type="daily"\} 0$'
like "... no good copy" metrics.prom \
    '^bk_backup_remote_last_success_timestamp_seconds\{type="daily"\} 0$'
like "... the run failed" metrics.prom '^bk_verify_success 0$'
run bk-manifest -m tree/manifest.jsonl info "tree/$f"
like "bk-manifest info shows the failed check" out \
    "^remote: +$url \\(uploaded .*, verified FAIL at .*: missing from the store \\(404 not found\\)\\)$"

# ---- a store that cannot be asked: no verdict, the run stops ----
aws s3 cp "tree/$f" "$url" --metadata sha256=$sha >/dev/null
cp tree/manifest.jsonl m.saved
errline "an unreachable store: 69, one line" 69 \
    "^bk-verify: error: could not look up \"$url\": .*(onnect|refused)" \
    env AWS_ENDPOINT_URL=http://127.0.0.1:1 AWS_MAX_ATTEMPTS=1 \
    bk-verify -m tree/manifest.jsonl --remote --record
unchanged "unreachable"
errline "... --download: 69" 69 "^bk-verify: error: could not download \"$url\"" \
    env AWS_ENDPOINT_URL=http://127.0.0.1:1 AWS_MAX_ATTEMPTS=1 \
    bk-verify -m tree/manifest.jsonl --remote --download --record
errline "a wrong secret: 77" 77 "^bk-verify: error: could not look up \"$url\": 403" \
    env AWS_SECRET_ACCESS_KEY=wrong bk-verify -m tree/manifest.jsonl --remote --record
errline "no credentials: 78" 78 '^bk-verify: error: no credentials' \
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_SHARED_CREDENTIALS_FILE=$T/none bk-verify -m tree/manifest.jsonl --remote --record
unchanged "77, 78"

# ---- bk-s3 put -m: bad inputs, refused before any request ----
# refused NAME CODE REGEX KEY FILE [OPTION...]: bk-s3 put -m refuses with
# CODE and one line, the manifest is unchanged and no object KEY exists.
refused() {
	_rn=$1 _rc=$2 _rr=$3 _rk=$4 _rf=$5; shift 5
	errline "put -m: $_rn: $_rc" "$_rc" "$_rr" \
	    bk-s3 put "$@" "s3://$B/$_rk" "$_rf"
	unchanged "$_rn"
	run aws s3api head-object --bucket $B --key "$_rk"
	like "$_rn: nothing uploaded" err 'Not Found'
}
printf 'a,b\n1,2\n' >tree/unlisted.csv
refused "a file not in the manifest" 1 \
    '^bk-s3: error: could not upload "tree/unlisted.csv": not in the manifest "tree/manifest.jsonl" \(an incomplete backup\)$' \
    k1 tree/unlisted.csv -m tree/manifest.jsonl
refused "no manifest" 66 '^bk-s3: error: could not open manifest "tree/none.jsonl": No such file' \
    k2 "tree/$f" -m tree/none.jsonl
refused "a file outside the manifest's folder" 65 \
    "^bk-s3: error: could not upload \"other\": outside the manifest's folder" \
    k3 other -m tree/manifest.jsonl
cp "tree/$f" saved.age
flip "tree/$f" 300
refused "a file whose sha256 is not the manifest's" 1 \
    "^bk-s3: error: could not upload \"tree/$f\": sha256 does not match the manifest's\$" \
    k4 "tree/$f" -m tree/manifest.jsonl
printf x >>"tree/$f"
refused "a file whose size is not the manifest's" 1 \
    "^bk-s3: error: could not upload \"tree/$f\": size is $((size + 1)) bytes, the manifest says $size\$" \
    k5 "tree/$f" -m tree/manifest.jsonl
cp saved.age "tree/$f"
refused "an unreachable store" 69 \
    "^bk-s3: error: could not upload \"s3://$B/k6\": .*(onnect|refused)" \
    k6 "tree/$f" -m tree/manifest.jsonl --endpoint http://127.0.0.1:1 \
    --retries 0
errline "put -m: a key that exists, without -f: 73" 73 \
    "^bk-s3: error: could not upload \"$url\": it exists \\(-f replaces it\\)" \
    bk-s3 put -m tree/manifest.jsonl "$url" "tree/$f"
unchanged "a key that exists"
rm tree/unlisted.csv
usage "put -m from standard input" '-m needs the file to upload, not standard input' \
    bk-s3 put -m tree/manifest.jsonl s3://$B/k8
usage "put -m -" '-m needs the file' bk-s3 put -m tree/manifest.jsonl s3://$B/k8 -
usage "get -m" '-m is for get|-m is for put' bk-s3 get -m tree/manifest.jsonl s3://$B/k8
unchanged "usage errors"

# ---- several copies; the same URL again replaces its record ----
exits "put -m to a second store key" 0 bk-s3 put -q -m tree/manifest.jsonl \
    s3://$B/second/$f "tree/$f"
is "... two copies recorded" "$(field 'len(e["remote"])')" 2
is "... the second after the first" "$(field 'e["remote"][1]["url"]')" "s3://$B/second/$f"
exits "put -f -m to the first URL again" 0 bk-s3 put -q -f -m tree/manifest.jsonl \
    "$url" "tree/$f"
is "... still two copies, the first replaced in place" \
    "$(field '[r["url"] for r in e["remote"]]')" "['$url', 's3://$B/second/$f']"
is "... its old check gone with it" "$(field '"verified" in e["remote"][0]')" False
run bk-verify -m tree/manifest.jsonl --remote
is "bk-verify --remote checks both" "$rc" 0
like "... the first" out "^OK $url "
like "... the second" out "^OK s3://$B/second/$f "
run bk-verify -m tree/manifest.jsonl --remote -T weekly
empty "-T: only the copies of that type" out

# ---- bk-verify's remote options: bad inputs ----
cp tree/manifest.jsonl m.saved
usage "--download without --remote" '--download goes with --remote' \
    bk-verify -m tree/manifest.jsonl --download
usage "-c with --remote" '-c does not go with .*--remote' \
    bk-verify -c /dev/null --remote
# A record edited by hand: another sha256 than the file's, not an S3 URL.
python3 - tree/manifest.jsonl <<'EOF'
import json, sys
e = json.loads(open(sys.argv[1]).readline())
e["remote"][1]["sha256"] = "0" * 64
e["remote"].append({"url": "https://example.net/x", "size": 1})
open(sys.argv[1], "w").write(json.dumps(e, separators=(",", ":")) + "\n")
EOF
run bk-verify -m tree/manifest.jsonl --remote
is "records edited by hand: exit 1" "$rc" 1
like "... a record that is not the backup's" out \
    "^FAIL s3://$B/second/$f: its record is not the backup's \\(size or sha256 differ\\)\$"
like "... a URL that is not s3://" out \
    '^FAIL https://example.net/x: not an S3 URL: bk-verify checks s3:// copies only$'
like "... the good copy still OK" out "^OK $url "
printf '{"path":"x","created":"2025-01-01T00:00:00Z","remote":{"url":"s3://b/x"}}\n' >>tree/manifest.jsonl
run bk-verify -m tree/manifest.jsonl --remote --no-scan
like "a remote field that is not a list: a bad line" out \
    '^FAIL tree/manifest.jsonl:2: field "remote" is not a list of objects with a "url"$'
done_testing
