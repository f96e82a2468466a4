/*
 * files.c: the inputs of bk-sum read and digested: each opened, read once
 * with every algorithm in one pass (also for -c), and bk-sum [file ...],
 * one line per file and algorithm.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* F_SETPIPE_SZ */
#endif
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/format.h"
#include "sum.h"

/*
 * A pipe holds 64 KiB by default on Linux, so each read or write moves at
 * most that much and the two ends take turns sleeping.  A pipe as large as
 * our buffer makes cat | bk-sum --tee spend less time in that dance.  Only
 * a hint: failure (not a pipe, over /proc/sys/fs/pipe-max-size) changes
 * nothing.
 */
void
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
int
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

void
close_file(int fd)
{
	if (fd != STDIN_FILENO)
		close(fd);
}

/* The exit code for a failure to read an input with this errno. */
int
read_errno_code(int e)
{
	return e == EISDIR ? BK_EX_NOINPUT : BK_EX_IOERR;
}

/*
 * bk-sum [FILE...]: one line per file and algorithm.  A file that cannot
 * be read is reported and skipped; the others are still digested.  With
 * -o, the list is committed only if every file was digested.
 */
int
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
