#!/bin/sh
# One table of verdicts (issue 10): good and broken files of every format
# (CSV, JSON Lines, pg_dump plain, custom and tar, SQLite, an empty file)
# under every layer (none, gzip, age, gzip inside age), fed to the three
# tools that judge a backup: bk-manifest add, bk-verify and bk-restore -n.
# They ask one engine (common/inspect.c), so they must accept the same
# files and refuse the others with the same reason, word for word; the
# few places where a tool legitimately sees less are asserted as such,
# with the reason why.
. "$(dirname "$0")/lib.sh"
need gzip sqlite3 perl

pg=
if [ -n "${BK_TEST_PG:-}" ] && command -v pg_dump >/dev/null 2>&1 &&
    command -v pg_restore >/dev/null 2>&1; then
	db=bk_0709
	dropdb --if-exists "$db" 2>/dev/null
	# pg_restore reads every archive of the table, about 140 times: the
	# one Debian's pg_wrapper would pick, without its Perl start each time.
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/pg_restore" ] && pgbin=$d
	done
	[ -n "${pgbin:-}" ] && PATH=$BUILD/bin:$pgbin:$PATH
	if createdb "$db"; then
		pg=1
		trap 'cd /; dropdb --if-exists "$db" 2>/dev/null; rm -rf "$T" ${_nb:+"$_nb"}' EXIT
	else
		fail "createdb $db"
	fi
fi

bk-crypt --keygen -o key.txt 2>/dev/null || fail "a key"
bk-crypt --keygen -o other.txt 2>/dev/null || fail "another key"
PUB=$(bk-crypt -y -i key.txt)

# ---- the contents, as made ----
# src/: the contents; l/: each under each layer; dmg/: layers damaged;
# aft/: files damaged after their manifest line was written; x/: scraps.
mkdir src l dmg aft x
awk 'BEGIN { print "id,name,amount"
    for (i = 1; i <= 300; i++) printf "%d,Cliente %d,%d.%02d\n", i, i, i * 7, i % 100 }' >src/good.csv
awk 'BEGIN { for (i = 1; i <= 300; i++)
    printf "{\"id\":%d,\"name\":\"Cliente %d\",\"amount\":%d.%02d}\n", i, i, i * 7, i % 100 }' >src/good.jsonl
sqlite3 src/good.db "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount REAL);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000)
    INSERT INTO t SELECT x, 'Cliente ' || x, x * 1.5 FROM c;
    CREATE INDEX t_name ON t(name);" || fail "an SQLite database"
: >src/good.empty
if [ -n "$pg" ]; then
	# 1000 rows: the custom archive's middle byte is in its data, not its TOC.
	psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'EOF2' || fail "the test table"
CREATE TABLE t (id int PRIMARY KEY, name text, amount numeric(10,2));
INSERT INTO t SELECT i, 'Cliente ' || i, i * 1.5 FROM generate_series(1, 1000) i;
EOF2
	pg_dump -d "$db" -Fp >src/good.sql && pg_dump -d "$db" -Fc >src/good.fc &&
	    pg_dump -d "$db" -Ft >src/good.ft || fail "pg_dump"
	diag "$(pg_dump --version)"
	formats="csv jsonl sql fc ft db"
else
	diag "no test PostgreSQL server: the pg_dump rows are left out"
	formats="csv jsonl db"
fi

# ---- the contents, broken before any layer went on ----
for f in $formats; do
	s=$(stat -c %s src/good.$f)
	head -c $((s / 2)) src/good.$f >src/half.$f
	head -c $((s - 1)) src/good.$f >src/cut1.$f
	cp src/good.$f src/flip.$f; flip src/flip.$f $((s / 2))
done
sed '3s/,Cliente 2,/,/' src/good.csv >src/ragged.csv
if [ -n "$pg" ]; then
	n=$(wc -l <src/good.sql)
	head -n $((n - 6)) src/good.sql >src/noend.sql
	grep -q '^-- PostgreSQL database dump complete' src/noend.sql &&
	    fail "the script without its closing lines still has them"
fi

# layers SRC: l/NAME as it is, in gzip, in age and in gzip inside age.
# bk-crypt -o records beside each .age what its plaintext held, broken or
# not; gzip is the peer's for CSV, bk-gz's for the rest.
layers() {
	_ln=${1##*/}
	cp "$1" "l/$_ln"
	case $_ln in
	*.csv) gzip -n -c "$1" >"l/$_ln.gz" ;;
	*) bk-gz -c "$1" >"l/$_ln.gz" ;;
	esac
	bk-crypt -r "$PUB" -o "l/$_ln.age" "$1" &&
	    bk-crypt -r "$PUB" -o "l/$_ln.gz.age" "l/$_ln.gz" ||
	    fail "encrypting $_ln"
}
for f in $formats; do
	for v in good half cut1 flip; do layers src/$v.$f; done
done
layers src/ragged.csv
[ -n "$pg" ] && layers src/noend.sql
layers src/good.empty

# ---- the layers, damaged ----
for f in $formats; do
	# The gzip layer broken, then encrypted: bk-crypt records it.
	g=l/good.$f.gz
	s=$(stat -c %s $g)
	head -c $((s / 2)) $g | bk-crypt -r "$PUB" -o dmg/gzhalf.$f.gz.age
	head -c $((s - 1)) $g | bk-crypt -r "$PUB" -o dmg/gzcut1.$f.gz.age
	cp $g x/flip.gz; flip x/flip.gz $((s / 2))
	bk-crypt -r "$PUB" -o dmg/gzflip.$f.gz.age x/flip.gz
	# The outermost layer damaged.
	for ly in .gz .age .gz.age; do
		g=l/good.$f$ly
		s=$(stat -c %s $g)
		head -c $((s / 2)) $g >dmg/half.$f$ly
		head -c $((s - 1)) $g >dmg/cut1.$f$ly
		cp $g dmg/flip.$f$ly; flip dmg/flip.$f$ly $((s / 2))
	done
done
# For the wrong key: a file of its own, with its record.
bk-crypt -r "$PUB" -o dmg/wrongkey.db.age src/good.db
if command -v age >/dev/null 2>&1; then
	age -r "$PUB" -o dmg/peer.db.age src/good.db &&
	    age -r "$PUB" -o dmg/peerhalf.db.age src/half.db || fail "age -r"
fi

# manifest DIR: DIR/manifest.jsonl, a line for each file in DIR as it is
# (the bytes a row judges are the bytes recorded).
manifest() {
	for _mf in "$1"/*; do manifest_line -d "$1" "${_mf##*/}" || return 1
	done >x/manifest.jsonl && mv x/manifest.jsonl "$1/"
}
manifest l
manifest dmg
# after NAME FILE ORIG: aft/NAME, a copy of FILE, recorded as ORIG was.
after() {
	cp "$3" "aft/$1" && manifest_line -d aft "$1" >>aft/manifest.jsonl &&
	    cp "$2" "aft/$1"
}

# matches GOT WANT: WANT is the reason itself, or ~ERE for a reason whose
# details are a third party's bytes (deflate's, SQLite's page layout).
matches() {
	case $2 in
	"~"*) case $1 in *"
"*) return 1 ;; esac
	    printf '%s\n' "$1" | grep -Eq -- "${2#"~"}" ;;
	*) [ "$1" = "$2" ] ;;
	esac
}

# got FILE: FILE's text in $_g, without a fork (the table has many rows).
got() {
	_g= _x=
	while IFS= read -r _x || [ -n "$_x" ]; do
		_g="${_g:+$_g
}$_x" _x=
	done <"$1"
}

# Per row, when not the usual: key (-i for bk-verify and bk-restore on an
# .age), code (the refusal's exit code), orig (1: the file was damaged
# after its manifest line was written).
key=key.txt code=65 orig= _k=0
# tgt: bk-restore's target for the format, "" when it cannot restore it.
tgt=
target() {
	case $1 in
	sql | fc | ft) tgt="dbname=$db" ;;
	db | empty) tgt="sqlite:$T/target.db" ;;
	*) tgt= ;;
	esac
}

# check NAME FILE WANT [ADD]: the row.  WANT is "ok", or c:REASON (the
# content decoded and is not whole), or l:REASON (a layer could not be
# decoded), or s:REASON (the file is not the size the manifest says, so
# nothing was read).  bk-verify's reason is taken, checked against WANT,
# and then required word for word from bk-restore -n and bk-manifest add.
# bk-manifest add has no key and no manifest line to compare with; where
# it legitimately sees less, ADD says what it says instead: c:REASON or
# l:REASON, "blind" (it accepts the file, warning that nothing recorded
# what it holds) or "quiet" (it accepts the file, saying nothing).
check() {
	_nm=$1 _f=$2 _w=$3 _a=${4:-}
	_b=${_f##*/} _m=${_f%/*}/manifest.jsonl _i= _r= _k=$((_k + 1))
	case $_b in *.age) _i="-i $key" ;; esac

	# bk-verify, with the key when there is an age layer.
	run bk-verify $_i -m $_m "$_f"
	got "$T/out"; _o=$_g
	case $_w:$orig in
	ok:)	is "$_nm: bk-verify OK" "$rc $_o" "0 OK $_f" ;;
	ok:*)	is "$_nm: bk-verify FAIL, the digest only" "$rc $_o" \
		    "1 FAIL $_f: sha256 does not match" ;;
	s:*)	_r=${_w#s:}
		is "$_nm: bk-verify FAIL, the size" "$rc $_o" "1 FAIL $_f: $_r" ;;
	*)	_p="FAIL $_f: "
		[ -n "$orig" ] && _p="${_p}sha256 does not match ("
		_r=${_o#"$_p"}
		[ -n "$orig" ] && _r=${_r%")"}
		if [ "$rc" = 1 ] && [ "$_r" != "$_o" ] &&
		    matches "$_r" "${_w#?:}"; then
			pass "$_nm: bk-verify FAIL, why"
		else
			fail "$_nm: bk-verify FAIL, why"
			diag "got '$rc $_o', wanted 1, the reason '${_w#?:}'"
		fi ;;
	esac

	# bk-restore -n: the same verdict and reason.
	if [ -n "$tgt" ]; then
		run bk-restore -n $_i -m $_m -D "$tgt" "$_f"
		got "$T/err"
		_e="bk-restore: error: could not restore \"$_b\": "
		if [ "$_w" = ok ] && [ -z "$orig" ]; then _e=
		elif [ "${_w%%:*}" = s ]; then _e="1 $_e$_r"
		elif [ -n "$orig" ]; then
			_e="1 ${_e}sha256 does not match the manifest${_r:+ ($_r)}"
		else _e="$code $_e$_r"; fi
		if [ -z "$_e" ]; then
			if [ "$rc" = 0 ]; then pass "$_nm: bk-restore -n accepts it"
			else fail "$_nm: bk-restore -n accepts it"
				diag "exit $rc: $_g"; fi
		else
			is "$_nm: bk-restore -n refuses it, the same why" \
			    "$rc $_g" "$_e"
		fi
	fi

	# bk-manifest add, without a key, into a manifest of its own: what
	# bk-crypt recorded beside the file, if anything.
	run bk-manifest -m ${_f%/*}/add$_k.jsonl add "$_f"
	got "$T/err"
	_s=", the same why"
	[ -n "$_a" ] && _s=" (it reads the file)"
	[ -z "$_a" ] && case $_w in c:* | l:*) _a=${_w%%:*}:$_r ;; *) _a=quiet ;; esac
	case $_a in
	blind)
		is "$_nm: bk-manifest add cannot see it: accepts, warning" \
		    "$rc $_g" "0 bk-manifest: warning: \"$_f\" is encrypted and nothing recorded what it holds: its content is not checked (bk-crypt -o records it)" ;;
	quiet)
		is "$_nm: bk-manifest add accepts it" "$rc $_g" "0 " ;;
	c:*)
		is "$_nm: bk-manifest add refuses it$_s" \
		    "$rc $_g" \
		    "$code bk-manifest: error: could not add \"$_f\": ${_a#c:} (--incomplete records it anyway)" ;;
	l:*)
		is "$_nm: bk-manifest add cannot read it$_s" \
		    "$rc $_g" \
		    "$code bk-manifest: error: could not read \"$_f\": ${_a#l:}" ;;
	esac

	# Accepted with what bk-crypt recorded: bk-verify without the key says
	# the depth that bk-verify with the key finds.
	case $_w:$_a:$orig:$_b in ok:quiet::*.age)
		run bk-verify -v $_i -m $_m "$_f"
		got "$T/out"
		_h=${_g#"OK $_f ("} _h=${_h%")"}
		case $_h in
		*" age, "*) _h="${_h%%" age, "*}, ${_h#*" age, "}" ;;
		*" age") _h=${_h%" age"} ;;
		esac
		run bk-verify -m ${_f%/*}/add$_k.jsonl "$_f"
		got "$T/out"
		is "$_nm: bk-verify without the key, the depth recorded" \
		    "$rc $_g" \
		    "0 OK $_f (age not decrypted, no identity: size, sha256 and header checked; held $_h, whole when made)"
	esac
}

# content FORMAT VARIANT WANT: the row under each layer, one verdict.
content() {
	check "$1 $2" "l/$2.$1" "$3"
	check "$1 $2 in gzip" "l/$2.$1.gz" "$3"
	check "$1 $2 in age" "l/$2.$1.age" "$3"
	check "$1 $2 in gzip in age" "l/$2.$1.gz.age" "$3"
}

# ---- the table: the content broken before the layers ----
target csv
content csv good ok
content csv half 'c:CSV line 159, column 12: record has 2 fields, the header has 3'
# Only the last line end went: the last record is still whole.
content csv cut1 ok
# The middle byte became another letter: still rectangular CSV.  Only the
# manifest's sha256 sees such a change (below).
content csv flip ok
content csv ragged 'c:CSV line 3, column 8: record has 2 fields, the header has 3'

# JSON Lines: every line a JSON object (jansson reads it).  Cut in the
# middle of a line, or a byte changed inside one, is refused, naming the
# line; only the last line end gone leaves every record whole.
target jsonl
content jsonl good ok
content jsonl half 'c:~^JSON Lines line 154, column [0-9]+: '
content jsonl cut1 ok
content jsonl flip 'c:~^JSON Lines line 154, column [0-9]+: '

if [ -n "$pg" ]; then
	target sql
	end='c:pg_dump script is incomplete (no "-- PostgreSQL database dump complete" at the end)'
	content sql good ok
	content sql half "$end"
	# Only the blank line after the last line went.
	content sql cut1 ok
	# The middle byte is COPY data: the script is still complete.
	content sql flip ok
	content sql noend "$end"

	target fc
	fccut='c:pg_dump archive is incomplete (pg_restore: error: could not read from input file: end of file)'
	content fc good ok
	content fc half "$fccut"
	content fc cut1 "$fccut"
	content fc flip 'c:pg_dump archive is incomplete (pg_restore: error: could not uncompress data: incorrect data check)'

	target ft
	tarcut='c:pg_dump archive is incomplete (the tar archive does not end with its two zero blocks: it was cut short)'
	content ft good ok
	content ft half "$tarcut"
	content ft cut1 "$tarcut"
	# The middle byte is in a member's data, which tar does not checksum
	# and pg_restore reads as text: whole to every tool alike.
	content ft flip ok
fi

target db
sqlbad='~^the SQLite database (fails integrity_check: .+|is damaged \(.+\))$'
content db good ok
content db half 'c:the SQLite database is damaged (database disk image is malformed)'
content db cut1 "c:$sqlbad"
content db flip "c:$sqlbad"

# Nothing at all, and nothing inside a layer.
target empty
check "empty file" l/good.empty 'c:file is empty'
check "empty in gzip" l/good.empty.gz 'c:no data inside the gzip layer'
check "empty in age" l/good.empty.age 'c:no data inside the age layer'
check "empty in gzip in age" l/good.empty.gz.age 'c:no data inside the gzip layer'

# ---- the gzip layer broken before it was encrypted ----
# bk-crypt recorded that its plaintext's gzip layer could not be decoded:
# bk-manifest add cannot read it either, as the same gzip unencrypted.
# Where inflate notices a flipped byte depends on the bytes around it (a
# pg_dump script's \restrict key is new each time): any of gzip's reasons,
# but the same from every tool.
gzflip='l:~^((bad CRC|bad length) in member ending|corrupt gzip data \(.+\)|truncated gzip input|trailing garbage after gzip data) at byte [0-9]+$'
for f in $formats; do
	target $f
	s=$(stat -c %s l/good.$f.gz)
	check "$f, gzip cut in half, then age" dmg/gzhalf.$f.gz.age \
	    "l:truncated gzip input at byte $((s / 2))"
	check "$f, gzip cut by a byte, then age" dmg/gzcut1.$f.gz.age \
	    "l:truncated gzip input at byte $((s - 1))"
	check "$f, gzip with a byte flipped, then age" dmg/gzflip.$f.gz.age \
	    "$gzflip"
done

# ---- the outermost layer damaged before the file was recorded ----
# A copy cut or changed on its way, then recorded as it is: every tool
# reads it, and the layer that notices says why.  bk-manifest add has no
# key: it cannot open the age layer whose authentication fails, and
# bk-crypt's record is of the file as it was made, not beside the damaged
# copy; so it accepts it, warning that nothing recorded what it holds.
auth='l:chunk 1 (offset 184) failed authentication'
for f in $formats; do
	target $f
	s=$(stat -c %s l/good.$f.gz)
	check "$f in gzip, cut in half" dmg/half.$f.gz \
	    "l:truncated gzip input at byte $((s / 2))"
	check "$f in gzip, cut by a byte" dmg/cut1.$f.gz \
	    "l:truncated gzip input at byte $((s - 1))"
	check "$f in gzip, a byte flipped" dmg/flip.$f.gz "$gzflip"
	# One chunk of age (under 64 KiB), after its header.
	for ly in .age .gz.age; do
		n=age; [ $ly = .gz.age ] && n="gzip in age"
		check "$f in $n, cut in half" dmg/half.$f$ly "$auth" blind
		check "$f in $n, cut by a byte" dmg/cut1.$f$ly "$auth" blind
		check "$f in $n, a byte flipped" dmg/flip.$f$ly "$auth" blind
	done
done

# ---- damaged after the file was recorded ----
# The manifest line is the file's as made: bk-verify and bk-restore refuse
# a changed file for its digest, with the reason of the layer that
# noticed, if one did, and a cut one for its size, before reading a byte.
# bk-manifest add has no line to compare with: it says what it reads.
for f in $formats; do
	for ly in .gz .age .gz.age; do
		after flip.$f$ly dmg/flip.$f$ly l/good.$f$ly
	done
done
for ly in .gz .age .gz.age; do
	after half.db$ly dmg/half.db$ly l/good.db$ly
	after cut1.db$ly dmg/cut1.db$ly l/good.db$ly
done
after flip.csv l/flip.csv l/good.csv
[ -n "$pg" ] && after flip.sql l/flip.sql l/good.sql
orig=1
for f in $formats; do
	target $f
	check "$f in gzip, a byte flipped after" aft/flip.$f.gz "$gzflip"
	check "$f in age, a byte flipped after" aft/flip.$f.age "$auth" blind
	check "$f in gzip in age, a byte flipped after" aft/flip.$f.gz.age \
	    "$auth" blind
done
target db
for ly in .gz .age .gz.age; do
	s=$(stat -c %s l/good.db$ly)
	h=$((s / 2)) c=$((s - 1))
	case $ly in
	.gz) a1="l:truncated gzip input at byte $h"
	     a2="l:truncated gzip input at byte $c" n=gzip ;;
	*) a1=blind a2=blind n=age; [ $ly = .gz.age ] && n="gzip in age" ;;
	esac
	check "db in $n, cut in half after" aft/half.db$ly \
	    "s:size is $h bytes, the manifest says $s" "$a1"
	check "db in $n, cut by a byte after" aft/cut1.db$ly \
	    "s:size is $c bytes, the manifest says $s" "$a2"
done
# A flipped byte that no content check can see: only the digest.
target csv
check "csv, a byte flipped after" aft/flip.csv ok
if [ -n "$pg" ]; then
	target sql
	check "pg_dump script, a byte flipped after" aft/flip.sql ok
fi
orig=

# ---- keys and peers ----
# The wrong key opens nothing: bk-verify and bk-restore fail (1);
# bk-manifest add needs no key, and has the record.
target db
key=other.txt code=1
check "SQLite database in age, the wrong key" dmg/wrongkey.db.age \
    'l:no identity matches (wrong key or passphrase)' quiet
key=key.txt code=65
if command -v age >/dev/null 2>&1; then
	# age writes no record: bk-manifest add cannot know what the file
	# holds and accepts it, warning; with the key, the others see it
	# whole, or cut.
	target db
	check "SQLite database, age's encryption" dmg/peer.db.age ok blind
	check "SQLite database cut in half, age's encryption" \
	    dmg/peerhalf.db.age 'c:the SQLite database is damaged (database disk image is malformed)' blind
else
	skip "age not installed: its encryption is not in the table"
fi

diag "$_k rows"
done_testing
