/*
 * t-pg.c: the harness's PostgreSQL server answers a real libpq connection
 * made from the PG* environment, as every bk tool that talks to it will.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "platform/platform.h"
#include "tap.h"

int
main(void)
{
	PGconn *c;
	PGresult *r;
	const char *params[1] = { "it's bound" };

	if (getenv("BK_TEST_PG") == NULL) {
		printf("1..0 # SKIP no test PostgreSQL server\n");
		return 0;
	}
	c = PQconnectdb("");
	ok(PQstatus(c) == CONNECTION_OK, "connect through PGHOST=%s",
	    getenv("PGHOST"));
	ok(PQserverVersion(c) >= 100000, "server version %d",
	    PQserverVersion(c));
	r = PQexecParams(c, "SELECT $1::text || ' and read back'", 1, NULL,
	    params, NULL, NULL, 0);
	ok(PQresultStatus(r) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(r, 0, 0), "it's bound and read back") == 0,
	    "a bound parameter makes the round trip");
	PQclear(r);
	r = PQexec(c, "SHOW listen_addresses");
	ok(PQresultStatus(r) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(r, 0, 0), "") == 0, "no TCP listener");
	PQclear(r);
	PQfinish(c);
	return tap_done();
}
