/*
 * bk-zstd: zstd compression on threads, decompression and testing.
 *
 * Compression is libzstd's streaming compressor with its own worker
 * threads (ZSTD_c_nbWorkers): it cuts the input into jobs of a size fixed
 * by the level (four windows), compresses them in parallel, each primed
 * with the end of the job before it, and emits them in order as one frame
 * with a content checksum.  The cuts do not depend on the number of
 * workers nor on how the input arrives, so the output is the same for any
 * thread count from one up, as zstd's developers keep it; one thread runs
 * the same way beside the main thread (zstd -T1), never in the caller's
 * thread alone (zstd --single-thread), whose output differs.  No name, no
 * size and no time go into the frame, so the same input always gives the
 * same bytes.  Memory grows with the level and the threads, not with the
 * input.
 *
 * Decompression and testing go through the unzstd reader layer of
 * common/, the one zstd decoder the suite has.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "stream/stream.h"

#define IOBUF		(256 * 1024)	/* output buffers */
#define INBLK		(1024 * 1024)	/* blocks read ahead, written behind */
#define LEVEL_MAX	19		/* levels past it need --ultra */

static const char usage[] =
    "usage: bk-zstd [-1 ... -19] [-cfPqv] [-j threads] [-o file] [file]\n"
    "       bk-zstd -d [-cfPqv] [-o file] [file]\n"
    "       bk-zstd -t [-Pqv] [file]\n";

/* ---- compression ---- */

/* Sets a compression parameter, which only a broken libzstd refuses. */
static void
set_param(ZSTD_CCtx *cc, ZSTD_cParameter p, int v, const char *what)
{
	size_t ret;

	if (ZSTD_isError(ret = ZSTD_CCtx_setParameter(cc, p, v)))
		bk_errx(BK_EX_SOFTWARE, "could not set zstd's %s to %d: %s",
		    what, v, ZSTD_getErrorName(ret));
}

/*
 * Runs the compressor over in (empty at the end, with ZSTD_e_end) and
 * writes what it gives out; returns when it has taken all of in, and at
 * the end when the frame is complete.  A failure to start the workers
 * shows here first, as an allocation failure.
 */
static void
compress_chunk(struct bk_codec *zs, ZSTD_CCtx *cc, ZSTD_inBuffer *in,
    ZSTD_EndDirective end, unsigned char *buf)
{
	ZSTD_outBuffer out;
	size_t left;

	do {
		out.dst = buf;
		out.size = IOBUF;
		out.pos = 0;
		left = ZSTD_compressStream2(cc, &out, in, end);
		if (ZSTD_isError(left))
			bk_errx(BK_EX_SOFTWARE, "could not compress%s: %s",
			    ZSTD_getErrorCode(left) ==
			    ZSTD_error_memory_allocation ? " (out of memory, "
			    "or a thread could not start)" : "",
			    ZSTD_getErrorName(left));
		bk_out_write(&zs->out, buf, out.pos);
		zs->out_bytes += out.pos;
	} while (end == ZSTD_e_end ? left != 0 : in->pos < in->size);
}

/* The read-ahead: the input in blocks, a queue ahead of the compressor. */
struct ahead {
	int		 fd;
	struct bk_queue	 q;
	int		 err;		/* errno of a failed read, or 0 */
};

static void *
read_ahead(void *arg)
{
	struct ahead *a = arg;
	unsigned char *p;
	ssize_t got;

	for (;;) {
		p = bk_queue_reserve(&a->q);
		if ((got = bk_read_full(a->fd, p, INBLK)) < 0)
			a->err = errno;
		if (got <= 0)
			break;
		bk_queue_push(&a->q, (size_t)got);
		if ((size_t)got < INBLK)
			break;
	}
	bk_queue_close(&a->q);
	return NULL;
}

/*
 * A thread reads ahead, so that the compressor finds the next input at
 * hand whenever a worker is free (as zstd's own asynchronous reads do);
 * the main thread hands it over and writes what comes out.
 */
static void
compress_stream(struct bk_codec *zs)
{
	unsigned char *blk[BK_QUEUE_SLOTS], *obuf, *p;
	struct ahead a;
	ZSTD_CCtx *cc;
	ZSTD_inBuffer in;
	pthread_t t;
	size_t n;
	int i, e;

	if ((cc = ZSTD_createCCtx()) == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	set_param(cc, ZSTD_c_compressionLevel, zs->level, "level");
	set_param(cc, ZSTD_c_checksumFlag, 1, "checksum flag");
	/* Workers even for one thread: the same bytes for every count. */
	set_param(cc, ZSTD_c_nbWorkers, (int)zs->threads, "worker count");
	obuf = bk_malloc(IOBUF);
	for (i = 0; i < BK_QUEUE_SLOTS; i++)
		blk[i] = bk_malloc(INBLK);
	memset(&a, 0, sizeof(a));
	a.fd = zs->infd;
	bk_queue_init(&a.q, blk);
	if ((e = pthread_create(&t, NULL, read_ahead, &a)) != 0) {
		errno = e;
		bk_err(BK_EX_SOFTWARE, "could not start a thread");
	}
	/* The compressor cuts its jobs itself: any blocks will do. */
	while ((p = bk_queue_peek(&a.q, &n)) != NULL) {
		zs->in_bytes += n;
		bk_progress_add(&zs->meter, n);
		in.src = p;
		in.size = n;
		in.pos = 0;
		compress_chunk(zs, cc, &in, ZSTD_e_continue, obuf);
		bk_queue_pop(&a.q);
	}
	pthread_join(t, NULL);
	if (a.err != 0) {
		errno = a.err;
		bk_err(BK_EX_IOERR, "could not read \"%s\"",
		    bk_input_name(zs->input));
	}
	in.src = obuf;
	in.size = 0;
	in.pos = 0;
	compress_chunk(zs, cc, &in, ZSTD_e_end, obuf);
	ZSTD_freeCCtx(cc);
	bk_queue_free(&a.q);
	for (i = 0; i < BK_QUEUE_SLOTS; i++)
		free(blk[i]);
	free(obuf);
}

/* ---- decompression and testing ---- */

/* The write-behind: decoded blocks, a queue ahead of the output. */
struct behind {
	struct bk_out	*out;
	struct bk_queue	 q;
};

static void *
write_behind(void *arg)
{
	struct behind *b = arg;
	unsigned char *p;
	size_t n;

	/* A failed write exits (74, or silently on a broken pipe). */
	while ((p = bk_queue_peek(&b->q, &n)) != NULL) {
		bk_out_write(b->out, p, n);
		bk_queue_pop(&b->q);
	}
	return NULL;
}

/*
 * Decodes the input through the unzstd layer, writing the data unless
 * testing; a thread writes behind the decoder, as zstd's asynchronous
 * writes do.  What was decoded before an error is written out first.
 * Bad data exits 65 when decompressing and 1 when testing: for -t it is
 * the answer to the question asked, not a failure to answer it.
 */
static void
decompress_stream(struct bk_codec *zs)
{
	unsigned char *blk[BK_QUEUE_SLOTS], *p;
	struct bk_reader *r;
	struct behind b;
	uint64_t in, frames, skippable, seen = 0;
	pthread_t t;
	char skip[48];
	ssize_t n;
	int i, e, writing = zs->mode == BK_CODEC_DECOMPRESS;

	r = bk_reader_unzstd(bk_reader_fd(zs->infd, bk_input_name(zs->input)),
	    bk_input_name(zs->input));
	for (i = 0; i < BK_QUEUE_SLOTS; i++)
		blk[i] = bk_malloc(INBLK);
	b.out = &zs->out;
	bk_queue_init(&b.q, blk);
	if (writing && (e = pthread_create(&t, NULL, write_behind, &b)) != 0) {
		errno = e;
		bk_err(BK_EX_SOFTWARE, "could not start a thread");
	}
	for (;;) {
		p = writing ? bk_queue_reserve(&b.q) : blk[0];
		if ((n = r->read(r, p, INBLK)) <= 0)
			break;
		if (writing)
			bk_queue_push(&b.q, (size_t)n);
		zs->out_bytes += (uint64_t)n;
		bk_unzstd_stats(r, &in, NULL, NULL);
		bk_progress_add(&zs->meter, in - seen);
		seen = in;
	}
	if (writing) {
		bk_queue_close(&b.q);
		pthread_join(t, NULL);
	}
	if (n < 0)
		bk_errx(zs->mode == BK_CODEC_TEST && r->code == BK_EX_DATAERR ?
		    BK_EX_FAIL : r->code, "%s", r->err);
	bk_unzstd_stats(r, &in, &frames, &skippable);
	bk_progress_add(&zs->meter, in - seen);
	zs->in_bytes = in;
	skip[0] = '\0';
	if (skippable > 0)
		snprintf(skip, sizeof(skip), " (%ju skippable)",
		    (uintmax_t)skippable);
	if (zs->mode == BK_CODEC_TEST)
		bk_info("\"%s\": OK, %ju frame%s%s, %ju bytes",
		    bk_input_name(zs->input), (uintmax_t)frames,
		    frames == 1 ? "" : "s", skip, (uintmax_t)zs->out_bytes);
	bk_reader_close(r);
	bk_queue_free(&b.q);
	for (i = 0; i < BK_QUEUE_SLOTS; i++)
		free(blk[i]);
}

/* ---- the command ---- */

int
main(int argc, char *argv[])
{
	struct bk_codec zs;

	bk_init(argc, argv);
	memset(&zs, 0, sizeof(zs));
	zs.usage = usage;
	zs.level = 3;
	zs.level_max = LEVEL_MAX;
	zs.say_level = 1;
	zs.compress = compress_stream;
	zs.decompress = decompress_stream;
	bk_codec_options(&zs, argc, argv);
	return bk_finish(bk_codec_run(&zs));
}
