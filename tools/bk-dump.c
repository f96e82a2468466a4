/*
 * bk-dump: export tables and queries from PostgreSQL or SQLite, in one
 * consistent snapshot, as CSV, JSON Lines, a data-only SQL script, or (for
 * SQLite) a consistent copy of the whole database file.
 *
 * PostgreSQL rows always come through COPY ... TO STDOUT, so the server
 * does the encoding.  COPY takes no bind parameters, so each parameter is
 * stored with set_config() (its value bound through PQexecParams) and every
 * :NAME in the query becomes current_setting('bk.pN')::TYPE, where TYPE is
 * what the server inferred for $N when the same query was prepared with
 * real placeholders.  Values thus never enter the SQL text.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "format/format.h"

static const char usage[] =
"usage: bk-dump [-fPqv] [-d SOURCE] [-F FORMAT] [-o FILE] [--counts FILE]\n"
"               [--labels] [--month YYYY-MM] [--param NAME=VALUE]\n"
"               [--serializable] [--timezone TZ]\n"
"               [-t [LABEL=]TABLE | --query [LABEL=]SQL] ...\n";

enum format { FMT_CSV, FMT_JSONL, FMT_SQL, FMT_SQLITE };

#define OUTBUF		(128 * 1024)
#define BUSY_MS		10000	/* how long SQLite waits for a lock */

struct param {
	char		*name;
	const char	*value;
};

struct export {
	char		*label;
	const char	*table;		/* NULL for a query */
	char		*query;		/* the SQL as given, without a final ";" */
	char		*sql;		/* the SQL to run (SELECT * for a table) */
	size_t		 ncols;
	char		**cols;		/* column names, as the database says */
	long		*src;		/* for each output column, ours or -1 */
	size_t		 nref;		/* placeholders used, as $1..$nref */
	size_t		*ref;		/* the param index of each $k */
	char		**reftype;	/* the type the server inferred for $k */
	sqlite3_stmt	*stmt;
	uint64_t	 rows;
};

struct dump {
	const char	*source;	/* -d, NULL for libpq's defaults */
	const char	*sqlite_path;	/* set for an SQLite source */
	enum format	 format;
	int		 labels;	/* write the type column */
	int		 serializable;
	int		 progress;
	int		 outflags;
	const char	*timezone;
	const char	*out_path;
	const char	*counts_path;
	struct export	*ex;
	size_t		 nex;
	struct param	*par;
	size_t		 npar;
	char		 month_start[40];
	char		 month_end[40];
	char		**ucols;	/* the union of the columns */
	size_t		 nucols;
	struct bk_out	 out;
	struct bk_out	 counts;	/* --counts, open from the start */
	struct bk_buf	 buf;		/* output not yet written */
	struct bk_csv_dialect csv;
	struct bk_progress prog;
	PGconn		*pg;
	sqlite3		*db;
};

/* ---- output ---- */

static void
out_flush(struct dump *d)
{
	if (d->buf.len == 0)
		return;
	bk_out_write(&d->out, d->buf.p, d->buf.len);
	bk_progress_add(&d->prog, d->buf.len);
	d->buf.len = 0;
}

/* Writes the output out once OUTBUF bytes of it are waiting. */
static void
out_filled(struct dump *d)
{
	if (d->buf.len >= OUTBUF)
		out_flush(d);
}

static void
put(struct dump *d, const void *p, size_t n)
{
	if (n >= OUTBUF) {
		out_flush(d);
		bk_out_write(&d->out, p, n);
		bk_progress_add(&d->prog, n);
		return;
	}
	bk_buf_add(&d->buf, p, n);
	out_filled(d);
}

static void
puts_(struct dump *d, const char *s)
{
	put(d, s, strlen(s));
}

static void
putc_(struct dump *d, char c)
{
	bk_buf_add(&d->buf, &c, 1);
	out_filled(d);
}

/*
 * A CSV field, quoted as PostgreSQL's COPY ... CSV quotes it, so that both
 * sources agree (common/csvwrite.c).  flags: BK_FIELD_*.
 */
static void
put_csv(struct dump *d, const char *s, size_t n, int flags)
{
	bk_csv_field(&d->buf, &d->csv, s, n, flags);
	out_filled(d);
}

/* BK_FIELD_ALONE when a CSV record has one field (see put_csv). */
static int
csv_alone(const struct dump *d)
{
	return (d->labels ? 1 : 0) + d->nucols == 1 ? BK_FIELD_ALONE : 0;
}

/*
 * A JSON string, escaped as PostgreSQL's row_to_json escapes it, so that
 * both sources agree (common/json.c).  Returns -1, with nothing written,
 * for text that is not UTF-8, which JSON cannot carry.
 */
static int
put_json(struct dump *d, const char *s, size_t n)
{
	if (bk_json_string(&d->buf, s, n) < 0)
		return -1;
	out_filled(d);
	return 0;
}

static void
put_hex(struct dump *d, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		putc_(d, hex[p[i] >> 4]);
		putc_(d, hex[p[i] & 15]);
	}
}

/* An SQL identifier in double quotes, for SQLite. */
static char *
sqlite_ident(const char *s, size_t n)
{
	char *r = bk_malloc(2 * n + 3), *p = r;
	size_t i;

	*p++ = '"';
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
	}
	*p++ = '"';
	*p = '\0';
	return r;
}

/* An identifier for PostgreSQL, quoted by libpq. */
static char *
pg_ident(struct dump *d, const char *s, size_t n)
{
	char *q, *r;

	if ((q = PQescapeIdentifier(d->pg, s, n)) == NULL)
		bk_errx(BK_EX_SOFTWARE, "could not quote \"%.*s\"", (int)n, s);
	r = bk_strdup(q);
	PQfreemem(q);
	return r;
}

/* A table name, SCHEMA.TABLE or TABLE, quoted part by part. */
static char *
quote_table(struct dump *d, const char *name)
{
	const char *dot = strchr(name, '.');
	char *a, *b, *r;

	if (dot == NULL)
		return d->pg ? pg_ident(d, name, strlen(name)) :
		    sqlite_ident(name, strlen(name));
	a = d->pg ? pg_ident(d, name, (size_t)(dot - name)) :
	    sqlite_ident(name, (size_t)(dot - name));
	b = d->pg ? pg_ident(d, dot + 1, strlen(dot + 1)) :
	    sqlite_ident(dot + 1, strlen(dot + 1));
	r = bk_asprintf("%s.%s", a, b);
	free(a);
	free(b);
	return r;
}

/* ---- strings of SQL ---- */

/* A growing string. */
struct str {
	char	*s;
	size_t	 len, cap;
};

static void
str_add(struct str *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = bk_realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
str_puts(struct str *b, const char *s)
{
	str_add(b, s, strlen(s));
}

static int
is_ident_start(int c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int
is_ident(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static long
find_param(const struct dump *d, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < d->npar; i++)
		if (strlen(d->par[i].name) == n &&
		    memcmp(d->par[i].name, name, n) == 0)
			return (long)i;
	return -1;
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

/* ---- PostgreSQL ---- */

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

static void
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

static void
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
static void
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

/* Labels are UTF-8: add_export checks the table names it takes. */
static void
put_label_json(struct dump *d, const struct export *e)
{
	puts_(d, "{\"type\":");
	put_json(d, e->label, strlen(e->label));
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

static void
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

static void
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

/* ---- SQLite ---- */

/* A disk that failed or filled up (extended codes too): exit 74. */
static int
sqlite_io(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_IOERR || rc == SQLITE_FULL ||
	    rc == SQLITE_CANTOPEN;
}

static void BK_NORETURN
sqlite_fail(struct dump *d, sqlite3 *db, const char *what)
{
	int rc = sqlite3_errcode(db);

	if (rc == SQLITE_NOTADB)
		bk_errx(BK_EX_DATAERR, "\"%s\": file is not an SQLite "
		    "database", d->sqlite_path);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		bk_errx(BK_EX_TEMPFAIL, "%s: %s", what, sqlite3_errmsg(db));
	if (sqlite_io(rc))
		bk_errx(BK_EX_IOERR, "%s: %s", what, sqlite3_errmsg(db));
	bk_errx(BK_EX_DATAERR, "%s: %s", what, sqlite3_errmsg(db));
}

static void
sqlite_open(struct dump *d)
{
	struct stat st;
	int fd;

	/* SQLite's own messages for these are vague: check first. */
	if ((fd = open(d->sqlite_path, O_RDONLY | O_CLOEXEC)) < 0)
		bk_err(bk_open_errno_code(errno), "could not open \"%s\"",
		    d->sqlite_path);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		bk_errx(BK_EX_NOINPUT, "could not open \"%s\": is a folder",
		    d->sqlite_path);
	close(fd);
	/* One thread: SQLite's connection mutex would only cost time. */
	if (sqlite3_open_v2(d->sqlite_path, &d->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		bk_errx(BK_EX_NOINPUT, "could not open \"%s\": %s",
		    d->sqlite_path, d->db ? sqlite3_errmsg(d->db) :
		    "out of memory");
	sqlite3_busy_timeout(d->db, BUSY_MS);
}

static void
sqlite_exec(struct dump *d, const char *sql, const char *what)
{
	if (sqlite3_exec(d->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		sqlite_fail(d, d->db, what);
}

static void
sqlite_describe(struct dump *d, struct export *e)
{
	const char *tail;
	sqlite3_stmt *more = NULL;
	int i, n;

	if (sqlite3_prepare_v2(d->db, e->sql, -1, &e->stmt, &tail) !=
	    SQLITE_OK)
		sqlite_fail(d, d->db, e->label);
	if (e->stmt == NULL)
		bk_errx(BK_EX_DATAERR, "%s: the query is empty", e->label);
	/* One statement, as PostgreSQL takes: a second is not ignored. */
	if (sqlite3_prepare_v2(d->db, tail, -1, &more, NULL) != SQLITE_OK ||
	    more != NULL) {
		sqlite3_finalize(more);
		bk_errx(BK_EX_DATAERR, "%s: the query holds more than one "
		    "statement", e->label);
	}
	e->ncols = (size_t)sqlite3_column_count(e->stmt);
	e->cols = bk_calloc(e->ncols + 1, sizeof(*e->cols));
	for (i = 0; i < (int)e->ncols; i++)
		e->cols[i] = bk_strdup(sqlite3_column_name(e->stmt, i));
	n = sqlite3_bind_parameter_count(e->stmt);
	for (i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(e->stmt, i);
		long p;

		if (name == NULL || name[0] != ':')
			bk_usage_error("%s: only :NAME placeholders are "
			    "supported (found %s)", e->label,
			    name != NULL ? name : "?");
		if ((p = find_param(d, name + 1, strlen(name + 1))) < 0)
			bk_usage_error("%s: no value for %s (use --param "
			    "%s=VALUE)", e->label, name, name + 1);
		if (sqlite3_bind_text(e->stmt, i, d->par[p].value, -1,
		    SQLITE_STATIC) != SQLITE_OK)
			sqlite_fail(d, d->db, e->label);
	}
}

static void
put_sqlite_csv(struct dump *d, sqlite3_stmt *st, int i, int flags)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		break;
	case SQLITE_BLOB:
		puts_(d, "\\x");
		put_hex(d, sqlite3_column_blob(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
		break;
	default: {
		const char *s = (const char *)sqlite3_column_text(st, i);

		put_csv(d, s, (size_t)sqlite3_column_bytes(st, i), flags);
	}
	}
}

/*
 * SQLite writes a real as a JSON-compatible number, except the infinities
 * ("Inf", "-Inf"); NaN is stored as NULL.
 */
static int
is_number_text(const char *s)
{
	if (*s == '-')
		s++;
	return isdigit((unsigned char)*s);
}

/* Returns -1 for text that is not UTF-8 (see put_json). */
static int
put_sqlite_json(struct dump *d, sqlite3_stmt *st, int i)
{
	const char *s;
	size_t n;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		puts_(d, "null");
		break;
	case SQLITE_INTEGER:
		s = (const char *)sqlite3_column_text(st, i);
		put(d, s, (size_t)sqlite3_column_bytes(st, i));
		break;
	case SQLITE_FLOAT:
		/* JSON has no infinities: those become strings. */
		s = (const char *)sqlite3_column_text(st, i);
		n = (size_t)sqlite3_column_bytes(st, i);
		if (is_number_text(s))
			put(d, s, n);
		else
			put_json(d, s, n);
		break;
	case SQLITE_BLOB:
		puts_(d, "\"\\\\x");
		put_hex(d, sqlite3_column_blob(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
		putc_(d, '"');
		break;
	default:
		s = (const char *)sqlite3_column_text(st, i);
		return put_json(d, s, (size_t)sqlite3_column_bytes(st, i));
	}
	return 0;
}

static void
put_sqlite_literal(struct dump *d, sqlite3_stmt *st, int i)
{
	const char *s;
	size_t n, k;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		puts_(d, "NULL");
		break;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		s = (const char *)sqlite3_column_text(st, i);
		n = (size_t)sqlite3_column_bytes(st, i);
		if (isfinite(sqlite3_column_double(st, i)))
			put(d, s, n);
		else
			puts_(d, sqlite3_column_double(st, i) > 0 ? "9e999" :
			    "-9e999");
		break;
	case SQLITE_BLOB:
		puts_(d, "X'");
		put_hex(d, sqlite3_column_blob(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
		putc_(d, '\'');
		break;
	default:
		s = (const char *)sqlite3_column_text(st, i);
		n = (size_t)sqlite3_column_bytes(st, i);
		/*
		 * The sqlite3 shell drops a CR before LF while it reads a
		 * script, so a CR is written as char(13) outside the quotes.
		 */
		putc_(d, '\'');
		for (k = 0; k < n; k++) {
			if (s[k] == '\r') {
				puts_(d, "'||char(13)||'");
				continue;
			}
			if (s[k] == '\'')
				putc_(d, '\'');
			putc_(d, s[k]);
		}
		putc_(d, '\'');
	}
}

static void
sqlite_export(struct dump *d, struct export *e)
{
	sqlite3_stmt *st = e->stmt;
	char *insert = NULL, **keys = NULL;
	size_t j;
	int rc, alone = csv_alone(d);

	if (d->format == FMT_JSONL) {
		/* The keys are the same on every row: escape them once. */
		struct bk_buf kb = { NULL, 0, 0 };

		keys = bk_calloc(e->ncols + 1, sizeof(*keys));
		for (j = 0; j < e->ncols; j++) {
			kb.len = 0;
			if (bk_json_string(&kb, e->cols[j],
			    strlen(e->cols[j])) < 0)
				bk_errx(BK_EX_DATAERR, "%s: column name \"%s\" "
				    "is not valid UTF-8, which JSON cannot "
				    "carry (rename it with AS)", e->label,
				    e->cols[j]);
			keys[j] = bk_asprintf("%.*s:", (int)kb.len, kb.p);
		}
		free(kb.p);
	}
	if (d->format == FMT_SQL) {
		struct str b = { NULL, 0, 0 };
		char *t = e->table != NULL ? quote_table(d, e->table) :
		    sqlite_ident(e->label, strlen(e->label));

		str_puts(&b, "INSERT INTO ");
		str_puts(&b, t);
		free(t);
		str_puts(&b, " (");
		for (j = 0; j < e->ncols; j++) {
			t = sqlite_ident(e->cols[j], strlen(e->cols[j]));
			str_puts(&b, j ? ", " : "");
			str_puts(&b, t);
			free(t);
		}
		str_puts(&b, ") VALUES (");
		insert = b.s;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		switch (d->format) {
		case FMT_CSV:
			if (d->labels)
				put_csv(d, e->label, strlen(e->label), alone);
			for (j = 0; j < d->nucols; j++) {
				if (d->labels || j > 0)
					putc_(d, ',');
				if (e->src[j] >= 0)
					put_sqlite_csv(d, st, (int)e->src[j],
					    alone);
			}
			putc_(d, '\n');
			break;
		case FMT_JSONL:
			if (d->labels)
				put_label_json(d, e);
			else
				putc_(d, '{');
			for (j = 0; j < e->ncols; j++) {
				if (d->labels || j > 0)
					putc_(d, ',');
				puts_(d, keys[j]);
				if (put_sqlite_json(d, st, (int)j) < 0)
					bk_errx(BK_EX_DATAERR, "%s: row %llu, "
					    "column \"%s\": text that is not "
					    "valid UTF-8, which JSON cannot "
					    "carry (use -F sql, or CAST it "
					    "AS BLOB)", e->label,
					    (unsigned long long)e->rows + 1,
					    e->cols[j]);
			}
			puts_(d, "}\n");
			break;
		default:
			puts_(d, insert);
			for (j = 0; j < e->ncols; j++) {
				if (j > 0)
					puts_(d, ", ");
				put_sqlite_literal(d, st, (int)j);
			}
			puts_(d, ");\n");
		}
		e->rows++;
	}
	free(insert);
	for (j = 0; keys != NULL && j < e->ncols; j++)
		free(keys[j]);
	free(keys);
	if (rc != SQLITE_DONE)
		sqlite_fail(d, d->db, e->label);
	sqlite3_finalize(st);
	e->stmt = NULL;
}

/*
 * Copies the whole database with the online backup API.  One step of all
 * pages (-1) holds the source's read lock from the first page to the last,
 * so a writer cannot make it restart: it waits for us, or we for it (up to
 * BUSY_MS), never a loop.  The copy keeps its rollback journal in memory
 * (a failure throws the whole temporary file away, so nothing is left
 * beside it), is made a rollback-journal database so that it is one
 * self-contained file, and is checked before it is committed.
 */
static void
sqlite_copy(struct dump *d)
{
	sqlite3 *dst = NULL;
	char *path, *tmpl = NULL, why[400];
	int rc, slot = -1, fd = -1;

	if (d->out.tmp != NULL)
		path = d->out.tmp;
	else {
		/* For stdout, a copy without a name: kill -9 leaves nothing. */
		fd = bk_sqlite_tmp("bk-dump", &tmpl, &slot);
		path = tmpl;
	}
	if (bk_sqlite_open_copy(path, 1, &dst) != SQLITE_OK ||
	    sqlite3_exec(dst, "PRAGMA journal_mode=MEMORY", NULL, NULL,
	    NULL) != SQLITE_OK)
		bk_errx(BK_EX_CANTCREAT, "could not create \"%s\": %s",
		    bk_out_name(&d->out), dst ? sqlite3_errmsg(dst) :
		    "out of memory");
	sqlite3_busy_timeout(dst, BUSY_MS);
	rc = bk_sqlite_copy(dst, d->db, BUSY_MS);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		bk_errx(BK_EX_TEMPFAIL, "\"%s\": the database stayed locked "
		    "for %d seconds", d->sqlite_path, BUSY_MS / 1000);
	if (rc == SQLITE_NOTADB)
		bk_errx(BK_EX_DATAERR, "\"%s\": file is not an SQLite "
		    "database", d->sqlite_path);
	/* An extended code (SQLITE_IOERR_WRITE) is an I/O error too. */
	if (rc != SQLITE_DONE)
		bk_errx(sqlite_io(rc) ? BK_EX_IOERR : BK_EX_DATAERR,
		    "backup: %s", sqlite3_errstr(rc));
	if (sqlite3_close(dst) != SQLITE_OK || bk_sqlite_unwal(path) < 0)
		bk_errx(BK_EX_IOERR, "could not write \"%s\"",
		    bk_out_name(&d->out));
	/* The one check of bk-verify and bk-restore, common/sqlitefile.c. */
	if (bk_sqlite_integrity(path, why, sizeof(why)) < 0)
		bk_errx(BK_EX_DATAERR, "\"%s\": the copy: %s", d->sqlite_path,
		    why);
	if (tmpl != NULL) {
		char *buf = bk_buf_room(&d->buf, OUTBUF);
		ssize_t n;

		/* SQLite writes files, not pipes: copy the file out. */
		lseek(fd, 0, SEEK_SET);
		while ((n = bk_read_full(fd, buf, OUTBUF)) > 0) {
			bk_out_write(&d->out, buf, (size_t)n);
			bk_progress_add(&d->prog, (uint64_t)n);
		}
		if (n < 0)
			bk_err(BK_EX_IOERR, "could not read \"%s\"", tmpl);
		close(fd);
		bk_sqlite_tmp_remove(&tmpl, slot);
	}
}

/* ---- the run ---- */

/* Works out the output columns: the union of all, in first-seen order. */
static void
build_union(struct dump *d)
{
	size_t i, j, k;

	for (i = 0; i < d->nex; i++) {
		struct export *e = &d->ex[i];

		for (j = 0; j < e->ncols; j++) {
			if (d->labels && strcmp(e->cols[j], "type") == 0)
				bk_errx(BK_EX_DATAERR, "%s: column \"type\" "
				    "clashes with the label column; rename it "
				    "with AS", e->label);
			if (!d->labels)
				continue;
			for (k = 0; k < j; k++)
				if (strcmp(e->cols[k], e->cols[j]) == 0)
					bk_errx(BK_EX_DATAERR, "%s: column "
					    "\"%s\" appears twice; rename one "
					    "with AS", e->label, e->cols[j]);
			for (k = 0; k < d->nucols; k++)
				if (strcmp(d->ucols[k], e->cols[j]) == 0)
					break;
			if (k == d->nucols) {
				d->ucols = bk_reallocarray(d->ucols,
				    d->nucols + 1, sizeof(*d->ucols));
				d->ucols[d->nucols++] = e->cols[j];
			}
		}
	}
	if (!d->labels) {
		/* One export without labels: its own columns, as they are. */
		d->ucols = d->ex[0].cols;
		d->nucols = d->ex[0].ncols;
	}
	for (i = 0; i < d->nex; i++) {
		struct export *e = &d->ex[i];

		e->src = bk_calloc(d->nucols + 1, sizeof(*e->src));
		for (k = 0; k < d->nucols; k++) {
			e->src[k] = -1;
			if (!d->labels) {
				e->src[k] = (long)k;
				continue;
			}
			for (j = 0; j < e->ncols; j++)
				if (strcmp(e->cols[j], d->ucols[k]) == 0)
					e->src[k] = (long)j;
		}
	}
}

static void
put_header(struct dump *d)
{
	size_t k;

	if (d->labels)
		puts_(d, "type");
	for (k = 0; k < d->nucols; k++) {
		if (d->labels || k > 0)
			putc_(d, ',');
		put_csv(d, d->ucols[k], strlen(d->ucols[k]), csv_alone(d));
	}
	putc_(d, '\n');
}

/*
 * The counts file was opened with the output, before any export, so that
 * one that cannot be created stops the run before anything is written.
 * Its lines go to its temporary file before the output is committed; it
 * is committed right after the output.
 */
static void
write_counts(struct dump *d)
{
	char *line;
	size_t i;

	for (i = 0; i < d->nex; i++) {
		line = bk_asprintf("%s\t%llu\n", d->ex[i].label,
		    (unsigned long long)d->ex[i].rows);
		bk_out_write(&d->counts, line, strlen(line));
		free(line);
	}
}

static int
dump_rows(struct dump *d)
{
	size_t i;

	for (i = 0; i < d->nex; i++) {
		struct export *e = &d->ex[i];

		if (e->table != NULL) {
			char *t = quote_table(d, e->table);

			e->sql = bk_asprintf("SELECT * FROM %s", t);
			free(t);
		} else
			e->sql = bk_strdup(e->query);
		if (d->pg)
			pg_describe(d, e);
		else
			sqlite_describe(d, e);
	}
	build_union(d);
	if (d->format == FMT_CSV)
		put_header(d);
	else if (d->format == FMT_SQL)
		puts_(d, d->pg ? "-- data-only script written by bk-dump\n"
		    "SET client_encoding = 'UTF8';\nBEGIN;\n" :
		    "-- data-only script written by bk-dump\nBEGIN;\n");
	for (i = 0; i < d->nex; i++) {
		if (d->pg)
			pg_export(d, &d->ex[i]);
		else
			sqlite_export(d, &d->ex[i]);
		bk_info("%s: %llu row%s", d->ex[i].label,
		    (unsigned long long)d->ex[i].rows,
		    d->ex[i].rows == 1 ? "" : "s");
	}
	if (d->format == FMT_SQL)
		puts_(d, "COMMIT;\n");
	return BK_EX_OK;
}

static void
dump_free(struct dump *d)
{
	size_t i, j;

	for (i = 0; i < d->nex; i++) {
		struct export *e = &d->ex[i];

		for (j = 0; j < e->ncols; j++)
			free(e->cols[j]);
		for (j = 0; e->reftype != NULL && j < e->nref; j++)
			free(e->reftype[j]);
		free(e->cols);
		free(e->reftype);
		free(e->ref);
		free(e->src);
		free(e->sql);
		free(e->label);
		free(e->query);
	}
	free(d->ex);
	for (i = 0; i < d->npar; i++)
		free(d->par[i].name);
	free(d->par);
	if (d->labels)
		free(d->ucols);
	free(d->buf.p);
}

static int
dump_run(struct dump *d)
{
	bk_csv_dialect_init(&d->csv, ',', 0);
	if (d->sqlite_path != NULL)
		sqlite_open(d);
	else
		pg_connect(d);
	bk_out_open(&d->out, d->out_path, d->outflags |
	    (d->format == FMT_SQLITE ? BK_OUT_BINARY : 0));
	if (d->counts_path != NULL)
		bk_out_open(&d->counts, d->counts_path, d->outflags);
	bk_progress_init(&d->prog, d->progress, "bk-dump", 0);
	if (d->format == FMT_SQLITE) {
		/* Reading the schema tells a file that is not a database. */
		sqlite_exec(d, "SELECT count(*) FROM sqlite_master", "open");
		sqlite_copy(d);
	}
	else if (d->pg) {
		pg_begin(d);
		dump_rows(d);
		pg_command(d, "COMMIT", 0, NULL, "commit");
	} else {
		/* The first read fixes the snapshot, and checks the file. */
		sqlite_exec(d, "BEGIN", "begin");
		sqlite_exec(d, "SELECT count(*) FROM sqlite_master", "open");
		dump_rows(d);
		sqlite_exec(d, "COMMIT", "commit");
	}
	out_flush(d);
	bk_progress_end(&d->prog);
	if (d->counts_path != NULL)
		write_counts(d);
	if (d->counts_path != NULL)
		bk_out_commit2(&d->out, &d->counts);
	else
		bk_out_commit(&d->out);
	if (d->pg)
		PQfinish(d->pg);
	if (d->db)
		sqlite3_close(d->db);
	dump_free(d);
	return BK_EX_OK;
}

/* ---- options ---- */

static int
valid_label(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

static void
add_export(struct dump *d, const char *arg, int is_table)
{
	struct export *e;
	const char *eq = strchr(arg, '=');

	d->ex = bk_reallocarray(d->ex, d->nex + 1, sizeof(*d->ex));
	e = &d->ex[d->nex++];
	memset(e, 0, sizeof(*e));
	if (eq != NULL && valid_label(arg, (size_t)(eq - arg))) {
		e->label = bk_asprintf("%.*s", (int)(eq - arg), arg);
		arg = eq + 1;
	}
	if (*arg == '\0')
		bk_usage_error("empty %s", is_table ? "table name" : "query");
	if (is_table) {
		e->table = arg;
		if (e->label == NULL)
			e->label = bk_strdup(arg);
		/* It may be the label, which CSV and JSON carry as UTF-8. */
		if (strchr(arg, '\t') || strchr(arg, '\n') ||
		    !bk_utf8_valid(arg, strlen(arg)))
			bk_usage_error("bad table name \"%s\"", arg);
	} else {
		size_t n = strlen(arg);
		char *q;

		/* A final semicolon would break the COPY around the query. */
		while (n > 0 && (isspace((unsigned char)arg[n - 1]) ||
		    arg[n - 1] == ';'))
			n--;
		q = bk_asprintf("%.*s", (int)n, arg);
		e->query = q;
		if (e->label == NULL)
			e->label = bk_asprintf("query%zu", d->nex);
	}
}

static void
add_param(struct dump *d, const char *name, size_t n, const char *value)
{
	size_t i;

	if (n == 0 || !is_ident_start((unsigned char)name[0]))
		bk_usage_error("bad parameter name \"%.*s\"", (int)n, name);
	for (i = 1; i < n; i++)
		if (!is_ident((unsigned char)name[i]))
			bk_usage_error("bad parameter name \"%.*s\"", (int)n,
			    name);
	if (find_param(d, name, n) >= 0)
		bk_usage_error("parameter \"%.*s\" given twice", (int)n, name);
	d->par = bk_reallocarray(d->par, d->npar + 1, sizeof(*d->par));
	d->par[d->npar].name = bk_asprintf("%.*s", (int)n, name);
	d->par[d->npar].value = value;
	d->npar++;
}

static void
parse_month(struct dump *d, const char *s)
{
	int y, m;

	if (strlen(s) != 7 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
	    !isdigit((unsigned char)s[3]) || s[4] != '-' ||
	    !isdigit((unsigned char)s[5]) || !isdigit((unsigned char)s[6]))
		bk_usage_error("bad --month \"%s\" (want YYYY-MM)", s);
	y = atoi(s);
	m = atoi(s + 5);
	if (y < 1 || m < 1 || m > 12)
		bk_usage_error("bad --month \"%s\" (want YYYY-MM)", s);
	snprintf(d->month_start, sizeof(d->month_start), "%04d-%02d-01", y,
	    m);
	snprintf(d->month_end, sizeof(d->month_end), "%04d-%02d-01",
	    m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
	add_param(d, "month_start", strlen("month_start"), d->month_start);
	add_param(d, "month_end", strlen("month_end"), d->month_end);
}

static enum format
parse_format(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return FMT_CSV;
	if (strcmp(s, "jsonl") == 0 || strcmp(s, "json") == 0)
		return FMT_JSONL;
	if (strcmp(s, "sql") == 0)
		return FMT_SQL;
	if (strcmp(s, "sqlite") == 0)
		return FMT_SQLITE;
	bk_usage_error("unknown format \"%s\" (csv, jsonl, sql, sqlite)", s);
}

enum {
	OPT_COUNTS = 256, OPT_LABELS, OPT_MONTH, OPT_PARAM, OPT_QUERY,
	OPT_SERIALIZABLE, OPT_TIMEZONE, OPT_VERSION
};

int
main(int argc, char *argv[])
{
	static const char optstring[] = "d:F:fho:Pqt:v";
	static const struct option longopts[] = {
		{ "database",	required_argument, NULL, 'd' },
		{ "format",	required_argument, NULL, 'F' },
		{ "force",	no_argument,	   NULL, 'f' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "output",	required_argument, NULL, 'o' },
		{ "progress",	no_argument,	   NULL, 'P' },
		{ "quiet",	no_argument,	   NULL, 'q' },
		{ "table",	required_argument, NULL, 't' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "counts",	required_argument, NULL, OPT_COUNTS },
		{ "labels",	no_argument,	   NULL, OPT_LABELS },
		{ "month",	required_argument, NULL, OPT_MONTH },
		{ "param",	required_argument, NULL, OPT_PARAM },
		{ "query",	required_argument, NULL, OPT_QUERY },
		{ "serializable", no_argument,	   NULL, OPT_SERIALIZABLE },
		{ "timezone",	required_argument, NULL, OPT_TIMEZONE },
		{ "version",	no_argument,	   NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	/* Static, so that what it holds stays reachable until exit. */
	static struct dump d;
	int c, verbosity = 0, labels = 0;
	const char *eq;

	bk_init(argc, argv);
	memset(&d, 0, sizeof(d));
	while ((c = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'd':
			d.source = optarg;
			break;
		case 'F':
			d.format = parse_format(optarg);
			break;
		case 'f':
			d.outflags |= BK_OUT_FORCE;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'o':
			d.out_path = optarg;
			break;
		case 'P':
			d.progress = 1;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 't':
			add_export(&d, optarg, 1);
			break;
		case 'v':
			if (verbosity >= 0)
				verbosity++;
			break;
		case OPT_COUNTS:
			d.counts_path = optarg;
			break;
		case OPT_LABELS:
			labels = 1;
			break;
		case OPT_MONTH:
			parse_month(&d, optarg);
			break;
		case OPT_PARAM:
			if ((eq = strchr(optarg, '=')) == NULL)
				bk_usage_error("bad --param \"%s\" (want "
				    "NAME=VALUE)", optarg);
			add_param(&d, optarg, (size_t)(eq - optarg), eq + 1);
			break;
		case OPT_QUERY:
			add_export(&d, optarg, 0);
			break;
		case OPT_SERIALIZABLE:
			d.serializable = 1;
			break;
		case OPT_TIMEZONE:
			d.timezone = optarg;
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	if (optind < argc)
		bk_usage_error("unexpected argument \"%s\"", argv[optind]);
	bk_set_verbosity(verbosity);
	if (d.source != NULL && strncmp(d.source, "sqlite:", 7) == 0) {
		d.sqlite_path = d.source + 7;
		if (*d.sqlite_path == '\0')
			bk_usage_error("empty path in -d sqlite:");
		if (d.serializable || d.timezone != NULL)
			bk_usage_error("--serializable and --timezone are for "
			    "PostgreSQL");
	} else if (d.source != NULL) {
		/*
		 * libpq's parser, before anything runs; its message is not
		 * shown, as it may quote the string, password and all.  A
		 * bare name, which PQconnectdb cannot take, is often an
		 * SQLite file without its "sqlite:".
		 */
		struct bk_conninfo ci;
		int r = bk_conninfo_parse(d.source, &ci);

		if (r < -1)
			bk_usage_error("bad -d: %s (not shown: it may hold a "
			    "password)", bk_conninfo_why(r));
		if (r == 0 && !ci.bare)
			bk_conninfo_free(&ci);
		else
			bk_usage_error("bad -d: libpq cannot parse it as a "
			    "connection string or URI (not shown: it may hold "
			    "a password; for SQLite, use -d sqlite:PATH)");
	}
	if (d.format == FMT_SQLITE) {
		if (d.sqlite_path == NULL)
			bk_usage_error("--format sqlite needs an SQLite "
			    "source (-d sqlite:PATH)");
		if (d.nex > 0 || d.counts_path != NULL || labels)
			bk_usage_error("--format sqlite copies the whole "
			    "database: no --table, --query, --counts or "
			    "--labels");
	} else if (d.nex == 0)
		bk_usage_error("nothing to export (give --table or --query)");
	/* The sql format names each table instead of labelling rows. */
	d.labels = (labels || d.nex > 1) && d.format != FMT_SQL;
	return bk_finish(dump_run(&d));
}
