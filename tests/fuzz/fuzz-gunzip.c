/*
 * fuzz-gunzip.c: the gzip reader layer, bk_reader_gunzip, differentially
 * against zlib's own gzip decoding (inflate with the gzip wrapper, member
 * after member): one accepts exactly what the other accepts, with the
 * same bytes out.  An error is code 65 with a message, and stays.
 */
#include <zlib.h>

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

/* zlib's verdict: 0 and the bytes, or -1 (bad or truncated). */
static int
zlib_gunzip(const uint8_t *data, size_t size, struct out *o)
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
			out_room(o, 65536);
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
	static const size_t sizes[] = { 4096, 1, 65536, 13, 300000 };
	struct out bk = { NULL, 0, 0 }, zl = { NULL, 0, 0 };
	struct bk_reader *r;
	uint64_t in, members;
	char err[sizeof(r->err)];
	ssize_t got;
	size_t i, want;
	int bad = 0, zbad, big = 0;

	r = bk_reader_gunzip(fuzz_reader(data, size, fuzz_step(size)),
	    "fuzz.gz");
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
