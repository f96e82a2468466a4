/*
 * sum.h: what the parts of bk-sum share.  tools/bk-sum.c has main(), the
 * options, the messages and the digest lines; the parts are, one per
 * mode:
 *
 *   files.c  bk-sum [file ...]: the inputs read and digested (-c reads
 *            its files through it too)
 *   tee.c    --tee: the stream copied while threads digest it
 *   check.c  -c: the lists checked
 *
 * Includes the format layer it builds on.
 */
#ifndef BK_TOOL_SUM_H
#define BK_TOOL_SUM_H

#include <stddef.h>
#include <stdint.h>

#include "format/format.h"

#define MAX_ALGS	8
/*
 * Reads of 1 MiB make the cost of each read(2) negligible next to hashing
 * the data, and match the largest pipe an unprivileged process may ask
 * for (see grow_pipe).
 */
#define BUF_SIZE	(1024 * 1024)

enum mode { MODE_DIGEST, MODE_CHECK, MODE_TEE };

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
 * A growing string, for building one output line whose name may be long.
 */
struct line {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* ---- bk-sum.c: the exit code, the messages, the lines ---- */

void	note(struct sum *, int);
void	problem(struct sum *, int, int, const char *, ...) BK_PRINTF(4, 5);
void	line_str(struct line *, const char *);
void	line_name(struct line *, const char *, int);
void	format_line(struct line *, const struct sum *,
	    const struct bk_digest_alg *, const unsigned char *, const char *);

/* ---- files.c: the inputs digested ---- */

void	grow_pipe(int);
int	digest_fd(struct sum *, int, const char *,
	    const struct bk_digest_alg *const *, size_t,
	    unsigned char [][BK_DIGEST_MAX]);
void	close_file(int);
int	read_errno_code(int);
int	sum_files(struct sum *, int, char **);

/* ---- tee.c and check.c: the other two modes ---- */

int	sum_tee(struct sum *);
int	check_lists(struct sum *, int, char **);

#endif
