/* reader.c: the stacked stream reader, and its file-descriptor layer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"

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
