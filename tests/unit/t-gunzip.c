/*
 * t-gunzip.c: the gunzip reader layer on members made here with zlib:
 * every optional header field, the header CRC, reads of any size over
 * input that arrives a byte at a time, and errors from the layer below;
 * and on members as bk-gz writes them (bk_gz_header, libdeflate), which
 * the layer takes whole.
 */
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

#include "stream/stream.h"
#include "memreader.h"
#include "tap.h"

static struct bk_reader *
gunzip_over(const unsigned char *p, size_t len, size_t chunk, size_t fail_at)
{
	return bk_reader_gunzip(mem_reader(p, len, chunk, fail_at), "mem");
}

/* Appends a gzip member of data to out, with every header field if full. */
static size_t
make_member(unsigned char *out, size_t cap, const unsigned char *data,
    size_t len, int full)
{
	static unsigned char extra[] = "AB\004\000xyzw";
	z_stream z;
	gz_header h;

	memset(&z, 0, sizeof(z));
	memset(&h, 0, sizeof(h));
	deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	if (full) {
		h.extra = extra;
		h.extra_len = 8;
		h.name = (Bytef *)"backup_2024_09.csv";
		h.comment = (Bytef *)"monthly export";
		h.hcrc = 1;
		deflateSetHeader(&z, &h);
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	len = cap - z.avail_out;
	deflateEnd(&z);
	return len;
}

/* Appends a member as bk-gz writes it: bk's header, libdeflate's data. */
static size_t
make_bk_member(unsigned char *out, size_t cap, const unsigned char *data,
    size_t len)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
	size_t n;
	uint32_t crc = libdeflate_crc32(0, data, len);

	n = libdeflate_deflate_compress(c, data, len, out + BK_GZ_HEADER,
	    cap - BK_GZ_HEADER - BK_GZ_TRAILER);
	libdeflate_free_compressor(c);
	bk_gz_header(out, 0, (uint32_t)(BK_GZ_HEADER + n + 8));
	bk_gz_trailer(out + BK_GZ_HEADER + n, crc, (uint32_t)len);
	return BK_GZ_HEADER + n + BK_GZ_TRAILER;
}

int
main(void)
{
	enum { DATA = 300000, CAP = 700000 };
	unsigned char *data = bk_malloc(DATA), *gz = bk_malloc(CAP);
	unsigned char *out = bk_malloc(CAP);
	struct bk_reader *r;
	uint64_t in, members;
	size_t len, one, i;
	ssize_t got;
	uint32_t x = 1;

	/* Half text, half noise: both of deflate's kinds of block. */
	for (i = 0; i < DATA; i++) {
		x = x * 1103515245 + 12345;
		data[i] = i < DATA / 2 ? "0123456789,;\n"[i % 13] :
		    (unsigned char)(x >> 16);
	}

	one = make_member(gz, CAP, data, DATA, 1);
	ok(gz[3] == 0x1e, "the member has FHCRC, FEXTRA, FNAME, FCOMMENT");
	r = gunzip_over(gz, one, 1, 0);
	got = drain(r, out, CAP, 1);
	ok(got == DATA && memcmp(out, data, DATA) == 0,
	    "all header fields, input and output a byte at a time");
	ok(r->offset == DATA, "offset counts the bytes returned");
	bk_gunzip_stats(r, &in, &members);
	ok(in == one && members == 1, "stats: %ju bytes in, %ju members",
	    (uintmax_t)in, (uintmax_t)members);
	ok(r->read(r, out, 10) == 0, "the end stays the end");
	bk_reader_close(r);

	r = gunzip_over(gz, one, 100000, 0);
	got = drain(r, out, CAP, 65536);
	ok(got == DATA && memcmp(out, data, DATA) == 0, "large reads");
	bk_reader_close(r);

	/* The header CRC covers the header: break one byte of the name. */
	gz[30] ^= 1;
	r = gunzip_over(gz, one, 7, 0);
	ok(drain(r, out, CAP, 100) < 0 && r->code == BK_EX_DATAERR,
	    "a changed header fails its CRC");
	ok(strstr(r->err, "\"mem\": bad gzip header CRC at byte") != NULL,
	    "message: %s", r->err);
	ok(r->read(r, out, 10) < 0, "an error stays an error");
	bk_reader_close(r);
	gz[30] ^= 1;

	/* Three members: full header, empty data, plain header. */
	len = one;
	len += make_member(gz + len, CAP - len, data, 0, 0);
	len += make_member(gz + len, CAP - len, data, 1000, 0);
	r = gunzip_over(gz, len, 4096, 0);
	got = drain(r, out, CAP, 5000);
	ok(got == DATA + 1000 && memcmp(out, data, DATA) == 0 &&
	    memcmp(out + DATA, data, 1000) == 0, "three members, one empty");
	bk_gunzip_stats(r, &in, &members);
	ok(in == len && members == 3, "stats count the members");
	bk_reader_close(r);

	/* An error below is passed on with its code and message. */
	r = gunzip_over(gz, one, 1000, 5000);
	ok(drain(r, out, CAP, 4096) < 0 && r->code == BK_EX_IOERR,
	    "an I/O error below keeps its code");
	is_str(r->err, "could not read \"mem\"", "and its message");
	bk_reader_close(r);

	/* Truncation and corruption name the offset. */
	r = gunzip_over(gz, one - 3, 1000, 0);
	ok(drain(r, out, CAP, 4096) < 0 && r->code == BK_EX_DATAERR,
	    "a cut member fails");
	ok(strstr(r->err, "truncated gzip input at byte") != NULL &&
	    strtoull(strrchr(r->err, ' ') + 1, NULL, 10) == one - 3,
	    "message: %s", r->err);
	bk_reader_close(r);

	r = gunzip_over(gz, 0, 1000, 0);
	ok(r->read(r, out, 10) < 0, "empty input fails");
	is_str(r->err, "\"mem\": not gzip data (empty input) at byte 0",
	    "empty input message");
	bk_reader_close(r);

	/*
	 * bk's members: one of noise larger than the input buffer, an empty
	 * one, a zlib one, a small one; read in every way.
	 */
	{
		enum { BIG = 600000, BCAP = 2 * BIG };
		unsigned char *big = bk_malloc(BIG), *bgz = bk_malloc(BCAP);
		unsigned char *bout = bk_malloc(BCAP);
		size_t m1, blen, want = BIG + 1000 + 5000;
		static const size_t chunks[] = { 1, 777, 65536, BCAP };
		static const size_t reads[] = { 1, 4096, BIG + 6000 };
		size_t c, k;

		for (i = 0; i < BIG; i++) {
			x = x * 1103515245 + 12345;
			big[i] = (unsigned char)(x >> 16);
		}
		m1 = make_bk_member(bgz, BCAP, big, BIG);
		ok(m1 > 256 * 1024 && bgz[3] == 0x04 && bgz[12] == 'B' &&
		    bgz[13] == 'K', "a bk member of %zu bytes, with its field",
		    m1);
		blen = m1;
		blen += make_bk_member(bgz + blen, BCAP - blen, data, 0);
		blen += make_member(bgz + blen, BCAP - blen, data, 1000, 0);
		blen += make_bk_member(bgz + blen, BCAP - blen, data, 5000);
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
			for (k = 0; k < sizeof(reads) / sizeof(reads[0]); k++) {
				r = gunzip_over(bgz, blen, chunks[c], 0);
				got = drain(r, bout, BCAP, reads[k]);
				ok(got == (ssize_t)want &&
				    memcmp(bout, big, BIG) == 0 &&
				    memcmp(bout + BIG, data, 1000) == 0 &&
				    memcmp(bout + BIG + 1000, data, 5000) == 0,
				    "bk members, input by %zu, reads of %zu",
				    chunks[c], reads[k]);
				bk_gunzip_stats(r, &in, &members);
				ok(in == blen && members == 4,
				    "stats: %ju in, %ju members",
				    (uintmax_t)in, (uintmax_t)members);
				bk_reader_close(r);
			}

		/* An error below while the member is taken whole. */
		r = gunzip_over(bgz, blen, 1000, 100000);
		ok(drain(r, bout, BCAP, BCAP) < 0 && r->code == BK_EX_IOERR,
		    "an I/O error below a whole member keeps its code");
		bk_reader_close(r);
		/* A member cut short streams and says where it ends. */
		r = gunzip_over(bgz, m1 - 100, 4096, 0);
		ok(drain(r, bout, BCAP, BCAP) < 0 &&
		    r->code == BK_EX_DATAERR && strtoull(strrchr(r->err,
		    ' ') + 1, NULL, 10) == m1 - 100, "cut: %s", r->err);
		bk_reader_close(r);
		/* A wrong CRC is found, whichever decoder finds it. */
		bgz[m1 - 8] ^= 1;
		r = gunzip_over(bgz, blen, 4096, 0);
		ok(drain(r, bout, BCAP, BCAP) < 0 &&
		    strstr(r->err, "bad CRC in member ending") != NULL,
		    "bad CRC: %s", r->err);
		bk_reader_close(r);
		free(big);
		free(bgz);
		free(bout);
	}

	free(data);
	free(gz);
	free(out);
	return tap_done();
}
