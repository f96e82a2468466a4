/*
 * fuzz-unzstd.c: the zstd reader layer, bk_reader_unzstd, differentially
 * against libzstd's own streaming decoder run frame after frame over the
 * whole input, with the same rules (a frame or skippable frame after each
 * one, or the end; a window of at most 2^27): one accepts exactly what the
 * other accepts, with the same bytes out.  An error is code 65 with a
 * message, and stays; the layer never consumes more than the input.
 */
#include <zstd.h>

#include "fuzz.h"

#define MAX_OUT	(64u << 20)	/* beyond this, only bk's reader runs */

struct out {
	unsigned char	*p;
	size_t		 len, size;
};

static void
out_room(struct out *o, size_t n)
{
	if (o->size - o->len < n) {
		o->size = o->len + n > 2 * o->size ? o->len + n : 2 * o->size;
		o->p = bk_realloc(o->p, o->size);
	}
}

/* Whether p (4 bytes) begins a zstd frame or a skippable one. */
static int
magic(const uint8_t *p)
{
	return (p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f &&
	    p[3] == 0xfd) || ((p[0] & 0xf0) == 0x50 && p[1] == 0x2a &&
	    p[2] == 0x4d && p[3] == 0x18);
}

/* libzstd's verdict: 0 and the bytes, or -1. */
static int
zstd_decode(const uint8_t *data, size_t size, struct out *o)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	ZSTD_inBuffer in;
	ZSTD_outBuffer ob;
	size_t pos = 0, ret, had;
	int frames = 0, rc = -1;

	if (d == NULL || ZSTD_isError(ZSTD_DCtx_setParameter(d,
	    ZSTD_d_windowLogMax, 27)))
		abort();
	for (;;) {
		if (pos == size) {
			rc = frames > 0 ? 0 : -1;
			break;
		}
		if (size - pos < 4 || !magic(data + pos))
			break;
		in.src = data + pos;
		in.size = size - pos;
		in.pos = 0;
		do {
			out_room(o, 65536);
			ob.dst = o->p + o->len;
			ob.size = 65536;
			ob.pos = 0;
			had = in.pos;
			ret = ZSTD_decompressStream(d, &ob, &in);
			if (ZSTD_isError(ret))
				goto done;
			o->len += ob.pos;
			if (o->len > MAX_OUT)
				goto done;
		} while (ret != 0 && (ob.pos > 0 || in.pos > had));
		if (ret != 0)
			break;
		pos += in.pos;
		frames++;
	}
done:
	ZSTD_freeDStream(d);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 4096, 1, 65536, 13, 300000 };
	struct out bk = { NULL, 0, 0 }, zs = { NULL, 0, 0 };
	struct bk_reader *r;
	uint64_t in, frames, skippable;
	char err[sizeof(r->err)];
	ssize_t got;
	size_t i, want;
	int bad = 0, zbad, big = 0;

	r = bk_reader_unzstd(fuzz_reader(data, size, fuzz_step(size)),
	    "fuzz.zst");
	for (i = 0;; i++) {
		want = sizes[(i + size) % (sizeof(sizes) / sizeof(sizes[0]))];
		out_room(&bk, want);
		if ((got = r->read(r, bk.p + bk.len, want)) < 0) {
			bad = 1;
			break;
		}
		if (got == 0)
			break;
		if ((size_t)got > want)
			fuzz_fail("read %zd bytes of %zu", got, want);
		bk.len += (size_t)got;
		if (bk.len > MAX_OUT) {
			big = 1;
			break;
		}
	}
	if (bad) {
		if (r->code != BK_EX_DATAERR || r->err[0] == '\0')
			fuzz_fail("error code %d, message \"%s\"", r->code,
			    r->err);
		if (r->read(r, bk.p, 1) != -1)
			fuzz_fail("a read after an error did not fail");
	}
	bk_unzstd_stats(r, &in, &frames, &skippable);
	if (in > size || (!bad && !big && in != size))
		fuzz_fail("%llu bytes consumed of %zu",
		    (unsigned long long)in, size);
	if (!bad && !big && frames == 0)
		fuzz_fail("success without a frame");
	if (skippable > frames)
		fuzz_fail("more skippable frames than frames");
	memcpy(err, r->err, sizeof(err));
	bk_reader_close(r);
	if (!big) {
		zbad = zstd_decode(data, size, &zs) < 0;
		if (bad != zbad)
			fuzz_fail("bk %s, libzstd %s (%s)", bad ? "fails" :
			    "passes", zbad ? "fails" : "passes", bad ? err : "");
		if (!bad && (bk.len != zs.len ||
		    (bk.len > 0 && memcmp(bk.p, zs.p, bk.len) != 0)))
			fuzz_fail("bk and libzstd decode different bytes");
	}
	free(bk.p);
	free(zs.p);
	return 0;
}
