/*
 * crypto.c: the primitives age is built of, over libcrypto EVP: HKDF,
 * ChaCha20-Poly1305, HPKE's key schedule, X25519, scrypt.
 */

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "age/internal.h"

/* ---- primitives over EVP ---- */

int
age_hkdf(unsigned char *out, size_t outlen, const unsigned char *ikm,
    size_t ikmlen, const unsigned char *salt, size_t saltlen,
    const char *info)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[5], *p = params;
	int ok;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return -1;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (kctx == NULL)
		return -1;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)ikm, ikmlen);
	/* An empty salt means a zero-filled one, which HKDF does by itself. */
	if (saltlen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)salt, saltlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, strlen(info));
	*p = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return ok ? 0 : -1;
}

EVP_CIPHER *
age_chacha(void)
{
	static EVP_CIPHER *c;

	if (c == NULL && (c = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305",
	    NULL)) == NULL)
		bk_errx(BK_EX_SOFTWARE, "libcrypto has no ChaCha20-Poly1305");
	return c;
}

/*
 * Seals (enc) or opens one message with ChaCha20-Poly1305 under a key set
 * in ctx earlier (or now, when key is given).  Opening reads the tag after
 * the n bytes of in.  Returns 0, or -1 when opening fails to authenticate.
 */
int
age_aead(EVP_CIPHER_CTX *ctx, int enc, const unsigned char *key,
    const unsigned char nonce[12], unsigned char *out,
    const unsigned char *in, size_t n)
{
	int l1 = 0, l2 = 0;

	if (EVP_CipherInit_ex(ctx, key != NULL ? age_chacha() : NULL, NULL, key,
	    nonce, enc) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not set up ChaCha20-Poly1305");
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG,
	    (void *)(in + n)) != 1)
		return -1;
	if (n > 0 && EVP_CipherUpdate(ctx, out, &l1, in, (int)n) != 1)
		return -1;
	if (EVP_CipherFinal_ex(ctx, out + l1, &l2) != 1)
		return -1;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG,
	    out + n) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not seal a chunk");
	return 0;
}

/* One-shot seal or open with a fresh key. */
int
age_aead_once_nonce(int enc, const unsigned char key[32],
    const unsigned char nonce[12], unsigned char *out,
    const unsigned char *in, size_t n)
{
	EVP_CIPHER_CTX *ctx;
	int r;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	r = age_aead(ctx, enc, key, nonce, out, in, n);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* With the zero nonce, as every stanza of age's own types uses. */
int
age_aead_once(int enc, const unsigned char key[32], unsigned char *out,
    const unsigned char *in, size_t n)
{
	static const unsigned char zero[12];

	return age_aead_once_nonce(enc, key, zero, out, in, n);
}

/*
 * HPKE (RFC 9180), base mode, as age's post-quantum stanza uses it: the
 * KEM MLKEM768-X25519 (0x647a), HKDF-SHA256 (0x0001), ChaCha20-Poly1305
 * (0x0003), one message, no associated data.  Its "labeled" HKDF steps
 * prefix every input with "HPKE-v1" and the suite.
 */
static const unsigned char hpke_suite[10] = { 'H', 'P', 'K', 'E', 0x64, 0x7a,
    0x00, 0x01, 0x00, 0x03 };
#define HPKE_V1		"HPKE-v1"

static void
hmac_sha256(unsigned char out[32], const unsigned char *key, size_t klen,
    const unsigned char *msg, size_t mlen)
{
	unsigned int len = 32;

	if (HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &len) == NULL)
		bk_errx(BK_EX_SOFTWARE, "could not compute an HMAC");
}

/* Writes "HPKE-v1" || suite_id || label; returns its length. */
static size_t
hpke_label(unsigned char *out, const char *label)
{
	size_t ll = strlen(label);

	memcpy(out, HPKE_V1, 7);
	memcpy(out + 7, hpke_suite, sizeof(hpke_suite));
	memcpy(out + 7 + sizeof(hpke_suite), label, ll);
	return 7 + sizeof(hpke_suite) + ll;
}

/* LabeledExtract(salt, label, ikm); an empty salt is HashLen zeros. */
static void
labeled_extract(unsigned char prk[32], const unsigned char *salt,
    size_t saltlen, const char *label, const unsigned char *ikm,
    size_t ikmlen)
{
	static const unsigned char zero[32];
	unsigned char msg[128];
	size_t n = hpke_label(msg, label);

	if (ikmlen > 0)
		memcpy(msg + n, ikm, ikmlen);
	n += ikmlen;
	if (saltlen == 0)
		hmac_sha256(prk, zero, sizeof(zero), msg, n);
	else
		hmac_sha256(prk, salt, saltlen, msg, n);
	bk_explicit_bzero(msg, sizeof(msg));
}

/* LabeledExpand(prk, label, info, L) for L <= 32: one HKDF block. */
static void
labeled_expand(unsigned char *out, size_t l, const unsigned char prk[32],
    const char *label, const unsigned char *info, size_t infolen)
{
	unsigned char msg[128], t[32];
	size_t n = 2;

	msg[0] = (unsigned char)(l >> 8);
	msg[1] = (unsigned char)l;
	n += hpke_label(msg + n, label);
	memcpy(msg + n, info, infolen);
	n += infolen;
	msg[n++] = 1;
	hmac_sha256(t, prk, 32, msg, n);
	memcpy(out, t, l);
	bk_explicit_bzero(t, sizeof(t));
}

/* The base-mode key schedule: the AEAD key and nonce of a shared secret. */
void
age_hpke_schedule(const unsigned char ss[32], const char *info,
    unsigned char key[32], unsigned char nonce[12])
{
	unsigned char ctx[1 + 32 + 32], secret[32];

	ctx[0] = 0;	/* mode_base */
	labeled_extract(ctx + 1, NULL, 0, "psk_id_hash", NULL, 0);
	labeled_extract(ctx + 33, NULL, 0, "info_hash",
	    (const unsigned char *)info, strlen(info));
	labeled_extract(secret, ss, 32, "secret", NULL, 0);
	labeled_expand(key, 32, secret, "key", ctx, sizeof(ctx));
	labeled_expand(nonce, 12, secret, "base_nonce", ctx, sizeof(ctx));
	bk_explicit_bzero(secret, sizeof(secret));
}

int
bk_x25519(unsigned char out[32], const unsigned char sec[32],
    const unsigned char pub[32])
{
	EVP_PKEY *a, *b = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = 32;
	int ok = 0;

	if ((a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sec,
	    32)) == NULL)
		return -1;
	if ((b = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub,
	    32)) != NULL && (ctx = EVP_PKEY_CTX_new(a, NULL)) != NULL &&
	    EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, b) == 1 &&
	    EVP_PKEY_derive(ctx, out, &len) == 1 && len == 32)
		ok = 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(b);
	EVP_PKEY_free(a);
	/*
	 * libcrypto refuses an all-zero result (a low-order share); check
	 * anyway, since a zero secret would make the wrap key public.
	 */
	if (ok && CRYPTO_memcmp(out, (const unsigned char[32]){ 0 }, 32) == 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* Memory scrypt needs: 128 * r * N bytes with r = 8. */
uint64_t
age_scrypt_mem(int logn)
{
	return (uint64_t)1024 << logn;
}

int
age_scrypt_key(unsigned char key[32], const char *pass, size_t passlen,
    const unsigned char salt[16], int logn)
{
	unsigned char s[sizeof(SCRYPT_LABEL) - 1 + 16];

	memcpy(s, SCRYPT_LABEL, sizeof(SCRYPT_LABEL) - 1);
	memcpy(s + sizeof(SCRYPT_LABEL) - 1, salt, 16);
	/*
	 * OpenSSL caps scrypt's memory at 32 MiB unless told otherwise; the
	 * caller already bounded logn, so allow what that work factor needs
	 * plus a margin for the other buffers.
	 */
	return EVP_PBE_scrypt(pass, passlen, s, sizeof(s), (uint64_t)1 << logn,
	    8, 1, age_scrypt_mem(logn) + 16 * 1024 * 1024, key, 32) == 1 ? 0 : -1;
}
