/*
 * tee.c: bk-sum --tee, standard input copied to the output while one
 * thread per algorithm digests it through a ring of buffers, and the
 * digest lines written after the last byte.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/format.h"
#include "sum.h"

/*
 * Writes a piece of the stream to standard output.  When the reader has
 * gone (EPIPE) or the write fails, the digest file must not appear: it is
 * removed first, then the program dies of SIGPIPE as cat would, or exits
 * 74.  (bk_out_write cannot do this itself when SIGPIPE was ignored.)
 */
static void
tee_write(struct bk_out *out, struct bk_out *dig, const void *p, size_t n)
{
	int e;

	if (out->path != NULL) {
		bk_out_write(out, p, n);
		return;
	}
	if (bk_write_full(out->fd, p, n) == 0)
		return;
	e = errno;
	if (dig != NULL)
		bk_out_abort(dig);
	if (e == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	errno = e;
	bk_err(BK_EX_IOERR, "could not write standard output");
}

/*
 * --tee hands each piece it copied to one thread per algorithm through a
 * ring of a few buffers, so that reading and writing the stream overlap
 * with digesting it, and several digests run side by side.  The copy then
 * costs little more than the slowest digest alone.  A buffer is reused
 * only when every digest thread is done with it.
 */
#define RING_SLOTS	4

struct ring {
	pthread_mutex_t	 mu;
	pthread_cond_t	 filled;	/* a slot was published, or the end */
	pthread_cond_t	 freed;		/* a digest thread finished a slot */
	unsigned char	*buf[RING_SLOTS];
	size_t		 len[RING_SLOTS];
	uint64_t	 produced;	/* slots published so far */
	uint64_t	 done[MAX_ALGS];	/* slots each thread digested */
	size_t		 nthreads;
	int		 eof;
};

struct hasher {
	struct ring	*ring;
	struct bk_digest d;
	size_t		 idx;
	pthread_t	 thread;
};

static void *
hash_slots(void *arg)
{
	struct hasher *h = arg;
	struct ring *g = h->ring;
	size_t slot;

	for (;;) {
		pthread_mutex_lock(&g->mu);
		while (g->done[h->idx] == g->produced && !g->eof)
			pthread_cond_wait(&g->filled, &g->mu);
		if (g->done[h->idx] == g->produced) {
			pthread_mutex_unlock(&g->mu);
			return NULL;
		}
		slot = (size_t)(g->done[h->idx] % RING_SLOTS);
		pthread_mutex_unlock(&g->mu);
		bk_digest_update(&h->d, g->buf[slot], g->len[slot]);
		pthread_mutex_lock(&g->mu);
		g->done[h->idx]++;
		pthread_cond_signal(&g->freed);
		pthread_mutex_unlock(&g->mu);
	}
}

/* Waits until the next slot is free of every digest thread; returns it. */
static size_t
ring_next(struct ring *g)
{
	uint64_t oldest;
	size_t i;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		oldest = g->produced;
		for (i = 0; i < g->nthreads; i++)
			if (g->done[i] < oldest)
				oldest = g->done[i];
		if (g->produced - oldest < RING_SLOTS)
			break;
		pthread_cond_wait(&g->freed, &g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return (size_t)(g->produced % RING_SLOTS);
}

static void
ring_publish(struct ring *g, size_t slot, size_t len, int eof)
{
	pthread_mutex_lock(&g->mu);
	if (eof)
		g->eof = 1;
	else {
		g->len[slot] = len;
		g->produced++;
	}
	pthread_cond_broadcast(&g->filled);
	pthread_mutex_unlock(&g->mu);
}

/*
 * bk-sum --tee: copies standard input to the output unchanged while
 * digesting it, then writes the digest lines.  The digest file is opened
 * first (so a refusal costs no data) and committed last, only after every
 * byte reached the output: a failed write exits before it, and the atomic
 * output removes the temporary digest file.
 */
int
sum_tee(struct sum *s)
{
	struct hasher h[MAX_ALGS];
	struct ring g;
	unsigned char md[BK_DIGEST_MAX];
	struct bk_out out, dig;
	struct bk_progress pr;
	struct line l = { NULL, 0, 0 };
	const char *name;
	ssize_t r;
	size_t i, slot;

	bk_out_open(&out, s->output, s->force ? BK_OUT_FORCE : 0);
	if (s->digest_to != NULL)
		bk_out_open(&dig, s->digest_to, s->force ? BK_OUT_FORCE : 0);
	bk_progress_init(&pr, s->progress, "(stdin)", 0);
	grow_pipe(STDIN_FILENO);
	if (out.path == NULL)
		grow_pipe(STDOUT_FILENO);

	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.filled, NULL);
	pthread_cond_init(&g.freed, NULL);
	for (i = 0; i < RING_SLOTS; i++)
		g.buf[i] = bk_malloc(BUF_SIZE);
	g.nthreads = s->nalgs;
	for (i = 0; i < s->nalgs; i++) {
		h[i].ring = &g;
		h[i].idx = i;
		bk_digest_init(&h[i].d, s->algs[i]);
		if (pthread_create(&h[i].thread, NULL, hash_slots, &h[i]) != 0)
			bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	}
	for (;;) {
		slot = ring_next(&g);
		r = read(STDIN_FILENO, g.buf[slot], BUF_SIZE);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			bk_err(BK_EX_IOERR, "could not read standard input");
		}
		if (r == 0)
			break;
		tee_write(&out, s->digest_to != NULL ? &dig : NULL,
		    g.buf[slot], (size_t)r);
		ring_publish(&g, slot, (size_t)r, 0);
		bk_progress_add(&pr, (uint64_t)r);
		s->nbytes += (uint64_t)r;
	}
	ring_publish(&g, 0, 0, 1);
	for (i = 0; i < s->nalgs; i++)
		pthread_join(h[i].thread, NULL);
	bk_progress_end(&pr);
	s->nfiles = 1;

	name = s->name != NULL ? s->name :
	    s->output != NULL && strcmp(s->output, "-") != 0 ? s->output : "-";
	for (i = 0; i < s->nalgs; i++) {
		bk_digest_final(&h[i].d, md);
		format_line(&l, s, s->algs[i], md, name);
	}
	if (s->digest_to != NULL) {
		/* The output and its digest: both or neither. */
		bk_out_write(&dig, l.p, l.len);
		bk_out_commit2(&out, &dig);
	} else
		bk_out_commit(&out);
	if (s->digest_to == NULL && bk_write_full(STDERR_FILENO, l.p,
	    l.len) < 0)
		bk_err(BK_EX_IOERR, "could not write the digest to standard "
		    "error");
	free(l.p);
	for (i = 0; i < RING_SLOTS; i++)
		free(g.buf[i]);
	pthread_cond_destroy(&g.freed);
	pthread_cond_destroy(&g.filled);
	pthread_mutex_destroy(&g.mu);
	return BK_EX_OK;
}
