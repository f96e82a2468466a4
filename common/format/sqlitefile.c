/*
 * sqlitefile.c: SQLite database files as backups: a private temporary
 * copy to check one that came out of a stream, PRAGMA integrity_check,
 * and the backup API's copy of a whole database in one transaction.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* O_TMPFILE */
#endif
#include <sys/stat.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "format/format.h"

/*
 * A private copy has no name, so that nothing can leave it behind, kill -9
 * included: it is made without one (O_TMPFILE) and named by a descriptor
 * kept open, /proc/self/fd/N.  SQLite's unix VFS resolves symbolic links
 * in a name itself (which would give the name the file had) and opens
 * with O_NOFOLLOW, so such names go through "bk-fd", the same VFS but for
 * those two things.  Where that cannot be (no O_TMPFILE in TMPDIR's file
 * system), the copy has a name, removed at exit and on SIGINT, SIGTERM
 * and SIGHUP.
 */
#define FD_NAME	"/proc/self/fd/"

static sqlite3_vfs fdvfs;
static int (*unix_fullpath)(sqlite3_vfs *, const char *, int, char *);
static int (*unix_open)(const char *, int, int);
static int fdvfs_ok;
static pthread_once_t fdvfs_once = PTHREAD_ONCE_INIT;

static int
fd_name(const char *path)
{
	return strncmp(path, FD_NAME, strlen(FD_NAME)) == 0;
}

static int
fd_fullpath(sqlite3_vfs *vfs, const char *path, int size, char *out)
{
	size_t n = strlen(path);

	if (!fd_name(path))
		return unix_fullpath(vfs, path, size, out);
	if (n >= (size_t)size)
		return SQLITE_CANTOPEN;
	memcpy(out, path, n + 1);
	return SQLITE_OK;
}

static int
fd_open(const char *path, int flags, int mode)
{
	if (fd_name(path))
		flags &= ~O_NOFOLLOW;
	return unix_open(path, flags, mode);
}

static void
fdvfs_init(void)
{
	sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");

	if (access(FD_NAME, X_OK) < 0 || unix_vfs == NULL ||
	    unix_vfs->iVersion < 3 ||
	    (unix_open = (int (*)(const char *, int, int))
	    unix_vfs->xGetSystemCall(unix_vfs, "open")) == NULL)
		return;
	fdvfs = *unix_vfs;
	fdvfs.zName = "bk-fd";
	fdvfs.pNext = NULL;
	unix_fullpath = unix_vfs->xFullPathname;
	fdvfs.xFullPathname = fd_fullpath;
	if (unix_vfs->xSetSystemCall(unix_vfs, "open",
	    (sqlite3_syscall_ptr)fd_open) == SQLITE_OK &&
	    sqlite3_vfs_register(&fdvfs, 0) == SQLITE_OK)
		fdvfs_ok = 1;
}

int
bk_sqlite_tmp(const char *prefix, char **path, int *slot)
{
	const char *dir = getenv("TMPDIR");
	int fd, hold;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	pthread_once(&fdvfs_once, fdvfs_init);
#ifdef O_TMPFILE
	if (fdvfs_ok && (fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC,
	    0600)) >= 0) {
		if ((hold = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
			bk_err(BK_EX_CANTCREAT, "could not create a temporary "
			    "file in \"%s\"", dir);
		*path = bk_asprintf(FD_NAME "%d", hold);
		*slot = -1;
		return fd;
	}
#endif
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
	if (fd_name(*path)) {
		/* The last descriptor: the file goes with it. */
		close(atoi(*path + strlen(FD_NAME)));
		free(*path);
		*path = NULL;
		return;
	}
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

int
bk_sqlite_unwal(const char *path)
{
	unsigned char v[2];
	int fd, r = 0;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	/* The file format's write and read versions: 2 is WAL, 1 not. */
	if (pread(fd, v, 2, 18) == 2 && v[0] == 2 && v[1] == 2 &&
	    pwrite(fd, "\1\1", 2, 18) != 2)
		r = -1;
	if (close(fd) < 0)
		r = -1;
	return r;
}

int
bk_sqlite_open_copy(const char *path, int write, struct sqlite3 **db)
{
	char *uri;
	int rc;

	*db = NULL;
	if (!fd_name(path) || !fdvfs_ok)
		return sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL);
	/*
	 * Read-only, immutable: no lock, and no -wal or -shm file, which
	 * could not be made beside it, even when the copy is in WAL mode.
	 * To write, it becomes a rollback-journal database whose journal
	 * stays in memory.
	 */
	if (write && bk_sqlite_unwal(path) < 0)
		return SQLITE_IOERR;
	uri = bk_asprintf("file:%s%s", path, write ? "" : "?immutable=1");
	rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_URI | (write ?
	    SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY), "bk-fd");
	free(uri);
	if (rc == SQLITE_OK && write)
		rc = sqlite3_exec(*db, "PRAGMA journal_mode=MEMORY", NULL,
		    NULL, NULL);
	return rc;
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
	rc = bk_sqlite_open_copy(path, 0, &db);
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
