/*
 * t-unzstd.c: the unzstd reader layer on frames made here with libzstd:
 * input that arrives a byte at a time or all at once and reads of any
 * size give the same data and the same error offsets; several frames,
 * empty and skippable ones; frames without a checksum; errors from the
 * layer below.
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "stream/stream.h"
#include "memreader.h"
#include "tap.h"

static struct bk_reader *
unzstd_over(const unsigned char *p, size_t len, size_t chunk, size_t fail_at)
{
	return bk_reader_unzstd(mem_reader(p, len, chunk, fail_at), "mem");
}

/* Appends a frame of data to out at level, with a checksum if check. */
static size_t
make_frame(unsigned char *out, size_t cap, const unsigned char *data,
    size_t len, int level, int check)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t n;

	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, check);
	n = ZSTD_compress2(cc, out, cap, data, len);
	ZSTD_freeCCtx(cc);
	if (ZSTD_isError(n))
		abort();
	return n;
}

/* Appends a skippable frame of len bytes of x. */
static size_t
make_skippable(unsigned char *out, unsigned nibble, size_t len)
{
	out[0] = (unsigned char)(0x50 + nibble);
	out[1] = 0x2a;
	out[2] = 0x4d;
	out[3] = 0x18;
	out[4] = (unsigned char)len;
	out[5] = (unsigned char)(len >> 8);
	out[6] = 0;
	out[7] = 0;
	memset(out + 8, 'x', len);
	return 8 + len;
}

int
main(void)
{
	static const size_t chunks[] = { 1, 3, 4096, 1 << 20 },
	    rsizes[] = { 1, 7, 65536, 1 << 20 };
	unsigned char *data, *z, *out;
	size_t dlen = 600000, zlen, first, one, i, j, mid;
	struct bk_reader *r;
	uint64_t in, frames, skippable;
	char err[512], want[512];
	ssize_t got;
	int code, same;

	data = bk_malloc(dlen);
	for (i = 0; i < dlen; i++)
		data[i] = (unsigned char)("0123456789,abc\n"[i % 15] +
		    (i / 4093 % 3 == 0 ? 0 : (i * 2654435761u >> 27) % 2));
	z = bk_malloc(2 * dlen);
	out = bk_malloc(3 * dlen);

	/* Frames: a skippable one, the data, an empty one, the data again
	 * at level 19 without a checksum, a skippable one at the end. */
	zlen = first = make_skippable(z, 0, 5);
	one = make_frame(z + zlen, 2 * dlen - zlen, data, dlen, 3, 1);
	zlen += one;
	zlen += make_frame(z + zlen, 2 * dlen - zlen, data, 0, 3, 1);
	zlen += make_frame(z + zlen, 2 * dlen - zlen, data, dlen, 19, 0);
	zlen += make_skippable(z + zlen, 15, 300);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		for (j = 0; j < sizeof(rsizes) / sizeof(rsizes[0]); j++) {
			r = unzstd_over(z, zlen, chunks[i], 0);
			got = drain(r, out, 3 * dlen, rsizes[j]);
			snprintf(err, sizeof(err), "%s", r->err);
			code = r->code;
			ok(got == (ssize_t)(2 * dlen) &&
			    memcmp(out, data, dlen) == 0 &&
			    memcmp(out + dlen, data, dlen) == 0,
			    "5 frames, input in pieces of %zu, reads of %zu",
			    chunks[i], rsizes[j]);
			bk_unzstd_stats(r, &in, &frames, &skippable);
			ok(in == zlen && frames == 5 && skippable == 2,
			    "stats: %ju bytes, %ju frames, %ju skippable",
			    (uintmax_t)in, (uintmax_t)frames,
			    (uintmax_t)skippable);
			bk_reader_close(r);
		}

	/* Damage: the same message and offset however the input comes. */
	mid = first + one / 2;
	z[mid] ^= 0x55;
	for (i = 0, same = 1, want[0] = '\0'; i < sizeof(chunks) /
	    sizeof(chunks[0]); i++) {
		r = unzstd_over(z, zlen, chunks[i], 0);
		got = drain(r, out, 3 * dlen, 65536);
		snprintf(err, sizeof(err), "%s", r->err);
		code = r->code;
		if (got != -1 || code != BK_EX_DATAERR)
			same = 0;
		if (i == 0)
			snprintf(want, sizeof(want), "%s", err);
		else if (strcmp(err, want) != 0) {
			printf("# pieces of %zu: %s\n", chunks[i], err);
			same = 0;
		}
		bk_reader_close(r);
	}
	ok(same, "a flipped byte: one error whatever the pieces (%s)", want);
	z[mid] ^= 0x55;

	/* Cut anywhere: truncated at the length given. */
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		r = unzstd_over(z, first + one - 1, chunks[i], 0);
		got = drain(r, out, 3 * dlen, 4096);
		snprintf(err, sizeof(err), "%s", r->err);
		code = r->code;
		snprintf(want, sizeof(want), "\"mem\": truncated zstd input "
		    "at byte %zu", first + one - 1);
		ok(got == -1 && code == BK_EX_DATAERR &&
		    strcmp(err, want) == 0, "cut in pieces of %zu: %s",
		    chunks[i], err);
		bk_reader_close(r);
	}

	/* Garbage after a frame, whatever the pieces. */
	memcpy(z + first + one, "oops", 4);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		r = unzstd_over(z, first + one + 4, chunks[i], 0);
		got = drain(r, out, 3 * dlen, 4096);
		snprintf(err, sizeof(err), "%s", r->err);
		code = r->code;
		snprintf(want, sizeof(want), "\"mem\": trailing garbage after "
		    "zstd data at byte %zu", first + one);
		ok(got == -1 && strcmp(err, want) == 0,
		    "garbage in pieces of %zu: %s", chunks[i], err);
		bk_reader_close(r);
	}

	/* An error below passes up with its own code, and stays. */
	r = unzstd_over(z, zlen, 4096, 5000);
	got = drain(r, out, 3 * dlen, 65536);
	snprintf(err, sizeof(err), "%s", r->err);
	code = r->code;
	ok(got == -1 && code == BK_EX_IOERR &&
	    strcmp(err, "could not read \"mem\"") == 0,
	    "an error below keeps its code and message");
	ok(r->read(r, out, 10) == -1, "... and is reported again");
	bk_reader_close(r);

	/* Nothing at all, and a reader asked for nothing. */
	r = unzstd_over(z, 0, 4096, 0);
	ok(r->read(r, out, 0) == 0, "a read of 0 bytes returns 0");
	got = drain(r, out, 10, 10);
	snprintf(err, sizeof(err), "%s", r->err);
	code = r->code;
	ok(got == -1 && strcmp(err, "\"mem\": not zstd data (empty input) "
	    "at byte 0") == 0, "empty input: %s", err);
	bk_reader_close(r);

	free(data);
	free(z);
	free(out);
	return tap_done();
}
