/*
 * backupfile.c: which files of a backup tree look like backups.  bk-manifest
 * adopt catalogs them and bk-verify reports those without a manifest line;
 * both ask here, so that what one adopts is what the other misses.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bk.h"

/* Layers that may wrap a backup, outermost last: x.sql.gz.age. */
static const char *const wrappers[] = { ".gz", ".age", ".gpg", NULL };
/* What a backup holds: a script, an export, a database, a copy. */
static const char *const contents[] = { ".sql", ".dump", ".csv", ".tsv",
    ".jsonl", ".db", ".sqlite", ".sqlite3", ".bak", ".tar", NULL };

/* The length of the suffix of name[0..n) found in list, or 0. */
static size_t
suffix(const char *name, size_t n, const char *const *list)
{
	size_t i, l;

	for (i = 0; list[i] != NULL; i++) {
		l = strlen(list[i]);
		if (n > l && strncasecmp(name + n - l, list[i], l) == 0)
			return l;
	}
	return 0;
}

static int
backup_name(const char *name)
{
	size_t n = strlen(name), l;

	while ((l = suffix(name, n, wrappers)) > 0)
		n -= l;
	return suffix(name, n, contents) > 0;
}

/*
 * Formats that hold data whatever the file is called.  Text formats (CSV,
 * SQL) are left to the name: a README, a sha256sum list or an age identity
 * is text as well, and must not count.
 */
static int
backup_content(int dirfd, const char *path)
{
	unsigned char head[64];
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return 0;
	/* The name may have been replaced by a FIFO since it was looked at. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	n = bk_read_full(fd, head, sizeof(head));
	close(fd);
	if (n <= 0)
		return 0;
	/* pg_dump's custom format (-Fc) begins with "PGDMP". */
	if (n >= 5 && memcmp(head, "PGDMP", 5) == 0)
		return 1;
	switch (bk_detect(head, (size_t)n)) {
	case BK_LAYER_GZIP:
	case BK_LAYER_AGE:
	case BK_LAYER_AGE_ARMOR:
	case BK_LAYER_SQLITE:
		return 1;
	default:
		return 0;
	}
}

int
bk_backup_file(int dirfd, const char *path)
{
	const char *base = strrchr(path, '/');
	struct stat st;

	base = base != NULL ? base + 1 : path;
	if (*base == '.' || *base == '\0')
		return 0;
	if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	return backup_name(base) || backup_content(dirfd, path);
}
