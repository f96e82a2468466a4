#!/bin/bash
# offsite.sh: recipe 5 of bk(7), the encrypted off-site copy (seeds 003
# and 004).
#
#   offsite.sh [-d DATABASE] [-b BASEDIR] [-R RECIPIENTS] [-T TYPE]
#              [-k KEEP] s3://BUCKET/PREFIX
#
# 1. pg_dump DATABASE | bk-gz | bk-crypt -R RECIPIENTS, written atomically
#    to BASEDIR/TYPE/DATABASE_YYYYMMDD_HHMMSS.sql.gz.age: encrypted before
#    it leaves the machine, which holds only the public keys;
# 2. bk-manifest add -T TYPE: the commit point, after the whole pipeline
#    worked (set -o pipefail); a pipeline that failed leaves no file;
# 3. bk-s3 put -m: uploaded to s3://BUCKET/PREFIX/TYPE/NAME (Content-MD5
#    and sha256 on every request, the object checked after), and the copy
#    recorded in the file's manifest line: bk-s3 refuses a file whose
#    sha256 is not the manifest's, before any request;
# 4. bk-verify --remote: the file (size, sha256, the age header) and its
#    copy (size and sha256 as the store has them) checked;
# 5. retention: bk-rotate keeps KEEP daily backups (7) in BASEDIR and as
#    many in s3://BUCKET/PREFIX/TYPE/ (bk-rotate --dir s3://...), and deletes
#    the rest.  Keep at least as many copies off-site as at home: a copy
#    is recorded in its backup's manifest line, which goes with the local
#    file, so that bk-verify --remote never looks for a copy rotated away
#    while its line stays.
#
# Defaults: DATABASE is $PGDATABASE (libpq's environment, ~/.pgpass for
# the password: never on a command line), BASEDIR /var/backups/pg,
# RECIPIENTS /etc/bk/recipients (age1... lines, from bk-crypt -y or
# age-keygen -y), TYPE daily.  The store comes from the AWS environment
# (AWS_ENDPOINT_URL, AWS_PROFILE or AWS_ACCESS_KEY_ID...), as bk-s3(1)
# says.
#
# Each step logs one timestamped line on standard output; a failure logs
# one on standard error and exits with the failing tool's status (for
# cron: 0 means the copy is off-site and checked).

set -euo pipefail

prog=${0##*/}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s: %s\n' "$(now)" "$prog" "$*"; }
die() { printf '%s %s: error: %s\n' "$(now)" "$prog" "$2" >&2; exit "$1"; }
usage() {
	echo "usage: $prog [-d database] [-b basedir] [-R recipients] [-T type] [-k keep] s3://bucket/prefix" >&2
	exit 64
}

db=${PGDATABASE:-}
base=/var/backups/pg
recipients=/etc/bk/recipients
type=daily
keep=7
while getopts d:b:R:T:k:h opt; do
	case $opt in
	d) db=$OPTARG ;;
	b) base=$OPTARG ;;
	R) recipients=$OPTARG ;;
	T) type=$OPTARG ;;
	k) keep=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
remote=${1%/}
[[ $remote == s3://?*/?* ]] || die 64 "want s3://bucket/prefix, not \"$1\""
[ -n "$db" ] || die 64 "no database: -d or PGDATABASE"
[[ $db =~ ^[A-Za-z0-9_.-]+$ ]] || die 64 "bad database name \"$db\""
[[ $type =~ ^[A-Za-z0-9_-]+$ ]] || die 64 "bad type \"$type\""
[[ $keep =~ ^[1-9][0-9]*$ ]] || die 64 "bad count \"$keep\""
[ -r "$recipients" ] || die 66 "no recipients file \"$recipients\""
for tool in pg_dump bk-gz bk-crypt bk-manifest bk-s3 bk-verify bk-rotate; do
	command -v "$tool" >/dev/null || die 69 "$tool not found in PATH"
done

umask 077
mkdir -p "$base/$type"
manifest=$base/manifest.jsonl
name=${db}_$(date +%Y%m%d_%H%M%S).sql.gz.age
f=$base/$type/$name
url=$remote/$type/$name

log "dump $db to $f"
rc=0
pg_dump -Fp "$db" | bk-gz | bk-crypt -R "$recipients" -o "$f" || rc=$?
if [ "$rc" != 0 ]; then
	# bk-crypt commits what it was given, a dump cut short too, and its
	# record of the plaintext beside it: neither is a backup.
	rm -f "$f" "$base/$type/.$name.bk-plain"
	die "$rc" "the dump of $db failed (exit $rc): nothing recorded"
fi
bk-manifest -m "$manifest" add -T "$type" --source "postgresql:$db" "$f"
log "recorded $f in $manifest"
bk-s3 put -q -m "$manifest" "$url" "$f" >/dev/null
log "uploaded $url and recorded the copy"
bk-verify -q -m "$manifest" --remote "$f"
log "verified $f and $url"

bk-rotate -q -m "$manifest" -T "$type" --keep-daily "$keep" --delete
log "kept $keep $type backups in $base"
bk-rotate -q --dir "$remote/$type/" --keep-daily "$keep" --delete
log "kept $keep $type backups in $remote/$type/"
