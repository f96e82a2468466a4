/*
 * bk-gz: gzip compression in parallel, decompression and testing.
 *
 * Compression cuts the input into blocks of 128 KiB.  Worker threads
 * deflate the blocks independently, each primed with the last 32 KiB of
 * the block before it as its dictionary, so the output loses almost
 * nothing to the cut; each block but the last ends on a byte boundary
 * without ending the deflate stream, so the compressed blocks simply join.
 * The CRC-32 of each block is combined into the whole input's.  A writer
 * thread emits the blocks in order.  With one thread, one loop does the
 * same steps in turn.  Every block is compressed the same way whichever
 * thread takes it, so the output does not depend on the number of
 * threads, and a fixed header (no name, no time) makes the same input
 * give the same bytes.  A ring of 2 * threads + 6 blocks (about 300 KiB
 * each) bounds the memory; the slack lets the reader run ahead and the
 * writer lag without stalling the workers when other processes take the
 * processors.
 *
 * Decompression and testing go through the gunzip reader layer of
 * common/, the one decoder the suite has.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "stream/stream.h"

#define BLOCK		(128 * 1024)	/* input per compressed block */
#define DICT		(32 * 1024)	/* deflate's window: the dictionary */
#define IOBUF		(256 * 1024)	/* decompression output buffer */
#define OS_UNIX		3		/* the gzip header's OS byte */

static const char usage[] =
    "usage: bk-gz [-1 ... -9] [-cfPqv] [-j threads] [-o file] [file]\n"
    "       bk-gz -d [-cfPqv] [-o file] [file]\n"
    "       bk-gz -t [-Pqv] [file]\n";

enum mode { MODE_COMPRESS, MODE_DECOMPRESS, MODE_TEST };

struct gz {
	enum mode		 mode;
	int			 level;
	long			 threads;
	int			 force;
	int			 progress;
	const char		*input;		/* NULL for stdin */
	const char		*output;	/* NULL for stdout */
	int			 infd;
	struct bk_out		 out;
	struct bk_progress	 meter;
	uint64_t		 in_bytes;
	uint64_t		 out_bytes;
	uint32_t		 crc;		/* of the data compressed */
	uint64_t		 total;		/* its length */
};

/* ---- compression ---- */

enum job_state { JOB_FREE, JOB_FILLING, JOB_TODO, JOB_DONE };

/* One block of input on its way through the pipeline. */
struct job {
	enum job_state	 state;
	uint64_t	 seq;
	unsigned char	*in;		/* DICT bytes of dictionary, then data */
	size_t		 dictlen;	/* dictionary bytes before in + DICT */
	size_t		 len;		/* data bytes at in + DICT */
	int		 last;		/* the final block: ends the stream */
	unsigned char	*out;
	size_t		 outcap;
	size_t		 outlen;
	uint32_t	 crc;		/* CRC-32 of the data */
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
	pthread_cond_t	 done_cv;	/* a job compressed */
	pthread_cond_t	 free_cv;	/* a job written */
	struct job	*jobs;
	size_t		 njobs;
	uint64_t	 submitted;	/* jobs [0, submitted) are to do */
	uint64_t	 taken;		/* the next job for a worker */
	int		 finished;	/* the last job is submitted */
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

/*
 * Runs deflate with one flush mode until it has taken all input and
 * emitted everything that mode asks for, growing the output as needed.
 */
static void
deflate_all(z_stream *z, struct job *j, int flush)
{
	int ret;

	for (;;) {
		if (j->outlen == j->outcap) {
			j->outcap *= 2;
			j->out = bk_realloc(j->out, j->outcap);
		}
		z->next_out = j->out + j->outlen;
		z->avail_out = (uInt)(j->outcap - j->outlen);
		ret = deflate(z, flush);
		j->outlen = j->outcap - z->avail_out;
		if (ret == Z_STREAM_ERROR)
			bk_errx(BK_EX_SOFTWARE, "internal deflate error");
		if (flush == Z_FINISH ? ret == Z_STREAM_END :
		    z->avail_out > 0 && z->avail_in == 0)
			return;
	}
}

/*
 * Compresses one block into raw deflate data.  A block but the last ends
 * with its deflate blocks complete and the bit stream brought to a byte
 * boundary, without a final block: the next block's data follows it
 * directly.  Where the bits left over are even, empty fixed-code blocks
 * (10 bits each) reach the boundary in fewer bits than an empty stored
 * block (a sync flush) would; for an odd count only the stored block can.
 */
static void
compress_block(z_stream *z, struct job *j)
{
	unsigned pending;
	int bits;

	if (deflateReset(z) != Z_OK)
		bk_errx(BK_EX_SOFTWARE, "internal deflate error");
	if (j->dictlen > 0 && deflateSetDictionary(z,
	    j->in + DICT - j->dictlen, (uInt)j->dictlen) != Z_OK)
		bk_errx(BK_EX_SOFTWARE, "internal deflate error");
	z->next_in = j->in + DICT;
	z->avail_in = (uInt)j->len;
	j->outlen = 0;
	if (j->last) {
		deflate_all(z, j, Z_FINISH);
	} else {
		deflate_all(z, j, Z_BLOCK);
		deflatePending(z, &pending, &bits);
		if (bits & 1) {
			deflate_all(z, j, Z_SYNC_FLUSH);
		} else if (bits & 7) {
			while (bits & 7) {
				/* BFINAL 0, BTYPE 01, end-of-block code. */
				deflatePrime(z, 10, 2);
				deflatePending(z, &pending, &bits);
			}
			deflate_all(z, j, Z_BLOCK);
		}
	}
	j->crc = (uint32_t)crc32(0L, j->in + DICT, (uInt)j->len);
}

static void
start_deflate(z_stream *z, int level)
{
	int ret;

	memset(z, 0, sizeof(*z));
	/* Raw deflate with zlib's defaults, as gzip and pigz use. */
	ret = deflateInit2(z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	if (ret != Z_OK)
		bk_errx(BK_EX_SOFTWARE, "could not start deflate: %s",
		    zError(ret));
}

static void *
compress_worker(void *arg)
{
	struct pipeline *p = arg;
	struct job *j;
	z_stream z;

	start_deflate(&z, p->gz->level);
	lock(p);
	for (;;) {
		while (p->taken == p->submitted && !p->finished)
			pthread_cond_wait(&p->todo_cv, &p->mu);
		if (p->taken == p->submitted)
			break;
		j = &p->jobs[p->taken % p->njobs];
		p->taken++;
		unlock(p);
		compress_block(&z, j);
		lock(p);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&p->done_cv);
	}
	unlock(p);
	deflateEnd(&z);
	return NULL;
}

static void
put_le32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

/* Writes the member header: no name, no time. */
static void
write_header(struct gz *gz)
{
	unsigned char head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, OS_UNIX };

	/* XFL tells the fastest and the best levels, as gzip sets it. */
	head[8] = gz->level == 9 ? 2 : gz->level == 1 ? 4 : 0;
	bk_out_write(&gz->out, head, sizeof(head));
	gz->out_bytes = sizeof(head);
	gz->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	gz->total = 0;
}

/* Writes a compressed block and adds its CRC-32 to the member's. */
static void
write_block(struct gz *gz, const struct job *j)
{
	bk_out_write(&gz->out, j->out, j->outlen);
	gz->out_bytes += j->outlen;
	gz->crc = (uint32_t)crc32_combine(gz->crc, j->crc, (z_off_t)j->len);
	gz->total += j->len;
}

/* Writes the trailer: the CRC-32 and the length modulo 2^32. */
static void
write_trailer(struct gz *gz)
{
	unsigned char tail[8];

	put_le32(tail, gz->crc);
	put_le32(tail + 4, (uint32_t)gz->total);
	bk_out_write(&gz->out, tail, sizeof(tail));
	gz->out_bytes += sizeof(tail);
}

/*
 * The writer thread: the header, every block in order, the trailer.  A
 * failed write exits (74, or silently on a broken pipe).
 */
static void *
compress_writer(void *arg)
{
	struct pipeline *p = arg;
	uint64_t seq;
	struct job *j;
	int last;

	write_header(p->gz);
	for (seq = 0;; seq++) {
		j = &p->jobs[seq % p->njobs];
		lock(p);
		while (j->state != JOB_DONE || j->seq != seq)
			pthread_cond_wait(&p->done_cv, &p->mu);
		unlock(p);
		write_block(p->gz, j);
		last = j->last;
		lock(p);
		j->state = JOB_FREE;
		pthread_cond_broadcast(&p->free_cv);
		unlock(p);
		if (last)
			break;
	}
	write_trailer(p->gz);
	return NULL;
}

/* Makes a job ready to take a block: buffers once, fields each time. */
static void
reset_job(struct job *j, uint64_t seq)
{
	j->seq = seq;
	j->dictlen = 0;
	j->len = 0;
	j->last = 0;
	if (j->in == NULL) {
		j->in = bk_malloc(DICT + BLOCK);
		/* Room for incompressible data; deflate_all grows it if not. */
		j->outcap = BLOCK + BLOCK / 16 + 64;
		j->out = bk_malloc(j->outcap);
	}
}

/* Primes job next with the tail of job j as its dictionary. */
static void
copy_dictionary(struct job *next, const struct job *j)
{
	next->dictlen = j->len < DICT ? j->len : DICT;
	memcpy(next->in + DICT - next->dictlen,
	    j->in + DICT + j->len - next->dictlen, next->dictlen);
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
	reset_job(j, seq);
	return j;
}

static void
submit_job(struct pipeline *p, struct job *j)
{
	lock(p);
	j->state = JOB_TODO;
	p->submitted++;
	if (j->last)
		p->finished = 1;
	pthread_cond_broadcast(&p->todo_cv);
	unlock(p);
}

/* Fills a job with a whole block of input (short only at the end). */
static void
read_block(struct gz *gz, struct job *j)
{
	ssize_t n;

	/* Full blocks whatever the pipe gives: the output depends on it. */
	if ((n = bk_read_full(gz->infd, j->in + DICT, BLOCK)) < 0)
		bk_err(BK_EX_IOERR, "could not read \"%s\"",
		    bk_input_name(gz->input));
	j->len = (size_t)n;
	gz->in_bytes += (uint64_t)n;
	bk_progress_add(&gz->meter, (uint64_t)n);
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
 * One thread: the same blocks, compressed the same way, in turn.  No
 * hand-offs between threads, which cost most when other processes keep the
 * processors busy.
 */
static void
compress_serial(struct gz *gz)
{
	struct job jobs[2], *j = &jobs[0], *next = &jobs[1], *t;
	z_stream z;

	memset(jobs, 0, sizeof(jobs));
	start_deflate(&z, gz->level);
	write_header(gz);
	reset_job(j, 0);
	read_block(gz, j);
	for (;;) {
		reset_job(next, j->seq + 1);
		copy_dictionary(next, j);
		read_block(gz, next);
		j->last = next->len == 0;
		compress_block(&z, j);
		write_block(gz, j);
		if (j->last)
			break;
		t = j;
		j = next;
		next = t;
	}
	write_trailer(gz);
	deflateEnd(&z);
	free(jobs[0].in);
	free(jobs[0].out);
	free(jobs[1].in);
	free(jobs[1].out);
}

/*
 * The reader: reads one block ahead, so that it knows which block is the
 * last, copies the tail of each block as the next one's dictionary, and
 * hands the blocks on.
 */
static void
compress_stream(struct gz *gz)
{
	struct pipeline p;
	pthread_t *workers, writer;
	struct job *j, *next;
	uint64_t seq;
	long i;

	memset(&p, 0, sizeof(p));
	p.gz = gz;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.todo_cv, NULL);
	pthread_cond_init(&p.done_cv, NULL);
	pthread_cond_init(&p.free_cv, NULL);
	p.njobs = 2 * (size_t)gz->threads + 6;
	p.jobs = bk_calloc(p.njobs, sizeof(*p.jobs));
	workers = bk_calloc((size_t)gz->threads, sizeof(*workers));
	for (i = 0; i < gz->threads; i++)
		start_thread(&workers[i], compress_worker, &p);
	start_thread(&writer, compress_writer, &p);

	j = claim_job(&p, 0);
	read_block(gz, j);
	for (seq = 1;; seq++) {
		next = claim_job(&p, seq);
		copy_dictionary(next, j);
		read_block(gz, next);
		j->last = next->len == 0;
		submit_job(&p, j);
		if (j->last)
			break;
		j = next;
	}
	/* The slot claimed for the empty read is never submitted. */
	lock(&p);
	next->state = JOB_FREE;
	unlock(&p);

	for (i = 0; i < gz->threads; i++)
		pthread_join(workers[i], NULL);
	pthread_join(writer, NULL);
	for (i = 0; i < (long)p.njobs; i++) {
		free(p.jobs[i].in);
		free(p.jobs[i].out);
	}
	free(p.jobs);
	free(workers);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.todo_cv);
	pthread_cond_destroy(&p.done_cv);
	pthread_cond_destroy(&p.free_cv);
}

/* ---- decompression and testing ---- */

/*
 * Decodes the input through the gunzip layer, writing the data unless
 * testing.  Bad data exits 65 when decompressing and 1 when testing: for
 * -t it is the answer to the question asked, not a failure to answer it.
 */
static void
decompress_stream(struct gz *gz)
{
	struct bk_reader *r;
	unsigned char *buf;
	uint64_t in, members, seen = 0;
	ssize_t n;

	r = bk_reader_gunzip(bk_reader_fd(gz->infd, bk_input_name(gz->input)),
	    bk_input_name(gz->input));
	buf = bk_malloc(IOBUF);
	for (;;) {
		n = r->read(r, buf, IOBUF);
		if (n < 0)
			bk_errx(gz->mode == MODE_TEST &&
			    r->code == BK_EX_DATAERR ? BK_EX_FAIL : r->code,
			    "%s", r->err);
		if (n == 0)
			break;
		if (gz->mode == MODE_DECOMPRESS)
			bk_out_write(&gz->out, buf, (size_t)n);
		gz->out_bytes += (uint64_t)n;
		bk_gunzip_stats(r, &in, NULL);
		bk_progress_add(&gz->meter, in - seen);
		seen = in;
	}
	bk_gunzip_stats(r, &in, &members);
	bk_progress_add(&gz->meter, in - seen);
	gz->in_bytes = in;
	if (gz->mode == MODE_TEST)
		bk_info("\"%s\": OK, %ju member%s, %ju bytes", bk_input_name(
		    gz->input), (uintmax_t)members, members == 1 ? "" : "s",
		    (uintmax_t)gz->out_bytes);
	bk_reader_close(r);
	free(buf);
}

/* ---- the command ---- */

static long
online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > BK_MAX_THREADS ? BK_MAX_THREADS : n;
}

enum { OPT_VERSION = CHAR_MAX + 1, OPT_FAST, OPT_BEST, OPT_LEVEL };

static const char optstring[] = ":123456789cdfhj:o:Pqtv";

static const struct option longopts[] = {
	{ "stdout",	no_argument,		NULL, 'c' },
	{ "decompress",	no_argument,		NULL, 'd' },
	{ "force",	no_argument,		NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "progress",	no_argument,		NULL, 'P' },
	{ "threads",	required_argument,	NULL, 'j' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "test",	no_argument,		NULL, 't' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "fast",	no_argument,		NULL, OPT_FAST },
	{ "best",	no_argument,		NULL, OPT_BEST },
	{ "level",	required_argument,	NULL, OPT_LEVEL },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 }
};

static int
parse_level(const char *s)
{
	if (s[0] < '1' || s[0] > '9' || s[1] != '\0')
		bk_usage_error("invalid level \"%s\" (1 to 9)", s);
	return s[0] - '0';
}

/*
 * The options, the mode and the input into gz, and the verbosity set;
 * the combinations the line refuses end here (-c, -d and -t are flags
 * of the line only).
 */
static void
parse_options(struct gz *gz, int argc, char *argv[])
{
	int c, to_stdout = 0, verbosity = 0, decompress = 0, test = 0;

	/* getopt's own messages would not look like bk's. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring,
	    longopts, NULL)) != -1) {
		switch (c) {
		case '1': case '2': case '3': case '4': case '5':
		case '6': case '7': case '8': case '9':
			gz->level = c - '0';
			break;
		case 'c':
			to_stdout = 1;
			break;
		case 'd':
			decompress = 1;
			break;
		case 'f':
			gz->force = 1;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'o':
			gz->output = optarg;
			break;
		case 'P':
			gz->progress = 1;
			break;
		case 'j':
			gz->threads = bk_parse_threads(optarg);
			break;
		case 'q':
			verbosity = -1;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			verbosity = 1;
			break;
		case OPT_FAST:
			gz->level = 1;
			break;
		case OPT_BEST:
			gz->level = 9;
			break;
		case OPT_LEVEL:
			gz->level = parse_level(optarg);
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		bk_usage_error("one input file at most");
	if (decompress && test)
		bk_usage_error("-d and -t exclude each other");
	if (to_stdout && gz->output != NULL)
		bk_usage_error("-c and -o exclude each other");
	if (test && gz->output != NULL)
		bk_usage_error("-t writes no output: -o makes no sense");
	gz->mode = test ? MODE_TEST : decompress ? MODE_DECOMPRESS :
	    MODE_COMPRESS;
	gz->input = argc == 1 ? argv[0] : NULL;
	bk_set_verbosity(verbosity);
}

/* Opens the input and the output, runs the mode, says what it did. */
static int
run(struct gz *gz)
{
	struct stat st;

	gz->infd = bk_open_input(gz->input);
	bk_progress_init(&gz->meter, gz->progress, bk_input_name(gz->input),
	    fstat(gz->infd, &st) == 0 && S_ISREG(st.st_mode) ?
	    (uint64_t)st.st_size : 0);
	if (gz->mode != MODE_TEST)
		bk_out_open(&gz->out, gz->output, (gz->force ? BK_OUT_FORCE :
		    0) | (gz->mode == MODE_COMPRESS ? BK_OUT_BINARY : 0));
	if (gz->mode == MODE_COMPRESS && gz->threads == 1)
		compress_serial(gz);
	else if (gz->mode == MODE_COMPRESS)
		compress_stream(gz);
	else
		decompress_stream(gz);
	if (gz->mode != MODE_TEST)
		bk_out_commit(&gz->out);
	bk_progress_end(&gz->meter);
	if (gz->mode == MODE_COMPRESS)
		bk_info("\"%s\": %ju -> %ju bytes (%.1f%%), %ld thread%s",
		    bk_input_name(gz->input), (uintmax_t)gz->in_bytes,
		    (uintmax_t)gz->out_bytes, gz->in_bytes > 0 ? 100.0 *
		    (double)gz->out_bytes / (double)gz->in_bytes : 0.0,
		    gz->threads, gz->threads == 1 ? "" : "s");
	else if (gz->mode == MODE_DECOMPRESS)
		bk_info("\"%s\": %ju -> %ju bytes", bk_input_name(gz->input),
		    (uintmax_t)gz->in_bytes, (uintmax_t)gz->out_bytes);
	return BK_EX_OK;
}

int
main(int argc, char *argv[])
{
	struct gz gz;

	bk_init(argc, argv);
	memset(&gz, 0, sizeof(gz));
	gz.level = 6;
	gz.threads = online_cpus();
	parse_options(&gz, argc, argv);
	return bk_finish(run(&gz));
}
