#!/bin/sh
# bk-csv's parallel reading: inputs of many chunks, with quoted line
# breaks, CRLF and multi-byte characters everywhere, give the same output
# and count whatever the thread count, and the cells Python reads.
. "$(dirname "$0")/lib.sh"

# About 2.4 MiB: ten chunks of the reader.
awk 'BEGIN { srand(3); printf "id,texto,valor,nota\r\n"
    for (i = 0; i < 80000; i++) {
	r = int(rand() * 6)
	if (r == 0) t = "\"várias\nlinhas, \"\"aspas\"\"\r\nfim\""
	else if (r == 1) t = "\"\""
	else if (r == 2) t = ""
	else if (r == 3) t = " espaço "
	else if (r == 4) t = "\"=1+" i "\""
	else t = "ação ✓ " i
	printf "%d,%s,%.2f,\"%s\"%s", i, t, rand() * 2000 - 1000, \
	    (i % 7 ? "n" : "\n\n"), (i % 3 ? "\r\n" : "\n") } }' >big.csv
ok "the input spans many chunks" test "$(wc -c <big.csv)" -gt 2000000

run bk-csv -j 1 --count big.csv
is "one thread: exit 0" "$rc" 0
is "one thread: 80000 records" "$(cat err)" 80000
mv out one.csv
for p in 2 3 8; do
	run bk-csv -j $p --count big.csv
	same "$p threads: the same bytes as one" out one.csv
	is "$p threads: the same count" "$(cat err)" 80000
done
run sh -c 'bk-csv -j 4 <big.csv'
same "a pipe on stdin gives the same bytes" out one.csv
run bk-csv -j 4 --excel big.csv
bk-csv -j 1 --excel big.csv >xl1.csv
same "--excel: the same bytes with 1 and 4 threads" out xl1.csv

cat >cells.py <<'PY'
import csv, sys
def cells(name):
    with open(name, newline='', encoding='utf-8-sig') as f:
        return list(csv.reader(f))
a, b = cells(sys.argv[1]), cells(sys.argv[2])
print('same' if a == b else 'differ at row %d' % next(i for i in range(min(len(a), len(b))) if a[i] != b[i]) if len(a) == len(b) else 'rows %d %d' % (len(a), len(b)))
PY
if command -v python3 >/dev/null; then
	is "Python's csv reads the same cells in and out" "$(python3 cells.py big.csv one.csv)" same
else
	skip "python3 missing"
fi
# A very long record among short ones: the reader grows a chunk for it.
awk 'BEGIN { print "a,b"; for (i = 0; i < 1000; i++) print i ",x"
    printf "long,\"x,"; for (i = 0; i < 100000; i++) printf "0123456789"; print "\""
    for (i = 0; i < 1000; i++) print i ",y" }' >long.csv
run bk-csv -j 4 --count long.csv
ok "a 1 MB field passes through" cmp -s out long.csv
is "and is counted once" "$(cat err)" 2001
done_testing
