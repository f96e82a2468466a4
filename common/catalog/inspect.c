/*
 * inspect.c: the one answer to "is this backup whole?", asked by
 * bk-manifest add and adopt, bk-verify, bk-restore and bk-crypt.
 *
 * A file is read once, from the first byte to the last.  Its raw bytes go
 * through sha256 and a byte count; layers are recognised by their magic
 * bytes and peeled while they can be (gzip: CRC and length of every
 * member; zstd: every frame, with its checksum when it has one; age:
 * every chunk authenticated, when an identity is given, else its header
 * only); the innermost content is then checked as it streams
 * past: strict rectangular CSV (csvread.c) and JSON Lines, whose records
 * are counted, a pg_dump script that must be complete (pgscript.c), a
 * pg_dump archive that pg_restore must read whole (pgarchive.c), or an
 * SQLite database that must pass integrity_check (sqlitefile.c).
 *
 * The work runs in three threads joined by small queues of 1 MiB blocks:
 * the first reads and hashes the raw bytes, the second peels the layers,
 * the third checks the content.  So the digest, the inflate and the CSV
 * parse overlap on two cores, and an inspection costs little more than
 * the slowest of them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/catalog.h"

#define BLK	(1024 * 1024)	/* one block in a queue */
#define NSLOT	BK_QUEUE_SLOTS	/* blocks in each queue */
#define HEAD	4096		/* bytes read to recognise a layer */
#define DEPTH	4		/* layers peeled at most */
/*
 * Workers of the CSV reader.  libcsv parses about 250 MB/s on one core,
 * slower than inflate: parsing in the checker's own thread made a 256 MiB
 * csv.gz verify at 0.77x the speed of gzip -t; with two workers the parse
 * keeps up (1.25x to 1.4x on the same noisy machine).
 */
#define CSV_THREADS	2
#define JSONL_MAX	(16 * 1024 * 1024)	/* bytes in one line, at most */

/* ---- the blocks of the queues between the threads ---- */

/*
 * The blocks come from a pool that lives as long as the process: a tree
 * of many small backups should not pay for mapping 8 MiB per file.  An
 * inspection that finds the pool taken (bk-crypt inspects while another
 * thread works) brings blocks of its own.
 */
static pthread_mutex_t	 pool_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char	*pool[2][NSLOT];
static int		 pool_busy;

static int
pool_take(unsigned char *out[2][NSLOT])
{
	int i, j, own;

	pthread_mutex_lock(&pool_mu);
	own = !pool_busy;
	pool_busy = 1;
	pthread_mutex_unlock(&pool_mu);
	for (i = 0; i < 2; i++)
		for (j = 0; j < NSLOT; j++) {
			if (own && pool[i][j] == NULL)
				pool[i][j] = bk_malloc(BLK);
			out[i][j] = own ? pool[i][j] : bk_malloc(BLK);
		}
	return own;
}

static void
pool_give(unsigned char *blk[2][NSLOT], int own)
{
	int i, j;

	if (!own) {
		for (i = 0; i < 2; i++)
			for (j = 0; j < NSLOT; j++)
				free(blk[i][j]);
		return;
	}
	pthread_mutex_lock(&pool_mu);
	pool_busy = 0;
	pthread_mutex_unlock(&pool_mu);
}

/* ---- stage 1: read and hash the raw bytes ---- */

struct raw {
	int		 fd;
	struct bk_queue	 q;
	struct bk_digest dg;
	int		 hash;
	uint64_t	 size;
	int		 err;		/* errno of a failed read, or 0 */
};

static void *
raw_main(void *arg)
{
	struct raw *r = arg;
	unsigned char *p;
	ssize_t got;

	for (;;) {
		p = bk_queue_reserve(&r->q);
		got = bk_read_full(r->fd, p, BLK);
		if (got < 0) {
			r->err = errno;
			break;
		}
		if (got == 0)
			break;
		if (r->hash)
			bk_digest_update(&r->dg, p, (size_t)got);
		r->size += (uint64_t)got;
		bk_queue_push(&r->q, (size_t)got);
		if ((size_t)got < BLK)
			break;
	}
	bk_queue_close(&r->q);
	return NULL;
}

/* The reader layer over the raw queue, at the bottom of the stack. */
struct qreader {
	struct bk_reader	 r;
	struct raw		*raw;
	size_t			 pos;
	struct bk_progress	*meter;
};

static ssize_t
qr_read(struct bk_reader *br, void *buf, size_t n)
{
	struct qreader *qr = (struct qreader *)br;

	if (n > 0 && (n = bk_queue_take(&qr->raw->q, &qr->pos, buf, n)) == 0 &&
	    qr->raw->err != 0)
		return bk_reader_fail(br, BK_EX_IOERR, "could not read: %s",
		    strerror(qr->raw->err));
	br->offset += n;
	bk_progress_add(qr->meter, n);
	return (ssize_t)n;
}

static void
qr_close(struct bk_reader *br)
{
	free(br);
}

/* ---- stage 3: the content checkers ---- */

struct check {
	enum bk_layer	 kind;
	struct bk_queue	 q;
	int		 failed;
	char		 err[BK_WHY_MAX];
	uint64_t	 records;	/* CSV, JSON Lines: records counted */
	size_t		 pos;		/* bytes taken from the queue's head */
	int		 nonempty;	/* JSON Lines: the line has bytes */
	struct bk_buf	 line;		/* JSON Lines: the line so far */
	uint64_t	 lineno;
	struct bk_pgscript pg;
	struct bk_pgarchive pa;
	int		 pa_started;
	int		 tfd;		/* SQLite: the private copy */
	int		 local;		/* failed writing it: no verdict */
};

static void
check_fail(struct check *c, const char *fmt, ...) BK_PRINTF(2, 3);

static void
check_fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->failed = 1;
}

/* The CSV reader pulls its input from the queue through this reader. */
struct cqreader {
	struct bk_reader	 r;
	struct check		*c;
};

static ssize_t
cq_read(struct bk_reader *br, void *buf, size_t n)
{
	struct check *c = ((struct cqreader *)br)->c;

	n = bk_queue_take(&c->q, &c->pos, buf, n);
	br->offset += n;
	return (ssize_t)n;
}

/*
 * Strict RFC 4180 with the separator of the header line, valid UTF-8
 * without NUL, every record as wide as the header (csvread.c, bk-csv's
 * reader); counts the records.
 */
static void
csv_check(struct check *c)
{
	struct cqreader qr;
	struct bk_csv_opts o;
	struct bk_csv_ops ops;
	struct bk_csv_result res;

	memset(&qr, 0, sizeof(qr));
	qr.r.read = cq_read;
	qr.c = c;
	memset(&o, 0, sizeof(o));
	o.name = "";
	o.sep = BK_CSV_SEP_DETECT;
	o.threads = CSV_THREADS;
	memset(&ops, 0, sizeof(ops));
	if (bk_csv_read(&qr.r, &o, &ops, NULL, &res) != 0)
		check_fail(c, "CSV %s", res.err);
	c->records = res.records;
}

/*
 * One JSON Lines record: a JSON object on a line of its own (RFC 8259,
 * read by jansson, the manifest's parser).  Blank lines are not records.
 */
static void
jsonl_line(struct check *c)
{
	json_error_t jerr;
	json_t *v;

	c->lineno++;
	if (c->nonempty) {
		v = json_loadb(c->line.p, c->line.len, 0, &jerr);
		if (v == NULL)
			check_fail(c, "JSON Lines line %" PRIu64 ", column %d: "
			    "%s", c->lineno, jerr.column, jerr.text);
		else if (!json_is_object(v))
			check_fail(c, "JSON Lines line %" PRIu64 ": not an "
			    "object", c->lineno);
		json_decref(v);
		c->records++;
	}
	c->nonempty = 0;
	c->line.len = 0;
}

static void
jsonl_feed(struct check *c, const unsigned char *p, size_t n)
{
	size_t i, from = 0;

	for (i = 0; i < n && !c->failed; i++) {
		if (p[i] == '\n') {
			bk_buf_add(&c->line, p + from, i - from);
			jsonl_line(c);
			from = i + 1;
		} else if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			c->nonempty = 1;
	}
	if (c->failed)
		return;
	if (c->line.len + (n - from) > JSONL_MAX)
		check_fail(c, "JSON Lines line %" PRIu64 ": longer than "
		    "%d MiB", c->lineno + 1, JSONL_MAX >> 20);
	else
		bk_buf_add(&c->line, p + from, n - from);
}

static void *
check_main(void *arg)
{
	struct check *c = arg;
	unsigned char *p;
	size_t n;

	if (c->kind == BK_LAYER_CSV)
		csv_check(c);
	/* What a failed check leaves behind goes unread. */
	while ((p = bk_queue_peek(&c->q, &n)) != NULL) {
		if (!c->failed) {
			switch (c->kind) {
			case BK_LAYER_JSONL:
				jsonl_feed(c, p, n);
				break;
			case BK_LAYER_PGDUMP:
			case BK_LAYER_PGDUMPALL:
				bk_pgscript_feed(&c->pg, p, n);
				break;
			case BK_LAYER_PGARCHIVE:
			case BK_LAYER_PGTAR:
				bk_pgarchive_feed(&c->pa, p, n);
				break;
			case BK_LAYER_SQLITE:
				if (bk_write_full(c->tfd, p, n) < 0) {
					check_fail(c, "could not write a "
					    "temporary copy: %s",
					    strerror(errno));
					c->local = 1;
				}
				break;
			default:
				break;
			}
		}
		bk_queue_pop(&c->q);
	}
	/* A last line without its newline is still a line. */
	if (c->kind == BK_LAYER_JSONL && !c->failed && c->line.len > 0)
		jsonl_line(c);
	free(c->line.p);
	return NULL;
}

/* ---- stage 2: the layers ---- */

/* A layer's message, as the verdict's reason. */
static void
take_error(struct bk_inspect *ins, const struct bk_reader *r,
    const char *name)
{
	snprintf(ins->why, sizeof(ins->why), "%s", bk_reader_why(r, name));
	ins->code = r->code != 0 ? r->code : BK_EX_IOERR;
	ins->layer_failed = 1;
}

static void
content_fail(struct bk_inspect *ins, const char *fmt, ...) BK_PRINTF(2, 3);

static void
content_fail(struct bk_inspect *ins, const char *fmt, ...)
{
	va_list ap;

	if (ins->code != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(ins->why, sizeof(ins->why), fmt, ap);
	va_end(ap);
	ins->code = BK_EX_DATAERR;
}

/* The content's own verdict, once every byte went past. */
static void
content_verdict(struct bk_inspect *ins, struct check *c, char *copy)
{
	char why[BK_WHY_MAX - 64];

	if (c->pa_started) {
		/* pg_restore is waited for in any case. */
		ins->complete = bk_pgarchive_finish(&c->pa, why, sizeof(why));
		if (ins->complete < 0 && ins->code == 0) {
			/* Not the archive's fault: nothing can be said of it. */
			snprintf(ins->why, sizeof(ins->why), "%s", why);
			ins->code = BK_EX_UNAVAILABLE;
			ins->layer_failed = 1;
		} else if (!ins->complete)
			content_fail(ins, "pg_dump archive is incomplete "
			    "(%s)", why);
	}
	if (c->failed && c->local && ins->code == 0) {
		/* Our own copy (a full TMPDIR), not the backup: no verdict. */
		snprintf(ins->why, sizeof(ins->why), "%s", c->err);
		ins->code = BK_EX_IOERR;
		ins->layer_failed = 1;
		return;
	}
	if (c->failed)
		content_fail(ins, "%s", c->err);
	switch (c->kind) {
	case BK_LAYER_CSV:
	case BK_LAYER_JSONL:
		if (!c->failed)
			ins->records = (int64_t)c->records;
		break;
	case BK_LAYER_PGDUMP:
	case BK_LAYER_PGDUMPALL:
		ins->complete = bk_pgscript_complete(&c->pg, why, sizeof(why));
		if (!ins->complete)
			content_fail(ins, "%s script is incomplete (%s)",
			    bk_layer_name(c->kind), why);
		break;
	case BK_LAYER_SQLITE:
		if (ins->code == 0 &&
		    bk_sqlite_integrity(copy, why, sizeof(why)) < 0)
			content_fail(ins, "%s", why);
		break;
	default:
		break;
	}
}

struct bk_reader *
bk_reader_layers(struct bk_reader *top, const char *name,
    struct bk_age_ids *ids, struct bk_layers *ly)
{
	unsigned char head[HEAD];
	struct bk_age_info info;
	enum bk_layer l;
	ssize_t got;
	int depth = 0;

	memset(ly, 0, sizeof(*ly));
	for (;;) {
		if ((got = bk_reader_read_full(top, head, HEAD)) < 0) {
			ly->failed = 1;
			ly->content = BK_LAYER_UNKNOWN;
			return top;
		}
		l = bk_detect(head, (size_t)got);
		top = bk_reader_replay(top, head, (size_t)got);
		if (l != BK_LAYER_UNKNOWN && l != BK_LAYER_EMPTY &&
		    ly->n < BK_LAYERS_MAX)
			ly->found[ly->n++] = bk_layer_name(l);
		ly->content = l;
		if (l == BK_LAYER_GZIP && depth++ < DEPTH) {
			top = bk_reader_gunzip(top, name);
			continue;
		}
		if (l == BK_LAYER_ZSTD && depth++ < DEPTH) {
			top = bk_reader_unzstd(top, name);
			continue;
		}
		if ((l == BK_LAYER_AGE || l == BK_LAYER_AGE_ARMOR) &&
		    depth++ < DEPTH) {
			top = bk_reader_age(top, ids);
			if (ids == NULL) {
				/* The header's syntax, then nothing more. */
				ly->sealed = 1;
				ly->failed = bk_age_info(top, &info) < 0;
				return top;
			}
			continue;
		}
		return top;
	}
}

int
bk_inspect_fd(int fd, const char *name, const struct bk_inspect_opts *opts,
    struct bk_inspect *ins)
{
	static const struct bk_inspect_opts none;
	unsigned char *blk[2][NSLOT], dg[BK_DIGEST_MAX], *p;
	struct raw raw;
	struct check *c;
	struct qreader *qr;
	struct bk_reader *top;
	struct bk_layers ly;
	struct bk_progress meter;
	struct stat st;
	pthread_t rt, ct;
	enum bk_layer l = BK_LAYER_UNKNOWN;
	ssize_t got;
	size_t i, len;
	int started = 0, own;

	if (opts == NULL)
		opts = &none;
	memset(ins, 0, sizeof(*ins));
	ins->records = -1;
	ins->complete = -1;
	ins->slot = -1;
	own = pool_take(blk);
	memset(&raw, 0, sizeof(raw));
	raw.fd = fd;
	raw.hash = !opts->nodigest;
	bk_queue_init(&raw.q, blk[0]);
	if (raw.hash)
		bk_digest_init(&raw.dg, bk_digest_lookup("sha256"));
	if (pthread_create(&rt, NULL, raw_main, &raw) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	bk_progress_init(&meter, opts->progress, opts->label != NULL ?
	    opts->label : name, fstat(fd, &st) == 0 ? (uint64_t)st.st_size :
	    0);
	qr = bk_calloc(1, sizeof(*qr));
	qr->r.read = qr_read;
	qr->r.close = qr_close;
	qr->raw = &raw;
	qr->meter = &meter;
	top = &qr->r;
	c = bk_calloc(1, sizeof(*c));
	c->tfd = -1;

	top = bk_reader_layers(top, name, opts->ids, &ly);
	l = ly.content;
	if (ly.failed) {
		take_error(ins, top, name);
		goto drain;
	}
	if (ly.sealed) {
		/* Its header is all that can be read. */
		ins->sealed = 1;
		ins->content = l;
		goto drain;
	}
	ins->content = l;
	if (l == BK_LAYER_EMPTY) {
		if (ly.n > 0)
			content_fail(ins, "no data inside the %s layer",
			    ly.found[ly.n - 1]);
		else
			content_fail(ins, "file is empty");
		goto drain;
	}

	/* Decode the rest and hand it to the content checker. */
	c->kind = l;
	bk_pgscript_init(&c->pg);
	c->pg.cluster = l == BK_LAYER_PGDUMPALL;
	bk_queue_init(&c->q, blk[1]);
	if (l == BK_LAYER_SQLITE)
		c->tfd = bk_sqlite_tmp("bk-inspect", &ins->copy, &ins->slot);
	if (bk_layer_pgarchive(l)) {
		if (bk_pgarchive_start(&c->pa, l, ins->why,
		    sizeof(ins->why)) < 0)
			bk_errx(BK_EX_UNAVAILABLE, "%s", ins->why);
		c->pa_started = 1;
	}
	if (pthread_create(&ct, NULL, check_main, c) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	started = 1;
	for (;;) {
		p = bk_queue_reserve(&c->q);
		if ((got = bk_reader_read_full(top, p, BLK)) < 0) {
			take_error(ins, top, name);
			break;
		}
		if (got == 0)
			break;
		bk_queue_push(&c->q, (size_t)got);
	}
	bk_queue_close(&c->q);

drain:
	/* The digest needs every raw byte, whatever happened above. */
	while (bk_queue_peek(&raw.q, &len) != NULL)
		bk_queue_pop(&raw.q);
	pthread_join(rt, NULL);
	bk_progress_end(&meter);
	if (started) {
		pthread_join(ct, NULL);
		if (c->tfd >= 0 && close(c->tfd) < 0) {
			check_fail(c, "could not write a temporary copy: %s",
			    strerror(errno));
			c->local = 1;
		}
		content_verdict(ins, c, ins->copy);
		bk_queue_free(&c->q);
	}
	bk_reader_close(top);
	if (raw.hash) {
		bk_digest_final(&raw.dg, dg);
		bk_hex(ins->sha256, dg, 32);
	}
	bk_queue_free(&raw.q);
	pool_give(blk, own);
	free(c);
	ins->size = raw.size;
	if (raw.err != 0) {
		/* The file itself could not be read: nothing else counts. */
		snprintf(ins->why, sizeof(ins->why), "could not read: %s",
		    strerror(raw.err));
		ins->code = BK_EX_IOERR;
		ins->layer_failed = 1;
	}
	/* Found outermost first; stored innermost first, as names read. */
	for (i = 0; i < ly.n; i++)
		ins->layers[i] = ly.found[ly.n - 1 - i];
	ins->nlayers = ly.n;
	if (ins->copy != NULL && (!opts->keep_copy || ins->code != 0))
		bk_inspect_free(ins);
	return ins->code == 0 ? 0 : -1;
}

void
bk_inspect_free(struct bk_inspect *ins)
{
	if (ins->copy != NULL)
		bk_sqlite_tmp_remove(&ins->copy, ins->slot);
	ins->copy = NULL;
	ins->slot = -1;
}

void
bk_inspect_layers(const struct bk_inspect *ins, char *buf, size_t size)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < ins->nlayers; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
		    i > 0 ? " " : "", ins->layers[i]);
}
