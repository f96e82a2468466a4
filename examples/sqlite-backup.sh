#!/bin/bash
# sqlite-backup.sh: the backups of an SQLite application, seed 001's
# backup_cli.py (recipe 2 of bk(7)).
#
#   sqlite-backup.sh [-D database] [-b basedir] command [argument ...]
#
#   backup [-d description] [-u author] [-k keep] [manual|daily|weekly]
#       A consistent copy of the live database (bk-dump -F sqlite: the
#       online backup API, checked with integrity_check) in
#       BASEDIR/TYPE/NAME_backup_TYPE_YYYYmmdd_HHMMSS.db, recorded with its
#       description, author, source and database_version (PRAGMA
#       user_version) by bk-manifest add, verified by bk-verify --record;
#       then, as the seed keeps them, the daily copies of the last KEEP
#       days (7) or the weekly copies of the last KEEP weeks (4) are kept
#       (the newest of each day or week) and the rest deleted (bk-rotate);
#       manual copies are all kept.
#   list [-T type] [-l count]
#       The copies, newest first (bk-manifest list).
#   info [file]
#       The database (size, version, rows per table) and the tree
#       (bk-manifest report); with FILE, what the manifest says of it.
#   export [-x patterns] json|csv|sql
#       Every table of the database, in one snapshot, without the sensitive
#       columns, to BASEDIR/exports/NAME_export_YYYYmmdd_HHMMSS.jsonl, .csv
#       or .sql, recorded with type "export".  JSON Lines and CSV carry the
#       table's name in a "type" column (bk-dump(1)); the SQL is a data-only
#       script of INSERTs for a database made from the same schema, where
#       the sensitive columns stay NULL.  A column is sensitive when its
#       name matches one of PATTERNS, shell patterns separated by commas,
#       in any letter case, blanks around them ignored: -x, else
#       BK_SENSITIVE_COLUMNS when not empty, else "*password*", the
#       passwords the seed leaves out.  -x '' keeps every column (the
#       seed's --include-sensitive), and is the only way to: an -x of
#       blanks and commas is refused.
#   restore [-y] file
#       bk-restore: the copy is verified whole, the name of the database is
#       asked on the terminal (-y answers, the seed's --confirm), the
#       current database goes to BASEDIR/pre-restore/ first (a safety copy
#       with its manifest line), and the copy replaces the content in one
#       transaction, while the application keeps it open.  FILE is a path,
#       or a name as list shows it, relative to BASEDIR or found in one of
#       its folders.
#
# DATABASE (-D, else BK_SQLITE_DB) is the application's SQLite file, and
# BASEDIR (-b) the backup tree, ./backups unless given, its manifest
# BASEDIR/manifest.jsonl.  Progress goes to standard output as timestamped
# lines, errors to standard error; list and info print only their data.
# backup, export and restore hold the flock(1) lock of BASEDIR/.lock, so
# that two of them never write the tree at once (a daily copy and a
# weekly one, a restore while cron copies): the second exits 75.  A copy
# or export that cannot be recorded is removed: no file of the tree is
# left without its manifest line.
#
# Exit status: 0 done; 64 usage; 69 a tool is missing; 66 no such
# database or file; 73 a folder or the lock file cannot be created; 75
# another run holds the tree; otherwise the status of the tool that failed
# (bk-dump's, bk-manifest's, bk-restore's...), after one line saying which
# step failed.

set -euo pipefail

prog=${0##*/}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s: %s\n' "$(now)" "$prog" "$*"; }
die() { printf '%s %s: error: %s\n' "$(now)" "$prog" "$2" >&2; exit "$1"; }
usage() {
	cat >&2 <<EOF
usage: $prog [-D database] [-b basedir] backup [-d description] [-u author] [-k keep] [manual|daily|weekly]
       $prog [-b basedir] list [-T type] [-l count]
       $prog [-D database] [-b basedir] info [file]
       $prog [-D database] [-b basedir] export [-x patterns] json|csv|sql
       $prog [-D database] [-b basedir] restore [-y] file
EOF
	exit 64
}
# step WHAT CMD...: runs CMD; if it fails, one line says what failed and
# the script exits with CMD's status.
step() {
	local what=$1 rc=0
	shift
	"$@" || rc=$?
	[ "$rc" = 0 ] || die "$rc" "$what failed (exit $rc)"
}
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || die 69 "$t not found in PATH"
	done
}
need_db() {
	[ -n "$db" ] || die 64 "no database: -D or BK_SQLITE_DB"
	[ -f "$db" ] || die 66 "no such database \"$db\""
}
# newname PREFIX SUFFIX: PREFIX_YYYYmmdd_HHMMSS.SUFFIX, or with _2, _3...
# before the suffix when a run of the same second has that name.
newname() {
	local f sfx='' n=1
	f=$1_$(date +%Y%m%d_%H%M%S)
	while [ -e "$f$sfx.$2" ]; do
		n=$((n + 1))
		[ "$n" -le 99 ] || die 73 "could not find a free name for \"$f.$2\""
		sfx=_$n
	done
	printf '%s\n' "$f$sfx.$2"
}
# discard FILE STATUS WHAT: FILE has no manifest line: it goes, and the
# script exits with STATUS, saying WHAT failed.
discard() {
	rm -f -- "$1"
	die "$2" "$3 failed (exit $2): \"$1\" removed"
}
# lock_tree: the lock of the tree, without waiting.
lock_tree() {
	local rc=0
	need flock
	mkdir -p -- "$base" 2>/dev/null || die 73 "could not create the folder \"$base\""
	{ exec 9>>"$base/.lock"; } 2>/dev/null ||
		die 73 "could not open the lock file \"$base/.lock\""
	flock -n -E 75 9 || rc=$?
	case $rc in
	0) ;;
	75) die 75 "another run holds \"$base/.lock\": not started" ;;
	*) die 74 "could not lock \"$base/.lock\" (flock exit $rc)" ;;
	esac
}
# query SQL: the result of one query on the database, as CSV without its
# header, through bk-dump.
query() { bk-dump -q -D "sqlite:$db" --query "$1" | tail -n +2; }

db=${BK_SQLITE_DB:-}
base=backups
while getopts :D:b:h opt; do
	case $opt in
	D) db=${OPTARG#sqlite:} ;;
	b) base=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
# A name that starts with "-" is no option to the tools run on it.
[[ $db != -* ]] || db=./$db
[[ $base != -* ]] || base=./$base
cmd=$1
shift
OPTIND=1
manifest=$base/manifest.jsonl
name=${db##*/}
name=${name%.*}
umask 077

cmd_backup() {
	local desc='' author='' keep='' type=manual opt f version
	while getopts :d:u:k: opt; do
		case $opt in
		d) desc=$OPTARG ;;
		u) author=$OPTARG ;;
		k) keep=$OPTARG ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -le 1 ] || usage
	[ $# = 0 ] || type=$1
	case $type in
	manual) [ -z "$keep" ] || die 64 "manual copies are all kept: no -k" ;;
	daily) keep=${keep:-7} ;;
	weekly) keep=${keep:-4} ;;
	*) die 64 "bad backup type \"$type\" (manual, daily or weekly)" ;;
	esac
	[ -z "$keep" ] || [[ $keep =~ ^[1-9][0-9]*$ ]] || die 64 "bad count \"$keep\""
	need bk-dump bk-manifest bk-verify bk-rotate
	need_db
	lock_tree
	mkdir -p -- "$base/$type" 2>/dev/null || die 73 "could not create the folder \"$base/$type\""
	f=$(newname "$base/$type/${name}_backup_$type" db)

	log "copying $db to $f"
	step "the copy of $db" bk-dump -q -D "sqlite:$db" -F sqlite -o "$f"
	version=$(db=$f query 'SELECT user_version FROM pragma_user_version') ||
		discard "$f" 65 "reading the version of the copy"
	local add=(-T "$type" --source "sqlite:$db" --attribute "database_version=$version")
	[ -z "$desc" ] || add+=(--description "$desc")
	[ -z "$author" ] || add+=(-u "$author")
	bk-manifest -q -m "$manifest" add "${add[@]}" "$f" || discard "$f" "$?" "recording $f"
	log "recorded $f ($type, database_version $version) in $manifest"
	step "the verification of $f" bk-verify -q --record -m "$manifest" "$f"
	log "verified $f"
	# Per day and per week rather than the last N files: a burst of runs
	# on one day (by hand, a retried timer) cannot push a week out.
	case $type in
	daily) step "the rotation" bk-rotate -q -m "$manifest" -T daily --keep-daily "$keep" --delete
	       log "kept the daily copies of the last $keep days" ;;
	weekly) step "the rotation" bk-rotate -q -m "$manifest" -T weekly --keep-weekly "$keep" --delete
	       log "kept the weekly copies of the last $keep weeks" ;;
	esac
}

cmd_list() {
	need bk-manifest
	[ -f "$manifest" ] || die 66 "no backups yet: no \"$manifest\""
	local opt args=()
	while getopts :T:l: opt; do
		case $opt in
		T) args+=(-T "$OPTARG") ;;
		l) args+=(-l "$OPTARG") ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# = 0 ] || usage
	bk-manifest -m "$manifest" list "${args[@]}"
}

# resolve FILE: the path of a backup given as a path, or as a name relative
# to the tree, or as the name of a file in one of the tree's folders.
resolve() {
	local f=$1 hits=()
	if [ -e "$f" ]; then printf '%s\n' "$f"; return; fi
	if [ -e "$base/$f" ]; then printf '%s\n' "$base/$f"; return; fi
	if [[ $f != */* ]]; then
		for h in "$base"/*/"$f"; do
			[ -e "$h" ] && hits+=("$h")
		done
	fi
	[ ${#hits[@]} -gt 0 ] || die 66 "no such backup \"$f\""
	[ ${#hits[@]} = 1 ] || die 64 "\"$f\" names ${#hits[@]} backups: give its folder"
	printf '%s\n' "${hits[0]}"
}

cmd_info() {
	need bk-manifest bk-dump
	[ $# -le 1 ] || usage
	if [ $# = 1 ]; then
		local f
		f=$(resolve "$1")
		bk-manifest -m "$manifest" info "$f"
		return
	fi
	need_db
	local tables q=() t
	tables=$(query "SELECT name FROM sqlite_master WHERE type = 'table'
	    AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name") ||
		die 65 "could not read the schema of \"$db\""
	echo "database: $db"
	echo "size: $(stat -c %s "$db") bytes"
	echo "database_version: $(query 'SELECT user_version FROM pragma_user_version')"
	for t in $tables; do
		[[ $t =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
		q+=(--query "$t=SELECT count(*) AS n FROM \"$t\"")
	done
	if [ ${#q[@]} -gt 0 ]; then
		bk-dump -q -D "sqlite:$db" --labels "${q[@]}" | tail -n +2 |
		    awk -F, '{ printf "rows: %s %s\n", $1, $2 }'
	fi
	if [ -f "$manifest" ]; then
		echo "backups: $manifest"
		bk-manifest -m "$manifest" report
	else
		echo "backups: none yet ($manifest)"
	fi
}

cmd_export() {
	local patterns=${BK_SENSITIVE_COLUMNS:-*password*} opt fmt ext fopt=()
	while getopts :x: opt; do
		case $opt in
		x) patterns=$OPTARG ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# = 1 ] || usage
	fmt=$1
	case $fmt in
	json) ext=jsonl fopt=(-F jsonl --labels) ;;
	csv) ext=csv fopt=(-F csv --labels) ;;
	sql) ext=sql fopt=(-F sql) ;;
	*) die 64 "bad export format \"$fmt\" (json, csv or sql)" ;;
	esac
	need bk-dump bk-manifest
	need_db
	local t c pat sensitive dropped=() cols=() q=() last='' f pats=() raw=() p
	# Blanks around a pattern are no part of it: "*password*, *token*".
	IFS=, read -r -a raw <<<"$patterns"
	for p in "${raw[@]}"; do
		[[ $p =~ ^[[:space:]]*(.*[^[:space:]])?[[:space:]]*$ ]]
		[ -z "${BASH_REMATCH[1]}" ] || pats+=("${BASH_REMATCH[1]}")
	done
	[ -z "$patterns" ] || [ ${#pats[@]} -gt 0 ] ||
		die 64 "no pattern in \"$patterns\" (-x '' exports every column)"
	# One line per column, table then column, in the tables' order.
	local schema
	schema=$(query "SELECT m.name AS t, p.name AS c FROM sqlite_master m
	    JOIN pragma_table_info(m.name) p WHERE m.type = 'table'
	    AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY m.name, p.cid") ||
	    die 65 "could not read the schema of \"$db\""
	flush() {
		if [ -n "$last" ] && [ ${#cols[@]} -gt 0 ]; then
			q+=(--query "$last=SELECT $(IFS=,; echo "${cols[*]}") FROM \"$last\"")
		fi
		cols=()
	}
	shopt -s nocasematch
	while IFS=, read -r t c; do
		[[ $t =~ ^[A-Za-z_][A-Za-z0-9_]*$ && $c =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] ||
			die 65 "table or column \"$t.$c\": only names of letters, digits and _ are exported"
		[ "$t" = "$last" ] || { flush; last=$t; }
		sensitive=0
		for pat in "${pats[@]}"; do
			# shellcheck disable=SC2053 # $pat is a pattern
			[ -n "$pat" ] && [[ $c == $pat ]] && sensitive=1
		done
		if [ $sensitive = 1 ]; then dropped+=("$t.$c")
		else cols+=("\"$c\""); fi
	done <<<"$schema"
	flush
	shopt -u nocasematch
	[ ${#q[@]} -gt 0 ] || die 65 "\"$db\" has no table to export"
	lock_tree
	mkdir -p -- "$base/exports" 2>/dev/null ||
		die 73 "could not create the folder \"$base/exports\""
	f=$(newname "$base/exports/${name}_export" "$ext")
	log "exporting $db to $f without ${dropped[*]:-any column}"
	step "the export of $db" bk-dump -q -D "sqlite:$db" "${fopt[@]}" -o "$f" "${q[@]}"
	bk-manifest -q -m "$manifest" add -T export --source "sqlite:$db" \
	    --description "$fmt export without ${dropped[*]:-no column}" "$f" ||
		discard "$f" "$?" "recording $f"
	log "recorded $f in $manifest"
}

cmd_restore() {
	local yes=() opt f safety before
	while getopts :y opt; do
		case $opt in
		y) yes=(--yes) ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# = 1 ] || usage
	need bk-restore bk-manifest
	[ -n "$db" ] || die 64 "no database: -D or BK_SQLITE_DB"
	f=$(resolve "$1")
	lock_tree
	# The safety copy is the newest pre-restore line, if the restore added
	# one (none yet: no manifest, no line).
	newest() { bk-manifest -m "$manifest" list -T pre-restore -l 1 -F tsv 2>/dev/null | cut -f7 || :; }
	before=$(newest)
	log "restoring $f into $db"
	step "the restore of $f" bk-restore -q -m "$manifest" "${yes[@]}" -D "sqlite:$db" "$f"
	safety=$(newest)
	[ "$safety" != "$before" ] || safety=
	log "restored $f into $db${safety:+; what it held before is in $base/$safety}"
}

case $cmd in
backup|list|info|export|restore) "cmd_$cmd" "$@" ;;
*) usage ;;
esac
