#!/bin/sh
# Scheduling the jobs of bk(7) recipe 3: the systemd units of
# examples/systemd checked by systemd-analyze verify (and a broken copy
# refused, so that the check can fail), the timers' and the crontab's
# times; two runs of examples/pg-backup.sh daily at once through
# examples/bk-job.sh against
# the harness's PostgreSQL, the first held inside pg_dump by a table lock:
# exactly one runs, the other says so in one line and exits 75; then a
# failing job and examples/bk-notify.sh, the OnFailure= notifier, through
# a fake sendmail and through the real curl to a local HTTP listener, the
# webhook's secrets never on curl's command line; bad inputs of both.
. "$(dirname "$0")/lib.sh"
need_pg
need bash flock pg_dump createdb dropdb systemd-analyze curl python3 \
    shellcheck iconv

ex=$TOP/examples
P=s1410
hook=
cleanup() { dropdb --if-exists ${P}_db 2>/dev/null; }
cleanup
trap '[ -n "$hook" ] && kill "$hook" 2>/dev/null; cleanup; cd /; rm -rf "$T"' EXIT

ok "the scripts are shellcheck-clean" \
    shellcheck "$ex/bk-job.sh" "$ex/pg-backup.sh" "$ex/bk-notify.sh"

# ---- the systemd units ----
# The units and the crontab name their scripts under /usr/local/lib/bk/;
# each must be one of examples/, executable.
for f in "$ex"/systemd/* "$ex/crontab"; do
	for s in $(grep -o '/usr/local/lib/bk/[^ ]*' "$f" | sort -u); do
		ok "${f##*/} runs ${s##*/}, an executable of examples/" \
		    test -x "$ex/${s##*/}"
	done
done
# verify_units DIR: systemd-analyze verify on copies of DIR's units in
# $T/NAME.v, the scripts taken from examples/: exit 0 and not a word (it
# only warns about a value it cannot parse), its output in $T/NAME.out.
# --man=no: the man pages need not be installed here.
verify_units() {
	_vn=$T/${1##*/}
	mkdir -p "$_vn.v" && for u in "$1"/*; do
		sed "s#/usr/local/lib/bk/#$ex/#g" "$u" >"$_vn.v/${u##*/}"
	done
	(cd "$_vn.v" && systemd-analyze verify --man=no ./*) >"$_vn.out" 2>&1 &&
	    [ ! -s "$_vn.out" ]
}
ok "systemd-analyze verify passes the units" verify_units "$ex/systemd"
mkdir broken && cp "$ex"/systemd/* broken/
sed 's/^Type=oneshot/Type=oneshoot/' "$ex/systemd/bk-pg@.service" \
    >broken/bk-pg@.service
if verify_units "$T/broken"; then fail "... and refuses a broken copy"
else pass "... and refuses a broken copy"; fi
like "... saying why" broken.out 'Failed to parse service type'
# Each timer starts bk-pg@CMD.service, CMD a command of pg-backup.sh, at
# the time of its crontab line: CMD|systemd's normalized form|cron's.
while IFS='|' read -r cmd norm cron; do
	tm=$ex/systemd/bk-pg-$cmd.timer
	like "the $cmd timer is persistent" "$tm" '^Persistent=true$'
	like "... starts bk-pg@$cmd.service" "$tm" "^Unit=bk-pg@$cmd\\.service\$"
	cal=$(sed -n 's/^OnCalendar=//p' "$tm")
	run systemd-analyze calendar "$cal"
	like "... at $norm" out "^ *Normalized form: $norm\$"
	like "... as its crontab line" "$ex/crontab" \
	    "^$cron /usr/local/lib/bk/bk-job\\.sh -T $cmd -M [^ ]+ pg-$cmd /usr/local/lib/bk/pg-backup\\.sh .* $cmd >>"
done <<'EOF'
daily|\*-\*-\* 02:15:00|15 2 \* \* \*
weekly|Sun \*-\*-\* 03:00:00|0  3 \* \* 0
monthly|\*-\*-01 04:00:00|0  4 1 \* \*
health|\*-\*-\* 06:30:00|30 6 \* \* \*
EOF
is "four timers" "$(ls "$ex"/systemd/*.timer | wc -l)" 4
ok "their service is a template of examples/systemd" test -f "$ex/systemd/bk-pg@.service"
like "... whose OnFailure= is bk-notify@" "$ex/systemd/bk-pg@.service" \
    '^OnFailure=bk-notify@%n\.service$'
ok "... which examples/systemd holds" test -f "$ex/systemd/bk-notify@.service"
like "... and which runs the instance's command under a lock of its own" \
    "$ex/systemd/bk-pg@.service" \
    '^ExecStart=/usr/local/lib/bk/bk-job\.sh -T %i -M [^ ]+ pg-%i /usr/local/lib/bk/pg-backup\.sh .* %i$'

# ---- the crontab ----
# cron_ok FILE: every line is a comment, NAME=VALUE, or five time fields
# (numbers in range, *, ranges, lists, steps; month and day names) and a
# command without % (cron makes it a newline); prints what it refuses.
cron_ok() {
	awk 'function field(s, lo, hi, names,   n, i, a, r, v) {
		n = split(s, a, ",")
		for (i = 1; i <= n; i++) {
			r = a[i]; sub(/\/[1-9][0-9]*$/, "", r)
			if (r == "*") continue
			if (names != "" && index(names, " " tolower(r) " ")) continue
			if (r !~ /^[0-9]+(-[0-9]+)?$/) return 0
			split(r, v, "-")
			if (v[1] < lo || v[1] > hi || (2 in v && (v[2] < v[1] || v[2] > hi)))
				return 0
			delete v
		}
		return 1
	}
	/^[ \t]*(#|$)/ { next }
	/^[A-Za-z_][A-Za-z0-9_]*=/ { next }
	NF < 6 || !field($1, 0, 59) || !field($2, 0, 23) || !field($3, 1, 31) ||
	    !field($4, 1, 12, " jan feb mar apr may jun jul aug sep oct nov dec ") ||
	    !field($5, 0, 7, " sun mon tue wed thu fri sat ") || /%/ {
		print "bad line " NR ": " $0; bad = 1
	}
	END { exit bad }' "$1"
}
ok "the crontab's lines parse" cron_ok "$ex/crontab"
printf '15 2 * *  /bin/true\n61 2 * * * /bin/true\n0 0 * * * date +%%F\n' >bad.cron
cron_ok bad.cron >bad.out
is "... and a bad crontab does not (short, out of range, %)" "$(wc -l <bad.out)" 3
jobs=$(grep -c '^[0-9*]' "$ex/crontab")
is "five jobs: four of pg-backup.sh, the monthly drill" "$jobs" 5
is "... each under bk-job.sh" \
    "$(grep '^[0-9*]' "$ex/crontab" | awk '$6 ~ /\/bk-job\.sh$/' | wc -l)" "$jobs"
# The jobs' locks: one folder for cron and systemd, postgres's own (the
# backups' folder), not the world-writable /run/lock; the notifier of each
# with a configuration its user can read; bk(7) shows the crontab's lines.
cl=$(sed -n 's/^BK_LOCK_DIR=//p' "$ex/crontab")
ok "the crontab sets BK_LOCK_DIR" test -n "$cl"
like "... as the unit does" "$ex/systemd/bk-pg@.service" "^Environment=BK_LOCK_DIR=$cl\$"
is "... the backups' folder of each job of pg-backup.sh" \
    "$(grep '^[0-9*]' "$ex/crontab" | grep -c -- " -b $cl ")" \
    "$(grep '^[0-9*]' "$ex/crontab" | grep -c ' [^ ]*/pg-backup\.sh ')"
is "... and the drill's" "$(grep -c -- " drill-erp bash -c 'cd $cl " "$ex/crontab")" 1
like "... and of the unit" "$ex/systemd/bk-pg@.service" "^ExecStart=.* -b $cl "
is "the crontab's notifier reads a configuration of its own" \
    "$(grep '^[0-9*]' "$ex/crontab" | grep -c '|| [^ ]*/bk-notify\.sh -c /etc/bk/notify-cron\.conf ')" "$jobs"
like "... the unit's another, root's" "$ex/systemd/bk-notify@.service" \
    '^ExecStart=[^ ]*/bk-notify\.sh -c /etc/bk/notify\.conf '
sed -n '/^BK_LOCK_DIR=/,/bk-notify\.sh/{/bk-notify\.sh/N;p}' "$TOP/man/bk.7" |
    sed 's/^ *//; s/ *\\e$//' | tr '\n' ' ' | tr -s ' ' >man.cron
grep -E '^BK_LOCK_DIR=|^BK_JOB_JOURNAL=|^15 2 ' "$ex/crontab" | tr '\n' ' ' | tr -s ' ' >tab.cron
same "bk(7) shows the crontab's BK_LOCK_DIR, BK_JOB_JOURNAL and daily line" man.cron tab.cron
is "each job of the crontab journalled and with its metrics" \
    "$(grep '^[0-9*]' "$ex/crontab" | grep -c 'bk-job\.sh .*-M /var/lib/node_exporter/textfile/bk-job-[a-z-]*\.prom ')" "$jobs"
ok "... the journal beside the manifest" grep -qx "BK_JOB_JOURNAL=$cl/jobs.jsonl" "$ex/crontab"
like "... the unit's too" "$ex/systemd/bk-pg@.service" "^Environment=BK_JOB_JOURNAL=$cl/jobs\\.jsonl\$"
like "... with the type and metrics of its command" "$ex/systemd/bk-pg@.service" \
    '^ExecStart=[^ ]*/bk-job\.sh -T %i -M [^ ]*/bk-job-pg-%i\.prom pg-%i '

# ---- two runs at once ----
createdb ${P}_db
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_db >/dev/null <<'SQL' || { fail "create the database"; exit 1; }
CREATE TABLE pagamentos (id serial PRIMARY KEY, valor numeric(10,2));
INSERT INTO pagamentos (valor) SELECT i * 1.5 FROM generate_series(1, 500) i;
SQL
BK_LOCK_DIR=$T/locks
export BK_LOCK_DIR
mkdir locks
# A session holds the table's ACCESS EXCLUSIVE lock: the first run's
# pg_dump waits for it, holding the job's lock, until the session commits.
# q SQL: one value from the database.
q() { psql -XAt -d ${P}_db -c "$1"; }
ok "a session locks the table" lock_table ${P}_db pagamentos
"$ex/bk-job.sh" pg-daily "$ex/pg-backup.sh" -d ${P}_db -b tree daily \
    >run1.out 2>run1.err &
run1=$!
ok "the first run's pg_dump waits for the table" wait_until dump_waits ${P}_db
errline "a second run at once exits 75, in one line" 75 \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z bk-job\.sh: error: pg-daily: another run holds '"$T"'/locks/bk-pg-daily\.lock: not started$' \
    "$ex/bk-job.sh" pg-daily "$ex/pg-backup.sh" -d ${P}_db -b tree daily
empty "... nothing on standard output" out
is "... its pg_dump never started" "$(q "SELECT count(*) FROM pg_stat_activity
    WHERE datname = '${P}_db' AND application_name = 'pg_dump'")" 1
run flock -n -E 75 locks/bk-pg-daily.lock true
is "flock(1) sees the lock held too" "$rc" 75
unlock_table
rc=0; wait $run1 || rc=$?
is "the first run then ends with 0" "$rc" 0
empty "... nothing on its standard error" run1.err
like "... its start logged with a timestamp" run1.out \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z bk-job\.sh: pg-daily: started \(pid [0-9]+\)$'
like "... each step of the job" run1.out \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z pg-backup\.sh: recorded tree/daily/'"${P}"'_db_[0-9]{8}_[0-9]{6}\.sql\.gz in tree/manifest\.jsonl$'
like "... its end" run1.out \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z bk-job\.sh: pg-daily: done in [0-9]+s$'
unlike "... and no line without a timestamp" run1.out \
    '^([^0-9]|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z [a-z-]+\.sh: [^a-z])'
is "one backup and its globals in the tree" "$(find tree/daily -type f | wc -l)" 2
is "... two lines in the manifest" "$(wc -l <tree/manifest.jsonl)" 2
run bk-verify -m tree/manifest.jsonl
is "... which bk-verify passes" "$rc" 0
f=$(ls tree/daily/*_db_*[0-9].sql.gz)
is "... holding the table's rows" \
    "$(bk-gz -d <"$f" | grep -Ec '^[0-9]+	[0-9]+\.[0-9]+$')" 500
exits "the lock is free once the run ended" 0 \
    "$ex/bk-job.sh" pg-daily true

# ---- bk-job.sh's bad inputs ----
usage "bk-job.sh without a command: 64" '^usage: bk-job\.sh ' "$ex/bk-job.sh" pg-daily
usage "bk-job.sh, a bad option: 64" '^usage: bk-job\.sh ' "$ex/bk-job.sh" -x j true
usage "pg-backup.sh, an argument too many: 64" '^usage: pg-backup\.sh ' \
    "$ex/pg-backup.sh" daily extra
errline "pg-backup.sh, a bad count: 64" 64 \
    'pg-backup\.sh: error: bad keep "0": a count \(7\) or an age \(7d\)$' \
    "$ex/pg-backup.sh" -d ${P}_db -k 0 daily
errline "a job name with a slash: 64" 64 'bk-job\.sh: error: bad job name "a/b"$' \
    "$ex/bk-job.sh" a/b true
errline "a lock in a missing folder: 73" 73 \
    'bk-job\.sh: error: could not open the lock file "'"$T"'/none/l"$' \
    "$ex/bk-job.sh" -l "$T/none/l" j true
exits "-l names the lock" 0 "$ex/bk-job.sh" -l "$T/own.lock" j true
ok "... which then exists" test -f own.lock
hold_lock "$T/own.lock"
errline "... a lock flock(1) holds: 75" 75 'pg-daily: another run holds '"$T"'/own\.lock: not started$' \
    "$ex/bk-job.sh" -l "$T/own.lock" pg-daily true
release_lock
run "$ex/bk-job.sh" j sh -c 'echo oops >&2; exit 3'
is "the job's own status comes back" "$rc" 3
like "... with a line on standard error" err \
    'Z bk-job\.sh: j: failed \(exit 3\) after [0-9]+s$'

# ---- a failing job and the notifier ----
mkdir bin
cat >bin/sendmail <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/sendmail.argv"
cat >"$T/sendmail.in"
[ ! -e "$T/sendmail.fails" ]
EOF
real_curl=$(command -v curl)
cat >bin/curl <<EOF
#!/bin/sh
printf '%s\n' "\$@" >>"$T/curl.argv"
exec "$real_curl" "\$@"
EOF
chmod 755 bin/sendmail bin/curl
PATH=$T/bin:$PATH
# The webhook: records each request's method, path and headers (N.head)
# and body (N.body); answers with the status in hook.status (200 when
# absent).
cat >hook.py <<'PY'
import http.server, os, sys
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = len(os.listdir(d)) // 2 + 1
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(os.path.join(d, "%d.head" % n), "w") as f:
            f.write("%s %s\n%s" % (self.command, self.path, self.headers))
        with open(os.path.join(d, "%d.body" % n), "wb") as f:
            f.write(body)
        try:
            code = int(open(d + ".status").read())
        except OSError:
            code = 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(d + ".port.tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(d + ".port.tmp", d + ".port")
s.serve_forever()
PY
mkdir hook
python3 hook.py "$T/hook" &
hook=$!
ok "the webhook listens" wait_until test -s hook.port
port=$(cat hook.port)
token=tok-$$-s3cr3t
cat >notify.conf <<EOF
# where bk-notify.sh says that a job failed
MAIL_TO=ops@example.org
MAIL_FROM="bk on db1 <backups@example.org>"
WEBHOOK_URL=http://127.0.0.1:$port/hooks/$token
WEBHOOK_HEADER=Authorization: Bearer hdr-$token
EOF

rc=0
"$ex/bk-job.sh" pg-daily "$ex/pg-backup.sh" -d ${P}_none -b tree daily \
    >>job.log 2>&1 || rc=$?
is "a job against a missing database fails: 69" "$rc" 69
like "... the log says why" job.log "database \"${P}_none\" does not exist"
run "$ex/bk-notify.sh" -c notify.conf pg-daily job.log
is "bk-notify.sh exits 0" "$rc" 0
empty "... nothing on standard error" err
like "... logs the mail" out 'Z bk-notify\.sh: mailed ops@example\.org: bk: pg-daily failed on '
like "... and the webhook" out 'Z bk-notify\.sh: posted to the webhook: bk: pg-daily failed on '
is "sendmail -t -oi: the recipients in the message" "$(cat sendmail.argv)" "-t
-oi"
like "... To:" sendmail.in '^To: ops@example\.org$'
like "... From:" sendmail.in '^From: bk on db1 <backups@example\.org>$'
like "... Subject:" sendmail.in "^Subject: bk: pg-daily failed on $(hostname)\$"
like "... the job's error in the body" sendmail.in \
    "pg-backup\\.sh: error: could not connect to database \"${P}_none\": "
like "... and its end" sendmail.in 'bk-job\.sh: pg-daily: failed \(exit 69\)'
unlike "... only the last run's lines" sendmail.in 'pg-daily: done in'
ok "one request to the webhook" test -f hook/1.body -a ! -f hook/2.body
like "... a POST to the configured path" hook/1.head "^POST /hooks/$token\$"
like "... with the header" hook/1.head "^Authorization: Bearer hdr-$token\$"
like "... as JSON" hook/1.head '^Content-Type: application/json$'
cat >text.py <<'PY'
import json, sys
print(json.load(open(sys.argv[1]))["text"].rstrip("\n"))
PY
python3 text.py hook/1.body >hook.text
like "... the text holds the job's error" hook.text \
    "pg-backup\\.sh: error: could not connect to database \"${P}_none\""
sed '1,/^$/d' sendmail.in >mail.body
same "... the mail's body, word for word" hook.text mail.body
unlike "the URL's token never on curl's command line" curl.argv "$token"
like "... curl read its configuration from its standard input" curl.argv '^-K$'

# The systemd way: no log file, the unit's last run from the journal.
cat >bin/systemctl <<'EOF'
#!/bin/sh
[ "$*" = "show -P InvocationID bk-pg@daily.service" ] && echo 0123abcd
EOF
cat >bin/journalctl <<EOF
#!/bin/sh
printf '%s\n' "\$*" >"$T/journalctl.argv"
echo '2025-06-27T02:15:03+0000 db1 bk-job.sh[42]: 2025-06-27T02:15:03Z bk-job.sh: pg-daily: failed (exit 1) after 0s'
EOF
chmod 755 bin/systemctl bin/journalctl
printf 'MAIL_TO=ops@example.org\n' >mail.conf
run "$ex/bk-notify.sh" -c mail.conf bk-pg@daily.service
is "as the OnFailure= unit: exit 0" "$rc" 0
like "... the lines of the failed run" journalctl.argv '_SYSTEMD_INVOCATION_ID=0123abcd'
like "... in the mail" sendmail.in 'pg-daily: failed \(exit 1\) after 0s$'
like "... named after the unit" sendmail.in '^Subject: bk: bk-pg@daily\.service failed on '

# ---- the notifier's failures and bad inputs ----
echo 403 >hook.status
: >sendmail.in
run "$ex/bk-notify.sh" -c notify.conf pg-daily job.log
is "a webhook that refuses: 69" "$rc" 69
like "... saying so" err 'bk-notify\.sh: error: the webhook did not take the message$'
unlike "... without the token" err "$token"
like "... the mail went all the same" sendmail.in '^To: ops@example\.org$'
rm hook.status
: >sendmail.fails
run "$ex/bk-notify.sh" -c notify.conf pg-daily job.log
is "a sendmail that fails: 69" "$rc" 69
like "... saying so" err 'error: sendmail could not take the message for ops@example\.org$'
like "... the webhook still posted" out 'posted to the webhook'
rm sendmail.fails
printf 'WEBHOOK_URL=http://127.0.0.1:1/x/%s\n' "$token" >refused.conf
run "$ex/bk-notify.sh" -c refused.conf pg-daily job.log
is "a webhook that cannot be reached: 69" "$rc" 69
unlike "... the token in no message" err "$token"
: >empty.conf
printf '# x\nMAILTO=a@b\n' >bad.conf
printf 'MAIL_TO\n' >eq.conf
printf 'WEBHOOK_URL=file:///etc/passwd\n' >url.conf
while IFS='|' read -r name code re cf; do
	errline "bk-notify.sh, $name: $code" "$code" "bk-notify\\.sh: error: .*$re" \
	    "$ex/bk-notify.sh" -c "$cf" pg-daily job.log
done <<EOF
no such file|78|could not read "$T/none.conf"\$|$T/none.conf
nothing to send to|78|neither MAIL_TO nor WEBHOOK_URL\$|empty.conf
an unknown key|78|bad.conf:2: unknown key "MAILTO"\$|bad.conf
a line without =|78|eq.conf:1: not KEY=VALUE\$|eq.conf
a URL that is not http|78|WEBHOOK_URL is not an http:// or https:// URL\$|url.conf
EOF
errline "a missing log: 66" 66 'could not read "nolog"$' \
    "$ex/bk-notify.sh" -c notify.conf pg-daily nolog
usage "no job: 64" '^usage: bk-notify\.sh ' "$ex/bk-notify.sh" -c notify.conf
chmod 644 mail.conf
run "$ex/bk-notify.sh" -c mail.conf pg-daily job.log
is "a configuration others can read still works" "$rc" 0
like "... with a warning" err 'warning: other users can read "mail\.conf"$'

done_testing
