# lib.sh: TAP helpers for bk's shell tests.  Source it first thing:
#   . "$(dirname "$0")/lib.sh"
# Each test runs in its own temporary folder, removed on exit.

set -u
TESTS=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$TESTS")
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PATH=$BUILD/bin:$PATH
SHARED=$TOP/../shared
export PATH TOP SHARED LC_ALL=C.UTF-8
# Every tool comes from the build under test: one missing from it must not
# be found, installed, further down PATH.
for _s in "$TOP"/tools/bk-*.c; do
	_t=${_s##*/}; _t=${_t%.c}
	[ -x "$BUILD/bin/$_t" ] ||
	    { echo "Bail out! $_t is not built in $BUILD (make build)"; exit 1; }
done

# What the tests make is private, as what the tools make is and as a careful
# user keeps identities and passphrases: bk warns about a secret that other
# users can read.  A test that needs another mode sets it.
umask 077

T=$(mktemp -d "${TMPDIR:-/tmp}/bk-test.XXXXXX")
_nb=
trap 'cd /; rm -rf "$T" ${_nb:+"$_nb"}' EXIT
cd "$T" || exit 1

_n=0
_failed=0

plan() { echo "1..$1"; }
# skip_all REASON: the whole file does not apply here.
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
done_testing() { echo "1..$_n"; [ "$_failed" = 0 ]; }

ok() {	# ok NAME CMD...: passes when CMD succeeds
	_name=$1; shift
	_n=$((_n + 1))
	if "$@"; then echo "ok $_n - $_name"
	else echo "not ok $_n - $_name"; _failed=$((_failed + 1)); fi
}
pass() { _n=$((_n + 1)); echo "ok $_n - $1"; }
fail() { _n=$((_n + 1)); echo "not ok $_n - $1"; _failed=$((_failed + 1)); }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $1"; }
diag() { echo "# $*"; }

# run CMD...: runs CMD with stdout in $T/out, stderr in $T/err, status in $rc.
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }

# exits NAME CODE CMD...: passes when CMD exits with CODE.
exits() {
	_name=$1 _want=$2; shift 2
	run "$@"
	if [ "$rc" = "$_want" ]; then pass "$_name"
	else fail "$_name"; diag "exit $rc, wanted $_want: $*"
		sed 's/^/#   /' "$T/err" | head -5; fi
}

# same NAME GOT WANT: passes when the files are identical (diff -u shown).
same() {
	if cmp -s "$2" "$3"; then pass "$1"
	else fail "$1"; diff -u "$3" "$2" 2>&1 | head -20 | sed 's/^/#   /'; fi
}

# like NAME FILE REGEX: passes when FILE has a line matching REGEX (ERE).
like() {
	if grep -Eq -- "$3" "$2"; then pass "$1"
	else fail "$1"; diag "no line matches /$3/ in:"
		head -5 "$2" | sed 's/^/#   /'; fi
}

# unlike NAME FILE REGEX: passes when no line of FILE matches REGEX.
unlike() {
	if grep -Eq -- "$3" "$2"; then fail "$1"
		grep -E -- "$3" "$2" | head -3 | sed 's/^/#   /'
	else pass "$1"; fi
}

# is NAME GOT WANT: string equality.
is() {
	if [ "$2" = "$3" ]; then pass "$1"
	else fail "$1"; diag "got '$2', wanted '$3'"; fi
}

# empty NAME FILE: passes when FILE is empty.
empty() {
	if [ ! -s "$2" ]; then pass "$1"
	else fail "$1"; head -3 "$2" | sed 's/^/#   /'; fi
}

# errline NAME CODE REGEX CMD...: exit CODE, stdout untouched, and exactly
# one stderr line matching REGEX: the shape of every bad-input row.
errline() {
	_name=$1 _want=$2 _re=$3; shift 3
	run "$@"
	if [ "$rc" = "$_want" ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	    grep -Eq -- "$_re" "$T/err"; then pass "$_name"
	else fail "$_name"; diag "exit $rc (wanted $_want): $*"
		sed 's/^/#   /' "$T/err" | head -5; fi
}

# usage NAME REGEX CMD...: exit 64, nothing on stdout, and the first line
# of stderr matching REGEX: the shape of every usage error.
usage() {
	_un=$1 _ure=$2; shift 2
	run "$@"
	if [ "$rc" = 64 ] && [ ! -s "$T/out" ] &&
	    head -1 "$T/err" | grep -Eq -- "$_ure"; then pass "$_un"
	else fail "$_un"; diag "exit $rc: $*"; sed 's/^/#   /' "$T/err" | head -3; fi
}

# need CMD...: skips the whole file when a program is missing.
need() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 || skip_all "$_c not installed"
	done
}

# need_pg: skips the whole file without the harness's PostgreSQL server.
need_pg() {
	[ -n "${BK_TEST_PG:-}" ] || skip_all "no test PostgreSQL server (run through tests/run.sh)"
	need psql
}

# mode FILE: the permission bits in octal (600).
mode() { stat -c %a "$1"; }

# flip FILE OFFSET [MASK | base64]: changes the byte at OFFSET in place,
# the tests' one way of damaging a file; a negative OFFSET counts from the
# end.  The byte is xored with MASK (0x55 unless given, so never left as
# it was; 0x01 for a one-bit change), or with "base64" becomes another
# base64 letter (A, or B where there was an A), for text that must still
# parse as base64.
flip() {
	perl -e 'my ($f, $o, $m) = @ARGV; open(F, "+<", $f) or die "flip: $f: $!\n";
	    binmode(F); $o += -s $f if $o < 0;
	    die "flip: $f has no byte $o\n" if $o < 0 || $o >= -s $f;
	    seek(F, $o, 0); read(F, my $c, 1);
	    $c = $m eq "base64" ? ($c eq "A" ? "B" : "A") : chr(ord($c) ^ oct($m));
	    seek(F, $o, 0); print F $c; close(F) or die "flip: $f: $!\n"' \
	    "$1" "$2" "${3:-0x55}"
}

# manifest_line [-d DIR] PATH [CREATED [TYPE [EXTRA]]]: a manifest line,
# as bk-manifest add writes one, for the file DIR/PATH (DIR is the
# manifest's folder, "." unless given) as it is now: {"path": PATH,
# "created": CREATED (2024-09-01T02:00:00Z), "type": TYPE (daily), "size"
# and "sha256" of the file, then EXTRA, JSON members without the leading
# comma ('"records":3' or '"records":3,"layers":["csv"]')}.
manifest_line() {
	_md=.
	[ "$1" = -d ] && { _md=$2; shift 2; }
	_mh=$(sha256sum <"$_md/$1") || return 1
	printf '{"path":"%s","created":"%s","type":"%s","size":%s,"sha256":"%s"%s}\n' \
	    "$1" "${2:-2024-09-01T02:00:00Z}" "${3:-daily}" \
	    "$(stat -c %s "$_md/$1")" "${_mh%% *}" "${4:+,$4}"
}

# pty [-o] [-E] [-a ANSWER]... [-k KEY | -s SIGNAL] [-e ECHOFILE] TTYFILE
# CMD...: runs CMD with a new pseudo-terminal as its controlling terminal,
# stdout (-o) and stderr (-E) on it if asked, typing each ANSWER at a
# prompt in turn, TTYFILE then holding what the terminal received; exits
# with CMD's status, or 128 plus the signal that ended it.  The tests' one
# terminal driver: tests/pty.py, which says more.
pty() { python3 "$TESTS/pty.py" "$@"; }

# wait_until CMD...: runs CMD every tenth of a second until it succeeds,
# for the state another process is to reach (a file written, a lock
# taken, a query's answer); returns 1 after two minutes without it, a
# guard against a hang, not a timing check.
wait_until() {
	_wi=0
	until "$@"; do
		[ $_wi -lt 1200 ] || { diag "wait_until: never: $*"; return 1; }
		sleep 0.1; _wi=$((_wi + 1))
	done
}

# hold_lock FILE: a background process takes FILE's flock(1) lock and keeps
# it until release_lock; returns once the lock is held (not after a sleep
# that a busy machine may outlast), or 1 when it never is (wait_until).
hold_lock() {
	rm -f "$T/.held"
	( flock 9 && : >"$T/.held" && exec sleep 600 ) 9>>"$1" >/dev/null 2>&1 &
	_holder=$!
	wait_until test -e "$T/.held" || { diag "hold_lock: no lock on $1"; return 1; }
}
release_lock() { kill "$_holder" 2>/dev/null; wait "$_holder" 2>/dev/null; rm -f "$T/.held"; }

# gen_text N: N bytes of CSV-like text, the same every time.
gen_text() {
	awk -v n="$1" 'BEGIN { srand(7); s = 0
	    while (s < n) { l = sprintf("%d,2024-09-%02d,%.2f,\"Cliente %d, Ltda\",pix\n", \
		s, s % 28 + 1, rand() * 1000, s % 997); printf "%s", l; s += length(l) } }' |
	    head -c "$1"
}
# gen_random N: N bytes that do not compress, the same every time.
gen_random() {
	openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f \
	    -iv 000102030405060708090a0b0c0d0e0f -nosalt </dev/zero 2>/dev/null |
	    head -c "$1"
}

# nobody_ok [DIR]: as root, says whether as_nobody can run here (and DIR,
# when given, is a folder nobody can enter); if not, nobody_why says why,
# for a skip line.  The tools nobody runs are a copy of the build under test
# in a folder of their own under /tmp: the build's folder may be closed to
# nobody (a checkout under /root, or in a folder of mode 0700), and a PATH
# entry it cannot enter would make runuser run an installed bk instead.
nobody_ok() {
	nobody_why=
	if [ "$(id -u)" != 0 ]; then nobody_why="not root"
	elif ! command -v runuser >/dev/null 2>&1; then nobody_why="no runuser"
	elif ! id nobody >/dev/null 2>&1; then nobody_why="no user nobody"
	elif [ -z "$_nb" ] && ! { _nb=$(mktemp -d /tmp/bk-nobody.XXXXXX) &&
	    mkdir "$_nb/bin" && cp "$BUILD"/bin/bk-* "$_nb/bin/" &&
	    chmod 755 "$_nb" "$_nb/bin" "$_nb"/bin/*; }; then
		nobody_why="could not copy the tools to $_nb"
	elif ! as_nobody bk-gz --version >/dev/null 2>&1; then
		nobody_why="nobody cannot run the tools copied to $_nb"
	elif [ $# -gt 0 ] && ! runuser -u nobody -- test -x "$1" 2>/dev/null; then
		nobody_why="nobody cannot enter $1 (a parent folder is closed to it)"
	fi
	[ -z "$nobody_why" ]
}
# as_nobody CMD...: runs CMD as nobody, the copied tools first in its PATH.
as_nobody() {
	runuser -u nobody -- env PATH="$_nb/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@"
}

# faulty CALL:NAME:N:WHAT CMD...: runs CMD with its Nth CALL (write,
# fsync, unlinkat, rename) on a file whose name begins with NAME made to
# fail (eio, enospc), come up short (short: half written, then every such
# write fails with ENOSPC, a disk filling up mid-line) or kill the program
# before the call (kill): the short form of the fault injector
# tests/faults/inject.c (see there), built into $BUILD/faults.  A sanitized
# build accepts the library loaded before its runtime.
faulty() {
	_spec=$1; shift
	_fc=${_spec%%:*} _fr=${_spec#*:}
	_fn=${_fr%%:*} _fr=${_fr#*:}
	_fk=${_fr%%:*} _fw=${_fr#*:}
	[ "$_fc" = unlinkat ] && _fc=unlink
	_ft=1
	[ "$_fw" = short ] && _ft=0
	BK_FAULT_OPS=$_fc BK_FAULT_PATH="*/$_fn*" BK_FAULT_NTH=$_fk \
	    BK_FAULT_TIMES=$_ft BK_FAULT_DO=$_fw \
	    LD_PRELOAD=$BUILD/faults/inject.so \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    "$@"
}

# tmpfs_mount DIR SIZE: as root, mounts a tmpfs of SIZE (64k) on DIR, the
# small full disk of the fault tests, unmounted when the test ends;
# returns 1, with the reason in tmpfs_why, when it cannot.
tmpfs_mount() {
	tmpfs_why=
	mkdir -p "$1"
	if [ "$(id -u)" != 0 ]; then tmpfs_why="not root"; return 1; fi
	if ! mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2>"$T/mount.err"; then
		tmpfs_why="mount failed: $(head -1 "$T/mount.err")"; return 1
	fi
	_mounts="$_mounts $(cd "$1" && pwd)"
	trap 'cd /; for _m in $_mounts; do umount "$_m"; done; rm -rf "$T" ${_nb:+"$_nb"}' EXIT
}
_mounts=

# lock_table DB TABLE: a psql session in the background (fed through
# descriptor 8) takes TABLE's ACCESS EXCLUSIVE lock in DB and keeps it
# until unlock_table, so that a pg_dump of DB, and the job running it,
# waits inside the dump; returns once the lock is granted, or 1 when it
# never is (wait_until).
# dump_waits DB: a pg_dump of DB is waiting for a lock.
lock_table() {
	_ltdb=$1 _ltrel=$2
	rm -f "$T/.lock_table"
	mkfifo "$T/.lock_table" || return 1
	psql -Xq -d "$_ltdb" <"$T/.lock_table" >"$T/.lock_table.out" 2>&1 &
	_ltpid=$!
	exec 8>"$T/.lock_table"
	echo "BEGIN; LOCK TABLE $_ltrel IN ACCESS EXCLUSIVE MODE;" >&8
	wait_until _lt_granted
}
_lt_granted() {
	[ "$(psql -XAt -d "$_ltdb" -c "SELECT count(*) FROM pg_locks
	    WHERE granted AND mode = 'AccessExclusiveLock'
	    AND relation = '$_ltrel'::regclass")" = 1 ]
}
unlock_table() { echo 'COMMIT;' >&8; exec 8>&-; wait "$_ltpid"; }
dump_waits() {
	[ "$(psql -XAt -d "$1" -c "SELECT count(*) FROM pg_stat_activity
	    WHERE datname = '$1' AND application_name = 'pg_dump'
	    AND wait_event_type = 'Lock'")" = 1 ]
}
