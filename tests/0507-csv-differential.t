#!/bin/sh
# bk-csv, one thread against three, on random inputs of several chunks
# (quotes, CRLF and LF, line breaks in fields, spaces, UTF-8), some with
# one random byte inserted: the same exit status, the same message, the
# same output; on valid inputs, the cells Python's csv module reads.
. "$(dirname "$0")/lib.sh"
need python3

cat >gen.py <<'PY'
import random, sys
seed = int(sys.argv[1]); random.seed(seed)
out = ['id,a,b\r\n' if seed % 2 else 'id,a,b\n']
alpha = ['x', 'é', ' ', ',', '"', '\n', '\r\n', 'ab']
for i in range(30000):
    fields = [str(i)]
    for j in range(2):
        k = random.random()
        if k < 0.3:
            v = ''.join(random.choice(alpha) for _ in range(random.randint(0, 8)))
            fields.append('"' + v.replace('"', '""') + '"')
        elif k < 0.4:
            fields.append('')
        else:
            fields.append(''.join(random.choice(['x', 'é', ' ', 'ab'])
                                  for _ in range(random.randint(0, 6))))
    out.append(','.join(fields) + random.choice(['\n', '\r\n']))
s = ''.join(out).encode()
if seed % 2 == 0:
    pos = random.randint(0, len(s) - 1)
    s = s[:pos] + random.choice([b'"', b',', b'\n', b'\xff', b'"x']) + s[pos:]
sys.stdout.buffer.write(s)
PY
cat >cells.py <<'PY'
import csv, sys
a = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
b = list(csv.reader(open(sys.argv[2], newline='', encoding='utf-8')))
sys.exit(a != b)
PY
for seed in 1 2 3 4 5 6; do
	python3 gen.py $seed >in.csv
	bk-csv -j 1 --count in.csv >o1 2>e1; r1=$?
	bk-csv -j 3 --count in.csv >o3 2>e3; r3=$?
	if [ $r1 = $r3 ] && cmp -s e1 e3 && { [ $r1 != 0 ] || cmp -s o1 o3; }; then
		pass "seed $seed: 1 and 3 threads agree (exit $r1)"
	else
		fail "seed $seed: 1 and 3 threads agree"; diag "exit $r1 $r3"
		sed 's/^/# /' e1 e3
	fi
	if [ $r1 = 0 ]; then
		ok "seed $seed: Python reads the same cells" python3 cells.py in.csv o1
	fi
done
done_testing
