/*
 * queue.c: a queue of blocks handed from one thread to another, the
 * producer filling the blocks in turn and the consumer taking them in the
 * same order: the read-ahead of bk-zstd's compression and the stages of
 * common/catalog/inspect.c.
 */
#include <pthread.h>
#include <string.h>

#include "stream/stream.h"

void
bk_queue_init(struct bk_queue *q, unsigned char **blk)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	memcpy(q->buf, blk, sizeof(q->buf));
}

void
bk_queue_free(struct bk_queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

unsigned char *
bk_queue_reserve(struct bk_queue *q)
{
	unsigned char *p;

	pthread_mutex_lock(&q->mu);
	while (q->count == BK_QUEUE_SLOTS)
		pthread_cond_wait(&q->cv, &q->mu);
	p = q->buf[(q->head + q->count) % BK_QUEUE_SLOTS];
	pthread_mutex_unlock(&q->mu);
	return p;
}

void
bk_queue_push(struct bk_queue *q, size_t n)
{
	pthread_mutex_lock(&q->mu);
	q->len[(q->head + q->count) % BK_QUEUE_SLOTS] = n;
	q->count++;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void
bk_queue_close(struct bk_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->eof = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

unsigned char *
bk_queue_peek(struct bk_queue *q, size_t *n)
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

void
bk_queue_pop(struct bk_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->head = (q->head + 1) % BK_QUEUE_SLOTS;
	q->count--;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

size_t
bk_queue_take(struct bk_queue *q, size_t *pos, void *buf, size_t n)
{
	unsigned char *p;
	size_t len;

	if ((p = bk_queue_peek(q, &len)) == NULL)
		return 0;
	if (n > len - *pos)
		n = len - *pos;
	memcpy(buf, p + *pos, n);
	*pos += n;
	if (*pos == len) {
		*pos = 0;
		bk_queue_pop(q);
	}
	return n;
}
