/*
 * inspect.c: what a backup file holds, read once from the first byte to
 * the last.  The raw bytes go through sha256 and a byte count; layers are
 * recognised by their magic bytes and peeled while they can be (gzip,
 * through gunzip.c, CRC and length checked);
 * the innermost content is then looked at in a single streaming pass:
 * CSV is read by the strict reader of csvread.c (bk-csv's and bk-verify's)
 * and its records counted, JSON Lines records are counted, a pg_dump
 * script is checked for its closing lines.  Encrypted and binary contents
 * are opaque here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"

#define HEAD	4096	/* bytes read to recognise a layer */
#define TAIL	4096	/* bytes kept from the end of a pg_dump script */
#define CHUNK	65536
/*
 * Workers of the CSV reader: libcsv parses about 250 MB/s on one core,
 * slower than inflate and sha256, so two workers keep it off the path.
 */
#define CSV_THREADS	2

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

/* The innermost content, looked at as it streams past. */
struct look {
	enum bk_layer	 kind;
	uint64_t	 rows;		/* non-empty lines */
	int		 nonempty;	/* the current line has bytes */
	int		 restrict_seen;	/* pg_dump began with \restrict */
	char		 key[160];	/* "\unrestrict KEY\n" expected at the end */
	unsigned char	 tail[TAIL * 2];
	size_t		 tlen;
	uint64_t	 seen;
};

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
		/* The whole line, key and newline: a cut key is a cut dump. */
		u = find_line(t + c, n - (size_t)c, k->key);
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

/* Notes the key of a \restrict line near the start of a pg_dump script. */
static void
find_restrict(struct look *k, const unsigned char *buf, size_t n)
{
	const unsigned char *p, *nl;
	long at;
	size_t len;

	if (k->restrict_seen || (at = find_line(buf, n, "\\restrict ")) < 0)
		return;
	p = buf + at + 10;
	if ((nl = memchr(p, '\n', n - (size_t)at - 10)) == NULL)
		return;
	len = (size_t)(nl - p);
	if (len + 14 > sizeof(k->key))
		return;
	k->restrict_seen = 1;
	snprintf(k->key, sizeof(k->key), "\\unrestrict %.*s\n", (int)len,
	    (const char *)p);
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

/*
 * Reads the CSV through the layers below and counts its records.  CSV
 * that is not strict (ragged, badly quoted, not UTF-8) is not an error of
 * the inspection: like an incomplete pg_dump script, it is reported in
 * ins->valid and ins->why for the caller to judge, and the rest of the
 * stream is still decoded for the layers' own checks.  Returns 0, or -1
 * when a layer failed or memory ran out.
 */
static int
count_csv(struct bk_inspect *ins, struct bk_reader *top, unsigned char *buf)
{
	struct bk_csv_opts o;
	struct bk_csv_ops ops;
	struct bk_csv_result res;
	ssize_t got;

	memset(&o, 0, sizeof(o));
	o.name = "";
	o.sep = BK_CSV_SEP_DETECT;
	o.threads = CSV_THREADS;
	memset(&ops, 0, sizeof(ops));
	if (bk_csv_read(top, &o, &ops, NULL, &res) == 0) {
		ins->valid = 1;
		ins->records = (int64_t)res.records;
		return 0;
	}
	if (top->code != 0)
		return fail_from(ins, top);
	if (res.code != BK_EX_DATAERR) {
		ins->code = res.code;
		snprintf(ins->err, sizeof(ins->err), "%.500s", res.err);
		return -1;
	}
	ins->valid = 0;
	snprintf(ins->why, sizeof(ins->why), "CSV %s", res.err);
	while ((got = top->read(top, buf, CHUNK)) > 0)
		;
	return got < 0 ? fail_from(ins, top) : 0;
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
	ins->valid = -1;
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
		top = bk_reader_replay(top, buf, (size_t)got);
		push_layer(ins, l);
		if (l == BK_LAYER_GZIP && depth++ < 4) {
			top = bk_reader_gunzip(top, name);
			continue;
		}
		ins->content = l;
		break;
	}
	k->kind = ins->content;
	if (k->kind == BK_LAYER_CSV) {
		if ((rc = count_csv(ins, top, buf)) < 0)
			goto out;
	} else if (k->kind == BK_LAYER_JSONL || k->kind == BK_LAYER_PGDUMP) {
		while ((got = top->read(top, buf, CHUNK)) > 0) {
			if (k->kind == BK_LAYER_PGDUMP && k->seen < HEAD)
				find_restrict(k, buf, (size_t)got);
			look_feed(k, buf, (size_t)got);
		}
		if (got < 0) {
			rc = fail_from(ins, top);
			goto out;
		}
		if (k->nonempty)
			k->rows++;
		if (k->kind == BK_LAYER_JSONL)
			ins->records = (int64_t)k->rows;
		else
			ins->complete = pgdump_complete(k);
	} else if (depth > 0) {
		/* Opaque inside gzip: still decode, for gzip's own checks. */
		while ((got = top->read(top, buf, CHUNK)) > 0)
			;
		if (got < 0) {
			rc = fail_from(ins, top);
			goto out;
		}
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
