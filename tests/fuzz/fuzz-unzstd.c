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
zstd_decode(const uint8_t *data, size_t size, struct fuzz_out *o)
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
			fuzz_out_room(o, 65536);
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
	struct fuzz_out bk = { NULL, 0, 0 }, zs = { NULL, 0, 0 };
	struct bk_reader *r;
	uint64_t in, frames, skippable;
	char err[sizeof(r->err)];
	int bad, zbad, big;

	r = bk_reader_unzstd(fuzz_reader(data, size, fuzz_step(size)),
	    "fuzz.zst");
	bad = fuzz_drain(r, &bk, size, MAX_OUT, &big) < 0;
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
