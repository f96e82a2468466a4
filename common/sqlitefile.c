/*
 * sqlitefile.c: SQLite database files as backups: a private temporary
 * copy to check one that came out of a stream, PRAGMA integrity_check,
 * and the backup API's copy of a whole database in one transaction.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bk.h"

int
bk_sqlite_tmp(const char *prefix, char **path, int *slot)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	*path = bk_asprintf("%s/%s.XXXXXX", dir, prefix);
	if ((fd = mkstemp(*path)) < 0)
		bk_err(BK_EX_CANTCREAT, "could not create a temporary file in "
		    "\"%s\"", dir);
	*slot = bk_tmp_register(*path);
	fchmod(fd, 0600);
	return fd;
}

void
bk_sqlite_tmp_remove(char **path, int slot)
{
	static const char *const sfx[] = { "-journal", "-wal", "-shm" };
	char *s;
	size_t i;

	if (*path == NULL)
		return;
	unlink(*path);
	/* SQLite's own files beside it, from opening it read-write. */
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		s = bk_asprintf("%s%s", *path, sfx[i]);
		unlink(s);
		free(s);
	}
	bk_tmp_forget(slot);
	free(*path);
	*path = NULL;
}

/* Keeps the first row of PRAGMA integrity_check, and counts them. */
struct rows {
	char	 first[300];
	int	 n;
};

static int
first_row(void *arg, int n, char **vals, char **names)
{
	struct rows *rw = arg;

	(void)names;
	if (rw->n++ == 0) {
		snprintf(rw->first, sizeof(rw->first), "%s",
		    n > 0 && vals[0] != NULL ? vals[0] : "");
		bk_one_line(rw->first);
	}
	return 0;
}

int
bk_sqlite_integrity(const char *path, char *why, size_t size)
{
	sqlite3 *db = NULL;
	struct rows rw;
	int rc, ok;

	memset(&rw, 0, sizeof(rw));
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA integrity_check", first_row,
		    &rw, NULL);
	ok = rc == SQLITE_OK && rw.n == 1 && strcmp(rw.first, "ok") == 0;
	if (rc != SQLITE_OK)
		snprintf(why, size, "the SQLite database is damaged (%s)",
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
	else if (!ok)
		snprintf(why, size, "the SQLite database fails "
		    "integrity_check: %s%s", rw.first, rw.n > 1 ?
		    " (and more)" : "");
	sqlite3_close(db);
	return ok ? 0 : -1;
}

int
bk_sqlite_copy(struct sqlite3 *dst, struct sqlite3 *src, long busy_ms)
{
	sqlite3_backup *b;
	long waited = 0;
	int rc, fin;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		return sqlite3_errcode(dst);
	/* All pages in one step: no writer can make it start again. */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED) {
		if (waited >= busy_ms)
			break;
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
		waited += 20;
	}
	fin = sqlite3_backup_finish(b);
	return rc == SQLITE_DONE && fin != SQLITE_OK ? fin : rc;
}
