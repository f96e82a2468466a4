/*
 * fuzz.h: what bk's libFuzzer harnesses share: the entry points, a reader
 * over the input bytes, the fixed test identity, a private work folder.
 * Every harness is built with -fsanitize=fuzzer,address,undefined; a
 * property that does not hold calls fuzz_fail, which aborts with a
 * message, and libFuzzer keeps the input that did it.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "age/age.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/*
 * The identities the age and inspect harnesses hold: the X25519 one of
 * tests/unit/t-age.c, a post-quantum one, and a passphrase; the seeds of
 * their corpora are encrypted to them.  scrypt stanzas above work factor
 * FUZZ_MAX_LOGN are refused, not computed, so that a run stays quick.
 */
#define FUZZ_ID		"AGE-SECRET-KEY-1XST4ZKLH2VC7GHKRNCPC643ERA7T8AAASSAZE8DQUGZ2EC60M50S7MSDE9"
#define FUZZ_ID_PQ	"AGE-SECRET-KEY-PQ-1ZE2LYEQPHQXA9V4NHW8FJPCAP62VXFLJ95HDKMUVD64AFPSH8MNS89WA0P"
#define FUZZ_PASS	"fuzz"
#define FUZZ_MAX_LOGN	8

#define fuzz_fail(...)	fuzz_fail_at(__FILE__, __LINE__, __VA_ARGS__)

static inline void fuzz_fail_at(const char *, int, const char *, ...)
    BK_PRINTF(3, 4) BK_NORETURN;

static inline void
fuzz_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: property failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static inline struct bk_age_ids *
fuzz_ids(void)
{
	struct bk_age_ids *ids = bk_age_ids_new();

	if (bk_age_ids_add_key(ids, FUZZ_ID) < 0 ||
	    bk_age_ids_add_key(ids, FUZZ_ID_PQ) < 0)
		abort();
	bk_age_ids_set_passphrase(ids, FUZZ_PASS, strlen(FUZZ_PASS));
	bk_age_ids_set_max_logn(ids, FUZZ_MAX_LOGN);
	return ids;
}

/* A reader over bytes in memory, giving at most step bytes a read. */
struct fuzz_reader {
	struct bk_reader	 r;
	const uint8_t		*p;
	size_t			 len, pos, step;
};

static inline ssize_t
fuzz_read(struct bk_reader *r, void *buf, size_t n)
{
	struct fuzz_reader *f = (struct fuzz_reader *)r;

	if (n > f->step)
		n = f->step;
	if (n > f->len - f->pos)
		n = f->len - f->pos;
	if (n > 0)
		memcpy(buf, f->p + f->pos, n);
	f->pos += n;
	r->offset += n;
	return (ssize_t)n;
}

static inline void
fuzz_close(struct bk_reader *r)
{
	free(r);
}

static inline struct bk_reader *
fuzz_reader(const uint8_t *p, size_t len, size_t step)
{
	struct fuzz_reader *f = bk_calloc(1, sizeof(*f));

	f->r.read = fuzz_read;
	f->r.close = fuzz_close;
	f->p = p;
	f->len = len;
	f->step = step > 0 ? step : 1;
	return &f->r;
}

/* A read size that changes with the input, so cuts fall everywhere. */
static inline size_t
fuzz_step(size_t len)
{
	static const size_t steps[] = { 1, 3, 512, 4096, 65536, SIZE_MAX };

	return steps[len % (sizeof(steps) / sizeof(steps[0]))];
}

/* Bytes that grow as they come (what a decoder gives out). */
struct fuzz_out {
	unsigned char	*p;
	size_t		 len, size;
};

/* Makes room for n more bytes at o->p + o->len. */
static inline void
fuzz_out_room(struct fuzz_out *o, size_t n)
{
	if (o->size - o->len < n) {
		o->size = o->len + n > 2 * o->size ? o->len + n : 2 * o->size;
		o->p = bk_realloc(o->p, o->size);
	}
}

/*
 * Reads a decoding layer to its end into o, in reads of sizes that change
 * with the input (size), stopping past max bytes out (*big set).  Checks
 * what every layer promises: no read gives more than asked; an error is
 * code 65 with a message, and a read after it fails again.  Returns 0, or
 * -1 after an error.
 */
static inline int
fuzz_drain(struct bk_reader *r, struct fuzz_out *o, size_t size, size_t max,
    int *big)
{
	static const size_t sizes[] = { 4096, 1, 65536, 13, 300000 };
	size_t i, want;
	ssize_t got;

	*big = 0;
	for (i = 0;; i++) {
		want = sizes[(i + size) % (sizeof(sizes) / sizeof(sizes[0]))];
		fuzz_out_room(o, want);
		if ((got = r->read(r, o->p + o->len, want)) < 0)
			break;
		if (got == 0)
			return 0;
		if ((size_t)got > want)
			fuzz_fail("read %zd bytes of %zu", got, want);
		o->len += (size_t)got;
		if (o->len > max) {
			*big = 1;
			return 0;
		}
	}
	if (r->code != BK_EX_DATAERR || r->err[0] == '\0')
		fuzz_fail("error code %d, message \"%s\"", r->code, r->err);
	if (r->read(r, o->p, 1) != -1)
		fuzz_fail("a read after an error did not fail");
	return -1;
}

/* The input as a C string, or NULL when it holds a NUL byte. */
static inline char *
fuzz_string(const uint8_t *p, size_t len)
{
	char *s;

	if (memchr(p, '\0', len) != NULL)
		return NULL;
	s = bk_malloc(len + 1);
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/*
 * A private folder for the run, on tmpfs when there is one (the manifest
 * fsyncs), made TMPDIR so that SQLite copies land there too.  Removed
 * by the runner (tests/fuzz/run.sh), which names its parent in TMPDIR.
 */
static inline const char *
fuzz_dir(void)
{
	static char path[256];
	const char *t;

	if (path[0] != '\0')
		return path;
	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(path, sizeof(path), "%s/bk-fuzz.XXXXXX", t);
	if (mkdtemp(path) == NULL) {
		perror(path);
		abort();
	}
	setenv("TMPDIR", path, 1);
	return path;
}

#endif /* FUZZ_H */
