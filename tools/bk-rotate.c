/*
 * bk-rotate: applies a retention policy to a backup tree.  The backups
 * come from the manifest (one group per type) or from the entries of a
 * folder that look like backups; policy.c decides; a dry run prints the
 * decision, --delete removes what is not kept with the checksum files
 * written beside it, never following a symbolic link and never leaving the
 * tree.  With a manifest, the lines go first and the files after, so that
 * the manifest never names a file that is gone.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"

static const char usage[] =
"usage: bk-rotate [-nqv] [-m manifest | --dir dir] [-T type] [--keep-last n]\n"
"                 [--keep-hourly n] [--keep-daily n] [--keep-weekly n]\n"
"                 [--keep-monthly n] [--keep-yearly n] [--keep-within duration]\n"
"                 [--max-age duration] [--now date] [--delete]\n"
"                 [-w seconds | --no-wait]\n";

/*
 * How long to wait for the manifest's lock by default.  Unlike
 * bk-manifest add, which must record its backup and waits for ever, a
 * rotation can give up (75) and run again next time.
 */
#define LOCK_WAIT	60

/*
 * Checksum files written beside a backup for it alone: bk(7) writes
 * bk-sum "$f" > "$f.sha256", bk-sum(1) shows --digest-to "$f.sums", and
 * sha512sum and md5sum lists are named alike.  They go with their backup.
 */
static const char *const sidecar_suffixes[] = {
	".sha256", ".sha512", ".md5", ".sums", NULL
};

struct item {
	char		*path;		/* relative to the tree's folder */
	time_t		 t;
	long		 off;
	const char	*type;
	int		 good;
	int		 missing;	/* listed, but no file there */
	int		 folder;	/* a folder (a dated one with --dir) */
	unsigned	 sidecars;	/* bit i: path + sidecar_suffixes[i] */
	size_t		 order;		/* position in the input */
	int		 refused;	/* --delete will not try: reported */
	int		 removed;	/* removed by --delete, or gone */
};

struct rotate {
	struct bk_policy policy;
	const char	*manifest;	/* -m, or NULL for the default */
	const char	*dir;		/* --dir */
	const char	*type;		/* -T */
	int		 delete;
	int		 dry_run;	/* -n: the default, said aloud */
	int		 wait;		/* -w: seconds for the lock, -1 ever */
	time_t		 now;
	struct item	*items;
	size_t		 n, cap;
	struct bk_backup *b;
	int		 rootfd;	/* the tree's folder */
	struct bk_manifest m;
	int		 status;	/* worst failure while deleting */
};

enum {
	OPT_DIR = 256, OPT_LAST, OPT_HOURLY, OPT_DAILY, OPT_WEEKLY,
	OPT_MONTHLY, OPT_YEARLY, OPT_WITHIN, OPT_MAX_AGE, OPT_NOW, OPT_DELETE,
	OPT_NO_WAIT, OPT_VERSION
};

static const struct option longopts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "manifest", required_argument, NULL, 'm' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "type", required_argument, NULL, 'T' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "wait", required_argument, NULL, 'w' },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "keep-last", required_argument, NULL, OPT_LAST },
	{ "keep-hourly", required_argument, NULL, OPT_HOURLY },
	{ "keep-daily", required_argument, NULL, OPT_DAILY },
	{ "keep-weekly", required_argument, NULL, OPT_WEEKLY },
	{ "keep-monthly", required_argument, NULL, OPT_MONTHLY },
	{ "keep-yearly", required_argument, NULL, OPT_YEARLY },
	{ "keep-within", required_argument, NULL, OPT_WITHIN },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "delete", no_argument, NULL, OPT_DELETE },
	{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* A count: a number of periods, or "unlimited" for all of them. */
static int
parse_count(const char *opt, const char *s)
{
	long long v;

	if (strcmp(s, "unlimited") == 0)
		return BK_KEEP_ALL;
	if (bk_parse_number(s, 0, INT_MAX, &v) < 0)
		bk_errx(BK_EX_USAGE, "invalid count for --%s: \"%s\"", opt,
		    s);
	return (int)v;
}

static int64_t
parse_age(const char *opt, const char *s)
{
	int64_t v;

	if (bk_parse_duration(s, &v) < 0 || v <= 0)
		bk_errx(BK_EX_USAGE, "invalid duration for --%s: \"%s\"",
		    opt, s);
	return v;
}

static struct item *
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

/* The time a file name carries, else its modification time. */
static void
entry_time(const char *name, const struct stat *st, time_t *t, long *off)
{
	if (bk_parse_name_date(name, t) < 0)
		*t = st->st_mtime;
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
static void
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
		entry_time(de->d_name, &st, &t, &off);
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
static void
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

/* Newest first; equal times keep the input order. */
static int
cmp_items(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->t != y->t)
		return x->t > y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
decide(struct rotate *r)
{
	size_t i;

	if (r->n > 0)
		qsort(r->items, r->n, sizeof(*r->items), cmp_items);
	r->b = bk_calloc(r->n == 0 ? 1 : r->n, sizeof(*r->b));
	for (i = 0; i < r->n; i++) {
		r->b[i].t = r->items[i].t;
		r->b[i].utc_offset = r->items[i].off;
		r->b[i].type = r->items[i].type;
		r->b[i].good = r->items[i].good;
	}
	bk_policy_apply(&r->policy, r->b, r->n, r->now);
}

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
static void
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
 * One line per backup, newest first; a backup's checksum files follow it,
 * one "remove" line each, so that the lines beginning "remove" name every
 * file --delete removes.
 */
static void
print_decisions(struct rotate *r)
{
	char why[512];
	const struct item *it;
	size_t i, j, kept = 0, sides = 0;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		kept += r->b[i].keep;
		for (j = 0; sidecar_suffixes[j] != NULL; j++)
			sides += (it->sidecars >> j) & 1;
		if (bk_verbosity() < 0)
			continue;
		bk_policy_reasons(why, sizeof(why), &r->policy, &r->b[i]);
		printf("%s %s (%s%s)\n", r->b[i].keep ? "keep" : "remove",
		    it->path, why, it->missing ? ", missing" : "");
		for (j = 0; sidecar_suffixes[j] != NULL; j++)
			if (it->sidecars & 1u << j)
				printf("remove %s%s (checksum of %s)\n",
				    it->path, sidecar_suffixes[j], it->path);
	}
	if (sides > 0)
		bk_info("%zu kept, %zu to remove, with %zu checksum file%s",
		    kept, r->n - kept, sides, sides == 1 ? "" : "s");
	else
		bk_info("%zu kept, %zu to remove", kept, r->n - kept);
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
static void
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
static void
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

struct gone {
	char		**paths;	/* sorted */
	size_t		  n;
	struct bk_entry	**lines;	/* the lines dropped, for put_back */
	size_t		  nlines, cap;
};

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
static void
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
static void
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

static void
free_all(struct rotate *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->items[i].path);
	free(r->items);
	free(r->b);
	if (r->dir != NULL) {
		if (r->rootfd >= 0)
			close(r->rootfd);
	} else {
		if (r->rootfd >= 0 && r->rootfd != r->m.dirfd)
			close(r->rootfd);
		bk_manifest_free(&r->m);
	}
}

static int
rotate(struct rotate *r)
{
	struct gone g;

	if (r->dir != NULL)
		load_dir(r);
	else {
		bk_manifest_init(&r->m, r->manifest);
		r->m.wait = r->wait;
		load_manifest(r);
	}
	decide(r);
	find_sidecars(r);
	print_decisions(r);
	/* The decisions reach stdout before anything is removed. */
	if (fflush(stdout) != 0)
		bk_err(BK_EX_IOERR, "could not write standard output");
	if (r->delete && r->dir != NULL)
		delete_removed(r);
	else if (r->delete) {
		/*
		 * The lines go first: a failure or a crash after that leaves
		 * files without a line (which bk-verify reports), never lines
		 * naming files that are gone.
		 */
		refuse_removals(r);
		drop_lines(r, &g);
		delete_removed(r);
		put_back(r, &g);
	}
	free_all(r);
	return r->status;
}

static const char optstring[] = "hm:nqT:vw:";

/* The options into r, the verbosity set as they come. */
static void
parse_options(struct rotate *r, int argc, char *argv[])
{
	long off;
	int c;

	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'h':
			bk_print_usage(usage);
		case 'm':
			r->manifest = optarg;
			break;
		case 'q':
			bk_set_verbosity(-1);
			break;
		case 'n':
			r->dry_run = 1;
			break;
		case 'T':
			r->type = optarg;
			break;
		case 'v':
			bk_set_verbosity(1);
			break;
		case 'w':
			r->wait = bk_parse_wait(optarg);
			break;
		case OPT_DIR:
			r->dir = optarg;
			break;
		case OPT_LAST:
			r->policy.keep_last = parse_count("keep-last", optarg);
			break;
		case OPT_HOURLY:
			r->policy.keep_hourly = parse_count("keep-hourly",
			    optarg);
			break;
		case OPT_DAILY:
			r->policy.keep_daily = parse_count("keep-daily",
			    optarg);
			break;
		case OPT_WEEKLY:
			r->policy.keep_weekly = parse_count("keep-weekly",
			    optarg);
			break;
		case OPT_MONTHLY:
			r->policy.keep_monthly = parse_count("keep-monthly",
			    optarg);
			break;
		case OPT_YEARLY:
			r->policy.keep_yearly = parse_count("keep-yearly",
			    optarg);
			break;
		case OPT_WITHIN:
			r->policy.keep_within = parse_age("keep-within",
			    optarg);
			break;
		case OPT_MAX_AGE:
			r->policy.max_age = parse_age("max-age", optarg);
			break;
		case OPT_NOW:
			if (bk_parse_date(optarg, &r->now, &off) < 0)
				bk_errx(BK_EX_USAGE, "invalid date for "
				    "--now: \"%s\"", optarg);
			break;
		case OPT_DELETE:
			r->delete = 1;
			break;
		case OPT_NO_WAIT:
			r->wait = 0;
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	if (optind != argc)
		bk_errx(BK_EX_USAGE, "unexpected argument \"%s\"",
		    argv[optind]);
}

/* The combinations refused, and an empty policy. */
static void
check_options(const struct rotate *r)
{
	if (r->dry_run && r->delete)
		bk_errx(BK_EX_USAGE, "-n and --delete exclude each other");
	if (r->dir != NULL && r->manifest != NULL)
		bk_errx(BK_EX_USAGE, "-m and --dir cannot be used together");
	if (r->dir != NULL && r->type != NULL)
		bk_errx(BK_EX_USAGE, "--type needs a manifest; with --dir, "
		    "name the type's folder");
	/* Like restic, an empty policy is refused rather than keep nothing. */
	if (bk_policy_empty(&r->policy))
		bk_errx(BK_EX_USAGE, "no retention policy: give at least one "
		    "of --keep-* or --max-age");
}

int
main(int argc, char *argv[])
{
	struct rotate r;

	bk_init(argc, argv);
	memset(&r, 0, sizeof(r));
	r.rootfd = -1;
	r.now = time(NULL);
	r.wait = LOCK_WAIT;
	parse_options(&r, argc, argv);
	check_options(&r);
	return bk_finish(rotate(&r));
}
