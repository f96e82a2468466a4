#!/bin/bash
# bk-notify.sh: says that a scheduled job of bk(7) failed, by mail
# (sendmail) or to a webhook (curl), or both: the OnFailure= unit of the
# systemd units in systemd/, and what the crontab beside this file runs
# after a failed job.
#
#   bk-notify.sh [-c CONFIG] JOB [LOGFILE]
#
# JOB names the job (a systemd unit such as bk-pg@daily.service, or the
# NAME given to bk-job.sh).  The message holds the lines of JOB's last run:
# from LOGFILE, those since bk-job.sh's last "JOB: started" line; without
# LOGFILE, those of the unit's last run in the journal (journalctl).  At
# most the last 50.
#
# CONFIG (/etc/bk/notify.conf) holds KEY=VALUE lines; # starts a comment;
# a value may be in double quotes.  It is read, never run as shell code:
#   MAIL_TO=ops@example.org                 mail through sendmail -t -oi
#   MAIL_FROM=backups@db1.example.org       its From: (sendmail's default)
#   WEBHOOK_URL=https://chat.example.org/hooks/...
#                                           POST {"text": "..."} (Slack,
#                                           Mattermost, Rocket.Chat...)
#   WEBHOOK_HEADER=Authorization: Bearer ...  one request header
# At least one of MAIL_TO and WEBHOOK_URL.  The URL and the header may be
# secrets: they reach curl through its standard input (curl -K -), never
# through a command line.  Keep CONFIG readable by the user that runs
# this script alone.
#
# Exit status: 0 when every configured way took the message; 69 when one
# could not (the other ones are still tried); 78 for a bad or missing
# CONFIG; 64 for a usage error.

set -euo pipefail

prog=${0##*/}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s: %s\n' "$(now)" "$prog" "$*"; }
die() { printf '%s %s: error: %s\n' "$(now)" "$prog" "$2" >&2; exit "$1"; }
warn() { printf '%s %s: %s\n' "$(now)" "$prog" "$*" >&2; }
usage() {
	echo "usage: $prog [-c config] job [logfile]" >&2
	exit 64
}

conf=/etc/bk/notify.conf
while getopts :c:h opt; do
	case $opt in
	c) conf=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
{ [ $# -ge 1 ] && [ $# -le 2 ]; } || usage
job=$1
logfile=${2:-}
[[ $job =~ ^[A-Za-z0-9_.@:-]+$ ]] || die 64 "bad job name \"$job\""

mail_to='' mail_from='' url='' header='' n=0
[ -r "$conf" ] || die 78 "could not read \"$conf\""
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	case $line in '' | '#'*) continue ;; esac
	key=${line%%=*} val=${line#*=}
	[ "$key" != "$line" ] || die 78 "$conf:$n: not KEY=VALUE"
	[[ $val == \"*\" ]] && val=${val:1:${#val}-2}
	case $key in
	MAIL_TO) mail_to=$val ;;
	MAIL_FROM) mail_from=$val ;;
	WEBHOOK_URL) url=$val ;;
	WEBHOOK_HEADER) header=$val ;;
	*) die 78 "$conf:$n: unknown key \"$key\"" ;;
	esac
done <"$conf"
[ -n "$mail_to$url" ] || die 78 "$conf: neither MAIL_TO nor WEBHOOK_URL"
[[ -z $url || $url == http://* || $url == https://* ]] ||
    die 78 "$conf: WEBHOOK_URL is not an http:// or https:// URL"
[ -z "$(find "$conf" -perm /044)" ] ||
    warn "warning: other users can read \"$conf\""

# The lines of the job's last run.
if [ -n "$logfile" ]; then
	[ -r "$logfile" ] || die 66 "could not read \"$logfile\""
	lines=$(tac "$logfile" | sed "/ $job: started /q" | tac | tail -n 50)
else
	id=$(systemctl show -P InvocationID "$job" 2>/dev/null) || id=
	if [ -n "$id" ]; then
		lines=$(journalctl -q --no-pager -o short-iso \
		    "_SYSTEMD_INVOCATION_ID=$id" 2>&1 | tail -n 50)
	else
		lines=$(journalctl -q --no-pager -o short-iso -n 50 -u "$job" 2>&1)
	fi || lines="(journalctl failed: $lines)"
fi
host=$(hostname)
subject="bk: $job failed on $host"
text="$subject at $(now).

${lines:-(no log lines)}
"

rc=0
if [ -n "$mail_to" ]; then
	sendmail=$(command -v sendmail || echo /usr/sbin/sendmail)
	if {
		printf 'To: %s\n' "$mail_to"
		[ -z "$mail_from" ] || printf 'From: %s\n' "$mail_from"
		printf 'Subject: %s\nContent-Type: text/plain; charset=UTF-8\n\n%s' \
		    "$subject" "$text"
	} | "$sendmail" -t -oi; then
		log "mailed $mail_to: $subject"
	else
		warn "error: sendmail could not take the message for $mail_to"
		rc=69
	fi
fi
if [ -n "$url" ]; then
	# {"text": TEXT}: TEXT as a JSON string, control characters dropped.
	json=$(printf '%s' "$text" | iconv -c -f UTF-8 -t UTF-8 |
	    LC_ALL=C tr -d '\000-\010\013\014\016-\037')
	json=${json//\\/\\\\}
	json=${json//\"/\\\"}
	json=${json//$'\t'/\\t}
	json=${json//$'\r'/}
	json=${json//$'\n'/\\n}
	body=$(mktemp)
	trap 'rm -f "$body"' EXIT
	printf '{"text":"%s"}\n' "$json" >"$body"
	q=${url//\\/\\\\} q=${q//\"/\\\"}
	h=${header//\\/\\\\} h=${h//\"/\\\"}
	if {
		printf 'url = "%s"\n' "$q"
		[ -z "$header" ] || printf 'header = "%s"\n' "$h"
	} | curl -sS --fail --max-time 60 --retry 3 -K - \
	    -H 'Content-Type: application/json' --data-binary "@$body" \
	    -o /dev/null; then
		log "posted to the webhook: $subject"
	else
		warn "error: the webhook did not take the message"
		rc=69
	fi
fi
exit "$rc"
