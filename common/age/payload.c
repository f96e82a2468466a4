/*
 * payload.c: the decrypting reader's payload: 64 KiB chunks opened and
 * checked in order, the reader layer itself, and bk_age_info.
 */

#include <stdlib.h>
#include <string.h>

#include "age/internal.h"

static int
nonce_open(struct age_reader *a, const unsigned char *in, size_t n, int last)
{
	unsigned char nonce[12];
	uint64_t c = a->counter;
	int i;

	memset(nonce, 0, sizeof(nonce));
	for (i = 10; i >= 3; i--) {
		nonce[i] = c & 0xff;
		c >>= 8;
	}
	nonce[11] = last ? 1 : 0;
	return age_aead(a->ctx, 0, NULL, nonce, a->pt, in, n);
}

/* Reads, checks and opens the next chunk into a->pt. */
static int
next_chunk(struct age_reader *a)
{
	size_t avail, n;
	unsigned char *in;
	uint64_t off = a->in_off;

	if (age_fill(a, CT_CHUNK + 1) < 0)
		return -1;
	avail = a->end - a->pos;
	in = a->ibuf + a->pos;
	if (avail > CT_CHUNK) {
		if (nonce_open(a, in, BK_AGE_CHUNK, 0) < 0) {
			if (nonce_open(a, in, BK_AGE_CHUNK, 1) == 0)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "data after the final chunk (offset "
				    "%llu)", (unsigned long long)(off +
				    CT_CHUNK));
			return (int)age_fail(a, BK_EX_DATAERR, "chunk %llu "
			    "(offset %llu) failed authentication",
			    (unsigned long long)a->counter + 1,
			    (unsigned long long)off);
		}
		n = BK_AGE_CHUNK;
		a->pos += CT_CHUNK;
		a->in_off += CT_CHUNK;
	} else {
		if (avail < TAG)
			return (int)age_fail(a, BK_EX_DATAERR, "truncated: "
			    "%s at offset %llu", avail == 0 && a->counter > 0 ?
			    "final chunk missing" : "incomplete chunk",
			    (unsigned long long)(off + avail));
		n = avail - TAG;
		if (nonce_open(a, in, n, 1) < 0) {
			if (nonce_open(a, in, n, 0) == 0)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "truncated: final chunk missing at offset "
				    "%llu", (unsigned long long)(off + avail));
			return (int)age_fail(a, BK_EX_DATAERR, "chunk %llu "
			    "(offset %llu) failed authentication",
			    (unsigned long long)a->counter + 1,
			    (unsigned long long)off);
		}
		if (n == 0 && a->counter > 0)
			return (int)age_fail(a, BK_EX_DATAERR,
			    "empty final chunk after a full one (offset %llu)",
			    (unsigned long long)off);
		a->pos += avail;
		a->in_off += avail;
		a->done = 1;
	}
	a->counter++;
	a->ppos = 0;
	a->plen = n;
	return 0;
}

static ssize_t
age_read(struct bk_reader *r, void *buf, size_t n)
{
	struct age_reader *a = (struct age_reader *)r;
	size_t got = 0, k;

	if (a->failed)
		return -1;
	if (!a->started && age_start(a) < 0)
		return -1;
	if (a->ids == NULL)
		return age_fail(a, BK_EX_FAIL, "no identity to decrypt with");
	while (got < n) {
		if (a->ppos == a->plen) {
			if (a->done)
				break;
			if (next_chunk(a) < 0) {
				/* What came before stays valid; report next. */
				if (got > 0) {
					a->plen = a->ppos = 0;
					break;
				}
				return -1;
			}
			continue;
		}
		k = a->plen - a->ppos;
		if (k > n - got)
			k = n - got;
		memcpy((char *)buf + got, a->pt + a->ppos, k);
		a->ppos += k;
		got += k;
	}
	r->offset += got;
	return (ssize_t)got;
}

static void
age_close(struct bk_reader *r)
{
	struct age_reader *a = (struct age_reader *)r;
	int i, j;

	if (a->armor != NULL)
		age_armor_close(a->armor);
	for (i = 0; i < a->nst; i++) {
		for (j = 0; j < 3 && j < a->st[i].nargs; j++)
			free(a->st[i].args[j]);
		free(a->st[i].body);
	}
	free(a->st);
	free(a->hdr);
	EVP_CIPHER_CTX_free(a->ctx);
	if (a->pt != NULL)
		bk_explicit_bzero(a->pt, BK_AGE_CHUNK);
	free(a->pt);
	free(a->ibuf);
	free(a);
}

struct bk_reader *
bk_reader_age(struct bk_reader *below, struct bk_age_ids *ids)
{
	struct age_reader *a = bk_calloc(1, sizeof(*a));

	a->r.read = age_read;
	a->r.close = age_close;
	a->r.below = below;
	a->src = below;
	a->ids = ids;
	a->ibuf = bk_malloc(IBUF);
	a->pt = bk_malloc(BK_AGE_CHUNK);
	return &a->r;
}

int
bk_age_info(struct bk_reader *r, struct bk_age_info *info)
{
	struct age_reader *a = (struct age_reader *)r;

	if (r->read != age_read)
		return (int)bk_reader_fail(r, BK_EX_SOFTWARE,
		    "not an age reader");
	if (a->failed || (!a->started && age_start(a) < 0))
		return -1;
	*info = a->info;
	return 0;
}
