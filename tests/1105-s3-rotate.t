#!/bin/sh
# bk-rotate --dir s3:// against a real radosgw (tests/s3.sh), checked with
# Debian's aws command line: the same names decided the same way in a
# folder (--dir) and in a bucket, --delete removing exactly what the
# "remove" lines name, a dry run changing nothing; object lock: a locked
# object or one under legal hold kept and reported, refused by bk-s3 rm
# (77, its date and mode), removed once its date has passed or its hold
# is lifted, with no version left behind; and the bad inputs.
. "$(dirname "$0")/lib.sh"
. "$TESTS/s3.sh"
need_s3
need jq
# Buckets of its own, new on every run.
S=$(od -An -N4 -tx1 /dev/urandom | tr -d " \n")
B=bk-rotate-$S
L=bk-rotate-locked-$S
exits "a bucket for the test" 0 aws s3api create-bucket --bucket $B
exits "a bucket with object lock" 0 \
    aws s3api create-bucket --bucket $L --object-lock-enabled-for-bucket
NOW=2024-06-01T00:00:00Z

# keys BUCKET PREFIX: the keys under PREFIX, one a line, sorted.
keys() {
	aws s3api list-objects-v2 --bucket "$1" --prefix "$2" \
	    --query 'Contents[].Key' --output text | tr '\t' '\n' |
	    grep -v '^None$' | sort
}
# versions BUCKET PREFIX: every version and delete marker under PREFIX,
# "KEY VERSION-ID" a line, into $T/versions; of KEY: those of one key.
versions() {
	aws s3api list-object-versions --bucket "$1" --prefix "$2" \
	    --query '[Versions[].[Key,VersionId], DeleteMarkers[].[Key,VersionId]][]' \
	    --output text | grep -v '^None$' >"$T/versions"
}
of() { awk -v k="$1" '$1 == k { print $2 }' "$T/versions"; }

# --- The same names in a folder and in a bucket: the same decisions ---
# Dailies two days apart over three months at shifting hours, a monthly
# named by its month, checksums beside some, and the neighbours that are
# no backups: a README, a hidden file, a sub-folder; and a backup whose
# name has no date, timed by its file (and the store's LastModified).
mkdir local
i=0
while [ $i -lt 46 ]; do
	d=$(date -u -d "2024-03-01 +$((i * 2)) days" +%Y-%m-%d)
	f=db_${d}_0$((i % 4 + 1))0000.sql.gz
	echo "backup $i" >local/$f
	[ $((i % 3)) = 0 ] && echo "sum $i" >local/$f.sha256
	i=$((i + 1))
done
echo monthly >local/erp_2024_04.csv.gz
echo readme >local/README
echo hidden >local/.db_2024-05-01.sql.gz
mkdir local/sub
echo sub >local/sub/db_2024-05-02.sql.gz
echo nodate >local/nodate.sql.gz
exits "aws copies the folder to the bucket" 0 aws s3 sync local s3://$B/daily/
lm=$(aws s3api head-object --bucket $B --key daily/nodate.sql.gz \
    --query LastModified --output text)
touch -d "$lm" local/nodate.sql.gz
is "the name without a date has the store's time locally too" \
    "$(date -u -d "$lm" +%s)" "$(stat -c %Y local/nodate.sql.gz)"
keys $B daily/ >before

n=0
while IFS='|' read -r policy; do
	n=$((n + 1))
	run bk-rotate --dir local --now $NOW $policy
	mv out local.$n
	run bk-rotate --dir s3://$B/daily --now $NOW $policy
	sed "s|s3://$B/daily/||g" out >remote.$n
	is "$policy: --dir s3:// exits 0" "$rc" 0
	same "... and decides as --dir, line for line" remote.$n local.$n
	like "... some removed" remote.$n '^remove '
	like "... some kept" remote.$n '^keep '
done <<'EOF'
--keep-daily 7 --keep-weekly 4 --keep-monthly 3
--keep-last 5 --keep-yearly unlimited
--keep-within 10d --max-age 60d
--keep-hourly 2 --keep-monthly 1
--max-age 45d
EOF
like "the checksum objects go with their backups" remote.1 \
    '^remove db_2024-.*\.sql\.gz\.sha256 \(checksum of db_2024-.*\.sql\.gz\)$'
like "the name without a date is decided by its time" remote.1 'nodate\.sql\.gz'
unlike "neither the README, the hidden one nor the sub-folder's" remote.1 \
    'README|\.db_|sub/'
like "the sub-folder is skipped with a warning" err \
    "skipping folder \"s3://$B/daily/sub/\""
keys $B daily/ >after
same "a dry run removes nothing" after before

# --delete: exactly the objects of the "remove" lines go, as locally.
exits "--dir s3:// --delete exits 0" 0 \
    bk-rotate --dir s3://$B/daily/ --now $NOW --keep-daily 7 \
    --keep-weekly 4 --keep-monthly 3 --delete
sed "s|s3://$B/daily/||g" out >deleted
same "... printing the dry run's lines" deleted remote.1
sed -n "s|^remove s3://$B/\([^ ]*\) .*|\1|p" out | sort >gone
comm -23 before gone >want
keys $B daily/ >after
same "... and the remove lines' objects are gone, and only they" after want
test -s gone && pass "... which were some" || fail "... which were some"
exits "--dir --delete with the same policy" 0 \
    bk-rotate --dir local --now $NOW --keep-daily 7 --keep-weekly 4 \
    --keep-monthly 3 --delete
(cd local && find . -type f | sed 's|^\./|daily/|' | sort) >left
same "... leaves the folder as the bucket" left after
versions $B daily/
is "an unversioned bucket: the object just goes" "$(of "$(sed -n 1p gone)")" ""

# A removal that fails (a bucket policy denies one object's delete): the
# others still go, one line says which failed, the run exits with its code.
for d in 01 02 03 04; do echo $d >deny$d.sql; done
for d in 01 02 03 04; do
	bk-s3 put s3://$B/deny/db_2024-01-$d.sql deny$d.sql >/dev/null
done
cat >policy.json <<EOF
{"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
 "Principal": "*", "Action": "s3:DeleteObject",
 "Resource": "arn:aws:s3:::$B/deny/db_2024-01-03.sql"}]}
EOF
exits "a policy denying one delete" 0 \
    aws s3api put-bucket-policy --bucket $B --policy file://policy.json
run bk-rotate --dir s3://$B/deny --keep-last 1 --delete
is "a denied removal: the run exits 77" "$rc" 77
is "... one line, bk-s3's" "$(wc -l <err | tr -d ' ')" 1
like "... naming the object" err \
    "^bk-s3: error: could not remove \"s3://$B/deny/db_2024-01-03.sql\": 403"
is "... the others after it removed all the same" "$(keys $B deny/ | tr '\n' ' ')" \
    "deny/db_2024-01-03.sql deny/db_2024-01-04.sql "

# --- Object lock ---
long=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
# putl KEY [ARGS...]: aws puts an object into the locked bucket (a put
# with a lock needs its Content-MD5), printing its version id.
putl() {
	_k=$1; shift
	echo "$_k" >body
	aws s3api put-object --bucket $L --key "$_k" --body body \
	    --content-md5 "$(openssl md5 -binary body | base64)" "$@" \
	    --query VersionId --output text
}
vlong=$(putl db/db_2024-01-01.sql.gz --object-lock-mode GOVERNANCE \
    --object-lock-retain-until-date "$long")
putl db/db_2024-01-01.sql.gz.sha256 >/dev/null
vhold=$(putl db/db_2024-01-02.sql.gz --object-lock-legal-hold-status ON)
putl db/db_2024-01-04.sql.gz >/dev/null
putl db/db_2024-01-04.sql.gz.sha256 >/dev/null
putl db/db_2024-01-04.sql.gz.sha512 --object-lock-mode GOVERNANCE \
    --object-lock-retain-until-date "$long" >/dev/null
putl db/db_2024-01-05.sql.gz >/dev/null
# A lock that ends soon, put last: the first rotation sees it locked
# unless the machine took longer than that (then that check is skipped).
short_s=$(($(date +%s) + 25))
short=$(date -u -d "@$short_s" +%Y-%m-%dT%H:%M:%SZ)
vshort=$(putl db/db_2024-01-03.sql.gz --object-lock-mode GOVERNANCE \
    --object-lock-retain-until-date "$short")
[ -n "$vlong" ] && [ -n "$vhold" ] && [ -n "$vshort" ] &&
    pass "objects locked, under legal hold, and neither" ||
    fail "objects locked, under legal hold, and neither"

run bk-s3 ls --json s3://$L/db/
is "ls --json: the locked object's version id" \
    "$(jq -r 'select(.key == "db/db_2024-01-01.sql.gz") | .version_id' out)" "$vlong"
is "... its mode and date" \
    "$(jq -r 'select(.key == "db/db_2024-01-01.sql.gz") | "\(.lock_mode) \(.locked_until) \(.legal_hold)"' out)" \
    "GOVERNANCE $long false"
is "... the legal hold" \
    "$(jq -r 'select(.key == "db/db_2024-01-02.sql.gz") | "\(.lock_mode) \(.locked_until) \(.legal_hold)"' out)" \
    "null null true"
is "... the short lock" \
    "$(jq -r 'select(.key == "db/db_2024-01-03.sql.gz") | .locked_until' out)" "$short"
run bk-s3 ls --json s3://$B/daily/
is "... a bucket without object lock: no lock fields" \
    "$(jq -s 'map(has("lock_mode") or has("version_id")) | any' out)" false

run bk-rotate --dir s3://$L/db --keep-last 1 --delete
done_s=$(date +%s)
cp out first
P=s3://$L/db
cat >want <<EOF
keep $P/db_2024-01-05.sql.gz (last snapshot)
remove $P/db_2024-01-04.sql.gz (no rule keeps it)
remove $P/db_2024-01-04.sql.gz.sha256 (checksum of $P/db_2024-01-04.sql.gz)
keep $P/db_2024-01-04.sql.gz.sha512 (checksum of $P/db_2024-01-04.sql.gz, locked until $long)
keep $P/db_2024-01-03.sql.gz (no rule keeps it, locked until $short)
keep $P/db_2024-01-02.sql.gz (no rule keeps it, under legal hold)
keep $P/db_2024-01-01.sql.gz (no rule keeps it, locked until $long)
EOF
is "--delete over locked objects exits 0" "$rc" 0
empty "... says nothing on stderr" err
if [ "$done_s" -lt "$short_s" ]; then
	same "... keeps each locked one, saying why" out want
else
	skip "the short lock ended before the rotation did (a slow machine)"
fi
versions $L db/
is "... the unlocked backup is gone, no version left" \
    "$(of db/db_2024-01-04.sql.gz)" ""
is "... and its checksum" "$(of db/db_2024-01-04.sql.gz.sha256)" ""
is "... the locked one stays, its one version" "$(of db/db_2024-01-01.sql.gz)" \
    "$vlong"
is "... with its checksum" "$(of db/db_2024-01-01.sql.gz.sha256 | wc -l | tr -d ' ')" 1
is "... the locked checksum stays" \
    "$(of db/db_2024-01-04.sql.gz.sha512 | wc -l | tr -d ' ')" 1

errline "bk-s3 rm of a locked object: 77, its mode and date" 77 \
    "^bk-s3: error: could not remove \"s3://$L/db/db_2024-01-01.sql.gz\": locked in GOVERNANCE mode until $long\$" \
    bk-s3 rm s3://$L/db/db_2024-01-01.sql.gz
errline "... of one under legal hold: 77" 77 \
    "^bk-s3: error: could not remove \"s3://$L/db/db_2024-01-02.sql.gz\": under legal hold\$" \
    bk-s3 rm s3://$L/db/db_2024-01-02.sql.gz
versions $L db/
is "... both still there, with no delete marker" \
    "$(of db/db_2024-01-01.sql.gz) $(of db/db_2024-01-02.sql.gz)" "$vlong $vhold"
errline "... of a key that is not there: 66" 66 'no such key' \
    bk-s3 rm s3://$L/db/none.sql.gz

# Once the date has passed and the hold is lifted, they go, every version.
exits "the legal hold lifted" 0 aws s3api put-object-legal-hold --bucket $L \
    --key db/db_2024-01-02.sql.gz --version-id="$vhold" --legal-hold Status=OFF
passed() { [ "$(date +%s)" -gt "$short_s" ]; }
ok "the short lock's date passes" wait_until passed
run bk-rotate --dir s3://$L/db --keep-last 1 --delete
is "--delete again exits 0" "$rc" 0
# (On a machine slow enough, the first run already did.)
cat first out >both
like "... removes the object whose lock ended" both \
    "^remove $P/db_2024-01-03.sql.gz \\(no rule keeps it\\)$"
like "... and the one whose hold was lifted" out \
    "^remove $P/db_2024-01-02.sql.gz \\(no rule keeps it\\)$"
like "... still keeps the locked one" out \
    "^keep $P/db_2024-01-01.sql.gz \\(no rule keeps it, locked until $long\\)$"
versions $L db/
is "... no version of them remains" \
    "$(of db/db_2024-01-03.sql.gz)$(of db/db_2024-01-02.sql.gz)" ""

# --- Bad input ---
while IFS='|' read -r name re args; do
	eval "set -- $args"
	usage "$name" "$re" bk-rotate --keep-last 1 "$@"
done <<'EOF'
--dir s3:// without a bucket|bad --dir "s3://"|--dir s3://
--dir s3:// without a bucket, a key|bad --dir "s3:///k"|--dir s3:///k
--dir s3:// with -m|-m and --dir cannot be used together|--dir s3://b/d -m m.jsonl
two folders|--dir names one folder, here or in a bucket|--dir s3://b/d --dir .
--dir s3:// with -T|--type needs a manifest; with --dir|--dir s3://b/d -T daily
EOF
keys $B daily/ >before
# ls --json asks first whether the bucket has object lock.
errline "an unreachable store: 69" 69 \
    "^bk-s3: error: could not read the object lock configuration of \"s3://$B/\": .*onnect" \
    env AWS_ENDPOINT_URL=http://127.0.0.1:1 AWS_MAX_ATTEMPTS=1 \
    bk-rotate --dir s3://$B/daily --keep-last 1 --delete
empty "... no decision printed" out
errline "a wrong secret: 77" 77 "^bk-s3: error: could not .*\"s3://$B/\": 403" \
    env AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY \
    bk-rotate --dir s3://$B/daily --keep-last 1 --delete
errline "a bucket that does not exist: 66" 66 "^bk-s3: error: could not .*\"s3://$B-none/\": 404" \
    bk-rotate --dir s3://$B-none/daily --keep-last 1 --delete
keys $B daily/ >after
same "... and nothing was deleted" after before
run bk-rotate -q --dir s3://$B/daily --keep-last 1
empty "-q: no decision printed" out
empty "... nor a warning" err

done_testing
