/*
 * delete.c: --delete.  The checksum files that go with each backup to
 * remove, the removals bound to fail found before the manifest loses a
 * line, the lines dropped in one rewrite, the files removed without ever
 * following a symbolic link or leaving the tree, and the lines of the
 * backups that stayed put back.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "rotate.h"

/*
 * Checksum files written beside a backup for it alone: bk(7) writes
 * bk-sum "$f" > "$f.sha256", bk-sum(1) shows --digest-to "$f.sums", and
 * sha512sum and md5sum lists are named alike.  They go with their backup.
 */
const char *const sidecar_suffixes[] = {
	".sha256", ".sha512", ".md5", ".sums", NULL
};

static int
cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Opens the folder that holds path, relative to the tree's folder rootfd,
 * each folder on the way with O_NOFOLLOW, so that a symbolic link never
 * leads outside the tree; *base is set to the last component (within
 * path).  Refuses an absolute path and empty, "." or ".." components
 * (EINVAL), and a symbolic link on the way (ELOOP).  Returns a descriptor
 * to close, or -1 with errno set.
 */
static int
open_parent(int rootfd, const char *path, const char **base)
{
	const char *p, *slash;
	char *name;
	size_t len;
	int dfd, fd, saved;

	if (path[0] == '/') {
		errno = EINVAL;
		return -1;
	}
	/* Every component is checked before anything is opened. */
	for (p = path;; p = slash + 1) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.')) {
			errno = EINVAL;
			return -1;
		}
		if (slash == NULL)
			break;
	}
	*base = p;
	if ((dfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -1;
	for (p = path; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		name = bk_asprintf("%.*s", (int)(slash - p), p);
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		saved = errno;
		free(name);
		close(dfd);
		if (fd < 0) {
			/* A symbolic link on the way: refused, not followed. */
			errno = saved == ENOTDIR ? ELOOP : saved;
			return -1;
		}
		dfd = fd;
	}
	return dfd;
}

/*
 * Finds the checksum files that go with each backup to remove that is not
 * a folder: path + a suffix of sidecar_suffixes, in the same folder, when
 * it is a regular file (a symbolic link or a folder of that name stays)
 * and not a backup itself (listed in the manifest, or counted with
 * --dir).  A missing backup's are found too, so that a run interrupted
 * between a backup and its checksums finishes next time.  --delete
 * removes what is found here and nothing more: the lines printed are the
 * whole plan.
 */
void
find_sidecars(struct rotate *r)
{
	struct item *it;
	struct stat st;
	const char *base;
	char **listed, *side;
	size_t i, j, n = 0, cap;
	int dfd;

	cap = r->dir != NULL ? r->n : r->m.n;
	listed = bk_calloc(cap == 0 ? 1 : cap, sizeof(*listed));
	if (r->dir != NULL) {
		for (i = 0; i < r->n; i++)
			listed[n++] = r->items[i].path;
	} else {
		for (i = 0; i < r->m.n; i++)
			if (!r->m.ents[i].bad && r->m.ents[i].path != NULL)
				listed[n++] = r->m.ents[i].path;
	}
	qsort(listed, n, sizeof(*listed), cmp_paths);
	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		if (r->b[i].keep || it->folder)
			continue;
		/* A path that cannot be reached is reported by --delete. */
		if ((dfd = open_parent(r->rootfd, it->path, &base)) < 0)
			continue;
		for (j = 0; sidecar_suffixes[j] != NULL; j++) {
			side = bk_asprintf("%s%s", it->path,
			    sidecar_suffixes[j]);
			if (fstatat(dfd, side + (base - it->path), &st,
			    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
			    bsearch(&side, listed, n, sizeof(*listed),
			    cmp_paths) == NULL)
				it->sidecars |= 1u << j;
			free(side);
		}
		close(dfd);
	}
	free(listed);
}

/*
 * Removes name in the folder dfd: a file or a symbolic link is unlinked
 * (the link, never what it points to), a folder is emptied depth first
 * without following links, then removed.  Returns 0 or -1 with errno set.
 */
static int
remove_entry(int dfd, const char *name)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, saved = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_entry(dirfd(d), de->d_name) < 0) {
			saved = errno;
			break;
		}
	}
	closedir(d);
	if (saved != 0) {
		errno = saved;
		return -1;
	}
	return unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Reports a file that could not be removed (errno says why). */
static void
report_removal(struct rotate *r, const char *path)
{
	const char *root = r->dir != NULL ? r->dir : r->m.dir;
	int code;

	switch (errno) {
	case EINVAL:
	case ELOOP:
		code = BK_EX_DATAERR;
		bk_warnx("refusing to remove \"%s\" in \"%s\": %s", path, root,
		    errno == EINVAL ? "not a path inside the tree" :
		    "it goes through a symbolic link");
		break;
	default:
		code = errno == EACCES || errno == EPERM ? BK_EX_NOPERM :
		    BK_EX_IOERR;
		bk_warn("could not remove \"%s\" in \"%s\"", path, root);
	}
	if (r->status == 0)
		r->status = code;
}

/*
 * Removes the checksum files found for a backup just removed, from the
 * folder dfd that held it, each only if it is still a regular file.
 */
static void
remove_sidecars(struct rotate *r, int dfd, const char *base,
    const struct item *it)
{
	struct stat st;
	char *side;
	size_t j;

	for (j = 0; sidecar_suffixes[j] != NULL; j++) {
		if (!(it->sidecars & 1u << j))
			continue;
		side = bk_asprintf("%s%s", it->path, sidecar_suffixes[j]);
		if (fstatat(dfd, side + (base - it->path), &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    unlinkat(dfd, side + (base - it->path), 0) < 0 &&
		    errno != ENOENT)
			report_removal(r, side);
		free(side);
	}
}

/*
 * Removes each backup not kept, then its checksum files: a backup that
 * could not be removed keeps them.  A backup is removed as what it was
 * when it was decided: only a folder is emptied, so a file replaced by a
 * folder since is refused by unlinkat rather than emptied.
 */
void
delete_removed(struct rotate *r)
{
	struct item *it;
	const char *base;
	size_t i;
	int dfd, rc;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		if (r->b[i].keep || it->refused)
			continue;
		if ((dfd = open_parent(r->rootfd, it->path, &base)) < 0) {
			/* Its folder is gone, and the backup with it. */
			if (errno == ENOENT)
				it->removed = 1;
			else
				report_removal(r, it->path);
			continue;
		}
		if (it->folder)
			rc = remove_entry(dfd, base);
		else
			rc = unlinkat(dfd, base, 0);
		if (rc == 0 || errno == ENOENT) {
			it->removed = 1;
			remove_sidecars(r, dfd, base, it);
		} else
			report_removal(r, it->path);
		close(dfd);
	}
}

/*
 * Before the manifest loses a line, the removals that are bound to fail
 * are found, so that their backups keep their lines where they are: a
 * path that leaves the tree or goes through a symbolic link, and a folder
 * that this user may not change.  Each is reported as --delete reports a
 * failed removal.
 */
void
refuse_removals(struct rotate *r)
{
	struct item *it;
	const char *base;
	size_t i;
	int dfd;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		if (r->b[i].keep)
			continue;
		if ((dfd = open_parent(r->rootfd, it->path, &base)) < 0) {
			/* Its folder is gone: so is the backup. */
			if (errno != ENOENT) {
				report_removal(r, it->path);
				it->refused = 1;
			}
			continue;
		}
		if (!it->missing && faccessat(dfd, ".", W_OK | X_OK,
		    AT_EACCESS) < 0) {
			report_removal(r, it->path);
			it->refused = 1;
		}
		close(dfd);
	}
}

static int
keep_line(struct bk_entry *e, void *arg)
{
	struct gone *g = arg;

	if (e->path == NULL || bsearch(&e->path, g->paths, g->n,
	    sizeof(*g->paths), cmp_paths) == NULL)
		return 1;
	if (g->nlines == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->lines = bk_reallocarray(g->lines, g->cap,
		    sizeof(*g->lines));
	}
	g->lines[g->nlines++] = bk_entry_dup(e);
	return 0;
}

/*
 * Drops the manifest lines of the backups to remove, in one rewrite, before
 * any file is touched: the rewrite writes and fsyncs a new manifest and
 * renames it into place, or exits (74 on a full disk or an I/O error, 73,
 * 77) with the manifest and every file as they were.  The lines dropped
 * are kept in g for put_back.
 */
void
drop_lines(struct rotate *r, struct gone *g)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	g->paths = bk_calloc(r->n == 0 ? 1 : r->n, sizeof(*g->paths));
	for (i = 0; i < r->n; i++)
		if (!r->b[i].keep && !r->items[i].refused)
			g->paths[g->n++] = r->items[i].path;
	if (g->n > 0) {
		qsort(g->paths, g->n, sizeof(*g->paths), cmp_paths);
		bk_manifest_rewrite(&r->m, keep_line, g);
	}
}

/*
 * Appends again, in one write, the lines of the backups that could not be
 * removed after all (delete_removed reported each): a backup that stays
 * keeps its line, now at the end of the manifest.  If that write fails
 * too, they stay as files without a line, which bk-verify reports.
 */
void
put_back(struct rotate *r, struct gone *g)
{
	char **left;
	size_t i, n = 0;

	left = bk_calloc(r->n == 0 ? 1 : r->n, sizeof(*left));
	for (i = 0; i < r->n; i++)
		if (!r->b[i].keep && !r->items[i].refused &&
		    !r->items[i].removed)
			left[n++] = r->items[i].path;
	qsort(left, n, sizeof(*left), cmp_paths);
	if (n > 0)
		bk_warnx("the line%s of %zu backup%s not removed go%s back, at "
		    "the end of manifest \"%s\"", n == 1 ? "" : "s", n,
		    n == 1 ? "" : "s", n == 1 ? "es" : "", r->m.path);
	for (i = 0; i < g->nlines; i++) {
		if (n > 0 && bsearch(&g->lines[i]->path, left, n,
		    sizeof(*left), cmp_paths) != NULL)
			bk_manifest_append(&r->m, g->lines[i]);
		else
			bk_entry_free(g->lines[i]);
	}
	bk_manifest_unlock(&r->m);
	free(left);
	free(g->lines);
	free(g->paths);
}
