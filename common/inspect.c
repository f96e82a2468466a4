/*
 * inspect.c: what a backup file holds, read once from the first byte to
 * the last.  The raw bytes go through sha256 and a byte count; layers are
 * recognised by their magic bytes and peeled while they can be (gzip,
 * through gunzip.c, CRC and length checked);
 * the innermost content is then looked at in a single streaming pass:
 * CSV is read by the strict reader of csvread.c (bk-csv's and bk-verify's)
 * and its records counted, JSON Lines records are counted, a pg_dump
 * script is checked for its closing lines, and a pg_dump custom archive
 * is read whole by pg_restore (pgarchive.c).  Encrypted and binary contents
 * are opaque here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"

#define HEAD	4096	/* bytes read to recognise a layer */
#define CHUNK	65536
/*
 * Workers of the CSV reader: libcsv parses about 250 MB/s on one core,
 * slower than inflate and sha256, so two workers keep it off the path.
 */
#define CSV_THREADS	2

/* The innermost content, looked at as it streams past. */
struct look {
	enum bk_layer	 kind;
	uint64_t	 rows;		/* non-empty lines */
	int		 nonempty;	/* the current line has bytes */
	struct bk_pgscript pg;		/* a pg_dump script's ends */
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

static void
look_feed(struct look *k, const unsigned char *p, size_t n)
{
	switch (k->kind) {
	case BK_LAYER_JSONL:
		look_lines(k, p, n);
		break;
	case BK_LAYER_PGDUMP:
		bk_pgscript_feed(&k->pg, p, n);
		break;
	default:
		break;
	}
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
	struct bk_reader *raw, *top;
	struct look *k;
	unsigned char *buf;
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
	bk_pgscript_init(&k->pg);
	top = raw = bk_reader_hash(fd, name, NULL);
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
		while ((got = top->read(top, buf, CHUNK)) > 0)
			look_feed(k, buf, (size_t)got);
		if (got < 0) {
			rc = fail_from(ins, top);
			goto out;
		}
		if (k->nonempty)
			k->rows++;
		if (k->kind == BK_LAYER_JSONL)
			ins->records = (int64_t)k->rows;
		else
			ins->complete = bk_pgscript_complete(&k->pg, ins->why,
			    sizeof(ins->why));
	} else if (k->kind == BK_LAYER_SQLITE) {
		/* A private copy, and the one integrity_check (sqlitefile.c). */
		char *copy;
		int slot, tfd = bk_sqlite_tmp("bk-inspect", &copy, &slot);

		while ((got = top->read(top, buf, CHUNK)) > 0)
			if (bk_write_full(tfd, buf, (size_t)got) < 0) {
				snprintf(ins->err, sizeof(ins->err), "could not "
				    "write a temporary copy: %s", strerror(errno));
				ins->code = BK_EX_IOERR;
				rc = -1;
				break;
			}
		if (close(tfd) < 0 && rc == 0) {
			snprintf(ins->err, sizeof(ins->err), "could not write a "
			    "temporary copy: %s", strerror(errno));
			ins->code = BK_EX_IOERR;
			rc = -1;
		}
		if (rc == 0 && got == 0)
			ins->valid = bk_sqlite_integrity(copy, ins->why,
			    sizeof(ins->why)) == 0;
		bk_sqlite_tmp_remove(&copy, slot);
		if (rc < 0)
			goto out;
		if (got < 0) {
			rc = fail_from(ins, top);
			goto out;
		}
	} else if (bk_layer_pgarchive(k->kind)) {
		struct bk_pgarchive a;

		if (bk_pgarchive_start(&a, k->kind, ins->err,
		    sizeof(ins->err)) < 0) {
			ins->code = BK_EX_UNAVAILABLE;
			rc = -1;
			goto out;
		}
		while ((got = top->read(top, buf, CHUNK)) > 0)
			bk_pgarchive_feed(&a, buf, (size_t)got);
		ins->complete = bk_pgarchive_finish(&a, ins->why,
		    sizeof(ins->why));
		if (got < 0) {
			rc = fail_from(ins, top);
			goto out;
		}
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
	if (bk_reader_hash_finish(raw, ins->sha256, &ins->size) < 0) {
		rc = fail_from(ins, raw);
		goto out;
	}
	/* Found outermost first; stored innermost first, as names read. */
	for (i = 0; i < ins->nlayers / 2; i++) {
		tmp = ins->layers[i];
		ins->layers[i] = ins->layers[ins->nlayers - 1 - i];
		ins->layers[ins->nlayers - 1 - i] = tmp;
	}
out:
	bk_reader_close(top);
	free(k);
	free(buf);
	return rc;
}
