/*
 * mlkem.c: ML-KEM-768 (FIPS 203) and the X-Wing hybrid KEM, which age's
 * post-quantum recipient (mlkem768x25519) uses through HPKE.
 *
 * OpenSSL 3.0, the libcrypto of Debian 12, has SHA-3 and X25519 but no
 * ML-KEM, so the lattice part is written here from FIPS 203: polynomials
 * of 256 coefficients modulo q = 3329, multiplied in the NTT domain, with
 * the Fujisaki-Okamoto transform and implicit rejection around the inner
 * public-key scheme.  Secret-dependent values never choose a branch or an
 * array index: reductions are Barrett multiplications and the final choice
 * between the real and the rejection key is a masked copy.
 *
 * X-Wing (the MLKEM768-X25519 KEM of the HPKE post-quantum drafts) expands
 * a 32-byte seed with SHAKE256 into the ML-KEM seeds d, z and an X25519
 * secret; its shared secret is SHA3-256 over both shared secrets, the
 * X25519 ciphertext and public key, and a 6-byte label.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "age/internal.h"

#define N		256
#define Q		3329
#define K		3		/* ML-KEM-768 */
#define ETA		2		/* eta1 = eta2 = 2 for ML-KEM-768 */
#define DU		10
#define DV		4
#define POLYBYTES	384		/* 256 coefficients of 12 bits */
#define EK_BYTES	(K * POLYBYTES + 32)
#define DK_BYTES	(2 * K * POLYBYTES + 96)
#define CT_BYTES	(32 * (DU * K + DV))
#define SHAKE128_RATE	168

#if EK_BYTES != BK_MLKEM_EK || CT_BYTES != BK_MLKEM_CT
#error "ML-KEM-768 sizes disagree with age/internal.h"
#endif

typedef struct { uint16_t c[N]; } poly;	/* coefficients in [0, q) */

/* ---- arithmetic modulo q, in constant time ---- */

/* a - q when a >= q, for a < 2q. */
static uint16_t
csubq(uint32_t a)
{
	a -= Q;
	a += (uint32_t)(-(int32_t)(a >> 31)) & Q;
	return (uint16_t)a;
}

/* a mod q for any a < 2^32: Barrett with 2^36 / q. */
static uint16_t
reduce(uint32_t a)
{
	uint32_t t = (uint32_t)(((uint64_t)a * 20642678u) >> 36);

	return csubq(a - t * Q);
}

static uint16_t
mulq(uint16_t a, uint16_t b)
{
	return reduce((uint32_t)a * b);
}

/*
 * zetas[i] = 17^BitRev7(i) and gammas[i] = 17^(2 BitRev7(i) + 1), mod q:
 * the twiddle factors of the NTT and of the base-case products.
 */
static uint16_t zetas[128], gammas[128];

static void
init_tables(void)
{
	static int done;
	uint16_t pow[256];
	int i, r, b;

	if (done)
		return;
	pow[0] = 1;
	for (i = 1; i < 256; i++)
		pow[i] = mulq(pow[i - 1], 17);
	for (i = 0; i < 128; i++) {
		for (r = 0, b = 0; b < 7; b++)
			r |= ((i >> b) & 1) << (6 - b);
		zetas[i] = pow[r];
		gammas[i] = pow[2 * r + 1];
	}
	done = 1;
}

static void
ntt(poly *f)
{
	int len, start, j, i = 1;
	uint16_t z, t;

	for (len = 128; len >= 2; len /= 2)
		for (start = 0; start < N; start += 2 * len) {
			z = zetas[i++];
			for (j = start; j < start + len; j++) {
				t = mulq(z, f->c[j + len]);
				f->c[j + len] = csubq((uint32_t)f->c[j] + Q - t);
				f->c[j] = csubq((uint32_t)f->c[j] + t);
			}
		}
}

static void
ntt_inv(poly *f)
{
	int len, start, j, i = 127;
	uint16_t z, t;

	for (len = 2; len <= 128; len *= 2)
		for (start = 0; start < N; start += 2 * len) {
			z = zetas[i--];
			for (j = start; j < start + len; j++) {
				t = f->c[j];
				f->c[j] = csubq((uint32_t)t + f->c[j + len]);
				f->c[j + len] = mulq(z, csubq((uint32_t)f->c[j +
				    len] + Q - t));
			}
		}
	for (j = 0; j < N; j++)
		f->c[j] = mulq(f->c[j], 3303);	/* 128^-1 mod q */
}

/* acc += f * g in the NTT domain (pairs of degree-one products). */
static void
mul_acc(poly *acc, const poly *f, const poly *g)
{
	int i;
	uint32_t a0, a1, b0, b1;

	for (i = 0; i < 128; i++) {
		a0 = f->c[2 * i];
		a1 = f->c[2 * i + 1];
		b0 = g->c[2 * i];
		b1 = g->c[2 * i + 1];
		acc->c[2 * i] = reduce(acc->c[2 * i] + a0 * b0 +
		    (uint32_t)mulq(reduce(a1 * b1), gammas[i]));
		acc->c[2 * i + 1] = reduce(acc->c[2 * i + 1] + a0 * b1 +
		    a1 * b0);
	}
}

static void
poly_add(poly *r, const poly *a)
{
	int i;

	for (i = 0; i < N; i++)
		r->c[i] = csubq((uint32_t)r->c[i] + a->c[i]);
}

static void
poly_sub(poly *r, const poly *a)
{
	int i;

	for (i = 0; i < N; i++)
		r->c[i] = csubq((uint32_t)r->c[i] + Q - a->c[i]);
}

/* ---- hashing: SHA3-256 (H), SHA3-512 (G), SHAKE128, SHAKE256 ---- */

static const EVP_MD *
md(int which)
{
	static EVP_MD *m[4];
	static const char *names[4] = { "SHA3-256", "SHA3-512", "SHAKE128",
	    "SHAKE256" };

	if (m[which] == NULL && (m[which] = EVP_MD_fetch(NULL, names[which],
	    NULL)) == NULL)
		bk_errx(BK_EX_SOFTWARE, "libcrypto has no %s", names[which]);
	return m[which];
}

enum { SHA3_256, SHA3_512, SHAKE128, SHAKE256 };

/* out = hash(a || b || c), outlen bytes (any length for the SHAKEs). */
static void
hash3(int which, unsigned char *out, size_t outlen, const void *a,
    size_t alen, const void *b, size_t blen, const void *c, size_t clen)
{
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	ok = EVP_DigestInit_ex(ctx, md(which), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, a, alen) == 1 &&
	    (blen == 0 || EVP_DigestUpdate(ctx, b, blen) == 1) &&
	    (clen == 0 || EVP_DigestUpdate(ctx, c, clen) == 1) &&
	    (which >= SHAKE128 ? EVP_DigestFinalXOF(ctx, out, outlen) :
	    EVP_DigestFinal_ex(ctx, out, NULL)) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		bk_errx(BK_EX_SOFTWARE, "could not compute a SHA-3 hash");
}

/* ---- sampling ---- */

/*
 * SampleNTT: a uniform polynomial in the NTT domain from SHAKE128(seed),
 * by rejection of 12-bit candidates >= q.  OpenSSL 3.0 cannot squeeze a
 * XOF twice, so the output is asked for at once: five blocks give 560
 * candidates for 256 places, and in the (astronomically rare) case they
 * are not enough, a longer output, whose prefix is the same, is asked for.
 */
static void
sample_ntt(poly *a, const unsigned char rho[32], int x, int y)
{
	unsigned char in[34], *buf;
	size_t len = 5 * SHAKE128_RATE, pos;
	int j;
	uint16_t d1, d2;

	memcpy(in, rho, 32);
	in[32] = (unsigned char)x;
	in[33] = (unsigned char)y;
	for (;;) {
		buf = bk_malloc(len);
		hash3(SHAKE128, buf, len, in, sizeof(in), NULL, 0, NULL, 0);
		for (j = 0, pos = 0; j < N && pos + 3 <= len; pos += 3) {
			d1 = (uint16_t)(buf[pos] | (buf[pos + 1] & 15) << 8);
			d2 = (uint16_t)(buf[pos + 1] >> 4 | buf[pos + 2] << 4);
			if (d1 < Q)
				a->c[j++] = d1;
			if (d2 < Q && j < N)
				a->c[j++] = d2;
		}
		free(buf);
		if (j == N)
			return;
		len *= 2;
	}
}

/* The matrix A (NTT domain): A[i][j] = SampleNTT(rho || j || i). */
static void
gen_matrix(poly a[K][K], const unsigned char rho[32])
{
	int i, j;

	for (i = 0; i < K; i++)
		for (j = 0; j < K; j++)
			sample_ntt(&a[i][j], rho, j, i);
}

/* SamplePolyCBD with eta = 2 from PRF(s, n) = SHAKE256(s || n, 128). */
static void
sample_cbd(poly *f, const unsigned char s[32], unsigned char n)
{
	unsigned char buf[64 * ETA];
	int i, x, y;

	hash3(SHAKE256, buf, sizeof(buf), s, 32, &n, 1, NULL, 0);
	for (i = 0; i < N; i++) {
		unsigned b = buf[i / 2] >> (4 * (i & 1));

		x = (int)((b & 1) + (b >> 1 & 1));
		y = (int)((b >> 2 & 1) + (b >> 3 & 1));
		f->c[i] = csubq((uint32_t)(x - y + Q));
	}
	bk_explicit_bzero(buf, sizeof(buf));
}

/* ---- encoding and compression ---- */

/* ByteEncode_d: d bits a coefficient, least significant first. */
static void
encode(unsigned char *out, const poly *f, int d)
{
	uint32_t acc = 0;
	int i, bits = 0;

	for (i = 0; i < N; i++) {
		acc |= (uint32_t)f->c[i] << bits;
		bits += d;
		while (bits >= 8) {
			*out++ = (unsigned char)acc;
			acc >>= 8;
			bits -= 8;
		}
	}
}

/* ByteDecode_d, without the reduction mod q of d = 12. */
static void
decode(poly *f, const unsigned char *in, int d)
{
	uint32_t acc = 0;
	int i, bits = 0;

	for (i = 0; i < N; i++) {
		while (bits < d) {
			acc |= (uint32_t)*in++ << bits;
			bits += 8;
		}
		f->c[i] = (uint16_t)(acc & ((1u << d) - 1));
		acc >>= d;
		bits -= d;
	}
}

/*
 * Compress_d: round(2^d x / q) mod 2^d = floor((2^(d+1) x + q) / 2q).
 * The values are secret, and a division instruction takes a time that
 * depends on its operands (the "KyberSlash" timing leak), so the division
 * is a multiplication by ceil(2^40 / 2q) and a shift, exact for every
 * numerator below 2^27; whatever the optimisation level, no div is left.
 */
#define DIV2Q_MUL	((((uint64_t)1 << 40) + 2 * Q - 1) / (2 * Q))

static void
compress(poly *f, int d)
{
	uint64_t t;
	int i;

	for (i = 0; i < N; i++) {
		t = ((uint64_t)f->c[i] << (d + 1)) + Q;
		f->c[i] = (uint16_t)((t * DIV2Q_MUL) >> 40 & ((1u << d) - 1));
	}
}

/* Decompress_d: round(q y / 2^d). */
static void
decompress(poly *f, int d)
{
	int i;

	for (i = 0; i < N; i++)
		f->c[i] = (uint16_t)(((uint32_t)f->c[i] * Q + (1u << (d -
		    1))) >> d);
}

/* ---- K-PKE, the inner public-key scheme ---- */

/*
 * Encrypts the 32-byte message m under ek with the randomness r into c.
 * The matrix is generated once by the caller when given (decapsulation
 * re-encrypts with the key it just made).
 */
static void
pke_encrypt(unsigned char c[CT_BYTES], const unsigned char ek[EK_BYTES],
    const unsigned char m[32], const unsigned char r[32])
{
	poly a[K][K], t[K], y[K], u[K], v, e, mu;
	unsigned char n = 0;
	int i, j;

	for (i = 0; i < K; i++)
		decode(&t[i], ek + i * POLYBYTES, 12);
	gen_matrix(a, ek + K * POLYBYTES);
	for (i = 0; i < K; i++) {
		sample_cbd(&y[i], r, n++);
		ntt(&y[i]);
	}
	/* u = NTT^-1(A^T y) + e1 */
	for (i = 0; i < K; i++) {
		memset(&u[i], 0, sizeof(u[i]));
		for (j = 0; j < K; j++)
			mul_acc(&u[i], &a[j][i], &y[j]);
		ntt_inv(&u[i]);
		sample_cbd(&e, r, n++);
		poly_add(&u[i], &e);
	}
	/* v = NTT^-1(t^T y) + e2 + Decompress_1(m) */
	memset(&v, 0, sizeof(v));
	for (j = 0; j < K; j++)
		mul_acc(&v, &t[j], &y[j]);
	ntt_inv(&v);
	sample_cbd(&e, r, n);
	poly_add(&v, &e);
	decode(&mu, m, 1);
	decompress(&mu, 1);
	poly_add(&v, &mu);
	for (i = 0; i < K; i++) {
		compress(&u[i], DU);
		encode(c + i * 32 * DU, &u[i], DU);
	}
	compress(&v, DV);
	encode(c + K * 32 * DU, &v, DV);
	bk_explicit_bzero(y, sizeof(y));
	bk_explicit_bzero(&e, sizeof(e));
	bk_explicit_bzero(&mu, sizeof(mu));
	bk_explicit_bzero(&v, sizeof(v));
	bk_explicit_bzero(u, sizeof(u));
}

static void
pke_decrypt(unsigned char m[32], const unsigned char *dk,
    const unsigned char c[CT_BYTES])
{
	poly u, v, s, w;
	int i;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < K; i++) {
		decode(&u, c + i * 32 * DU, DU);
		decompress(&u, DU);
		ntt(&u);
		decode(&s, dk + i * POLYBYTES, 12);
		mul_acc(&w, &s, &u);
	}
	ntt_inv(&w);
	decode(&v, c + K * 32 * DU, DV);
	decompress(&v, DV);
	poly_sub(&v, &w);
	compress(&v, 1);
	encode(m, &v, 1);
	bk_explicit_bzero(&s, sizeof(s));
	bk_explicit_bzero(&v, sizeof(v));
	bk_explicit_bzero(&w, sizeof(w));
}

/* ---- ML-KEM-768 ---- */

void
bk_mlkem_keygen(const unsigned char d[32], const unsigned char z[32],
    unsigned char ek[BK_MLKEM_EK], unsigned char dk[BK_MLKEM_DK])
{
	poly a[K][K], s[K], t[K], e;
	unsigned char g[64], k = K, n = 0;
	int i, j;

	init_tables();
	hash3(SHA3_512, g, sizeof(g), d, 32, &k, 1, NULL, 0);
	/* g = rho || sigma */
	gen_matrix(a, g);
	for (i = 0; i < K; i++) {
		sample_cbd(&s[i], g + 32, n++);
		ntt(&s[i]);
	}
	for (i = 0; i < K; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		for (j = 0; j < K; j++)
			mul_acc(&t[i], &a[i][j], &s[j]);
		sample_cbd(&e, g + 32, n++);
		ntt(&e);
		poly_add(&t[i], &e);
	}
	for (i = 0; i < K; i++) {
		encode(ek + i * POLYBYTES, &t[i], 12);
		encode(dk + i * POLYBYTES, &s[i], 12);
	}
	memcpy(ek + K * POLYBYTES, g, 32);
	/* dk = dk_PKE || ek || H(ek) || z */
	memcpy(dk + K * POLYBYTES, ek, EK_BYTES);
	hash3(SHA3_256, dk + K * POLYBYTES + EK_BYTES, 32, ek, EK_BYTES, NULL,
	    0, NULL, 0);
	memcpy(dk + K * POLYBYTES + EK_BYTES + 32, z, 32);
	bk_explicit_bzero(g, sizeof(g));
	bk_explicit_bzero(s, sizeof(s));
	bk_explicit_bzero(&e, sizeof(e));
}

int
bk_mlkem_ek_valid(const unsigned char ek[BK_MLKEM_EK])
{
	poly t;
	int i, j;

	/* The modulus check of FIPS 203: every 12-bit value below q. */
	for (i = 0; i < K; i++) {
		decode(&t, ek + i * POLYBYTES, 12);
		for (j = 0; j < N; j++)
			if (t.c[j] >= Q)
				return 0;
	}
	return 1;
}

int
bk_mlkem_encaps(const unsigned char ek[BK_MLKEM_EK],
    const unsigned char m[32], unsigned char ct[BK_MLKEM_CT],
    unsigned char ss[32])
{
	unsigned char h[32], kr[64];

	init_tables();
	if (!bk_mlkem_ek_valid(ek))
		return -1;
	hash3(SHA3_256, h, 32, ek, EK_BYTES, NULL, 0, NULL, 0);
	hash3(SHA3_512, kr, 64, m, 32, h, 32, NULL, 0);
	pke_encrypt(ct, ek, m, kr + 32);
	memcpy(ss, kr, 32);
	bk_explicit_bzero(kr, sizeof(kr));
	return 0;
}

void
bk_mlkem_decaps(const unsigned char dk[BK_MLKEM_DK],
    const unsigned char ct[BK_MLKEM_CT], unsigned char ss[32])
{
	const unsigned char *ek = dk + K * POLYBYTES;
	const unsigned char *h = ek + EK_BYTES, *z = h + 32;
	unsigned char m[32], kr[64], rej[32], *c2;
	unsigned char diff = 0, mask;
	size_t i;

	init_tables();
	c2 = bk_malloc(CT_BYTES);
	pke_decrypt(m, dk, ct);
	hash3(SHA3_512, kr, 64, m, 32, h, 32, NULL, 0);
	hash3(SHAKE256, rej, 32, z, 32, ct, CT_BYTES, NULL, 0);
	pke_encrypt(c2, ek, m, kr + 32);
	/*
	 * Implicit rejection: a ciphertext that does not re-encrypt to itself
	 * gives J(z || c), chosen without a branch (mask is 0xff if any byte
	 * differs).
	 */
	for (i = 0; i < CT_BYTES; i++)
		diff |= c2[i] ^ ct[i];
	mask = (unsigned char)-(int)(((unsigned)diff + 255) >> 8);
	for (i = 0; i < 32; i++)
		ss[i] = (unsigned char)((kr[i] & ~mask) | (rej[i] & mask));
	bk_explicit_bzero(m, sizeof(m));
	bk_explicit_bzero(kr, sizeof(kr));
	bk_explicit_bzero(rej, sizeof(rej));
	bk_explicit_bzero(c2, CT_BYTES);
	free(c2);
}

/* ---- X-Wing (MLKEM768-X25519) ---- */

/* The label that closes the combiner's input: the six characters \.//^\ */
static const unsigned char xwing_label[6] = { 0x5c, 0x2e, 0x2f, 0x2f, 0x5e,
    0x5c };

/* SHA3-256(ss_M || ss_X || ct_X || pk_X || label) */
static void
xwing_combine(unsigned char ss[32], const unsigned char ss_m[32],
    const unsigned char ss_x[32], const unsigned char ct_x[32],
    const unsigned char pk_x[32])
{
	unsigned char in[4 * 32 + sizeof(xwing_label)];

	memcpy(in, ss_m, 32);
	memcpy(in + 32, ss_x, 32);
	memcpy(in + 64, ct_x, 32);
	memcpy(in + 96, pk_x, 32);
	memcpy(in + 128, xwing_label, sizeof(xwing_label));
	hash3(SHA3_256, ss, 32, in, sizeof(in), NULL, 0, NULL, 0);
	bk_explicit_bzero(in, sizeof(in));
}

/*
 * The decapsulation key from its 32-byte seed: SHAKE256(seed, 96) is d, z
 * and the X25519 secret.  dk is BK_MLKEM_DK bytes; the public key (pk_M ||
 * pk_X) is optional.
 */
static int
xwing_expand(const unsigned char seed[32], unsigned char *dk,
    unsigned char sk_x[32], unsigned char pk[BK_XWING_PK])
{
	unsigned char x[96], ek[BK_MLKEM_EK];
	int r;

	hash3(SHAKE256, x, sizeof(x), seed, 32, NULL, 0, NULL, 0);
	bk_mlkem_keygen(x, x + 32, ek, dk);
	memcpy(sk_x, x + 64, 32);
	bk_explicit_bzero(x, sizeof(x));
	r = bk_age_public_key(sk_x, pk + BK_MLKEM_EK);
	memcpy(pk, ek, BK_MLKEM_EK);
	return r;
}

int
bk_xwing_public(const unsigned char seed[32], unsigned char pk[BK_XWING_PK])
{
	unsigned char *dk = bk_malloc(BK_MLKEM_DK), sk_x[32];
	int r;

	r = xwing_expand(seed, dk, sk_x, pk);
	bk_explicit_bzero(dk, BK_MLKEM_DK);
	bk_explicit_bzero(sk_x, sizeof(sk_x));
	free(dk);
	return r;
}

int
bk_xwing_encaps(const unsigned char pk[BK_XWING_PK],
    unsigned char ct[BK_XWING_CT], unsigned char ss[32])
{
	unsigned char m[32], ek_x[32], ss_m[32], ss_x[32];
	const unsigned char *pk_x = pk + BK_MLKEM_EK;
	unsigned char *ct_x = ct + BK_MLKEM_CT;
	int r = -1;

	if (RAND_bytes(m, sizeof(m)) != 1 ||
	    RAND_bytes(ek_x, sizeof(ek_x)) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not get random bytes");
	if (bk_age_public_key(ek_x, ct_x) == 0 &&
	    bk_x25519(ss_x, ek_x, pk_x) == 0 &&
	    bk_mlkem_encaps(pk, m, ct, ss_m) == 0) {
		xwing_combine(ss, ss_m, ss_x, ct_x, pk_x);
		r = 0;
	}
	bk_explicit_bzero(m, sizeof(m));
	bk_explicit_bzero(ek_x, sizeof(ek_x));
	bk_explicit_bzero(ss_m, sizeof(ss_m));
	bk_explicit_bzero(ss_x, sizeof(ss_x));
	return r;
}

int
bk_xwing_decaps(const unsigned char seed[32],
    const unsigned char ct[BK_XWING_CT], unsigned char ss[32])
{
	unsigned char *dk = bk_malloc(BK_MLKEM_DK), *pk = bk_malloc(BK_XWING_PK);
	unsigned char sk_x[32], ss_m[32], ss_x[32];
	const unsigned char *ct_x = ct + BK_MLKEM_CT;
	int r = -1;

	if (xwing_expand(seed, dk, sk_x, pk) == 0 &&
	    bk_x25519(ss_x, sk_x, ct_x) == 0) {
		bk_mlkem_decaps(dk, ct, ss_m);
		xwing_combine(ss, ss_m, ss_x, ct_x, pk + BK_MLKEM_EK);
		r = 0;
	}
	bk_explicit_bzero(dk, BK_MLKEM_DK);
	bk_explicit_bzero(sk_x, sizeof(sk_x));
	bk_explicit_bzero(ss_m, sizeof(ss_m));
	bk_explicit_bzero(ss_x, sizeof(ss_x));
	free(dk);
	free(pk);
	return r;
}
