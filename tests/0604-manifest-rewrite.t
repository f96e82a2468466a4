#!/bin/sh
# The manifest under stress: garbled lines survive rewrites, concurrent
# appends lose nothing.
. "$(dirname "$0")/lib.sh"

# A garbled line, a line of a future version, a line with a bad path.
printf 'a\n' >a.csv; printf 'b\n' >b.csv; printf 'c\n' >c.csv
bk-manifest add --created 2025-06-01T00:00:00Z a.csv b.csv
cat >>manifest.jsonl <<'EOF2'
{"path":"b2.csv","created":"2025-06-0
{"path":"future.csv","created":"2025-06-02T00:00:00+01:00","x-new":{"kept":[1,2,3]},"size":1}
{"path":"../../etc/passwd","created":"2025-06-02T00:00:00Z"}
EOF2
printf '\377\376 not text\n' >>manifest.jsonl
cp manifest.jsonl before
run bk-manifest list -F tsv
is "list still works" "$rc" 0
like "the garbled line is reported with its number" err \
    '^bk-manifest: warning: manifest.jsonl:3: invalid JSON'
like "the escaping path too" err 'manifest.jsonl:5: path "../../etc/passwd" is absolute or leaves'
like "binary junk too" err 'manifest.jsonl:6: '
is "good entries listed" "$(cut -f7 out | sort | tr '\n' ' ')" \
    "a.csv b.csv future.csv "
errline "--strict makes a bad line an error" 65 \
    '^bk-manifest: error: manifest.jsonl:3: invalid JSON' \
    bk-manifest --strict list
run bk-manifest report
like "report counts the bad lines" out '^3 lines of "manifest.jsonl" could not be parsed'

# A rewrite (remove) keeps every line it does not understand, verbatim.
bk-manifest -q remove a.csv
grep -av '"path":"a.csv"' before >want
same "remove rewrote only its own line" manifest.jsonl want
is "mode after the rewrite" "$(mode manifest.jsonl)" 600
ok "no temporary file left" test -z "$(ls -A | grep '^\.manifest')"
# And an append after a rewrite lands in the new file.
bk-manifest -q add c.csv
is "append after rewrite" "$(tail -1 manifest.jsonl | cut -c1-16)" '{"path":"c.csv",'

# A line too long to hold is refused by a rewrite, never dropped.
{ printf '{"path":"big","created":"2025-01-01T00:00:00Z","pad":"'
  head -c 1100000 /dev/zero | tr '\0' x; printf '"}\n'; } >>manifest.jsonl
cp manifest.jsonl before
run bk-manifest -q list
is "a long line is skipped by readers" "$rc" 0
errline "a long line stops a rewrite" 65 'longer than 1 MiB; refusing to rewrite' \
    bk-manifest -q remove c.csv
same "... and the manifest is untouched" manifest.jsonl before

# 16 concurrent writers, 100 files each (each process waits for the lock,
# then appends its 100 lines and fsyncs once).
rm manifest.jsonl
i=0
while [ $i -lt 16 ]; do
	mkdir d$i
	j=0; while [ $j -lt 100 ]; do echo "$i,$j" >d$i/f$j.csv; j=$((j + 1)); done
	i=$((i + 1))
done
i=0
while [ $i -lt 16 ]; do
	bk-manifest add -T daily d$i/*.csv || echo "d$i" >>failed &
	i=$((i + 1))
done
wait
ok "every add succeeded" test ! -e failed
is "1600 lines" "$(wc -l <manifest.jsonl)" 1600
is "1600 distinct paths" "$(sed 's/^{"path":"\([^"]*\)".*/\1/' manifest.jsonl | sort -u | wc -l)" 1600
run bk-manifest --strict list -F json
is "every line parses" "$rc" 0
is "... all of them" "$(wc -l <out)" 1600
if command -v python3 >/dev/null; then
	ok "python reads every line" python3 -c '
import json
n = sum(1 for l in open("manifest.jsonl") if json.loads(l)["type"] == "daily")
assert n == 1600, n'
else skip "no python3"; fi

# Concurrent writers while rewrites happen: appends are not lost.
( i=0; while [ $i -lt 10 ]; do bk-manifest remove d0/f$i.csv; i=$((i + 1)); done ) &
( j=0; while [ $j -lt 10 ]; do echo x >e$j.csv; bk-manifest add e$j.csv; j=$((j + 1)); done ) &
wait
is "removes and adds together" "$(wc -l <manifest.jsonl)" 1600
is "every new line present" "$(grep -c '"path":"e[0-9]*.csv"' manifest.jsonl)" 10
done_testing
