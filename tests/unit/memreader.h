/*
 * memreader.h: a reader over memory for the unit tests of the reader
 * layers (t-gunzip, t-unzstd): it hands out at most chunk bytes per read,
 * so that input can arrive a byte at a time, and can fail with 74 at a
 * given offset, as a disk would.
 */
#ifndef MEMREADER_H
#define MEMREADER_H

#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

struct mem_reader {
	struct bk_reader	 r;
	const unsigned char	*p;
	size_t			 len, pos, chunk;
	size_t			 fail_at;	/* fail with 74 here; 0: never */
};

static ssize_t
mem_read(struct bk_reader *r, void *buf, size_t n)
{
	struct mem_reader *m = (struct mem_reader *)r;

	if (m->fail_at > 0 && m->pos >= m->fail_at)
		return bk_reader_fail(r, BK_EX_IOERR, "could not read \"mem\"");
	if (n > m->chunk)
		n = m->chunk;
	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	r->offset += n;
	return (ssize_t)n;
}

static void
mem_close(struct bk_reader *r)
{
	free(r);
}

/* A reader over len bytes at p, in pieces of chunk, failing at fail_at. */
static struct bk_reader *
mem_reader(const unsigned char *p, size_t len, size_t chunk, size_t fail_at)
{
	struct mem_reader *m = bk_calloc(1, sizeof(*m));

	m->r.read = mem_read;
	m->r.close = mem_close;
	m->p = p;
	m->len = len;
	m->chunk = chunk;
	m->fail_at = fail_at;
	return &m->r;
}

/*
 * Reads r to its end into out (cap bytes at most), in reads of n bytes:
 * the length, or -1 with the reader's err and code.
 */
static ssize_t
drain(struct bk_reader *r, unsigned char *out, size_t cap, size_t n)
{
	size_t got = 0;
	ssize_t k;

	for (;;) {
		if (n > cap - got)
			n = cap - got;
		if ((k = r->read(r, out + got, n)) < 0)
			return -1;
		if (k == 0)
			return (ssize_t)got;
		got += (size_t)k;
	}
}

#endif
