#!/bin/sh
# A broken pipe: a reader that exits early (head -c 100), after every
# streaming tool that writes to standard output.  The tool stops at once,
# quietly (SIGPIPE, as cat does, or exit 74 with one line), leaves nothing
# in TMPDIR and no temporary file; a recipe whose middle stage is cut
# short records nothing.  The invariants of faults/lib.sh hold after each
# run.
. "$(dirname "$0")/lib.sh"
need bash timeout sqlite3
. "$TESTS/faults/lib.sh"

gen_text 3000000 >in.txt
gzip -n -c in.txt >in.txt.gz
{ echo 'id,texto'; awk 'BEGIN { for (i = 1; i <= 60000; i++)
	printf "%d,\"linha %d, com texto\"\n", i, i }'; } >in.csv
bk-crypt --keygen -q -o key.txt && bk-crypt -y -i key.txt >key.pub ||
    { echo "Bail out! no age key"; exit 1; }
bk-crypt -R key.pub -o in.txt.age in.txt
sqlite3 app.db "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 60000)
    INSERT INTO t SELECT i, 'valor ' || i FROM s;"
new_tree tree
# A tree whose listings fill more than a pipe: 2000 lines, the files hard
# links to one.
new_tree big
$PY - big <<'PY'
import json, os, sys
os.chdir(sys.argv[1])
lines = open('manifest.jsonl').read().splitlines()
o = json.loads(lines[0])
with open('manifest.jsonl', 'a') as f:
    for i in range(2000):
        o['path'] = 'daily/x%d.csv' % i
        o['created'] = '2024-%02d-%02dT00:00:00Z' % (i % 12 + 1, i % 28 + 1)
        os.link('daily/old_20250101.csv', o['path'])
        f.write(json.dumps(o, separators=(',', ':')) + '\n')
PY
cp big/manifest.jsonl big.orig

# One line per streaming tool: a name, then the command (sh).
while IFS='|' read -r name cmd; do
	[ -n "$name" ] || continue
	begin_run "$T/tree" pipeline append
	echo "EPIPE" >"$T/fault.log"
	TMPDIR=$R_TMP timeout 60 bash -c "$cmd"' | head -c 100 >/dev/null
	    exit ${PIPESTATUS[0]}' >"$T/run.out" 2>"$T/run.err"
	R_RC=$?
	case $cmd in
	*/big/*)
		# Read only: the big tree as it was, and TMPDIR empty.
		cmp -s big/manifest.jsonl big.orig ||
		    viol lost "the manifest changed"
		[ -z "$(ls -A "$R_TMP")" ] || viol tmpdir "left in TMPDIR" ;;
	*)	check_run ;;
	esac
	case $R_RC in
	141)	[ ! -s "$T/run.err" ] ||
		    viol exit "killed by SIGPIPE, but said: $(head -1 "$T/run.err")" ;;
	74)	[ "$(wc -l <"$T/run.err")" -le 1 ] ||
		    viol exit "exit 74 with more than one line: $(head -2 "$T/run.err" | tr '\n' ' ')" ;;
	124)	viol exit "still writing after 60 s" ;;
	*)	viol exit "exit $R_RC after the reader left, wanted SIGPIPE (141) or 74: $(head -1 "$T/run.err")" ;;
	esac
	report_run "$name | head -c 100: exit $R_RC"
done <<EOF
bk-dump|bk-dump -D sqlite:$T/app.db --table t
bk-dump -F jsonl|bk-dump -D sqlite:$T/app.db --table t -F jsonl
bk-dump -F sqlite|bk-dump -D sqlite:$T/app.db -F sqlite
bk-csv|bk-csv $T/in.csv
bk-csv -F jsonl|bk-csv -F jsonl <$T/in.csv
bk-gz|bk-gz -c $T/in.txt
bk-gz -d|bk-gz -d -c $T/in.txt.gz
bk-crypt|bk-crypt -R $T/key.pub $T/in.txt
bk-crypt -d|bk-crypt -d -i $T/key.txt $T/in.txt.age
bk-sum --tee|bk-sum --tee <$T/in.txt 2>/dev/null
bk-manifest list|bk-manifest -q -m $T/big/manifest.jsonl list
bk-manifest list -F json|bk-manifest -q -m $T/big/manifest.jsonl list -F json

bk-rotate (dry run)|bk-rotate -m $T/big/manifest.jsonl --keep-last 1
EOF

# A recipe whose middle stage is cut short: nothing recorded, nothing at
# the final path that the scan does not report.
mkdir tree/2024_09
cat >recipe <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
bk-dump -D "sqlite:$2" --table t | head -c 200000 | bk-csv --excel -o "$3"
bk-manifest add -T monthly "$3"
EOF
begin_run "$T/tree" pipeline append 2024_09/cut.csv
echo "EPIPE" >"$T/fault.log"
TMPDIR=$R_TMP bash recipe "$T/tree" "$T/app.db" 2024_09/cut.csv \
    >"$T/run.out" 2>"$T/run.err"
R_RC=$?
check_run
[ "$R_RC" != 0 ] || viol exit "the recipe succeeded on a cut stream"
listed 2024_09/cut.csv && viol final "a cut stream was recorded"
report_run "bk-dump | head -c 200000 | bk-csv -o; add: exit $R_RC"

done_testing
