/*
 * gunzip.c: a reader layer that decodes gzip (RFC 1952) as it streams.
 *
 * The layer parses each member's header itself and runs zlib's raw inflate
 * on the deflate data, so that it always knows the offset in the compressed
 * input of whatever goes wrong, and checks the CRC-32 and length in each
 * member's trailer.  Members may follow one another, as gzip allows; after
 * the last one the input must end.  Anything else after a member (bytes
 * that do not start with the gzip magic) is an error: a backup with bytes
 * appended is not the file that was written.  An empty input is not gzip
 * data either (gzip says "unexpected end of file" for it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "stream/stream.h"

/* Large buffers keep inflate in its fast loop and the system calls few. */
#define GZ_INBUF	(256 * 1024)

/* Header flags (RFC 1952, 2.3.1). */
#define FHCRC		0x02
#define FEXTRA		0x04
#define FNAME		0x08
#define FCOMMENT	0x10
#define FRESERVED	0xe0

enum gz_state {
	GZ_FIRST,	/* before the first member */
	GZ_NEXT,	/* after a member: another one or the end */
	GZ_DATA,	/* inside a member's deflate data */
	GZ_END,		/* the input ended after a whole member */
	GZ_FAILED	/* an error was reported; it is reported again */
};

struct gz_reader {
	struct bk_reader	 r;
	z_stream		 z;
	unsigned char		*in;		/* input buffer */
	size_t			 inlen;		/* bytes held in it */
	uint64_t		 base;		/* input offset of in[0] */
	int			 eof;		/* the layer below has ended */
	enum gz_state		 state;
	uint32_t		 crc;		/* of this member's output */
	uint32_t		 size;		/* its length, modulo 2^32 */
	uint32_t		 hcrc;		/* of the header, for FHCRC */
	int			 hashing;	/* hcrc follows getbyte */
	uint64_t		 members;
	char			*name;
};

/* The input offset of the next unread byte. */
static uint64_t
in_offset(const struct gz_reader *g)
{
	return g->base + (uint64_t)(g->z.next_in - g->in);
}

/* Fails the layer: the error stays, so every later read repeats it. */
static ssize_t
gz_fail(struct gz_reader *g, int code, const char *what, uint64_t off)
{
	g->state = GZ_FAILED;
	return bk_reader_fail(&g->r, code, "\"%s\": %s at byte %ju", g->name,
	    what, (uintmax_t)off);
}

/*
 * Refills the input buffer when it is empty.  Returns 1 when bytes are
 * available, 0 at the end of the input, -1 after an error below (copied).
 */
static int
fill(struct gz_reader *g)
{
	struct bk_reader *below = g->r.below;
	ssize_t k;

	if (g->z.avail_in > 0)
		return 1;
	if (g->eof)
		return 0;
	g->base += g->inlen;
	g->inlen = 0;
	g->z.next_in = g->in;
	k = below->read(below, g->in, GZ_INBUF);
	if (k < 0) {
		g->state = GZ_FAILED;
		memcpy(g->r.err, below->err, sizeof(g->r.err));
		g->r.code = below->code;
		return -1;
	}
	if (k == 0) {
		g->eof = 1;
		return 0;
	}
	g->inlen = (size_t)k;
	g->z.avail_in = (uInt)k;
	return 1;
}

/* Takes one byte of input: 1 done, 0 at the end, -1 error below. */
static int
getbyte(struct gz_reader *g, unsigned char *c)
{
	int k;

	if ((k = fill(g)) <= 0)
		return k;
	*c = *g->z.next_in++;
	g->z.avail_in--;
	if (g->hashing)
		g->hcrc = (uint32_t)crc32(g->hcrc, c, 1);
	return 1;
}

/* Takes n bytes (n <= 8) into buf, failing as truncated at the end. */
static int
getbytes(struct gz_reader *g, unsigned char *buf, size_t n)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++)
		if ((k = getbyte(g, buf + i)) <= 0) {
			if (k == 0)
				gz_fail(g, BK_EX_DATAERR,
				    "truncated gzip input", in_offset(g));
			return -1;
		}
	return 0;
}

/* Skips a zero-terminated field of the header (name or comment). */
static int
skip_string(struct gz_reader *g)
{
	unsigned char c;

	do {
		if (getbytes(g, &c, 1) < 0)
			return -1;
	} while (c != 0);
	return 0;
}

/*
 * Reads a member header.  Returns 1 when the member's data follows, 0 at a
 * clean end of input after a previous member, -1 after an error.
 */
static int
read_header(struct gz_reader *g)
{
	unsigned char h[10], b[2];
	uint64_t start = in_offset(g);
	unsigned xlen;
	int k;

	g->hcrc = 0;
	g->hashing = 1;
	if ((k = getbyte(g, &h[0])) <= 0) {
		g->hashing = 0;
		if (k < 0)
			return -1;
		if (g->state == GZ_FIRST) {
			gz_fail(g, BK_EX_DATAERR,
			    "not gzip data (empty input)", start);
			return -1;
		}
		g->state = GZ_END;
		return 0;
	}
	if ((k = getbyte(g, &h[1])) < 0)
		return -1;
	if (k == 0 && h[0] == 0x1f) {
		gz_fail(g, BK_EX_DATAERR, "truncated gzip input",
		    in_offset(g));
		return -1;
	}
	if (k == 0 || h[0] != 0x1f || h[1] != 0x8b) {
		gz_fail(g, BK_EX_DATAERR, g->state == GZ_FIRST ?
		    "not gzip data (no gzip magic)" :
		    "trailing garbage after gzip data", start);
		return -1;
	}
	if (getbytes(g, h + 2, 8) < 0)
		return -1;
	if (h[2] != 8) {
		gz_fail(g, BK_EX_DATAERR,
		    "unknown compression method in gzip header", start + 2);
		return -1;
	}
	if (h[3] & FRESERVED) {
		gz_fail(g, BK_EX_DATAERR,
		    "reserved flags set in gzip header", start + 3);
		return -1;
	}
	if (h[3] & FEXTRA) {
		if (getbytes(g, b, 2) < 0)
			return -1;
		for (xlen = b[0] | (unsigned)b[1] << 8; xlen > 0; xlen--)
			if (getbytes(g, b, 1) < 0)
				return -1;
	}
	if ((h[3] & FNAME) && skip_string(g) < 0)
		return -1;
	if ((h[3] & FCOMMENT) && skip_string(g) < 0)
		return -1;
	g->hashing = 0;
	if (h[3] & FHCRC) {
		if (getbytes(g, b, 2) < 0)
			return -1;
		if ((b[0] | (unsigned)b[1] << 8) != (g->hcrc & 0xffff)) {
			gz_fail(g, BK_EX_DATAERR, "bad gzip header CRC",
			    in_offset(g) - 2);
			return -1;
		}
	}
	if (inflateReset(&g->z) != Z_OK) {
		gz_fail(g, BK_EX_SOFTWARE, "could not reset inflate",
		    in_offset(g));
		return -1;
	}
	g->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	g->size = 0;
	g->members++;
	g->state = GZ_DATA;
	return 1;
}

/* Reads and checks the trailer of the member that just ended. */
static int
read_trailer(struct gz_reader *g)
{
	unsigned char t[8];
	uint32_t crc, size;

	if (getbytes(g, t, 8) < 0)
		return -1;
	crc = t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
	    (uint32_t)t[3] << 24;
	size = t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 |
	    (uint32_t)t[7] << 24;
	if (crc != g->crc) {
		gz_fail(g, BK_EX_DATAERR, "bad CRC in member ending",
		    in_offset(g));
		return -1;
	}
	if (size != g->size) {
		gz_fail(g, BK_EX_DATAERR, "bad length in member ending",
		    in_offset(g));
		return -1;
	}
	g->state = GZ_NEXT;
	return 0;
}

/*
 * Inflates into the caller's buffer (no copy), until it is full or the
 * member ends.  Returns the bytes stored or -1.
 */
static ssize_t
inflate_some(struct gz_reader *g, unsigned char *buf, size_t n)
{
	size_t got;
	int k, ret;

	/* zlib counts in uInt: ask for at most 1 GiB at a time. */
	if (n > (1u << 30))
		n = 1u << 30;
	g->z.next_out = buf;
	g->z.avail_out = (uInt)n;
	ret = Z_OK;
	while (g->z.avail_out > 0) {
		if ((k = fill(g)) < 0)
			return -1;
		if (k == 0)
			return gz_fail(g, BK_EX_DATAERR,
			    "truncated gzip input", in_offset(g));
		ret = inflate(&g->z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_DATA_ERROR) {
			char what[160];

			snprintf(what, sizeof(what), "corrupt gzip data (%s)",
			    g->z.msg != NULL ? g->z.msg : "invalid data");
			/*
			 * The offset is where inflate noticed: damage can
			 * decode as valid codes for a while before that.
			 */
			return gz_fail(g, BK_EX_DATAERR, what, in_offset(g));
		}
		if (ret == Z_MEM_ERROR)
			return gz_fail(g, BK_EX_SOFTWARE,
			    "out of memory in inflate", in_offset(g));
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return gz_fail(g, BK_EX_SOFTWARE,
			    "internal inflate error", in_offset(g));
		/* Z_OK, or Z_BUF_ERROR for input used up: go round. */
	}
	got = n - g->z.avail_out;
	g->crc = (uint32_t)crc32(g->crc, buf, (uInt)got);
	g->size += (uint32_t)got;
	if (ret == Z_STREAM_END && read_trailer(g) < 0)
		return -1;
	return (ssize_t)got;
}

static ssize_t
gz_read(struct bk_reader *r, void *buf, size_t n)
{
	struct gz_reader *g = (struct gz_reader *)r;
	ssize_t got;
	int k;

	if (n == 0)
		return 0;
	for (;;) {
		switch (g->state) {
		case GZ_FAILED:
			return -1;
		case GZ_END:
			return 0;
		case GZ_FIRST:
		case GZ_NEXT:
			if ((k = read_header(g)) <= 0)
				return k;
			break;
		case GZ_DATA:
			if ((got = inflate_some(g, buf, n)) != 0) {
				if (got > 0)
					r->offset += (uint64_t)got;
				return got;
			}
			/* An empty member: go on to the next one. */
			break;
		}
	}
}

static void
gz_close(struct bk_reader *r)
{
	struct gz_reader *g = (struct gz_reader *)r;

	inflateEnd(&g->z);
	free(g->in);
	free(g->name);
	free(g);
}

struct bk_reader *
bk_reader_gunzip(struct bk_reader *below, const char *name)
{
	struct gz_reader *g = bk_calloc(1, sizeof(*g));
	int ret;

	g->r.read = gz_read;
	g->r.close = gz_close;
	g->r.below = below;
	g->in = bk_malloc(GZ_INBUF);
	g->z.next_in = g->in;
	g->name = bk_strdup(name);
	g->state = GZ_FIRST;
	/* Raw deflate: the gzip header and trailer are ours to read. */
	if ((ret = inflateInit2(&g->z, -15)) != Z_OK) {
		if (ret == Z_MEM_ERROR)
			bk_errx(BK_EX_SOFTWARE, "out of memory");
		bk_errx(BK_EX_SOFTWARE, "could not start inflate: %s",
		    g->z.msg != NULL ? g->z.msg : zlibVersion());
	}
	return &g->r;
}

void
bk_gunzip_stats(const struct bk_reader *r, uint64_t *in, uint64_t *members)
{
	const struct gz_reader *g = (const struct gz_reader *)r;

	if (in != NULL)
		*in = in_offset(g);
	if (members != NULL)
		*members = g->members;
}
