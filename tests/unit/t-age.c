/* t-age.c: the age layer of common/: keys, the writer, the reader, info. */
#define _GNU_SOURCE	/* dlsym's RTLD_NEXT, malloc_usable_size, memmem */
#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "age/internal.h"
#include "tap.h"

#define ID	"AGE-SECRET-KEY-1XST4ZKLH2VC7GHKRNCPC643ERA7T8AAASSAZE8DQUGZ2EC60M50S7MSDE9"
#define PUB	"age1h0qzdz5cgd5c5y5syaqpulxscnccvksx9mz3tln49gz7ma6tjuvslwsvnk"

struct mem {
	unsigned char	*p;
	size_t		 n;
};

/*
 * While a secret is watched, every block freed is searched for it: a copy
 * found there was freed without being wiped (by realloc moving an array of
 * keys, say), and stays in the heap for whatever reads it next.  This free
 * (and the realloc below) replace the C library's for the whole program,
 * common/ and libcrypto included, and hand the block on to the real free
 * (or a sanitizer's).
 */
static const unsigned char *watched;
static size_t watchlen;
static int unwiped;		/* blocks freed with the secret inside */

void
free(void *p)
{
	static void (*real)(void *);
	static int resolving;

	if (real == NULL) {
		/* dlsym may free a block of its own: that one is let go. */
		if (resolving)
			return;
		resolving = 1;
		*(void **)&real = dlsym(RTLD_NEXT, "free");
		resolving = 0;
		if (real == NULL)
			return;
	}
	if (p != NULL && watched != NULL && memmem(p, malloc_usable_size(p),
	    watched, watchlen) != NULL)
		unwiped++;
	real(p);
}

/*
 * A realloc that always moves the block and frees the old one through the
 * free above: the C library's would often grow a block in place, or free
 * the old one out of this file's sight.
 */
void *
realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL)
		return malloc(n);
	old = malloc_usable_size(p);
	if ((q = malloc(n == 0 ? 1 : n)) == NULL)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	free(p);
	return q;
}

static void
mem_sink(void *ctx, const void *buf, size_t n)
{
	struct mem *m = ctx;

	m->p = bk_realloc(m->p, m->n + n);
	memcpy(m->p + m->n, buf, n);
	m->n += n;
}

/* A reader over a temporary file holding m. */
static struct bk_reader *
mem_reader(const struct mem *m)
{
	char path[] = "/tmp/t-age.XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	if (fd < 0 || bk_write_full(fd, m->p, m->n) < 0 ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return bk_reader_fd(fd, "mem");
}

/* Encrypts to the recipient string rcpt, or with a passphrase. */
static struct mem
encrypt_to(const char *rcpt, const unsigned char *pt, size_t n,
    const char *pass, int armor)
{
	struct bk_age_key pub;
	struct mem m = { NULL, 0 };
	struct bk_age_writer *w;

	if (pass != NULL)
		w = bk_age_writer_new(NULL, 0, pass, strlen(pass), 10, armor,
		    mem_sink, &m);
	else {
		if (bk_age_parse_recipient(rcpt, &pub) < 0)
			abort();
		w = bk_age_writer_new(&pub, 1, NULL, 0, 0, armor, mem_sink,
		    &m);
	}
	/* Odd pieces, so chunk boundaries fall inside writes. */
	while (n > 0) {
		size_t k = n < 1000 ? n : 1000;

		bk_age_writer_write(w, pt, k);
		pt += k;
		n -= k;
	}
	bk_age_writer_finish(w);
	return m;
}

static struct mem
encrypt(const unsigned char *pt, size_t n, const char *pass, int armor)
{
	return encrypt_to(PUB, pt, n, pass, armor);
}

/* Decrypts m reading step bytes at a time; returns 0 if it gives want. */
static int
decrypt(const struct mem *m, struct bk_age_ids *ids, size_t step,
    const unsigned char *want, size_t n, int *code)
{
	struct bk_reader *r = bk_reader_age(mem_reader(m), ids);
	unsigned char *got = bk_malloc(n + 1);
	size_t have = 0;
	ssize_t k;
	int bad = 0;

	*code = 0;
	for (;;) {
		k = r->read(r, got + have, have + step > n + 1 ? n + 1 - have :
		    step);
		if (k < 0) {
			*code = r->code;
			bad = 1;
			break;
		}
		if (k == 0)
			break;
		have += (size_t)k;
		if (have > n) {
			bad = 1;
			break;
		}
	}
	if (!bad && (have != n || memcmp(got, want, n) != 0))
		bad = 1;
	free(got);
	bk_reader_close(r);
	return bad ? -1 : 0;
}

int
main(void)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 200000 };
	static unsigned char pt[200000];
	struct bk_age_key sec, pub, pqid, pqpub, k;
	char *s, *pqids, *pqrcpt;
	struct bk_age_ids *ids, *pw, *bad, *bad2, *pq;
	unsigned char *nul;
	struct bk_age_info info;
	struct bk_reader *r;
	struct mem m;
	size_t i;
	int code;

	ok(bk_age_parse_identity(ID, &sec) == 0 && sec.type == BK_AGE_X25519,
	    "parses an identity");
	ok(bk_age_to_recipient(&sec, &pub) == 0, "derives its public key");
	s = bk_age_recipient_str(&pub);
	is_str(s, PUB, "encodes the recipient as age-keygen -y does");
	free(s);
	s = bk_age_identity_str(&sec);
	is_str(s, ID, "encodes the identity back");
	free(s);
	ok(bk_age_parse_recipient(PUB, &pub) == 0 && pub.type ==
	    BK_AGE_X25519 && pub.len == 32, "parses a recipient");
	ok(bk_age_parse_recipient("age1h0qzdz5cgd5c5y5syaqpulxscnccvksx9mz3tln49gz7ma6tjuvslwsvnl", &pub) < 0,
	    "refuses a bad checksum");
	ok(bk_age_parse_recipient("age1h0qzdz5cgd5c5y5syaqpulxscnccvksx9mz3tln49gz7ma6tjuvslwsvnK", &pub) < 0,
	    "refuses mixed case");
	ok(bk_age_parse_identity("age-secret-key-1xst4zklh2vc7ghkrncpc643era7t8aaassaze8dqugz2ec60m50s7msde9", &sec) < 0,
	    "refuses a lower-case identity, as age writes none");
	ok(bk_age_parse_recipient(ID, &pub) < 0, "an identity is no recipient");
	ok(bk_age_parse_recipient("AGE1H0QZDZ5CGD5C5Y5SYAQPULXSCNCCVKSX9MZ3TLN49GZ7MA6TJUVSLWSVNK", &pub) == -1,
	    "refuses an upper-case recipient, as age does");
	ok(bk_age_parse_recipient("age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z", &pub) == -2,
	    "a low-order point (0) is a recipient refused (-2)");
	ok(bk_age_parse_recipient("age1ur4h5lpmgxu2u9jku0a0r87ydtdqnr0tnsetrlvxvgz3vh6fhqqqzyt4v9", &pub) == -2,
	    "so is a point of order 8");

	/* Post-quantum keys: strings, and what a bad one looks like. */
	ok(bk_age_keygen(BK_AGE_PQ, &pqid, &pqpub) == 0 && pqid.type ==
	    BK_AGE_PQ && pqpub.len == BK_XWING_PK, "makes a post-quantum key");
	pqids = bk_age_identity_str(&pqid);
	pqrcpt = bk_age_recipient_str(&pqpub);
	ok(strncmp(pqids, "AGE-SECRET-KEY-PQ-1", 19) == 0 &&
	    strlen(pqids) == 19 + 52 + 6, "its identity is AGE-SECRET-KEY-PQ-1...");
	ok(strncmp(pqrcpt, "age1pq1", 7) == 0 &&
	    strlen(pqrcpt) == 7 + (BK_XWING_PK * 8 + 4) / 5 + 6,
	    "its recipient is age1pq1... (%zu characters)", strlen(pqrcpt));
	ok(bk_age_parse_identity(pqids, &k) == 0 && k.type == BK_AGE_PQ &&
	    memcmp(k.key, pqid.key, 32) == 0, "the identity parses back");
	ok(bk_age_parse_recipient(pqrcpt, &k) == 0 && k.type == BK_AGE_PQ &&
	    memcmp(k.key, pqpub.key, BK_XWING_PK) == 0,
	    "the recipient parses back");
	ok(bk_age_to_recipient(&pqid, &k) == 0 &&
	    memcmp(k.key, pqpub.key, BK_XWING_PK) == 0,
	    "the identity gives the same recipient again");
	pqrcpt[strlen(pqrcpt) - 1] ^= 1;
	ok(bk_age_parse_recipient(pqrcpt, &k) < 0,
	    "refuses a post-quantum recipient with a bad checksum");
	pqrcpt[strlen(pqrcpt) - 1] ^= 1;
	ok(bk_age_parse_recipient(pqids, &k) < 0,
	    "a post-quantum identity is no recipient");
	ok(bk_age_parse_identity(pqrcpt, &k) < 0,
	    "a post-quantum recipient is no identity");

	for (i = 0; i < sizeof(pt); i++)
		pt[i] = (unsigned char)(i * 7 + i / 251);
	ids = bk_age_ids_new();
	ok(bk_age_ids_add_key(ids, ID) == 0, "adds a key");
	ok(bk_age_ids_recipient(ids, 0, &k) == 0 && k.len == 32 &&
	    bk_age_parse_recipient(PUB, &pub) == 0 &&
	    memcmp(k.key, pub.key, 32) == 0, "gives its recipient back");
	ok(bk_age_ids_recipient(ids, 1, &k) < 0, "and no recipient past the end");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		m = encrypt(pt, sizes[i], NULL, 0);
		ok(decrypt(&m, ids, 1 + 4095 * (i % 2), pt, sizes[i], &code) ==
		    0, "%zu bytes round trip", sizes[i]);
		free(m.p);
		m = encrypt(pt, sizes[i], NULL, 1);
		ok(decrypt(&m, ids, 65536, pt, sizes[i], &code) == 0,
		    "%zu bytes round trip, armored", sizes[i]);
		free(m.p);
	}

	m = encrypt(pt, 1000, NULL, 1);
	r = bk_reader_age(mem_reader(&m), NULL);
	ok(bk_age_info(r, &info) == 0, "header-only check without a key");
	ok(info.armored && info.stanzas == 1 && info.x25519 == 1 &&
	    !info.scrypt && !info.unlocked, "describes the header");
	ok(r->read(r, pt, 10) < 0 && r->code == BK_EX_FAIL,
	    "reading without identities fails with 1");
	bk_reader_close(r);
	r = bk_reader_age(mem_reader(&m), ids);
	ok(bk_age_info(r, &info) == 0 && info.unlocked,
	    "with the key, the header unlocks");
	bk_reader_close(r);
	free(m.p);

	m = encrypt(pt, 70000, "hunter2", 0);
	pw = bk_age_ids_new();
	bk_age_ids_set_passphrase(pw, "hunter2", 7);
	ok(decrypt(&m, pw, 4096, pt, 70000, &code) == 0,
	    "a passphrase round trip");
	r = bk_reader_age(mem_reader(&m), NULL);
	ok(bk_age_info(r, &info) == 0 && info.scrypt &&
	    info.scrypt_logn == 10, "info reports the scrypt work factor");
	bk_reader_close(r);
	bad = bk_age_ids_new();
	bk_age_ids_set_passphrase(bad, "hunter3", 7);
	ok(decrypt(&m, bad, 4096, pt, 70000, &code) < 0 && code == BK_EX_FAIL,
	    "a wrong passphrase fails with 1");
	bk_age_ids_set_max_logn(pw, 9);
	ok(decrypt(&m, pw, 4096, pt, 70000, &code) < 0 &&
	    code == BK_EX_DATAERR, "a work factor above the limit fails with 65");
	ok(decrypt(&m, ids, 4096, pt, 70000, &code) < 0 && code == BK_EX_FAIL,
	    "an X25519 key does not open a passphrase file");
	/* The tag of the last chunk altered: nothing of that chunk comes out. */
	m.p[m.n - 1] ^= 1;
	ok(decrypt(&m, pw, 4096, pt, 70000, &code) < 0 &&
	    code == BK_EX_DATAERR, "an altered last chunk fails with 65");
	free(m.p);

	/* A NUL byte in a header line, before the MAC can be checked. */
	m = encrypt(pt, 10, NULL, 0);
	nul = bk_malloc(m.n + 1);
	memcpy(nul, m.p, 21);
	nul[21] = '\0';
	memcpy(nul + 22, m.p + 21, m.n - 21);
	free(m.p);
	m.p = nul;
	m.n++;
	r = bk_reader_age(mem_reader(&m), NULL);
	ok(bk_age_info(r, &info) < 0 && r->code == BK_EX_DATAERR &&
	    strcmp(r->err, "invalid header: NUL byte at offset 21") == 0,
	    "a NUL byte after the version line is refused (%s)", r->err);
	bk_reader_close(r);
	free(m.p);

	/* The default work factor limit, and a file at it and above it. */
	m = encrypt(pt, 10, "hunter2", 0);
	r = bk_reader_age(mem_reader(&m), pw);
	ok(bk_age_info(r, &info) < 0 && r->code == BK_EX_DATAERR,
	    "the limit set stays");
	bk_reader_close(r);
	free(m.p);
	bad2 = bk_age_ids_new();
	bk_age_ids_set_passphrase(bad2, "hunter2", 7);
	m = encrypt(pt, 10, "hunter2", 0);
	s = (char *)memmem(m.p, m.n, " 10\n", 4);
	ok(s != NULL, "the scrypt stanza names its work factor");
	memcpy(s, " 21\n", 4);
	r = bk_reader_age(mem_reader(&m), bad2);
	ok(bk_age_info(r, &info) < 0 && r->code == BK_EX_DATAERR &&
	    strstr(r->err, "scrypt work factor 21 is above the limit of 20") !=
	    NULL, "by default, work factor 21 is refused before scrypt runs");
	bk_reader_close(r);
	free(m.p);
	bk_age_ids_free(bad2);

	/*
	 * No copy of a secret key is freed unwiped: identities read from a
	 * file of many (the array grows), used, and freed.
	 */
	ok(bk_age_parse_identity(ID, &sec) == 0, "the watched secret");
	watched = sec.key;
	watchlen = 32;
	unwiped = 0;
	{
		char path[] = "/tmp/t-age.XXXXXX", err[512];
		int fd = mkstemp(path);
		struct bk_age_ids *many = bk_age_ids_new();

		for (i = 0; i < 40; i++)
			if (bk_write_full(fd, ID "\n", sizeof(ID)) < 0)
				abort();
		close(fd);
		ok(bk_age_ids_load(many, path, err, sizeof(err)) == 0 &&
		    bk_age_ids_count(many) == 40, "loads 40 identities");
		unlink(path);
		m = encrypt(pt, 70000, NULL, 0);
		ok(decrypt(&m, many, 4096, pt, 70000, &code) == 0,
		    "which open a file");
		free(m.p);
		bk_age_ids_free(many);
	}
	watched = NULL;
	ok(unwiped == 0, "no block was freed with the secret key in it "
	    "(%d were)", unwiped);
	bk_explicit_bzero(&sec, sizeof(sec));

	/* Round trips through the mlkem768x25519 stanza. */
	pq = bk_age_ids_new();
	ok(bk_age_ids_add_key(pq, pqids) == 0, "adds a post-quantum key");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i += 2) {
		m = encrypt_to(pqrcpt, pt, sizes[i], NULL, (int)(i / 2 % 2));
		ok(decrypt(&m, pq, 4096, pt, sizes[i], &code) == 0,
		    "%zu bytes post-quantum round trip%s", sizes[i],
		    i / 2 % 2 ? ", armored" : "");
		free(m.p);
	}
	m = encrypt_to(pqrcpt, pt, 1000, NULL, 0);
	r = bk_reader_age(mem_reader(&m), NULL);
	ok(bk_age_info(r, &info) == 0 && info.stanzas == 1 &&
	    info.mlkem == 1 && info.x25519 == 0, "info counts the stanza");
	bk_reader_close(r);
	ok(decrypt(&m, ids, 4096, pt, 1000, &code) < 0 && code == BK_EX_FAIL,
	    "an X25519 key does not open a post-quantum file (1)");
	free(m.p);
	m = encrypt(pt, 1000, NULL, 0);
	ok(decrypt(&m, pq, 4096, pt, 1000, &code) < 0 && code == BK_EX_FAIL,
	    "a post-quantum key does not open an X25519 file (1)");
	free(m.p);
	bk_explicit_bzero(pqids, strlen(pqids));
	free(pqids);
	free(pqrcpt);
	bk_age_ids_free(pq);
	bk_age_ids_free(ids);
	bk_age_ids_free(pw);
	bk_age_ids_free(bad);
	return tap_done();
}
