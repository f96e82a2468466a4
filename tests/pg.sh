# pg.sh: start and stop a throwaway PostgreSQL server on a Unix socket, for
# tests/run.sh and the benchmarks.  Source it, then:
#   pg_start || exit 1     exports PGHOST PGPORT PGUSER PGDATABASE BK_TEST_PG
#   ...                    (pg_stop runs at exit)

_pgbin=
for _d in /usr/lib/postgresql/*/bin; do
	[ -x "$_d/initdb" ] && _pgbin=$_d
done
_pgdir=

# PostgreSQL refuses to run as root: as root, the server runs as nobody.
_as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"
	else "$@"; fi
}

pg_stop() {
	if [ -n "$_pgdir" ] && [ -d "$_pgdir" ]; then
		_as_pg "$_pgbin/pg_ctl" -D "$_pgdir/data" -m immediate stop \
		    >/dev/null 2>&1
		rm -rf "$_pgdir"
	fi
	_pgdir=
}

pg_start() {
	[ -n "$_pgbin" ] || { echo "pg.sh: no PostgreSQL installed" >&2; return 1; }
	_pgdir=$(mktemp -d /tmp/bk-pg.XXXXXX)
	[ "$(id -u)" = 0 ] && chown nobody "$_pgdir"
	trap pg_stop EXIT
	trap 'exit 130' INT TERM
	if _as_pg "$_pgbin/initdb" -D "$_pgdir/data" -U bk -A trust -E UTF8 \
	    --locale=C.UTF-8 >"$_pgdir/initdb.log" 2>&1 &&
	    _as_pg "$_pgbin/pg_ctl" -D "$_pgdir/data" -l "$_pgdir/server.log" -w \
	    -o "-k $_pgdir -c listen_addresses='' -c fsync=off" start \
	    >/dev/null 2>&1 &&
	    PGHOST=$_pgdir PGUSER=bk "$_pgbin/createdb" -w bk; then
		PGHOST=$_pgdir PGPORT=5432 PGUSER=bk PGDATABASE=bk
		BK_TEST_PG=$_pgdir
		export PGHOST PGPORT PGUSER PGDATABASE BK_TEST_PG
		return 0
	fi
	echo "pg.sh: could not start PostgreSQL:" >&2
	tail -5 "$_pgdir"/*.log >&2
	return 1
}
