/*
 * fuzz-csv.c: the CSV reader, bk_csv_read, over a reader of the input.
 * The first byte chooses how it reads: bits 0-1 the size of each read,
 * 2-3 the separator (comma, semicolon, tab, detected), 4 two worker
 * threads, 5 a 1 KiB record limit; bits 6 and 7 with bit 0 of the second
 * byte a long input (slow, so not too often): after the input, its
 * records (those after the header line) again and again until the data
 * after the header ends on a chunk boundary of the reader (256 KiB, or
 * 512 KiB with bit 1 of the second byte), moved by the rest of that byte
 * taken as a signed offset (-32 to 31).
 * Properties: it returns, every record has the header's field count and
 * no NUL, and a success counts every record and every byte.
 */
#include "fuzz.h"
#include "format/format.h"

#define CHUNK	(256 * 1024)	/* csvread.c's */

struct long_reader {
	struct bk_reader	 r;
	const uint8_t		*p;
	size_t			 len;	/* the input */
	const uint8_t		*fill;	/* what follows it, again and again */
	size_t			 flen;
	size_t			 total;	/* bytes to give in all */
	size_t			 pos, step;
};

static ssize_t
long_read(struct bk_reader *r, void *buf, size_t n)
{
	struct long_reader *l = (struct long_reader *)r;
	const uint8_t *from;
	size_t k, got = 0, at;

	if (n > l->step)
		n = l->step;
	if (n > l->total - l->pos)
		n = l->total - l->pos;
	while (got < n) {
		if (l->pos < l->len) {
			k = l->len - l->pos;
			from = l->p + l->pos;
		} else {
			at = (l->pos - l->len) % l->flen;
			k = l->flen - at;
			from = l->fill + at;
		}
		if (k > n - got)
			k = n - got;
		memcpy((char *)buf + got, from, k);
		got += k;
		l->pos += k;
	}
	r->offset += got;
	return (ssize_t)got;
}

static struct bk_reader *
long_reader(const uint8_t *p, size_t len, size_t step, int k, int delta,
    size_t *total)
{
	static const uint8_t one[] = "1\n";
	struct long_reader *l = bk_calloc(1, sizeof(*l));
	const uint8_t *nl = memchr(p, '\n', len);
	size_t head = nl != NULL ? (size_t)(nl - p) + 1 : 0;
	long long t;

	l->r.read = long_read;
	l->r.close = fuzz_close;
	l->p = p;
	l->len = len;
	l->step = step;
	/* The records after the header line, again and again. */
	l->fill = head > 0 && head < len ? p + head : one;
	l->flen = head > 0 && head < len ? len - head : 2;
	t = (long long)head + (long long)k * CHUNK + delta;
	l->total = t < (long long)len ? len : (size_t)t;
	*total = l->total;
	return &l->r;
}

struct seen {
	size_t	ncols;
	int	have_header;
};

static void
check_fields(const struct bk_csv_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (f[i].null && f[i].len != 0)
			fuzz_fail("a NULL field of %zu bytes", f[i].len);
		if (f[i].len > 0 && memchr(f[i].p, '\0', f[i].len) != NULL)
			fuzz_fail("a field holds a NUL byte");
	}
}

static void
on_header(void *arg, const struct bk_csv_field *f, size_t n,
    struct bk_buf *out)
{
	struct seen *s = arg;

	if (s->have_header)
		fuzz_fail("header called twice");
	if (n == 0)
		fuzz_fail("a header of no field");
	s->have_header = 1;
	s->ncols = n;
	check_fields(f, n);
	(void)bk_buf_room(out, 0);
}

/* Worker threads may call this: it reads s->ncols, set before them. */
static void
on_record(void *arg, const struct bk_csv_field *f, size_t n,
    struct bk_buf *out)
{
	const struct seen *s = arg;

	if (n != s->ncols)
		fuzz_fail("a record of %zu fields, header %zu", n, s->ncols);
	check_fields(f, n);
	/* One byte a record: write's total counts them. */
	*bk_buf_room(out, 1) = 'r';
	out->len++;
}

static uint64_t written;

static void
on_write(void *arg, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	written += n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t steps[] = { 1, 7, 4096, SIZE_MAX };
	static const int seps[] = { ',', ';', '\t', BK_CSV_SEP_DETECT };
	struct bk_csv_ops ops = { on_header, on_record, on_write };
	struct bk_csv_result res;
	struct bk_csv_opts o;
	struct bk_reader *r;
	struct seen s;
	size_t total = 0;
	unsigned c;
	int rc;

	if (size < 2)
		return 0;
	c = data[0];
	memset(&o, 0, sizeof(o));
	o.name = "fuzz.csv";
	o.sep = seps[(c >> 2) & 3];
	o.threads = c & 0x10 ? 2 : 0;
	o.max_record = c & 0x20 ? 1024 : 0;
	if ((c & 0xc0) == 0xc0 && (data[1] & 1))
		r = long_reader(data + 2, size - 2, steps[c & 3] == 1 ? 4096 :
		    steps[c & 3], data[1] & 2 ? 2 : 1, (int8_t)data[1] / 4,
		    &total);
	else {
		r = fuzz_reader(data + 1, size - 1, steps[c & 3]);
		total = size - 1;
	}
	memset(&s, 0, sizeof(s));
	written = 0;
	rc = bk_csv_read(r, &o, &ops, &s, &res);
	bk_reader_close(r);
	if (rc != res.code)
		fuzz_fail("returned %d, result code %d", rc, res.code);
	if (rc == 0) {
		if (!s.have_header || res.fields != s.ncols)
			fuzz_fail("success without the header");
		if (res.records != written)
			fuzz_fail("%llu records counted, %llu written",
			    (unsigned long long)res.records,
			    (unsigned long long)written);
		if (res.bytes != total)
			fuzz_fail("%llu bytes read of %zu",
			    (unsigned long long)res.bytes, total);
	} else if (rc != BK_EX_DATAERR || res.err[0] == '\0')
		fuzz_fail("exit code %d, message \"%s\"", rc, res.err);
	return 0;
}
