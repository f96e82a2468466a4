/*
 * t-sqlitefile.c: SQLite files (sqlitefile.c), the one integrity check of
 * bk-manifest add, bk-verify, bk-restore and bk-dump, their private
 * copies (nothing left behind), the backup API's copy and unwal.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "format/format.h"
#include "tap.h"

static void
sql(const char *path, const char *text)
{
	sqlite3 *db;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, text, NULL, NULL, NULL) != SQLITE_OK)
		printf("# sqlite: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Files in the folder, not counting . and .. */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	if (d != NULL)
		closedir(d);
	return n;
}

static void
copy_file(const char *from, int to)
{
	char buf[4096];
	ssize_t n;
	int fd = open(from, O_RDONLY);

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		(void)bk_write_full(to, buf, (size_t)n);
	close(fd);
}

int
main(int argc, char *argv[])
{
	char tmpl[] = "/tmp/t-sqlitefile.XXXXXX", why[400], *copy;
	sqlite3 *src, *dst;
	struct stat st;
	int fd, slot, rc;

	bk_init(argc, argv);
	bk_set_verbosity(-1);
	if (mkdtemp(tmpl) == NULL || chdir(tmpl) < 0 || mkdir("tmp", 0700) < 0)
		return 1;
	setenv("TMPDIR", "tmp", 1);

	sql("good.db", "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT);"
	    "CREATE INDEX tb ON t (b);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 2000) INSERT INTO t SELECT i, 'row ' || i FROM n;");
	ok(bk_sqlite_integrity("good.db", why, sizeof(why)) == 0,
	    "a good database passes integrity_check");

	/* An index that disagrees with its table: the file still opens. */
	sql("bad.db", "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT);"
	    "CREATE INDEX tb ON t (b);"
	    "INSERT INTO t VALUES (1, 'x'), (2, 'y');"
	    "PRAGMA writable_schema = ON;"
	    "UPDATE sqlite_schema SET sql = 'CREATE INDEX tb ON t (a)' "
	    "WHERE name = 'tb';");
	ok(bk_sqlite_integrity("bad.db", why, sizeof(why)) < 0 &&
	    why[0] != '\0' && strchr(why, '\n') == NULL,
	    "a damaged index fails, in one line: %s", why);

	/* A private copy: no name in TMPDIR, the database readable. */
	fd = bk_sqlite_tmp("t-sqlitefile", &copy, &slot);
	copy_file("good.db", fd);
	close(fd);
	ok(entries("tmp") == 0 || slot >= 0,
	    "the copy has no name in TMPDIR (%s)", copy);
	why[0] = '\0';
	ok(bk_sqlite_integrity(copy, why, sizeof(why)) == 0,
	    "the copy passes the same check%s%s", why[0] ? ": " : "", why);
	rc = bk_sqlite_open_copy(copy, 0, &src);
	ok(rc == SQLITE_OK, "the copy opens read-only");
	sqlite3_close(src);
	bk_sqlite_tmp_remove(&copy, slot);
	ok(copy == NULL && entries("tmp") == 0,
	    "removed: nothing left in TMPDIR, no -journal, -wal or -shm");

	/* The backup API's copy, then made a rollback-journal file. */
	sql("wal.db", "PRAGMA journal_mode = WAL; CREATE TABLE w (x);"
	    "INSERT INTO w VALUES (1), (2), (3);");
	ok(sqlite3_open("wal.db", &src) == SQLITE_OK &&
	    sqlite3_open("out.db", &dst) == SQLITE_OK, "open both");
	rc = bk_sqlite_copy(dst, src, 1000);
	ok(rc == SQLITE_DONE, "the backup API copies every page (%d)", rc);
	sqlite3_close(src);
	sqlite3_close(dst);
	ok(bk_sqlite_unwal("out.db") == 0, "unwal");
	fd = open("out.db", O_RDONLY);
	{
		unsigned char v[2] = { 0, 0 };

		ok(pread(fd, v, 2, 18) == 2 && v[0] == 1 && v[1] == 1,
		    "the file says rollback journal (1, 1), not WAL");
	}
	close(fd);
	ok(bk_sqlite_integrity("out.db", why, sizeof(why)) == 0,
	    "the copy passes integrity_check");
	ok(stat("out.db-wal", &st) < 0 && stat("out.db-shm", &st) < 0,
	    "and left no -wal or -shm beside it");
	ok(bk_sqlite_unwal("nope.db") < 0, "unwal of a missing file: -1");

	system("rm -rf \"$PWD\"");
	return tap_done();
}
