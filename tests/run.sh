#!/bin/sh
# run.sh: runs bk's tests through prove, with a throwaway PostgreSQL server
# (Unix socket only, in a temporary folder) that is stopped at the end even
# when tests fail.  Arguments go to prove; without them, every test runs.
#   BUILD=build tests/run.sh [tests/0101-gz.t ...]

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
export BUILD

pgbin=
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && pgbin=$d
done

pgdir=
stop_pg() {
	if [ -n "$pgdir" ] && [ -d "$pgdir" ]; then
		as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop \
		    >/dev/null 2>&1
		rm -rf "$pgdir"
	fi
}
trap stop_pg EXIT
trap 'exit 130' INT TERM

# PostgreSQL refuses to run as root: as root, the server runs as nobody.
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"
	else "$@"; fi
}

if [ -n "$pgbin" ]; then
	pgdir=$(mktemp -d /tmp/bk-pg.XXXXXX)
	[ "$(id -u)" = 0 ] && chown nobody "$pgdir"
	if as_pg "$pgbin/initdb" -D "$pgdir/data" -U bk -A trust -E UTF8 \
	    --locale=C.UTF-8 >"$pgdir/initdb.log" 2>&1 &&
	    as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
	    -o "-k $pgdir -c listen_addresses='' -c fsync=off" start \
	    >/dev/null 2>&1 &&
	    PGHOST=$pgdir PGUSER=bk "$pgbin/createdb" -w bk; then
		PGHOST=$pgdir PGPORT=5432 PGUSER=bk PGDATABASE=bk
		BK_TEST_PG=$pgdir
		export PGHOST PGPORT PGUSER PGDATABASE BK_TEST_PG
		echo "# test PostgreSQL $("$pgbin/postgres" -V | sed 's/^[^0-9]*\([0-9.]*\).*/\1/') on $pgdir"
	else
		echo "# could not start a test PostgreSQL server:" >&2
		tail -5 "$pgdir"/*.log >&2
		exit 1
	fi
else
	echo "# no PostgreSQL server installed: its tests will skip"
fi

# Unit tests are compiled programs; shell tests run through their #! line.
if [ $# -eq 0 ]; then
	set -- "$BUILD"/unit/t-* tests/[0-9]*.t
fi
prove -j2 --exec '' --timer "$@"
