/*
 * internal.h: private to common/age/: what its files share and no caller
 * outside may use (tests/unit may, to test the parts).  Includes age.h.
 */
#ifndef BK_AGE_INTERNAL_H
#define BK_AGE_INTERNAL_H

#include "age/age.h"

/* ---- mlkem.c: ML-KEM-768 (FIPS 203) and X-Wing (MLKEM768-X25519) ---- */

#define BK_MLKEM_EK	1184	/* encapsulation (public) key */
#define BK_MLKEM_DK	2400	/* decapsulation key */
#define BK_MLKEM_CT	1088	/* ciphertext */
#define BK_XWING_PK	(BK_MLKEM_EK + 32)	/* pk_M || pk_X */
#define BK_XWING_CT	(BK_MLKEM_CT + 32)	/* ct_M || ct_X */

/* ML-KEM-768 from its seeds d and z (KeyGen_internal). */
void	bk_mlkem_keygen(const unsigned char[32], const unsigned char[32],
	    unsigned char[BK_MLKEM_EK], unsigned char[BK_MLKEM_DK]);
/* 1 if an encapsulation key passes FIPS 203's modulus check. */
int	bk_mlkem_ek_valid(const unsigned char[BK_MLKEM_EK]);
/* Encaps_internal with the message m given; -1 for an invalid key. */
int	bk_mlkem_encaps(const unsigned char[BK_MLKEM_EK],
	    const unsigned char[32], unsigned char[BK_MLKEM_CT],
	    unsigned char[32]);
/* Decaps_internal, with implicit rejection: it always gives a secret. */
void	bk_mlkem_decaps(const unsigned char[BK_MLKEM_DK],
	    const unsigned char[BK_MLKEM_CT], unsigned char[32]);
/*
 * X-Wing from a 32-byte seed: the public key; encapsulation with fresh
 * randomness (-1 if the public key is invalid); decapsulation (-1 if the
 * X25519 part of the ciphertext gives the all-zero secret).
 */
int	bk_xwing_public(const unsigned char[32], unsigned char[BK_XWING_PK]);
int	bk_xwing_encaps(const unsigned char[BK_XWING_PK],
	    unsigned char[BK_XWING_CT], unsigned char[32]);
int	bk_xwing_decaps(const unsigned char[32], const unsigned char[BK_XWING_CT],
	    unsigned char[32]);

_Static_assert(BK_XWING_PK == BK_AGE_KEY_MAX, "BK_AGE_KEY_MAX holds a key");

/* Parses an identity string (upper case only, as age writes it); 0 or -1. */
int	bk_age_parse_identity(const char *, struct bk_age_key *);
/* The recipient of an identity; 0 or -1. */
int	bk_age_to_recipient(const struct bk_age_key *, struct bk_age_key *);
/* X25519: the public key of a secret; a shared secret (-1 if all zero). */
int	bk_age_public_key(const unsigned char[32], unsigned char[32]);
int	bk_x25519(unsigned char[32], const unsigned char[32],
	    const unsigned char[32]);

#endif /* BK_AGE_INTERNAL_H */
