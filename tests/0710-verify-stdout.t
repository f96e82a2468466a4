#!/bin/sh
# 0710-verify-stdout.t: bk-verify stops at the first line it cannot write
# (a full disk under standard output, a closed one), with 74, instead of
# reading the whole tree first and failing at exit.  The metrics file,
# written only at the end of a run, shows how far it went.
. "$(dirname "$0")/lib.sh"

mkdir tree
for i in 1 2 3 4 5; do
	printf 'id,n\n%s,x\n' "$i" >tree/f$i.csv
done
(cd tree && bk-manifest -q add f1.csv f2.csv f3.csv f4.csv f5.csv) ||
    fail "setup"
exits "a clean tree verifies" 0 bk-verify -m tree/manifest.jsonl

run sh -c 'exec bk-verify -m tree/manifest.jsonl -M tree/m.prom >/dev/full'
is "stdout on a full disk: exit 74" "$rc" 74
like "...saying so in one line" "$T/err" '^bk-verify: error: could not write standard output: No space left on device$'
ok "...at the first line: the run never reached its metrics" test ! -e tree/m.prom

run sh -c 'exec bk-verify -m tree/manifest.jsonl -M tree/m.prom >&-'
is "stdout closed: exit 74" "$rc" 74
ok "...at the first line as well" test ! -e tree/m.prom

done_testing
