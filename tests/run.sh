#!/bin/sh
# run.sh: runs bk's tests through prove, with a throwaway PostgreSQL server
# (Unix socket only, in a temporary folder; see pg.sh) and, when a test to
# run asks for it (need_s3) and BK_TEST_S3 is not 0, a throwaway S3 store
# (Ceph radosgw on 127.0.0.1, in a temporary folder; see s3.sh), both
# stopped at the end even when tests fail or the run is interrupted.
# Arguments go to prove; without them, every test runs.
#   BUILD=build tests/run.sh [tests/0101-gz.t ...]

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
export BUILD

. "$top/tests/pg.sh"
if [ -n "$_pgbin" ]; then
	pg_start || exit 1
	echo "# test PostgreSQL $("$_pgbin/postgres" -V | sed 's/^[^0-9]*\([0-9.]*\).*/\1/') on $PGHOST"
else
	echo "# no PostgreSQL server installed: its tests will skip"
fi

# Unit tests are compiled programs (those with a source: not one left in
# the build by a test since removed); shell tests run through their #!
# line.
if [ $# -eq 0 ]; then
	for u in tests/unit/t-*.c; do
		u=${u##*/}
		set -- "$@" "$BUILD/unit/${u%.c}"
	done
	set -- "$@" tests/[0-9]*.t
fi

. "$top/tests/s3.sh"
trap 'pg_stop; s3_stop' EXIT
if [ "${BK_TEST_S3:-}" = 0 ]; then
	unset BK_TEST_S3
	BK_TEST_S3_WHY="disabled by BK_TEST_S3=0"
	export BK_TEST_S3_WHY
	echo "# BK_TEST_S3=0: no test radosgw, its tests will skip"
elif ! grep -qs need_s3 -- "$@"; then
	unset BK_TEST_S3
elif s3_start; then
	echo "# test radosgw (Ceph $(ceph --version | cut -d' ' -f3)) at $AWS_ENDPOINT_URL in $BK_TEST_S3, up in $S3_START_SECONDS s"
else
	echo "# no test radosgw, its tests will skip: $BK_TEST_S3_WHY"
fi

# prove runs in the background, in a session of its own, and run.sh waits
# for it: a shell runs its traps only once a foreground command is over, so
# a SIGTERM would have left both servers running until every test had.  A
# Ctrl-C or a SIGTERM stops prove, the tests and what they run at once, as
# one process group, then the servers.  env gives them every signal at its
# default: a background command starts with SIGINT and SIGQUIT ignored,
# nohup or a service manager may have ignored SIGHUP or SIGPIPE, and the
# tools keep ignored what they inherit ignored (some tests interrupt them:
# under nohup, 0304's SIGHUP at a passphrase prompt went unheard).
# --failures --comments: a failed test's line and the diagnostics under it
# reach the log, so that a failure on a machine where the run cannot be
# repeated (CI, a fresh Debian) says why.
env --default-signal setsid -w prove -j2 --failures --comments \
    --exec '' --timer "$@" &
_prove=$!
trap 'kill -TERM -$_prove 2>/dev/null; exit 130' INT
trap 'kill -TERM -$_prove 2>/dev/null; exit 143' TERM
wait $_prove
