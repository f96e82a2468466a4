/*
 * age.h: the age v1 file format, its public side: keys as strings, the
 * identities a reader may use, the decrypting reader layer and the
 * encrypting writer.  ML-KEM, X-Wing, X25519 and the format's inner parts
 * are private to common/age/ (age/internal.h).  Includes stream.h (and so
 * platform.h) only.
 */
#ifndef BK_AGE_H
#define BK_AGE_H

#include "stream/stream.h"

/* ---- keys.c, header.c, payload.c, writer.c: the age v1 format ---- */

/*
 * age v1 (C2SP age): X25519 recipients ("age1...") and identities
 * ("AGE-SECRET-KEY-1..."), post-quantum hybrid ones (mlkem768x25519:
 * "age1pq1..." and "AGE-SECRET-KEY-PQ-1..."), scrypt passphrases, 64 KiB
 * ChaCha20-Poly1305 chunks, and the armored form.  Reader errors use the
 * codes 65 (malformed, truncated or tampered data), 1 (no identity
 * matches: wrong key or passphrase), 70 (scrypt could not get its memory)
 * and 74 (I/O).
 */
#define BK_AGE_CHUNK		65536
#define BK_AGE_DEFAULT_LOGN	18	/* age's scrypt work factor */
/*
 * The largest scrypt work factor a reader accepts unless told otherwise
 * (--max-work-factor): 20 needs 1 GiB.  The age command accepts 22, which
 * lets a hostile file take 4 GiB and tens of seconds of every tool that
 * opens it with a passphrase.
 */
#define BK_AGE_LIMIT_LOGN	20
#define BK_AGE_MAX_LOGN		30	/* the most --max-work-factor takes */

enum bk_age_type {
	BK_AGE_X25519,		/* age1..., AGE-SECRET-KEY-1... */
	BK_AGE_PQ		/* age1pq1..., AGE-SECRET-KEY-PQ-1... */
};

/* The longest key: an X-Wing public key, ML-KEM-768's and X25519's. */
#define BK_AGE_KEY_MAX		(1184 + 32)

/*
 * A key: a recipient (an X25519 public key of 32 bytes, or an X-Wing one
 * of BK_AGE_KEY_MAX), or an identity (a 32-byte secret or seed).
 */
struct bk_age_key {
	enum bk_age_type type;
	size_t		 len;
	unsigned char	 key[BK_AGE_KEY_MAX];
};

/*
 * Parses a recipient string (bech32, lower case only, as age writes it):
 * 0, -1 when malformed, -2 for an X25519 key (or the X25519 half of a
 * post-quantum key) of low order, which would make the file key public.
 */
int	bk_age_parse_recipient(const char *, struct bk_age_key *);
/* The string of a recipient or identity, bk_malloc'd (wipe an identity). */
char	*bk_age_recipient_str(const struct bk_age_key *);
char	*bk_age_identity_str(const struct bk_age_key *);
/* A new identity of a type and its recipient; 0 or -1. */
int	bk_age_keygen(enum bk_age_type, struct bk_age_key *,
	    struct bk_age_key *);

/* The identities a reader may use; wiped when freed. */
struct bk_age_ids;
/*
 * Asked for a passphrase when the file has an scrypt stanza and none was
 * given: stores a bk_malloc'd buffer and its length, returns 0, or -1 to
 * give up (the callback reports why, or exits).
 */
typedef int (*bk_age_getpass)(void *, char **, size_t *);

struct bk_age_ids *bk_age_ids_new(void);
/* Adds one "AGE-SECRET-KEY-1..." string; 0 or -1 if malformed. */
int	bk_age_ids_add_key(struct bk_age_ids *, const char *);
/*
 * Adds every identity of a file in age-keygen's format (comments and blank
 * lines allowed).  Returns 0, or an exit code (66, 77, 74, 65) after
 * storing a one-line message in err.
 */
int	bk_age_ids_load(struct bk_age_ids *, const char *, char *, size_t);
/* The same from an open descriptor (left open); path names it. */
int	bk_age_ids_load_fd(struct bk_age_ids *, int, const char *, char *,
	    size_t);
size_t	bk_age_ids_count(const struct bk_age_ids *);
/* The recipient of the identity at an index; 0 or -1. */
int	bk_age_ids_recipient(const struct bk_age_ids *, size_t,
	    struct bk_age_key *);
void	bk_age_ids_set_passphrase(struct bk_age_ids *, const char *, size_t);
void	bk_age_ids_set_getpass(struct bk_age_ids *, bk_age_getpass, void *);
/* The largest scrypt work factor accepted (default BK_AGE_LIMIT_LOGN). */
void	bk_age_ids_set_max_logn(struct bk_age_ids *, int);
/*
 * Reads the argument of --max-work-factor, 1 to BK_AGE_MAX_LOGN, for every
 * tool that decrypts; anything else exits 64 through bk_usage_error.
 */
int	bk_age_parse_max_logn(const char *);
void	bk_age_ids_free(struct bk_age_ids *);

/*
 * A reader that decrypts an age file (binary or armored) from below.  It
 * returns a chunk's plaintext only after the chunk's tag verified, and
 * reports truncation, reordering, a missing or doubled final chunk and
 * trailing data as errors.  ids may be NULL for a header-only check with
 * bk_age_info; it must outlive the reader.
 */
struct bk_reader *bk_reader_age(struct bk_reader *, struct bk_age_ids *);

struct bk_age_info {
	int	armored;	/* the armored (PEM-like) form */
	int	stanzas;	/* recipient stanzas in the header */
	int	x25519;		/* of which X25519 */
	int	mlkem;		/* of which mlkem768x25519 */
	int	scrypt;		/* 1 if passphrase-encrypted */
	int	scrypt_logn;	/* its work factor */
	int	unlocked;	/* a key opened the header and its MAC held */
};
/*
 * Parses the header of an age reader (without reading the payload) and
 * describes it.  Without identities it checks the syntax only (the MAC
 * needs the file key).  Returns 0, or -1 with the reader's err and code.
 */
int	bk_age_info(struct bk_reader *, struct bk_age_info *);

/*
 * Encryption.  The writer hands its output to a sink that writes all bytes
 * or exits.  Recipients are public keys, all of one type (the caller
 * refuses a mix, as age does), or (alone) a passphrase with an scrypt work
 * factor.  Crypto failures, an invalid post-quantum key among them, exit
 * 70.
 */
typedef void (*bk_age_sink)(void *, const void *, size_t);
struct bk_age_writer;

struct bk_age_writer *bk_age_writer_new(const struct bk_age_key *, size_t,
	    const char *, size_t, int, int, bk_age_sink, void *);
void	bk_age_writer_write(struct bk_age_writer *, const void *, size_t);
/* Writes the final chunk (and the armor's end line) and frees the writer. */
void	bk_age_writer_finish(struct bk_age_writer *);
/* Wipes and frees a writer without finishing it (NULL is allowed). */
void	bk_age_writer_free(struct bk_age_writer *);

#endif /* BK_AGE_H */
