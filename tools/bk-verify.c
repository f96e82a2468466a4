/*
 * bk-verify: prove that backups are whole.
 *
 * For each backup of a manifest (or of a sha256sum list) it checks, cheap
 * things first, that the file exists, has the recorded size and digest,
 * and that every layer decodes: age (decrypted and authenticated when an
 * identity or passphrase is given, else its header only), gzip (CRC and
 * length of every member), and the content: strict rectangular CSV with
 * the recorded record count, JSON Lines with its count, a complete pg_dump
 * script, a pg_dump archive pg_restore reads whole, or an SQLite database
 * that passes the integrity check of common/sqlitefile.c.  It
 * prints one OK or FAIL line per backup and goes on after a failure.
 *
 * Each file is read once, in three threads joined by small queues of
 * 1 MiB blocks: the first reads and hashes the raw bytes, the second
 * peels the layers (age, gzip), the third checks the content.  So the
 * digest, the inflate and the CSV check overlap on two cores, and a
 * verification costs little more than the slowest of them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bk.h"

static const char usage[] =
    "usage: bk-verify [-Pqv] [-m manifest] [-s sums] [-t type]\n"
    "                 [-i identity ...] [-p passphrase-file] [-a duration]\n"
    "                 [-M metrics] [-n] [-r] [-w seconds] [file ...]\n";

#define BLK	(1024 * 1024)	/* one block in a queue */
#define NSLOT	4		/* blocks in each queue */
/*
 * Workers of the CSV reader.  libcsv parses about 250 MB/s on one core,
 * slower than inflate: parsing in the checker's own thread made a 256 MiB
 * csv.gz verify at 0.77x the speed of gzip -t; with two workers the parse
 * keeps up (1.25x to 1.4x on the same noisy machine).
 */
#define CSV_THREADS	2
#define HEAD	4096		/* bytes read to recognise a layer */
#define REASON	1024

struct opts {
	int		 progress;
	int		 quiet;
	const char	*manifest;
	const char	*sums;
	const char	*type;
	const char	**idfiles;	/* -i, each tried */
	size_t		 nidfiles;
	const char	*passfile;
	int64_t		 max_age;	/* seconds, -1 without --max-age */
	const char	*metrics;
	int		 noscan;
	int		 record;
	int		 wait;
};

/* What one backup turned out to be. */
struct result {
	const char	*name;		/* as shown */
	const char	*path;		/* relative to the manifest, or NULL */
	const char	*type;
	time_t		 created;
	int		 ok;
	int		 owned;		/* name is ours to free */
	int64_t		 size;
	int64_t		 records;	/* counted, -1 when not */
	char		 note[128];	/* "(...)" after OK */
	char		 reason[REASON];
};

/* The run: options, the manifest, the results. */
struct verify {
	struct opts		*o;
	struct bk_manifest	 m;
	int			 have_manifest;
	struct bk_age_ids	*ids;
	struct result		*res;
	size_t			 nres, capres;
	size_t			 nfail;		/* FAIL lines of any kind */
	size_t			 unlisted;
	size_t			 stale;		/* old temporary files */
	size_t			 badlines;
	time_t			 now;
	struct timespec		 start;
	struct result		**byname;	/* results sorted by path */
	size_t			 nbyname;
	int			 progress;	/* -P */
	unsigned char		*pool[2][NSLOT];	/* the queues' blocks */
};

/* ---- queues of blocks between the threads ---- */

struct queue {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	unsigned char	*buf[NSLOT];
	size_t		 len[NSLOT];
	unsigned	 head;		/* the next block to take */
	unsigned	 count;		/* blocks filled, not yet taken */
	int		 eof;		/* the producer is done */
	int		 stop;		/* the consumer wants no more */
};

/*
 * The blocks come from a pool that lives as long as the run: a tree of
 * many small backups should not pay for mapping 8 MiB per file.
 */
static void
q_init(struct queue *q, unsigned char **pool)
{
	int i;

	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	for (i = 0; i < NSLOT; i++) {
		if (pool[i] == NULL)
			pool[i] = bk_malloc(BLK);
		q->buf[i] = pool[i];
	}
}

static void
q_free(struct queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

/* The producer's next empty block, waiting for room. */
static unsigned char *
q_reserve(struct queue *q)
{
	unsigned char *p;

	pthread_mutex_lock(&q->mu);
	while (q->count == NSLOT)
		pthread_cond_wait(&q->cv, &q->mu);
	p = q->buf[(q->head + q->count) % NSLOT];
	pthread_mutex_unlock(&q->mu);
	return p;
}

/* Hands the reserved block over; returns the consumer's stop flag. */
static int
q_push(struct queue *q, size_t n)
{
	int stop;

	pthread_mutex_lock(&q->mu);
	q->len[(q->head + q->count) % NSLOT] = n;
	q->count++;
	stop = q->stop;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return stop;
}

static void
q_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->eof = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* The consumer's next full block, or NULL at the end. */
static unsigned char *
q_peek(struct queue *q, size_t *n)
{
	unsigned char *p = NULL;

	pthread_mutex_lock(&q->mu);
	while (q->count == 0 && !q->eof)
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->count > 0) {
		p = q->buf[q->head];
		*n = q->len[q->head];
	}
	pthread_mutex_unlock(&q->mu);
	return p;
}

static void
q_pop(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->head = (q->head + 1) % NSLOT;
	q->count--;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static void
q_stop(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_mutex_unlock(&q->mu);
}

/*
 * The consumer's read: copies up to n bytes of the next block from *pos,
 * giving the block back once it is used up.  Returns 0 at the end.
 */
static size_t
q_take(struct queue *q, size_t *pos, void *buf, size_t n)
{
	unsigned char *p;
	size_t len;

	if ((p = q_peek(q, &len)) == NULL)
		return 0;
	if (n > len - *pos)
		n = len - *pos;
	memcpy(buf, p + *pos, n);
	*pos += n;
	if (*pos == len) {
		*pos = 0;
		q_pop(q);
	}
	return n;
}

/* ---- stage 1: read and hash the raw bytes ---- */

struct raw {
	int		 fd;
	struct queue	 q;
	struct bk_digest dg;
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
		p = q_reserve(&r->q);
		got = bk_read_full(r->fd, p, BLK);
		if (got < 0) {
			r->err = errno;
			break;
		}
		if (got == 0)
			break;
		bk_digest_update(&r->dg, p, (size_t)got);
		r->size += (uint64_t)got;
		q_push(&r->q, (size_t)got);
		if ((size_t)got < BLK)
			break;
	}
	q_close(&r->q);
	return NULL;
}

/* The reader layer over the raw queue, at the bottom of the stack. */
struct qreader {
	struct bk_reader	 r;
	struct raw		*raw;
	size_t			 pos;
	const char		*name;
	struct bk_progress	*meter;
};

static ssize_t
qr_read(struct bk_reader *br, void *buf, size_t n)
{
	struct qreader *qr = (struct qreader *)br;

	if (n > 0 && (n = q_take(&qr->raw->q, &qr->pos, buf, n)) == 0 &&
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
	struct queue	 q;
	int		 failed;
	char		 err[REASON];
	int		 aborted;	/* the layers failed: no end checks */
	uint64_t	 bytes;

	uint64_t	 records;	/* CSV, JSON Lines: records counted */
	int		 csv_threads;	/* bk_csv_read's workers */
	size_t		 pos;		/* bytes taken from the queue's head */

	/* JSON Lines */
	int		 nonempty;

	/* pg_dump: the one completeness check, common/pgscript.c */
	struct bk_pgscript pg;
	/* pg_dump -Fc, -Ft: pg_restore reads it whole, common/pgarchive.c */
	struct bk_pgarchive pa;
	int		 pa_started;

	/* SQLite */
	int		 tfd;
	char		*tmp;
	int		 slot;
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

/*
 * The CSV check reads the queue through a reader, so that the one strict
 * reader of common/csvread.c (bk-csv's) pulls its input from it.
 */
struct cqreader {
	struct bk_reader	 r;
	struct check		*c;
};

static ssize_t
cq_read(struct bk_reader *br, void *buf, size_t n)
{
	struct check *c = ((struct cqreader *)br)->c;

	n = q_take(&c->q, &c->pos, buf, n);
	br->offset += n;
	c->bytes += n;
	return (ssize_t)n;
}

/*
 * Strict RFC 4180 with the separator of the header line, valid UTF-8
 * without NUL, every record as wide as the header; counts the records.
 * The callbacks are left out: the reader counts by itself.
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
	o.threads = c->csv_threads;
	memset(&ops, 0, sizeof(ops));
	/*
	 * When the layers failed, the data ends early and the reader will
	 * complain too; the layers' message is the one shown.
	 */
	if (bk_csv_read(&qr.r, &o, &ops, NULL, &res) != 0) {
		check_fail(c, "CSV %s", res.err);
		q_stop(&c->q);
	}
	c->records = res.records;
}

static void
jsonl_feed(struct check *c, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (c->nonempty)
				c->records++;
			c->nonempty = 0;
		} else if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			c->nonempty = 1;
	}
}

static void
sqlite_feed(struct check *c, const unsigned char *p, size_t n)
{
	if (bk_write_full(c->tfd, p, n) < 0)
		check_fail(c, "could not write a temporary copy: %s",
		    strerror(errno));
}

static void *
check_main(void *arg)
{
	struct check *c = arg;
	unsigned char *p;
	size_t n;
	char why[400];

	if (c->kind == BK_LAYER_CSV)
		csv_check(c);
	/* A CSV check that failed leaves blocks behind: they go unread. */
	while ((p = q_peek(&c->q, &n)) != NULL) {
		if (!c->failed && c->kind != BK_LAYER_CSV) {
			switch (c->kind) {
			case BK_LAYER_JSONL:
				jsonl_feed(c, p, n);
				break;
			case BK_LAYER_PGDUMP:
				bk_pgscript_feed(&c->pg, p, n);
				break;
			case BK_LAYER_PGARCHIVE:
			case BK_LAYER_PGTAR:
				bk_pgarchive_feed(&c->pa, p, n);
				break;
			case BK_LAYER_SQLITE:
				sqlite_feed(c, p, n);
				break;
			default:
				break;
			}
			c->bytes += n;
			if (c->failed)
				q_stop(&c->q);
		}
		q_pop(&c->q);
	}
	/* pg_restore is waited for in any case; its verdict counts if ours did. */
	if (c->pa_started) {
		c->pa_started = 0;
		if (!bk_pgarchive_finish(&c->pa, why, sizeof(why)) &&
		    !c->aborted)
			check_fail(c, "pg_dump archive is incomplete (%s)", why);
	}
	if (c->failed || c->aborted)
		return NULL;
	switch (c->kind) {
	case BK_LAYER_JSONL:
		if (c->nonempty)
			c->records++;
		break;
	case BK_LAYER_PGDUMP:
		if (!bk_pgscript_complete(&c->pg, why, sizeof(why)))
			check_fail(c, "pg_dump script is incomplete (%s)",
			    why);
		break;
	default:
		break;
	}
	return NULL;
}

/* The one SQLite check, common/sqlitefile.c's, on the private copy. */
static void
sqlite_check(struct check *c)
{
	char why[400];

	if (bk_sqlite_integrity(c->tmp, why, sizeof(why)) < 0)
		check_fail(c, "%s", why);
}

static void
sqlite_tmp_open(struct check *c)
{
	c->tfd = bk_sqlite_tmp("bk-verify", &c->tmp, &c->slot);
}

static void
sqlite_tmp_remove(struct check *c)
{
	close(c->tfd);
	bk_sqlite_tmp_remove(&c->tmp, c->slot);
}

/* ---- stage 2: one file through the layers ---- */

/* Copies a layer's message, without the "NAME": that it may start with. */
static void
take_error(char *out, size_t size, const struct bk_reader *r,
    const char *name)
{
	size_t nl = strlen(name);
	const char *s = r->err;

	if (s[0] == '"' && strncmp(s + 1, name, nl) == 0 &&
	    strncmp(s + 1 + nl, "\": ", 3) == 0)
		s += nl + 4;
	snprintf(out, size, "%s", *s != '\0' ? s : "could not read");
}

static int
is_age(const char *s)
{
	return strcmp(s, "age") == 0 || strcmp(s, "age-armor") == 0;
}

/*
 * Compares the layers found (outermost first) with the manifest's
 * (innermost first).  The manifest may stop at an age layer it could not
 * open, and so may this run without an identity.
 */
static void
layers_differ(char *out, size_t size, const char **found, size_t nfound,
    char *const *want, size_t nwant, const char *shown)
{
	size_t i, n = nfound < nwant ? nfound : nwant;

	if (nwant == 0)
		return;
	for (i = 0; i < n; i++)
		if (strcmp(found[i], want[nwant - 1 - i]) != 0)
			break;
	if (i == n && (nfound == nwant || (n > 0 && is_age(found[n - 1]))))
		return;
	snprintf(out, size, "layers are \"%s\", the manifest says \"",
	    shown);
	for (i = 0; i < nwant; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s",
		    i > 0 ? " " : "", want[i]);
	snprintf(out + strlen(out), size - strlen(out), "\"");
}

/*
 * Reads fd once: size and sha256 of the raw bytes, every layer decoded,
 * the content checked.  want_sha is "" when there is no digest to compare;
 * want_records -1 when there is no count.  Fills res (ok, reason, note,
 * records) and returns res->ok.
 */
static int
verify_stream(struct verify *v, int fd, const char *name, const char *want_sha,
    int64_t want_records, char *const *want_layers, size_t nwant,
    struct result *res)
{
	struct raw raw;
	struct check *c;
	struct qreader *qr;
	struct bk_reader *top;
	struct bk_age_info info;
	struct bk_progress meter;
	struct stat st;
	pthread_t rt, ct;
	unsigned char head[HEAD], dg[BK_DIGEST_MAX], *p;
	char hex[65], lerr[REASON] = "", layers[128] = "";
	const char *found[BK_LAYERS_MAX], *why;
	size_t nfound = 0;
	enum bk_layer l = BK_LAYER_UNKNOWN;
	ssize_t got;
	size_t len;
	int depth = 0, opaque = 0, started = 0;

	memset(&raw, 0, sizeof(raw));
	raw.fd = fd;
	q_init(&raw.q, v->pool[0]);
	bk_digest_init(&raw.dg, bk_digest_lookup("sha256"));
	if (pthread_create(&rt, NULL, raw_main, &raw) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	qr = bk_calloc(1, sizeof(*qr));
	qr->r.read = qr_read;
	qr->r.close = qr_close;
	qr->raw = &raw;
	qr->name = name;
	qr->meter = &meter;
	bk_progress_init(&meter, v->progress, name,
	    fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0);
	top = &qr->r;
	c = bk_calloc(1, sizeof(*c));
	c->tfd = -1;
	c->slot = -1;
	c->csv_threads = CSV_THREADS;

	/* Peel the layers by their magic bytes. */
	for (;;) {
		if ((got = bk_reader_read_full(top, head, HEAD)) < 0) {
			take_error(lerr, sizeof(lerr), top, name);
			goto drain;
		}
		l = bk_detect(head, (size_t)got);
		top = bk_reader_replay(top, head, (size_t)got);
		if (l != BK_LAYER_UNKNOWN && l != BK_LAYER_EMPTY &&
		    nfound < BK_LAYERS_MAX)
			found[nfound++] = bk_layer_name(l);
		if (l == BK_LAYER_GZIP && depth++ < 4) {
			top = bk_reader_gunzip(top, name);
			continue;
		}
		if ((l == BK_LAYER_AGE || l == BK_LAYER_AGE_ARMOR) &&
		    depth++ < 4) {
			top = bk_reader_age(top, v->ids);
			if (v->ids == NULL) {
				if (bk_age_info(top, &info) < 0)
					take_error(lerr, sizeof(lerr), top,
					    name);
				opaque = 1;
				snprintf(res->note, sizeof(res->note),
				    "age not decrypted: no identity");
				goto drain;
			}
			continue;
		}
		break;
	}
	if (l == BK_LAYER_EMPTY) {
		if (nfound > 0)
			snprintf(lerr, sizeof(lerr), "no data inside the %s "
			    "layer", found[nfound - 1]);
		else
			snprintf(lerr, sizeof(lerr), "file is empty");
		goto drain;
	}
	if (l == BK_LAYER_UNKNOWN) {
		/* Binary data of no known kind: decoding it is the check. */
		opaque = 1;
	}

	/* Decode the rest and hand it to the content checker. */
	c->kind = l;
	bk_pgscript_init(&c->pg);
	q_init(&c->q, v->pool[1]);
	if (l == BK_LAYER_SQLITE)
		sqlite_tmp_open(c);
	if (bk_layer_pgarchive(l)) {
		if (bk_pgarchive_start(&c->pa, l, lerr, sizeof(lerr)) < 0)
			bk_errx(BK_EX_UNAVAILABLE, "%s", lerr);
		c->pa_started = 1;
	}
	if (pthread_create(&ct, NULL, check_main, c) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	started = 1;
	for (;;) {
		p = q_reserve(&c->q);
		if ((got = bk_reader_read_full(top, p, BLK)) < 0) {
			take_error(lerr, sizeof(lerr), top, name);
			c->aborted = 1;
			break;
		}
		if (got == 0)
			break;
		if (q_push(&c->q, (size_t)got))
			break;	/* the content failed: no need to decode on */
	}
	q_close(&c->q);

drain:
	/* The digest needs every raw byte, whatever happened above. */
	while (q_peek(&raw.q, &len) != NULL)
		q_pop(&raw.q);
	pthread_join(rt, NULL);
	bk_progress_end(&meter);
	if (started) {
		pthread_join(ct, NULL);
		if (!c->failed && !c->aborted && lerr[0] == '\0' &&
		    l == BK_LAYER_SQLITE)
			sqlite_check(c);
		q_free(&c->q);
	}
	if (c->tmp != NULL)
		sqlite_tmp_remove(c);
	bk_reader_close(top);
	bk_digest_final(&raw.dg, dg);
	bk_hex(hex, dg, 32);
	q_free(&raw.q);

	for (len = nfound; len > 0; len--) {
		if (layers[0] != '\0')
			strcat(layers, " ");
		strcat(layers, found[len - 1]);
	}
	if (lerr[0] == '\0' && want_layers != NULL)
		layers_differ(lerr, sizeof(lerr), found, nfound, want_layers,
		    nwant, layers);
	res->size = (int64_t)raw.size;
	res->records = -1;
	/* The first thing that went wrong in the layers or the content. */
	why = lerr[0] != '\0' ? lerr : c->failed ? c->err : "";
	if (raw.err != 0)
		snprintf(res->reason, sizeof(res->reason), "could not read: %s",
		    strerror(raw.err));
	else if (want_sha[0] != '\0' && strcmp(hex, want_sha) != 0)
		/* Changed bytes: where a layer noticed says where. */
		snprintf(res->reason, sizeof(res->reason), "sha256 does not "
		    "match%s%.900s%s", *why != '\0' ? " (" : "", why,
		    *why != '\0' ? ")" : "");
	else if (*why != '\0')
		snprintf(res->reason, sizeof(res->reason), "%s", why);
	if (res->reason[0] == '\0' && !opaque &&
	    (l == BK_LAYER_CSV || l == BK_LAYER_JSONL)) {
		res->records = (int64_t)c->records;
		if (want_records >= 0 && res->records != want_records)
			snprintf(res->reason, sizeof(res->reason), "%" PRId64
			    " records, the manifest says %" PRId64,
			    res->records, want_records);
	}
	if (res->reason[0] == '\0' && bk_verbosity() > 0 &&
	    res->note[0] == '\0') {
		if (res->records >= 0)
			snprintf(res->note, sizeof(res->note), "%s, %" PRId64
			    " record%s", layers, res->records,
			    res->records == 1 ? "" : "s");
		else
			snprintf(res->note, sizeof(res->note), "%s", layers);
	}
	free(c);
	res->ok = res->reason[0] == '\0';
	return res->ok;
}

/* ---- the run ---- */

static struct result *
add_result(struct verify *v, const char *name)
{
	struct result *r;

	if (v->nres == v->capres) {
		v->capres = v->capres ? v->capres * 2 : 64;
		v->res = bk_reallocarray(v->res, v->capres, sizeof(*v->res));
	}
	r = &v->res[v->nres++];
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->records = -1;
	r->size = -1;
	return r;
}

static void
print_result(struct verify *v, const struct result *r)
{
	if (!r->ok) {
		v->nfail++;
		printf("FAIL %s: %s\n", r->name, r->reason);
	} else if (!v->o->quiet) {
		if (r->note[0] != '\0')
			printf("OK %s (%s)\n", r->name, r->note);
		else
			printf("OK %s\n", r->name);
	}
}

/* A line of its own for problems that are not one backup's. */
static void
print_fail(struct verify *v, const char *fmt, ...) BK_PRINTF(2, 3);

static void
print_fail(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	v->nfail++;
	fputs("FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Opens a backup and checks what needs no reading; 0 or -1 (res says). */
static int
open_checked(int fd, int64_t want_size, struct result *res)
{
	struct stat st;

	if (fd < 0) {
		if (errno == ENOENT)
			snprintf(res->reason, sizeof(res->reason),
			    "file is missing");
		else if (errno == ELOOP)
			snprintf(res->reason, sizeof(res->reason),
			    "is a symbolic link");
		else
			snprintf(res->reason, sizeof(res->reason),
			    "could not open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(res->reason, sizeof(res->reason), "could not stat: "
		    "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(res->reason, sizeof(res->reason),
		    "not a regular file");
		return -1;
	}
	if (want_size >= 0 && st.st_size != want_size) {
		snprintf(res->reason, sizeof(res->reason), "size is %jd bytes, "
		    "the manifest says %" PRId64, (intmax_t)st.st_size,
		    want_size);
		return -1;
	}
	return 0;
}

static void
verify_entry(struct verify *v, struct bk_entry *e, const char *name)
{
	struct result *r = add_result(v, name);
	int fd;

	r->path = e->path;
	r->type = e->type;
	r->created = e->created_t;
	e->user = r;
	fd = bk_manifest_open_file(&v->m, e->path, O_RDONLY);
	if (open_checked(fd, e->size, r) == 0)
		verify_stream(v, fd, e->path, e->sha256, e->records,
		    e->layers, e->nlayers, r);
	else
		r->ok = 0;
	if (fd >= 0)
		close(fd);
	if (r->ok)
		r->size = e->size >= 0 ? e->size : r->size;
	print_result(v, r);
}

/* ---- files in the tree without a manifest line ---- */

/*
 * One file of bk_walk_tree's walk (the one bk-manifest adopt makes).  One
 * that looks like a backup but that no manifest line names is a FAIL.  A
 * temporary file of bk's over an hour old was left by a run that was
 * killed: said on stderr with its age and counted in the metrics, without
 * failing the run, since it is no backup.
 */
static void
scan_file(const struct bk_walk_file *f, void *arg)
{
	struct verify *v = arg;
	char age[32];

	if (f->kind == BK_WALK_UNLISTED) {
		print_fail(v, "%s: not in the manifest (incomplete backup)",
		    f->rel);
		v->unlisted++;
	} else if (f->kind == BK_WALK_STALE) {
		bk_format_duration(age, sizeof(age), f->age);
		bk_warnx("\"%s\": a temporary file of a bk run that was "
		    "killed, %s old (find removes old ones: see bk-verify(1))",
		    f->rel, age);
		v->stale++;
	}
}

/* ---- the modes ---- */

static int
type_matches(const struct opts *o, const struct bk_entry *e)
{
	return o->type == NULL || (e->type != NULL &&
	    strcmp(e->type, o->type) == 0);
}

static void
verify_manifest(struct verify *v, int argc, char **argv)
{
	struct bk_entry *e;
	struct result *r;
	char err[256], *rel;
	size_t i;
	int k;

	bk_manifest_init(&v->m, v->o->manifest);
	v->m.wait = v->o->wait;
	bk_manifest_load(&v->m, BK_MF_QUIET);
	v->have_manifest = 1;
	for (i = 0; i < v->m.n; i++) {
		e = &v->m.ents[i];
		if (e->bad) {
			v->badlines++;
			print_fail(v, "%s:%zu: %s", v->m.path, e->lineno,
			    e->error);
		}
	}
	if (argc == 0) {
		for (i = 0; i < v->m.n; i++) {
			e = &v->m.ents[i];
			if (!e->bad && type_matches(v->o, e))
				verify_entry(v, e, e->path);
		}
		if (!v->o->noscan)
			bk_walk_tree(&v->m, "", NULL, scan_file, v);
		return;
	}
	for (k = 0; k < argc; k++) {
		rel = bk_manifest_relpath(&v->m, argv[k], err, sizeof(err));
		e = rel != NULL ? bk_manifest_find(&v->m, rel) : NULL;
		if (e == NULL) {
			r = add_result(v, argv[k]);
			snprintf(r->reason, sizeof(r->reason), "%s",
			    rel == NULL ? err :
			    "not in the manifest (incomplete backup)");
			print_result(v, r);
			free(rel);
			continue;
		}
		free(rel);
		if (type_matches(v->o, e))
			verify_entry(v, e, argv[k]);
	}
}

/* Parses one line of a sha256sum list: "HEX  NAME" or "HEX *NAME". */
static int
parse_sum_line(char *line, char **hex, char **name)
{
	size_t i;

	line[strcspn(line, "\r\n")] = '\0';
	if (strspn(line, "0123456789abcdefABCDEF") != 64 || line[64] != ' ' ||
	    (line[65] != ' ' && line[65] != '*') || line[66] == '\0')
		return -1;
	line[64] = '\0';
	for (i = 0; i < 64; i++)
		if (line[i] >= 'A' && line[i] <= 'F')
			line[i] = (char)(line[i] - 'A' + 'a');
	*hex = line;
	*name = line + 66;
	return 0;
}

static int
named(int argc, char **argv, const char *name)
{
	int k;

	if (argc == 0)
		return 1;
	for (k = 0; k < argc; k++)
		if (strcmp(argv[k], name) == 0)
			return 1;
	return 0;
}

static void
verify_sums(struct verify *v, int argc, char **argv)
{
	FILE *f;
	struct result *r;
	char *line = NULL, *hex, *name;
	size_t cap = 0, lineno = 0;
	int fd;

	if (strcmp(v->o->sums, "-") == 0)
		f = stdin;
	else if ((f = fopen(v->o->sums, "r")) == NULL)
		bk_err(bk_open_errno_code(errno), "could not open \"%s\"",
		    v->o->sums);
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (parse_sum_line(line, &hex, &name) < 0) {
			v->badlines++;
			print_fail(v, "%s:%zu: not a sha256sum line",
			    bk_input_name(v->o->sums), lineno);
			continue;
		}
		if (!named(argc, argv, name))
			continue;
		r = add_result(v, bk_strdup(name));
		r->owned = 1;
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (open_checked(fd, -1, r) == 0)
			verify_stream(v, fd, name, hex, -1, NULL, 0, r);
		if (fd >= 0)
			close(fd);
		print_result(v, r);
	}
	if (ferror(f))
		bk_err(BK_EX_IOERR, "could not read \"%s\"", v->o->sums);
	free(line);
	if (f != stdin)
		fclose(f);
}

/* ---- freshness ---- */

static void
format_age(char *buf, size_t size, int64_t s)
{
	int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;

	if (d > 0 && h > 0)
		snprintf(buf, size, "%" PRId64 "d %" PRId64 "h", d, h);
	else if (d > 0)
		snprintf(buf, size, "%" PRId64 "d", d);
	else if (h > 0 && m > 0)
		snprintf(buf, size, "%" PRId64 "h %" PRId64 "m", h, m);
	else if (h > 0)
		snprintf(buf, size, "%" PRId64 "h", h);
	else if (m > 0)
		snprintf(buf, size, "%" PRId64 "m", m);
	else
		snprintf(buf, size, "%" PRId64 "s", s < 0 ? 0 : s);
}

/* The types seen in this run, in order of first appearance. */
static size_t
collect_types(struct verify *v, const char ***out)
{
	const char **t = NULL, *ty;
	size_t n = 0, i, j;

	if (v->o->type != NULL) {
		t = bk_malloc(sizeof(*t));
		t[0] = v->o->type;
		*out = t;
		return 1;
	}
	for (i = 0; i < v->nres; i++) {
		if (v->res[i].path == NULL)
			continue;
		ty = v->res[i].type != NULL ? v->res[i].type : "none";
		for (j = 0; j < n && strcmp(t[j], ty) != 0; j++)
			;
		if (j == n) {
			t = bk_reallocarray(t, n + 1, sizeof(*t));
			t[n++] = ty;
		}
	}
	*out = t;
	return n;
}

static int
result_is_type(const struct result *r, const char *type)
{
	return r->path != NULL && strcmp(r->type != NULL ? r->type : "none",
	    type) == 0;
}

/* The newest backup of the type that verified OK in this run, or NULL. */
static const struct result *
newest_good(struct verify *v, const char *type)
{
	const struct result *best = NULL;
	size_t i;

	for (i = 0; i < v->nres; i++)
		if (v->res[i].ok && result_is_type(&v->res[i], type) &&
		    (best == NULL || v->res[i].created > best->created))
			best = &v->res[i];
	return best;
}

static void
check_freshness(struct verify *v)
{
	const struct result *r;
	const char **types;
	char age[64], lim[64];
	size_t n, i;

	n = collect_types(v, &types);
	format_age(lim, sizeof(lim), v->o->max_age);
	for (i = 0; i < n; i++) {
		r = newest_good(v, types[i]);
		if (r == NULL) {
			print_fail(v, "type %s: no good backup", types[i]);
			continue;
		}
		if (v->now - r->created > v->o->max_age) {
			format_age(age, sizeof(age), v->now - r->created);
			print_fail(v, "type %s: newest good backup is %s old "
			    "(limit %s)", types[i], age, lim);
		}
	}
	free(types);
}

/* ---- metrics for node_exporter's textfile collector ---- */

/* A label value with \, " and newline escaped as the format wants. */
static void
put_label(struct bk_out *out, const char *s)
{
	char c[2];

	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			bk_out_write(out, "\\", 1);
		if (*s == '\n') {
			bk_out_write(out, "\\n", 2);
			continue;
		}
		c[0] = *s;
		bk_out_write(out, c, 1);
	}
}

static void
put(struct bk_out *out, const char *fmt, ...) BK_PRINTF(2, 3);

static void
put(struct bk_out *out, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = bk_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	bk_out_write(out, s, (size_t)n);
	free(s);
}

static void
put_head(struct bk_out *out, const char *name, const char *help)
{
	put(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
put_typed(struct bk_out *out, const char *name, const char *type,
    const char *value)
{
	put(out, "%s{type=\"", name);
	put_label(out, type);
	put(out, "\"} %s\n", value);
}

/*
 * Writes the metrics atomically (node_exporter may read the file at any
 * moment) and readable by all: node_exporter runs as another user, and
 * the figures hold no secrets.
 */
static void
write_metrics(struct verify *v)
{
	struct bk_out out;
	struct timespec end;
	const struct result *r;
	const char **types;
	char val[64];
	size_t n, i, j, nok, nbad;
	double dur;
	int okall;

	n = collect_types(v, &types);
	bk_out_open(&out, v->o->metrics, BK_OUT_FORCE);
	put_head(&out, "bk_backup_last_success_timestamp_seconds",
	    "Creation time of the newest backup of the type that verified OK "
	    "(0 if none).");
	for (i = 0; i < n; i++) {
		r = newest_good(v, types[i]);
		snprintf(val, sizeof(val), "%jd",
		    (intmax_t)(r != NULL ? r->created : 0));
		put_typed(&out, "bk_backup_last_success_timestamp_seconds",
		    types[i], val);
	}
	put_head(&out, "bk_backup_size_bytes",
	    "Size of the newest backup of the type that verified OK.");
	for (i = 0; i < n; i++)
		if ((r = newest_good(v, types[i])) != NULL && r->size >= 0) {
			snprintf(val, sizeof(val), "%" PRId64, r->size);
			put_typed(&out, "bk_backup_size_bytes", types[i], val);
		}
	put_head(&out, "bk_backup_records",
	    "Records in the newest backup of the type that verified OK.");
	for (i = 0; i < n; i++)
		if ((r = newest_good(v, types[i])) != NULL && r->records >= 0) {
			snprintf(val, sizeof(val), "%" PRId64, r->records);
			put_typed(&out, "bk_backup_records", types[i], val);
		}
	put_head(&out, "bk_verify_backups",
	    "Backups of the type verified in this run.");
	for (i = 0; i < n; i++) {
		for (j = nok = 0; j < v->nres; j++)
			nok += result_is_type(&v->res[j], types[i]);
		snprintf(val, sizeof(val), "%zu", nok);
		put_typed(&out, "bk_verify_backups", types[i], val);
	}
	put_head(&out, "bk_verify_ok",
	    "1 if every backup of the type verified OK in this run, else 0.");
	for (i = 0; i < n; i++) {
		for (j = nbad = nok = 0; j < v->nres; j++)
			if (result_is_type(&v->res[j], types[i])) {
				nok += v->res[j].ok;
				nbad += !v->res[j].ok;
			}
		put_typed(&out, "bk_verify_ok", types[i],
		    nbad == 0 && nok > 0 ? "1" : "0");
	}
	put_head(&out, "bk_verify_unlisted_files",
	    "Files in the tree that look like backups but have no manifest "
	    "line (incomplete backups).");
	put(&out, "bk_verify_unlisted_files %zu\n", v->unlisted);
	put_head(&out, "bk_verify_stale_temporary_files",
	    "Temporary files of bk runs that were killed, over an hour old.");
	put(&out, "bk_verify_stale_temporary_files %zu\n", v->stale);
	put_head(&out, "bk_verify_bad_lines",
	    "Manifest or sums lines that could not be read.");
	put(&out, "bk_verify_bad_lines %zu\n", v->badlines);
	okall = v->nfail == 0;
	put_head(&out, "bk_verify_success",
	    "1 if the whole run passed (exit status 0), else 0.");
	put(&out, "bk_verify_success %d\n", okall);
	put_head(&out, "bk_verify_last_run_timestamp_seconds",
	    "When this verification ran.");
	put(&out, "bk_verify_last_run_timestamp_seconds %jd\n",
	    (intmax_t)v->now);
	clock_gettime(CLOCK_MONOTONIC, &end);
	dur = (double)(end.tv_sec - v->start.tv_sec) +
	    (double)(end.tv_nsec - v->start.tv_nsec) / 1e9;
	put_head(&out, "bk_verify_duration_seconds",
	    "How long this verification took.");
	put(&out, "bk_verify_duration_seconds %.3f\n", dur);
	/* Only our own temporary file: never a device or FIFO named. */
	if (out.tmp != NULL && fchmod(out.fd, 0644) < 0)
		bk_err(BK_EX_CANTCREAT, "could not set the mode of \"%s\"",
		    v->o->metrics);
	bk_out_commit(&out);
	free(types);
}

/* ---- --record ---- */

static int
cmp_result(const void *a, const void *b)
{
	return strcmp((*(struct result *const *)a)->path,
	    (*(struct result *const *)b)->path);
}

static int
record_keep(struct bk_entry *e, void *arg)
{
	struct verify *v = arg;
	struct result key, *kp = &key, **r;

	key.path = e->path;
	r = bsearch(&kp, v->byname, v->nbyname, sizeof(*v->byname),
	    cmp_result);
	if (r != NULL)
		bk_entry_set_verified(e, v->now, (*r)->ok ? BK_VERIFIED_OK :
		    BK_VERIFIED_FAIL, (*r)->ok ? NULL : (*r)->reason);
	return 1;
}

/*
 * Writes each result into its manifest line, under the exclusive lock,
 * through an atomic rewrite.  The paths of the results point into the
 * loaded entries, which the rewrite frees: copy them first.
 */
static void
record_results(struct verify *v)
{
	size_t i;

	v->byname = bk_calloc(v->nres + 1, sizeof(*v->byname));
	for (i = 0; i < v->nres; i++) {
		if (v->res[i].path != NULL) {
			v->res[i].path = bk_strdup(v->res[i].path);
			v->byname[v->nbyname++] = &v->res[i];
		}
		v->res[i].type = NULL;
	}
	if (v->nbyname > 0)
		qsort(v->byname, v->nbyname, sizeof(*v->byname), cmp_result);
	bk_manifest_lock(&v->m, BK_LOCK_EX, v->o->wait, 0);
	bk_manifest_rewrite(&v->m, record_keep, v);
	bk_manifest_unlock(&v->m);
	for (i = 0; i < v->nres; i++)
		free((char *)v->res[i].path);
	free(v->byname);
}

/* ---- options ---- */

static void
load_identities(struct verify *v)
{
	char err[512], *line, *what;
	size_t n, i;
	int code, fd;

	if (v->o->nidfiles == 0 && v->o->passfile == NULL)
		return;
	v->ids = bk_age_ids_new();
	for (i = 0; i < v->o->nidfiles; i++)
		if ((code = bk_age_ids_load(v->ids, v->o->idfiles[i], err,
		    sizeof(err))) != 0)
			bk_errx(code, "%s", err);
	if (v->o->passfile != NULL) {
		if ((fd = open(v->o->passfile, O_RDONLY | O_CLOEXEC)) < 0)
			bk_err(bk_open_errno_code(errno), "could not open "
			    "\"%s\"", v->o->passfile);
		what = bk_asprintf("passphrase file \"%s\"", v->o->passfile);
		line = bk_secret_read(fd, what, &n);
		free(what);
		close(fd);
		if (n == 0)
			bk_errx(BK_EX_DATAERR, "no passphrase in \"%s\"",
			    v->o->passfile);
		bk_age_ids_set_passphrase(v->ids, line, n);
		bk_explicit_bzero(line, n);
		free(line);
	}
}

int
main(int argc, char *argv[])
{
	static const char optstring[] = ":Pqvm:s:t:i:p:a:M:nrw:h";
	static const struct option longopts[] = {
		{ "progress",		no_argument,		NULL, 'P' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "verbose",		no_argument,		NULL, 'v' },
		{ "manifest",		required_argument,	NULL, 'm' },
		{ "sums",		required_argument,	NULL, 's' },
		{ "type",		required_argument,	NULL, 't' },
		{ "identity",		required_argument,	NULL, 'i' },
		{ "passphrase-file",	required_argument,	NULL, 'p' },
		{ "max-age",		required_argument,	NULL, 'a' },
		{ "metrics",		required_argument,	NULL, 'M' },
		{ "no-scan",		no_argument,		NULL, 'n' },
		{ "record",		no_argument,		NULL, 'r' },
		{ "wait",		required_argument,	NULL, 'w' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "version",		no_argument,		NULL, 'V' },
		{ NULL,			0,			NULL, 0 }
	};
	struct opts o;
	struct verify v;
	int ch, verbosity = 0;

	bk_init(argc, argv);
	memset(&o, 0, sizeof(o));
	o.max_age = -1;
	o.wait = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			o.progress = 1;
			break;
		case 'q':
			o.quiet = 1;
			verbosity = -1;
			break;
		case 'v':
			verbosity = 1;
			break;
		case 'm':
			o.manifest = optarg;
			break;
		case 's':
			o.sums = optarg;
			break;
		case 't':
			o.type = optarg;
			break;
		case 'i':
			o.idfiles = bk_reallocarray(o.idfiles, o.nidfiles + 1,
			    sizeof(*o.idfiles));
			o.idfiles[o.nidfiles++] = optarg;
			break;
		case 'p':
			o.passfile = optarg;
			break;
		case 'a':
			if (bk_parse_duration(optarg, &o.max_age) < 0 ||
			    o.max_age <= 0)
				bk_usage_error("bad duration \"%s\"", optarg);
			break;
		case 'M':
			o.metrics = optarg;
			break;
		case 'n':
			o.noscan = 1;
			break;
		case 'r':
			o.record = 1;
			break;
		case 'w':
			o.wait = bk_parse_wait(optarg);
			break;
		case 'h':
			bk_print_usage(usage);
			/* NOTREACHED */
		case 'V':
			bk_print_version();
			/* NOTREACHED */
		default:
			bk_bad_option(argv, optstring);
		}
	}
	argc -= optind;
	argv += optind;
	bk_set_verbosity(verbosity);
	if (o.sums != NULL && (o.manifest != NULL || o.type != NULL ||
	    o.max_age >= 0 || o.record))
		bk_usage_error("--sums does not go with --manifest, --type, "
		    "--max-age or --record");

	memset(&v, 0, sizeof(v));
	v.o = &o;
	v.progress = o.progress;
	v.now = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &v.start);
	load_identities(&v);
	if (o.sums != NULL)
		verify_sums(&v, argc, argv);
	else
		verify_manifest(&v, argc, argv);
	if (o.max_age >= 0)
		check_freshness(&v);
	fflush(stdout);
	if (o.metrics != NULL)
		write_metrics(&v);
	if (o.record && v.have_manifest && v.nres > 0)
		record_results(&v);
	if (v.have_manifest)
		bk_manifest_free(&v.m);
	for (size_t i = 0; i < v.nres; i++)
		if (v.res[i].owned)
			free((char *)v.res[i].name);
	free(v.res);
	for (size_t i = 0; i < 2 * NSLOT; i++)
		free(v.pool[i / NSLOT][i % NSLOT]);
	if (v.ids != NULL)
		bk_age_ids_free(v.ids);
	free(o.idfiles);
	return bk_finish(v.nfail > 0 ? BK_EX_FAIL : BK_EX_OK);
}
