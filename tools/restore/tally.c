/*
 * tally.c: what a restored database holds, counted: the rows of each
 * table and a content checksum that does not depend on the order of the
 * rows, the same for the same data whichever restore made it (and, for
 * integers, text and binary strings, whichever engine holds it).
 * bk-restore(1), "The content checksum", is the definition.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "catalog/catalog.h"
#include "restore.h"

/* A 256-bit number, big-endian, plus another, modulo 2^256. */
static void
sum_add(unsigned char acc[32], const unsigned char d[32])
{
	unsigned carry = 0;
	int i;

	for (i = 31; i >= 0; i--) {
		carry += (unsigned)acc[i] + d[i];
		acc[i] = (unsigned char)carry;
		carry >>= 8;
	}
}

/* One row, as its line of COPY text, into the table's count and sum. */
static void
tally_row(struct tally *t, size_t i, const void *line, size_t len)
{
	struct bk_digest d;
	unsigned char h[32];

	bk_digest_init(&d, bk_digest_lookup("sha256"));
	bk_digest_update(&d, line, len);
	bk_digest_final(&d, h);
	sum_add(t->tables[i].sum, h);
	t->tables[i].count++;
}

/*
 * A name part as the tally shows it: as it is, unless it holds a dot or
 * a double quote, which would make two names look alike; then in double
 * quotes, with each double quote doubled, as SQL writes it.
 */
static void
name_part(struct bk_buf *b, const char *s)
{
	if (strpbrk(s, ".\"") == NULL) {
		bk_buf_add(b, s, strlen(s));
		return;
	}
	bk_buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			bk_buf_add(b, "\"", 1);
		bk_buf_add(b, s, 1);
	}
	bk_buf_add(b, "\"", 1);
}

/* A new table, schema.name (schema NULL or "public": name alone). */
static size_t
tally_table(struct tally *t, const char *schema, const char *name)
{
	struct bk_buf b = { NULL, 0, 0 };
	struct tally_table *tt;

	if (schema != NULL && strcmp(schema, "public") != 0) {
		name_part(&b, schema);
		bk_buf_add(&b, ".", 1);
	}
	name_part(&b, name);
	bk_buf_add(&b, "", 1);
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->tables = bk_reallocarray(t->tables, t->cap,
		    sizeof(*t->tables));
	}
	tt = &t->tables[t->n];
	memset(tt, 0, sizeof(*tt));
	tt->name = b.p;
	return t->n++;
}

static int
cmp_table(const void *a, const void *b)
{
	return strcmp(((const struct tally_table *)a)->name,
	    ((const struct tally_table *)b)->name);
}

/*
 * Puts the tables in the byte order of their names and computes the
 * checksum: sha256 over "NAME<tab>COUNT<tab>SUM\n" for each table, SUM
 * the hex of the sum of its rows' sha256 modulo 2^256.
 */
static void
tally_finish(struct tally *t)
{
	struct bk_digest d;
	unsigned char h[32];
	char hex[65], *line;
	size_t i;

	if (t->n > 0)
		qsort(t->tables, t->n, sizeof(*t->tables), cmp_table);
	bk_digest_init(&d, bk_digest_lookup("sha256"));
	t->records = 0;
	for (i = 0; i < t->n; i++) {
		t->records += t->tables[i].count;
		bk_hex(hex, t->tables[i].sum, 32);
		line = bk_asprintf("%s\t%lld\t%s\n", t->tables[i].name,
		    (long long)t->tables[i].count, hex);
		bk_digest_update(&d, line, strlen(line));
		free(line);
	}
	bk_digest_final(&d, h);
	bk_hex(t->checksum, h, 32);
}

void
tally_free(struct tally *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->tables[i].name);
	free(t->tables);
	memset(t, 0, sizeof(*t));
}

/* ---- PostgreSQL ---- */

/*
 * The session's settings that fix the text of every value, whatever the
 * server's configuration; row_security off makes a table that row-level
 * security would filter an error, as pg_dump does, not a short count.
 */
static const char pg_settings[] =
"SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; "
"SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; "
"SET extra_float_digits = 1; SET bytea_output = 'hex'; "
"SET row_security = off";

/* The user tables: ordinary tables and partitions, not the catalogs. */
static const char pg_tables[] =
"SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' "
"AND n.nspname !~ '^pg_'";

static int
pg_fail(PGconn *pg, PGresult *res, char *why, size_t size, const char *what)
{
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char msg[600];

	snprintf(msg, sizeof(msg), "%s", PQerrorMessage(pg));
	snprintf(why, size, "could not %s: %s", what, bk_one_line(msg));
	return state != NULL && strcmp(state, "42501") == 0 ? BK_EX_NOPERM :
	    BK_EX_UNAVAILABLE;
}

/* Reads one table with COPY TO STDOUT: one row per PQgetCopyData. */
static int
pg_table(PGconn *pg, struct tally *t, const char *schema, const char *name,
    char *why, size_t size)
{
	PGresult *res;
	char *s, *n, *sql, *row, *what;
	size_t i;
	int got, code = 0;

	s = PQescapeIdentifier(pg, schema, strlen(schema));
	n = PQescapeIdentifier(pg, name, strlen(name));
	if (s == NULL || n == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	sql = bk_asprintf("COPY %s.%s TO STDOUT", s, n);
	PQfreemem(s);
	PQfreemem(n);
	i = tally_table(t, schema, name);
	what = bk_asprintf("read table %s", t->tables[i].name);
	res = PQexec(pg, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		code = pg_fail(pg, res, why, size, what);
		PQclear(res);
		free(what);
		return code;
	}
	PQclear(res);
	while ((got = PQgetCopyData(pg, &row, 0)) > 0) {
		tally_row(t, i, row, (size_t)got);
		PQfreemem(row);
	}
	res = PQgetResult(pg);
	if (got == -2 || PQresultStatus(res) != PGRES_COMMAND_OK)
		code = pg_fail(pg, res, why, size, what);
	PQclear(res);
	while ((res = PQgetResult(pg)) != NULL)
		PQclear(res);
	free(what);
	return code;
}

int
tally_pg(PGconn *pg, struct tally *t, char *why, size_t size)
{
	PGresult *res, *set;
	int i, code = 0;

	set = PQexec(pg, pg_settings);
	if (PQresultStatus(set) != PGRES_COMMAND_OK) {
		code = pg_fail(pg, set, why, size, "set up the count");
		PQclear(set);
		return code;
	}
	PQclear(set);
	res = PQexec(pg, pg_tables);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		code = pg_fail(pg, res, why, size, "list the tables");
		PQclear(res);
		return code;
	}
	for (i = 0; i < PQntuples(res) && code == 0; i++)
		code = pg_table(pg, t, PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), why, size);
	PQclear(res);
	if (code == 0)
		tally_finish(t);
	return code;
}

/* ---- SQLite ---- */

/*
 * Appends a value's text as COPY's text format writes it: backslash and
 * the control characters that have a letter escaped, the others as they
 * are.
 */
static void
copy_text(struct bk_buf *b, const unsigned char *s, size_t n)
{
	char e[2] = { '\\', 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		case '\v': e[1] = 'v'; break;
		case '\\': e[1] = '\\'; break;
		default:
			bk_buf_add(b, s + i, 1);
			continue;
		}
		bk_buf_add(b, e, 2);
	}
}

/* A row of an SQLite statement as its line of COPY text. */
static void
sqlite_line(sqlite3_stmt *st, struct bk_buf *b)
{
	const unsigned char *p;
	char hex[129];
	int c, n, k, chunk;

	b->len = 0;
	n = sqlite3_column_count(st);
	for (c = 0; c < n; c++) {
		if (c > 0)
			bk_buf_add(b, "\t", 1);
		switch (sqlite3_column_type(st, c)) {
		case SQLITE_NULL:
			bk_buf_add(b, "\\N", 2);
			break;
		case SQLITE_BLOB:
			/* As PostgreSQL's bytea, hex, with its \ escaped. */
			p = sqlite3_column_blob(st, c);
			k = sqlite3_column_bytes(st, c);
			bk_buf_add(b, "\\\\x", 3);
			for (; k > 0; k -= chunk, p += chunk) {
				chunk = k < 64 ? k : 64;
				bk_hex(hex, p, (size_t)chunk);
				bk_buf_add(b, hex, 2 * (size_t)chunk);
			}
			break;
		default:
			p = sqlite3_column_text(st, c);
			k = sqlite3_column_bytes(st, c);
			copy_text(b, p, (size_t)k);
		}
	}
	bk_buf_add(b, "\n", 1);
}

static int
sqlite_fail(sqlite3 *db, char *why, size_t size, const char *what)
{
	snprintf(why, size, "could not %s: %s", what, sqlite3_errmsg(db));
	return BK_EX_DATAERR;
}

int
tally_sqlite(const char *path, struct tally *t, char *why, size_t size)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *list = NULL, *st;
	struct bk_buf b = { NULL, 0, 0 };
	char *sql, *what;
	size_t i;
	int rc, code = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master "
	    "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
	    "AND sql NOT LIKE 'CREATE VIRTUAL %'", -1, &list, NULL) !=
	    SQLITE_OK) {
		code = sqlite_fail(db, why, size, "list the tables");
		goto done;
	}
	while (code == 0 && (rc = sqlite3_step(list)) == SQLITE_ROW) {
		i = tally_table(t, NULL,
		    (const char *)sqlite3_column_text(list, 0));
		what = bk_asprintf("read table %s", t->tables[i].name);
		sql = sqlite3_mprintf("SELECT * FROM \"%w\"",
		    (const char *)sqlite3_column_text(list, 0));
		if (sql == NULL)
			bk_errx(BK_EX_SOFTWARE, "out of memory");
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			code = sqlite_fail(db, why, size, what);
		else {
			while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				sqlite_line(st, &b);
				tally_row(t, i, b.p, b.len);
			}
			if (rc != SQLITE_DONE)
				code = sqlite_fail(db, why, size, what);
			sqlite3_finalize(st);
		}
		sqlite3_free(sql);
		free(what);
	}
	if (code == 0 && rc != SQLITE_DONE)
		code = sqlite_fail(db, why, size, "list the tables");
	if (code == 0)
		tally_finish(t);
done:
	sqlite3_finalize(list);
	sqlite3_close(db);
	free(b.p);
	return code;
}
