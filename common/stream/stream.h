/*
 * stream.h: bytes as they stream past: stacked readers (a file, gzip,
 * zstd, replayed bytes), queues of blocks between threads, the hashing bottom reader, digests, and the layers a
 * stream's magic bytes show.  Includes platform.h only.
 */
#ifndef BK_STREAM_H
#define BK_STREAM_H

#include <pthread.h>

#include "platform/platform.h"

/* ---- reader.c: stacked stream readers (file, gzip, age, ...) ---- */

/*
 * A reader yields the bytes of one layer.  read returns the number of bytes
 * stored (at most n), 0 at the end of the stream, or -1 after storing a
 * one-line message in err and an exit code in code (65 bad data, 74 I/O).
 * Layers stack: a gzip reader reads from a file reader, and so on.  A
 * layer that meets an error below copies its message and code.  close frees
 * one layer; bk_reader_close frees a reader and every reader below it.
 */
struct bk_reader {
	ssize_t		(*read)(struct bk_reader *, void *, size_t);
	void		(*close)(struct bk_reader *);
	struct bk_reader *below;	/* the reader this one reads from */
	uint64_t	 offset;	/* bytes returned so far */
	int		 code;		/* exit code after an error */
	char		 err[512];	/* message after an error */
};

/* Sets a reader's error and returns -1. */
ssize_t	bk_reader_fail(struct bk_reader *, int, const char *, ...)
	    BK_PRINTF(3, 4);
/* A reader over a file descriptor; name is used in messages. */
struct bk_reader *bk_reader_fd(int, const char *);
/*
 * A layer that first gives back len bytes already read from below (to
 * recognise what comes next), then reads on from below.
 */
struct bk_reader *bk_reader_replay(struct bk_reader *, const void *, size_t);
/* Reads from r until n bytes or end of stream; like read's result. */
ssize_t	bk_reader_read_full(struct bk_reader *, void *, size_t);
/*
 * A reader's message as a reason, without the "NAME": it may begin with
 * (the caller names the file itself); "could not read" when it has none.
 */
const char *bk_reader_why(const struct bk_reader *, const char *);
void	bk_reader_close(struct bk_reader *);

/* ---- queue.c: blocks handed from one thread to another ---- */

#define BK_QUEUE_SLOTS	4	/* blocks in a queue */

/*
 * A queue of BK_QUEUE_SLOTS blocks, which the caller provides and frees:
 * one producer fills them in turn (reserve, fill, push; close at the
 * end), one consumer takes them in the same order (peek, use, pop).
 * Each side waits for the other when it must.
 */
struct bk_queue {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	unsigned char	*buf[BK_QUEUE_SLOTS];
	size_t		 len[BK_QUEUE_SLOTS];
	unsigned	 head;		/* the next block to take */
	unsigned	 count;		/* blocks filled, not yet taken */
	int		 eof;		/* the producer is done */
};

/* Sets up a queue over the caller's BK_QUEUE_SLOTS blocks. */
void	bk_queue_init(struct bk_queue *, unsigned char **);
void	bk_queue_free(struct bk_queue *);
/* The producer's next empty block, waiting for room. */
unsigned char *bk_queue_reserve(struct bk_queue *);
/* Hands the reserved block over, holding n bytes. */
void	bk_queue_push(struct bk_queue *, size_t);
/* The producer is done: the consumer's peek returns NULL once empty. */
void	bk_queue_close(struct bk_queue *);
/* The consumer's next full block and its length, or NULL at the end. */
unsigned char *bk_queue_peek(struct bk_queue *, size_t *);
/* Gives the block peek returned back to the producer. */
void	bk_queue_pop(struct bk_queue *);
/*
 * The consumer's read: copies up to n bytes of the next block from *pos,
 * giving the block back once it is used up.  Returns 0 at the end.
 */
size_t	bk_queue_take(struct bk_queue *, size_t *, void *, size_t);

/* ---- hashreader.c: the bottom reader, hashing the raw bytes ---- */

/*
 * A reader over a descriptor that passes every byte it reads through
 * sha256 and counts it (and adds it to meter, when not NULL); name is
 * used in messages.  The descriptor stays open when the reader is closed.
 * bk_reader_hash_finish reads what the layers above left unread, so that
 * the size and digest cover the whole file, and writes the digest as 64
 * hex digits.  Returns 0, or -1 with the reader's err and code (74).
 */
struct bk_reader *bk_reader_hash(int, const char *, struct bk_progress *);
int	bk_reader_hash_finish(struct bk_reader *, char[65], uint64_t *);

/* ---- detect.c: layers by their magic bytes ---- */

enum bk_layer {
	BK_LAYER_UNKNOWN = 0,
	BK_LAYER_GZIP,
	BK_LAYER_ZSTD,		/* a zstd frame, or a skippable one */
	BK_LAYER_AGE,		/* binary header: age-encryption.org/v1 */
	BK_LAYER_AGE_ARMOR,	/* -----BEGIN AGE ENCRYPTED FILE----- */
	BK_LAYER_SQLITE,
	BK_LAYER_PGDUMP,	/* plain pg_dump script */
	BK_LAYER_PGARCHIVE,	/* pg_dump custom archive (-Fc): "PGDMP" */
	BK_LAYER_PGTAR,		/* pg_dump tar archive (-Ft): toc.dat first */
	BK_LAYER_SQL,
	BK_LAYER_JSONL,
	BK_LAYER_PGDUMPALL,	/* pg_dumpall script (the cluster's globals) */
	BK_LAYER_CSV,
	BK_LAYER_EMPTY
};

/* Classifies the first bytes of a stream (at least 512 when available). */
enum bk_layer bk_detect(const void *, size_t);
/*
 * A short name for a layer: gzip, zstd, age, sqlite, pg_dump, pg_dumpall, sql,
 * csv, ...
 */
const char *bk_layer_name(enum bk_layer);
/* Whether the layer is a pg_dump archive, custom or tar (pg_restore's). */
int	bk_layer_pgarchive(enum bk_layer);

/* ---- gunzip.c: streaming gzip decoding (RFC 1952) ---- */

/*
 * A reader layer that decodes the gzip stream read from below: every
 * member of a concatenation, each checked against the CRC-32 and length in
 * its trailer.  Problems are errors with code 65 and a message naming the
 * input (name) and the byte offset in the compressed stream:
 *   "x.gz": not gzip data (no gzip magic) at byte 0
 *   "x.gz": not gzip data (empty input) at byte 0
 *   "x.gz": corrupt gzip data (invalid block type) at byte 1234
 *   "x.gz": truncated gzip input at byte 1234
 *   "x.gz": bad CRC in member ending at byte 1234
 *   "x.gz": bad length in member ending at byte 1234
 *   "x.gz": trailing garbage after gzip data at byte 1234
 * Errors of the layer below are passed on with their own code.
 */
struct bk_reader *bk_reader_gunzip(struct bk_reader *, const char *);
/* Compressed bytes consumed so far, and members begun (either may be NULL). */
void	bk_gunzip_stats(const struct bk_reader *, uint64_t *, uint64_t *);

/*
 * bk's own gzip members (bk-gz(1), FORMAT): each holds at most
 * BK_GZ_BLOCK bytes of data, and its header (no name, no time, OS Unix)
 * carries an extra field of one subfield, 'B','K' with 4 bytes: the size
 * of the whole member, header to trailer, little-endian.  The gunzip
 * layer then takes such a member in one piece and decodes it with
 * libdeflate.  bk_gz_header writes that header, BK_GZ_HEADER bytes, with
 * the XFL byte given; bk_gz_trailer writes a member's trailer, the CRC-32
 * and the length of its data.
 */
#define BK_GZ_BLOCK	(1024 * 1024)
#define BK_GZ_HEADER	20
#define BK_GZ_TRAILER	8
void	bk_gz_header(unsigned char[BK_GZ_HEADER], int, uint32_t);
void	bk_gz_trailer(unsigned char[BK_GZ_TRAILER], uint32_t, uint32_t);

/* ---- unzstd.c: streaming zstd decoding (RFC 8878) ---- */

/*
 * A reader layer that decodes the zstd stream read from below: every frame
 * of a concatenation, each checked against its content checksum when it
 * has one; skippable frames are passed over.  A frame that needs a window
 * over 128 MiB is refused (zstd -d's own limit), so memory stays bounded.
 * Problems are errors with code 65 and a message naming the input (name)
 * and the byte offset in the compressed stream:
 *   "x.zst": not zstd data (no zstd magic) at byte 0
 *   "x.zst": not zstd data (empty input) at byte 0
 *   "x.zst": corrupt zstd data (Data corruption detected) at byte 1234
 *   "x.zst": truncated zstd input at byte 1234
 *   "x.zst": bad checksum in frame ending at byte 1234
 *   "x.zst": zstd frame needs a window larger than 128 MiB at byte 0
 *   "x.zst": trailing garbage after zstd data at byte 1234
 * Errors of the layer below are passed on with their own code.
 */
struct bk_reader *bk_reader_unzstd(struct bk_reader *, const char *);
/*
 * Compressed bytes consumed so far, frames begun and how many of them
 * were skippable (any may be NULL).
 */
void	bk_unzstd_stats(const struct bk_reader *, uint64_t *, uint64_t *,
	    uint64_t *);

/* ---- digest.c: digest algorithms over libcrypto EVP ---- */

struct bk_digest_alg {
	const char	*name;	/* bk's name: sha256 */
	const char	*evp;	/* OpenSSL's name: SHA256 */
	const char	*tag;	/* BSD --tag name: SHA256 */
	size_t		 len;	/* digest length in bytes */
};

#define BK_DIGEST_MAX	64

struct bk_digest {
	const struct bk_digest_alg	*alg;
	void				*ctx;	/* EVP_MD_CTX */
};


/* Finds an algorithm by name, case-insensitively; NULL if unknown. */
const struct bk_digest_alg *bk_digest_lookup(const char *);
void	bk_digest_init(struct bk_digest *, const struct bk_digest_alg *);
void	bk_digest_update(struct bk_digest *, const void *, size_t);
/* Writes alg->len bytes to out and frees the context. */
void	bk_digest_final(struct bk_digest *, unsigned char *);
/* Writes 2n lowercase hex digits and a NUL to out. */
void	bk_hex(char *, const unsigned char *, size_t);

#endif /* BK_STREAM_H */
