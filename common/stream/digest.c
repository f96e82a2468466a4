/* digest.c: the table of digest algorithms, over libcrypto's EVP. */
#include <strings.h>

#include <openssl/evp.h>

#include "stream/stream.h"

static const struct bk_digest_alg algs[] = {
	{ "sha256",	"SHA256",	"SHA256",	32 },
	{ "sha512",	"SHA512",	"SHA512",	64 },
	{ "sha1",	"SHA1",		"SHA1",		20 },
	{ "md5",	"MD5",		"MD5",		16 },
	{ "sha3-256",	"SHA3-256",	"SHA3-256",	32 },
	{ "blake2b512",	"BLAKE2B-512",	"BLAKE2b",	64 },
	{ NULL,		NULL,		NULL,		0 }
};

const struct bk_digest_alg *
bk_digest_lookup(const char *name)
{
	const struct bk_digest_alg *a;

	for (a = algs; a->name != NULL; a++)
		if (strcasecmp(a->name, name) == 0 ||
		    strcasecmp(a->tag, name) == 0)
			return a;
	return NULL;
}

/*
 * Fetching an algorithm from libcrypto's providers takes locks and a table
 * search; a tool that digests many small files would pay it per file.  So
 * each algorithm is fetched once and kept for the life of the program.
 */
static EVP_MD *fetched[sizeof(algs) / sizeof(algs[0])];

static const EVP_MD *
fetch(const struct bk_digest_alg *alg)
{
	size_t i = (size_t)(alg - algs);

	if (i >= sizeof(fetched) / sizeof(fetched[0]))
		return NULL;
	if (fetched[i] == NULL)
		fetched[i] = EVP_MD_fetch(NULL, alg->evp, NULL);
	return fetched[i];
}

void
bk_digest_init(struct bk_digest *d, const struct bk_digest_alg *alg)
{
	const EVP_MD *md;
	EVP_MD_CTX *ctx;

	if ((md = fetch(alg)) == NULL)
		bk_errx(BK_EX_SOFTWARE, "libcrypto lacks the %s digest",
		    alg->name);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, md, NULL) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not start a %s digest",
		    alg->name);
	d->alg = alg;
	d->ctx = ctx;
}

void
bk_digest_update(struct bk_digest *d, const void *buf, size_t n)
{
	if (EVP_DigestUpdate(d->ctx, buf, n) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not compute a %s digest",
		    d->alg->name);
}

void
bk_digest_final(struct bk_digest *d, unsigned char *out)
{
	unsigned int len;

	if (EVP_DigestFinal_ex(d->ctx, out, &len) != 1 ||
	    len != d->alg->len)
		bk_errx(BK_EX_SOFTWARE, "could not finish a %s digest",
		    d->alg->name);
	EVP_MD_CTX_free(d->ctx);
	d->ctx = NULL;
}

void
bk_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}
