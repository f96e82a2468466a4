/*
 * unzstd.c: a reader layer that decodes zstd (RFC 8878) as it streams.
 *
 * libzstd's streaming decoder does the work; this layer finds where each
 * frame begins and ends, so that it can say at which byte of the
 * compressed input something went wrong.  Frames may follow one another,
 * as zstd allows (files joined with cat, zstd -c >>), skippable frames
 * among them; after the last one the input must end.  Bytes after a frame
 * that do not begin another one are an error, as in gunzip.c: a backup
 * with bytes appended is not the file that was written.  An empty input
 * is not zstd data either.
 *
 * The decoder is fed at most the input it asks for next (its hint: the
 * rest of a block and the next block's header), so it takes one step at
 * a time, and a block that fails is reported at the byte where its data
 * begins, however the input arrives.  The window a frame may ask for is capped at 2^27 bytes, the
 * limit zstd -d keeps without --memory: a frame that asks for more is
 * refused before anything is allocated, whatever its header says, and
 * memory stays bounded however far the data expands.
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "stream/stream.h"

/* Large buffers keep the system calls few. */
#define ZS_INBUF	(256 * 1024)
/* The largest window accepted, as a power of 2 (zstd's own default). */
#define ZS_WINDOWLOG	27

enum zs_state {
	ZS_FIRST,	/* before the first frame */
	ZS_NEXT,	/* after a frame: another one or the end */
	ZS_FRAME,	/* inside a frame */
	ZS_END,		/* the input ended after a whole frame */
	ZS_FAILED	/* an error was reported; it is reported again */
};

struct zs_reader {
	struct bk_reader	 r;
	ZSTD_DStream		*ds;
	unsigned char		*in;		/* input buffer */
	size_t			 inlen;		/* bytes held in it */
	size_t			 inpos;		/* bytes of it used */
	uint64_t		 base;		/* input offset of in[0] */
	int			 eof;		/* the layer below has ended */
	enum zs_state		 state;
	uint64_t		 unit;		/* offset where the step began */
	size_t			 left;		/* input the step still wants */
	uint64_t		 frames;	/* frames begun, skippable too */
	uint64_t		 skippable;	/* of which skippable */
	char			*name;
};

/* The input offset of the next unread byte. */
static uint64_t
in_offset(const struct zs_reader *z)
{
	return z->base + z->inpos;
}

/* Fails the layer: the error stays, so every later read repeats it. */
static ssize_t
zs_fail(struct zs_reader *z, int code, const char *what, uint64_t off)
{
	z->state = ZS_FAILED;
	return bk_reader_fail(&z->r, code, "\"%s\": %s at byte %ju", z->name,
	    what, (uintmax_t)off);
}

/*
 * Makes at least want bytes (at most 4) available from inpos, reading
 * from below as needed.  Returns the bytes available (fewer only at the
 * end of the input), or -1 after an error below (copied).
 */
static ssize_t
fill(struct zs_reader *z, size_t want)
{
	struct bk_reader *below = z->r.below;
	ssize_t k;

	while (z->inlen - z->inpos < want && !z->eof) {
		/* Keep the few bytes left, at the start of the buffer. */
		z->base += z->inpos;
		memmove(z->in, z->in + z->inpos, z->inlen - z->inpos);
		z->inlen -= z->inpos;
		z->inpos = 0;
		k = below->read(below, z->in + z->inlen, ZS_INBUF - z->inlen);
		if (k < 0) {
			z->state = ZS_FAILED;
			memcpy(z->r.err, below->err, sizeof(z->r.err));
			z->r.code = below->code;
			return -1;
		}
		if (k == 0)
			z->eof = 1;
		z->inlen += (size_t)k;
	}
	return (ssize_t)(z->inlen - z->inpos);
}

/* A frame's magic number: 1 a zstd frame, 2 a skippable frame, else 0. */
static int
frame_magic(const unsigned char *p)
{
	if (p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return 1;
	if ((p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d &&
	    p[3] == 0x18)
		return 2;
	return 0;
}

/* Whether the n (< 4) bytes at p could begin a frame's magic number. */
static int
magic_prefix(const unsigned char *p, size_t n)
{
	static const unsigned char zstd[] = { 0x28, 0xb5, 0x2f },
	    skip[] = { 0x50, 0x2a, 0x4d };

	if (n == 0)
		return 0;
	if (memcmp(p, zstd, n) == 0)
		return 1;
	return (p[0] & 0xf0) == 0x50 && (n == 1 || memcmp(p + 1, skip + 1,
	    n - 1) == 0);
}

/*
 * Looks at what comes after a frame (or at the start).  Returns 1 when a
 * frame follows, 0 at a clean end of input after a previous frame, -1
 * after an error.
 */
static int
next_frame(struct zs_reader *z)
{
	uint64_t start = in_offset(z);
	const unsigned char *p;
	ssize_t k;
	int m;

	if ((k = fill(z, 4)) < 0)
		return -1;
	p = z->in + z->inpos;
	if (k == 0) {
		if (z->state == ZS_FIRST) {
			zs_fail(z, BK_EX_DATAERR,
			    "not zstd data (empty input)", start);
			return -1;
		}
		z->state = ZS_END;
		return 0;
	}
	if (k < 4 && magic_prefix(p, (size_t)k)) {
		zs_fail(z, BK_EX_DATAERR, "truncated zstd input",
		    start + (uint64_t)k);
		return -1;
	}
	if (k < 4 || (m = frame_magic(p)) == 0) {
		zs_fail(z, BK_EX_DATAERR, z->state == ZS_FIRST ?
		    "not zstd data (no zstd magic)" :
		    "trailing garbage after zstd data", start);
		return -1;
	}
	z->frames++;
	if (m == 2)
		z->skippable++;
	/* The magic number, then what the decoder asks for. */
	z->unit = start;
	z->left = 4;
	z->state = ZS_FRAME;
	return 1;
}

/* A decoding error as the layer's error. */
static ssize_t
decode_error(struct zs_reader *z, size_t ret, uint64_t at, uint64_t upto)
{
	char what[160];

	switch (ZSTD_getErrorCode(ret)) {
	case ZSTD_error_checksum_wrong:
		return zs_fail(z, BK_EX_DATAERR, "bad checksum in frame ending",
		    upto);
	case ZSTD_error_frameParameter_windowTooLarge:
		snprintf(what, sizeof(what), "zstd frame needs a window "
		    "larger than %d MiB", 1 << (ZS_WINDOWLOG - 20));
		return zs_fail(z, BK_EX_DATAERR, what, at);
	case ZSTD_error_dictionary_wrong:
		return zs_fail(z, BK_EX_DATAERR, "zstd frame needs a "
		    "dictionary", at);
	case ZSTD_error_memory_allocation:
		return zs_fail(z, BK_EX_SOFTWARE, "out of memory in zstd", at);
	default:
		snprintf(what, sizeof(what), "corrupt zstd data (%s)",
		    ZSTD_getErrorName(ret));
		return zs_fail(z, BK_EX_DATAERR, what, at);
	}
}

/*
 * Decodes into the caller's buffer (no copy), until it is full or the
 * frame ends.  Returns the bytes stored or -1.
 *
 * The decoder is given no more than the rest of its current step (the
 * size it asked for after the last one), so that a step is never mixed
 * with the next; a step may come in several pieces, as the input
 * arrives.  An error is reported at the byte where its step began, the
 * same offset however the input was cut; a bad checksum at the end of
 * its frame.
 */
static ssize_t
decode_some(struct zs_reader *z, unsigned char *buf, size_t n)
{
	ZSTD_outBuffer out = { buf, n, 0 };
	ZSTD_inBuffer in;
	uint64_t at;
	size_t ret, had;
	ssize_t k;

	while (out.pos < out.size) {
		if ((k = fill(z, 1)) < 0)
			return -1;
		in.src = z->in + z->inpos;
		in.size = (size_t)k < z->left ? (size_t)k : z->left;
		in.pos = 0;
		had = out.pos;
		at = in_offset(z);
		ret = ZSTD_decompressStream(z->ds, &out, &in);
		if (ZSTD_isError(ret))
			return decode_error(z, ret, z->unit, at + in.size);
		z->inpos += in.pos;
		if (ret == 0) {
			z->state = ZS_NEXT;
			break;
		}
		/* A step taken whole: the next one begins here. */
		if (in.pos == z->left)
			z->unit = in_offset(z);
		z->left = ret;
		/*
		 * No progress with all the input there is: the data ends
		 * inside the frame.
		 */
		if (in.pos == 0 && out.pos == had && k == 0)
			return zs_fail(z, BK_EX_DATAERR,
			    "truncated zstd input", at);
	}
	return (ssize_t)out.pos;
}

static ssize_t
zs_read(struct bk_reader *r, void *buf, size_t n)
{
	struct zs_reader *z = (struct zs_reader *)r;
	ssize_t got;
	int k;

	if (n == 0)
		return 0;
	for (;;) {
		switch (z->state) {
		case ZS_FAILED:
			return -1;
		case ZS_END:
			return 0;
		case ZS_FIRST:
		case ZS_NEXT:
			if ((k = next_frame(z)) <= 0)
				return k;
			break;
		case ZS_FRAME:
			if ((got = decode_some(z, buf, n)) != 0) {
				if (got > 0)
					r->offset += (uint64_t)got;
				return got;
			}
			/* An empty or skippable frame: on to the next one. */
			break;
		}
	}
}

static void
zs_close(struct bk_reader *r)
{
	struct zs_reader *z = (struct zs_reader *)r;

	ZSTD_freeDStream(z->ds);
	free(z->in);
	free(z->name);
	free(z);
}

struct bk_reader *
bk_reader_unzstd(struct bk_reader *below, const char *name)
{
	struct zs_reader *z = bk_calloc(1, sizeof(*z));

	z->r.read = zs_read;
	z->r.close = zs_close;
	z->r.below = below;
	z->in = bk_malloc(ZS_INBUF);
	z->name = bk_strdup(name);
	z->state = ZS_FIRST;
	if ((z->ds = ZSTD_createDStream()) == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	if (ZSTD_isError(ZSTD_DCtx_setParameter(z->ds, ZSTD_d_windowLogMax,
	    ZS_WINDOWLOG)))
		bk_errx(BK_EX_SOFTWARE, "could not limit zstd's window");
	return &z->r;
}

void
bk_unzstd_stats(const struct bk_reader *r, uint64_t *in, uint64_t *frames,
    uint64_t *skippable)
{
	const struct zs_reader *z = (const struct zs_reader *)r;

	if (in != NULL)
		*in = in_offset(z);
	if (frames != NULL)
		*frames = z->frames;
	if (skippable != NULL)
		*skippable = z->skippable;
}
