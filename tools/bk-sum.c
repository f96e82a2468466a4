/*
 * bk-sum: digests of files or of a stream passing through, and checking of
 * digest lists in the two formats sha256sum(1) writes: GNU "HEX  NAME"
 * lines and BSD tagged "SHA256 (NAME) = HEX" lines (--tag).
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* F_SETPIPE_SZ */
#endif
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/format.h"

#define MAX_ALGS	8
/*
 * Reads of 1 MiB make the cost of each read(2) negligible next to hashing
 * the data, and match the largest pipe an unprivileged process may ask
 * for (see grow_pipe).
 */
#define BUF_SIZE	(1024 * 1024)

static const char usage[] =
    "usage: bk-sum [-fPqv] [--algorithm alg ...] [--tag] [-o file] [file ...]\n"
    "       bk-sum -c [-Pqv] [--status] [--algorithm alg ...] [list ...]\n"
    "       bk-sum --tee [-fPqv] [--algorithm alg ...] [--tag] [--name name]\n"
    "              [--digest-to file] [-o file]\n";

enum mode { MODE_DIGEST, MODE_CHECK, MODE_TEE };

enum {
	OPT_ALGORITHM = 256,
	OPT_TAG,
	OPT_TEE,
	OPT_NAME,
	OPT_DIGEST_TO,
	OPT_STATUS,
	OPT_VERSION
};

struct sum {
	enum mode	 mode;
	const struct bk_digest_alg *algs[MAX_ALGS];
	size_t		 nalgs;
	int		 explicit_algs;	/* --algorithm given: restricts -c */
	int		 tag;		/* --tag: BSD tagged lines */
	int		 quiet;		/* -q: only failures in -c */
	uint64_t	 nfiles;	/* inputs digested, for -v */
	uint64_t	 nbytes;	/* bytes digested, for -v */
	uint64_t	 nchecked;	/* -c: files checked */
	uint64_t	 nfailed;	/* -c: files that failed */
	int		 status;	/* --status: nothing on stdout in -c */
	int		 force;		/* -f: replace -o / --digest-to */
	int		 progress;	/* -P: the meter on a terminal */
	const char	*output;	/* -o FILE */
	const char	*digest_to;	/* --digest-to FILE */
	const char	*name;		/* --name NAME */
	unsigned char	*buf;
	int		 code;		/* the exit code so far */
};

/*
 * Keeps the largest exit code seen: an unreadable input (66, 74, 77)
 * outranks a failed check (1), which outranks success.
 */
static void
note(struct sum *s, int code)
{
	if (code > s->code)
		s->code = code;
}

/*
 * Reports a problem that does not stop the run ("bk-sum: error: ...", with
 * strerror(errno) when witherr is set) and keeps the exit code it calls
 * for.  bk_warn would say "warning", which undersells a failed check.
 */
static void problem(struct sum *, int, int, const char *, ...)
    BK_PRINTF(4, 5);

static void
problem(struct sum *s, int code, int witherr, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	note(s, code);
	fflush(stdout);
	fprintf(stderr, "%s: error: ", bk_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (witherr)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
}

/*
 * A growing string, for building one output line whose name may be long.
 */
struct line {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
line_add(struct line *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		while (l->len + n + 1 > l->cap)
			l->cap = l->cap != 0 ? 2 * l->cap : 256;
		l->p = bk_realloc(l->p, l->cap);
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
	l->p[l->len] = '\0';
}

static void
line_str(struct line *l, const char *s)
{
	line_add(l, s, strlen(s));
}

/*
 * GNU coreutils marks a line whose name holds a backslash, a newline or a
 * carriage return by starting it with a backslash, and then writes those
 * characters as \\, \n and \r, so that every entry stays on one line.
 */
static int
needs_escape(const char *name)
{
	return name[strcspn(name, "\\\n\r")] != '\0';
}

static void
line_name(struct line *l, const char *name, int escape)
{
	char *esc;

	if (!escape) {
		line_str(l, name);
		return;
	}
	esc = bk_sumlist_escape(name, 0);
	line_str(l, esc);
	free(esc);
}

/* Appends the digest line for one algorithm in the chosen format. */
static void
format_line(struct line *l, const struct sum *s,
    const struct bk_digest_alg *alg, const unsigned char *md,
    const char *name)
{
	char hex[2 * BK_DIGEST_MAX + 1];
	int esc = needs_escape(name);

	bk_hex(hex, md, alg->len);
	if (esc)
		line_str(l, "\\");
	if (s->tag) {
		line_str(l, alg->tag);
		line_str(l, " (");
		line_name(l, name, esc);
		line_str(l, ") = ");
		line_str(l, hex);
	} else {
		line_str(l, hex);
		line_str(l, "  ");
		line_name(l, name, esc);
	}
	line_str(l, "\n");
}

/*
 * A pipe holds 64 KiB by default on Linux, so each read or write moves at
 * most that much and the two ends take turns sleeping.  A pipe as large as
 * our buffer makes cat | bk-sum --tee spend less time in that dance.  Only
 * a hint: failure (not a pipe, over /proc/sys/fs/pipe-max-size) changes
 * nothing.
 */
static void
grow_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, BUF_SIZE);
#else
	(void)fd;
#endif
}

/*
 * Digests everything readable from fd with n algorithms in one pass,
 * storing each result in md[i].  Returns 0, or -1 with errno set after a
 * read error (the digests are then freed and meaningless).
 */
static int
digest_fd(struct sum *s, int fd, const char *name,
    const struct bk_digest_alg *const *algs, size_t n,
    unsigned char md[][BK_DIGEST_MAX])
{
	struct bk_digest d[MAX_ALGS];
	struct bk_progress pr;
	struct stat st;
	uint64_t total = 0;
	ssize_t r;
	size_t i;
	int e;

	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return -1;
		}
#ifdef POSIX_FADV_SEQUENTIAL
		if (S_ISREG(st.st_mode))
			(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
		if (S_ISREG(st.st_mode))
			total = (uint64_t)st.st_size;
		if (S_ISFIFO(st.st_mode))
			grow_pipe(fd);
	}
	bk_progress_init(&pr, s->progress, bk_input_name(name), total);
	for (i = 0; i < n; i++)
		bk_digest_init(&d[i], algs[i]);
	for (;;) {
		r = read(fd, s->buf, BUF_SIZE);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			bk_progress_end(&pr);
			for (i = 0; i < n; i++)
				bk_digest_final(&d[i], md[i]);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		for (i = 0; i < n; i++)
			bk_digest_update(&d[i], s->buf, (size_t)r);
		bk_progress_add(&pr, (uint64_t)r);
		s->nbytes += (uint64_t)r;
	}
	bk_progress_end(&pr);
	for (i = 0; i < n; i++)
		bk_digest_final(&d[i], md[i]);
	s->nfiles++;
	return 0;
}

/*
 * Opens a file to digest ("-" is standard input).  Returns the descriptor,
 * or -1 after a warning and noting the exit code.
 */
static int
open_file(struct sum *s, const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		problem(s, bk_open_errno_code(errno), 1,
		    "could not open \"%s\"", path);
	}
	return fd;
}

static void
close_file(int fd)
{
	if (fd != STDIN_FILENO)
		close(fd);
}

/* The exit code for a failure to read an input with this errno. */
static int
read_errno_code(int e)
{
	return e == EISDIR ? BK_EX_NOINPUT : BK_EX_IOERR;
}

/*
 * bk-sum [FILE...]: one line per file and algorithm.  A file that cannot
 * be read is reported and skipped; the others are still digested.  With
 * -o, the list is committed only if every file was digested.
 */
static int
sum_files(struct sum *s, int argc, char **argv)
{
	static char dash[] = "-";
	static char *stdin_only[] = { dash };
	unsigned char md[MAX_ALGS][BK_DIGEST_MAX];
	struct bk_out out;
	struct line l = { NULL, 0, 0 };
	size_t i;
	int k, fd;

	if (argc == 0) {
		argc = 1;
		argv = stdin_only;
	}
	bk_out_open(&out, s->output, s->force ? BK_OUT_FORCE : 0);
	for (k = 0; k < argc; k++) {
		if ((fd = open_file(s, argv[k])) < 0)
			continue;
		if (digest_fd(s, fd, argv[k], s->algs, s->nalgs, md) < 0) {
			problem(s, read_errno_code(errno), 1,
			    "could not read \"%s\"", bk_input_name(argv[k]));
			close_file(fd);
			continue;
		}
		close_file(fd);
		l.len = 0;
		for (i = 0; i < s->nalgs; i++)
			format_line(&l, s, s->algs[i], md[i], argv[k]);
		bk_out_write(&out, l.p, l.len);
	}
	free(l.p);
	if (s->code != 0) {
		bk_out_abort(&out);
		return s->code;
	}
	bk_out_commit(&out);
	return BK_EX_OK;
}

/*
 * Writes a piece of the stream to standard output.  When the reader has
 * gone (EPIPE) or the write fails, the digest file must not appear: it is
 * removed first, then the program dies of SIGPIPE as cat would, or exits
 * 74.  (bk_out_write cannot do this itself when SIGPIPE was ignored.)
 */
static void
tee_write(struct bk_out *out, struct bk_out *dig, const void *p, size_t n)
{
	int e;

	if (out->path != NULL) {
		bk_out_write(out, p, n);
		return;
	}
	if (bk_write_full(out->fd, p, n) == 0)
		return;
	e = errno;
	if (dig != NULL)
		bk_out_abort(dig);
	if (e == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	errno = e;
	bk_err(BK_EX_IOERR, "could not write standard output");
}

/*
 * --tee hands each piece it copied to one thread per algorithm through a
 * ring of a few buffers, so that reading and writing the stream overlap
 * with digesting it, and several digests run side by side.  The copy then
 * costs little more than the slowest digest alone.  A buffer is reused
 * only when every digest thread is done with it.
 */
#define RING_SLOTS	4

struct ring {
	pthread_mutex_t	 mu;
	pthread_cond_t	 filled;	/* a slot was published, or the end */
	pthread_cond_t	 freed;		/* a digest thread finished a slot */
	unsigned char	*buf[RING_SLOTS];
	size_t		 len[RING_SLOTS];
	uint64_t	 produced;	/* slots published so far */
	uint64_t	 done[MAX_ALGS];	/* slots each thread digested */
	size_t		 nthreads;
	int		 eof;
};

struct hasher {
	struct ring	*ring;
	struct bk_digest d;
	size_t		 idx;
	pthread_t	 thread;
};

static void *
hash_slots(void *arg)
{
	struct hasher *h = arg;
	struct ring *g = h->ring;
	size_t slot;

	for (;;) {
		pthread_mutex_lock(&g->mu);
		while (g->done[h->idx] == g->produced && !g->eof)
			pthread_cond_wait(&g->filled, &g->mu);
		if (g->done[h->idx] == g->produced) {
			pthread_mutex_unlock(&g->mu);
			return NULL;
		}
		slot = (size_t)(g->done[h->idx] % RING_SLOTS);
		pthread_mutex_unlock(&g->mu);
		bk_digest_update(&h->d, g->buf[slot], g->len[slot]);
		pthread_mutex_lock(&g->mu);
		g->done[h->idx]++;
		pthread_cond_signal(&g->freed);
		pthread_mutex_unlock(&g->mu);
	}
}

/* Waits until the next slot is free of every digest thread; returns it. */
static size_t
ring_next(struct ring *g)
{
	uint64_t oldest;
	size_t i;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		oldest = g->produced;
		for (i = 0; i < g->nthreads; i++)
			if (g->done[i] < oldest)
				oldest = g->done[i];
		if (g->produced - oldest < RING_SLOTS)
			break;
		pthread_cond_wait(&g->freed, &g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return (size_t)(g->produced % RING_SLOTS);
}

static void
ring_publish(struct ring *g, size_t slot, size_t len, int eof)
{
	pthread_mutex_lock(&g->mu);
	if (eof)
		g->eof = 1;
	else {
		g->len[slot] = len;
		g->produced++;
	}
	pthread_cond_broadcast(&g->filled);
	pthread_mutex_unlock(&g->mu);
}

/*
 * bk-sum --tee: copies standard input to the output unchanged while
 * digesting it, then writes the digest lines.  The digest file is opened
 * first (so a refusal costs no data) and committed last, only after every
 * byte reached the output: a failed write exits before it, and the atomic
 * output removes the temporary digest file.
 */
static int
sum_tee(struct sum *s)
{
	struct hasher h[MAX_ALGS];
	struct ring g;
	unsigned char md[BK_DIGEST_MAX];
	struct bk_out out, dig;
	struct bk_progress pr;
	struct line l = { NULL, 0, 0 };
	const char *name;
	ssize_t r;
	size_t i, slot;

	bk_out_open(&out, s->output, s->force ? BK_OUT_FORCE : 0);
	if (s->digest_to != NULL)
		bk_out_open(&dig, s->digest_to, s->force ? BK_OUT_FORCE : 0);
	bk_progress_init(&pr, s->progress, "(stdin)", 0);
	grow_pipe(STDIN_FILENO);
	if (out.path == NULL)
		grow_pipe(STDOUT_FILENO);

	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.filled, NULL);
	pthread_cond_init(&g.freed, NULL);
	for (i = 0; i < RING_SLOTS; i++)
		g.buf[i] = bk_malloc(BUF_SIZE);
	g.nthreads = s->nalgs;
	for (i = 0; i < s->nalgs; i++) {
		h[i].ring = &g;
		h[i].idx = i;
		bk_digest_init(&h[i].d, s->algs[i]);
		if (pthread_create(&h[i].thread, NULL, hash_slots, &h[i]) != 0)
			bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	}
	for (;;) {
		slot = ring_next(&g);
		r = read(STDIN_FILENO, g.buf[slot], BUF_SIZE);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			bk_err(BK_EX_IOERR, "could not read standard input");
		}
		if (r == 0)
			break;
		tee_write(&out, s->digest_to != NULL ? &dig : NULL,
		    g.buf[slot], (size_t)r);
		ring_publish(&g, slot, (size_t)r, 0);
		bk_progress_add(&pr, (uint64_t)r);
		s->nbytes += (uint64_t)r;
	}
	ring_publish(&g, 0, 0, 1);
	for (i = 0; i < s->nalgs; i++)
		pthread_join(h[i].thread, NULL);
	bk_progress_end(&pr);
	s->nfiles = 1;

	name = s->name != NULL ? s->name :
	    s->output != NULL && strcmp(s->output, "-") != 0 ? s->output : "-";
	for (i = 0; i < s->nalgs; i++) {
		bk_digest_final(&h[i].d, md);
		format_line(&l, s, s->algs[i], md, name);
	}
	if (s->digest_to != NULL) {
		/* The output and its digest: both or neither. */
		bk_out_write(&dig, l.p, l.len);
		bk_out_commit2(&out, &dig);
	} else
		bk_out_commit(&out);
	if (s->digest_to == NULL && bk_write_full(STDERR_FILENO, l.p,
	    l.len) < 0)
		bk_err(BK_EX_IOERR, "could not write the digest to standard "
		    "error");
	free(l.p);
	for (i = 0; i < RING_SLOTS; i++)
		free(g.buf[i]);
	pthread_cond_destroy(&g.freed);
	pthread_cond_destroy(&g.filled);
	pthread_mutex_destroy(&g.mu);
	return BK_EX_OK;
}

/* ---- checking ---- */

static int
requested(const struct sum *s, const struct bk_digest_alg *alg)
{
	size_t i;

	for (i = 0; i < s->nalgs; i++)
		if (s->algs[i] == alg)
			return 1;
	return 0;
}

/*
 * Prints "NAME: RESULT".  Like coreutils, a name holding a newline is
 * escaped, with a leading backslash, so that each result stays one line.
 */
static void
print_result(struct sum *s, const char *name, const char *result,
    int failed)
{
	struct line l = { NULL, 0, 0 };
	int esc;

	s->nchecked++;
	if (failed)
		s->nfailed++;
	if (s->status || (s->quiet && !failed))
		return;
	esc = strchr(name, '\n') != NULL;
	if (esc)
		line_str(&l, "\\");
	line_name(&l, name, esc);
	printf("%s: %s\n", l.p, result);
	free(l.p);
}

static void
check_entry(struct sum *s, const struct bk_sumentry *e)
{
	unsigned char md[1][BK_DIGEST_MAX];
	char hex[2 * BK_DIGEST_MAX + 1];
	int fd;

	if (strcmp(e->name, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(e->name, O_RDONLY | O_CLOEXEC)) < 0) {
		problem(s, BK_EX_FAIL, 1, "could not open \"%s\"", e->name);
		print_result(s, e->name, "FAILED open or read", 1);
		return;
	}
	if (digest_fd(s, fd, e->name, &e->alg, 1, md) < 0) {
		problem(s, BK_EX_FAIL, 1, "could not read \"%s\"",
		    bk_input_name(e->name));
		print_result(s, e->name, "FAILED open or read", 1);
		close_file(fd);
		return;
	}
	close_file(fd);
	bk_hex(hex, md[0], e->alg->len);
	if (strcmp(hex, e->hex) == 0)
		print_result(s, e->name, "OK", 0);
	else {
		print_result(s, e->name, "FAILED", 1);
		note(s, BK_EX_FAIL);
	}
}

/*
 * Checks one list.  Every line is checked, whatever happens to the ones
 * before it; malformed lines are reported with their number and count as
 * failures (coreutils skips them silently unless --strict).  The lines
 * are read by common/sumlist.c, as bk-verify -c reads them, so that the
 * two tools accept the same lists and give the same reasons.
 */
static void
check_list(struct sum *s, const char *path)
{
	const char *why, *shown = bk_input_name(path);
	struct bk_sumlist l;
	struct bk_sumentry e;
	FILE *fp;
	int r;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		problem(s, bk_open_errno_code(errno), 1,
		    "could not open \"%s\"", path);
		return;
	}
	bk_sumlist_init(&l, fp, s->explicit_algs ? s->algs : NULL, s->nalgs);
	while ((r = bk_sumlist_next(&l, &e, &why)) > 0) {
		if (why != NULL) {
			problem(s, BK_EX_FAIL, 0, "%s:%lu: malformed line: %s",
			    shown, l.lineno, why);
			continue;
		}
		check_entry(s, &e);
	}
	if (r < 0) {
		problem(s, read_errno_code(errno), 1, "could not read \"%s\"",
		    shown);
	} else if (l.nlines == 0) {
		problem(s, BK_EX_FAIL, 0, "%s: no digest lines", shown);
	}
	bk_sumlist_free(&l);
	if (fp != stdin)
		fclose(fp);
}

static int
check_lists(struct sum *s, int argc, char **argv)
{
	int k;

	if (argc == 0)
		check_list(s, "-");
	for (k = 0; k < argc; k++)
		check_list(s, argv[k]);
	return s->code;
}

static void
add_alg(struct sum *s, const char *name)
{
	const struct bk_digest_alg *alg;

	if ((alg = bk_digest_lookup(name)) == NULL)
		bk_usage_error("unknown algorithm \"%s\" (sha256, sha512, "
		    "sha1, md5, sha3-256, blake2b512)", name);
	if (requested(s, alg))
		bk_usage_error("algorithm \"%s\" given twice", name);
	if (s->nalgs == MAX_ALGS)
		bk_usage_error("too many algorithms");
	s->algs[s->nalgs++] = alg;
	s->explicit_algs = 1;
}

static const char optstring[] = "cfho:Pqv";

static const struct option longopts[] = {
	{ "algorithm",	required_argument,	NULL, OPT_ALGORITHM },
	{ "check",	no_argument,		NULL, 'c' },
	{ "force",	no_argument,		NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "progress",	no_argument,		NULL, 'P' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "tag",	no_argument,		NULL, OPT_TAG },
	{ "tee",	no_argument,		NULL, OPT_TEE },
	{ "name",	required_argument,	NULL, OPT_NAME },
	{ "digest-to",	required_argument,	NULL, OPT_DIGEST_TO },
	{ "status",	no_argument,		NULL, OPT_STATUS },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 }
};

/* -c and --tee: one mode, whichever comes first refusing the other. */
static void
set_mode(struct sum *s, enum mode m)
{
	if (s->mode != MODE_DIGEST && s->mode != m)
		bk_usage_error("-c and --tee exclude each other");
	s->mode = m;
}

/* The options into s, and the verbosity set; returns optind. */
static int
parse_options(struct sum *s, int argc, char *argv[])
{
	int ch, verbosity = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_ALGORITHM:
			add_alg(s, optarg);
			break;
		case 'c':
			set_mode(s, MODE_CHECK);
			break;
		case 'f':
			s->force = 1;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'o':
			s->output = optarg;
			break;
		case 'P':
			s->progress = 1;
			break;
		case 'q':
			s->quiet = 1;
			verbosity = -1;
			break;
		case 'v':
			verbosity = 1;
			break;
		case OPT_TAG:
			s->tag = 1;
			break;
		case OPT_TEE:
			set_mode(s, MODE_TEE);
			break;
		case OPT_NAME:
			s->name = optarg;
			break;
		case OPT_DIGEST_TO:
			s->digest_to = optarg;
			break;
		case OPT_STATUS:
			s->status = 1;
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	bk_set_verbosity(verbosity);
	return optind;
}

/* What the mode refuses; argc counts the operands. */
static void
check_options(const struct sum *s, int argc)
{
	if (s->mode != MODE_CHECK && s->status)
		bk_usage_error("--status applies only to -c");
	if (s->mode == MODE_CHECK && (s->tag || s->output != NULL ||
	    s->force))
		bk_usage_error("-c takes none of --tag, -o, -f");
	if (s->mode != MODE_TEE && (s->name != NULL || s->digest_to != NULL))
		bk_usage_error("--name and --digest-to apply only to --tee");
	if (s->mode == MODE_TEE && argc > 0)
		bk_usage_error("--tee reads standard input only");
}

/* Runs the mode and says, with -v, what it did. */
static int
run(struct sum *s, int argc, char *argv[])
{
	int code;

	if (s->nalgs == 0)
		s->algs[s->nalgs++] = bk_digest_lookup("sha256");
	if (s->mode != MODE_TEE)
		s->buf = bk_malloc(BUF_SIZE);
	switch (s->mode) {
	case MODE_CHECK:
		code = check_lists(s, argc, argv);
		break;
	case MODE_TEE:
		code = sum_tee(s);
		break;
	default:
		code = sum_files(s, argc, argv);
		break;
	}
	if (s->mode == MODE_CHECK)
		bk_info("%ju file%s checked, %ju failed",
		    (uintmax_t)s->nchecked, s->nchecked == 1 ? "" : "s",
		    (uintmax_t)s->nfailed);
	else
		bk_info("%ju file%s, %ju bytes digested", (uintmax_t)s->nfiles,
		    s->nfiles == 1 ? "" : "s", (uintmax_t)s->nbytes);
	free(s->buf);
	return code;
}

int
main(int argc, char *argv[])
{
	struct sum s;
	int n;

	bk_init(argc, argv);
	memset(&s, 0, sizeof(s));
	s.mode = MODE_DIGEST;
	n = parse_options(&s, argc, argv);
	check_options(&s, argc - n);
	return bk_finish(run(&s, argc - n, argv + n));
}
