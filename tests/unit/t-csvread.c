/* t-csvread.c: the CSV reader as other tools call it, over a bk_reader. */
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "tap.h"

/* A reader over a string, a few bytes at a time to stress the cutting. */
struct str_reader {
	struct bk_reader	 r;
	const char		*s;
	size_t			 len;
	size_t			 pos;
	size_t			 step;
};

static ssize_t
str_read(struct bk_reader *r, void *buf, size_t n)
{
	struct str_reader *s = (struct str_reader *)r;

	if (n > s->step)
		n = s->step;
	if (n > s->len - s->pos)
		n = s->len - s->pos;
	memcpy(buf, s->s + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static void
str_close(struct bk_reader *r)
{
	(void)r;
}

/* What the callbacks saw: fields as text, NULL as \N, records by |. */
struct seen {
	char	buf[4096];
	size_t	len;
};

static void
note(struct seen *s, const struct bk_csv_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			s->buf[s->len++] = ',';
		if (f[i].null) {
			memcpy(s->buf + s->len, "\\N", 2);
			s->len += 2;
		} else {
			s->buf[s->len++] = '[';
			memcpy(s->buf + s->len, f[i].p, f[i].len);
			s->len += f[i].len;
			s->buf[s->len++] = ']';
		}
	}
	s->buf[s->len++] = '|';
	s->buf[s->len] = '\0';
}

static void
on_header(void *arg, const struct bk_csv_field *f, size_t n,
    struct bk_buf *out)
{
	(void)out;
	note(arg, f, n);
}

static void
on_record(void *arg, const struct bk_csv_field *f, size_t n,
    struct bk_buf *out)
{
	/* Threads may call this: with threads, only count through out. */
	(void)arg;
	(void)f;
	*bk_buf_room(out, 1) = (char)('0' + n);
	out->len++;
}

static void
on_record_seen(void *arg, const struct bk_csv_field *f, size_t n,
    struct bk_buf *out)
{
	(void)out;
	note(arg, f, n);
}

static void
on_write(void *arg, const void *p, size_t n)
{
	struct seen *s = arg;

	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static int
read_sep(const char *text, size_t step, int threads, int each, int sep,
    const char *name, struct seen *seen, struct bk_csv_result *res)
{
	struct str_reader sr;
	struct bk_csv_opts o;
	struct bk_csv_ops ops = { on_header, each ? on_record_seen : on_record,
	    on_write };

	memset(&sr, 0, sizeof(sr));
	sr.r.read = str_read;
	sr.r.close = str_close;
	sr.s = text;
	sr.len = strlen(text);
	sr.step = step;
	memset(&o, 0, sizeof(o));
	o.name = name;
	o.sep = sep;
	o.threads = threads;
	memset(seen, 0, sizeof(*seen));
	return bk_csv_read(&sr.r, &o, &ops, seen, res);
}

static int
read_str(const char *text, size_t step, int threads, int each,
    struct seen *seen, struct bk_csv_result *res)
{
	return read_sep(text, step, threads, each, 0, "t.csv", seen, res);
}

int
main(void)
{
	struct bk_csv_result res;
	struct seen s;
	size_t step;
	int rc, allok;

	rc = read_str("a, b ,c\r\n1,\"x\"\"y\",\r\n\"\",\" \",\"l\nf\"", 4096, 1,
	    1, &s, &res);
	ok(rc == 0, "valid input reads");
	is_str(s.buf, "[a],[ b ],[c]|[1],[x\"y],\\N|[],[ ],[l\nf]|",
	    "fields keep spaces, quotes undone, NULL apart from \"\"");
	ok(res.records == 2 && res.fields == 3, "2 records of 3 fields");

	allok = 1;
	for (step = 1; step < 12; step++) {
		rc = read_str("\xef\xbb\xbfh\n1\n\n\"\"\n", step, 1, 1, &s,
		    &res);
		allok &= rc == 0 && strcmp(s.buf, "[h]|[1]|\\N|[]|") == 0;
	}
	ok(allok, "BOM and blank lines, whatever the read sizes");

	rc = read_str("a,b\n1,2\n3,4\n5,6\n", 3, 4, 0, &s, &res);
	ok(rc == 0 && strcmp(s.buf, "[a],[b]|222") == 0,
	    "threads: output in order");
	ok(res.records == 3, "threads: 3 records");

	rc = read_str("a,b\n1,2\n3\n", 2, 1, 0, &s, &res);
	ok(rc == BK_EX_DATAERR, "ragged: 65");
	is_str(res.err, "\"t.csv\" line 3, column 2: record has 1 field, "
	    "the header has 2", "ragged: line and column");
	ok(strcmp(s.buf, "[a],[b]|") == 0,
	    "nothing of the bad chunk is written");

	rc = read_str("", 10, 1, 0, &s, &res);
	ok(rc == BK_EX_DATAERR && strstr(res.err, "empty input") != NULL,
	    "empty input: 65");
	rc = read_str("a\n\"x", 10, 1, 0, &s, &res);
	ok(rc == BK_EX_DATAERR && strstr(res.err, "line 2, column 1: quoted "
	    "field not closed") != NULL, "unterminated quote: where it opened");

	/* Separators other than the comma, given or found in the header. */
	rc = read_sep("a;b\n1,5;\"x;y\"\n", 4096, 1, 1, ';', "t.csv", &s,
	    &res);
	ok(rc == 0 && strcmp(s.buf, "[a],[b]|[1,5],[x;y]|") == 0 &&
	    res.sep == ';', "semicolon given: commas are data");
	rc = read_sep("a;b\n1,5;2\n", 4096, 1, 1, 0, "t.csv", &s, &res);
	ok(rc == BK_EX_DATAERR && res.sep == ',',
	    "separator 0 is the comma, as bk-csv wants");
	allok = 1;
	for (step = 1; step < 9; step++) {
		rc = read_sep("\xef\xbb\xbf\"a;b\";c;d,e\r\n1;2;3,5\r\n", step,
		    1, 1, BK_CSV_SEP_DETECT, "t.csv", &s, &res);
		allok &= rc == 0 && res.sep == ';' && res.records == 1 &&
		    strcmp(s.buf, "[a;b],[c],[d,e]|[1],[2],[3,5]|") == 0;
	}
	ok(allok, "detect: BOM, the most frequent outside quotes, any reads");
	rc = read_sep("a\tb\tc\n1\t2\t3\n4\t5\t6\n", 4096, 4, 0,
	    BK_CSV_SEP_DETECT, "t.csv", &s, &res);
	ok(rc == 0 && res.sep == '\t' && res.records == 2, "detect: tab");
	rc = read_sep("a;b,c\n1;2,3\n", 4096, 1, 0, BK_CSV_SEP_DETECT,
	    "t.csv", &s, &res);
	ok(rc == 0 && res.sep == ',', "detect: comma on a tie");
	rc = read_sep("id\n1\n", 4096, 1, 0, BK_CSV_SEP_DETECT, "t.csv", &s,
	    &res);
	ok(rc == 0 && res.sep == ',' && res.records == 1,
	    "detect: one column is comma CSV");
	rc = read_sep("a;b;c\n1;2\n", 4096, 1, 0, BK_CSV_SEP_DETECT, "", &s,
	    &res);
	is_str(res.err, "line 2, column 4: record has 2 fields, the header "
	    "has 3", "an empty name leaves the name out");
	return tap_done();
}
