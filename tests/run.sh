#!/bin/sh
# run.sh: runs bk's tests through prove, with a throwaway PostgreSQL server
# (Unix socket only, in a temporary folder; see pg.sh) that is stopped at
# the end even when tests fail.  Arguments go to prove; without them, every
# test runs.
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
prove -j2 --exec '' --timer "$@"
