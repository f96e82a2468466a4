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
 *
 * A member whose header says its whole size in bk's extra subfield (see
 * bk_gz_header) is taken in one piece and decoded by libdeflate, about
 * twice as fast as inflate; it must then prove the size right: its deflate
 * data must end exactly where the trailer begins, and the CRC-32 and length
 * must match.  Otherwise, and for every other member, the bytes are still
 * in the input buffer and go through zlib's inflate as they stream, which
 * finds and reports whatever is wrong: a wrong size in the extra field can
 * cost time, never a wrong byte or a different verdict.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

#include "stream/stream.h"

/* Large buffers keep inflate in its fast loop and the system calls few. */
#define GZ_INBUF	(256 * 1024)
/*
 * The largest member (whole, and its data) taken in one piece: four times
 * what bk-gz writes, so a later block size still reads fast; a size field
 * beyond it is not believed and the member streams through inflate.
 */
#define GZ_WHOLE_MAX	(4 * BK_GZ_BLOCK)
#define OS_UNIX		3		/* the gzip header's OS byte */

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
	GZ_HELD,	/* handing out a member decoded whole */
	GZ_END,		/* the input ended after a whole member */
	GZ_FAILED	/* an error was reported; it is reported again */
};

struct gz_reader {
	struct bk_reader	 r;
	z_stream		 z;
	unsigned char		*in;		/* input buffer */
	size_t			 insize;	/* its capacity */
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
	uint32_t		 whole;		/* size left, from bk's field */
	struct libdeflate_decompressor *ld;	/* made at the first use */
	unsigned char		*out;		/* a member decoded whole */
	size_t			 outsize;	/* its capacity */
	size_t			 outpos, outlen;	/* handed out, held */
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
	k = below->read(below, g->in, g->insize);
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

/* Skips n bytes of the header. */
static int
skip_bytes(struct gz_reader *g, size_t n)
{
	unsigned char c;

	for (; n > 0; n--)
		if (getbytes(g, &c, 1) < 0)
			return -1;
	return 0;
}

static uint32_t
get_le32(const unsigned char *b)
{
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static void
put_le32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

/*
 * Reads the extra field (its length is read already) as subfields (SI1,
 * SI2, LEN, data), noting the member size of bk's 'B','K' subfield in
 * g->whole.  A field that does not parse as subfields is skipped: gzip
 * readers ignore its content.
 */
static int
read_extra(struct gz_reader *g, size_t xlen)
{
	unsigned char sub[4];
	size_t len;

	while (xlen >= 4) {
		if (getbytes(g, sub, 4) < 0)
			return -1;
		xlen -= 4;
		len = sub[2] | (size_t)sub[3] << 8;
		if (len > xlen)
			break;
		xlen -= len;
		if (sub[0] == 'B' && sub[1] == 'K' && len == 4) {
			if (getbytes(g, sub, 4) < 0)
				return -1;
			g->whole = get_le32(sub);
		} else if (skip_bytes(g, len) < 0)
			return -1;
	}
	return skip_bytes(g, xlen);
}

/*
 * Reads a member header.  Returns 1 when the member's data follows, 0 at a
 * clean end of input after a previous member, -1 after an error.
 */
static int
read_header(struct gz_reader *g)
{
	unsigned char h[10], b[2];
	uint64_t start = in_offset(g), hlen;
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
	g->whole = 0;
	if (h[3] & FEXTRA) {
		if (getbytes(g, b, 2) < 0)
			return -1;
		xlen = b[0] | (unsigned)b[1] << 8;
		if (read_extra(g, xlen) < 0)
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
	g->crc = 0;
	g->size = 0;
	g->members++;
	g->state = GZ_DATA;
	/* What follows the header must be the rest of the size announced. */
	hlen = in_offset(g) - start;
	if (g->whole <= hlen + BK_GZ_TRAILER || g->whole - hlen > GZ_WHOLE_MAX)
		g->whole = 0;
	else
		g->whole -= (uint32_t)hlen;
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
	crc = get_le32(t);
	size = get_le32(t + 4);
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
	g->crc = libdeflate_crc32(g->crc, buf, got);
	g->size += (uint32_t)got;
	if (ret == Z_STREAM_END && read_trailer(g) < 0)
		return -1;
	return (ssize_t)got;
}

/*
 * Makes the next need bytes of input sit in the buffer, whole.  Returns 1
 * when they do, 0 when the input ends first, -1 after an error below.
 */
static int
fill_whole(struct gz_reader *g, size_t need)
{
	struct bk_reader *below = g->r.below;
	size_t used = (size_t)(g->z.next_in - g->in);
	ssize_t k;

	if (g->z.avail_in >= need)
		return 1;
	if (used > 0) {
		memmove(g->in, g->z.next_in, g->z.avail_in);
		g->base += used;
		g->inlen = g->z.avail_in;
		g->z.next_in = g->in;
	}
	if (g->insize < need) {
		/* Room to spare: the next member may be a little larger. */
		g->insize = need + GZ_INBUF;
		g->in = bk_realloc(g->in, g->insize);
		g->z.next_in = g->in;
	}
	while (g->inlen < need && !g->eof) {
		k = below->read(below, g->in + g->inlen, g->insize - g->inlen);
		if (k < 0) {
			g->state = GZ_FAILED;
			memcpy(g->r.err, below->err, sizeof(g->r.err));
			g->r.code = below->code;
			return -1;
		}
		if (k == 0)
			g->eof = 1;
		g->inlen += (size_t)k;
		g->z.avail_in = (uInt)g->inlen;
	}
	return g->inlen >= need;
}

/*
 * Decodes a member that announced its size (g->whole bytes from here to
 * its end) in one piece with libdeflate: into buf when it holds the whole
 * data, else into g->out to be handed out by later reads.  Returns 1 with
 * *got bytes stored in buf, 0 when the member must stream through inflate
 * instead (the input is left as it was), -1 after an error below.
 */
static int
decode_whole(struct gz_reader *g, unsigned char *buf, size_t n, ssize_t *got)
{
	const unsigned char *data, *trailer;
	unsigned char *dst;
	size_t datalen, used, len;
	uint32_t isize;
	int k;

	if ((k = fill_whole(g, g->whole)) <= 0)
		return k;
	data = g->z.next_in;
	datalen = g->whole - BK_GZ_TRAILER;
	trailer = data + datalen;
	isize = get_le32(trailer + 4);
	if (isize > GZ_WHOLE_MAX)
		return 0;
	if (isize <= n)
		dst = buf;
	else {
		if (g->outsize < isize) {
			free(g->out);
			g->outsize = isize;
			g->out = bk_malloc(g->outsize);
		}
		dst = g->out;
	}
	if (g->ld == NULL && (g->ld = libdeflate_alloc_decompressor()) == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	if (libdeflate_deflate_decompress_ex(g->ld, data, datalen, dst, isize,
	    &used, &len) != LIBDEFLATE_SUCCESS || used != datalen ||
	    len != isize || libdeflate_crc32(0, dst, len) != get_le32(trailer))
		return 0;
	g->z.next_in += g->whole;
	g->z.avail_in -= g->whole;
	g->state = GZ_NEXT;
	if (dst == buf) {
		*got = (ssize_t)len;
		return 1;
	}
	g->outpos = 0;
	g->outlen = len;
	g->state = GZ_HELD;
	*got = 0;
	return 1;
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
		case GZ_HELD:
			got = (ssize_t)(g->outlen - g->outpos < n ?
			    g->outlen - g->outpos : n);
			memcpy(buf, g->out + g->outpos, (size_t)got);
			g->outpos += (size_t)got;
			if (g->outpos == g->outlen)
				g->state = GZ_NEXT;
			if (got > 0) {
				r->offset += (uint64_t)got;
				return got;
			}
			break;
		case GZ_DATA:
			if (g->whole > 0) {
				k = decode_whole(g, buf, n, &got);
				g->whole = 0;
				if (k < 0)
					return -1;
				if (k > 0 && got > 0) {
					r->offset += (uint64_t)got;
					return got;
				}
				/* An empty member, or held: go round. */
				if (k > 0)
					break;
			}
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
	libdeflate_free_decompressor(g->ld);
	free(g->out);
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
	g->insize = GZ_INBUF;
	g->in = bk_malloc(g->insize);
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

void
bk_gz_header(unsigned char h[BK_GZ_HEADER], int xfl, uint32_t size)
{
	static const unsigned char fixed[BK_GZ_HEADER - 4] = {
		0x1f, 0x8b, 8, FEXTRA, 0, 0, 0, 0, 0, OS_UNIX,
		8, 0,			/* XLEN: one subfield of 4 bytes */
		'B', 'K', 4, 0
	};

	memcpy(h, fixed, sizeof(fixed));
	h[8] = (unsigned char)xfl;
	put_le32(h + sizeof(fixed), size);
}

void
bk_gz_trailer(unsigned char t[BK_GZ_TRAILER], uint32_t crc, uint32_t len)
{
	put_le32(t, crc);
	put_le32(t + 4, len);
}
