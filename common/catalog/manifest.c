/*
 * manifest.c: the catalog of a backup tree, a JSON Lines file (see
 * bk-manifest(5)).  Reading streams line by line; appending writes the
 * lines of one command with one write(2) under an exclusive flock(2), and
 * takes them back if the write or its fsync fails; rewriting goes through
 * a temporary file in the same folder and a rename.  A line that cannot be
 * parsed is reported with its number and always written back verbatim: a
 * tool that does not understand a line must not destroy it.  The one
 * exception is an unfinished last line, which no writer ever committed.
 */
/* realpath(3) is an XSI function. */
#define _XOPEN_SOURCE 700

#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "catalog/internal.h"

/* A line reader over a descriptor, with the manifest's line cap. */
struct lines {
	int	 fd;
	char	 buf[65536];
	size_t	 pos, len;
	int	 eof;
	char	*line;		/* the current line, NUL-terminated */
	size_t	 llen;		/* its length without the NUL */
	size_t	 cap;
	size_t	 lineno;
	int	 toolong;	/* the current line was cut at the cap */
	int	 nonl;		/* ... ended at the end of the file, no newline */
};

static void
lines_init(struct lines *l, int fd)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
}

static void
lines_free(struct lines *l)
{
	free(l->line);
	l->line = NULL;
}

static void
lines_add(struct lines *l, const char *p, size_t n)
{
	if (l->llen >= BK_MANIFEST_LINE_MAX) {
		l->toolong = 1;
		return;
	}
	if (l->llen + n > BK_MANIFEST_LINE_MAX) {
		n = BK_MANIFEST_LINE_MAX - l->llen;
		l->toolong = 1;
	}
	if (l->llen + n + 1 > l->cap) {
		while (l->llen + n + 1 > l->cap)
			l->cap = l->cap ? l->cap * 2 : 1024;
		l->line = bk_realloc(l->line, l->cap);
	}
	memcpy(l->line + l->llen, p, n);
	l->llen += n;
}

/*
 * Reads the next line (without its newline) into l->line.  Returns 1, or 0
 * at the end of the file, or -1 with errno set.  A last line without a
 * newline still counts.
 */
static int
lines_next(struct lines *l)
{
	char *nl;
	ssize_t r;
	int any = 0;

	l->llen = 0;
	l->toolong = 0;
	l->nonl = 1;
	for (;;) {
		if (l->pos == l->len) {
			if (l->eof)
				break;
			do
				r = read(l->fd, l->buf, sizeof(l->buf));
			while (r < 0 && errno == EINTR);
			if (r < 0)
				return -1;
			if (r == 0) {
				l->eof = 1;
				break;
			}
			l->pos = 0;
			l->len = (size_t)r;
		}
		any = 1;
		nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);
		if (nl != NULL) {
			lines_add(l, l->buf + l->pos,
			    (size_t)(nl - (l->buf + l->pos)));
			l->pos = (size_t)(nl - l->buf) + 1;
			l->nonl = 0;
			break;
		}
		lines_add(l, l->buf + l->pos, l->len - l->pos);
		l->pos = l->len;
	}
	if (!any)
		return 0;
	if (l->line == NULL)
		lines_add(l, "", 0);
	l->line[l->llen] = '\0';
	l->lineno++;
	return 1;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * Whether a last line without its newline is what an append cut short
 * left (a full disk, a killed writer, zeros after a crash) rather than a
 * line: bk writes each line and its newline in one write(2), and no
 * prefix of a JSON object is a whole JSON text.  A hand-edited last line
 * that only lacks its newline is whole, and stays.
 */
static int
unfinished(const char *line, size_t len)
{
	json_t *o;

	if (memchr(line, '\0', len) != NULL ||
	    (o = json_loadb(line, len, 0, NULL)) == NULL)
		return 1;
	json_decref(o);
	return 0;
}

#define UNFINISHED_WHY	"unfinished last line, without its newline: an " \
	"append that was cut short (the next write removes it)"

char *
bk_manifest_locate(const char *folder)
{
	struct stat st;
	char *dir, *cand, *up;

	dir = realpath(folder, NULL);
	while (dir != NULL) {
		cand = bk_asprintf("%s%s" BK_MANIFEST_NAME, dir,
		    strcmp(dir, "/") == 0 ? "" : "/");
		/* A symbolic link is found too, for the lock to refuse it
		 * by name rather than a manifest further up being used. */
		if (lstat(cand, &st) == 0 && (S_ISREG(st.st_mode) ||
		    S_ISLNK(st.st_mode))) {
			free(dir);
			return cand;
		}
		free(cand);
		if (strcmp(dir, "/") == 0)
			break;
		up = bk_strdup(dirname(dir));
		free(dir);
		dir = up;
	}
	free(dir);
	return NULL;
}

void
bk_manifest_init(struct bk_manifest *m, const char *path)
{
	char *copy, *res, *found = NULL;
	const char *env;
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->dirfd = -1;
	m->wait = -1;
	if (path == NULL && (env = getenv(BK_MANIFEST_ENV)) != NULL &&
	    *env != '\0')
		path = env;
	/* The tree's own, from a subfolder too: never a second one made. */
	if (path == NULL && lstat(BK_MANIFEST_NAME, &st) < 0)
		path = found = bk_manifest_locate(".");
	if (path == NULL)
		path = BK_MANIFEST_NAME;
	m->path = bk_strdup(path);
	free(found);
	copy = bk_strdup(m->path);
	if ((res = realpath(dirname(copy), NULL)) == NULL)
		bk_err(bk_open_errno_code(errno), "could not open the folder "
		    "of manifest \"%s\"", m->path);
	free(copy);
	m->dir = res;
}

static void
free_entries(struct bk_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		entry_release(&m->ents[i]);
	free(m->ents);
	m->ents = NULL;
	m->n = m->cap = m->nbad = 0;
}

/* pread(2) of n bytes, or -1 (errno set; EIO for a file that shrank). */
static int
pread_full(int fd, char *buf, size_t n, off_t off)
{
	ssize_t r;

	while (n > 0) {
		r = pread(fd, buf, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		buf += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/*
 * Looks at the end of the manifest before lines are appended, under the
 * exclusive lock.  A last line without its newline is either whole (a
 * hand edit, or one too long to judge: it stays, and *nl is set so that
 * the caller writes a newline first) or unfinished (see unfinished()): its
 * writer failed, so it was never committed, and it is cut off here so that
 * it can neither merge with the next line nor stay as a bad line for ever.
 * Returns the length of the file after that.  Exits 74 on failure.
 */
static off_t
repair_tail(struct bk_manifest *m, int *nl)
{
	struct stat st;
	char buf[4096], *tail;
	off_t start, pos;
	size_t n, i, len;
	int cut;

	*nl = 0;
	if (fstat(m->fd, &st) < 0)
		bk_err(BK_EX_IOERR, "could not read manifest \"%s\"", m->path);
	for (pos = st.st_size, start = -1; start < 0 && pos > 0; ) {
		n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		pos -= (off_t)n;
		if (pread_full(m->fd, buf, n, pos) < 0)
			bk_err(BK_EX_IOERR, "could not read manifest \"%s\"",
			    m->path);
		for (i = n; i > 0 && buf[i - 1] != '\n'; i--)
			;
		if (i > 0)
			start = pos + (off_t)i;
		else if (st.st_size - pos > BK_MANIFEST_LINE_MAX) {
			/* Longer than a line: not bk's; kept as it is. */
			*nl = 1;
			return st.st_size;
		}
	}
	if (start < 0)
		start = 0;
	if (start == st.st_size)
		return st.st_size;
	len = (size_t)(st.st_size - start);
	tail = bk_malloc(len);
	if (pread_full(m->fd, tail, len, start) < 0)
		bk_err(BK_EX_IOERR, "could not read manifest \"%s\"", m->path);
	cut = unfinished(tail, len);
	if (cut && !blank(tail, len))
		bk_warnx("manifest \"%s\": removing an unfinished last line "
		    "(%zu bytes without a newline), left by an append that "
		    "was cut short", m->path, len);
	free(tail);
	if (!cut) {
		*nl = 1;
		return st.st_size;
	}
	if (ftruncate(m->fd, start) < 0)
		bk_err(BK_EX_IOERR, "could not write manifest \"%s\"", m->path);
	return start;
}

/*
 * Writes the lines appended since the lock was taken: all of them in one
 * write(2), so that a writer killed before or after it leaves none or all,
 * then fsync.  If either fails, the file is cut back to its length before,
 * so that exit 74 always means "not added" and no cut line stays behind.
 */
static void
write_pending(struct bk_manifest *m)
{
	const char *what = NULL;
	off_t len0;
	char *p;
	size_t n;
	int nl, e = 0;

	if (m->pendlen == 0)
		return;
	len0 = repair_tail(m, &nl);
	/* m->pend begins with a spare newline, for a last line without. */
	p = m->pend + (nl ? 0 : 1);
	n = m->pendlen - (nl ? 0 : 1);
	if (bk_write_full(m->fd, p, n) < 0)
		what = "write", e = errno;
	else if (fsync(m->fd) < 0 && errno != EINVAL)
		what = "sync", e = errno;
	free(m->pend);
	m->pend = NULL;
	m->pendlen = m->pendcap = 0;
	if (what == NULL)
		return;
	if (ftruncate(m->fd, len0) < 0)
		bk_errx(BK_EX_IOERR, "could not %s manifest \"%s\": %s (and "
		    "could not cut it back: part of the lines may remain)",
		    what, m->path, strerror(e));
	/* Best effort: the disk that failed may fail again. */
	(void)fsync(m->fd);
	bk_errx(BK_EX_IOERR, "could not %s manifest \"%s\": %s (the "
	    "manifest is unchanged)", what, m->path, strerror(e));
}

void
bk_manifest_unlock(struct bk_manifest *m)
{
	if (m->fd >= 0)
		write_pending(m);
	if (m->fd >= 0)
		close(m->fd);	/* closing releases the flock */
	m->fd = -1;
	m->lock = 0;
}

void
bk_manifest_free(struct bk_manifest *m)
{
	free_entries(m);
	bk_manifest_unlock(m);
	if (m->dirfd >= 0)
		close(m->dirfd);
	m->dirfd = -1;
	free(m->path);
	free(m->dir);
	m->path = m->dir = NULL;
}

static void
nap(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

int
bk_manifest_lock(struct bk_manifest *m, int mode, int timeout, int missing_ok)
{
	struct stat a, b;
	struct timespec start, now;
	int fd, op, r, e;

	if (m->lock == mode)
		return 0;
	bk_manifest_unlock(m);
	op = mode == BK_LOCK_EX ? LOCK_EX : LOCK_SH;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		/*
		 * Never through a symbolic link: an append would follow it
		 * and a rewrite replace it, so each tool would see another
		 * manifest.  One rule for all: it is refused.
		 */
		if (mode == BK_LOCK_EX)
			fd = open(m->path, O_RDWR | O_APPEND | O_CREAT |
			    O_NOFOLLOW | O_CLOEXEC, 0600);
		else
			fd = open(m->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		e = errno;
		if (fd < 0 && e == ELOOP && lstat(m->path, &b) == 0 &&
		    S_ISLNK(b.st_mode))
			bk_errx(BK_EX_DATAERR, "could not open manifest \"%s\": "
			    "it is a symbolic link (name the file itself)",
			    m->path);
		if (fd < 0) {
			errno = e;
			if (errno == ENOENT && mode != BK_LOCK_EX && missing_ok)
				return -1;
			if (mode == BK_LOCK_EX && errno != EACCES &&
			    errno != EPERM && errno != ENOENT)
				bk_err(BK_EX_CANTCREAT, "could not open "
				    "manifest \"%s\"", m->path);
			bk_err(bk_open_errno_code(errno), "could not open "
			    "manifest \"%s\"", m->path);
		}
		for (;;) {
			r = flock(fd, op | (timeout >= 0 ? LOCK_NB : 0));
			if (r == 0)
				break;
			if (errno == EINTR)
				continue;
			if (errno != EWOULDBLOCK)
				bk_err(BK_EX_IOERR, "could not lock manifest "
				    "\"%s\"", m->path);
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec >= timeout)
				bk_errx(BK_EX_TEMPFAIL, "could not lock "
				    "manifest \"%s\": another process holds "
				    "it", m->path);
			nap();
		}
		/*
		 * A rewrite renames a new file over the manifest: whoever
		 * waited on the old one must start again on the new one.
		 */
		if (fstat(fd, &a) == 0 && lstat(m->path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			break;
		close(fd);
	}
	if (!S_ISREG(a.st_mode)) {
		close(fd);
		bk_errx(BK_EX_NOINPUT, "could not read manifest \"%s\": not a "
		    "regular file", m->path);
	}
	m->fd = fd;
	m->lock = mode;
	return 0;
}

static struct bk_entry *
push_entry(struct bk_manifest *m)
{
	struct bk_entry *e;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->ents = bk_reallocarray(m->ents, m->cap, sizeof(*m->ents));
	}
	e = &m->ents[m->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

static void
report_bad(struct bk_manifest *m, size_t lineno, const char *why, int flags)
{
	if (flags & BK_MF_STRICT)
		bk_errx(BK_EX_DATAERR, "%s:%zu: %s", m->path, lineno, why);
	if (!(flags & BK_MF_QUIET))
		bk_warnx("%s:%zu: %s (line kept, ignored)", m->path, lineno,
		    why);
}

int
bk_manifest_load(struct bk_manifest *m, int flags)
{
	struct lines l;
	struct bk_entry *e;
	int held = m->lock != 0, r;

	free_entries(m);
	if (!held && bk_manifest_lock(m, BK_LOCK_SH, m->wait,
	    flags & BK_MF_MISSING_OK) < 0)
		return -1;
	if (lseek(m->fd, 0, SEEK_SET) < 0)
		bk_err(BK_EX_IOERR, "could not read manifest \"%s\"", m->path);
	lines_init(&l, m->fd);
	while ((r = lines_next(&l)) > 0) {
		if (blank(l.line, l.llen))
			continue;
		e = push_entry(m);
		if (l.toolong) {
			e->bad = 1;
			e->lineno = l.lineno;
			e->raw = bk_strdup("");
			e->error = bk_strdup("line longer than 1 MiB");
		} else {
			entry_parse(e, l.line, l.llen, l.lineno);
			if (e->bad && l.nonl && unfinished(l.line, l.llen)) {
				free(e->error);
				e->error = bk_strdup(UNFINISHED_WHY);
			}
		}
		if (e->bad) {
			m->nbad++;
			report_bad(m, e->lineno, e->error, flags);
		}
	}
	if (r < 0)
		bk_err(BK_EX_IOERR, "could not read manifest \"%s\"", m->path);
	lines_free(&l);
	if (!held)
		bk_manifest_unlock(m);
	return (int)(m->nbad > INT_MAX ? INT_MAX : m->nbad);
}

struct bk_entry *
bk_manifest_find(struct bk_manifest *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!m->ents[i].bad && strcmp(m->ents[i].path, path) == 0)
			return &m->ents[i];
	return NULL;
}

void
bk_manifest_append(struct bk_manifest *m, struct bk_entry *e)
{
	struct bk_entry *slot;
	char *line;
	size_t len;

	if (m->lock != BK_LOCK_EX)
		bk_errx(BK_EX_SOFTWARE, "manifest append without its lock");
	line = bk_entry_line(e);
	len = strlen(line);
	/*
	 * Queued, and written with the others by write_pending: the lines
	 * of one command are added all together or not at all.
	 */
	if (m->pendlen == 0)
		m->pendlen = 1;
	if (m->pendlen + len + 1 > m->pendcap) {
		while (m->pendlen + len + 1 > m->pendcap)
			m->pendcap = m->pendcap ? m->pendcap * 2 : 4096;
		m->pend = bk_realloc(m->pend, m->pendcap);
	}
	m->pend[0] = '\n';
	memcpy(m->pend + m->pendlen, line, len);
	m->pend[m->pendlen + len] = '\n';
	m->pendlen += len + 1;
	free(line);
	slot = push_entry(m);
	*slot = *e;
	free(e);
}

struct wbuf {
	int	 fd;
	char	*path;
	char	 buf[65536];
	size_t	 len;
};

static void
wbuf_flush(struct wbuf *w)
{
	if (w->len > 0 && bk_write_full(w->fd, w->buf, w->len) < 0)
		bk_err(BK_EX_IOERR, "could not write \"%s\"", w->path);
	w->len = 0;
}

static void
wbuf_put(struct wbuf *w, const char *p, size_t n)
{
	if (w->len + n > sizeof(w->buf)) {
		wbuf_flush(w);
		if (n > sizeof(w->buf)) {
			if (bk_write_full(w->fd, p, n) < 0)
				bk_err(BK_EX_IOERR, "could not write \"%s\"",
				    w->path);
			return;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

/*
 * The temporary file of a rewrite, hidden beside the manifest; exits 77 or
 * 73 when the folder refuses it.
 */
static int
rewrite_tmp(struct bk_manifest *m, char **path)
{
	char *copy = bk_strdup(m->path), *base;
	int fd;

	base = strrchr(m->path, '/') ? strrchr(m->path, '/') + 1 : m->path;
	*path = bk_asprintf("%s/.%s.bk-XXXXXX", dirname(copy), base);
	free(copy);
	if ((fd = mkstemp(*path)) < 0)
		bk_err(errno == EACCES || errno == EPERM ? BK_EX_NOPERM :
		    BK_EX_CANTCREAT, "could not create a temporary file "
		    "beside \"%s\"", m->path);
	return fd;
}

size_t
bk_manifest_rewrite(struct bk_manifest *m, int (*keep)(struct bk_entry *,
    void *), void *arg)
{
	struct wbuf *w;
	struct lines l;
	struct bk_entry e;
	char *line;
	size_t dropped = 0;
	int slot, r, fl;

	if (m->lock != BK_LOCK_EX)
		bk_errx(BK_EX_SOFTWARE, "manifest rewrite without its lock");
	write_pending(m);
	w = bk_calloc(1, sizeof(*w));
	w->fd = rewrite_tmp(m, &w->path);
	slot = bk_tmp_register(w->path);
	fchmod(w->fd, 0600);
	if (lseek(m->fd, 0, SEEK_SET) < 0)
		bk_err(BK_EX_IOERR, "could not read manifest \"%s\"", m->path);
	lines_init(&l, m->fd);
	while ((r = lines_next(&l)) > 0) {
		if (blank(l.line, l.llen))
			continue;
		if (l.toolong)
			bk_errx(BK_EX_DATAERR, "%s:%zu: line longer than 1 MiB; "
			    "refusing to rewrite the manifest", m->path,
			    l.lineno);
		/* Never committed (see repair_tail): it goes, not kept. */
		if (l.nonl && unfinished(l.line, l.llen)) {
			bk_warnx("%s:%zu: removing an unfinished last line (%zu "
			    "bytes without a newline), left by an append that "
			    "was cut short", m->path, l.lineno, l.llen);
			continue;
		}
		memset(&e, 0, sizeof(e));
		entry_parse(&e, l.line, l.llen, l.lineno);
		if (e.bad) {
			/* Verbatim, bytes and all: never ours to judge. */
			wbuf_put(w, l.line, l.llen);
			wbuf_put(w, "\n", 1);
		} else if (keep(&e, arg)) {
			if (e.dirty) {
				line = bk_entry_line(&e);
				wbuf_put(w, line, strlen(line));
				free(line);
			} else {
				wbuf_put(w, l.line, l.llen);
			}
			wbuf_put(w, "\n", 1);
		} else {
			dropped++;
		}
		entry_release(&e);
	}
	if (r < 0)
		bk_err(BK_EX_IOERR, "could not read manifest \"%s\"", m->path);
	lines_free(&l);
	wbuf_flush(w);
	if (fsync(w->fd) < 0)
		bk_err(BK_EX_IOERR, "could not write \"%s\"", w->path);
	/* Lock the new file before it takes the name: no gap in the lock. */
	if (flock(w->fd, LOCK_EX | LOCK_NB) < 0)
		bk_err(BK_EX_IOERR, "could not lock \"%s\"", w->path);
	if (rename(w->path, m->path) < 0)
		bk_err(BK_EX_CANTCREAT, "could not replace manifest \"%s\"",
		    m->path);
	bk_tmp_forget(slot);
	if (bk_fsync_dir(m->path) < 0)
		bk_err(BK_EX_IOERR, "could not sync the folder of \"%s\"",
		    m->path);
	if ((fl = fcntl(w->fd, F_GETFL)) >= 0)
		fcntl(w->fd, F_SETFL, fl | O_APPEND);
	close(m->fd);
	m->fd = w->fd;
	free(w->path);
	free(w);
	/* Kept until now so that keep() could consult what was loaded. */
	free_entries(m);
	return dropped;
}
