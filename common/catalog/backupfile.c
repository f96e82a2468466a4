/*
 * backupfile.c: which files of a backup tree look like backups, and the
 * walk of the tree that finds those without a manifest line.  bk-manifest
 * adopt catalogs them and bk-verify reports them; both walk here, so that
 * what one adopts is what the other misses.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"

/* Layers that may wrap a backup, outermost last: x.sql.gz.age. */
static const char *const wrappers[] = { ".gz", ".zst", ".age", ".gpg",
    NULL };
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

int
bk_backup_name(const char *name)
{
	size_t n = strlen(name), l;

	if (*name == '.')
		return 0;
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
	case BK_LAYER_ZSTD:
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
	return bk_backup_name(base) || backup_content(dirfd, path);
}

/* ---- the walk ---- */

/*
 * A temporary file of bk's untouched this long was left by a run that was
 * killed: a run in progress keeps writing to its own, so its time is
 * recent.
 */
#define STALE_TMP	3600	/* seconds */

struct walk {
	const char	 *self;		/* the manifest's name in its folder */
	char		**paths;	/* the manifest's paths, sorted */
	size_t		  npaths;
	time_t		  now;
	int		  byrel;	/* messages name files by rel */
	bk_walk_fn	 *fn;
	void		 *arg;
};

/*
 * An entry of a folder.  A folder's key ends in '/', so that sorting the
 * keys of each folder makes the walk yield its paths in strcmp(3) order:
 * "a-c" (a file) comes before "a/b", and "a/b" before "a0".
 */
struct dent {
	char		*key;
	struct stat	 st;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_dent(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->key,
	    ((const struct dent *)b)->key);
}

static void
free_dents(struct dent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}

/* dir/name, or name alone at the top ("" for dir). */
static char *
join(const char *dir, const char *name)
{
	return *dir != '\0' ? bk_asprintf("%s/%s", dir, name) :
	    bk_strdup(name);
}

/* How messages name the entry name of the folder rel, shown as shown. */
static char *
shown_name(const struct walk *w, const char *rel, const char *shown,
    const char *name)
{
	return join(w->byrel ? rel : shown, name);
}

/*
 * Reads the entries of a folder with their lstat, sorted, leaving out
 * "." and "..", hidden names (editors' and other tools' state, and hidden
 * folders with all they hold), but keeping bk's temporaries that are
 * regular files.  A name removed meanwhile is left out; one that cannot
 * be examined is warned about.  Returns the entries (their count in
 * *np), or NULL after a warning if the folder could not be read.
 */
static struct dent *
read_dents(const struct walk *w, DIR *d, const char *rel, const char *shown,
    size_t *np)
{
	struct dirent *de;
	struct dent *v = NULL;
	struct stat st;
	size_t n = 0, cap = 0;
	char *s;

	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (de->d_name[0] == '.' && !bk_is_tmp_name(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				s = shown_name(w, rel, shown, de->d_name);
				bk_warn("could not read \"%s\"", s);
				free(s);
			}
			continue;
		}
		if (de->d_name[0] == '.' && !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = bk_reallocarray(v, cap, sizeof(*v));
		}
		v[n].key = bk_asprintf("%s%s", de->d_name,
		    S_ISDIR(st.st_mode) ? "/" : "");
		v[n++].st = st;
	}
	if (errno != 0) {
		bk_warn("could not read folder \"%s\"", shown);
		free_dents(v, n);
		return NULL;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_dent);
	*np = n;
	return v;
}

/* What the regular file name, at rel in the tree, is to the callers. */
static enum bk_walk_kind
file_kind(const struct walk *w, int dfd, const char *name, const char *rel,
    const struct stat *st, int64_t *age)
{
	if (name[0] == '.') {
		/* Only bk's temporaries get this far (read_dents). */
		*age = (int64_t)(w->now - st->st_mtime);
		return *age >= STALE_TMP ? BK_WALK_STALE : BK_WALK_OTHER;
	}
	if (strcmp(rel, w->self) == 0 || strcmp(rel, BK_JOURNAL_NAME) == 0)
		return BK_WALK_OTHER;
	/* Before the rule, which may read the file. */
	if (w->npaths > 0 && bsearch(&rel, w->paths, w->npaths,
	    sizeof(*w->paths), cmp_str) != NULL)
		return BK_WALK_LISTED;
	return bk_backup_file(dfd, name) ? BK_WALK_UNLISTED : BK_WALK_OTHER;
}

/*
 * Walks the folder dfd (taken over: closed here), whose path is rel from
 * the manifest's folder ("" for that folder) and which messages call
 * shown.  Folders are entered depth first, in the order of their keys.
 */
static void
walk_dir(struct walk *w, int dfd, const char *rel, const char *shown)
{
	struct bk_walk_file f;
	struct dent *v;
	size_t i, n;
	char *name, *crel, *cshown;
	DIR *d;
	int fd;

	if ((d = fdopendir(dfd)) == NULL) {
		bk_warn("could not open folder \"%s\"", shown);
		close(dfd);
		return;
	}
	if ((v = read_dents(w, d, rel, shown, &n)) == NULL) {
		closedir(d);
		return;
	}
	for (i = 0; i < n; i++) {
		name = v[i].key;
		if (S_ISDIR(v[i].st.st_mode))
			name[strlen(name) - 1] = '\0';
		crel = join(rel, name);
		cshown = shown_name(w, rel, shown, name);
		if (S_ISDIR(v[i].st.st_mode)) {
			/* Opened without following a link put there since. */
			if ((fd = openat(dirfd(d), name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				bk_warn("could not open folder \"%s\"", cshown);
			else
				walk_dir(w, fd, crel, cshown);
		} else if (S_ISLNK(v[i].st.st_mode))
			bk_info("skipping \"%s\": a symbolic link", cshown);
		else if (!S_ISREG(v[i].st.st_mode))
			bk_info("skipping \"%s\": not a regular file", cshown);
		else {
			memset(&f, 0, sizeof(f));
			f.rel = crel;
			f.path = cshown;
			f.st = &v[i].st;
			f.kind = file_kind(w, dirfd(d), name, crel, f.st,
			    &f.age);
			w->fn(&f, w->arg);
		}
		free(crel);
		free(cshown);
	}
	free_dents(v, n);
	closedir(d);
}

void
bk_walk_tree(struct bk_manifest *m, const char *start, const char *shown,
    bk_walk_fn *fn, void *arg)
{
	struct walk w;
	const char *slash = strrchr(m->path, '/');
	char *top;
	size_t i;
	int fd;

	memset(&w, 0, sizeof(w));
	w.self = slash != NULL ? slash + 1 : m->path;
	w.now = time(NULL);
	w.byrel = shown == NULL;
	w.fn = fn;
	w.arg = arg;
	top = bk_strdup(shown != NULL ? shown : *start != '\0' ? start :
	    m->dir);
	/* Reached as the manifest's files are: no link followed. */
	if (*start == '\0')
		fd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		fd = bk_manifest_open_file(m, start, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		bk_warn("could not open folder \"%s\"", top);
		free(top);
		return;
	}
	/* A sorted index of the manifest's paths, for trees of many files. */
	w.paths = bk_calloc(m->n + 1, sizeof(*w.paths));
	for (i = 0; i < m->n; i++)
		if (!m->ents[i].bad)
			w.paths[w.npaths++] = m->ents[i].path;
	if (w.npaths > 0)
		qsort(w.paths, w.npaths, sizeof(*w.paths), cmp_str);
	walk_dir(&w, fd, start, top);
	free(w.paths);
	free(top);
}
