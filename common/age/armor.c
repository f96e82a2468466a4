/* armor.c: the armored form, strict PEM-like base64 read back into bytes. */

#include <stdlib.h>
#include <string.h>

#include "age/internal.h"

/* ---- the armor reader: strict PEM-like base64 in, bytes out ---- */

struct armor {
	struct bk_reader	 r;
	struct bk_reader	*src;
	unsigned char		*buf;
	size_t			 pos, end;
	int			 eof;
	int			 state;		/* 0 begin, 1 data, 2 done */
	unsigned char		 line[ARMOR_BYTES];
	size_t			 lpos, llen;
};

#define ARMOR_BUF	65536

int
age_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/*
 * Finds the next line (without its LF and a CR before it).  Returns 1 with
 * the line, 0 at the end of input, -1 on error (set in a->r).
 */
static int
armor_line(struct armor *a, char **line, size_t *len)
{
	unsigned char *nl;
	ssize_t got;

	for (;;) {
		nl = memchr(a->buf + a->pos, '\n', a->end - a->pos);
		if (nl != NULL || a->eof)
			break;
		if (a->pos > 0) {
			memmove(a->buf, a->buf + a->pos, a->end - a->pos);
			a->end -= a->pos;
			a->pos = 0;
		}
		if (a->end == ARMOR_BUF)
			return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
			    "invalid armor: line too long");
		got = a->src->read(a->src, a->buf + a->end, ARMOR_BUF - a->end);
		if (got < 0)
			return (int)bk_reader_fail(&a->r, a->src->code, "%s",
			    a->src->err);
		if (got == 0)
			a->eof = 1;
		a->end += (size_t)got;
	}
	if (nl == NULL && a->pos == a->end)
		return 0;
	*line = (char *)a->buf + a->pos;
	if (nl != NULL) {
		*len = (size_t)(nl - (a->buf + a->pos));
		a->pos += *len + 1;
	} else {
		*len = a->end - a->pos;
		a->pos = a->end;
	}
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return 1;
}

/* After the end line: only a little whitespace may follow. */
static int
armor_trailer(struct armor *a)
{
	size_t seen = 0, i;
	ssize_t got;

	for (;;) {
		for (i = a->pos; i < a->end; i++, seen++)
			if (!age_is_space(a->buf[i]))
				return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
				    "invalid armor: data after the end line");
		if (seen >= MAX_SPACE)
			return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
			    "invalid armor: too much whitespace after the "
			    "end line");
		a->pos = a->end = 0;
		if (a->eof)
			break;
		got = a->src->read(a->src, a->buf, ARMOR_BUF);
		if (got < 0)
			return (int)bk_reader_fail(&a->r, a->src->code, "%s",
			    a->src->err);
		if (got == 0)
			a->eof = 1;
		a->end = (size_t)got;
	}
	a->state = 2;
	return 0;
}

/* Decodes the next line into a->line; 0 at the end, -1 on error. */
static int
armor_next(struct armor *a)
{
	size_t len, space = 0;
	ssize_t n;
	char *line;
	int r;

	while (a->state == 0) {
		if ((r = armor_line(a, &line, &len)) <= 0)
			return r < 0 ? -1 : (int)bk_reader_fail(&a->r,
			    BK_EX_DATAERR, "invalid armor: no begin line");
		for (n = 0; (size_t)n < len && age_is_space((unsigned char)line[n]);
		    n++)
			;
		if ((size_t)n == len) {
			if ((space += len + 1) > MAX_SPACE)
				return (int)bk_reader_fail(&a->r,
				    BK_EX_DATAERR, "invalid armor: too much "
				    "whitespace before the begin line");
			continue;
		}
		if (len != strlen(ARMOR_BEGIN) || memcmp(line, ARMOR_BEGIN,
		    len) != 0)
			return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
			    "invalid armor: bad begin line");
		a->state = 1;
	}
	if (a->state == 2)
		return 0;
	if ((r = armor_line(a, &line, &len)) <= 0)
		return r < 0 ? -1 : (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
		    "invalid armor: truncated (no end line)");
	if (len == strlen(ARMOR_END) && memcmp(line, ARMOR_END, len) == 0)
		return armor_trailer(a);
	if (len == 0 || len > ARMOR_COLS)
		return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
		    "invalid armor: line of %zu columns (want 1 to %d)", len,
		    ARMOR_COLS);
	if ((n = age_b64_decode(a->line, line, len, 1)) < 0)
		return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
		    "invalid armor: bad base64");
	a->lpos = 0;
	a->llen = (size_t)n;
	if (n < ARMOR_BYTES) {
		/* A short line is the last one: the end line must follow. */
		if ((r = armor_line(a, &line, &len)) < 0)
			return -1;
		if (r == 0 || len != strlen(ARMOR_END) ||
		    memcmp(line, ARMOR_END, len) != 0)
			return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
			    "invalid armor: short line not followed by the "
			    "end line");
		if (armor_trailer(a) < 0)
			return -1;
	}
	return 1;
}

static ssize_t
armor_read(struct bk_reader *r, void *buf, size_t n)
{
	struct armor *a = (struct armor *)r;
	size_t got = 0, k;
	int rc;

	while (got < n) {
		if (a->lpos == a->llen) {
			if (a->state == 2)
				break;
			if ((rc = armor_next(a)) < 0)
				return -1;
			if (rc == 0)
				break;
			continue;
		}
		k = a->llen - a->lpos;
		if (k > n - got)
			k = n - got;
		memcpy((char *)buf + got, a->line + a->lpos, k);
		a->lpos += k;
		got += k;
	}
	r->offset += got;
	return (ssize_t)got;
}

void
age_armor_close(struct bk_reader *r)
{
	struct armor *a = (struct armor *)r;

	free(a->buf);
	free(a);
}

/* An armor reader over src that first reads the n bytes at pre. */
struct bk_reader *
age_armor_new(struct bk_reader *src, const unsigned char *pre, size_t n)
{
	struct armor *a = bk_calloc(1, sizeof(*a));

	a->r.read = armor_read;
	a->r.close = age_armor_close;
	a->src = src;
	a->buf = bk_malloc(ARMOR_BUF > n ? ARMOR_BUF : n);
	memcpy(a->buf, pre, n);
	a->end = n;
	return &a->r;
}
