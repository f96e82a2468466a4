/*
 * age.c: the age v1 file format (C2SP age), over libcrypto.
 *
 * A file is a text header (version line, recipient stanzas, a MAC line), a
 * 16-byte nonce and a payload of ChaCha20-Poly1305 chunks of 64 KiB, each
 * sealed with an 11-byte big-endian counter and a flag byte that marks the
 * last chunk.  The header wraps a random 16-byte file key once per
 * recipient; keys for the header MAC and the payload come from it through
 * HKDF-SHA256.  The armored form is the binary file in strict PEM-like
 * base64.  Everything here is written from the specification.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "age/internal.h"

#define TAG		16
#define CT_CHUNK	(BK_AGE_CHUNK + TAG)
#define FILE_KEY	16
#define NONCE		16
#define VERSION_LINE	"age-encryption.org/v1"
#define X25519_INFO	"age-encryption.org/v1/X25519"
#define MLKEM_TYPE	"mlkem768x25519"
#define MLKEM_INFO	"age-encryption.org/mlkem768x25519"
#define SCRYPT_LABEL	"age-encryption.org/v1/scrypt"
#define ARMOR_BEGIN	"-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END	"-----END AGE ENCRYPTED FILE-----"
#define ARMOR_COLS	64
#define ARMOR_BYTES	48
#define MAX_SPACE	1024		/* whitespace allowed around armor */
#define MAX_LINE	16384		/* a header line, arguments included */
#define MAX_HEADER	(1024 * 1024)	/* keeps a hostile header bounded */
#define MAX_STANZAS	1024
#define IBUF		(1024 * 1024)

/* ---- base64, strict: canonical, padded or not as the format says ---- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes len characters into out (room for len * 3 / 4 bytes).  With
 * padded, the length must be a multiple of 4 with '=' only at the end;
 * without, no '=' at all.  The unused low bits of the last character must
 * be zero, so every value has exactly one encoding.  Returns the decoded
 * length or -1.
 */
static ssize_t
b64_decode(unsigned char *out, const char *s, size_t len, int padded)
{
	size_t i, n = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	if (padded) {
		if (len % 4 != 0)
			return -1;
		while (pad < 2 && len > 0 && s[len - 1] == '=') {
			len--;
			pad++;
		}
		/* "xx=" with a single character left is never valid. */
		if ((len + pad) % 4 != 0 || (pad > 0 && len % 4 + pad != 4))
			return -1;
	} else if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (ssize_t)n;
}

/* Encodes n bytes; returns the characters written (no NUL). */
static size_t
b64_encode(char *out, const unsigned char *in, size_t n, int padded)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64chars[v >> 18];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = b64chars[(v >> 6) & 63];
		out[o++] = b64chars[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64chars[v >> 18];
		out[o++] = b64chars[(v >> 12) & 63];
		if (padded) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64chars[v >> 18];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = b64chars[(v >> 6) & 63];
		if (padded)
			out[o++] = '=';
	}
	return o;
}

/* ---- bech32 (BIP 173), without its 90-character limit, as age uses it ---- */

static const char b32chars[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
bech32_polymod(const unsigned char *v, size_t n)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
	    0x3d4233dd, 0x2a1462b3 };
	uint32_t chk = 1, top;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		top = chk >> 25;
		chk = (chk & 0x1ffffff) << 5 ^ v[i];
		for (j = 0; j < 5; j++)
			if ((top >> j) & 1)
				chk ^= gen[j];
	}
	return chk;
}

/* The checksum input: the expanded prefix, then the 5-bit data. */
static size_t
bech32_expand(unsigned char *v, const char *hrp, size_t hlen,
    const unsigned char *data, size_t dlen)
{
	size_t i, n = 0;

	for (i = 0; i < hlen; i++)
		v[n++] = (unsigned char)hrp[i] >> 5;
	v[n++] = 0;
	for (i = 0; i < hlen; i++)
		v[n++] = (unsigned char)hrp[i] & 31;
	memcpy(v + n, data, dlen);
	return n + dlen;
}

/*
 * Encodes n bytes under a lower-case prefix, upper-casing the whole string
 * when upper is set.  Returns a bk_malloc'd string.
 */
static char *
bech32_encode(const char *hrp, const unsigned char *key, size_t n, int upper)
{
	size_t hlen = strlen(hrp), dmax = (n * 8 + 4) / 5 + 6, i, d = 0, k;
	unsigned char *data = bk_malloc(dmax), *v = bk_malloc(2 * hlen + 1 +
	    dmax);
	char *out = bk_malloc(hlen + 1 + dmax + 1);
	uint32_t acc = 0, chk;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = acc << 8 | key[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			data[d++] = (acc >> bits) & 31;
		}
	}
	if (bits > 0)
		data[d++] = (acc << (5 - bits)) & 31;
	memset(data + d, 0, 6);
	k = bech32_expand(v, hrp, hlen, data, d + 6);
	chk = bech32_polymod(v, k) ^ 1;
	for (i = 0; i < 6; i++)
		data[d + i] = (chk >> (5 * (5 - i))) & 31;
	k = 0;
	for (i = 0; i < hlen; i++)
		out[k++] = upper ? (char)toupper((unsigned char)hrp[i]) : hrp[i];
	out[k++] = '1';
	for (i = 0; i < d + 6; i++) {
		char c = b32chars[data[i]];

		out[k++] = upper ? (char)toupper((unsigned char)c) : c;
	}
	out[k] = '\0';
	bk_explicit_bzero(data, dmax);
	bk_explicit_bzero(v, 2 * hlen + 1 + dmax);
	free(data);
	free(v);
	return out;
}

/*
 * Decodes a string with the given lower-case prefix into exactly n bytes.
 * The prefix must be followed by the separator '1', which the data
 * characters never contain, so "age" does not match an "age1pq1" string.
 * BIP 173 reads an all upper-case string as its lower-case twin, but age
 * fixes one case for each kind of string and refuses the other (the age
 * command calls "AGE1..." an unknown recipient type): the whole string
 * must be in upper case when upper is set, else in lower case.
 */
static int
bech32_decode(const char *s, const char *hrp, unsigned char *key, size_t n,
    int upper)
{
	size_t len = strlen(s), hlen = strlen(hrp), i, dlen, nd, k = 0;
	unsigned char *data, *v;
	uint32_t acc = 0;
	int bits = 0, r = -1;
	const char *p;

	/* The longest key, an X-Wing public key, is 1946 characters. */
	if (len > 4096 || len < hlen + 1 + 6)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126 || (upper ? islower(c) : isupper(c)))
			return -1;
		if (i < hlen && tolower(c) != hrp[i])
			return -1;
	}
	if (s[hlen] != '1')
		return -1;
	nd = dlen = len - hlen - 1;
	data = bk_malloc(nd);
	v = bk_malloc(2 * hlen + 1 + nd);
	for (i = 0; i < dlen; i++) {
		if ((p = strchr(b32chars, tolower((unsigned char)s[hlen + 1 +
		    i]))) == NULL)
			goto out;
		data[i] = (unsigned char)(p - b32chars);
	}
	if (bech32_polymod(v, bech32_expand(v, hrp, hlen, data, dlen)) != 1)
		goto out;
	dlen -= 6;
	for (i = 0; i < dlen; i++) {
		acc = acc << 5 | data[i];
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (k == n)
				goto out;
			key[k++] = (acc >> bits) & 0xff;
		}
	}
	/* Padding: fewer than 5 bits, all zero. */
	if (k == n && bits < 5 && (acc & ((1u << bits) - 1)) == 0)
		r = 0;
out:
	bk_explicit_bzero(data, nd);
	bk_explicit_bzero(v, 2 * hlen + 1 + nd);
	free(data);
	free(v);
	return r;
}

/*
 * Whether an X25519 public key has a low order: its shared secret with any
 * scalar is all zero (X25519 clears a scalar's low three bits, a multiple
 * of the cofactor 8), so whoever reads the header could unwrap the file
 * key.  Encrypting to one is refused before anything is written.
 */
static int
x25519_low_order(const unsigned char pub[32])
{
	static const unsigned char any[32] = { 9 };
	unsigned char out[32];

	return bk_x25519(out, any, pub) < 0;
}

int
bk_age_parse_recipient(const char *s, struct bk_age_key *k)
{
	memset(k, 0, sizeof(*k));
	if (bech32_decode(s, "age1pq", k->key, BK_XWING_PK, 0) == 0) {
		/* An encapsulation key must pass ML-KEM's modulus check. */
		if (!bk_mlkem_ek_valid(k->key))
			return -1;
		k->type = BK_AGE_PQ;
		k->len = BK_XWING_PK;
		return x25519_low_order(k->key + BK_MLKEM_EK) ? -2 : 0;
	}
	if (bech32_decode(s, "age", k->key, 32, 0) == 0) {
		k->type = BK_AGE_X25519;
		k->len = 32;
		return x25519_low_order(k->key) ? -2 : 0;
	}
	return -1;
}

int
bk_age_parse_identity(const char *s, struct bk_age_key *k)
{
	memset(k, 0, sizeof(*k));
	k->len = 32;
	/* age writes identities in upper case only. */
	if (strncmp(s, "AGE-SECRET-KEY-PQ-1", 19) == 0) {
		k->type = BK_AGE_PQ;
		return bech32_decode(s, "age-secret-key-pq-", k->key, 32, 1);
	}
	if (strncmp(s, "AGE-SECRET-KEY-1", 16) != 0)
		return -1;
	k->type = BK_AGE_X25519;
	return bech32_decode(s, "age-secret-key-", k->key, 32, 1);
}

char *
bk_age_recipient_str(const struct bk_age_key *k)
{
	return bech32_encode(k->type == BK_AGE_PQ ? "age1pq" : "age", k->key,
	    k->len, 0);
}

char *
bk_age_identity_str(const struct bk_age_key *k)
{
	return bech32_encode(k->type == BK_AGE_PQ ? "age-secret-key-pq-" :
	    "age-secret-key-", k->key, 32, 1);
}

/* ---- primitives over EVP ---- */

static int
hkdf(unsigned char *out, size_t outlen, const unsigned char *ikm,
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

static EVP_CIPHER *
chacha(void)
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
static int
aead(EVP_CIPHER_CTX *ctx, int enc, const unsigned char *key,
    const unsigned char nonce[12], unsigned char *out,
    const unsigned char *in, size_t n)
{
	int l1 = 0, l2 = 0;

	if (EVP_CipherInit_ex(ctx, key != NULL ? chacha() : NULL, NULL, key,
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
static int
aead_once_nonce(int enc, const unsigned char key[32],
    const unsigned char nonce[12], unsigned char *out,
    const unsigned char *in, size_t n)
{
	EVP_CIPHER_CTX *ctx;
	int r;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	r = aead(ctx, enc, key, nonce, out, in, n);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* With the zero nonce, as every stanza of age's own types uses. */
static int
aead_once(int enc, const unsigned char key[32], unsigned char *out,
    const unsigned char *in, size_t n)
{
	static const unsigned char zero[12];

	return aead_once_nonce(enc, key, zero, out, in, n);
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
static void
hpke_schedule(const unsigned char ss[32], const char *info,
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

int
bk_age_public_key(const unsigned char sec[32], unsigned char pub[32])
{
	EVP_PKEY *k;
	size_t len = 32;
	int r;

	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sec,
	    32)) == NULL)
		return -1;
	r = EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == 32;
	EVP_PKEY_free(k);
	return r ? 0 : -1;
}

int
bk_age_to_recipient(const struct bk_age_key *id, struct bk_age_key *r)
{
	memset(r, 0, sizeof(*r));
	r->type = id->type;
	if (id->type == BK_AGE_PQ) {
		r->len = BK_XWING_PK;
		return bk_xwing_public(id->key, r->key);
	}
	r->len = 32;
	return bk_age_public_key(id->key, r->key);
}

int
bk_age_keygen(enum bk_age_type type, struct bk_age_key *id,
    struct bk_age_key *r)
{
	memset(id, 0, sizeof(*id));
	id->type = type;
	id->len = 32;
	if (RAND_bytes(id->key, 32) != 1)
		return -1;
	return bk_age_to_recipient(id, r);
}

/* Memory scrypt needs: 128 * r * N bytes with r = 8. */
static uint64_t
scrypt_mem(int logn)
{
	return (uint64_t)1024 << logn;
}

static int
scrypt_key(unsigned char key[32], const char *pass, size_t passlen,
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
	    8, 1, scrypt_mem(logn) + 16 * 1024 * 1024, key, 32) == 1 ? 0 : -1;
}

/* ---- identities ---- */

/* An identity: its secret, and for X25519 its public key (the HKDF salt). */
struct idkey {
	enum bk_age_type type;
	unsigned char	 sec[32];
	unsigned char	 pub[32];
};

struct bk_age_ids {
	struct idkey	 *k;
	size_t		  n;
	char		 *pass;
	size_t		  passlen;
	int		  haspass;
	bk_age_getpass	  getpass;
	void		 *getpass_ctx;
	int		  max_logn;
};

struct bk_age_ids *
bk_age_ids_new(void)
{
	struct bk_age_ids *ids = bk_calloc(1, sizeof(*ids));

	ids->max_logn = BK_AGE_LIMIT_LOGN;
	return ids;
}

/*
 * Room for one more key.  Not realloc: it would free the old array, keys
 * and all, without wiping it.
 */
static void
ids_grow(struct bk_age_ids *ids)
{
	struct idkey *k;

	if (ids->n > SIZE_MAX / sizeof(*k) - 1)
		bk_errx(BK_EX_SOFTWARE, "too many identities");
	k = bk_malloc((ids->n + 1) * sizeof(*k));
	if (ids->n > 0) {
		memcpy(k, ids->k, ids->n * sizeof(*k));
		bk_explicit_bzero(ids->k, ids->n * sizeof(*k));
	}
	free(ids->k);
	ids->k = k;
}

int
bk_age_ids_add_key(struct bk_age_ids *ids, const char *s)
{
	struct bk_age_key id;
	struct idkey *k;
	int r = -1;

	if (bk_age_parse_identity(s, &id) == 0) {
		ids_grow(ids);
		k = &ids->k[ids->n];
		memset(k, 0, sizeof(*k));
		k->type = id.type;
		memcpy(k->sec, id.key, 32);
		if (id.type == BK_AGE_PQ ||
		    bk_age_public_key(k->sec, k->pub) == 0) {
			ids->n++;
			r = 0;
		} else
			bk_explicit_bzero(k, sizeof(*k));
	}
	bk_explicit_bzero(&id, sizeof(id));
	return r;
}

int
bk_age_ids_load(struct bk_age_ids *ids, const char *path, char *err,
    size_t errlen)
{
	int fd, e, code;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		snprintf(err, errlen, "could not open identity file \"%s\": "
		    "%s", path, strerror(e));
		return bk_open_errno_code(e);
	}
	code = bk_age_ids_load_fd(ids, fd, path, err, errlen);
	close(fd);
	return code;
}

int
bk_age_ids_load_fd(struct bk_age_ids *ids, int fd, const char *path,
    char *err, size_t errlen)
{
	char buf[4096], *line, *nl, *what;
	size_t have = 0, lineno = 0, found = 0;
	ssize_t got;
	int eof = 0, code = 0;

	what = bk_asprintf("identity file \"%s\"", path);
	bk_secret_exposed(fd, what);
	free(what);
	/*
	 * Line by line with read(2) in a small buffer that is wiped at the
	 * end: stdio would keep copies in buffers of its own, freed unwiped.
	 */
	while (!eof || have > 0) {
		if (!eof && have < sizeof(buf) - 1) {
			got = bk_read_full(fd, buf + have, sizeof(buf) - 1 -
			    have);
			if (got < 0) {
				snprintf(err, errlen, "could not read identity "
				    "file \"%s\": %s", path, strerror(errno));
				code = BK_EX_IOERR;
				break;
			}
			have += (size_t)got;
			if (have < sizeof(buf) - 1)
				eof = 1;
		}
		buf[have] = '\0';
		line = buf;
		if ((nl = memchr(buf, '\n', have)) != NULL)
			*nl = '\0';
		else if (!eof) {
			snprintf(err, errlen, "could not parse identity file "
			    "\"%s\": line %zu is too long", path, lineno + 1);
			code = BK_EX_DATAERR;
			break;
		}
		lineno++;
		if (strlen(line) > 0 && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (line[0] != '\0' && line[0] != '#') {
			if (bk_age_ids_add_key(ids, line) < 0) {
				/* Never echo the line: it may be a key. */
				snprintf(err, errlen, "could not parse identity "
				    "file \"%s\": line %zu is %s", path, lineno,
				    strncmp(line, "AGE-PLUGIN-", 11) == 0 ?
				    "a plugin identity, which is not supported" :
				    "not an age identity (AGE-SECRET-KEY-1... or "
				    "AGE-SECRET-KEY-PQ-1...)");
				code = BK_EX_DATAERR;
				break;
			}
			found++;
		}
		if (nl != NULL) {
			size_t used = (size_t)(nl - buf) + 1;

			memmove(buf, buf + used, have - used);
			have -= used;
		} else
			have = 0;
	}
	bk_explicit_bzero(buf, sizeof(buf));
	if (code == 0 && found == 0) {
		snprintf(err, errlen, "could not parse identity file \"%s\": "
		    "no identity found", path);
		code = BK_EX_DATAERR;
	}
	return code;
}

size_t
bk_age_ids_count(const struct bk_age_ids *ids)
{
	return ids->n;
}

int
bk_age_ids_recipient(const struct bk_age_ids *ids, size_t i,
    struct bk_age_key *r)
{
	if (i >= ids->n)
		return -1;
	memset(r, 0, sizeof(*r));
	r->type = ids->k[i].type;
	if (r->type == BK_AGE_PQ) {
		r->len = BK_XWING_PK;
		return bk_xwing_public(ids->k[i].sec, r->key);
	}
	r->len = 32;
	memcpy(r->key, ids->k[i].pub, 32);
	return 0;
}

void
bk_age_ids_set_passphrase(struct bk_age_ids *ids, const char *p, size_t n)
{
	if (ids->pass != NULL) {
		bk_explicit_bzero(ids->pass, ids->passlen);
		free(ids->pass);
	}
	ids->pass = bk_malloc(n + 1);
	memcpy(ids->pass, p, n);
	ids->pass[n] = '\0';
	ids->passlen = n;
	ids->haspass = 1;
}

void
bk_age_ids_set_getpass(struct bk_age_ids *ids, bk_age_getpass f, void *ctx)
{
	ids->getpass = f;
	ids->getpass_ctx = ctx;
}

void
bk_age_ids_set_max_logn(struct bk_age_ids *ids, int logn)
{
	ids->max_logn = logn;
}

int
bk_age_parse_max_logn(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end != '\0' || errno != 0 ||
	    v < 1 || v > BK_AGE_MAX_LOGN)
		bk_usage_error("bad --max-work-factor \"%s\" (1 to %d)", s,
		    BK_AGE_MAX_LOGN);
	return (int)v;
}

void
bk_age_ids_free(struct bk_age_ids *ids)
{
	if (ids == NULL)
		return;
	if (ids->k != NULL)
		bk_explicit_bzero(ids->k, ids->n * sizeof(*ids->k));
	if (ids->pass != NULL)
		bk_explicit_bzero(ids->pass, ids->passlen);
	free(ids->k);
	free(ids->pass);
	free(ids);
}

/* ---- the armor reader: strict PEM-like base64 in, bytes out ---- */

struct armor {
	struct bk_reader	 r;
	struct bk_reader	*src;
	unsigned char		*buf;
	size_t			 pos, end;
	int			 eof;
	int			 state;		/* 0 begin, 1 data, 2 done */
	unsigned char		 line[ARMOR_BYTES];
	size_t			 lpos, llen;
};

#define ARMOR_BUF	65536

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/*
 * Finds the next line (without its LF and a CR before it).  Returns 1 with
 * the line, 0 at the end of input, -1 on error (set in a->r).
 */
static int
armor_line(struct armor *a, char **line, size_t *len)
{
	unsigned char *nl;
	ssize_t got;

	for (;;) {
		nl = memchr(a->buf + a->pos, '\n', a->end - a->pos);
		if (nl != NULL || a->eof)
			break;
		if (a->pos > 0) {
			memmove(a->buf, a->buf + a->pos, a->end - a->pos);
			a->end -= a->pos;
			a->pos = 0;
		}
		if (a->end == ARMOR_BUF)
			return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
			    "invalid armor: line too long");
		got = a->src->read(a->src, a->buf + a->end, ARMOR_BUF - a->end);
		if (got < 0)
			return (int)bk_reader_fail(&a->r, a->src->code, "%s",
			    a->src->err);
		if (got == 0)
			a->eof = 1;
		a->end += (size_t)got;
	}
	if (nl == NULL && a->pos == a->end)
		return 0;
	*line = (char *)a->buf + a->pos;
	if (nl != NULL) {
		*len = (size_t)(nl - (a->buf + a->pos));
		a->pos += *len + 1;
	} else {
		*len = a->end - a->pos;
		a->pos = a->end;
	}
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return 1;
}

/* After the end line: only a little whitespace may follow. */
static int
armor_trailer(struct armor *a)
{
	size_t seen = 0, i;
	ssize_t got;

	for (;;) {
		for (i = a->pos; i < a->end; i++, seen++)
			if (!is_space(a->buf[i]))
				return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
				    "invalid armor: data after the end line");
		if (seen >= MAX_SPACE)
			return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
			    "invalid armor: too much whitespace after the "
			    "end line");
		a->pos = a->end = 0;
		if (a->eof)
			break;
		got = a->src->read(a->src, a->buf, ARMOR_BUF);
		if (got < 0)
			return (int)bk_reader_fail(&a->r, a->src->code, "%s",
			    a->src->err);
		if (got == 0)
			a->eof = 1;
		a->end = (size_t)got;
	}
	a->state = 2;
	return 0;
}

/* Decodes the next line into a->line; 0 at the end, -1 on error. */
static int
armor_next(struct armor *a)
{
	size_t len, space = 0;
	ssize_t n;
	char *line;
	int r;

	while (a->state == 0) {
		if ((r = armor_line(a, &line, &len)) <= 0)
			return r < 0 ? -1 : (int)bk_reader_fail(&a->r,
			    BK_EX_DATAERR, "invalid armor: no begin line");
		for (n = 0; (size_t)n < len && is_space((unsigned char)line[n]);
		    n++)
			;
		if ((size_t)n == len) {
			if ((space += len + 1) > MAX_SPACE)
				return (int)bk_reader_fail(&a->r,
				    BK_EX_DATAERR, "invalid armor: too much "
				    "whitespace before the begin line");
			continue;
		}
		if (len != strlen(ARMOR_BEGIN) || memcmp(line, ARMOR_BEGIN,
		    len) != 0)
			return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
			    "invalid armor: bad begin line");
		a->state = 1;
	}
	if (a->state == 2)
		return 0;
	if ((r = armor_line(a, &line, &len)) <= 0)
		return r < 0 ? -1 : (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
		    "invalid armor: truncated (no end line)");
	if (len == strlen(ARMOR_END) && memcmp(line, ARMOR_END, len) == 0)
		return armor_trailer(a);
	if (len == 0 || len > ARMOR_COLS)
		return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
		    "invalid armor: line of %zu columns (want 1 to %d)", len,
		    ARMOR_COLS);
	if ((n = b64_decode(a->line, line, len, 1)) < 0)
		return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
		    "invalid armor: bad base64");
	a->lpos = 0;
	a->llen = (size_t)n;
	if (n < ARMOR_BYTES) {
		/* A short line is the last one: the end line must follow. */
		if ((r = armor_line(a, &line, &len)) < 0)
			return -1;
		if (r == 0 || len != strlen(ARMOR_END) ||
		    memcmp(line, ARMOR_END, len) != 0)
			return (int)bk_reader_fail(&a->r, BK_EX_DATAERR,
			    "invalid armor: short line not followed by the "
			    "end line");
		if (armor_trailer(a) < 0)
			return -1;
	}
	return 1;
}

static ssize_t
armor_read(struct bk_reader *r, void *buf, size_t n)
{
	struct armor *a = (struct armor *)r;
	size_t got = 0, k;
	int rc;

	while (got < n) {
		if (a->lpos == a->llen) {
			if (a->state == 2)
				break;
			if ((rc = armor_next(a)) < 0)
				return -1;
			if (rc == 0)
				break;
			continue;
		}
		k = a->llen - a->lpos;
		if (k > n - got)
			k = n - got;
		memcpy((char *)buf + got, a->line + a->lpos, k);
		a->lpos += k;
		got += k;
	}
	r->offset += got;
	return (ssize_t)got;
}

static void
armor_close(struct bk_reader *r)
{
	struct armor *a = (struct armor *)r;

	free(a->buf);
	free(a);
}

/* An armor reader over src that first reads the n bytes at pre. */
static struct armor *
armor_new(struct bk_reader *src, const unsigned char *pre, size_t n)
{
	struct armor *a = bk_calloc(1, sizeof(*a));

	a->r.read = armor_read;
	a->r.close = armor_close;
	a->src = src;
	a->buf = bk_malloc(ARMOR_BUF > n ? ARMOR_BUF : n);
	memcpy(a->buf, pre, n);
	a->end = n;
	return a;
}

/* ---- the decrypting reader ---- */

struct stanza {
	char		*args[3];	/* the first three arguments */
	int		 nargs;
	unsigned char	*body;
	size_t		 blen;
};

struct age_reader {
	struct bk_reader	 r;
	struct bk_age_ids	*ids;
	struct bk_reader	*src;		/* below, or the armor reader */
	struct armor		*armor;
	unsigned char		*ibuf;
	size_t			 pos, end;
	int			 eof;
	int			 started;	/* header parsed */
	int			 failed;
	int			 done;		/* final chunk seen */
	struct stanza		*st;
	int			 nst;
	char			*hdr;		/* header bytes for the MAC */
	size_t			 hlen;
	unsigned char		 mac[32];
	struct bk_age_info	 info;
	EVP_CIPHER_CTX		*ctx;
	uint64_t		 counter;
	unsigned char		*pt;		/* one verified chunk */
	size_t			 ppos, plen;
	uint64_t		 in_off;	/* bytes consumed from src */
};

static ssize_t
age_fail(struct age_reader *a, int code, const char *fmt, ...)
    BK_PRINTF(3, 4);

static ssize_t
age_fail(struct age_reader *a, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->r.err, sizeof(a->r.err), fmt, ap);
	va_end(ap);
	a->r.code = code;
	a->failed = 1;
	return -1;
}

/* Makes at least want bytes available in ibuf unless the input ends. */
static int
age_fill(struct age_reader *a, size_t want)
{
	ssize_t got;

	while (a->end - a->pos < want && !a->eof) {
		if (IBUF - a->pos < want) {
			memmove(a->ibuf, a->ibuf + a->pos, a->end - a->pos);
			a->end -= a->pos;
			a->pos = 0;
		}
		got = a->src->read(a->src, a->ibuf + a->end, IBUF - a->end);
		if (got < 0)
			return (int)age_fail(a, a->src->code, "%s",
			    a->src->err);
		if (got == 0)
			a->eof = 1;
		a->end += (size_t)got;
	}
	return 0;
}

static void
hdr_add(struct age_reader *a, const char *p, size_t n)
{
	memcpy(a->hdr + a->hlen, p, n);
	a->hlen += n;
}

/*
 * The next header line, without its LF, NUL-terminated in place (the LF's
 * place).  A NUL inside is an error: the parsers below would stop at it
 * and accept a line that the MAC covers whole and that age refuses.
 * Returns 0, or -1 on error.
 */
static int
hdr_line(struct age_reader *a, char **line, size_t *len, const char *what)
{
	unsigned char *nl, *nul;
	size_t want = 1;

	for (;;) {
		nl = memchr(a->ibuf + a->pos, '\n', a->end - a->pos);
		if (nl != NULL)
			break;
		if (a->end - a->pos >= MAX_LINE)
			return (int)age_fail(a, BK_EX_DATAERR,
			    "invalid header: line too long");
		if (a->eof)
			return (int)age_fail(a, BK_EX_DATAERR,
			    "invalid header: truncated in %s", what);
		want = a->end - a->pos + 1;
		if (age_fill(a, want) < 0)
			return -1;
	}
	*line = (char *)a->ibuf + a->pos;
	*len = (size_t)(nl - (a->ibuf + a->pos));
	if (a->hlen + *len + 1 > MAX_HEADER)
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: longer than %d bytes", MAX_HEADER);
	/* Lines before this one are all in hdr: hlen is where it starts. */
	if ((nul = memchr(*line, '\0', *len)) != NULL)
		return (int)age_fail(a, BK_EX_DATAERR, "invalid header: NUL "
		    "byte at offset %zu", a->hlen + (size_t)(nul -
		    (unsigned char *)*line));
	*nl = '\0';
	a->pos += *len + 1;
	return 0;
}

static int
is_vchar_arg(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return 0;
	return 1;
}

/* Parses a stanza's "-> " line (already known to start so) and body. */
static int
parse_stanza(struct age_reader *a, char *line, size_t len, int num)
{
	struct stanza *s;
	char *p, *sp, *bl;
	size_t bn, cap = 0;
	ssize_t k;

	if (a->nst == MAX_STANZAS)
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: more than %d stanzas", MAX_STANZAS);
	a->st = bk_reallocarray(a->st, (size_t)a->nst + 1, sizeof(*a->st));
	s = &a->st[a->nst++];
	memset(s, 0, sizeof(*s));
	p = line + 3;
	if (*p == '\0')
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: stanza %d has no type", num);
	for (;;) {
		sp = strchr(p, ' ');
		k = sp != NULL ? sp - p : (ssize_t)strlen(p);
		if (!is_vchar_arg(p, (size_t)k))
			return (int)age_fail(a, BK_EX_DATAERR, "invalid "
			    "header: stanza %d has an empty or bad argument",
			    num);
		if (s->nargs < 3)
			s->args[s->nargs] = bk_asprintf("%.*s", (int)k, p);
		s->nargs++;
		if (sp == NULL)
			break;
		p = sp + 1;
	}
	(void)len;
	/* Body lines: full 64-column lines, ended by a shorter one. */
	for (;;) {
		if (hdr_line(a, &bl, &bn, "a stanza body") < 0)
			return -1;
		hdr_add(a, bl, bn);
		hdr_add(a, "\n", 1);
		if (bn > ARMOR_COLS)
			return (int)age_fail(a, BK_EX_DATAERR, "invalid "
			    "header: stanza %d body line longer than %d "
			    "columns", num, ARMOR_COLS);
		if (s->blen + 48 > cap) {
			cap = cap * 2 + 48;
			s->body = bk_realloc(s->body, cap);
		}
		if ((k = b64_decode(s->body + s->blen, bl, bn, 0)) < 0)
			return (int)age_fail(a, BK_EX_DATAERR, "invalid "
			    "header: stanza %d body is not canonical base64",
			    num);
		s->blen += (size_t)k;
		if (bn < ARMOR_COLS)
			break;
	}
	return 0;
}

/* Decodes an argument that must be exactly n bytes of base64. */
static int
arg_bytes(const char *arg, unsigned char *out, size_t n)
{
	size_t len = strlen(arg);
	unsigned char *tmp;
	int r;

	/* Unpadded base64 of n bytes is ceil(4n / 3) characters. */
	if (len > (4 * n + 2) / 3)
		return -1;
	tmp = bk_malloc(len * 3 / 4 + 1);
	r = b64_decode(tmp, arg, len, 0) == (ssize_t)n ? 0 : -1;
	if (r == 0)
		memcpy(out, tmp, n);
	free(tmp);
	return r;
}

/* Checks the stanzas that age defines, whatever the identities. */
static int
check_stanzas(struct age_reader *a)
{
	unsigned char tmp[BK_XWING_CT];
	const char *w;
	int i, scrypt = 0;
	long logn;
	char *end;

	for (i = 0; i < a->nst; i++) {
		struct stanza *s = &a->st[i];

		if (strcmp(s->args[0], "X25519") == 0) {
			a->info.x25519++;
			if (s->nargs != 2)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: X25519 stanza with %d "
				    "arguments", s->nargs - 1);
			if (arg_bytes(s->args[1], tmp, 32) < 0)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad X25519 share");
			if (s->blen != FILE_KEY + TAG)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: X25519 stanza body of "
				    "%zu bytes", s->blen);
		} else if (strcmp(s->args[0], MLKEM_TYPE) == 0) {
			a->info.mlkem++;
			if (s->nargs != 2)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: %s stanza with %d "
				    "arguments", MLKEM_TYPE, s->nargs - 1);
			if (arg_bytes(s->args[1], tmp, BK_XWING_CT) < 0)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad %s encapsulated key",
				    MLKEM_TYPE);
			if (s->blen != FILE_KEY + TAG)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: %s stanza body of %zu "
				    "bytes", MLKEM_TYPE, s->blen);
		} else if (strcmp(s->args[0], "scrypt") == 0) {
			scrypt++;
			if (s->nargs != 3)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: scrypt stanza with %d "
				    "arguments", s->nargs - 1);
			if (arg_bytes(s->args[1], tmp, 16) < 0)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad scrypt salt");
			w = s->args[2];
			/* Decimal, no sign, no leading zero. */
			if (w[0] < '1' || w[0] > '9' || strlen(w) > 2 ||
			    strspn(w, "0123456789") != strlen(w))
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad scrypt work factor");
			logn = strtol(w, &end, 10);
			if (logn < 1 || logn > 63)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad scrypt work factor");
			a->info.scrypt = 1;
			a->info.scrypt_logn = (int)logn;
			if (s->blen != FILE_KEY + TAG)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: scrypt stanza body of "
				    "%zu bytes", s->blen);
		}
	}
	/* A passphrase must be the only way in, or it means nothing. */
	if (scrypt > 0 && a->nst > 1)
		return (int)age_fail(a, BK_EX_DATAERR, "invalid header: an "
		    "scrypt stanza must be the only stanza");
	return 0;
}

static int
parse_header(struct age_reader *a)
{
	char *line;
	size_t len;
	int num = 0;

	a->hdr = bk_malloc(MAX_HEADER);
	if (hdr_line(a, &line, &len, "the version line") < 0)
		return -1;
	if (strcmp(line, VERSION_LINE) != 0)
		return (int)age_fail(a, BK_EX_DATAERR, "unsupported version "
		    "line (want %s)", VERSION_LINE);
	hdr_add(a, line, len);
	hdr_add(a, "\n", 1);
	for (;;) {
		if (hdr_line(a, &line, &len, "the header") < 0)
			return -1;
		if (len >= 3 && memcmp(line, "---", 3) == 0)
			break;
		if (len < 3 || memcmp(line, "-> ", 3) != 0)
			return (int)age_fail(a, BK_EX_DATAERR, "invalid "
			    "header: line %d is neither a stanza nor the MAC",
			    num + 2);
		hdr_add(a, line, len);
		hdr_add(a, "\n", 1);
		if (parse_stanza(a, line, len, ++num) < 0)
			return -1;
	}
	if (a->nst == 0)
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: no recipient stanza");
	hdr_add(a, "---", 3);
	if (len != 4 + 43 || line[3] != ' ' ||
	    b64_decode(a->mac, line + 4, 43, 0) != 32)
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: bad MAC line");
	a->info.stanzas = a->nst;
	/* Offsets in messages count from the start of the (decoded) file. */
	a->in_off = a->hlen + 1 + 43 + 1;
	return check_stanzas(a);
}

/* Tries one stanza with every identity; 1 with the file key, 0, -1. */
static int
try_x25519(struct age_reader *a, struct stanza *s, unsigned char fk[16])
{
	unsigned char share[32], shared[32], salt[64], wrap[32];
	size_t i;
	int r = 0;

	arg_bytes(s->args[1], share, 32);
	for (i = 0; i < a->ids->n && r == 0; i++) {
		if (a->ids->k[i].type != BK_AGE_X25519)
			continue;
		if (bk_x25519(shared, a->ids->k[i].sec, share) < 0) {
			r = (int)age_fail(a, BK_EX_DATAERR, "invalid header: "
			    "X25519 share is a low-order point");
			break;
		}
		memcpy(salt, share, 32);
		memcpy(salt + 32, a->ids->k[i].pub, 32);
		if (hkdf(wrap, 32, shared, 32, salt, 64, X25519_INFO) < 0)
			bk_errx(BK_EX_SOFTWARE, "could not derive a key");
		if (aead_once(0, wrap, fk, s->body, FILE_KEY) == 0)
			r = 1;
	}
	bk_explicit_bzero(shared, sizeof(shared));
	bk_explicit_bzero(wrap, sizeof(wrap));
	return r;
}

/*
 * An mlkem768x25519 stanza: X-Wing decapsulation of its argument, then
 * HPKE's key schedule opens the body.  A share whose X25519 part gives the
 * all-zero secret is a malformed header whatever the identity.
 */
static int
try_mlkem(struct age_reader *a, struct stanza *s, unsigned char fk[16])
{
	unsigned char *enc = bk_malloc(BK_XWING_CT), ss[32], key[32];
	unsigned char nonce[12];
	size_t i;
	int r = 0;

	arg_bytes(s->args[1], enc, BK_XWING_CT);
	for (i = 0; i < a->ids->n && r == 0; i++) {
		if (a->ids->k[i].type != BK_AGE_PQ)
			continue;
		if (bk_xwing_decaps(a->ids->k[i].sec, enc, ss) < 0) {
			r = (int)age_fail(a, BK_EX_DATAERR, "invalid header: "
			    "%s share is a low-order point", MLKEM_TYPE);
			break;
		}
		hpke_schedule(ss, MLKEM_INFO, key, nonce);
		if (aead_once_nonce(0, key, nonce, fk, s->body, FILE_KEY) == 0)
			r = 1;
	}
	bk_explicit_bzero(ss, sizeof(ss));
	bk_explicit_bzero(key, sizeof(key));
	bk_explicit_bzero(nonce, sizeof(nonce));
	free(enc);
	return r;
}

static int
try_scrypt(struct age_reader *a, struct stanza *s, unsigned char fk[16])
{
	unsigned char salt[16], wrap[32];
	int logn = a->info.scrypt_logn, r;

	if (!a->ids->haspass && a->ids->getpass != NULL) {
		char *p = NULL;
		size_t n = 0;

		if (a->ids->getpass(a->ids->getpass_ctx, &p, &n) < 0)
			return (int)age_fail(a, BK_EX_FAIL,
			    "no passphrase given");
		bk_age_ids_set_passphrase(a->ids, p, n);
		bk_explicit_bzero(p, n);
		free(p);
	}
	if (!a->ids->haspass)
		return 0;
	if (logn > a->ids->max_logn)
		return (int)age_fail(a, BK_EX_DATAERR, "scrypt work factor %d "
		    "is above the limit of %d (it would need %llu MiB of "
		    "memory)", logn, a->ids->max_logn,
		    (unsigned long long)(scrypt_mem(logn) >> 20));
	arg_bytes(s->args[1], salt, 16);
	if (scrypt_key(wrap, a->ids->pass, a->ids->passlen, salt, logn) < 0)
		r = (int)age_fail(a, BK_EX_SOFTWARE, "could not derive the "
		    "scrypt key (work factor %d needs %llu MiB of memory)",
		    logn, (unsigned long long)(scrypt_mem(logn) >> 20));
	else
		r = aead_once(0, wrap, fk, s->body, FILE_KEY) == 0;
	bk_explicit_bzero(wrap, sizeof(wrap));
	return r;
}

/*
 * Unwraps the file key, checks the MAC, reads the nonce, sets the key.
 * Every way out passes the wipe at the end.
 */
static int
unlock(struct age_reader *a)
{
	unsigned char fk[FILE_KEY], key[32], mac[32], nonce[NONCE];
	unsigned int maclen = 32;
	int i, r = 0;

	for (i = 0; i < a->nst && r == 0; i++) {
		if (strcmp(a->st[i].args[0], "X25519") == 0)
			r = try_x25519(a, &a->st[i], fk);
		else if (strcmp(a->st[i].args[0], MLKEM_TYPE) == 0)
			r = try_mlkem(a, &a->st[i], fk);
		else if (strcmp(a->st[i].args[0], "scrypt") == 0)
			r = try_scrypt(a, &a->st[i], fk);
	}
	if (r == 0 && a->info.scrypt && !a->ids->haspass)
		r = (int)age_fail(a, BK_EX_FAIL, "the file is encrypted "
		    "with a passphrase, and none was given");
	else if (r == 0)
		r = (int)age_fail(a, BK_EX_FAIL, "no identity matches "
		    "(wrong key or passphrase)");
	if (r < 0)
		goto out;
	r = -1;
	if (hkdf(key, 32, fk, FILE_KEY, NULL, 0, "header") < 0 ||
	    HMAC(EVP_sha256(), key, 32, (unsigned char *)a->hdr, a->hlen,
	    mac, &maclen) == NULL)
		bk_errx(BK_EX_SOFTWARE, "could not compute the header MAC");
	if (CRYPTO_memcmp(mac, a->mac, 32) != 0) {
		age_fail(a, BK_EX_DATAERR,
		    "header MAC does not match (the header was altered)");
		goto out;
	}
	a->info.unlocked = 1;
	if (age_fill(a, NONCE) < 0)
		goto out;
	if (a->end - a->pos < NONCE) {
		age_fail(a, BK_EX_DATAERR, "truncated: no payload nonce");
		goto out;
	}
	memcpy(nonce, a->ibuf + a->pos, NONCE);
	a->pos += NONCE;
	a->in_off += NONCE;
	if (hkdf(key, 32, fk, FILE_KEY, nonce, NONCE, "payload") < 0)
		bk_errx(BK_EX_SOFTWARE, "could not derive the payload key");
	if ((a->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(a->ctx, chacha(), NULL, key, NULL, 0) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not set up ChaCha20-Poly1305");
	r = 0;
out:
	bk_explicit_bzero(fk, sizeof(fk));
	bk_explicit_bzero(key, sizeof(key));
	return r;
}

/* Detects the form, parses the header and, with identities, unlocks. */
static int
age_start(struct age_reader *a)
{
	size_t i;

	a->started = 1;
	if (age_fill(a, MAX_SPACE + sizeof(ARMOR_BEGIN)) < 0)
		return -1;
	for (i = a->pos; i < a->end && is_space(a->ibuf[i]); i++)
		;
	if (a->end - i >= 10 && memcmp(a->ibuf + i, "-----BEGIN", 10) == 0) {
		a->armor = armor_new(a->r.below, a->ibuf + a->pos,
		    a->end - a->pos);
		a->src = &a->armor->r;
		a->pos = a->end = 0;
		a->eof = 0;
		a->info.armored = 1;
	} else if (a->end - a->pos < 19 ||
	    memcmp(a->ibuf + a->pos, "age-encryption.org/", 19) != 0)
		return (int)age_fail(a, BK_EX_DATAERR, "not an age file");
	if (parse_header(a) < 0)
		return -1;
	if (a->ids == NULL)
		return 0;
	return unlock(a);
}

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
	return aead(a->ctx, 0, NULL, nonce, a->pt, in, n);
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
		armor_close(&a->armor->r);
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
				o += b64_encode(w->line + o, p, ARMOR_BYTES, 1);
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
			o = b64_encode(w->line, w->carry, ARMOR_BYTES, 1);
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
	aead(w->cctx, 1, NULL, nonce, w->out + w->olen, p, n);
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
		o += b64_encode(h + o, b, k, 0);
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
			hpke_schedule(shared, MLKEM_INFO, wrap, hnonce);
			aead_once_nonce(1, wrap, hnonce, body, fk, FILE_KEY);
			h += (size_t)sprintf(hdr + h, "-> %s ", MLKEM_TYPE);
			h += b64_encode(hdr + h, enc, BK_XWING_CT, 0);
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
			if (hkdf(wrap, 32, shared, 32, salt, 64,
			    X25519_INFO) < 0)
				bk_errx(BK_EX_SOFTWARE, "could not derive a key");
			aead_once(1, wrap, body, fk, FILE_KEY);
			h += (size_t)sprintf(hdr + h, "-> X25519 ");
			h += b64_encode(hdr + h, share, 32, 0);
		}
		hdr[h++] = '\n';
		h += put_body(hdr + h, body, sizeof(body));
	}
	if (pass != NULL) {
		if (RAND_bytes(ss, sizeof(ss)) != 1)
			bk_errx(BK_EX_SOFTWARE, "could not get random bytes");
		if (scrypt_key(wrap, pass, passlen, ss, logn) < 0)
			bk_errx(BK_EX_SOFTWARE, "could not derive the scrypt "
			    "key (work factor %d needs %llu MiB of memory)",
			    logn, (unsigned long long)(scrypt_mem(logn) >> 20));
		aead_once(1, wrap, body, fk, FILE_KEY);
		h += (size_t)sprintf(hdr + h, "-> scrypt ");
		h += b64_encode(hdr + h, ss, 16, 0);
		h += (size_t)sprintf(hdr + h, " %d\n", logn);
		h += put_body(hdr + h, body, sizeof(body));
	}
	memcpy(hdr + h, "---", 3);
	h += 3;
	if (hkdf(key, 32, fk, FILE_KEY, NULL, 0, "header") < 0 ||
	    HMAC(EVP_sha256(), key, 32, (unsigned char *)hdr, h, mac,
	    &maclen) == NULL)
		bk_errx(BK_EX_SOFTWARE, "could not compute the header MAC");
	hdr[h++] = ' ';
	h += b64_encode(hdr + h, mac, 32, 0);
	hdr[h++] = '\n';
	if (armor)
		sink(ctx, ARMOR_BEGIN "\n", sizeof(ARMOR_BEGIN));
	emit(w, hdr, h);
	emit(w, nonce, NONCE);
	if (hkdf(key, 32, fk, FILE_KEY, nonce, NONCE, "payload") < 0)
		bk_errx(BK_EX_SOFTWARE, "could not derive the payload key");
	if ((w->cctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(w->cctx, chacha(), NULL, key, NULL, 1) != 1)
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
			o = b64_encode(line, w->carry, w->clen, 1);
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
