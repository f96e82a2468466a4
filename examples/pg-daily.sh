#!/bin/bash
# pg-daily.sh: the daily job of recipe 3 of bk(7) (seeds 002 and 003), as
# cron or a systemd timer runs it through bk-job.sh (see crontab and
# systemd/ beside this file).
#
#   pg-daily.sh [-d DATABASE] [-b BASEDIR] [-k KEEP]
#
# 1. pg_dump DATABASE | bk-gz, written atomically to
#    BASEDIR/daily/DATABASE_YYYYMMDD_HHMMSS.sql.gz; a dump that failed
#    leaves no file (set -o pipefail);
# 2. bk-manifest add -T daily --source postgresql:DATABASE: the commit
#    point, after the whole pipeline worked;
# 3. bk-rotate keeps KEEP daily backups (7) and deletes the rest.
#
# Defaults: DATABASE is $PGDATABASE (libpq's environment, ~/.pgpass for a
# password: never on a command line), BASEDIR /var/backups/pg.  Each step
# logs one timestamped line on standard output; a failure logs one on
# standard error and exits with the failing tool's status (0 means the
# day's backup is recorded).  Run it through bk-job.sh so that two runs
# never overlap.

set -euo pipefail

prog=${0##*/}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s: %s\n' "$(now)" "$prog" "$*"; }
die() { printf '%s %s: error: %s\n' "$(now)" "$prog" "$2" >&2; exit "$1"; }
usage() {
	echo "usage: $prog [-d database] [-b basedir] [-k keep]" >&2
	exit 64
}

db=${PGDATABASE:-}
base=/var/backups/pg
keep=7
while getopts :d:b:k:h opt; do
	case $opt in
	d) db=$OPTARG ;;
	b) base=$OPTARG ;;
	k) keep=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
[ -n "$db" ] || die 64 "no database: -d or PGDATABASE"
[[ $db =~ ^[A-Za-z0-9_.-]+$ ]] || die 64 "bad database name \"$db\""
[[ $keep =~ ^[1-9][0-9]*$ ]] || die 64 "bad count \"$keep\""
for tool in pg_dump bk-gz bk-manifest bk-rotate; do
	command -v "$tool" >/dev/null || die 69 "$tool not found in PATH"
done

umask 077
mkdir -p "$base/daily"
manifest=$base/manifest.jsonl
f=$base/daily/${db}_$(date +%Y%m%d_%H%M%S).sql.gz

log "dump $db to $f"
rc=0
pg_dump -Fp "$db" | bk-gz -o "$f" || rc=$?
if [ "$rc" != 0 ]; then
	# bk-gz commits what it was given, a dump cut short too: not a backup.
	rm -f "$f"
	die "$rc" "the dump of $db failed (exit $rc): nothing recorded"
fi
bk-manifest -m "$manifest" add -T daily --source "postgresql:$db" "$f"
log "recorded $f in $manifest"
bk-rotate -q -m "$manifest" -T daily --keep-daily "$keep" --delete
log "kept $keep daily backups in $base"
