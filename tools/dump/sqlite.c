/*
 * sqlite.c: the SQLite source: rows read in one read transaction and
 * written as CSV, JSON Lines or SQL, or the whole database copied
 * through the backup API.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "format/format.h"
#include "dump.h"

/* An SQL identifier in double quotes, for SQLite. */
char *
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

void
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

void
sqlite_exec(struct dump *d, const char *sql, const char *what)
{
	if (sqlite3_exec(d->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		sqlite_fail(d, d->db, what);
}

void
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

void
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
void
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
