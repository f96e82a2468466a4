/* reader.c: the stacked stream reader, and its file-descriptor layer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream/stream.h"

struct fd_reader {
	struct bk_reader	 r;
	int			 fd;
	char			*name;
};

ssize_t
bk_reader_fail(struct bk_reader *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->code = code;
	return -1;
}

static ssize_t
fd_read(struct bk_reader *r, void *buf, size_t n)
{
	struct fd_reader *f = (struct fd_reader *)r;
	ssize_t got;

	for (;;) {
		got = read(f->fd, buf, n);
		if (got >= 0)
			break;
		if (errno != EINTR)
			return bk_reader_fail(r, BK_EX_IOERR,
			    "could not read \"%s\": %s", f->name,
			    strerror(errno));
	}
	r->offset += (uint64_t)got;
	return got;
}

static void
fd_close(struct bk_reader *r)
{
	struct fd_reader *f = (struct fd_reader *)r;

	if (f->fd != STDIN_FILENO)
		close(f->fd);
	free(f->name);
	free(f);
}

struct bk_reader *
bk_reader_fd(int fd, const char *name)
{
	struct fd_reader *f = bk_calloc(1, sizeof(*f));

	f->r.read = fd_read;
	f->r.close = fd_close;
	f->fd = fd;
	f->name = bk_strdup(name);
	return &f->r;
}

const char *
bk_reader_why(const struct bk_reader *r, const char *name)
{
	size_t nl = strlen(name);
	const char *s = r->err;

	if (s[0] == '"' && strncmp(s + 1, name, nl) == 0 &&
	    strncmp(s + 1 + nl, "\": ", 3) == 0)
		s += nl + 4;
	return *s != '\0' ? s : "could not read";
}

ssize_t
bk_reader_read_full(struct bk_reader *r, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = r->read(r, (char *)buf + got, n - got);
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

void
bk_reader_close(struct bk_reader *r)
{
	struct bk_reader *below;

	while (r != NULL) {
		below = r->below;
		r->close(r);
		r = below;
	}
}

/* The replay layer: bytes already read (to recognise a layer) come first. */
struct replay_reader {
	struct bk_reader	 r;
	unsigned char		*head;
	size_t			 pos, len;
};

static ssize_t
replay_read(struct bk_reader *r, void *buf, size_t n)
{
	struct replay_reader *p = (struct replay_reader *)r;
	ssize_t got;

	if (p->pos < p->len) {
		if (n > p->len - p->pos)
			n = p->len - p->pos;
		memcpy(buf, p->head + p->pos, n);
		p->pos += n;
		r->offset += n;
		return (ssize_t)n;
	}
	if ((got = r->below->read(r->below, buf, n)) < 0)
		return bk_reader_fail(r, r->below->code, "%s", r->below->err);
	r->offset += (uint64_t)got;
	return got;
}

static void
replay_close(struct bk_reader *r)
{
	struct replay_reader *p = (struct replay_reader *)r;

	free(p->head);
	free(p);
}

struct bk_reader *
bk_reader_replay(struct bk_reader *below, const void *head, size_t len)
{
	struct replay_reader *p = bk_calloc(1, sizeof(*p));

	p->r.read = replay_read;
	p->r.close = replay_close;
	p->r.below = below;
	p->head = bk_malloc(len);
	memcpy(p->head, head, len);
	p->len = len;
	return &p->r;
}
