/*
 * load.c: the backups bk-rotate decides about, one item each: the good
 * lines of the manifest (of one type with -T), or with --dir the entries
 * of a folder that look like backups, each with its time (the rule that
 * --dir s3:// follows too, in remote.c).
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "rotate.h"

struct item *
add_item(struct rotate *r, const char *path, time_t t, long off,
    const char *type, int good, int missing)
{
	struct item *it;

	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 256 : r->cap * 2;
		r->items = bk_reallocarray(r->items, r->cap, sizeof(*r->items));
	}
	it = &r->items[r->n];
	memset(it, 0, sizeof(*it));
	it->path = bk_strdup(path);
	it->t = t;
	it->off = off;
	it->type = type;
	it->good = good;
	it->missing = missing;
	it->order = r->n++;
	return it;
}

void
name_time(const char *name, time_t fallback, time_t *t, long *off)
{
	if (bk_parse_name_date(name, t) < 0)
		*t = fallback;
	*off = bk_local_offset(*t);
}

/*
 * Why an entry of a --dir folder is not a backup, or NULL if it is one:
 * a regular file that bk_backup_file accepts (the rule of bk-manifest
 * adopt and bk-verify's scan), or a folder whose name carries a date
 * (backups/2024_09/).  Everything else (symbolic links, checksums, keys,
 * READMEs, locks) is never counted, so never removed.  An undated folder
 * sets *warn: it may mean that --dir names the tree rather than one of
 * its folders of backups.
 */
static const char *
dir_entry_skip(int dfd, const char *name, const struct stat *st, int *warn)
{
	time_t t;

	*warn = 0;
	if (name[0] == '.')
		return "hidden";
	if (S_ISLNK(st->st_mode))
		return "a symbolic link";
	if (S_ISDIR(st->st_mode)) {
		if (bk_parse_name_date(name, &t) == 0)
			return NULL;
		*warn = 1;
		return "no date in its name";
	}
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (!bk_backup_file(dfd, name))
		return "does not look like a backup";
	return NULL;
}

/*
 * --dir: the entries of the folder that are backups (dir_entry_skip) form
 * one group.  None has a manifest line, so none counts as good.
 */
void
load_dir(struct rotate *r)
{
	struct dirent *de;
	struct stat st;
	const char *why;
	DIR *d;
	time_t t;
	long off;
	int fd, warn;

	if ((r->rootfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		bk_err(bk_open_errno_code(errno), "could not open \"%s\"",
		    r->dir);
	if (fstatat(r->rootfd, BK_MANIFEST_NAME, &st, AT_SYMLINK_NOFOLLOW) ==
	    0)
		bk_errx(BK_EX_USAGE, "\"%s\" holds a manifest: rotate it with "
		    "-m \"%s/%s\"", r->dir, r->dir, BK_MANIFEST_NAME);
	if ((fd = dup(r->rootfd)) < 0 || (d = fdopendir(fd)) == NULL)
		bk_err(BK_EX_IOERR, "could not read \"%s\"", r->dir);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(r->rootfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0) {
			if (errno == ENOENT) {
				errno = 0;
				continue;
			}
			bk_err(BK_EX_IOERR, "could not stat \"%s/%s\"", r->dir,
			    de->d_name);
		}
		if ((why = dir_entry_skip(r->rootfd, de->d_name, &st, &warn)) !=
		    NULL) {
			/* Cron stays quiet about the usual neighbours. */
			if (warn)
				bk_warnx("skipping folder \"%s/%s\": %s", r->dir,
				    de->d_name, why);
			else
				bk_info("skipping \"%s/%s\": %s", r->dir,
				    de->d_name, why);
			errno = 0;
			continue;
		}
		name_time(de->d_name, st.st_mtime, &t, &off);
		add_item(r, de->d_name, t, off, NULL, BK_GOOD_NONE, 0)->folder =
		    S_ISDIR(st.st_mode);
		errno = 0;
	}
	if (errno != 0)
		bk_err(BK_EX_IOERR, "could not read \"%s\"", r->dir);
	closedir(d);
}

/*
 * The manifest: each good line of the chosen type is a backup.  A line
 * whose last verification failed, or whose file is missing, is not good.
 */
void
load_manifest(struct rotate *r)
{
	struct bk_entry *e;
	struct stat st;
	size_t i;
	time_t t;
	long off;
	int good, missing, folder;

	if (r->delete) {
		/* A missing manifest must not be created by the lock (which
		 * refuses a symbolic link, dangling or not). */
		if (lstat(r->m.path, &st) < 0)
			bk_err(BK_EX_NOINPUT, "could not open manifest \"%s\"",
			    r->m.path);
		bk_manifest_lock(&r->m, BK_LOCK_EX, r->wait, 0);
	}
	bk_manifest_load(&r->m, bk_verbosity() < 0 ? BK_MF_QUIET : 0);
	r->rootfd = r->m.dirfd;
	if (r->rootfd < 0 && (r->rootfd = open(r->m.dir,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		bk_err(bk_open_errno_code(errno), "could not open \"%s\"",
		    r->m.dir);
	for (i = 0; i < r->m.n; i++) {
		e = &r->m.ents[i];
		if (e->bad || e->path == NULL)
			continue;
		if (r->type != NULL && (e->type == NULL ||
		    strcmp(e->type, r->type) != 0))
			continue;
		folder = missing = 0;
		if (fstatat(r->rootfd, e->path, &st, AT_SYMLINK_NOFOLLOW) == 0)
			folder = S_ISDIR(st.st_mode);
		else
			missing = errno == ENOENT;
		/* The library refuses a line without "created". */
		t = e->created_t;
		off = e->created_off;
		if (missing || e->verified == BK_VERIFIED_FAIL)
			good = BK_GOOD_NONE;
		else if (e->verified == BK_VERIFIED_OK)
			good = BK_GOOD_VERIFIED;
		else
			good = BK_GOOD_LISTED;
		add_item(r, e->path, t, off, e->type, good, missing)->folder =
		    folder;
	}
}
