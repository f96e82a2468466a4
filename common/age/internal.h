/*
 * internal.h: private to common/age/: what its files share and no caller
 * outside may use (tests/unit may, to test the parts).  Includes age.h.
 *
 * The age v1 file format (C2SP age), over libcrypto.
 *
 * A file is a text header (version line, recipient stanzas, a MAC line), a
 * 16-byte nonce and a payload of ChaCha20-Poly1305 chunks of 64 KiB, each
 * sealed with an 11-byte big-endian counter and a flag byte that marks the
 * last chunk.  The header wraps a random 16-byte file key once per
 * recipient; keys for the header MAC and the payload come from it through
 * HKDF-SHA256.  The armored form is the binary file in strict PEM-like
 * base64.  Everything here is written from the specification.
 *
 * encoding.c	base64 and bech32
 * crypto.c	HKDF, ChaCha20-Poly1305, HPKE's key schedule, X25519, scrypt
 * mlkem.c	ML-KEM-768 and X-Wing
 * keys.c	recipients and identities, the identities of a reader
 * armor.c	the armored form, read
 * header.c	the decrypting reader: the header and the file key
 * payload.c	the decrypting reader: the chunks, the reader layer
 * writer.c	the encrypting writer
 */
#ifndef BK_AGE_INTERNAL_H
#define BK_AGE_INTERNAL_H

#include <openssl/evp.h>

#include "age/age.h"

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

/* ---- encoding.c ---- */

/* Strict base64 of len characters into out; the bytes, or -1. */
ssize_t	age_b64_decode(unsigned char *, const char *, size_t, int);
/* base64 of n bytes into out, padded or not; the characters written. */
size_t	age_b64_encode(char *, const unsigned char *, size_t, int);
/* bech32 of a key with its human-readable part, bk_malloc'd. */
char	*age_bech32_encode(const char *, const unsigned char *, size_t, int);
/* A bech32 string's key of n bytes, checked; 0 or -1. */
int	age_bech32_decode(const char *, const char *, unsigned char *, size_t,
	    int);

/* ---- crypto.c ---- */

int	age_hkdf(unsigned char *, size_t, const unsigned char *, size_t,
	    const unsigned char *, size_t, const char *);
EVP_CIPHER *age_chacha(void);
int	age_aead(EVP_CIPHER_CTX *, int, const unsigned char *,
	    const unsigned char[12], unsigned char *, const unsigned char *,
	    size_t);
int	age_aead_once_nonce(int, const unsigned char[32],
	    const unsigned char[12], unsigned char *, const unsigned char *,
	    size_t);
int	age_aead_once(int, const unsigned char[32], unsigned char *,
	    const unsigned char *, size_t);
void	age_hpke_schedule(const unsigned char[32], const char *,
	    unsigned char[32], unsigned char[12]);
uint64_t age_scrypt_mem(int);
int	age_scrypt_key(unsigned char[32], const char *, size_t,
	    const unsigned char[16], int);

/* ---- keys.c ---- */

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

/* ---- armor.c ---- */

int	age_is_space(unsigned char);
/*
 * The armor reader over src, which first gives back the n bytes at pre
 * (already read from src).
 */
struct bk_reader *age_armor_new(struct bk_reader *, const unsigned char *,
	    size_t);
void	age_armor_close(struct bk_reader *);

/* ---- header.c and payload.c: the decrypting reader ---- */

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
	struct bk_reader	*armor;		/* the armor reader, or NULL */
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

ssize_t	age_fail(struct age_reader *, int, const char *, ...) BK_PRINTF(3, 4);
/* Makes at least want bytes available in ibuf unless the input ends. */
int	age_fill(struct age_reader *, size_t);
/* Detects the form, parses the header and, with identities, unlocks. */
int	age_start(struct age_reader *);

#endif /* BK_AGE_INTERNAL_H */
