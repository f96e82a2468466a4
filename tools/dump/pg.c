/*
 * pg.c: the PostgreSQL source.  Rows come through COPY ... TO STDOUT in
 * one read-only transaction; each :NAME parameter is stored with
 * set_config() and read back with current_setting(), typed as the server
 * inferred it (rewrite_pg).
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "format/format.h"
#include "dump.h"

/* An identifier for PostgreSQL, quoted by libpq. */
char *
pg_ident(struct dump *d, const char *s, size_t n)
{
	char *q, *r;

	if ((q = PQescapeIdentifier(d->pg, s, n)) == NULL)
		bk_errx(BK_EX_SOFTWARE, "could not quote \"%.*s\"", (int)n, s);
	r = bk_strdup(q);
	PQfreemem(q);
	return r;
}

/*
 * Rewrites the :NAME placeholders of a PostgreSQL query.  With types NULL,
 * each distinct name becomes $1, $2... in order of first use (and e->ref
 * records which parameter each is); with types, each becomes
 * (current_setting('bk.pI')::TYPE).  String literals (also E'' and
 * dollar-quoted ones), quoted identifiers, comments and :: casts are left
 * alone.  An undefined name is a usage error.
 */
static char *
rewrite_pg(struct dump *d, struct export *e, int settings)
{
	const char *s = e->sql, *p = s;
	struct str b = { NULL, 0, 0 };

	str_add(&b, "", 0);
	while (*p != '\0') {
		const char *start = p;

		if (*p == '\'') {
			int esc = p > s && (p[-1] == 'E' || p[-1] == 'e') &&
			    (p - 1 == s || !is_ident((unsigned char)p[-2]));

			for (p++; *p != '\0'; p++) {
				if (esc && *p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '\'') {
					if (p[1] != '\'')
						break;
					p++;
				}
			}
			if (*p != '\0')
				p++;
		} else if (*p == '"') {
			for (p++; *p != '\0'; p++)
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
			if (*p != '\0')
				p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p != '\0' && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 1;

			for (p += 2; *p != '\0' && depth > 0; p++) {
				if (p[0] == '/' && p[1] == '*')
					depth++, p++;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p++;
			}
		} else if (*p == '$' && (p == s ||
		    !is_ident((unsigned char)p[-1]))) {
			/* A dollar quote $tag$...$tag$ (tag may be empty). */
			const char *t = p + 1, *end;
			size_t tl;

			while (is_ident((unsigned char)*t) && !isdigit(
			    (unsigned char)p[1]))
				t++;
			if (*t != '$' || isdigit((unsigned char)p[1])) {
				p++;
				str_add(&b, start, (size_t)(p - start));
				continue;
			}
			tl = (size_t)(t - p + 1);
			end = t + 1;
			while ((end = strchr(end, '$')) != NULL &&
			    strncmp(end, p, tl) != 0)
				end++;
			p = end != NULL ? end + tl : p + strlen(p);
		} else if (p[0] == ':' && p[1] == ':') {
			p += 2;
		} else if (p[0] == ':' && is_ident_start((unsigned char)p[1])) {
			const char *name = p + 1;
			size_t n = 0, k;
			long i;
			char tmp[64];

			while (is_ident((unsigned char)name[n]))
				n++;
			p = name + n;
			if ((i = find_param(d, name, n)) < 0)
				bk_usage_error("%s: no value for :%.*s (use "
				    "--param %.*s=VALUE)", e->label, (int)n,
				    name, (int)n, name);
			for (k = 0; k < e->nref; k++)
				if (e->ref[k] == (size_t)i)
					break;
			if (k == e->nref) {
				e->ref = bk_reallocarray(e->ref, e->nref + 1,
				    sizeof(*e->ref));
				e->ref[e->nref++] = (size_t)i;
			}
			if (!settings) {
				snprintf(tmp, sizeof(tmp), "$%zu", k + 1);
				str_puts(&b, tmp);
			} else {
				snprintf(tmp, sizeof(tmp),
				    "(current_setting('bk.p%ld')::", i);
				str_puts(&b, tmp);
				str_puts(&b, e->reftype[k]);
				str_puts(&b, ")");
			}
			continue;
		} else
			p++;
		str_add(&b, start, (size_t)(p - start));
	}
	return b.s;
}

/* libpq's messages span lines; ours are one line (a copy to free). */
static char *
one_line(const char *msg)
{
	return bk_one_line(bk_strdup(msg != NULL ? msg : ""));
}

/*
 * Reports a failed PostgreSQL command and exits: 69 when the connection is
 * gone, else 65 with the server's primary message.  what names the export.
 */
static void BK_NORETURN
pg_fail(struct dump *d, PGresult *res, const char *what)
{
	const char *m = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char *msg = one_line(m != NULL ? m : PQerrorMessage(d->pg));
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int code = BK_EX_DATAERR;

	/*
	 * A lost connection, or the server ending ours (classes 08
	 * connection exception and 57 operator intervention, such as
	 * pg_terminate_backend or a shutdown), is the service failing, not
	 * bad data.
	 */
	if (PQstatus(d->pg) == CONNECTION_BAD || (state != NULL &&
	    (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0)))
		code = BK_EX_UNAVAILABLE;

	if (code == BK_EX_UNAVAILABLE && m == NULL)
		bk_errx(code, "%s: lost the connection to the server: %s",
		    what, msg);
	bk_errx(code, "%s: %s", what, msg);
}

void
pg_command(struct dump *d, const char *sql, int n, const char *const *vals,
    const char *what)
{
	PGresult *res;

	res = PQexecParams(d->pg, sql, n, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		pg_fail(d, res, what);
	PQclear(res);
}

void
pg_connect(struct dump *d)
{
	char *msg;

	d->pg = PQconnectdb(d->source != NULL ? d->source : "");
	if (d->pg == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	if (PQstatus(d->pg) != CONNECTION_OK) {
		msg = one_line(PQerrorMessage(d->pg));
		bk_errx(BK_EX_UNAVAILABLE, "could not connect to the "
		    "database: %s", msg);
	}
	if (PQsetClientEncoding(d->pg, "UTF8") != 0)
		pg_fail(d, NULL, "client encoding");
}

/* Prepares an export with $N placeholders to learn its columns and types. */
void
pg_describe(struct dump *d, struct export *e)
{
	PGresult *res;
	char *sql, oid[32];
	const char *v[1];
	size_t i;
	int n;

	sql = rewrite_pg(d, e, 0);
	res = PQprepare(d->pg, "", sql, 0, NULL);
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		pg_fail(d, res, e->label);
	PQclear(res);
	res = PQdescribePrepared(d->pg, "");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		pg_fail(d, res, e->label);
	n = PQnfields(res);
	e->ncols = (size_t)n;
	e->cols = bk_calloc(e->ncols + 1, sizeof(*e->cols));
	for (i = 0; i < e->ncols; i++)
		e->cols[i] = bk_strdup(PQfname(res, (int)i));
	e->reftype = bk_calloc(e->nref + 1, sizeof(*e->reftype));
	for (i = 0; i < e->nref && (int)i < PQnparams(res); i++) {
		PGresult *r;

		snprintf(oid, sizeof(oid), "%u", PQparamtype(res, (int)i));
		v[0] = oid;
		r = PQexecParams(d->pg, "SELECT pg_catalog.format_type($1, "
		    "NULL)", 1, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
			pg_fail(d, r, e->label);
		e->reftype[i] = bk_strdup(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQclear(res);
	pg_command(d, "DEALLOCATE ALL", 0, NULL, e->label);
}

/*
 * Undoes COPY's text escapes in a row_to_json value.  JSON needs no raw
 * line breaks (inside strings they are always escaped), so an escaped CR
 * or LF, which can only be white space of a json column, becomes a space
 * and the object stays on one line.
 */
static size_t
unescape_copy_text(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			s[o++] = s[i];
			continue;
		}
		switch (s[++i]) {
		case 'n':
		case 'r':
			s[o++] = ' ';
			break;
		case 't':
			s[o++] = '\t';
			break;
		case 'b':
			s[o++] = '\b';
			break;
		case 'f':
			s[o++] = '\f';
			break;
		case 'v':
			s[o++] = '\v';
			break;
		default:
			s[o++] = s[i];
		}
	}
	return o;
}

/* The SQL of the COPY that exports e in the chosen format. */
static char *
pg_copy_sql(struct dump *d, struct export *e)
{
	struct str b = { NULL, 0, 0 };
	char *q = rewrite_pg(d, e, 1), tmp[64];
	size_t j;

	str_puts(&b, "COPY (");
	if (d->format == FMT_JSONL) {
		str_puts(&b, "SELECT pg_catalog.row_to_json(bk_s) FROM (");
		str_puts(&b, q);
		str_puts(&b, ") AS bk_s) TO STDOUT");
	} else if (d->format == FMT_SQL) {
		str_puts(&b, q);
		str_puts(&b, ") TO STDOUT");
	} else if (!d->labels) {
		str_puts(&b, q);
		str_puts(&b, ") TO STDOUT (FORMAT csv)");
	} else {
		/*
		 * The server lays the row out in the union's order: the label,
		 * then each union column, NULL where this export has none.
		 * The alias list names the columns by position, so that
		 * duplicate or odd names cannot confuse the outer SELECT.
		 */
		str_puts(&b, "SELECT pg_catalog.current_setting('bk.label')");
		for (j = 0; j < d->nucols; j++) {
			if (e->src[j] < 0)
				str_puts(&b, ", NULL");
			else {
				snprintf(tmp, sizeof(tmp), ", bk_s.bk_%ld",
				    e->src[j] + 1);
				str_puts(&b, tmp);
			}
		}
		str_puts(&b, " FROM (");
		str_puts(&b, q);
		str_puts(&b, ") AS bk_s");
		for (j = 0; j < e->ncols; j++) {
			snprintf(tmp, sizeof(tmp), "%sbk_%zu", j ? ", " : "(",
			    j + 1);
			str_puts(&b, tmp);
		}
		str_puts(&b, e->ncols > 0 ? ")) TO STDOUT (FORMAT csv)" :
		    ") TO STDOUT (FORMAT csv)");
	}
	free(q);
	return b.s;
}

/* The "COPY table (cols) FROM stdin;" line of the sql format. */
static void
put_copy_from(struct dump *d, const struct export *e)
{
	char *t, *c;
	size_t j;

	t = e->table != NULL ? quote_table(d, e->table) :
	    pg_ident(d, e->label, strlen(e->label));
	puts_(d, "COPY ");
	puts_(d, t);
	free(t);
	puts_(d, " (");
	for (j = 0; j < e->ncols; j++) {
		c = pg_ident(d, e->cols[j], strlen(e->cols[j]));
		if (j > 0)
			puts_(d, ", ");
		puts_(d, c);
		free(c);
	}
	puts_(d, ") FROM stdin;\n");
}

void
pg_export(struct dump *d, struct export *e)
{
	PGresult *res;
	char *sql, *row;
	const char *v[2];
	int n;

	v[0] = "bk.label";
	v[1] = e->label;
	pg_command(d, "SELECT pg_catalog.set_config($1, $2, true)", 2, v,
	    e->label);
	sql = pg_copy_sql(d, e);
	if (bk_verbosity() > 1)
		bk_info("%s: %s", e->label, sql);
	res = PQexec(d->pg, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
		pg_fail(d, res, e->label);
	PQclear(res);
	if (d->format == FMT_SQL)
		put_copy_from(d, e);
	while ((n = PQgetCopyData(d->pg, &row, 0)) > 0) {
		if (d->format == FMT_JSONL) {
			size_t m = unescape_copy_text(row, (size_t)n);

			/* Drop COPY's line end; we add our own. */
			if (m > 0 && row[m - 1] == '\n')
				m--;
			if (d->labels) {
				put_label_json(d, e);
				if (m > 2)
					putc_(d, ',');
				put(d, row + 1, m - 1);
			} else
				put(d, row, m);
			putc_(d, '\n');
		} else
			put(d, row, (size_t)n);
		PQfreemem(row);
		e->rows++;
	}
	if (n == -2)
		pg_fail(d, NULL, e->label);
	/* Rows may have come and the COPY still failed: check its end. */
	while ((res = PQgetResult(d->pg)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			pg_fail(d, res, e->label);
		PQclear(res);
	}
	if (PQstatus(d->pg) == CONNECTION_BAD)
		pg_fail(d, NULL, e->label);
	if (d->format == FMT_SQL)
		puts_(d, "\\.\n");
}

void
pg_begin(struct dump *d)
{
	const char *v[2];
	char name[64];
	size_t i;

	pg_command(d, d->serializable ?
	    "BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE" :
	    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL,
	    "begin");
	if (d->timezone != NULL) {
		PGresult *res;

		v[0] = "TimeZone";
		v[1] = d->timezone;
		res = PQexecParams(d->pg, "SELECT pg_catalog.set_config($1, "
		    "$2, true)", 2, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			const char *m = PQresultErrorField(res,
			    PG_DIAG_MESSAGE_PRIMARY);

			bk_usage_error("bad --timezone \"%s\": %s",
			    d->timezone, m != NULL ? m : "rejected");
		}
		PQclear(res);
	}
	for (i = 0; i < d->npar; i++) {
		snprintf(name, sizeof(name), "bk.p%zu", i);
		v[0] = name;
		v[1] = d->par[i].value;
		pg_command(d, "SELECT pg_catalog.set_config($1, $2, true)",
		    2, v, "parameters");
	}
}
