#!/bin/sh
# Permission denied is exit 77 (DESIGN.md) for every tool that opens files:
# an unreadable input gives one error line naming it and nothing on stdout;
# an output (-o and its kin) in a folder the user cannot write gives 77 and
# leaves no file, temporary or final, behind; a manifest the user cannot
# write gives 77 and stays as it was.
#
# Root reads and writes everything, so as root the tools run as nobody, in
# a folder that nobody owns: the modes set below then bind them as they
# bind any user.  Run as another user, the tools run as that user.
. "$(dirname "$0")/lib.sh"
need sqlite3 sha256sum

W=$T
if [ "$(id -u)" = 0 ]; then
	nobody_ok || skip_all "root, and $nobody_why"
	# nobody must reach its folder: $T's parents may be closed to it
	# (TMPDIR under /root), so it gets a folder of its own in /tmp.
	W=$_nb/w
	mkdir "$W" && chown nobody "$W" || skip_all "no folder that nobody can reach"
	as_nobody sh -c 'cd "$1" && : >probe && rm probe' sh "$W" 2>/dev/null ||
	    skip_all "nobody cannot write in $W"
	# as CMD...: runs a tool as the user the modes apply to.
	as() { as_nobody "$@"; }
else
	as() { "$@"; }
fi
cd "$W" || exit 1

# The files: one of each kind readable, one of each locked (mode 000), an
# empty folder that cannot be written, a backup tree with its manifest,
# and a rotation tree.
printf 'id,name\n1,ana\n2,bruno\n' >in.csv
bk-gz <in.csv >in.gz
bk-crypt --keygen -q -o k.key
PUB=$(bk-crypt -y -i k.key)
echo "$PUB" >rcpt
bk-crypt -r "$PUB" -o in.age in.csv
sqlite3 db.sqlite 'create table t(id integer, name text); insert into t values (1, '"'ana'"')'
sha256sum in.csv >sums
printf 'x\n' >pass
for f in in.csv in.gz k.key rcpt in.age db.sqlite sums pass; do
	cp "$f" "locked.$f"
done
mkdir ro t r r/daily
printf 'id\n1\n' >t/a.csv
printf 'id\n2\n' >t/b.csv
cp t/a.csv t/locked.csv
bk-manifest -m t/manifest.jsonl add t/a.csv
cp t/manifest.jsonl t.orig
for d in 01 02 03 04; do
	printf 'id\n%s\n' "$d" >r/daily/db_2024-09-$d.csv
	bk-manifest -m r/manifest.jsonl add -T daily --created 2024-09-${d}T02:00:00Z \
	    r/daily/db_2024-09-$d.csv
done
cp r/manifest.jsonl r.orig
[ "$(id -u)" = 0 ] && chown -R nobody .
chmod 000 locked.* t/locked.csv
chmod 555 ro
# Where permissions are not enforced (a file system mounted without them,
# capabilities kept), nothing here can be provoked.
if as cat locked.in.csv >/dev/null 2>&1; then
	skip_all "a mode 000 file is still readable here"
fi

# denied NAME FILE CMD...: exit 77, one error line from the tool that
# begins NAME, naming FILE with "Permission denied"; nothing on stdout.
denied() {
	_dn=$1 _df=$2; shift 2
	errline "$_dn: exit 77, one line" 77 \
	    "^${_dn%% *}: error: .*\"$_df\": Permission denied$" as "$@"
	empty "$_dn: nothing on stdout" "$T/out"
}
# nothing_in NAME FOLDER: the folder is empty (no output, no temporary).
nothing_in() { is "$1: nothing left in $2/" "$(ls -A "$2")" ""; }
# unchanged NAME FILE ORIG: the file is byte for byte as it was.
unchanged() { same "$1: $2 unchanged" "$2" "$3"; }

# ---- bk-gz
denied "bk-gz unreadable input" locked.in.csv bk-gz locked.in.csv
denied "bk-gz -d unreadable input" locked.in.gz bk-gz -d locked.in.gz
denied "bk-gz -t unreadable input" locked.in.gz bk-gz -t locked.in.gz
denied "bk-gz -o in a closed folder" ro/x.gz bk-gz -o ro/x.gz in.csv
nothing_in "bk-gz -o" ro
denied "bk-gz -d -o in a closed folder" ro/x bk-gz -d -o ro/x in.gz
nothing_in "bk-gz -d -o" ro

# ---- bk-sum
denied "bk-sum unreadable input" locked.in.csv bk-sum locked.in.csv
denied "bk-sum -c unreadable list" locked.sums bk-sum -c locked.sums
denied "bk-sum -o in a closed folder" ro/x bk-sum -o ro/x in.csv
nothing_in "bk-sum -o" ro
denied "bk-sum --tee -o in a closed folder" ro/x sh -c 'bk-sum --tee -o ro/x <in.csv'
nothing_in "bk-sum --tee -o" ro
denied "bk-sum --digest-to in a closed folder" ro/d \
    sh -c 'bk-sum --tee --digest-to ro/d <in.csv'
nothing_in "bk-sum --digest-to" ro

# ---- bk-crypt
denied "bk-crypt unreadable input" locked.in.csv bk-crypt -r "$PUB" locked.in.csv
denied "bk-crypt -d unreadable input" locked.in.age bk-crypt -d -i k.key locked.in.age
denied "bk-crypt -t unreadable input" locked.in.age bk-crypt -t -i k.key locked.in.age
denied "bk-crypt unreadable identity" locked.k.key bk-crypt -d -i locked.k.key in.age
denied "bk-crypt unreadable recipients file" locked.rcpt bk-crypt -R locked.rcpt in.csv
denied "bk-crypt unreadable passphrase file" locked.pass \
    bk-crypt -p --passphrase-file locked.pass in.csv
denied "bk-crypt -o in a closed folder" ro/x.age bk-crypt -r "$PUB" -o ro/x.age in.csv
nothing_in "bk-crypt -o" ro
denied "bk-crypt -d -o in a closed folder" ro/x bk-crypt -d -i k.key -o ro/x in.age
nothing_in "bk-crypt -d -o" ro
denied "bk-crypt --keygen -o in a closed folder" ro/k.key bk-crypt --keygen -o ro/k.key
nothing_in "bk-crypt --keygen -o" ro

# ---- bk-dump (SQLite)
denied "bk-dump unreadable SQLite file" locked.db.sqlite \
    bk-dump -D sqlite:locked.db.sqlite --table t
denied "bk-dump -o in a closed folder" ro/t.csv bk-dump -D sqlite:db.sqlite --table t -o ro/t.csv
nothing_in "bk-dump -o" ro
denied "bk-dump -F sqlite -o in a closed folder" ro/copy.sqlite \
    bk-dump -D sqlite:db.sqlite -F sqlite -o ro/copy.sqlite
nothing_in "bk-dump -F sqlite -o" ro
# The counts file is part of the output: if it cannot be made, no output.
denied "bk-dump --counts in a closed folder" ro/n bk-dump -D sqlite:db.sqlite --table t \
    -o dump.csv --counts ro/n
ok "bk-dump --counts: no -o file either" test ! -e dump.csv
nothing_in "bk-dump --counts" ro
denied "bk-dump --counts in a closed folder, to stdout" ro/n \
    bk-dump -D sqlite:db.sqlite --table t --counts ro/n

# ---- bk-csv
denied "bk-csv unreadable input" locked.in.csv bk-csv locked.in.csv
denied "bk-csv --test unreadable input" locked.in.csv bk-csv -t locked.in.csv
denied "bk-csv -o in a closed folder" ro/x.csv bk-csv -o ro/x.csv in.csv
nothing_in "bk-csv -o" ro
denied "bk-csv --count-file in a closed folder" ro/n bk-csv --count-file ro/n \
    -o csv.csv in.csv
ok "bk-csv --count-file: no -o file either" test ! -e csv.csv
nothing_in "bk-csv --count-file" ro
denied "bk-csv --count-file in a closed folder, to stdout" ro/n \
    bk-csv --count-file ro/n in.csv

# ---- bk-manifest
M="-m t/manifest.jsonl"
denied "bk-manifest add unreadable file" t/locked.csv bk-manifest $M add t/locked.csv
unchanged "bk-manifest add unreadable file" t/manifest.jsonl t.orig
chmod 000 t/manifest.jsonl
denied "bk-manifest list, unreadable manifest" t/manifest.jsonl bk-manifest $M list
denied "bk-manifest info, unreadable manifest" t/manifest.jsonl bk-manifest $M info t/a.csv
chmod 444 t/manifest.jsonl
denied "bk-manifest add, read-only manifest" t/manifest.jsonl bk-manifest $M add t/b.csv
unchanged "bk-manifest add, read-only manifest" t/manifest.jsonl t.orig
denied "bk-manifest remove, read-only manifest" t/manifest.jsonl bk-manifest $M remove t/a.csv
unchanged "bk-manifest remove, read-only manifest" t/manifest.jsonl t.orig
# A rewrite needs a temporary file beside the manifest.
chmod 600 t/manifest.jsonl
chmod 555 t
errline "bk-manifest remove, closed folder: exit 77, one line" 77 \
    '^bk-manifest: error: could not create a temporary file beside "t/manifest.jsonl": Permission denied$' \
    as bk-manifest $M remove t/a.csv
unchanged "bk-manifest remove, closed folder" t/manifest.jsonl t.orig
is "bk-manifest remove, closed folder: no temporary file" \
    "$(ls -A t)" "$(printf 'a.csv\nb.csv\nlocked.csv\nmanifest.jsonl')"
chmod 755 t

# ---- bk-verify
M="-m t/manifest.jsonl"
chmod 000 t/manifest.jsonl
denied "bk-verify unreadable manifest" t/manifest.jsonl bk-verify $M
chmod 600 t/manifest.jsonl
denied "bk-verify unreadable identity" locked.k.key bk-verify $M -i locked.k.key
denied "bk-verify unreadable passphrase file" locked.pass bk-verify $M --passphrase-file locked.pass
denied "bk-verify -c unreadable list" locked.sums bk-verify -c locked.sums
errline "bk-verify -M in a closed folder: exit 77, one line" 77 \
    '^bk-verify: error: could not create "ro/metrics.prom": Permission denied$' \
    as bk-verify $M -M ro/metrics.prom
nothing_in "bk-verify -M" ro
chmod 444 t/manifest.jsonl
errline "bk-verify --record, read-only manifest: exit 77, one line" 77 \
    '^bk-verify: error: could not open manifest "t/manifest.jsonl": Permission denied$' \
    as bk-verify $M --record
unchanged "bk-verify --record, read-only manifest" t/manifest.jsonl t.orig
chmod 600 t/manifest.jsonl
chmod 555 t
errline "bk-verify --record, closed folder: exit 77, one line" 77 \
    '^bk-verify: error: could not create a temporary file beside "t/manifest.jsonl": Permission denied$' \
    as bk-verify $M --record
unchanged "bk-verify --record, closed folder" t/manifest.jsonl t.orig
chmod 755 t

# ---- bk-rotate
ROT="bk-rotate -m r/manifest.jsonl --now 2024-09-05"
all4="db_2024-09-01.csv db_2024-09-02.csv db_2024-09-03.csv db_2024-09-04.csv"
chmod 000 r/manifest.jsonl
denied "bk-rotate unreadable manifest" r/manifest.jsonl $ROT --keep-last 2
chmod 444 r/manifest.jsonl
denied "bk-rotate --delete, read-only manifest" r/manifest.jsonl $ROT --keep-last 2 --delete
unchanged "bk-rotate --delete, read-only manifest" r/manifest.jsonl r.orig
is "bk-rotate --delete, read-only manifest: nothing removed" "$(echo $(ls r/daily))" "$all4"
chmod 600 r/manifest.jsonl
chmod 555 r/daily
errline "bk-rotate --delete, closed backup folder: exit 77, one line" 77 \
    '^bk-rotate: warning: could not remove "daily/db_2024-09-01.csv" in ".*/r": Permission denied$' \
    as $ROT --keep-last 3 --delete
unchanged "bk-rotate --delete, closed backup folder" r/manifest.jsonl r.orig
chmod 755 r/daily
chmod 555 r
run as $ROT --keep-last 2 --delete
is "bk-rotate --delete, closed manifest folder: exit 77" "$rc" 77
like "bk-rotate --delete, closed manifest folder: says why" "$T/err" \
    '^bk-rotate: error: could not create a temporary file beside "r/manifest.jsonl": Permission denied$'
unchanged "bk-rotate --delete, closed manifest folder" r/manifest.jsonl r.orig
# The manifest cannot be rewritten, so its lines must keep naming files
# that exist: bk-rotate finds that out before it removes anything.
is "bk-rotate --delete, closed manifest folder: nothing removed" \
    "$(echo $(ls r/daily))" "$all4"
chmod 755 r

done_testing
