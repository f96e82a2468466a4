/*
 * csvread.c: strict RFC 4180 reading over libcsv, streaming and parallel.
 *
 * libcsv parses one byte at a time, which is the slow part of any CSV
 * tool.  So the input is cut into chunks of whole records and the chunks
 * are parsed by worker threads, each with its own parser, the way pigz
 * compresses blocks; the outputs are written in input order.  Cutting is
 * cheap and safe: in valid CSV a double quote opens a quoted field, closes
 * it, or is half of a doubled quote, so a line break is outside quotes
 * exactly when the number of quotes before it is even.  Where the input is
 * invalid, the first error lies in a chunk whose start is still right, so
 * the error reported (always the first in input order) is the true one.
 *
 * libcsv's defaults are bent to RFC 4180: a space function that calls
 * nothing a space (it would trim unquoted fields), strict mode (a quote in
 * an unquoted field, or text after a closing quote, is an error),
 * CSV_STRICT_FINI (an unterminated quote at the end is an error),
 * CSV_EMPTY_IS_NULL (to tell an unquoted empty field from ""), and
 * CSV_REPALL_NL (a blank line is a record, not skipped).  libcsv reports
 * no positions: the parser keeps none in the fast path, and after an error
 * the chunk is parsed again a byte at a time to find where it happened.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "format/format.h"

#define CHUNK		(256 * 1024)	/* bytes handed to a worker */
#define PARSE_OPTS	(CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | \
			 CSV_EMPTY_IS_NULL)

enum { FREE, READY, BUSY, DONE };

struct chunk {
	char		*in;		/* whole records */
	size_t		 len;
	size_t		 size;
	int		 final;		/* the end of the input */
	int		 header;	/* holds the header record only */
	int		 state;
	struct bk_buf out;
	uint64_t	 records;
	uint64_t	 lfs;		/* line feeds in in[0..len) */
	int		 code;		/* error: exit code, else 0 */
	size_t		 erroff;	/* error: offset in the chunk */
	char		 msg[200];	/* error: text without position */
};

struct ctx;

struct worker {
	struct ctx		*c;
	struct csv_parser	 p;
	struct chunk		*ch;
	char			*rec;	/* the values of the current record */
	size_t			 reclen;
	size_t			 recsize;
	struct bk_csv_field	*f;
	size_t			 nf;
	size_t			 fsize;
	int			 have_header;
	int			 prev_cr;	/* last record ended with CR */
	int			 locating;	/* second pass: no callbacks */
	int			 failed;	/* a record was wrong: msg */
	char			 msg[200];
	pthread_t		 tid;
};

struct ctx {
	const struct bk_csv_opts *o;
	const struct bk_csv_ops	*ops;
	void			*arg;
	size_t			 ncols;
	size_t			 max;
	struct chunk		*slots;
	int			 nslots;
	struct worker		*w;	/* w[0] is the calling thread's */
	int			 nthreads;
	uint64_t		 seq_take;	/* next chunk for a worker */
	uint64_t		 seq_fill;	/* chunks handed out so far */
	int			 quit;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;	/* a chunk is ready, or quit */
	pthread_cond_t		 done;	/* a chunk is done */
	uint64_t		 lines;	/* line feeds before the next retire */
	int			 sep;	/* the field separator in use */
	struct bk_csv_result	*res;
};

/* A space function under which nothing is a space: spaces are data. */
static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void
parser_init(struct csv_parser *p, int sep)
{
	if (csv_init(p, PARSE_OPTS) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not set up the CSV parser");
	csv_set_space_func(p, no_space);
	csv_set_delim(p, (unsigned char)sep);
	/* libcsv grows its field buffer linearly, by this much at a time. */
	csv_set_blk_size(p, 64 * 1024);
}

/*
 * The separator of a header line: the most frequent of comma, semicolon
 * and tab outside quotes (comma on a tie, and when there is none), so that
 * the semicolon CSV that spreadsheets write in comma-decimal locales and
 * tab-separated exports read as well as plain CSV.
 */
static int
detect_sep(const char *s, size_t n)
{
	size_t i, comma = 0, semi = 0, tab = 0;
	int inq = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			inq = !inq;
		else if (inq)
			continue;
		else if (s[i] == '\n' || s[i] == '\r')
			break;
		else if (s[i] == ',')
			comma++;
		else if (s[i] == ';')
			semi++;
		else if (s[i] == '\t')
			tab++;
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

static const uint64_t ONES = 0x0101010101010101ULL;
static const uint64_t LOWS = 0x7f7f7f7f7f7f7f7fULL;

/* 0x80 in each byte of w that is zero, nothing elsewhere. */
static inline uint64_t
zero_bytes(uint64_t w)
{
	return ~(((w & LOWS) + LOWS) | w | LOWS);
}

/* Counts the bytes equal to c, eight at a time. */
static size_t
count_byte(const char *s, size_t n, unsigned char c)
{
	uint64_t pat = ONES * c, w;
	size_t i = 0, count = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		count += (size_t)(((zero_bytes(w ^ pat) >> 7) * ONES) >> 56);
	}
	for (; i < n; i++)
		count += (unsigned char)s[i] == c;
	return count;
}

/*
 * The offset of the first byte that is not part of valid UTF-8, or is NUL;
 * n if there is none.  Counts the line feeds before it on the way (the
 * next chunk's line numbers need them).  ASCII goes eight bytes at a time.
 */
static size_t
utf8_check(const char *str, size_t n, uint64_t *lfs)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;
	uint64_t w, lf = 0;
	unsigned c;

	*lfs = 0;
	while (i < n) {
		if (i + 8 <= n) {
			memcpy(&w, s + i, 8);
			if (((w | zero_bytes(w)) & ~LOWS) == 0) {
				lf += ((zero_bytes(w ^ (ONES * '\n')) >> 7) *
				    ONES) >> 56;
				i += 8;
				continue;
			}
		}
		c = s[i];
		if (c == 0)
			break;
		if (c < 0x80) {
			lf += c == '\n';
			i++;
			continue;
		}
		if ((k = bk_utf8_seq(s + i, n - i)) == 0)
			break;
		i += k;
	}
	*lfs = lf;
	return i;
}

static void
worker_fail(struct worker *w, const char *fmt, ...) BK_PRINTF(2, 3);

static void
worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = 1;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
}

static void
push_field(struct worker *w, const void *s, size_t len, int null)
{
	struct bk_csv_field *f;

	if (w->nf == w->fsize) {
		w->fsize = w->fsize ? w->fsize * 2 : 64;
		w->f = bk_reallocarray(w->f, w->fsize, sizeof(*w->f));
	}
	/* The record buffer holds a whole chunk: it never moves mid-record. */
	f = &w->f[w->nf++];
	f->p = w->rec + w->reclen;
	f->len = len;
	f->null = null;
	if (len > 0)
		memcpy(w->rec + w->reclen, s, len);
	w->reclen += len;
}

static void
on_field(void *s, size_t len, void *data)
{
	struct worker *w = data;

	if (w->failed)
		return;
	if (w->reclen + len > w->c->max) {
		char sz[32];

		bk_format_size(sz, sizeof(sz), w->c->max);
		worker_fail(w, "record longer than %s", sz);
		return;
	}
	push_field(w, s, len, s == NULL);
}

static void
on_record(int c, void *data)
{
	struct worker *w = data;
	struct ctx *x = w->c;

	if (w->failed)
		return;
	if (w->nf == 0) {
		/* With CSV_REPALL_NL, the LF of a CRLF ends an empty record. */
		if (c == '\n' && w->prev_cr) {
			w->prev_cr = 0;
			return;
		}
		/* A blank line: one empty unquoted field. */
		push_field(w, NULL, 0, 1);
	}
	w->prev_cr = c == '\r';
	if (!w->have_header) {
		w->have_header = 1;
		if (!w->locating) {
			x->ncols = w->nf;
			if (x->ops->header != NULL)
				x->ops->header(x->arg, w->f, w->nf,
				    &w->ch->out);
		}
	} else if (w->nf != x->ncols) {
		worker_fail(w, "record has %zu field%s, the header has %zu",
		    w->nf, w->nf == 1 ? "" : "s", x->ncols);
		return;
	} else if (!w->locating) {
		w->ch->records++;
		if (x->ops->record != NULL)
			x->ops->record(x->arg, w->f, w->nf, &w->ch->out);
	}
	w->nf = 0;
	w->reclen = 0;
}

static void
worker_reset(struct worker *w, struct chunk *ch)
{
	w->ch = ch;
	w->nf = 0;
	w->reclen = 0;
	w->prev_cr = 0;
	w->failed = 0;
	w->have_header = !ch->header;
	if (w->recsize < ch->len + 1) {
		w->recsize = ch->len + 1;
		w->rec = bk_realloc(w->rec, w->recsize);
	}
}

/*
 * Parses ch->in[0..limit) again, a byte at a time with a fresh parser, to
 * find the offset of the byte at which the first record went wrong; also
 * stores where the last quoted field still open began (for an unterminated
 * quote).  Returns limit if nothing went wrong before it.
 */
static size_t
locate(struct worker *w, struct chunk *ch, size_t limit, size_t *open)
{
	struct csv_parser p;
	size_t i;
	int quoted = 0;

	parser_init(&p, w->c->sep);
	worker_reset(w, ch);
	w->locating = 1;
	*open = 0;
	for (i = 0; i < limit; i++) {
		if (csv_parse(&p, ch->in + i, 1, on_field, on_record, w) != 1)
			break;
		if (w->failed)
			break;
		if (p.quoted && !quoted)
			*open = i;
		quoted = p.quoted;
	}
	w->locating = 0;
	csv_free(&p);
	return i;
}

static void
chunk_fail(struct chunk *ch, int code, size_t off, const char *msg)
{
	ch->code = code;
	ch->erroff = off;
	snprintf(ch->msg, sizeof(ch->msg), "%s", msg);
}

/* The message for libcsv's strict error at ch->in[off]. */
static void
parse_error(struct worker *w, struct chunk *ch, size_t off)
{
	if (csv_error(&w->p) == CSV_ENOMEM || csv_error(&w->p) == CSV_ETOOBIG)
		chunk_fail(ch, BK_EX_SOFTWARE, off, "out of memory");
	else if (off < ch->len && ch->in[off] == '"')
		chunk_fail(ch, BK_EX_DATAERR, off,
		    "quote in an unquoted field");
	else
		chunk_fail(ch, BK_EX_DATAERR, off,
		    "text after the closing quote of a field");
}

/* Parses one chunk; errors go to ch->code, ch->erroff and ch->msg. */
static void
process_chunk(struct worker *w, struct chunk *ch)
{
	size_t u, n, off, open;
	char m[64];

	ch->out.len = 0;
	ch->records = 0;
	ch->code = 0;
	worker_reset(w, ch);
	u = utf8_check(ch->in, ch->len, &ch->lfs);
	n = csv_parse(&w->p, ch->in, u, on_field, on_record, w);
	if (w->failed) {
		snprintf(ch->msg, sizeof(ch->msg), "%s", w->msg);
		off = locate(w, ch, n < u ? n + 1 : u, &open);
		chunk_fail(ch, BK_EX_DATAERR, off, w->failed ? w->msg :
		    ch->msg);
		return;
	}
	if (n < u) {
		parse_error(w, ch, n);
		return;
	}
	if (u < ch->len) {
		if (ch->in[u] == '\0')
			snprintf(m, sizeof(m), "NUL byte");
		else
			snprintf(m, sizeof(m), "invalid UTF-8 (byte 0x%02X)",
			    (unsigned char)ch->in[u]);
		chunk_fail(ch, BK_EX_DATAERR, u, m);
		return;
	}
	if (!ch->final)
		return;
	if (csv_fini(&w->p, on_field, on_record, w) != 0) {
		locate(w, ch, ch->len, &open);
		chunk_fail(ch, BK_EX_DATAERR, open,
		    "quoted field not closed before the end of the input");
		/* The failed fini left the parser mid-field. */
		csv_free(&w->p);
		parser_init(&w->p, w->c->sep);
		return;
	}
	if (w->failed)
		chunk_fail(ch, BK_EX_DATAERR, ch->len, w->msg);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct ctx *x = w->c;
	struct chunk *ch;

	pthread_mutex_lock(&x->mu);
	for (;;) {
		while (!x->quit && x->seq_take == x->seq_fill)
			pthread_cond_wait(&x->work, &x->mu);
		if (x->quit)
			break;
		ch = &x->slots[x->seq_take++ % (uint64_t)x->nslots];
		ch->state = BUSY;
		pthread_mutex_unlock(&x->mu);
		process_chunk(w, ch);
		pthread_mutex_lock(&x->mu);
		ch->state = DONE;
		pthread_cond_broadcast(&x->done);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/*
 * Where a record boundary lies: just after a line feed, or after a
 * carriage return not followed by a line feed, with an even number of
 * quotes before it.  first: the first boundary (for the header), else the
 * last.  Returns 0 if there is none in s[0..n).
 */
static size_t
find_boundary(const char *s, size_t n, int first)
{
	size_t i, q;
	int odd = 0;

	if (first) {
		for (i = 0; i < n; i++) {
			if (s[i] == '"')
				odd ^= 1;
			else if (!odd && (s[i] == '\n' || (s[i] == '\r' &&
			    i + 1 < n && s[i + 1] != '\n')))
				return i + 1;
		}
		return 0;
	}
	q = count_byte(s, n, '"');
	odd = q & 1;
	for (i = n; i-- > 0;) {
		if (s[i] == '"')
			odd ^= 1;
		else if (!odd && (s[i] == '\n' || (s[i] == '\r' &&
		    i + 1 < n && s[i + 1] != '\n')))
			return i + 1;
	}
	return 0;
}

/* Column of ch->in[off]: characters since the last line feed, from 1. */
static void
position(const struct chunk *ch, size_t off, uint64_t *line, uint64_t *col)
{
	size_t i, start = 0;
	uint64_t lf = 0, c = 1;

	for (i = 0; i < off && i < ch->len; i++)
		if (ch->in[i] == '\n') {
			lf++;
			start = i + 1;
		}
	for (i = start; i < off && i < ch->len; i++)
		if (((unsigned char)ch->in[i] & 0xc0) != 0x80)
			c++;
	*line += lf;
	*col = c;
}

static int
fail_at(struct ctx *x, int code, uint64_t line, uint64_t col, const char *msg)
{
	const char *name = x->o->name != NULL ? x->o->name : "(stdin)";
	int q = name[0] != '(';

	x->res->code = code;
	if (name[0] == '\0')
		snprintf(x->res->err, sizeof(x->res->err),
		    "line %llu, column %llu: %s", (unsigned long long)line,
		    (unsigned long long)col, msg);
	else
		snprintf(x->res->err, sizeof(x->res->err),
		    "%s%s%s line %llu, column %llu: %s", q ? "\"" : "", name,
		    q ? "\"" : "", (unsigned long long)line,
		    (unsigned long long)col, msg);
	return code;
}

/* Waits for the oldest chunk, writes its output or reports its error. */
static int
retire(struct ctx *x, uint64_t seq)
{
	struct chunk *ch = &x->slots[seq % (uint64_t)x->nslots];
	uint64_t line, col;

	if (x->nthreads > 0) {
		pthread_mutex_lock(&x->mu);
		while (ch->state != DONE)
			pthread_cond_wait(&x->done, &x->mu);
		pthread_mutex_unlock(&x->mu);
	}
	ch->state = FREE;
	if (ch->code != 0) {
		line = x->lines + 1;
		position(ch, ch->erroff, &line, &col);
		return fail_at(x, ch->code, line, col, ch->msg);
	}
	if (ch->out.len > 0 && x->ops->write != NULL)
		x->ops->write(x->arg, ch->out.p, ch->out.len);
	x->res->records += ch->records;
	x->lines += ch->lfs;
	return 0;
}

static void
dispatch(struct ctx *x, struct chunk *ch)
{
	if (x->nthreads == 0 || ch->header) {
		ch->state = BUSY;
		process_chunk(&x->w[0], ch);
		ch->state = DONE;
		/* Keeps the workers' sequence in step with the main one. */
		if (x->nthreads > 0)
			pthread_mutex_lock(&x->mu);
		x->seq_fill++;
		x->seq_take++;
		if (x->nthreads > 0)
			pthread_mutex_unlock(&x->mu);
		return;
	}
	pthread_mutex_lock(&x->mu);
	ch->state = READY;
	x->seq_fill++;
	pthread_cond_signal(&x->work);
	pthread_mutex_unlock(&x->mu);
}

/* Before any chunk is parsed: every parser splits at sep. */
static void
set_sep(struct ctx *x, int sep)
{
	int i;

	x->sep = sep;
	x->res->sep = sep;
	for (i = 0; i <= x->nthreads; i++)
		csv_set_delim(&x->w[i].p, (unsigned char)sep);
}

static void
ensure(char **p, size_t *size, size_t need)
{
	if (*size < need) {
		*size = need;
		*p = bk_realloc(*p, *size);
	}
}

static int
read_chunks(struct ctx *x, struct bk_reader *r)
{
	char *carry = NULL;
	size_t clen = 0, csize = 0, target, b, want;
	uint64_t retired = 0;
	struct chunk *ch;
	ssize_t got;
	int eof = 0, first = 1, rc = 0, bom_checked = 0;

	while (!(eof && clen == 0) || first) {
		if (x->seq_fill - retired == (uint64_t)x->nslots)
			if ((rc = retire(x, retired++)) != 0)
				goto out;
		ch = &x->slots[x->seq_fill % (uint64_t)x->nslots];
		ch->header = first;
		target = first ? 4096 : CHUNK;
		ensure(&ch->in, &ch->size, clen + target);
		if (clen > 0)
			memcpy(ch->in, carry, clen);
		ch->len = clen;
		clen = 0;
		for (;;) {
			while (!eof && ch->len < target) {
				want = target - ch->len;
				got = r->read(r, ch->in + ch->len, want);
				if (got < 0) {
					while (retired < x->seq_fill)
						if ((rc = retire(x,
						    retired++)) != 0)
							goto out;
					x->res->code = r->code;
					snprintf(x->res->err,
					    sizeof(x->res->err), "%s", r->err);
					rc = r->code;
					goto out;
				}
				if (got == 0)
					eof = 1;
				ch->len += (size_t)got;
				x->res->bytes += (uint64_t)got;
				if (x->o->progress != NULL)
					bk_progress_add(x->o->progress,
					    (uint64_t)got);
				if (!bom_checked && (ch->len >= 3 || eof)) {
					bom_checked = 1;
					if (ch->len >= 3 && memcmp(ch->in,
					    "\xef\xbb\xbf", 3) == 0) {
						memmove(ch->in, ch->in + 3,
						    ch->len - 3);
						ch->len -= 3;
					}
				}
			}
			if (first && eof && ch->len == 0) {
				rc = fail_at(x, BK_EX_DATAERR, 1, 1,
				    "empty input, no header");
				goto out;
			}
			/* At the end, the rest is one last chunk. */
			b = eof && !first ? ch->len :
			    find_boundary(ch->in, ch->len, first);
			if (b == 0 && eof)
				b = ch->len;
			/*
			 * Input that ended on a chunk's boundary leaves an
			 * empty last chunk: it still goes out, to finish.
			 */
			if (b > 0 || eof)
				break;
			if (ch->len > x->max) {
				char sz[32], m[80];

				while (retired < x->seq_fill)
					if ((rc = retire(x, retired++)) != 0)
						goto out;
				bk_format_size(sz, sizeof(sz), x->max);
				snprintf(m, sizeof(m), "record longer than %s "
				    "(is a quote not closed?)", sz);
				rc = fail_at(x, BK_EX_DATAERR, x->lines + 1, 1,
				    m);
				goto out;
			}
			/* One record does not fit: read more of it. */
			target = ch->len * 2 > x->max + 1 ? x->max + 1 :
			    ch->len * 2;
			ensure(&ch->in, &ch->size, target);
		}
		clen = ch->len - b;
		if (clen > 0) {
			ensure(&carry, &csize, clen);
			memcpy(carry, ch->in + b, clen);
		}
		ch->len = b;
		ch->final = eof && clen == 0;
		/* The header is parsed first, in this thread: set it now. */
		if (first && x->o->sep == BK_CSV_SEP_DETECT)
			set_sep(x, detect_sep(ch->in, ch->len));
		dispatch(x, ch);
		if (first) {
			first = 0;
			if ((rc = retire(x, retired++)) != 0)
				goto out;
			x->res->fields = x->ncols;
		}
	}
	while (retired < x->seq_fill)
		if ((rc = retire(x, retired++)) != 0)
			goto out;
out:
	free(carry);
	return rc;
}

int
bk_csv_read(struct bk_reader *r, const struct bk_csv_opts *o,
    const struct bk_csv_ops *ops, void *arg, struct bk_csv_result *res)
{
	struct ctx x;
	int i, rc, started = 0;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.ops = ops;
	x.arg = arg;
	x.res = res;
	x.max = o->max_record > 0 ? o->max_record : BK_CSV_MAX_RECORD;
	x.sep = o->sep == ';' || o->sep == '\t' ? o->sep : ',';
	res->sep = x.sep;
	x.nthreads = o->threads > 1 ? o->threads : 0;
	if (x.nthreads > BK_MAX_THREADS)
		x.nthreads = BK_MAX_THREADS;
	x.nslots = x.nthreads > 0 ? 2 * x.nthreads : 1;
	x.slots = bk_calloc((size_t)x.nslots, sizeof(*x.slots));
	x.w = bk_calloc((size_t)x.nthreads + 1, sizeof(*x.w));
	for (i = 0; i <= x.nthreads; i++) {
		x.w[i].c = &x;
		parser_init(&x.w[i].p, x.sep);
	}
	if (x.nthreads > 0) {
		pthread_mutex_init(&x.mu, NULL);
		pthread_cond_init(&x.work, NULL);
		pthread_cond_init(&x.done, NULL);
		for (i = 1; i <= x.nthreads; i++) {
			if (pthread_create(&x.w[i].tid, NULL, worker_main,
			    &x.w[i]) != 0) {
				errno = EAGAIN;
				bk_err(BK_EX_SOFTWARE,
				    "could not start a thread");
			}
			started++;
		}
	}
	rc = read_chunks(&x, r);
	if (x.nthreads > 0) {
		pthread_mutex_lock(&x.mu);
		x.quit = 1;
		pthread_cond_broadcast(&x.work);
		pthread_mutex_unlock(&x.mu);
		for (i = 1; i <= started; i++)
			pthread_join(x.w[i].tid, NULL);
		pthread_mutex_destroy(&x.mu);
		pthread_cond_destroy(&x.work);
		pthread_cond_destroy(&x.done);
	}
	for (i = 0; i <= x.nthreads; i++) {
		csv_free(&x.w[i].p);
		free(x.w[i].rec);
		free(x.w[i].f);
	}
	for (i = 0; i < x.nslots; i++) {
		free(x.slots[i].in);
		free(x.slots[i].out.p);
	}
	free(x.slots);
	free(x.w);
	return rc;
}
