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
