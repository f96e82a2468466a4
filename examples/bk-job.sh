#!/bin/bash
# bk-job.sh: runs one scheduled job of bk(7) under a lock, so that two runs
# of the same job never overlap: a cron line and a systemd timer, a run by
# hand, a run still going when the next one is due.
#
#   bk-job.sh [-l LOCKFILE] NAME COMMAND [ARG ...]
#
# Takes the flock(1) lock of LOCKFILE (by default $BK_LOCK_DIR/bk-NAME.lock,
# BK_LOCK_DIR being /run/lock unless set) without waiting, then runs
# COMMAND with it.  COMMAND and what it starts inherit the lock, as with
# flock(1): it is free again once the last of them ends, whichever way.
# One timestamped line on standard output when the job starts and one when
# it ends (on standard error if it failed), with its status and duration.
#
# Exit status: COMMAND's; 75 (EX_TEMPFAIL) when another run holds the lock:
# COMMAND is not run and one line on standard error says so; 73 when the
# lock file cannot be opened (a missing folder, a file of another user);
# 64 for a usage error.

set -euo pipefail

prog=${0##*/}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s: %s\n' "$(now)" "$prog" "$*"; }
die() { printf '%s %s: error: %s\n' "$(now)" "$prog" "$2" >&2; exit "$1"; }
usage() {
	echo "usage: $prog [-l lockfile] name command [arg ...]" >&2
	exit 64
}

lock=
while getopts :l:h opt; do
	case $opt in
	l) lock=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
name=$1
shift
[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die 64 "bad job name \"$name\""
[ -n "$lock" ] || lock=${BK_LOCK_DIR:-/run/lock}/bk-$name.lock

{ exec 9>>"$lock"; } 2>/dev/null || die 73 "could not open the lock file \"$lock\""
rc=0
flock -n -E 75 9 || rc=$?
case $rc in
0) ;;
75) die 75 "$name: another run holds $lock: not started" ;;
*) die 74 "could not lock \"$lock\" (flock exit $rc)" ;;
esac

start=$(date +%s)
log "$name: started (pid $$)"
rc=0
"$@" || rc=$?
took=$(($(date +%s) - start))
if [ "$rc" = 0 ]; then
	log "$name: done in ${took}s"
else
	log "$name: failed (exit $rc) after ${took}s" >&2
fi
exit "$rc"
