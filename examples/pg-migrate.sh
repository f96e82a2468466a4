#!/bin/bash
# pg-migrate.sh: recipe 4 of bk(7), a safety backup before a migration
# (seed 002's pre_migration_backup.sh), and the way back.
#
#   pg-migrate.sh [-d DATABASE] [-b BASEDIR] [-R RECIPIENTS] create ID DESCRIPTION
#   pg-migrate.sh [-b BASEDIR] complete ID
#   pg-migrate.sh [-d DATABASE] [-b BASEDIR] [-i IDENTITY] rollback ID
#   pg-migrate.sh [-b BASEDIR] status
#
# create: pg_dump DATABASE | bk-gz [| bk-crypt -R RECIPIENTS] into
#    BASEDIR/pre-migration/DATABASE_ID_YYYYMMDD_HHMMSS.sql.gz[.age],
#    recorded with type pre-migration, the DESCRIPTION and the attribute
#    migration=ID; the migration ID is then open, of that database on
#    that server (psql's HOST:PORT).  One migration is open at a time:
#    create refuses while another is (75), and an ID already open (73).
#    Run the migration after it, and roll back only what create opened
#    (a create that fails, or a complete, must not roll back anything):
#      if pg-migrate.sh create v2.3.1 "Add user preferences"; then
#        if psql -X -v ON_ERROR_STOP=1 -1 -f v2.3.1.sql erp; then
#          pg-migrate.sh complete v2.3.1
#        else
#          pg-migrate.sh rollback v2.3.1
#        fi
#      fi
# complete: closes the open migration ID; its backup stays, for
#    bk-rotate -T pre-migration (seed 002 keeps them 30 days: --max-age 30d).
# rollback: bk-restore --yes --clean of ID's backup (-i: the age identity
#    of an encrypted one) into the database and server create saw; -d or
#    PGDATABASE naming another one, or libpq reaching another server, is
#    refused (64).  Every schema is dropped and restored in one
#    transaction: the database's contents are again exactly what pg_dump
#    saw before the migration.  Not restored, being the database's own or
#    the cluster's and not in a pg_dump without --create (which
#    bk-restore cannot run in a transaction): ALTER DATABASE ... SET and
#    ALTER ROLE ... IN DATABASE ... SET settings, COMMENT ON DATABASE,
#    GRANT/REVOKE ... ON DATABASE, the owner and CREATE DATABASE options,
#    roles and other globals: undo those by hand.  bk-restore's safety
#    backup of the migrated state goes to pre-restore/ first.  Then ID is
#    closed.
# status: every migration, oldest first, tab-separated: ID, state (open,
#    completed, rolled-back), when created, when closed (- while open),
#    the backup, the description.
#
# The state is BASEDIR/migrations.log, one tab-separated line per event
# (time, open|completed|rolled-back, ID, backup, description, database,
# HOST:PORT), appended under the lock and never rewritten: a migration's
# state is its last line.  The manifest line is the backup's commit
# point; the "open" line comes after it, so a create that died before it
# opened nothing and can be run again.
#
# create, complete and rollback hold the flock(1) lock of
# BASEDIR/migrate.lock without waiting: a second one at the same time
# starts nothing, says so and exits 75.  create and rollback then take
# BASEDIR/tree.lock shared, as pg-backup.sh's backups do, waiting up to
# BK_TREE_WAIT seconds (4 hours) while its health check holds it, then
# exit 75.  DATABASE is $PGDATABASE unless -d names it (libpq's
# environment and ~/.pgpass for the password, never a command line);
# BASEDIR is /var/backups/pg.  RECIPIENTS is a file of age1... lines, as
# for pg-backup.sh -R; by default BASEDIR/recipients when it exists, the
# file to which bk-restore encrypts its safety backups (bk-restore(1)).
#
# One timestamped line per step on standard output; a failure is one line
# on standard error and the exit status: 64 usage (a bad ID: a letter or
# digit, then letters, digits, ".", "_", "-", at most 64; a rollback into
# another database), 65 a migration already closed, 66 no such migration
# (or its backup is gone, or no RECIPIENTS file), 69 a tool missing or
# the database unreachable, 73 the ID is already open, 75 another command
# holds the lock or another migration is open; else the failing tool's.

set -euo pipefail

prog=${0##*/}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s: %s\n' "$(now)" "$prog" "$*"; }
die() { printf '%s %s: error: %s\n' "$(now)" "$prog" "$2" >&2; exit "$1"; }
usage() {
	echo "usage: $prog [-d database] [-b basedir] [-R recipients] [-i identity] create id description | complete id | rollback id | status" >&2
	exit 64
}

db=${PGDATABASE:-}
base=/var/backups/pg
recipients=
identity=
while getopts :d:b:R:i:h opt; do
	case $opt in
	d) db=$OPTARG ;;
	b) base=$OPTARG ;;
	R) recipients=$OPTARG ;;
	i) identity=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
create) [ $# -eq 2 ] || usage ;;
complete | rollback) [ $# -eq 1 ] || usage ;;
status) [ $# -eq 0 ] || usage ;;
*) usage ;;
esac
manifest=$base/manifest.jsonl
state=$base/migrations.log
[ -n "$recipients" ] || [ ! -f "$base/recipients" ] || recipients=$base/recipients

# status: one line per migration, from the events of the state file.
if [ "$cmd" = status ]; then
	printf 'ID\tSTATE\tCREATED\tCLOSED\tBACKUP\tDESCRIPTION\n'
	[ -f "$state" ] || exit 0
	awk -F'\t' -v OFS='\t' '
	$2 == "open" { n++; id[n] = $3; st[n] = "open"; t0[n] = $1
		t1[n] = "-"; f[n] = $4; d[n] = $5; cur[$3] = n; next }
	($3 in cur) { st[cur[$3]] = $2; t1[cur[$3]] = $1 }
	END { for (i = 1; i <= n; i++) print id[i], st[i], t0[i], t1[i], f[i], d[i] }
	' "$state"
	exit 0
fi

id=$1
[[ $id =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] || die 64 "bad migration id \"$id\""
desc=${2:-}
if [ "$cmd" = create ]; then
	[ -n "$desc" ] || die 64 "no description"
	[[ $desc != *[[:cntrl:]]* ]] || die 64 "bad description: a control character"
fi
if [ "$cmd" = create ]; then
	[ -n "$db" ] || die 64 "no database: -d or PGDATABASE"
	[ -z "$recipients" ] || [ -r "$recipients" ] ||
	    die 66 "could not read the recipients file \"$recipients\""
fi
[ -z "$db" ] || [[ $db =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] ||
    die 64 "bad database name \"$db\""
case $cmd in
create) tools="pg_dump psql bk-gz bk-manifest flock ${recipients:+bk-crypt}" ;;
complete) tools="flock" ;;
rollback) tools="bk-restore psql pg_dump flock" ;;
esac
for tool in $tools; do
	command -v "$tool" >/dev/null || die 69 "$tool not found in PATH"
done

umask 077
mkdir -p "$base"
lock=$base/migrate.lock
{ exec 9>>"$lock"; } 2>/dev/null || die 73 "could not open the lock file \"$lock\""
rc=0
flock -n -E 75 9 || rc=$?
case $rc in
0) ;;
75) die 75 "another $prog holds \"$lock\": not started" ;;
*) die 74 "could not lock \"$lock\" (flock exit $rc)" ;;
esac

# last ID: the last event of migration ID ("time<TAB>state<TAB>..."), or
# nothing; the open ones: open_ids.
last() { [ ! -f "$state" ] || awk -F'\t' -v id="$1" '$3 == id { l = $0 } END { if (l != "") print l }' "$state"; }
open_ids() {
	[ ! -f "$state" ] ||
	    awk -F'\t' '{ s[$3] = $2; t[$3] = $1 } END { for (i in s) if (s[i] == "open") print i "\t" t[i] }' "$state"
}
# record STATE ID BACKUP DESCRIPTION DATABASE SERVER: one event, appended.
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(now)" "$@" >>"$state"; }
# connect: the server libpq reaches for $db, as HOST:PORT, in $server.
# tree_lock: pg-backup.sh's tree lock, shared (its health check waits).
tree_lock() {
	local rc=0
	{ exec 8>>"$base/tree.lock"; } 2>/dev/null ||
	    die 73 "could not open the lock file \"$base/tree.lock\""
	flock -s -w "${BK_TREE_WAIT:-14400}" -E 75 8 || rc=$?
	case $rc in
	0) ;;
	75) die 75 "\"$base/tree.lock\" still busy: not started" ;;
	*) die 74 "could not lock \"$base/tree.lock\" (flock exit $rc)" ;;
	esac
}
connect() {
	server=$(psql -X -q -At -d "$db" -c '\echo :HOST :PORT' 2>&1) ||
	    die 69 "could not connect to database \"$db\": ${server%%$'\n'*}"
	server=${server##*$'\n'}
	server=${server% *}:${server##* }
}

ev=$(last "$id")
IFS=$'\t' read -r when st _ backup desc0 db0 server0 <<<"$ev" || true
if [ "$cmd" = create ]; then
	[ "$st" != open ] || die 73 "migration \"$id\" is already open (since $when)"
	other=$(open_ids | head -1)
	[ -z "$other" ] ||
	    die 75 "migration \"${other%%$'\t'*}\" is open (since ${other#*$'\t'}): complete or roll it back first"
	tree_lock
	connect
	mkdir -p "$base/pre-migration"
	rel=pre-migration/${db}_${id}_$(date +%Y%m%d_%H%M%S).sql.gz${recipients:+.age}
	f=$base/$rel
	# discard: bk-gz and bk-crypt commit what they were given, a dump cut
	# short too, and bk-crypt keeps a record of the plaintext beside.
	discard() { rm -f "$f" "${f%/*}/.${f##*/}.bk-plain"; }
	log "dump $db to $f"
	rc=0
	if [ -n "$recipients" ]; then
		pg_dump -Fp -d "$db" | bk-gz | bk-crypt -R "$recipients" -o "$f" || rc=$?
	else
		pg_dump -Fp -d "$db" | bk-gz -o "$f" || rc=$?
	fi
	[ "$rc" = 0 ] || { discard; die "$rc" "the dump of $db failed (exit $rc): migration \"$id\" not opened"; }
	bk-manifest -m "$manifest" add -T pre-migration --source "postgresql:$db" \
	    --description "$desc" --attribute "migration=$id" "$f" || rc=$?
	[ "$rc" = 0 ] || { discard; die "$rc" "could not record $f (exit $rc): migration \"$id\" not opened"; }
	record open "$id" "$rel" "$desc" "$db" "$server"
	log "migration $id open: rollback restores $f"
	exit 0
fi

[ -n "$st" ] || die 66 "no migration \"$id\""
[ "$st" = open ] || die 65 "migration \"$id\" is closed ($st at $when)"
if [ "$cmd" = complete ]; then
	record completed "$id" "$backup" "$desc0" "$db0" "$server0"
	log "migration $id completed; its backup $base/$backup stays"
	exit 0
fi

# rollback: into the database and server of the backup, none other.
[ -f "$base/$backup" ] || die 66 "the backup of migration \"$id\" is gone: \"$base/$backup\""
[ -z "$db" ] || [ -z "$db0" ] || [ "$db" = "$db0" ] ||
    die 64 "migration \"$id\" is of database \"$db0\", not \"$db\""
db=${db0:-$db}
[ -n "$db" ] || die 64 "no database: -d or PGDATABASE"
tree_lock
connect
[ -z "$server0" ] || [ "$server" = "$server0" ] ||
    die 64 "migration \"$id\" is of database \"$db\" on $server0, not on $server"
log "restore $db from $base/$backup"
rc=0
bk-restore -q --yes --clean ${identity:+-i "$identity"} -m "$manifest" -D "$db" "$base/$backup" || rc=$?
[ "$rc" = 0 ] || die "$rc" "the rollback of migration \"$id\" failed (exit $rc): it stays open"
record rolled-back "$id" "$backup" "$desc0" "$db0" "$server0"
log "migration $id rolled back: $db is as it was at $when"
