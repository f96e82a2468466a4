/*
 * t-gunzip.c: the gunzip reader layer on members made here with zlib:
 * every optional header field, the header CRC, reads of any size over
 * input that arrives a byte at a time, and errors from the layer below.
 */
#include <stdlib.h>
#include <string.h>

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

	free(data);
	free(gz);
	free(out);
	return tap_done();
}
