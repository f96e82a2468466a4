#!/bin/bash
# pg-backup.sh: recipe 3 of bk(7), PostgreSQL daily, weekly and monthly
# backups (seeds 002 and 003), with their health check and report, as cron
# or the systemd timers run it through bk-job.sh (see crontab and systemd/
# beside this file).
#
#   pg-backup.sh [-a] [-d DATABASE] [-b BASEDIR] [-k KEEP] [-R RECIPIENTS]
#                [-z gzip|zstd] [-M METRICS] daily|weekly|monthly|health|report
#
# daily, weekly, monthly: one backup of that TYPE.
# 0. bk-manifest space -T TYPE: BASEDIR's file system must hold twice the
#    largest of the type's last three backups, else exit 1 before the dump;
# 1. pg_dump DATABASE | bk-gz [| bk-crypt -R RECIPIENTS], written
#    atomically to BASEDIR/TYPE/DATABASE_YYYYMMDD_HHMMSS.sql.gz[.age]
#    (with -z zstd: bk-zstd, .sql.zst[.age]); a dump that failed leaves
#    no file (set -o pipefail);
# 2. bk-manifest add -T TYPE --source postgresql:DATABASE: the commit
#    point, after the whole pipeline worked;
# 3. the cluster's globals (roles, tablespaces: pg_dumpall -g, which
#    pg_dump leaves out) the same way, beside it, as
#    DATABASE_YYYYMMDD_HHMMSS.globals.sql.gz[.age] (.globals.sql.zst[.age]
#    with -z zstd), recorded with type
#    TYPE-globals (daily-globals...): a type of its own, so that the
#    retention counts dumps and globals apart and bk-verify judges the
#    freshness of each;
# 4. retention of TYPE and TYPE-globals (of TYPE alone when the globals
#    failed, so that a cluster whose globals cannot be read still keeps
#    its retention): by count, the newest backup of each of the last KEEP
#    days, ISO weeks or months (7 daily, 4 weekly, 12 monthly); with -a,
#    by age (seed 003: 7, 30 and 365 days, as bk-rotate --max-age,
#    counted from now); a KEEP such as 30d is an age too.  bk-rotate
#    never removes the newest good backup of a type.
# health: bk-verify --record over the whole tree (every backup read
#    through every layer, files without a manifest line reported;
#    metrics to METRICS for node_exporter with -M, which the other
#    commands ignore, so that one command line serves all), then the
#    newest backup of each type the tree holds must be younger than 26h
#    (daily), 8d (weekly) or 32d (monthly), and so must its globals (a
#    type with backups and no globals fails): exit 1 and the FAIL lines
#    otherwise.
# report: bk-manifest report of the tree.
# The tree lock, BASEDIR/tree.lock (flock(1)): backups hold it shared,
# health alone, so that health never sees a backup half made (a file
# not yet recorded, a rotation under way).  Both wait for it up to
# BK_TREE_WAIT seconds (4 hours), then exit 75.
#
# Defaults: DATABASE is $PGDATABASE (libpq's environment and ~/.pgpass for
# the password: never on a command line), BASEDIR /var/backups/pg.
# RECIPIENTS is a file of age1... lines (bk-crypt -y, age-keygen -y): the
# backup host needs no secret key, and the globals, which hold the roles'
# password hashes, are encrypted too.  pg_dumpall -g reads the password
# hashes as a superuser (the postgres user) only.
#
# gzip or zstd (-z, bk(7) "Layers"): gzip, the default (bk-gz -6), is
# read by every machine and tool, which is what a restore on a bare host
# needs (gzip -d, zcat, any language's library); zstd (bk-zstd -1: on two
# threads, about the size of gzip -6, several times sooner, in a third of
# the memory of zstd's default level 3) is what users of pg_back and
# autopostgresqlbackup ask for, but the host that opens a backup by hand
# needs zstd(1).  Every bk tool (bk-manifest,
# bk-verify, bk-restore) reads both, by their first bytes, so a tree
# may hold both kinds: retention, health and report treat them alike.
#
# Each step logs one timestamped line on standard output; a failure logs
# one on standard error and exits: 64 usage, 66 no RECIPIENTS file or no
# manifest, 69 a tool missing or the database unreachable, 75 the tree
# lock still busy, 1 an unhealthy tree or too little free space, else the
# failing tool's status (a file whose manifest line could not be written
# is removed).  0 means
# the backup is recorded (or the tree is healthy).  Run it through
# bk-job.sh, one job name per type (pg-daily, pg-weekly...), so that two
# runs of a type never overlap.

set -euo pipefail

prog=${0##*/}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s: %s\n' "$(now)" "$prog" "$*"; }
die() { printf '%s %s: error: %s\n' "$(now)" "$prog" "$2" >&2; exit "$1"; }
usage() {
	echo "usage: $prog [-a] [-d database] [-b basedir] [-k keep] [-R recipients] [-z gzip|zstd] [-M metrics] daily|weekly|monthly|health|report" >&2
	exit 64
}

db=${PGDATABASE:-}
base=/var/backups/pg
keep=
ages=
recipients=
metrics=
compression=gzip
while getopts :ad:b:k:R:z:M:h opt; do
	case $opt in
	a) ages=1 ;;
	d) db=$OPTARG ;;
	b) base=$OPTARG ;;
	k) keep=$OPTARG ;;
	R) recipients=$OPTARG ;;
	z) compression=$OPTARG ;;
	M) metrics=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
cmd=$1
manifest=$base/manifest.jsonl

# The freshness each type must keep, and its retention by count and by age.
declare -A fresh=([daily]=26h [weekly]=8d [monthly]=32d)
declare -A count=([daily]=7 [weekly]=4 [monthly]=12)
declare -A age=([daily]=7d [weekly]=30d [monthly]=365d)
declare -A period=([daily]=days [weekly]=weeks [monthly]=months)

# lock_tree -s|-x: the tree lock, shared (a backup) or alone (health).
lock_tree() {
	local lock=$base/tree.lock rc=0
	{ exec 8>>"$lock"; } 2>/dev/null || die 73 "could not open the lock file \"$lock\""
	flock "$1" -n 8 || {
		log "wait for the tree lock \"$lock\""
		flock "$1" -w "${BK_TREE_WAIT:-14400}" -E 75 8 || rc=$?
	}
	case $rc in
	0) ;;
	75) die 75 "\"$lock\" still busy: not started" ;;
	*) die 74 "could not lock \"$lock\" (flock exit $rc)" ;;
	esac
}

case $cmd in
daily | weekly | monthly) ;;
report)
	command -v bk-manifest >/dev/null || die 69 "bk-manifest not found in PATH"
	[ -f "$manifest" ] || die 66 "no manifest \"$manifest\""
	exec bk-manifest -m "$manifest" report
	;;
health)
	for tool in bk-verify bk-manifest; do
		command -v "$tool" >/dev/null || die 69 "$tool not found in PATH"
	done
	[ -f "$manifest" ] || die 66 "no manifest \"$manifest\""
	lock_tree -x
	log "verify every backup in $manifest"
	bad=0
	rc=0
	bk-verify -q --record -m "$manifest" ${metrics:+-M "$metrics"} || rc=$?
	case $rc in 0) ;; 1) bad=1 ;; *) die "$rc" "bk-verify failed (exit $rc)" ;; esac
	for t in daily weekly monthly; do
		seen=
		for tt in "$t" "$t-globals"; do
			last=$(bk-manifest -m "$manifest" list -T "$tt" -l 1 -F tsv |
			    cut -f7) || die 74 "could not list the $tt backups"
			if [ -z "$last" ]; then
				[ -z "$seen" ] || { echo "FAIL type $tt: no globals"; bad=1; }
				continue
			fi
			seen=1
			rc=0
			bk-verify -q -m "$manifest" -T "$tt" \
			    --fresh-within "${fresh[$t]}" "$base/$last" || rc=$?
			case $rc in 0) ;; 1) bad=1 ;; *) die "$rc" "bk-verify failed (exit $rc)" ;; esac
		done
	done
	[ "$bad" = 0 ] || die 1 "$base is not healthy: see the FAIL lines"
	log "every backup in $base verified, the newest of each type fresh"
	exit 0
	;;
*) usage ;;
esac

type=$cmd
[ -n "$db" ] || die 64 "no database: -d or PGDATABASE"
[[ $db =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || die 64 "bad database name \"$db\""
if [ -z "$keep" ]; then
	if [ -n "$ages" ]; then keep=${age[$type]}; else keep=${count[$type]}; fi
fi
if [[ $keep =~ ^[1-9][0-9]*$ ]]; then
	policy=(--keep-"$type" "$keep")
	kept="the newest of each of the last $keep ${period[$type]}"
elif [[ $keep =~ ^([0-9]+[smhdwy])+$ ]]; then
	policy=(--max-age "$keep")
	kept="those younger than $keep"
else
	die 64 "bad keep \"$keep\": a count (7) or an age (7d)"
fi
case $compression in
gzip) compress=bk-gz level=-6 ext=gz ;;
zstd) compress=bk-zstd level=-1 ext=zst ;;
*) die 64 "bad compression \"$compression\": gzip or zstd" ;;
esac
[ -z "$recipients" ] || [ -r "$recipients" ] ||
    die 66 "could not read the recipients file \"$recipients\""
for tool in pg_dump pg_dumpall psql "$compress" bk-manifest bk-rotate \
    ${recipients:+bk-crypt}; do
	command -v "$tool" >/dev/null || die 69 "$tool not found in PATH"
done
err=$(psql -X -q -d "$db" -c 'SELECT 1' 2>&1 >/dev/null) ||
    die 69 "could not connect to database \"$db\": ${err%%$'\n'*}"

umask 077
mkdir -p "$base/$type"
lock_tree -s
stamp=$(date +%Y%m%d_%H%M%S)
suffix=.sql.$ext${recipients:+.age}
f=$base/$type/${db}_$stamp$suffix
g=$base/$type/${db}_$stamp.globals$suffix

# encrypt FILE: the last stages of a pipeline, compressing (and encrypting
# with -R) into FILE atomically.
encrypt() {
	if [ -n "$recipients" ]; then
		"$compress" "$level" | bk-crypt -R "$recipients" -o "$1"
	else
		"$compress" "$level" -o "$1"
	fi
}
# discard FILE: what a failed pipeline committed all the same (bk-gz,
# bk-zstd and bk-crypt write what they were given, a dump cut short too), with
# bk-crypt's record of the plaintext: not a backup.
discard() { rm -f "$1" "${1%/*}/.${1##*/}.bk-plain"; }
# record FILE TYPE [ARG ...]: its manifest line, or FILE goes.
record() {
	local rc=0
	bk-manifest -m "$manifest" add -T "$2" --source "postgresql:$db" "${@:3}" "$1" || rc=$?
	[ "$rc" = 0 ] || { discard "$1"; die "$rc" "could not record $1 (exit $rc): removed"; }
	log "recorded $1 in $manifest"
}
rotate() { bk-rotate -q -m "$manifest" -T "$1" "${policy[@]}" --delete; }

# Before the dump, the free-space check: the file system of $base must
# hold twice the largest of this type's last three backups (exit 1).
rc=0
space=$(bk-manifest -m "$manifest" space -T "$type" 2>&1) || rc=$?
[ "$rc" = 0 ] || die "$rc" "${space#bk-manifest: error: }"
log "$space"

log "dump $db to $f"
rc=0
pg_dump -Fp -d "$db" | encrypt "$f" || rc=$?
if [ "$rc" != 0 ]; then
	discard "$f"
	die "$rc" "the dump of $db failed (exit $rc): nothing recorded"
fi
record "$f" "$type"

log "dump the cluster's globals to $g"
rc=0
pg_dumpall -g | encrypt "$g" || rc=$?
if [ "$rc" != 0 ]; then
	discard "$g"
	rotate "$type"
	die "$rc" "the globals dump failed (exit $rc): $f is recorded, the globals are not"
fi
record "$g" "$type-globals" --description "roles and tablespaces"

rotate "$type"
rotate "$type-globals"
log "$type backups and globals in $base: kept $kept"
