/*
 * sqlite.c: an SQLite target.  The file is locked (or created), the live
 * database copied for the safety backup, and the verified copy put in its
 * place through the backup API, each in one transaction.
 */

/* realpath(3) is an XSI function. */
#define _XOPEN_SOURCE 700

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "catalog/catalog.h"
#include "restore.h"

/*
 * An SQLite target is a database file, an empty file or none at all (it
 * is created).  Anything else is refused: a restore must not overwrite a
 * file that is not a database.  An flock on the file keeps a second
 * bk-restore out; the application's own locks are SQLite's, which the
 * backup API waits for.
 */
void
sqlite_setup(struct restore *r)
{
	struct stat st;
	unsigned char head[16];
	char *copy, *dir;
	ssize_t n;

	r->path = bk_strdup(r->target + 7);
	if (*r->path == '\0')
		bk_usage_error("empty path in -D sqlite:");
	if ((r->lockfd = open(r->path, O_RDWR | O_CLOEXEC)) < 0) {
		if (errno == EISDIR)
			bk_errx(BK_EX_DATAERR, "could not restore into \"%s\": "
			    "not a regular file", r->path);
		if (errno != ENOENT)
			bk_err(bk_open_errno_code(errno), "could not open "
			    "\"%s\"", r->path);
		copy = bk_strdup(r->path);
		dir = realpath(dirname(copy), NULL);
		free(copy);
		if (dir == NULL)
			bk_err(bk_open_errno_code(errno), "could not open the "
			    "folder of \"%s\"", r->path);
		r->record = bk_asprintf("sqlite:%s/%s", strcmp(dir, "/") ? dir :
		    "", strrchr(r->path, '/') ? strrchr(r->path, '/') + 1 :
		    r->path);
		free(dir);
		r->empty = r->created = 1;
		if (!r->dry_run) {
			r->lockfd = open(r->path, O_RDWR | O_CREAT | O_EXCL |
			    O_CLOEXEC, 0600);
			if (r->lockfd < 0)
				bk_err(bk_open_errno_code(errno) ==
				    BK_EX_NOPERM ? BK_EX_NOPERM :
				    BK_EX_CANTCREAT, "could not create \"%s\"",
				    r->path);
			/* Removed again unless the restore fills it. */
			r->created_slot = bk_tmp_register(r->path);
		}
	} else {
		if (fstat(r->lockfd, &st) < 0)
			bk_err(BK_EX_IOERR, "could not open \"%s\"", r->path);
		if (!S_ISREG(st.st_mode))
			bk_errx(BK_EX_DATAERR, "could not restore into \"%s\": "
			    "not a regular file", r->path);
		if ((n = bk_read_full(r->lockfd, head, sizeof(head))) < 0)
			bk_err(BK_EX_IOERR, "could not read \"%s\"", r->path);
		if (n > 0 && (n < 16 ||
		    memcmp(head, "SQLite format 3", 16) != 0))
			bk_errx(BK_EX_DATAERR, "could not restore into \"%s\": "
			    "it is not an SQLite database, and bk-restore "
			    "replaces only databases", r->path);
		r->empty = n == 0;
		dir = realpath(r->path, NULL);
		r->record = bk_asprintf("sqlite:%s", dir != NULL ? dir :
		    r->path);
		free(dir);
	}
	if (r->lockfd >= 0 && flock(r->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			bk_errx(BK_EX_TEMPFAIL, "another bk-restore is "
			    "restoring into \"%s\"", r->path);
		bk_err(BK_EX_IOERR, "could not lock \"%s\"", r->path);
	}
	copy = bk_strdup(r->path);
	r->name = bk_strdup(basename(copy));
	free(copy);
	r->shown = bk_asprintf("SQLite database \"%s\"", r->path);
}

static int
sqlite_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return BK_EX_TEMPFAIL;
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return BK_EX_IOERR;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return BK_EX_NOPERM;
	case SQLITE_CANTOPEN:
		return BK_EX_CANTCREAT;
	default:
		return BK_EX_DATAERR;
	}
}

static const char *
sqlite_why(int rc)
{
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return "the database stayed locked for 10 seconds (stop the "
		    "application first)";
	return sqlite3_errstr(rc);
}

static sqlite3 *
sqlite_open(const char *path, int flags, const char *what)
{
	sqlite3 *db = NULL;
	int rc;

	if ((rc = sqlite3_open_v2(path, &db, flags, NULL)) != SQLITE_OK)
		bk_errx(sqlite_code(rc), "could not open %s \"%s\": %s", what,
		    path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_busy_timeout(db, BUSY_MS);
	return db;
}

/* The private copy the verification made (bk_sqlite_open_copy). */
static sqlite3 *
copy_open(struct restore *r, int write)
{
	sqlite3 *db = NULL;
	int rc;

	if ((rc = bk_sqlite_open_copy(r->tmp, write, &db)) != SQLITE_OK)
		bk_errx(sqlite_code(rc), "could not open the copy of \"%s\": "
		    "%s", r->rel, db != NULL ? sqlite3_errmsg(db) :
		    "out of memory");
	sqlite3_busy_timeout(db, BUSY_MS);
	return db;
}

/*
 * A checked copy of the live database, in one read transaction.  To be
 * encrypted, the copy is made in a private file without a name (nothing
 * of the plaintext is left, even after kill -9) and then goes through
 * bk-crypt; else it is the safety backup's own temporary file.
 */
void
safety_sqlite(struct restore *r, const char *path)
{
	struct safety_out out;
	sqlite3 *src, *dst = NULL;
	char why[700], *file, *tmp = NULL;
	ssize_t got;
	off_t off = 0;
	int rc, fd = -1, slot = -1;

	if (r->recipients != NULL) {
		fd = bk_sqlite_tmp("bk-restore", &tmp, &slot);
		if ((rc = bk_sqlite_open_copy(tmp, 1, &dst)) != SQLITE_OK)
			bk_errx(sqlite_code(rc), "could not open the safety "
			    "backup's copy: %s", sqlite_why(rc));
		sqlite3_busy_timeout(dst, BUSY_MS);
		file = tmp;
	} else {
		safety_open(r, &out, path);
		file = out.out.tmp;
		dst = sqlite_open(file, SQLITE_OPEN_READWRITE, "safety backup");
	}
	src = sqlite_open(r->path, SQLITE_OPEN_READONLY, "database");
	/* Its journal in memory: nothing is left beside it by a kill. */
	rc = sqlite3_exec(dst, "PRAGMA journal_mode=MEMORY", NULL, NULL,
	    NULL) == SQLITE_OK ? bk_sqlite_copy(dst, src, BUSY_MS) :
	    sqlite3_errcode(dst);
	sqlite3_close(src);
	if (rc != SQLITE_DONE)
		safety_failed(r, sqlite_code(rc), sqlite_why(rc));
	/* One self-contained file, even when the target runs in WAL mode. */
	if (sqlite3_close(dst) != SQLITE_OK || bk_sqlite_unwal(file) < 0)
		bk_errx(BK_EX_IOERR, "could not write \"%s\"", path);
	if (bk_sqlite_integrity(file, why, sizeof(why)) < 0)
		safety_failed(r, BK_EX_DATAERR, why);
	if (tmp != NULL) {
		safety_open(r, &out, path);
		while ((got = pread(fd, r->buf, CHUNK, off)) > 0) {
			safety_write(&out, r->buf, (size_t)got);
			off += got;
		}
		if (got < 0)
			bk_err(BK_EX_IOERR, "could not read the copy of \"%s\"",
			    r->path);
		close(fd);
		bk_sqlite_tmp_remove(&tmp, slot);
	}
	safety_commit(&out, r);
}

/* The first column of a one-row PRAGMA as text, or "" (NUL-terminated). */
static void
pragma_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/*
 * SQLite's backup API cannot change the page size of a database in WAL
 * mode: it fails with "readonly database", which is no permission problem.
 * So the private copy takes the target's page size first (VACUUM rebuilds
 * it; a copy in WAL mode leaves it for the rollback journal to allow that).
 * A copy that cannot be changed is left as it is, and the backup step
 * then reports the failure.
 */
static void
match_page_size(struct restore *r, sqlite3 **src, sqlite3 *dst)
{
	char mode[32], want[32], have[32], *sql;

	pragma_text(dst, "PRAGMA journal_mode", mode, sizeof(mode));
	pragma_text(dst, "PRAGMA page_size", want, sizeof(want));
	pragma_text(*src, "PRAGMA page_size", have, sizeof(have));
	if (strcmp(mode, "wal") != 0 || want[0] == '\0' ||
	    strcmp(want, have) == 0 || strspn(want, "0123456789") !=
	    strlen(want))
		return;
	/* Opened again to be written (common/sqlitefile.c). */
	sqlite3_close(*src);
	*src = copy_open(r, 1);
	sql = bk_asprintf("PRAGMA journal_mode=MEMORY; PRAGMA page_size=%s; "
	    "VACUUM", want);
	(void)sqlite3_exec(*src, sql, NULL, NULL, NULL);
	free(sql);
}

void
restore_sqlite(struct restore *r)
{
	sqlite3 *src, *dst;
	char why[300];
	int rc;

	src = copy_open(r, 0);
	dst = sqlite_open(r->path, SQLITE_OPEN_READWRITE, "database");
	match_page_size(r, &src, dst);
	rc = bk_sqlite_copy(dst, src, BUSY_MS);
	sqlite3_close(src);
	if (rc != SQLITE_DONE) {
		snprintf(why, sizeof(why), "%s", sqlite_why(rc));
		sqlite3_close(dst);
		restore_failed(r, sqlite_code(rc), why);
	}
	if (sqlite3_close(dst) != SQLITE_OK)
		bk_errx(BK_EX_IOERR, "could not close \"%s\"", r->path);
}
