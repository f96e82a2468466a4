/*
 * fuzz-gunzip.c: the gzip reader layer, bk_reader_gunzip, differentially
 * against zlib's own gzip decoding (inflate with the gzip wrapper, member
 * after member): one accepts exactly what the other accepts, with the
 * same bytes out.  An error is code 65 with a message, and stays.
 */
#include <zlib.h>

#include "fuzz.h"

#define MAX_OUT	(64u << 20)	/* beyond this, only bk's reader runs */

/* zlib's verdict: 0 and the bytes, or -1 (bad or truncated). */
static int
zlib_gunzip(const uint8_t *data, size_t size, struct fuzz_out *o)
{
	z_stream z;
	int ret = Z_OK, members = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + 15) != Z_OK)
		abort();
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)size;
	while (z.avail_in > 0) {
		if (members > 0 && inflateReset(&z) != Z_OK)
			abort();
		do {
			fuzz_out_room(o, 65536);
			z.next_out = o->p + o->len;
			z.avail_out = 65536;
			ret = inflate(&z, Z_NO_FLUSH);
			o->len += 65536 - z.avail_out;
			if (o->len > MAX_OUT)
				ret = Z_MEM_ERROR;
		} while (ret == Z_OK);
		if (ret != Z_STREAM_END)
			break;
		members++;
	}
	inflateEnd(&z);
	return members > 0 && ret == Z_STREAM_END ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_out bk = { NULL, 0, 0 }, zl = { NULL, 0, 0 };
	struct bk_reader *r;
	uint64_t in, members;
	char err[sizeof(r->err)];
	int bad, zbad, big;

	r = bk_reader_gunzip(fuzz_reader(data, size, fuzz_step(size)),
	    "fuzz.gz");
	bad = fuzz_drain(r, &bk, size, MAX_OUT, &big) < 0;
	bk_gunzip_stats(r, &in, &members);
	if (in > size || (!bad && !big && in != size))
		fuzz_fail("%llu bytes consumed of %zu",
		    (unsigned long long)in, size);
	if (!bad && !big && members == 0)
		fuzz_fail("success without a member");
	memcpy(err, r->err, sizeof(err));
	bk_reader_close(r);
	if (!big) {
		zbad = zlib_gunzip(data, size, &zl) < 0;
		if (bad != zbad)
			fuzz_fail("bk %s, zlib %s (%s)", bad ? "fails" : "passes",
			    zbad ? "fails" : "passes", bad ? err : "");
		if (!bad && (bk.len != zl.len ||
		    (bk.len > 0 && memcmp(bk.p, zl.p, bk.len) != 0)))
			fuzz_fail("bk and zlib decode different bytes");
	}
	free(bk.p);
	free(zl.p);
	return 0;
}
