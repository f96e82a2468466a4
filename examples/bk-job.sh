#!/bin/bash
# bk-job.sh: runs one scheduled job of bk(7) under a lock, so that two runs
# of the same job never overlap: a cron line and a systemd timer, a run by
# hand, a run still going when the next one is due.  It can also keep a
# journal of the job's runs and metrics for Prometheus.
#
#   bk-job.sh [-l LOCKFILE] [-j JOURNAL] [-M METRICS] [-T TYPE] NAME COMMAND [ARG ...]
#
# Takes the flock(1) lock of LOCKFILE (by default $BK_LOCK_DIR/bk-NAME.lock,
# BK_LOCK_DIR being /run/lock unless set) without waiting, then runs
# COMMAND with it.  COMMAND and what it starts inherit the lock, as with
# flock(1): it is free again once the last of them ends, whichever way.
# One timestamped line on standard output when the job starts and one when
# it ends (on standard error if it failed), with its status and duration.
#
# -j JOURNAL (or BK_JOB_JOURNAL): appends one JSON line per run, by
#    convention jobs.jsonl beside the manifest, which bk-manifest report
#    reads:
#      {"job":"NAME","type":"TYPE","started":"2025-06-27T02:15:00Z",
#       "ended":"2025-06-27T02:16:40Z","seconds":100,"status":0}
#    (on one line).  A run refused because another holds the lock is
#    recorded too, with status 75 and 0 seconds.  Each line is written
#    under the journal's own flock(1) lock, in one write, so that runs of
#    several jobs sharing it (and a refused run, which does not hold the
#    job's lock) never mix their lines.
# -M METRICS (or BK_JOB_METRICS): after each run that held the lock,
#    replaces METRICS (mode 0644, a temporary file in its folder renamed
#    over it) with the job's figures in the Prometheus text format, for
#    node_exporter's textfile collector (name it NAME.prom there, one
#    file per job):
#      bk_job_last_start_time_seconds     when the last run started
#      bk_job_last_duration_seconds       how long it took
#      bk_job_last_exit_status            its status (0: success)
#      bk_job_last_success_time_seconds   when the last successful run
#                                         ended: kept from the file when
#                                         this run failed, 0 if never
#    each labelled bk_job="NAME" and type="TYPE" (not job=: Prometheus
#    gives that label to the scrape target, and would rename ours to
#    exported_job).  A refused run leaves the file to the run that holds
#    the lock.
# -T TYPE: the type of backup the job makes (daily, weekly...), for the
#    journal and the metrics; none by default.
# The journal's and the metrics' folders must exist: they are checked
# before COMMAND runs.
#
# Exit status: COMMAND's; 75 (EX_TEMPFAIL) when another run holds the lock:
# COMMAND is not run and one line on standard error says so; 73 when the
# lock file, the journal or the metrics' folder cannot be opened (a missing
# folder, a file of another user), and 74 when the journal or the metrics
# could not be written after the run (a line on standard error says so);
# 64 for a usage error.

set -euo pipefail

prog=${0##*/}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s: %s\n' "$(now)" "$prog" "$*"; }
err() { printf '%s %s: error: %s\n' "$(now)" "$prog" "$*" >&2; }
die() { err "$2"; exit "$1"; }
usage() {
	echo "usage: $prog [-l lockfile] [-j journal] [-M metrics] [-T type] name command [arg ...]" >&2
	exit 64
}

lock=
journal=${BK_JOB_JOURNAL:-}
metrics=${BK_JOB_METRICS:-}
type=
while getopts :l:j:M:T:h opt; do
	case $opt in
	l) lock=$OPTARG ;;
	j) journal=$OPTARG ;;
	M) metrics=$OPTARG ;;
	T) type=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
name=$1
shift
[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die 64 "bad job name \"$name\""
[[ $type =~ ^[A-Za-z0-9_.-]*$ ]] || die 64 "bad type \"$type\""
[ -n "$lock" ] || lock=${BK_LOCK_DIR:-/run/lock}/bk-$name.lock

# rfc3339 SECONDS: the instant in UTC, as now() writes it.
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# record START END STATUS: the run's line, appended to the journal under
# its lock, in one write (printf's whole line to a descriptor opened with
# O_APPEND).  Name and type need no JSON escaping: both were checked.
record() {
	[ -n "$journal" ] || return 0
	local l
	l=$(printf '{"job":"%s","type":"%s","started":"%s","ended":"%s","seconds":%d,"status":%d}' \
	    "$name" "$type" "$(rfc3339 "$1")" "$(rfc3339 "$2")" $(($2 - $1)) "$3")
	{ flock -w 60 8 && printf '%s\n' "$l" >&8; } 8>>"$journal" 2>/dev/null ||
	    { err "$name: could not write the journal \"$journal\""; return 74; }
}

# write_metrics START END STATUS: the job's figures, replacing the file.
write_metrics() {
	[ -n "$metrics" ] || return 0
	local dir base tmp labels success=0
	dir=$(dirname "$metrics") base=${metrics##*/}
	labels="bk_job=\"$name\",type=\"$type\""
	if [ "$3" = 0 ]; then
		success=$2
	elif [ -f "$metrics" ]; then
		success=$(sed -n "s/^bk_job_last_success_time_seconds{$labels} \\([0-9][0-9]*\\)\$/\\1/p" \
		    "$metrics" 2>/dev/null | tail -1)
		success=${success:-0}
	fi
	tmp=$(mktemp "$dir/.$base.XXXXXX" 2>/dev/null) ||
	    { err "$name: could not create a temporary file in \"$dir\""; return 74; }
	if {
		echo "# HELP bk_job_last_start_time_seconds When the job's last run started."
		echo "# TYPE bk_job_last_start_time_seconds gauge"
		echo "bk_job_last_start_time_seconds{$labels} $1"
		echo "# HELP bk_job_last_duration_seconds How long the job's last run took."
		echo "# TYPE bk_job_last_duration_seconds gauge"
		echo "bk_job_last_duration_seconds{$labels} $(($2 - $1))"
		echo "# HELP bk_job_last_exit_status The exit status of the job's last run (0: success)."
		echo "# TYPE bk_job_last_exit_status gauge"
		echo "bk_job_last_exit_status{$labels} $3"
		echo "# HELP bk_job_last_success_time_seconds When the job's last successful run ended (0 if never)."
		echo "# TYPE bk_job_last_success_time_seconds gauge"
		echo "bk_job_last_success_time_seconds{$labels} $success"
	} >"$tmp" && chmod 644 "$tmp" && mv -f "$tmp" "$metrics"; then
		return 0
	fi
	rm -f "$tmp"
	err "$name: could not write the metrics \"$metrics\""
	return 74
}

# Before anything runs: the files it will write can be written.
if [ -n "$journal" ]; then
	{ : >>"$journal"; } 2>/dev/null ||
	    die 73 "could not open the journal \"$journal\""
fi
if [ -n "$metrics" ] && ! [[ -d $(dirname "$metrics") &&
    -w $(dirname "$metrics") ]]; then
	die 73 "could not write in the folder of the metrics \"$metrics\""
fi

{ exec 9>>"$lock"; } 2>/dev/null || die 73 "could not open the lock file \"$lock\""
rc=0
flock -n -E 75 9 || rc=$?
case $rc in
0) ;;
75)
	t=$(date +%s)
	record "$t" "$t" 75 || true
	die 75 "$name: another run holds $lock: not started"
	;;
*) die 74 "could not lock \"$lock\" (flock exit $rc)" ;;
esac

start=$(date +%s)
log "$name: started (pid $$)"
rc=0
"$@" || rc=$?
end=$(date +%s)
took=$((end - start))
if [ "$rc" = 0 ]; then
	log "$name: done in ${took}s"
else
	log "$name: failed (exit $rc) after ${took}s" >&2
fi
wrc=0
record "$start" "$end" "$rc" || wrc=$?
write_metrics "$start" "$end" "$rc" || wrc=$?
[ "$rc" != 0 ] || rc=$wrc
exit "$rc"
