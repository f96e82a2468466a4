/*
 * inspect.c: what a backup file holds, read once from the first byte to
 * the last.  The raw bytes go through sha256 and a byte count; layers are
 * recognised by their magic bytes and peeled while they can be (gzip);
 * the innermost content is then looked at in a single streaming pass:
 * CSV and JSON Lines records are counted, a pg_dump script is checked for
 * its closing lines.  Encrypted and binary contents are opaque here.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "bk.h"

#define HEAD	4096	/* bytes read to recognise a layer */
#define TAIL	4096	/* bytes kept from the end of a pg_dump script */
#define CHUNK	65536

/* The bottom layer: reads the file, counting and hashing every byte. */
struct tee_reader {
	struct bk_reader	 r;
	int			 fd;
	const char		*name;
	struct bk_digest	 dg;
};

static ssize_t
tee_read(struct bk_reader *r, void *buf, size_t n)
{
	struct tee_reader *t = (struct tee_reader *)r;
	ssize_t got;

	do
		got = read(t->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return bk_reader_fail(r, BK_EX_IOERR, "could not read \"%s\": %s",
		    t->name, strerror(errno));
	bk_digest_update(&t->dg, buf, (size_t)got);
	r->offset += (uint64_t)got;
	return got;
}

static void
tee_close(struct bk_reader *r)
{
	free(r);
}

/* Gives back the bytes read to recognise a layer, then reads on below. */
struct replay_reader {
	struct bk_reader	 r;
	unsigned char		 head[HEAD];
	size_t			 pos, len;
};

static ssize_t
replay_read(struct bk_reader *r, void *buf, size_t n)
{
	struct replay_reader *p = (struct replay_reader *)r;
	ssize_t got;

	if (p->pos < p->len) {
		if (n > p->len - p->pos)
			n = p->len - p->pos;
		memcpy(buf, p->head + p->pos, n);
		p->pos += n;
		r->offset += n;
		return (ssize_t)n;
	}
	if ((got = r->below->read(r->below, buf, n)) < 0)
		return bk_reader_fail(r, r->below->code, "%s", r->below->err);
	r->offset += (uint64_t)got;
	return got;
}

static void
replay_close(struct bk_reader *r)
{
	free(r);
}

static struct bk_reader *
replay_new(struct bk_reader *below, const void *head, size_t len)
{
	struct replay_reader *p = bk_calloc(1, sizeof(*p));

	p->r.read = replay_read;
	p->r.close = replay_close;
	p->r.below = below;
	memcpy(p->head, head, len);
	p->len = len;
	return &p->r;
}

/*
 * A gzip layer over zlib, for inspection only: members follow one another
 * (as pigz and cat make them); bytes after the last member that do not
 * start another are left unread, as gzip(1) ignores them.
 */
struct gz_reader {
	struct bk_reader	 r;
	z_stream		 z;
	unsigned char		 in[CHUNK];
	const char		*name;
	int			 done;
	uint64_t		 member_start;
};

static ssize_t
gz_read(struct bk_reader *r, void *buf, size_t n)
{
	struct gz_reader *g = (struct gz_reader *)r;
	struct bk_reader *b = r->below;
	ssize_t got;
	int zr;

	if (g->done || n == 0)
		return 0;
	g->z.next_out = buf;
	g->z.avail_out = n > UINT_MAX ? UINT_MAX : (unsigned)n;
	while (g->z.avail_out == (unsigned)(n > UINT_MAX ? UINT_MAX : n)) {
		if (g->z.avail_in == 0) {
			if ((got = b->read(b, g->in, sizeof(g->in))) < 0)
				return bk_reader_fail(r, b->code, "%s", b->err);
			if (got == 0)
				return bk_reader_fail(r, BK_EX_DATAERR,
				    "\"%s\": gzip data ends early at byte "
				    "%ju", g->name, (uintmax_t)b->offset);
			g->z.next_in = g->in;
			g->z.avail_in = (unsigned)got;
		}
		zr = inflate(&g->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			/* Another member, or the end of the data. */
			if (g->z.avail_in == 0) {
				got = b->read(b, g->in, sizeof(g->in));
				if (got < 0)
					return bk_reader_fail(r, b->code, "%s",
					    b->err);
				g->z.next_in = g->in;
				g->z.avail_in = (unsigned)got;
			}
			if (g->z.avail_in >= 2 && g->z.next_in[0] == 0x1f &&
			    g->z.next_in[1] == 0x8b) {
				inflateReset(&g->z);
				continue;
			}
			g->done = 1;
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return bk_reader_fail(r, BK_EX_DATAERR, "\"%s\": bad "
			    "gzip data near byte %ju: %s", g->name,
			    (uintmax_t)(b->offset - g->z.avail_in),
			    g->z.msg != NULL ? g->z.msg : "corrupt");
	}
	got = (ssize_t)((size_t)((unsigned char *)g->z.next_out -
	    (unsigned char *)buf));
	r->offset += (uint64_t)got;
	return got;
}

static void
gz_close(struct bk_reader *r)
{
	struct gz_reader *g = (struct gz_reader *)r;

	inflateEnd(&g->z);
	free(g);
}

static struct bk_reader *
gz_new(struct bk_reader *below, const char *name)
{
	struct gz_reader *g = bk_calloc(1, sizeof(*g));

	g->r.read = gz_read;
	g->r.close = gz_close;
	g->r.below = below;
	g->name = name;
	if (inflateInit2(&g->z, 15 + 16) != Z_OK)
		bk_errx(BK_EX_SOFTWARE, "could not start zlib");
	return &g->r;
}

/* The innermost content, looked at as it streams past. */
struct look {
	enum bk_layer	 kind;
	uint64_t	 rows;		/* non-empty records */
	int		 inquote;	/* CSV: inside a quoted field */
	int		 nonempty;	/* the current record has bytes */
	int		 restrict_seen;	/* pg_dump began with \restrict */
	unsigned char	 tail[TAIL * 2];
	size_t		 tlen;
	uint64_t	 seen;
};

static void
look_csv(struct look *k, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case '"':
			k->inquote = !k->inquote;
			k->nonempty = 1;
			break;
		case '\n':
			if (k->inquote)
				break;
			if (k->nonempty)
				k->rows++;
			k->nonempty = 0;
			break;
		case '\r':
			break;
		default:
			k->nonempty = 1;
		}
	}
}

static void
look_lines(struct look *k, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (k->nonempty)
				k->rows++;
			k->nonempty = 0;
		} else if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') {
			k->nonempty = 1;
		}
	}
}

/* Keeps the last TAIL bytes of the stream (in a window of twice that). */
static void
look_tail(struct look *k, const unsigned char *p, size_t n)
{
	if (n >= TAIL) {
		memcpy(k->tail, p + n - TAIL, TAIL);
		k->tlen = TAIL;
		return;
	}
	if (k->tlen + n > sizeof(k->tail)) {
		memmove(k->tail, k->tail + k->tlen - TAIL, TAIL);
		k->tlen = TAIL;
	}
	memcpy(k->tail + k->tlen, p, n);
	k->tlen += n;
}

static void
look_feed(struct look *k, const unsigned char *p, size_t n)
{
	switch (k->kind) {
	case BK_LAYER_CSV:
		look_csv(k, p, n);
		break;
	case BK_LAYER_JSONL:
		look_lines(k, p, n);
		break;
	case BK_LAYER_PGDUMP:
		look_tail(k, p, n);
		break;
	default:
		break;
	}
	k->seen += n;
}

/* Finds a line starting with word in buf; its offset or -1. */
static long
find_line(const unsigned char *buf, size_t n, const char *word)
{
	size_t wl = strlen(word), i;

	for (i = 0; i + wl <= n; i++)
		if ((i == 0 || buf[i - 1] == '\n') &&
		    memcmp(buf + i, word, wl) == 0)
			return (long)i;
	return -1;
}

/*
 * A complete pg_dump script ends with the "dump complete" comment; since
 * the 2025 minor releases, a script that opens with \restrict KEY closes
 * with \unrestrict KEY after that comment.  Only blank lines may follow.
 */
static int
pgdump_complete(struct look *k)
{
	const unsigned char *t;
	long c, u;
	size_t n, i, from;

	n = k->tlen < TAIL ? k->tlen : TAIL;
	t = k->tail + k->tlen - n;
	if ((c = find_line(t, n, "-- PostgreSQL database dump complete")) < 0)
		return 0;
	from = (size_t)c;
	if (k->restrict_seen) {
		u = find_line(t + c, n - (size_t)c, "\\unrestrict ");
		if (u < 0)
			return 0;
		from = (size_t)(c + u);
	}
	/* After the last expected line, only whitespace. */
	for (i = from; i < n && t[i] != '\n'; i++)
		;
	for (; i < n; i++)
		if (t[i] != '\n' && t[i] != '\r' && t[i] != ' ' && t[i] != '-')
			return 0;
	return 1;
}

static void
push_layer(struct bk_inspect *ins, enum bk_layer l)
{
	if (l != BK_LAYER_UNKNOWN && ins->nlayers < BK_LAYERS_MAX)
		ins->layers[ins->nlayers++] = bk_layer_name(l);
}

static int
fail_from(struct bk_inspect *ins, struct bk_reader *r)
{
	ins->code = r->code ? r->code : BK_EX_IOERR;
	snprintf(ins->err, sizeof(ins->err), "%s", r->err);
	return -1;
}

int
bk_inspect_fd(int fd, const char *name, struct bk_inspect *ins)
{
	struct tee_reader *tee;
	struct bk_reader *top;
	struct look *k;
	unsigned char *buf, dg[BK_DIGEST_MAX];
	const char *tmp;
	enum bk_layer l;
	ssize_t got;
	size_t i;
	int depth = 0, rc = 0;

	memset(ins, 0, sizeof(*ins));
	ins->records = -1;
	ins->complete = -1;
	buf = bk_malloc(CHUNK);
	k = bk_calloc(1, sizeof(*k));
	tee = bk_calloc(1, sizeof(*tee));
	tee->r.read = tee_read;
	tee->r.close = tee_close;
	tee->fd = fd;
	tee->name = name;
	bk_digest_init(&tee->dg, bk_digest_lookup("sha256"));
	top = &tee->r;
	for (;;) {
		if ((got = bk_reader_read_full(top, buf, HEAD)) < 0) {
			rc = fail_from(ins, top);
			goto out;
		}
		l = bk_detect(buf, (size_t)got);
		top = replay_new(top, buf, (size_t)got);
		push_layer(ins, l);
		if (l == BK_LAYER_GZIP && depth++ < 4) {
			top = gz_new(top, name);
			continue;
		}
		ins->content = l;
		break;
	}
	k->kind = ins->content;
	if (k->kind == BK_LAYER_CSV || k->kind == BK_LAYER_JSONL ||
	    k->kind == BK_LAYER_PGDUMP) {
		while ((got = top->read(top, buf, CHUNK)) > 0) {
			if (k->kind == BK_LAYER_PGDUMP && k->seen < HEAD &&
			    find_line(buf, (size_t)got, "\\restrict ") >= 0)
				k->restrict_seen = 1;
			look_feed(k, buf, (size_t)got);
		}
		if (got < 0) {
			rc = fail_from(ins, top);
			goto out;
		}
		if (k->nonempty)
			k->rows++;
		if (k->kind == BK_LAYER_CSV)
			ins->records = k->rows > 0 ? (int64_t)k->rows - 1 : 0;
		else if (k->kind == BK_LAYER_JSONL)
			ins->records = (int64_t)k->rows;
		else
			ins->complete = pgdump_complete(k);
	}
	/* Whatever was not decoded still counts for the size and digest. */
	while ((got = tee_read(&tee->r, buf, CHUNK)) > 0)
		;
	if (got < 0) {
		rc = fail_from(ins, &tee->r);
		goto out;
	}
	ins->size = tee->r.offset;
	bk_digest_final(&tee->dg, dg);
	tee->dg.ctx = NULL;
	bk_hex(ins->sha256, dg, 32);
	/* Found outermost first; stored innermost first, as names read. */
	for (i = 0; i < ins->nlayers / 2; i++) {
		tmp = ins->layers[i];
		ins->layers[i] = ins->layers[ins->nlayers - 1 - i];
		ins->layers[ins->nlayers - 1 - i] = tmp;
	}
out:
	if (tee->dg.ctx != NULL) {
		bk_digest_final(&tee->dg, dg);
		tee->dg.ctx = NULL;
	}
	bk_reader_close(top);
	free(k);
	free(buf);
	return rc;
}
