#!/bin/sh
# bk-manifest: options, add, list, info, report, remove, refusals, exit codes.
. "$(dirname "$0")/lib.sh"

# --help, --version, bad options.
run bk-manifest --help
is "--help exits 0" "$rc" 0
like "--help shows the usage" out '^usage: bk-manifest \[-qv\]'
run bk-manifest add --help
is "add --help exits 0" "$rc" 0
run bk-manifest --version
like "--version" out '^bk-manifest \(bk\) [0-9]'
exits "bad option exits 64" 64 bk-manifest --bogus list
empty "bad option: stdout empty" out
exits "bad command option exits 64" 64 bk-manifest list --bogus
empty "bad command option: stdout empty" out
# usage_error NAME REGEX CMD...: exit 64, stdout empty, the reason first.
usage_error() {
	_name=$1 _re=$2; shift 2
	run "$@"
	if [ "$rc" = 64 ] && [ ! -s out ] && head -1 err | grep -Eq -- "$_re"
	then pass "$_name"
	else fail "$_name"; diag "exit $rc: $*"; sed 's/^/#   /' err | head -3; fi
}
usage_error "missing command" 'missing command' bk-manifest
usage_error "unknown command" 'unknown command "frob"' bk-manifest frob
usage_error "option of another command" \
    'option --records does not apply to list' bk-manifest list --records 3
usage_error "add without files" 'add needs a file name' bk-manifest add
usage_error "bad --limit" 'bad count' bk-manifest list --limit x
usage_error "a signed --limit" 'bad count' bk-manifest list --limit +2
usage_error "bad --wait" 'bad number of seconds' bk-manifest -w soon list
# The rows every tool taking -w shares (bk_parse_wait): message and hint.
for w in -1 1.5 ' 5' 2147483648; do
	run bk-manifest -w "$w" list
	is "a bad --wait \"$w\": 64, the shared message and the hint" \
	    "$rc|$(cat err)|$(cat out)" "64|bk-manifest: error: bad number of seconds \"$w\"
Try 'bk-manifest --help' for more information.|"
done
usage_error "reserved attribute" '"size" has its own option' \
    bk-manifest add --attribute size=3 x
usage_error "bad --created" 'could not parse date' \
    bk-manifest add --created yesterday x

# A small tree with fixed times, so that the outputs are golden.
mkdir -p daily weekly manual
printf 'id,valor\n1,10.00\n2,"20,00"\n3,30.00\n' >daily/db_2025-06-27.csv
gzip -nc daily/db_2025-06-27.csv >weekly/db_2025-06-22.csv.gz
printf 'CREATE TABLE t (a int);\n' >manual/before-v2.sql
ok "add daily" bk-manifest add -T daily -u cron --created 2025-06-27T02:00:00+02:00 \
    --source 'postgresql://app:s3cret@db/erp?sslmode=require' daily/db_2025-06-27.csv
ok "add weekly" bk-manifest add -T weekly -u cron --created 2025-06-22T03:00:00+02:00 \
    weekly/db_2025-06-22.csv.gz
ok "add manual" bk-manifest add -T manual -u admin --description "Before migration" \
    --attribute database_version=1 --created 2025-05-30T16:45:10-03:00 manual/before-v2.sql
is "manifest is 0600" "$(mode manifest.jsonl)" 600
exits "--wait unlimited is read" 0 bk-manifest -w unlimited list
exits "--wait 0 is read" 0 bk-manifest --wait=0 list
unlike "the password never reaches the manifest" manifest.jsonl s3cret
like "the rest of the source is kept, as libpq read it" manifest.jsonl \
    '"source":"dbname=erp user=app host=db sslmode=require"'

size_w=$(wc -c <weekly/db_2025-06-22.csv.gz)
cat >want <<EOF
CREATED           TYPE    SIZE  RECORDS  VERIFIED  PATH
2025-06-27 02:00  daily   35 B        3  -         daily/db_2025-06-27.csv
2025-06-22 03:00  weekly  $size_w B        3  -         weekly/db_2025-06-22.csv.gz
2025-05-30 16:45  manual  24 B        -  -         manual/before-v2.sql
EOF
bk-manifest list -F table >got
same "list --table" got want

sum_d=$(sha256sum daily/db_2025-06-27.csv | cut -c1-64)
sum_w=$(sha256sum weekly/db_2025-06-22.csv.gz | cut -c1-64)
sum_m=$(sha256sum manual/before-v2.sql | cut -c1-64)
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    2025-06-27T02:00:00+02:00 daily 35 3 "" "$sum_d" daily/db_2025-06-27.csv \
    2025-06-22T03:00:00+02:00 weekly "$size_w" 3 "" "$sum_w" weekly/db_2025-06-22.csv.gz \
    2025-05-30T16:45:10-03:00 manual 24 "" "" "$sum_m" manual/before-v2.sql >want
bk-manifest list >got
same "list to a pipe is TSV, newest first" got want
bk-manifest list -F tsv --type weekly >got
is "list --type" "$(cut -f7 got)" weekly/db_2025-06-22.csv.gz
bk-manifest list -F tsv --since 2025-06-01 >got
is "list --since" "$(cut -f7 got | tr '\n' ' ')" \
    "daily/db_2025-06-27.csv weekly/db_2025-06-22.csv.gz "
bk-manifest list -F tsv --limit 1 >got
is "list --limit" "$(wc -l <got)" 1
bk-manifest list -F json >got
is "list -F json gives the lines newest first" \
    "$(sed -n 1p got)" "$(sed -n 1p manifest.jsonl)"
is "list -F json: one line each" "$(wc -l <got)" 3
if command -v python3 >/dev/null; then
	ok "list -F json parses" python3 -c '
import json, sys
for l in open("got"): json.loads(l)'
else skip "no python3"; fi

cat >want <<EOF
path:        manual/before-v2.sql
created:     2025-05-30T16:45:10-03:00
type:        manual
size:        24 (24 B)
sha256:      $sum_m
layers:      sql
records:     -
description: Before migration
created_by:  admin
source:      -
verified:    never
database_version: 1
EOF
bk-manifest info manual/before-v2.sql >got
same "info" got want
(cd manual && bk-manifest -m ../manifest.jsonl info before-v2.sql) >got
same "info names the file from another folder" got want

# Seed 001's metadata, as JSON: every field it kept has a place.
cat >want <<EOF
{
  "path": "manual/before-v2.sql",
  "created": "2025-05-30T16:45:10-03:00",
  "type": "manual",
  "size": 24,
  "sha256": "$sum_m",
  "layers": [
    "sql"
  ],
  "description": "Before migration",
  "created_by": "admin",
  "database_version": "1"
}
EOF
bk-manifest info -F json manual/before-v2.sql >got
same "info -F json (seed 001's metadata)" got want

cat >want <<EOF
TYPE            COUNT       SIZE  OLDEST            NEWEST            FAILED
daily               1       35 B  2025-06-27 02:00  2025-06-27 02:00  0
manual              1       24 B  2025-05-30 16:45  2025-05-30 16:45  0
weekly              1       $size_w B  2025-06-22 03:00  2025-06-22 03:00  0
all                 3      $((59 + size_w)) B  2025-05-30 16:45  2025-06-27 02:00  0

TYPE           NEWEST BACKUP
daily          daily/db_2025-06-27.csv
manual         manual/before-v2.sql (Before migration)
weekly         weekly/db_2025-06-22.csv.gz

TYPE           LAST VERIFIED            LAST DRILL               LAST RUN
daily          never                    never                    never
manual         never                    never                    never
weekly         never                    never                    never

TYPE           MONTH    COUNT       SIZE  GROWTH   RUNS FAILED SKIPPED     MIN  MEDIAN     MAX
daily          2025-06      1       35 B       -      0      0       0       -       -       -
manual         2025-05      1       24 B       -      0      0       0       -       -       -
weekly         2025-06      1       $size_w B       -      0      0       0       -       -       -

MONTH           COUNT      ADDED      TOTAL
2025-05             1       24 B       24 B
2025-06             2       $((35 + size_w)) B      $((59 + size_w)) B
EOF
bk-manifest report >got
same "report" got want
bk-manifest report -F json >got
like "report -F json: types" got '"type": "daily"'
like "report -F json: months with running total" got '"total": '$((59 + size_w))'$'
like "report -F json: bad lines" got '"bad_lines": 0'

# Environment and -m name the manifest; -m wins.
cp manifest.jsonl other.jsonl
BK_MANIFEST=other.jsonl bk-manifest remove manual/before-v2.sql
is "BK_MANIFEST names the manifest" "$(wc -l <other.jsonl)" 2
is "... and the default one is untouched" "$(wc -l <manifest.jsonl)" 3
BK_MANIFEST=nosuch.jsonl bk-manifest -m other.jsonl list >got
is "-m wins over BK_MANIFEST" "$(wc -l <got)" 2

# Refusals: exit code and one line each.
echo x >"$T/loose.csv"
mkdir sub && ln -s ../daily/db_2025-06-27.csv sub/link.csv
errline "missing file" 66 'could not open "nope.csv": No such file' \
    bk-manifest add nope.csv
errline "already listed" 73 'already listed in "manifest.jsonl" \(line 1\)' \
    bk-manifest add daily/db_2025-06-27.csv
errline "outside the tree" 65 "outside the manifest's folder" \
    bk-manifest -m daily/m.jsonl add manual/before-v2.sql
errline "dot-dot out of the tree" 65 "outside the manifest's folder" \
    bk-manifest -m daily/m.jsonl add daily/../manual/before-v2.sql
errline "a symlink" 65 'a symbolic link' bk-manifest add sub/link.csv
errline "a folder" 65 'not a regular file' bk-manifest add daily
errline "the manifest itself" 65 'the manifest itself' \
    bk-manifest add manifest.jsonl
printf 'CREATE TABLE t (a int);\n' >manual/x
errline "named twice" 64 'named twice' bk-manifest add manual/x ./manual/x
errline "records disagree" 65 '5 records given, 3 counted' \
    bk-manifest -m other.jsonl add --records 5 daily/db_2025-06-27.csv
echo secret >manual/locked.sql; chmod 000 manual/locked.sql
if [ "$(id -u)" != 0 ]; then
	errline "unreadable file" 77 'Permission denied' \
	    bk-manifest add manual/locked.sql
else skip "root reads everything"; fi
chmod 600 manual/locked.sql
errline "info of an unlisted file" 1 'is not listed' bk-manifest info manual/x
errline "remove of an unlisted file" 1 'is not listed' \
    bk-manifest remove manual/x
errline "missing manifest" 66 'could not open manifest "none.jsonl"' \
    bk-manifest -m none.jsonl list
errline "manifest folder missing" 66 'could not open the folder' \
    bk-manifest -m nodir/m.jsonl list
ok "nothing was added by the refusals" test "$(wc -l <manifest.jsonl)" = 3

# A batch is all or nothing.
exits "batch with a missing file" 66 bk-manifest add manual/x nope.csv
is "... adds none" "$(wc -l <manifest.jsonl)" 3

# The lock: busy with --no-wait or after --wait is 75.
if command -v flock >/dev/null; then
	hold_lock manifest.jsonl
	errline "lock busy with --no-wait" 75 'another process holds it' \
	    bk-manifest --no-wait add manual/x
	errline "lock busy after --wait 1" 75 'another process holds it' \
	    bk-manifest -w 1 add manual/x
	run bk-manifest --no-wait list
	is "readers share the lock... not with a writer" "$rc" 75
	release_lock
	ok "lock free again" bk-manifest --no-wait add --created 2025-06-28T10:00:00Z manual/x
else skip "no flock"; skip "no flock"; skip "no flock"; skip "no flock"; fi

# remove: the line, then --delete the file too.
ok "remove a line" bk-manifest remove manual/x
ok "... the file stays" test -f manual/x
is "... the line is gone" "$(grep -c '"manual/x"' manifest.jsonl)" 0
bk-manifest add --created 2025-06-28T10:00:00Z manual/x
ok "remove --delete" bk-manifest remove --delete manual/x
ok "... the file is gone" test ! -e manual/x
ok "remove --delete of an already missing file" sh -c '
	printf "a\n" >manual/y && bk-manifest add manual/y && rm manual/y &&
	bk-manifest remove --delete manual/y'
# A symlinked folder in the tree is never followed by --delete.
mkdir -p tree elsewhere && echo keep >elsewhere/db.sql
printf '{"path":"ext/db.sql","created":"2025-01-01T00:00:00Z"}\n' >tree/m.jsonl
ln -s ../elsewhere tree/ext
run bk-manifest -m tree/m.jsonl remove --delete ext/db.sql
is "remove --delete through a symlinked folder fails" "$rc" 74
like "... saying why" err 'could not remove "ext/db.sql"'
ok "... and the file outside survives" test -f elsewhere/db.sql
is "... while the line is gone" "$(grep -c ext/db.sql tree/m.jsonl)" 0

# -q, -v, /dev/full, a broken pipe.
printf 'a\n' >manual/z
run bk-manifest -q add manual/z
empty "-q add: no output" out
empty "-q add: no message" err
run bk-manifest -v remove manual/z
like "-v says what it did" err 'removed the line of "manual/z"'
if [ -w /dev/full ]; then
	exits "list to /dev/full" 74 sh -c 'bk-manifest list >/dev/full'
	exits "report to /dev/full" 74 sh -c 'bk-manifest report >/dev/full'
else skip "no /dev/full"; skip "no /dev/full"; fi
for i in $(seq 200); do
	printf '{"path":"p%d","created":"2025-01-01T00:00:00Z"}\n' "$i"
done >>manifest.jsonl
run sh -c 'bk-manifest list -F table | head -1'
is "a broken pipe: quiet" "$(cat err)" ""
# From a subfolder of the tree, add finds the tree's manifest above, as git
# finds its repository: no second manifest is made beside the file.
n0=$(wc -l <manifest.jsonl)
printf 'id\n1\n' >daily/from_sub.csv
run sh -c 'cd daily && bk-manifest add -T daily from_sub.csv'
is "add from a subfolder exits 0" "$rc" 0
ok "... makes no second manifest" test ! -e daily/manifest.jsonl
is "... appends to the tree's" "$(wc -l <manifest.jsonl)" $((n0 + 1))
like "... with the path from the tree's root" manifest.jsonl '"path":"daily/from_sub\.csv"'
done_testing
