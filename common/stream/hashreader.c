/*
 * hashreader.c: the bottom layer of a reader stack that reads a file and
 * passes every byte through sha256, so that one pass both decodes a backup
 * and checks it against its manifest line (bk-manifest add, bk-restore).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream/stream.h"

#define CHUNK	65536

struct hash_reader {
	struct bk_reader	 r;
	int			 fd;
	char			*name;
	struct bk_digest	 dg;
	int			 done;		/* dg finalised */
	struct bk_progress	*meter;
};

static ssize_t
hash_read(struct bk_reader *r, void *buf, size_t n)
{
	struct hash_reader *h = (struct hash_reader *)r;
	ssize_t got;

	do
		got = read(h->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return bk_reader_fail(r, BK_EX_IOERR, "could not read \"%s\": %s",
		    h->name, strerror(errno));
	bk_digest_update(&h->dg, buf, (size_t)got);
	r->offset += (uint64_t)got;
	if (h->meter != NULL)
		bk_progress_add(h->meter, (uint64_t)got);
	return got;
}

static void
hash_close(struct bk_reader *r)
{
	struct hash_reader *h = (struct hash_reader *)r;
	unsigned char dg[BK_DIGEST_MAX];

	/* Finalising frees libcrypto's context. */
	if (!h->done)
		bk_digest_final(&h->dg, dg);
	free(h->name);
	free(h);
}

struct bk_reader *
bk_reader_hash(int fd, const char *name, struct bk_progress *meter)
{
	struct hash_reader *h = bk_calloc(1, sizeof(*h));

	h->r.read = hash_read;
	h->r.close = hash_close;
	h->fd = fd;
	h->name = bk_strdup(name);
	h->meter = meter;
	bk_digest_init(&h->dg, bk_digest_lookup("sha256"));
	return &h->r;
}

int
bk_reader_hash_finish(struct bk_reader *r, char hex[65], uint64_t *size)
{
	struct hash_reader *h = (struct hash_reader *)r;
	unsigned char dg[BK_DIGEST_MAX], *buf;
	ssize_t got;

	/* Whatever the layers above did not read still counts. */
	buf = bk_malloc(CHUNK);
	while ((got = hash_read(r, buf, CHUNK)) > 0)
		;
	free(buf);
	if (got < 0)
		return -1;
	*size = r->offset;
	bk_digest_final(&h->dg, dg);
	h->done = 1;
	bk_hex(hex, dg, 32);
	return 0;
}
