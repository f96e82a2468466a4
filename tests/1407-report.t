#!/bin/sh
# bk-manifest report, per type and per month: a manifest and a job
# journal written by hand (python) with known numbers over four months
# and four types (a gap month, a backup whose month is the one of its
# recorded offset, verifications and drills, failed and skipped runs, a
# type and a description that are HTML), then the text report line by
# line, the JSON against sums python makes from the same files, the
# period options, the HTML page (well-formed, nothing it would fetch or
# run, the hostile strings escaped) and the page in a real browser
# (Debian's chromium, headless: its screenshot is not blank, and the
# numbers of its rendered DOM are the JSON's), and a table of bad inputs.
. "$(dirname "$0")/lib.sh"
need python3 xmllint

mkdir tree
python3 - <<'EOF'
import json

lines = []
def backup(path, created, typ, size, **more):
    d = {"path": path, "created": created, "type": typ, "size": size,
         "sha256": "%064x" % len(lines)}
    d.update(more)
    lines.append(d)

# daily: 5 in January (the last at 23:30 -03:00 on the 31st, February in
# UTC), 4 in February (+10% each), none in March, 3 in April (+20% on
# February's).
for d in range(1, 5):
    backup("daily/erp_2025-01-%02d.sql.gz" % d,
           "2025-01-%02dT02:00:00-03:00" % d, "daily", 1000)
backup("daily/erp_2025-01-31.sql.gz", "2025-01-31T23:30:00-03:00", "daily",
       1000)
for d in range(1, 5):
    backup("daily/erp_2025-02-%02d.sql.gz" % d,
           "2025-02-%02dT02:00:00-03:00" % d, "daily", 1100)
for d in range(1, 4):
    backup("daily/erp_2025-04-%02d.sql.gz" % d,
           "2025-04-%02dT02:00:00-03:00" % d, "daily", 1320)
# weekly: 2, 2, 2, 1 of 5000, 4500, 4500, 5400; the last verification
# of the type failed, and two backups are failing.
for m, n, size in ((1, 2, 5000), (2, 2, 4500), (3, 2, 4500), (4, 1, 5400)):
    for k in range(n):
        day = 5 + 7 * k
        v = None
        if (m, k) == (1, 0):
            v = {"time": "2025-01-06T07:00:00Z", "result": "ok"}
        if (m, k) in ((2, 0), (3, 1)):
            v = {"time": "2025-%02d-%02dT07:00:00Z" % (m, day + 1),
                 "result": "fail", "reason": "sha256 mismatch"}
        extra = {"verified": v} if v else {}
        backup("weekly/erp_2025-%02d-%02d.sql.gz" % (m, day),
               "2025-%02d-%02dT03:00:00Z" % (m, day), "weekly", size, **extra)
# monthly: one in January, February, March, growing by 5%; drills.
for m, size in ((1, 20000), (2, 21000), (3, 22050)):
    extra = {}
    if m == 1:
        extra["drill"] = {"time": "2025-03-05T04:00:00+01:00",
                          "result": "ok", "records": 10, "tables": {"t": 10},
                          "checksum": "ab" * 32}
    if m == 2:
        extra["drill"] = {"time": "2025-04-02T04:00:00Z", "result": "failed",
                          "records": 0, "tables": {}, "checksum": "cd" * 32}
    backup("monthly/erp_2025-%02d.sql.gz" % m,
           "2025-%02d-28T04:00:00Z" % m, "monthly", size, **extra)
# Hostile strings: a type and a description that are HTML.
backup("manual/<b>x</b>.db", "2025-02-10T10:00:00Z",
       "<script>alert(\"t\")</script>", 77,
       description="<script>alert(1)</script> & \"quoted\" 'too'")
with open("tree/manifest.jsonl", "w") as f:
    for d in lines:
        f.write(json.dumps(d) + "\n")

runs = []
def run(job, typ, started, seconds, status):
    runs.append({"job": job, "type": typ, "started": started,
                 "ended": started, "seconds": seconds, "status": status})
# pg-daily: January 60 62 64 90, one failure and one skipped run;
# February 70 80 75, two failures; March two failures, nothing else;
# April 100 110 120 130.
for d, s in enumerate((60, 62, 64, 90), 1):
    run("pg-daily", "daily", "2025-01-%02dT02:00:00-03:00" % d, s, 0)
run("pg-daily", "daily", "2025-01-10T02:00:00-03:00", 5, 1)
run("pg-daily", "daily", "2025-01-11T02:00:00-03:00", 0, 75)
for d, s in enumerate((70, 80, 75), 1):
    run("pg-daily", "daily", "2025-02-%02dT02:00:00-03:00" % d, s, 0)
run("pg-daily", "daily", "2025-02-10T02:00:00-03:00", 3, 2)
run("pg-daily", "daily", "2025-02-11T02:00:00-03:00", 4, 69)
run("pg-daily", "daily", "2025-03-01T02:00:00-03:00", 4, 69)
run("pg-daily", "daily", "2025-03-02T02:00:00-03:00", 4, 69)
for d, s in enumerate((100, 110, 120, 130), 1):
    run("pg-daily", "daily", "2025-04-%02dT02:00:00-03:00" % d, s, 0)
# pg-weekly: 300 and 321 in January (a median of 310.5), 3700 (1h1m40s)
# in April.
run("pg-weekly", "weekly", "2025-01-05T03:00:00Z", 300, 0)
run("pg-weekly", "weekly", "2025-01-12T03:00:00Z", 321, 0)
run("pg-weekly", "weekly", "2025-04-05T03:00:00Z", 3700, 0)
# A job without a type: counted under its name.  Its last run is skipped.
run("drill", "", "2025-03-05T04:00:00+01:00", 600, 0)
run("drill", "", "2025-04-02T04:00:00Z", 30, 1)
run("drill", "", "2025-04-03T04:00:00Z", 0, 75)
with open("tree/jobs.jsonl", "w") as f:
    for d in runs:
        f.write(json.dumps(d) + "\n")
EOF
cd tree || exit 1

# ---- text, line by line ----
h='<script>alert("t")</script>'
cat >want <<EOF
TYPE                         COUNT       SIZE  OLDEST            NEWEST            FAILED
$h      1       77 B  2025-02-10 10:00  2025-02-10 10:00  0
daily                           12   13.0 KiB  2025-01-01 02:00  2025-04-03 02:00  0
monthly                          3   61.6 KiB  2025-01-28 04:00  2025-03-28 04:00  0
weekly                           7   32.6 KiB  2025-01-05 03:00  2025-04-05 03:00  2
all                             23  107.3 KiB  2025-01-01 02:00  2025-04-05 03:00  2

TYPE                        NEWEST BACKUP
$h manual/<b>x</b>.db (<script>alert(1)</script> & "quoted" 'too')
daily                       daily/erp_2025-04-03.sql.gz
monthly                     monthly/erp_2025-03.sql.gz
weekly                      weekly/erp_2025-04-05.sql.gz

TYPE                        LAST VERIFIED            LAST DRILL               LAST RUN
$h never                    never                    never
daily                       never                    never                    2025-04-04 02:00 ok
drill                       never                    never                    2025-04-03 04:00 skipped
monthly                     never                    2025-04-02 04:00 failed  never
weekly                      2025-03-13 07:00 fail    never                    2025-04-05 03:00 ok

TYPE                        MONTH    COUNT       SIZE  GROWTH   RUNS FAILED SKIPPED     MIN  MEDIAN     MAX
$h 2025-02      1       77 B       -      0      0       0       -       -       -
daily                       2025-01      5    4.9 KiB       -      6      1       1      1m    1m3s   1m30s
daily                       2025-02      4    4.3 KiB  +10.0%      5      2       0   1m10s   1m15s   1m20s
daily                       2025-03      0        0 B       -      2      2       0       -       -       -
daily                       2025-04      3    3.9 KiB  +20.0%      4      0       0   1m40s   1m55s   2m10s
drill                       2025-03      0        0 B       -      1      0       0     10m     10m     10m
drill                       2025-04      0        0 B       -      2      1       1       -       -       -
monthly                     2025-01      1   19.5 KiB       -      0      0       0       -       -       -
monthly                     2025-02      1   20.5 KiB   +5.0%      0      0       0       -       -       -
monthly                     2025-03      1   21.5 KiB   +5.0%      0      0       0       -       -       -
weekly                      2025-01      2    9.8 KiB       -      2      0       0      5m   5m11s   5m21s
weekly                      2025-02      2    8.8 KiB  -10.0%      0      0       0       -       -       -
weekly                      2025-03      2    8.8 KiB   +0.0%      0      0       0       -       -       -
weekly                      2025-04      1    5.3 KiB  +20.0%      1      0       0 1h1m40s 1h1m40s 1h1m40s

MONTH                        COUNT      ADDED      TOTAL
2025-01                          8   34.2 KiB   34.2 KiB
2025-02                          8   33.7 KiB   67.8 KiB
2025-03                          3   30.3 KiB   98.2 KiB
2025-04                          4    9.1 KiB  107.3 KiB
EOF
run bk-manifest report
is "report: exit 0" "$rc" 0
empty "... and nothing on stderr" "$T/err"
same "report: the text tables" "$T/out" want

# ---- JSON, against what python makes of the same two files ----
cat >"$T/check.py" <<'EOF'
# check.py REPORT.json [MONTH SINCE TYPE]: the report's numbers are the
# ones python counts in manifest.jsonl and jobs.jsonl for that period.
import json, statistics, sys
from datetime import datetime

rep = json.load(open(sys.argv[1]))
month_only, since, only = (sys.argv[2:] + [""] * 3)[:3]
when = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
man = [json.loads(l) for l in open("manifest.jsonl")]
jobs = [json.loads(l) for l in open("jobs.jsonl")]
errors = []
def check(what, got, want):
    if got != want:
        errors.append("%s: got %r, wanted %r" % (what, got, want))

def period(t):	# the month of a time is the one it was recorded in
    return ((not month_only or t[:7] == month_only) and
            (not since or when(t) >= when(since)))
for e in man:
    e["key"] = e["type"]
for j in jobs:
    j["key"] = j["type"] or j["job"]
keys = sorted({e["key"] for e in man if period(e["created"])} |
              {j["key"] for j in jobs if period(j["started"])})
if only:
    keys = [k for k in keys if k == only]
check("types", [t["type"] for t in rep["types"]], keys)

def seconds(runs):
    s = sorted(j["seconds"] for j in runs if j["status"] == 0)
    if not s:
        return None
    return {"min": s[0], "median": statistics.median(s), "max": s[-1]}

def counts(what, got, es, rs):
    check(what + " count", got["count"], len(es))
    check(what + " size", got["size"], sum(e["size"] for e in es))
    check(what + " failed", got["failed"], sum(1 for e in es
          if e.get("verified", {}).get("result") == "fail"))
    check(what + " runs", got["runs"], len(rs))
    check(what + " failed_runs", got["failed_runs"],
          sum(1 for j in rs if j["status"] not in (0, 75)))
    check(what + " skipped_runs", got["skipped_runs"],
          sum(1 for j in rs if j["status"] == 75))
    check(what + " seconds", got["seconds"], seconds(rs))

def newest(what, got, items, time, fields):
    items = [i for i in items if i is not None]
    if not items:
        check(what, got, None)
        return
    best = max(items, key=lambda i: when(time(i)))
    check(what + " time", when(got["time"]), when(time(best)))
    for k, v in fields(best).items():
        check(what + " " + k, got[k], v)

for t in rep["types"]:
    k = t["type"]
    es = [e for e in man if e["key"] == k and period(e["created"])]
    rs = [j for j in jobs if j["key"] == k and period(j["started"])]
    counts(k, t, es, rs)
    newest(k + " verified", t["verified"], [e.get("verified") for e in es],
           lambda v: v["time"], lambda v: {"result": v["result"]})
    newest(k + " drill", t["drill"], [e.get("drill") for e in es],
           lambda v: v["time"], lambda v: {"result": v["result"]})
    newest(k + " last run", t["last_run"], rs, lambda j: j["started"],
           lambda j: {"job": j["job"], "status": j["status"]})
    months = sorted({e["created"][:7] for e in es} |
                    {j["started"][:7] for j in rs})
    check(k + " months", [m["month"] for m in t["months"]], months)
    # The growth compares whole months: every backup of the type counts.
    whole = {}
    for e in man:
        if e["key"] == k:
            whole.setdefault(e["created"][:7], []).append(e["size"])
    mean = {m: (sum(v) + len(v) // 2) // len(v) for m, v in whole.items()}
    for m in t["months"]:
        mm = m["month"]
        counts(k + " " + mm, m,
               [e for e in es if e["created"][:7] == mm],
               [j for j in rs if j["started"][:7] == mm])
        check(k + " " + mm + " mean_size", m["mean_size"], mean.get(mm))
        before = [p for p in sorted(mean) if p < mm]
        check(k + " " + mm + " growth", m["growth"],
              mean[mm] - mean[before[-1]] if before and mm in mean else None)

es = [e for e in man if period(e["created"]) and (not only or e["key"] == only)]
rs = [j for j in jobs if period(j["started"]) and (not only or j["key"] == only)]
counts("all", rep["all"], es, rs)
check("count", rep["count"], len(es))
check("size", rep["size"], sum(e["size"] for e in es))
total = 0
months = sorted({e["created"][:7] for e in es} | {j["started"][:7] for j in rs})
check("months", [m["month"] for m in rep["months"]], months)
for m in rep["months"]:
    mes = [e for e in es if e["created"][:7] == m["month"]]
    counts(m["month"], m, mes,
           [j for j in rs if j["started"][:7] == m["month"]])
    total += sum(e["size"] for e in mes)
    check(m["month"] + " total", m["total"], total)
check("bad lines", (rep["bad_lines"], rep["bad_journal_lines"]), (0, 0))
check("journal", rep["journal"], "jobs.jsonl")
for e in errors:
    print("#   " + e)
sys.exit(1 if errors else 0)
EOF
run bk-manifest report -F json
is "report -F json: exit 0" "$rc" 0
cp "$T/out" all.json
ok "report -F json: every number is python's" python3 "$T/check.py" all.json
# A few numbers known by heart, in case both were wrong the same way.
got=$(python3 -c '
import json; r = json.load(open("all.json"))
t = {x["type"]: x for x in r["types"]}
d = {m["month"]: m for m in t["daily"]["months"]}
print(r["count"], r["size"], d["2025-02"]["growth"], d["2025-03"]["growth"],
      d["2025-04"]["growth"], d["2025-01"]["seconds"]["median"],
      d["2025-01"]["count"], t["drill"]["runs"], t["drill"]["skipped_runs"],
      t["weekly"]["verified"]["result"], t["monthly"]["drill"]["result"],
      r["months"][-1]["total"])')
is "... known numbers: counts, growth, median, runs, checks, total" "$got" \
    "23 109887 100 None 220 63 5 3 1 fail failed 109887"
like "... a median of two is their mean" all.json '"median": 63,$'
like "... or half a second more" all.json '"median": 310\.5,$'

# ---- the period ----
bk-manifest report -F json --month 2025-02 >feb.json
ok "--month 2025-02: python's numbers for February" python3 "$T/check.py" feb.json 2025-02
like "... the growth still against January" feb.json '"growth": 100,?$'
bk-manifest report -F json -S 2025-02-03T00:00:00Z >since.json
ok "-S 2025-02-03T00:00:00Z: python's numbers from then" \
    python3 "$T/check.py" since.json "" 2025-02-03T00:00:00Z
is "... February's daily backups and runs since the 3rd" \
    "$(python3 -c 'import json; t = json.load(open("since.json"))["types"][1]
m = t["months"][0]; print(t["type"], m["month"], m["count"], m["runs"], m["failed_runs"], m["seconds"], m["growth"])')" \
    "daily 2025-02 2 3 2 {'min': 75, 'median': 75, 'max': 75} 100"
bk-manifest report -F json -T weekly >weekly.json
ok "-T weekly: python's numbers for that type" python3 "$T/check.py" weekly.json "" "" weekly
bk-manifest report -F json -T drill --month 2025-04 >drill.json
ok "-T drill --month 2025-04: a job without a type, by its name" \
    python3 "$T/check.py" drill.json 2025-04 "" drill
bk-manifest report -T monthly -S 2025-02-01T00:00:00Z --month 2025-03 >"$T/out"
like "-T, -S and --month together: March's monthly backup" "$T/out" \
    '^monthly +2025-03 +1 +21\.5 KiB +\+5\.0% '
is "... and nothing else in that table" \
    "$(grep -c '^[a-z].* 2025-0[0-9] ' "$T/out")" 1

# ---- HTML: one page that stands alone ----
run bk-manifest report -F html
is "report -F html: exit 0" "$rc" 0
empty "... and nothing on stderr" "$T/err"
cp "$T/out" page.html
ok "... well-formed (xmllint, as XML)" xmllint --noout page.html
cat >"$T/tags.py" <<'EOF'
# tags.py PAGE: python's HTML parser finds every element closed in order,
# no script element, and the hostile strings as text.
import sys
from html.parser import HTMLParser

VOID = {"meta", "br"}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.text, self.scripts = [], [], [], 0
    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.scripts += tag == "script"
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append("</%s> at %s" % (tag, self.getpos()))
    def handle_data(self, data):
        self.text.append(data)
p = P()
p.feed(open(sys.argv[1]).read())
p.close()
text = "".join(p.text)
for want in ('<script>alert("t")</script>',
             "<script>alert(1)</script> & \"quoted\" 'too'",
             "manual/<b>x</b>.db"):
    if want not in text:
        p.errors.append("not shown as text: " + want)
if p.stack:
    p.errors.append("never closed: %s" % p.stack)
if p.scripts:
    p.errors.append("%d script elements" % p.scripts)
for e in p.errors:
    print("#   " + e)
sys.exit(1 if p.errors else 0)
EOF
ok "... every element closed, no script, the hostile strings as text" \
    python3 "$T/tags.py" page.html
unlike "... nothing to run or fetch: no script, link, URL, import" page.html \
    '<(script|link|img|iframe|object|embed|base)|https?:|@import|url\(|[[:space:]](src|href|on[a-z]+)='
like "... the hostile description escaped" page.html \
    '&lt;script&gt;alert\(1\)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;too&#39;'
like "... the hostile type escaped, in an attribute too" page.html \
    'data-type="&lt;script&gt;alert\(&quot;t&quot;\)&lt;/script&gt;"'
is "... two charts" "$(grep -c '^<svg ' page.html)" 2
like "... the style inline" page.html '^<style>$'

# ---- the page in a real browser ----
if command -v chromium >/dev/null 2>&1; then
	# Its profile, cache and crash reports stay in the test's folder.
	chrome() {
		HOME=$T timeout 300 chromium --headless --disable-gpu \
		    --no-sandbox --no-first-run --user-data-dir="$T/chrome" \
		    "$@" "file://$T/tree/page.html"
	}
	chrome --screenshot="$T/shot.png" --window-size=1200,1600 \
	    >"$T/chrome.out" 2>&1
	ok "chromium takes a screenshot of the page" test -s "$T/shot.png"
	cat >"$T/png.py" <<'EOF'
# png.py FILE W H COLOUR...: FILE is a W x H PNG (8-bit RGB or RGBA) that
# is not one colour, and has pixels of each COLOUR (rrggbb): the bars.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype = ihdr[:4]
if (w, h) != (int(sys.argv[2]), int(sys.argv[3])):
    sys.exit("# size %dx%d" % (w, h))
if depth != 8 or ctype not in (2, 6):
    sys.exit("# depth %d, colour type %d" % (depth, ctype))
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, colours = bytearray(stride), set()
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else
                                  b if pb <= pc else c)) & 255
    colours.update(bytes(line[i:i + 3]).hex() for i in range(0, stride, bpp))
    prev = line
if len(colours) < 2:
    sys.exit("# one colour")
missing = [c for c in sys.argv[4:] if c not in colours]
if missing:
    sys.exit("# no pixel of %s (%d colours)" % (missing, len(colours)))
EOF
	# daily's bars are the second colour, weekly's the fifth.
	ok "... a 1200x1600 PNG, not blank, with the bars of the charts" \
	    python3 "$T/png.py" "$T/shot.png" 1200 1600 f28e2b 59a14f
	chrome --dump-dom >dom.html 2>"$T/chrome.err"
	ok "chromium renders the page's DOM" test -s dom.html
	cat >"$T/dom.py" <<'EOF'
# dom.py DOM REPORT.json: the numbers in the tables of the rendered DOM
# are the JSON report's, row for row.
import json, sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.table, self.rows, self.row, self.cell, self.scripts = None, [], None, None, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.scripts += tag == "script"
        if tag == "table":
            self.table = a.get("id")
        elif tag == "tr" and ("data-type" in a or "data-month" in a or
                              "data-all" in a):
            self.row = {"table": self.table, "attrs": a, "cells": {}}
            self.rows.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = (a.get("class", "").split() or [""])[0]
            self.row["cells"][self.cell] = dict(a, text="")
    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.cell = None
        elif tag == "tr":
            self.row = None
    def handle_data(self, data):
        if self.row is not None and self.cell is not None:
            self.row["cells"][self.cell]["text"] += data

p = P()
p.feed(open(sys.argv[1]).read())
rep = json.load(open(sys.argv[2]))
errors = []
def check(what, got, want):
    if got != want:
        errors.append("%s: got %r, wanted %r" % (what, got, want))
def num(c):
    return int(c["text"])
def secs(c, v):
    return c["text"] == "-" if v is None else float(c["data-seconds"]) == v

types = {t["type"]: t for t in rep["types"]}
seen = {"types": 0, "checks": 0, "months-by-type": 0, "months": 0}
for r in p.rows:
    c, a, tb = r["cells"], r["attrs"], r["table"]
    seen[tb] += 1
    if tb in ("types", "checks"):
        t = rep["all"] if "data-all" in a else types[a["data-type"]]
        what = tb + " " + a.get("data-type", "all")
        if tb == "types":
            check(what + " count", num(c["count"]), t["count"])
            check(what + " size", int(c["size"]["data-bytes"]), t["size"])
            check(what + " failed", num(c["vfail"]), t["failed"])
        else:
            for k, j in (("runs", "runs"), ("failed", "failed_runs"),
                         ("skipped", "skipped_runs")):
                check(what + " " + k, num(c[k]), t[j])
    elif tb == "months-by-type":
        m = {x["month"]: x for x in types[a["data-type"]]["months"]}[a["data-month"]]
        what = a["data-type"] + " " + a["data-month"]
        check(what + " count", num(c["count"]), m["count"])
        check(what + " size", int(c["size"]["data-bytes"]), m["size"])
        check(what + " growth", int(c["growth"]["data-bytes"])
              if "data-bytes" in c["growth"] else None, m["growth"])
        for k, j in (("runs", "runs"), ("failed", "failed_runs"),
                     ("skipped", "skipped_runs")):
            check(what + " " + k, num(c[k]), m[j])
        for k in ("min", "median", "max"):
            s = m["seconds"]
            if not secs(c[k], s and s[k]):
                errors.append("%s %s: %r, wanted %r" % (what, k, c[k], s))
    elif tb == "months":
        m = {x["month"]: x for x in rep["months"]}[a["data-month"]]
        check("month " + m["month"] + " count", num(c["count"]), m["count"])
        check("month " + m["month"] + " size", int(c["size"]["data-bytes"]), m["size"])
        check("month " + m["month"] + " total", int(c["total"]["data-bytes"]), m["total"])
check("types rows", seen["types"], sum(1 for t in rep["types"] if t["count"]) + 1)
check("checks rows", seen["checks"], len(rep["types"]) + 1)
check("months-by-type rows", seen["months-by-type"],
      sum(len(t["months"]) for t in rep["types"]))
check("months rows", seen["months"], sum(1 for m in rep["months"] if m["count"]))
check("script elements", p.scripts, 0)
for e in errors:
    print("#   " + e)
sys.exit(1 if errors else 0)
EOF
	ok "... and the numbers of its tables are the JSON's" \
	    python3 "$T/dom.py" dom.html all.json
	like "... the hostile type shown as text" dom.html \
	    '<td class="l">&lt;script&gt;alert\("t"\)&lt;/script&gt;</td>'
else
	skip "chromium is not installed: the page is not opened in a browser"
fi

# ---- the journal: beside the manifest, or named ----
mkdir -p "$T/other/sub"
cp manifest.jsonl "$T/other/sub/"
bk-manifest -m "$T/other/sub/manifest.jsonl" report -F json >"$T/out"
like "no jobs.jsonl beside the manifest: no journal" "$T/out" '"journal": null,'
like "... and no runs" "$T/out" '"runs": 0,'
head -3 jobs.jsonl >"$T/other/sub/jobs.jsonl"
(cd "$T/other" && bk-manifest -m sub/manifest.jsonl report -F json) >"$T/out"
like "jobs.jsonl beside -m's manifest is read" "$T/out" '"journal": "sub/jobs.jsonl",'
bk-manifest report -F json --jobs "$T/other/sub/jobs.jsonl" >"$T/out"
like "--jobs names another" "$T/out" "\"journal\": \"$T/other/sub/jobs.jsonl\","
is "... whose three runs count" "$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["all"]["runs"])' "$T/out")" 3
printf '\n  \n' >"$T/blank.jsonl"
exits "a journal of blank lines is an empty one" 0 \
    bk-manifest report --jobs "$T/blank.jsonl"
empty "... without a word" "$T/err"

# ---- bad journal lines: a warning each, the line skipped and counted;
# with --strict an error (65) ----
good='{"job":"pg-daily","type":"daily","started":"2025-05-01T02:00:00Z","ended":"2025-05-01T02:01:00Z","seconds":60,"status":0}'
while IFS='|' read -r name line why; do
	printf '%s\n%s\n' "$good" "$line" >bad.jsonl
	errline "bad journal line, $name: a warning" 0 \
	    "^bk-manifest: warning: bad\\.jsonl:2: $why \\(line ignored\\)\$" \
	    bk-manifest report --jobs bad.jsonl
	like "... the line counted at the end" "$T/out" \
	    '^1 line of "bad\.jsonl" could not be parsed$'
	like "... and the good line's run still there" "$T/out" \
	    '^daily +2025-05 +0 +0 B +- +1 +0 +0 +1m +1m +1m$'
	errline "... with --strict: exit 65" 65 \
	    "^bk-manifest: error: bad\\.jsonl:2: $why\$" \
	    bk-manifest --strict report --jobs bad.jsonl
done <<'EOF'
cut short|{"job":"pg-daily","type":"daily","sta|invalid JSON at column [0-9]+: .*
not an object|["pg-daily", 0]|not a JSON object
no job|{"type":"daily","started":"2025-05-02T02:00:00Z","seconds":1,"status":0}|field "job" is missing or not a name
an empty job|{"job":"","started":"2025-05-02T02:00:00Z","seconds":1,"status":0}|field "job" is missing or not a name
a type that is a number|{"job":"x","type":3,"started":"2025-05-02T02:00:00Z","seconds":1,"status":0}|field "type" is not a string
no start|{"job":"x","seconds":1,"status":0}|field "started" is missing or not an RFC 3339 date
a start in words|{"job":"x","started":"yesterday","seconds":1,"status":0}|field "started" is missing or not an RFC 3339 date
a 13th month|{"job":"x","started":"2025-13-01T00:00:00Z","seconds":1,"status":0}|field "started" is missing or not an RFC 3339 date
negative seconds|{"job":"x","started":"2025-05-02T02:00:00Z","seconds":-1,"status":0}|field "seconds" is missing or not a whole number of seconds
seconds as text|{"job":"x","started":"2025-05-02T02:00:00Z","seconds":"60","status":0}|field "seconds" is missing or not a whole number of seconds
a fraction of a second|{"job":"x","started":"2025-05-02T02:00:00Z","seconds":1.5,"status":0}|field "seconds" is missing or not a whole number of seconds
no status|{"job":"x","started":"2025-05-02T02:00:00Z","seconds":1}|field "status" is missing or not an exit status \(0 to 255\)
status 256|{"job":"x","started":"2025-05-02T02:00:00Z","seconds":1,"status":256}|field "status" is missing or not an exit status \(0 to 255\)
EOF
printf '%s\n{"job":"x",\0"started":1}\n' "$good" >bad.jsonl
errline "bad journal line, a NUL byte: a warning" 0 \
    '^bk-manifest: warning: bad\.jsonl:2: a NUL byte \(line ignored\)$' \
    bk-manifest report --jobs bad.jsonl
printf '%s\n' "$good" '{"job":' '[]' "$good" >bad.jsonl
run bk-manifest -q report -F json --jobs bad.jsonl
is "-q: no warnings" "$(cat "$T/err")" ""
like "... the bad lines counted in the JSON" "$T/out" '"bad_journal_lines": 2$'
like "... and the good ones read" "$T/out" '"runs": 2,'
bk-manifest -q report -F html --jobs bad.jsonl >bad.html
like "... and said in the page" bad.html '2 lines of <code>bad\.jsonl</code> could not be parsed'

# ---- bad command lines and outputs ----
errline "--jobs naming no file: 66" 66 \
    '^bk-manifest: error: could not open journal "nope\.jsonl": No such file or directory$' \
    bk-manifest report --jobs nope.jsonl
errline "--jobs naming a folder: 74" 74 \
    '^bk-manifest: error: could not read journal "\.": Is a directory$' \
    bk-manifest report --jobs .
while IFS='|' read -r name re args; do
	# shellcheck disable=SC2086
	usage "$name" "$re" bk-manifest $args
done <<'EOF'
an unknown format|unknown format "xml"|report -F xml
list's format for report|report's formats are text, json and html|report -F table
html for list|list's formats are table, tsv and json|list -F html
html for info|info's formats are text and json|info -F html daily/erp_2025-01-01.sql.gz
a 13th month|bad --month "2025-13" \(want YYYY-MM\)|report --month 2025-13
a month of one digit|bad --month "2025-1" \(want YYYY-MM\)|report --month 2025-1
a day for a month|bad --month "2025-01-01" \(want YYYY-MM\)|report --month 2025-01-01
a date in words|could not parse date "yesterday"|report -S yesterday
a file name|report takes no file names|report manifest.jsonl
--jobs for list|option --jobs does not apply to list|list --jobs jobs.jsonl
--month for add|option --month does not apply to add|add --month 2025-01 x
EOF
for f in text json html; do
	exits "report -F $f to a full disk: 74" 74 \
	    sh -c "bk-manifest report -F $f >/dev/full"
done

done_testing
