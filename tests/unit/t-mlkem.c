/*
 * t-mlkem.c: ML-KEM-768 and X-Wing in common/mlkem.c.  The answers that
 * prove interoperability come from the C2SP age vectors (tests/0301);
 * these check the properties FIPS 203 promises: agreement, the key
 * layout, implicit rejection, the modulus check, and X-Wing's refusal of
 * a low-order X25519 share.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "age/internal.h"
#include "tap.h"

static void
digest(const char *name, unsigned char *out, size_t outlen,
    const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = EVP_get_digestbyname(name);

	if (ctx == NULL || md == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    EVP_DigestUpdate(ctx, b, blen) != 1 ||
	    (outlen == 32 && strcmp(name, "SHA3-256") == 0 ?
	    EVP_DigestFinal_ex(ctx, out, NULL) :
	    EVP_DigestFinalXOF(ctx, out, outlen)) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
}

int
main(void)
{
	static unsigned char ek[BK_MLKEM_EK], ek2[BK_MLKEM_EK];
	static unsigned char dk[BK_MLKEM_DK], dk2[BK_MLKEM_DK];
	static unsigned char ct[BK_MLKEM_CT], pk[BK_XWING_PK], xct[BK_XWING_CT];
	unsigned char d[32], z[32], m[32], ss1[32], ss2[32], want[32], seed[32];
	int i, agree = 1, differ = 0;

	/* Agreement over many random keys and messages. */
	for (i = 0; i < 50; i++) {
		RAND_bytes(d, 32);
		RAND_bytes(z, 32);
		RAND_bytes(m, 32);
		bk_mlkem_keygen(d, z, ek, dk);
		if (bk_mlkem_encaps(ek, m, ct, ss1) < 0)
			agree = 0;
		bk_mlkem_decaps(dk, ct, ss2);
		if (memcmp(ss1, ss2, 32) != 0)
			agree = 0;
	}
	ok(agree, "encapsulation and decapsulation agree 50 times of 50");

	bk_mlkem_keygen(d, z, ek2, dk2);
	ok(memcmp(ek, ek2, sizeof(ek)) == 0 && memcmp(dk, dk2, sizeof(dk)) == 0,
	    "key generation is deterministic in d and z");
	ok(memcmp(dk + 1152, ek, BK_MLKEM_EK) == 0,
	    "dk holds ek after the 1152-byte secret");
	digest("SHA3-256", want, 32, ek, BK_MLKEM_EK, NULL, 0);
	ok(memcmp(dk + 1152 + BK_MLKEM_EK, want, 32) == 0,
	    "dk holds H(ek) = SHA3-256(ek)");
	ok(memcmp(dk + BK_MLKEM_DK - 32, z, 32) == 0, "dk ends with z");
	ok(bk_mlkem_ek_valid(ek), "a generated key passes the modulus check");

	/* The same message twice gives the same ciphertext and secret. */
	bk_mlkem_encaps(ek, m, ct, ss1);
	bk_mlkem_encaps(ek, m, ct, ss2);
	ok(memcmp(ss1, ss2, 32) == 0, "encapsulation is deterministic in m");

	/* Implicit rejection: a changed ciphertext gives J(z || c). */
	for (i = 0; i < BK_MLKEM_CT; i += 271) {
		bk_mlkem_encaps(ek, m, ct, ss1);
		ct[i] ^= 0x10;
		bk_mlkem_decaps(dk, ct, ss2);
		digest("SHAKE256", want, 32, z, 32, ct, BK_MLKEM_CT);
		if (memcmp(ss2, want, 32) != 0 || memcmp(ss1, ss2, 32) == 0)
			differ++;
	}
	ok(differ == 0, "an altered ciphertext gives SHAKE256(z || c)");

	/* The modulus check: a 12-bit value of q or more is refused. */
	memcpy(ek2, ek, sizeof(ek));
	ek2[0] = 0x01;
	ek2[1] = (unsigned char)((ek2[1] & 0xf0) | 0x0d);	/* 0xd01 = 3329 */
	ok(!bk_mlkem_ek_valid(ek2), "a coefficient of q fails the check");
	ok(bk_mlkem_encaps(ek2, m, ct, ss1) < 0,
	    "and encapsulation refuses that key");
	memcpy(ek2, ek, sizeof(ek));
	ek2[BK_MLKEM_EK - 40] = 0xff;
	ek2[BK_MLKEM_EK - 39] |= 0xf0;				/* 0xfff */
	ok(!bk_mlkem_ek_valid(ek2), "so does a value of 3855 or more near the end");

	/* X-Wing. */
	RAND_bytes(seed, 32);
	ok(bk_xwing_public(seed, pk) == 0, "X-Wing: a public key from a seed");
	memcpy(ek2, pk, BK_MLKEM_EK);
	bk_xwing_public(seed, pk);
	ok(memcmp(pk, ek2, BK_MLKEM_EK) == 0, "X-Wing: deterministic");
	agree = 1;
	for (i = 0; i < 20; i++) {
		if (bk_xwing_encaps(pk, xct, ss1) < 0 ||
		    bk_xwing_decaps(seed, xct, ss2) < 0 ||
		    memcmp(ss1, ss2, 32) != 0)
			agree = 0;
	}
	ok(agree, "X-Wing: encapsulation and decapsulation agree");
	bk_xwing_encaps(pk, xct, ss1);
	xct[5] ^= 1;
	ok(bk_xwing_decaps(seed, xct, ss2) == 0 && memcmp(ss1, ss2, 32) != 0,
	    "X-Wing: an altered ML-KEM part gives another secret, no error");
	xct[5] ^= 1;
	xct[BK_XWING_CT - 1] ^= 1;
	ok(bk_xwing_decaps(seed, xct, ss2) == 0 && memcmp(ss1, ss2, 32) != 0,
	    "X-Wing: an altered X25519 part gives another secret");
	memset(xct + BK_MLKEM_CT, 0, 32);
	ok(bk_xwing_decaps(seed, xct, ss2) < 0,
	    "X-Wing: the X25519 point 0 is refused (all-zero secret)");
	xct[BK_MLKEM_CT] = 1;
	ok(bk_xwing_decaps(seed, xct, ss2) < 0,
	    "X-Wing: the low-order point 1 is refused");
	memcpy(ek2, pk, BK_MLKEM_EK);
	pk[0] = 0xff;
	pk[1] |= 0x0f;
	ok(bk_xwing_encaps(pk, xct, ss1) < 0,
	    "X-Wing: encapsulation refuses an invalid ML-KEM key");
	return tap_done();
}
