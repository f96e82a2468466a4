/*
 * bk-gz: gzip compression in parallel, decompression and testing.
 *
 * Compression cuts the input into blocks of 1 MiB (BK_GZ_BLOCK) and makes
 * each one a gzip member of its own, compressed whole by libdeflate, its
 * header saying the member's size (bk_gz_header); members joined are one
 * gzip file.  Worker threads compress the blocks; a writer thread emits
 * the members in order.  With one thread, one loop does the same steps in
 * turn.  A member depends on its block and the level only, so the output
 * does not depend on the number of threads, and a fixed header (no name,
 * no time) makes the same input give the same bytes.  A ring of
 * 2 * threads + 6 blocks (about 2 MiB each with the member's room), at
 * most MAXJOBS, bounds the memory; the slack lets the reader run ahead and
 * the writer lag without stalling the workers when other processes take
 * the processors.
 *
 * Decompression and testing go through the gunzip reader layer of
 * common/, the one decoder the suite has.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "stream/stream.h"

#define BLOCK		BK_GZ_BLOCK	/* input per member */
#define MAXJOBS		24		/* blocks in flight (but threads + 2) */
/* Decompression output: a member of bk's decoded straight into it. */
#define IOBUF		BK_GZ_BLOCK

static const char usage[] =
    "usage: bk-gz [-1 ... -9] [-cfPqv] [-j threads] [-o file] [file]\n"
    "       bk-gz -d [-cfPqv] [-o file] [file]\n"
    "       bk-gz -t [-Pqv] [file]\n";

/* Compression's own state, beside the front end's. */
struct gz {
	struct bk_codec		*c;
	int			 xfl;		/* the header's XFL byte */
	size_t			 outcap;	/* room for a member */
};

/* ---- compression ---- */

enum job_state { JOB_FREE, JOB_FILLING, JOB_TODO, JOB_DONE };

/* One block of input on its way through the pipeline: a member. */
struct job {
	enum job_state	 state;
	uint64_t	 seq;
	unsigned char	*in;		/* BLOCK bytes of input */
	size_t		 len;		/* held in it */
	unsigned char	*out;		/* the member, header to trailer */
	size_t		 outlen;
};

/*
 * The shared state: the ring of jobs and the counters that hand them from
 * the reader (main thread) to the workers and on to the writer, under one
 * mutex.  Workers take jobs in order of seq, so the ring never jams.
 */
struct pipeline {
	struct gz	*gz;
	pthread_mutex_t	 mu;
	pthread_cond_t	 todo_cv;	/* a job to compress, or the end */
	pthread_cond_t	 done_cv;	/* a job compressed, or the end */
	pthread_cond_t	 free_cv;	/* a job written */
	struct job	*jobs;
	size_t		 njobs;
	uint64_t	 submitted;	/* jobs [0, submitted) are to do */
	uint64_t	 taken;		/* the next job for a worker */
	int		 finished;	/* every job is submitted */
};

static void
lock(struct pipeline *p)
{
	pthread_mutex_lock(&p->mu);
}

static void
unlock(struct pipeline *p)
{
	pthread_mutex_unlock(&p->mu);
}

static struct libdeflate_compressor *
start_compressor(int level)
{
	struct libdeflate_compressor *c;

	if ((c = libdeflate_alloc_compressor(level)) == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	return c;
}

/*
 * Compresses one block into a whole gzip member: bk's header with the
 * member's size, the deflate data, the CRC-32 and the length.  libdeflate
 * compresses each buffer on its own, so the member depends on the block
 * and the level only.
 */
static void
compress_block(struct libdeflate_compressor *c, const struct gz *gz,
    struct job *j)
{
	size_t n;

	n = libdeflate_deflate_compress(c, j->in, j->len,
	    j->out + BK_GZ_HEADER, gz->outcap - BK_GZ_HEADER - BK_GZ_TRAILER);
	if (n == 0)
		bk_errx(BK_EX_SOFTWARE, "internal deflate error");
	j->outlen = BK_GZ_HEADER + n + BK_GZ_TRAILER;
	bk_gz_header(j->out, gz->xfl, (uint32_t)j->outlen);
	bk_gz_trailer(j->out + BK_GZ_HEADER + n,
	    libdeflate_crc32(0, j->in, j->len), (uint32_t)j->len);
}

static void *
compress_worker(void *arg)
{
	struct pipeline *p = arg;
	struct libdeflate_compressor *c;
	struct job *j;

	c = start_compressor(p->gz->c->level);
	lock(p);
	for (;;) {
		while (p->taken == p->submitted && !p->finished)
			pthread_cond_wait(&p->todo_cv, &p->mu);
		if (p->taken == p->submitted)
			break;
		j = &p->jobs[p->taken % p->njobs];
		p->taken++;
		unlock(p);
		compress_block(c, p->gz, j);
		lock(p);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&p->done_cv);
	}
	unlock(p);
	libdeflate_free_compressor(c);
	return NULL;
}

static void
write_member(struct gz *gz, const struct job *j)
{
	bk_out_write(&gz->c->out, j->out, j->outlen);
	gz->c->out_bytes += j->outlen;
}

/*
 * The writer thread: every member in order, until the reader has said
 * that no more come.  A failed write exits (74, or silently on a broken
 * pipe).
 */
static void *
compress_writer(void *arg)
{
	struct pipeline *p = arg;
	uint64_t seq;
	struct job *j;

	for (seq = 0;; seq++) {
		j = &p->jobs[seq % p->njobs];
		lock(p);
		while ((j->state != JOB_DONE || j->seq != seq) &&
		    !(p->finished && seq == p->submitted))
			pthread_cond_wait(&p->done_cv, &p->mu);
		if (p->finished && seq == p->submitted) {
			unlock(p);
			break;
		}
		unlock(p);
		write_member(p->gz, j);
		lock(p);
		j->state = JOB_FREE;
		pthread_cond_broadcast(&p->free_cv);
		unlock(p);
	}
	return NULL;
}

/* Makes a job ready to take a block: buffers once, fields each time. */
static void
reset_job(const struct gz *gz, struct job *j, uint64_t seq)
{
	j->seq = seq;
	j->len = 0;
	if (j->in == NULL) {
		j->in = bk_malloc(BLOCK);
		j->out = bk_malloc(gz->outcap);
	}
}

static void
free_job(struct job *j)
{
	free(j->in);
	free(j->out);
}

/* Waits for the ring slot of job seq to be free and claims it. */
static struct job *
claim_job(struct pipeline *p, uint64_t seq)
{
	struct job *j = &p->jobs[seq % p->njobs];

	lock(p);
	while (j->state != JOB_FREE)
		pthread_cond_wait(&p->free_cv, &p->mu);
	j->state = JOB_FILLING;
	unlock(p);
	reset_job(p->gz, j, seq);
	return j;
}

static void
submit_job(struct pipeline *p, struct job *j)
{
	lock(p);
	j->state = JOB_TODO;
	p->submitted++;
	pthread_cond_broadcast(&p->todo_cv);
	unlock(p);
}

/*
 * Fills a job with a whole block of input (short only at the end).
 * Returns whether more input may follow: an empty block after a full one
 * holds nothing and makes no member, but an empty input makes one empty
 * member, as a gzip file needs one.
 */
static int
read_block(struct gz *gz, struct job *j)
{
	ssize_t n;

	/* Full blocks whatever the pipe gives: the output depends on it. */
	if ((n = bk_read_full(gz->c->infd, j->in, BLOCK)) < 0)
		bk_err(BK_EX_IOERR, "could not read \"%s\"",
		    bk_input_name(gz->c->input));
	j->len = (size_t)n;
	gz->c->in_bytes += (uint64_t)n;
	bk_progress_add(&gz->c->meter, (uint64_t)n);
	return j->len == BLOCK;
}

static void
start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int e;

	if ((e = pthread_create(t, NULL, fn, arg)) != 0) {
		errno = e;
		bk_err(BK_EX_SOFTWARE, "could not start a thread");
	}
}

/*
 * One thread: the same members, compressed the same way, in turn.  No
 * hand-offs between threads, which cost most when other processes keep the
 * processors busy.
 */
static void
compress_serial(struct gz *gz)
{
	struct libdeflate_compressor *c;
	struct job j;
	uint64_t seq;
	int more;

	memset(&j, 0, sizeof(j));
	c = start_compressor(gz->c->level);
	for (seq = 0;; seq++) {
		reset_job(gz, &j, seq);
		more = read_block(gz, &j);
		if (j.len == 0 && seq > 0)
			break;
		compress_block(c, gz, &j);
		write_member(gz, &j);
		if (!more)
			break;
	}
	libdeflate_free_compressor(c);
	free_job(&j);
}

/*
 * The reader: reads the blocks in turn and hands them on; the ring holds
 * 2 * threads + 6 of them, at most MAXJOBS unless more threads need one
 * each.
 */
static void
compress_stream(struct gz *gz)
{
	struct pipeline p;
	pthread_t *workers, writer;
	struct job *j;
	uint64_t seq;
	size_t i;
	int more;

	memset(&p, 0, sizeof(p));
	p.gz = gz;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.todo_cv, NULL);
	pthread_cond_init(&p.done_cv, NULL);
	pthread_cond_init(&p.free_cv, NULL);
	p.njobs = 2 * (size_t)gz->c->threads + 6;
	if (p.njobs > MAXJOBS)
		p.njobs = (size_t)gz->c->threads + 2 > MAXJOBS ?
		    (size_t)gz->c->threads + 2 : MAXJOBS;
	p.jobs = bk_calloc(p.njobs, sizeof(*p.jobs));
	workers = bk_calloc((size_t)gz->c->threads, sizeof(*workers));
	for (i = 0; i < (size_t)gz->c->threads; i++)
		start_thread(&workers[i], compress_worker, &p);
	start_thread(&writer, compress_writer, &p);

	for (seq = 0;; seq++) {
		j = claim_job(&p, seq);
		more = read_block(gz, j);
		if (j->len == 0 && seq > 0) {
			/* Nothing to compress: the slot goes back. */
			lock(&p);
			j->state = JOB_FREE;
			unlock(&p);
			break;
		}
		submit_job(&p, j);
		if (!more)
			break;
	}
	lock(&p);
	p.finished = 1;
	pthread_cond_broadcast(&p.todo_cv);
	pthread_cond_broadcast(&p.done_cv);
	unlock(&p);

	for (i = 0; i < (size_t)gz->c->threads; i++)
		pthread_join(workers[i], NULL);
	pthread_join(writer, NULL);
	for (i = 0; i < p.njobs; i++)
		free_job(&p.jobs[i]);
	free(p.jobs);
	free(workers);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.todo_cv);
	pthread_cond_destroy(&p.done_cv);
	pthread_cond_destroy(&p.free_cv);
}

/* Compresses on one thread or on many: the same bytes either way. */
static void
compress(struct bk_codec *c)
{
	struct gz gz;

	gz.c = c;
	/* XFL tells the fastest and the best levels, as gzip sets it. */
	gz.xfl = c->level == 9 ? 2 : c->level == 1 ? 4 : 0;
	gz.outcap = BK_GZ_HEADER + libdeflate_deflate_compress_bound(NULL,
	    BLOCK) + BK_GZ_TRAILER;
	if (c->threads == 1)
		compress_serial(&gz);
	else
		compress_stream(&gz);
}

/* ---- decompression and testing ---- */

/*
 * Decodes the input through the gunzip layer, writing the data unless
 * testing.  Bad data exits 65 when decompressing and 1 when testing: for
 * -t it is the answer to the question asked, not a failure to answer it.
 */
static void
decompress_stream(struct bk_codec *c)
{
	struct bk_reader *r;
	unsigned char *buf;
	uint64_t in, members, seen = 0;
	ssize_t n;

	r = bk_reader_gunzip(bk_reader_fd(c->infd, bk_input_name(c->input)),
	    bk_input_name(c->input));
	buf = bk_malloc(IOBUF);
	for (;;) {
		n = r->read(r, buf, IOBUF);
		if (n < 0)
			bk_errx(c->mode == BK_CODEC_TEST &&
			    r->code == BK_EX_DATAERR ? BK_EX_FAIL : r->code,
			    "%s", r->err);
		if (n == 0)
			break;
		if (c->mode == BK_CODEC_DECOMPRESS)
			bk_out_write(&c->out, buf, (size_t)n);
		c->out_bytes += (uint64_t)n;
		bk_gunzip_stats(r, &in, NULL);
		bk_progress_add(&c->meter, in - seen);
		seen = in;
	}
	bk_gunzip_stats(r, &in, &members);
	bk_progress_add(&c->meter, in - seen);
	c->in_bytes = in;
	if (c->mode == BK_CODEC_TEST)
		bk_info("\"%s\": OK, %ju member%s, %ju bytes",
		    bk_input_name(c->input), (uintmax_t)members,
		    members == 1 ? "" : "s", (uintmax_t)c->out_bytes);
	bk_reader_close(r);
	free(buf);
}

/* ---- the command ---- */

int
main(int argc, char *argv[])
{
	struct bk_codec c;

	bk_init(argc, argv);
	memset(&c, 0, sizeof(c));
	c.usage = usage;
	c.level = 6;
	c.level_max = 9;
	c.compress = compress;
	c.decompress = decompress_stream;
	bk_codec_options(&c, argc, argv);
	return bk_finish(bk_codec_run(&c));
}
