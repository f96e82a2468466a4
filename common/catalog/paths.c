/*
 * paths.c: the files an entry names, always relative to the manifest's
 * folder: a path checked as the manifest stores it, a file name turned
 * into one, and the file opened or removed without following a link.
 */
/* realpath(3) is an XSI function. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"

int
bk_manifest_path_ok(const char *p)
{
	const char *c, *e;
	size_t n;

	if (p == NULL || *p == '\0' || *p == '/')
		return -1;
	for (c = p; ; c = e + 1) {
		e = strchr(c, '/');
		n = e != NULL ? (size_t)(e - c) : strlen(c);
		/* Empty, "." and ".." components would make two names for
		 * one file, or leave the tree. */
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return -1;
		if (e == NULL)
			return 0;
	}
}

char *
bk_manifest_relpath(struct bk_manifest *m, const char *file, char *err,
    size_t errsize)
{
	char *copy, *dir, *base, *res, *rel;
	size_t dl;

	if (*file == '\0' || file[strlen(file) - 1] == '/') {
		snprintf(err, errsize, "not a file name");
		return NULL;
	}
	copy = bk_strdup(file);
	base = strrchr(copy, '/');
	if (base != NULL) {
		*base++ = '\0';
		dir = *copy == '\0' ? "/" : copy;
	} else {
		base = copy;
		dir = ".";
	}
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		snprintf(err, errsize, "not a file name");
		free(copy);
		return NULL;
	}
	if ((res = realpath(dir, NULL)) == NULL) {
		snprintf(err, errsize, "%s", strerror(errno));
		free(copy);
		return NULL;
	}
	dl = strlen(m->dir);
	if (strcmp(res, m->dir) == 0)
		rel = bk_strdup(base);
	else if (strcmp(m->dir, "/") == 0)
		rel = bk_asprintf("%s/%s", res + 1, base);
	else if (strncmp(res, m->dir, dl) == 0 && res[dl] == '/')
		rel = bk_asprintf("%s/%s", res + dl + 1, base);
	else {
		snprintf(err, errsize, "outside the manifest's folder \"%s\"",
		    m->dir);
		rel = NULL;
	}
	free(res);
	free(copy);
	if (rel != NULL && bk_manifest_path_ok(rel) < 0) {
		snprintf(err, errsize, "not a plain path inside the tree");
		free(rel);
		rel = NULL;
	}
	return rel;
}

/*
 * Walks the folders of rel from the manifest's folder without following
 * symlinks.  Returns a descriptor of the last folder and sets *last to
 * the final component, or -1 with errno set.
 */
static int
walk_parent(struct bk_manifest *m, const char *rel, char **copyp,
    const char **last)
{
	char *copy, *c, *slash;
	int fd, next;

	if (bk_manifest_path_ok(rel) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (m->dirfd < 0 && (m->dirfd = open(m->dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return -1;
	if ((fd = dup(m->dirfd)) < 0)
		return -1;
	copy = bk_strdup(rel);
	for (c = copy; (slash = strchr(c, '/')) != NULL; c = slash + 1) {
		*slash = '\0';
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(fd);
		if (next < 0) {
			int e = errno;

			free(copy);
			errno = e;
			return -1;
		}
		fd = next;
	}
	*copyp = copy;
	*last = c;
	return fd;
}

int
bk_manifest_open_file(struct bk_manifest *m, const char *rel, int flags)
{
	const char *last;
	char *copy;
	int dfd, fd, e;

	if ((dfd = walk_parent(m, rel, &copy, &last)) < 0)
		return -1;
	fd = openat(dfd, last, flags | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	close(dfd);
	free(copy);
	errno = e;
	return fd;
}

int
bk_manifest_unlink_file(struct bk_manifest *m, const char *rel)
{
	const char *last;
	char *copy;
	int dfd, r, e;

	if ((dfd = walk_parent(m, rel, &copy, &last)) < 0)
		return -1;
	r = unlinkat(dfd, last, 0);
	e = errno;
	if (r == 0 && fsync(dfd) < 0 && errno != EINVAL)
		r = -1, e = errno;
	close(dfd);
	free(copy);
	errno = e;
	return r;
}
