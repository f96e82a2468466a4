/* writer.c: the encrypting writer: header, payload chunks, and the armor. */

#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "age/internal.h"

/* ---- the encrypting writer ---- */

struct bk_age_writer {
	bk_age_sink	 sink;
	void		*ctx;
	int		 armor;
	EVP_CIPHER_CTX	*cctx;
	uint64_t	 counter;
	unsigned char	*pt;		/* the pending chunk */
	size_t		 plen;
	unsigned char	*out;		/* sealed chunks waiting for the sink */
	size_t		 olen;
	unsigned char	 carry[ARMOR_BYTES];	/* armor: bytes of a partial line */
	size_t		 clen;
	char		*line;		/* armor: encoded lines */
};

#define WOUT	(4 * CT_CHUNK)

/* Hands bytes to the sink, through the armor's base64 when asked. */
static void
emit(struct bk_age_writer *w, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t k, o;

	if (!w->armor) {
		w->sink(w->ctx, buf, n);
		return;
	}
	while (n > 0) {
		k = ARMOR_BYTES - w->clen;
		if (k > n)
			k = n;
		if (w->clen == 0 && n >= ARMOR_BYTES) {
			/* Whole lines straight from the input. */
			o = 0;
			while (n >= ARMOR_BYTES && o + ARMOR_COLS + 1 <=
			    WOUT * 2) {
				o += age_b64_encode(w->line + o, p, ARMOR_BYTES, 1);
				w->line[o++] = '\n';
				p += ARMOR_BYTES;
				n -= ARMOR_BYTES;
			}
			w->sink(w->ctx, w->line, o);
			continue;
		}
		memcpy(w->carry + w->clen, p, k);
		w->clen += k;
		p += k;
		n -= k;
		if (w->clen == ARMOR_BYTES) {
			o = age_b64_encode(w->line, w->carry, ARMOR_BYTES, 1);
			w->line[o++] = '\n';
			w->sink(w->ctx, w->line, o);
			w->clen = 0;
		}
	}
}

static void
flush_out(struct bk_age_writer *w)
{
	if (w->olen > 0)
		emit(w, w->out, w->olen);
	w->olen = 0;
}

/* Seals n bytes at p as the next chunk into the output buffer. */
static void
seal(struct bk_age_writer *w, const unsigned char *p, size_t n, int last)
{
	unsigned char nonce[12];
	uint64_t c = w->counter;
	int i;

	if (w->olen + n + TAG > WOUT)
		flush_out(w);
	memset(nonce, 0, sizeof(nonce));
	for (i = 10; i >= 3; i--) {
		nonce[i] = c & 0xff;
		c >>= 8;
	}
	nonce[11] = last ? 1 : 0;
	age_aead(w->cctx, 1, NULL, nonce, w->out + w->olen, p, n);
	w->olen += n + TAG;
	w->counter++;
}

static void
seal_chunk(struct bk_age_writer *w, int last)
{
	seal(w, w->pt, w->plen, last);
	w->plen = 0;
}

/* Appends a stanza body: base64 wrapped at 64 columns, a short last line. */
static size_t
put_body(char *h, const unsigned char *b, size_t n)
{
	size_t o = 0, k;

	for (;;) {
		k = n < ARMOR_BYTES ? n : ARMOR_BYTES;
		o += age_b64_encode(h + o, b, k, 0);
		h[o++] = '\n';
		b += k;
		n -= k;
		if (k < ARMOR_BYTES)
			break;
	}
	return o;
}

struct bk_age_writer *
bk_age_writer_new(const struct bk_age_key *rcpts, size_t nrcpts,
    const char *pass, size_t passlen, int logn, int armor, bk_age_sink sink,
    void *ctx)
{
	struct bk_age_writer *w = bk_calloc(1, sizeof(*w));
	unsigned char fk[FILE_KEY], eph[32], share[32], shared[32], salt[64];
	unsigned char wrap[32], body[FILE_KEY + TAG], key[32], mac[32];
	unsigned char nonce[NONCE], ss[16], hnonce[12], *enc;
	unsigned int maclen = 32;
	size_t hcap = 64 + nrcpts * 1700 + 128, h = 0, i;
	char *hdr = bk_malloc(hcap);

	w->sink = sink;
	w->ctx = ctx;
	w->armor = armor;
	w->pt = bk_malloc(BK_AGE_CHUNK);
	w->out = bk_malloc(WOUT);
	if (armor)
		w->line = bk_malloc(WOUT * 2 + ARMOR_COLS + 2);
	if (RAND_bytes(fk, sizeof(fk)) != 1 ||
	    RAND_bytes(nonce, sizeof(nonce)) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not get random bytes");
	h += (size_t)sprintf(hdr + h, "%s\n", VERSION_LINE);
	for (i = 0; i < nrcpts; i++) {
		if (rcpts[i].type == BK_AGE_PQ) {
			/* X-Wing, then HPKE seals the file key. */
			enc = bk_malloc(BK_XWING_CT);
			if (bk_xwing_encaps(rcpts[i].key, enc, shared) < 0)
				bk_errx(BK_EX_SOFTWARE, "could not wrap the file "
				    "key for recipient %zu (bad public key?)",
				    i + 1);
			age_hpke_schedule(shared, MLKEM_INFO, wrap, hnonce);
			age_aead_once_nonce(1, wrap, hnonce, body, fk, FILE_KEY);
			h += (size_t)sprintf(hdr + h, "-> %s ", MLKEM_TYPE);
			h += age_b64_encode(hdr + h, enc, BK_XWING_CT, 0);
			free(enc);
		} else {
			if (RAND_bytes(eph, sizeof(eph)) != 1 ||
			    bk_age_public_key(eph, share) < 0 ||
			    bk_x25519(shared, eph, rcpts[i].key) < 0)
				bk_errx(BK_EX_SOFTWARE, "could not wrap the file "
				    "key for recipient %zu (bad public key?)",
				    i + 1);
			memcpy(salt, share, 32);
			memcpy(salt + 32, rcpts[i].key, 32);
			if (age_hkdf(wrap, 32, shared, 32, salt, 64,
			    X25519_INFO) < 0)
				bk_errx(BK_EX_SOFTWARE, "could not derive a key");
			age_aead_once(1, wrap, body, fk, FILE_KEY);
			h += (size_t)sprintf(hdr + h, "-> X25519 ");
			h += age_b64_encode(hdr + h, share, 32, 0);
		}
		hdr[h++] = '\n';
		h += put_body(hdr + h, body, sizeof(body));
	}
	if (pass != NULL) {
		if (RAND_bytes(ss, sizeof(ss)) != 1)
			bk_errx(BK_EX_SOFTWARE, "could not get random bytes");
		if (age_scrypt_key(wrap, pass, passlen, ss, logn) < 0)
			bk_errx(BK_EX_SOFTWARE, "could not derive the scrypt "
			    "key (work factor %d needs %llu MiB of memory)",
			    logn, (unsigned long long)(age_scrypt_mem(logn) >> 20));
		age_aead_once(1, wrap, body, fk, FILE_KEY);
		h += (size_t)sprintf(hdr + h, "-> scrypt ");
		h += age_b64_encode(hdr + h, ss, 16, 0);
		h += (size_t)sprintf(hdr + h, " %d\n", logn);
		h += put_body(hdr + h, body, sizeof(body));
	}
	memcpy(hdr + h, "---", 3);
	h += 3;
	if (age_hkdf(key, 32, fk, FILE_KEY, NULL, 0, "header") < 0 ||
	    HMAC(EVP_sha256(), key, 32, (unsigned char *)hdr, h, mac,
	    &maclen) == NULL)
		bk_errx(BK_EX_SOFTWARE, "could not compute the header MAC");
	hdr[h++] = ' ';
	h += age_b64_encode(hdr + h, mac, 32, 0);
	hdr[h++] = '\n';
	if (armor)
		sink(ctx, ARMOR_BEGIN "\n", sizeof(ARMOR_BEGIN));
	emit(w, hdr, h);
	emit(w, nonce, NONCE);
	if (age_hkdf(key, 32, fk, FILE_KEY, nonce, NONCE, "payload") < 0)
		bk_errx(BK_EX_SOFTWARE, "could not derive the payload key");
	if ((w->cctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(w->cctx, age_chacha(), NULL, key, NULL, 1) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not set up ChaCha20-Poly1305");
	bk_explicit_bzero(fk, sizeof(fk));
	bk_explicit_bzero(eph, sizeof(eph));
	bk_explicit_bzero(shared, sizeof(shared));
	bk_explicit_bzero(wrap, sizeof(wrap));
	bk_explicit_bzero(key, sizeof(key));
	bk_explicit_bzero(hnonce, sizeof(hnonce));
	free(hdr);
	return w;
}

void
bk_age_writer_write(struct bk_age_writer *w, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t k;

	while (n > 0) {
		/* A full chunk goes out only once more data shows it is not last. */
		if (w->plen == BK_AGE_CHUNK)
			seal_chunk(w, 0);
		/* Whole chunks with more behind them need no copy. */
		if (w->plen == 0 && n > BK_AGE_CHUNK) {
			seal(w, p, BK_AGE_CHUNK, 0);
			p += BK_AGE_CHUNK;
			n -= BK_AGE_CHUNK;
			continue;
		}
		k = BK_AGE_CHUNK - w->plen;
		if (k > n)
			k = n;
		memcpy(w->pt + w->plen, p, k);
		w->plen += k;
		p += k;
		n -= k;
	}
}

void
bk_age_writer_finish(struct bk_age_writer *w)
{
	char line[ARMOR_COLS + 2 + sizeof(ARMOR_END) + 1];
	size_t o;

	seal_chunk(w, 1);
	flush_out(w);
	if (w->armor) {
		if (w->clen > 0) {
			o = age_b64_encode(line, w->carry, w->clen, 1);
			line[o++] = '\n';
			w->sink(w->ctx, line, o);
		}
		w->sink(w->ctx, ARMOR_END "\n", sizeof(ARMOR_END));
	}
	bk_age_writer_free(w);
}

void
bk_age_writer_free(struct bk_age_writer *w)
{
	if (w == NULL)
		return;
	/* The context's key schedule goes with it: libcrypto wipes it. */
	EVP_CIPHER_CTX_free(w->cctx);
	bk_explicit_bzero(w->pt, BK_AGE_CHUNK);
	free(w->pt);
	free(w->out);
	free(w->line);
	free(w);
}
