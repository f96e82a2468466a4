/*
 * platform.h: the bottom layer every bk tool and every other part of
 * common/ stands on: the program's name, messages and exit codes, checked
 * allocation, full reads and writes, atomic output, parsing of sizes,
 * durations and dates, the progress meter, the compressors' command line,
 * the terminal and secrets.
 * It includes no other bk header.
 */
#ifndef BK_PLATFORM_H
#define BK_PLATFORM_H

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifndef BK_VERSION
#define BK_VERSION "0.1.0"
#endif

#if defined(__GNUC__)
#define BK_NORETURN	__attribute__((__noreturn__))
#define BK_PRINTF(a, b)	__attribute__((__format__(__printf__, a, b)))
#else
#define BK_NORETURN
#define BK_PRINTF(a, b)
#endif

/* Exit codes: DESIGN.md, after sysexits(3). */
enum {
	BK_EX_OK = 0,		/* success */
	BK_EX_FAIL = 1,		/* a check ran and failed */
	BK_EX_USAGE = 64,	/* bad command line */
	BK_EX_DATAERR = 65,	/* bad input data */
	BK_EX_NOINPUT = 66,	/* input missing or unreadable */
	BK_EX_UNAVAILABLE = 69,	/* service unavailable (database) */
	BK_EX_SOFTWARE = 70,	/* internal error, out of memory */
	BK_EX_CANTCREAT = 73,	/* cannot create output */
	BK_EX_IOERR = 74,	/* I/O error */
	BK_EX_TEMPFAIL = 75,	/* temporary failure (lock busy) */
	BK_EX_NOPERM = 77,	/* permission denied */
	BK_EX_CONFIG = 78	/* bad configuration */
};

/* ---- prog.c: program set-up, messages, finishing ---- */

extern const char *bk_progname;

/* Sets bk_progname from argv[0] and the process defaults (umask 077). */
void	bk_init(int argc, char *argv[]);

/*
 * Messages, with the meanings of err(3): "prog: error: MSG: strerror(errno)"
 * (bk_err, bk_warn) or without the errno part (bk_errx, bk_warnx).  The
 * bk_err* functions exit with the given code.  bk_verbose messages appear
 * only after bk_set_verbosity(>0); bk_quiet suppresses warnings.
 */
void	bk_err(int, const char *, ...) BK_PRINTF(2, 3) BK_NORETURN;
void	bk_errx(int, const char *, ...) BK_PRINTF(2, 3) BK_NORETURN;
void	bk_warn(const char *, ...) BK_PRINTF(1, 2);
void	bk_warnx(const char *, ...) BK_PRINTF(1, 2);
void	bk_info(const char *, ...) BK_PRINTF(1, 2);
void	bk_set_verbosity(int);	/* -1 quiet, 0 normal, >0 verbose */
int	bk_verbosity(void);

/* A usage error: message, a hint to run --help, exit 64. */
void	bk_usage_error(const char *, ...) BK_PRINTF(1, 2) BK_NORETURN;
/*
 * After getopt_long returned '?' or ':': says which option was unknown or
 * lacked its argument (optstring as given to getopt_long), exits 64.
 */
void	bk_bad_option(char *[], const char *) BK_NORETURN;
/* Prints "PROG (bk) VERSION" on stdout and exits through bk_finish. */
void	bk_print_version(void) BK_NORETURN;
/* Prints the text on stdout and exits through bk_finish (for --help). */
void	bk_print_usage(const char *) BK_NORETURN;
/*
 * Flushes and closes stdout; a failure to do so exits 74 (so that a tool
 * writing to /dev/full fails).  Returns code otherwise, for
 * "return bk_finish(code);" at the end of main.
 */
int	bk_finish(int);

/* ---- alloc.c: checked allocation (out of memory exits 70), buffers ---- */

void	*bk_malloc(size_t);
void	*bk_calloc(size_t, size_t);
void	*bk_realloc(void *, size_t);
void	*bk_reallocarray(void *, size_t, size_t);
char	*bk_strdup(const char *);
char	*bk_asprintf(const char *, ...) BK_PRINTF(1, 2);
/* Overwrites memory (OPENSSL_cleanse), out of the optimiser's reach. */
void	bk_explicit_bzero(void *, size_t);

/* Output that writers append to; it grows as needed. */
struct bk_buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

/* Makes room for n more bytes at b->p + b->len. */
void	bk_buf_grow(struct bk_buf *, size_t);

static inline char *
bk_buf_room(struct bk_buf *b, size_t n)
{
	/* An empty buffer has no storage yet: p + 0 would be NULL + 0. */
	if (b->p == NULL || b->size - b->len < n)
		bk_buf_grow(b, n);
	return b->p + b->len;
}

/* Appends n bytes. */
static inline void
bk_buf_add(struct bk_buf *b, const void *p, size_t n)
{
	memcpy(bk_buf_room(b, n), p, n);
	b->len += n;
}

/* ---- io.c: full reads and writes, inputs ---- */

/*
 * Reads until n bytes or end of file, retrying EINTR.  Returns the bytes
 * read (short only at end of file) or -1 with errno set.
 */
ssize_t	bk_read_full(int, void *, size_t);
/*
 * Writes all n bytes, retrying EINTR and short writes; a write of zero
 * bytes counts as ENOSPC.  Returns 0 or -1 with errno set.
 */
int	bk_write_full(int, const void *, size_t);
/*
 * Opens an input file for reading ("-" or NULL is standard input).  On
 * failure, exits with 66 (missing), 77 (permission) or 74 (other).
 */
int	bk_open_input(const char *);
/* The name to show for an input: "-" and NULL become "(stdin)". */
const char *bk_input_name(const char *);
/* The exit code that suits a failure to open a file with this errno. */
int	bk_open_errno_code(int);
/*
 * The space of the file system holding path, in bytes: what an
 * unprivileged user may still write (statvfs's f_bavail) and its whole
 * size.  Returns 0, or -1 with errno set.
 */
int	bk_fs_space(const char *, uint64_t *, uint64_t *);

/* ---- atomic.c: atomic output for -o FILE ---- */

#define BK_OUT_FORCE	0x01	/* -f: replace an existing file, write a tty */
#define BK_OUT_BINARY	0x02	/* refuse a terminal on stdout without -f */

struct bk_out {
	int	 fd;		/* write here */
	char	*path;		/* final path, NULL for stdout */
	char	*tmp;		/* temporary path in the same folder */
	int	 flags;
	int	 slot;		/* index in the cleanup table, -1 if none */
};

/*
 * Opens output: stdout when path is NULL or "-", else a temporary file
 * (mode 0600) beside path.  Refuses an existing path unless BK_OUT_FORCE.
 * An existing device or FIFO (/dev/null) is opened and written in place.
 * Exits 73 on failure, 64 for binary data to a terminal without force.
 * Until bk_out_commit, the temporary file is removed when the program
 * exits (bk_err*, return from main) or is killed by SIGINT/SIGTERM/SIGHUP.
 */
void	bk_out_open(struct bk_out *, const char *, int);
/*
 * Whether a file name is one of bk's temporaries, ".NAME.bk-XXXXXX" (this
 * file's and the manifest's rewrite); one that stays was left by a run
 * that was killed.
 */
int	bk_is_tmp_name(const char *);
/* Writes all bytes or exits 74 naming the output. */
void	bk_out_write(struct bk_out *, const void *, size_t);
/*
 * Makes the output final: fsync, rename over path (or link, refusing an
 * existing file, without BK_OUT_FORCE), fsync of the folder.  For stdout,
 * does nothing (bk_finish checks it).  Exits 73/74 on failure, leaving
 * nothing at path (a folder that cannot be synced takes the name back).
 * Commit and abort free path and tmp: copy the name first if it is needed
 * afterwards.
 */
void	bk_out_commit(struct bk_out *);
/*
 * Commits the first output, then the second, which goes with it (the
 * counts or the digest beside an output): if the second cannot be
 * committed, the first is removed again, so that a run leaves both or
 * neither.
 */
void	bk_out_commit2(struct bk_out *, struct bk_out *);
/* Removes the temporary file; safe to call twice or after commit. */
void	bk_out_abort(struct bk_out *);
/* The name to show in messages: the path or "(stdout)". */
const char *bk_out_name(const struct bk_out *);
/*
 * Registers or forgets a temporary path that must be removed if the program
 * dies before it is renamed (for tools that manage files themselves, such
 * as the manifest writer).  Returns a slot for bk_tmp_forget.
 */
int	bk_tmp_register(const char *);
void	bk_tmp_forget(int);
/* fsyncs the folder holding path; returns 0 or -1 with errno set. */
int	bk_fsync_dir(const char *);

/* ---- parse.c: sizes, durations, dates, their text, the calendar ---- */

/*
 * Parses a size such as 512, 64K, 1.5M, 1G, 2T (powers of 1024; an optional
 * "B" or "iB" after the unit).  Returns 0 or -1 if malformed or too large.
 */
int	bk_parse_size(const char *, uint64_t *);
/*
 * Parses a duration: one or more NUMBER UNIT pairs with units s, m (minutes),
 * h, d, w, y (365 days), for example 30d, 12h, 1y, 1d12h; a bare number is
 * seconds.  Returns 0 or -1.
 */
int	bk_parse_duration(const char *, int64_t *);
/*
 * A whole number in decimal digits only (no sign, no blanks) from lo to
 * hi: 0 with *v set, else -1.  The option parsers below are built on it.
 */
int	bk_parse_number(const char *, long long, long long, long long *);
/*
 * Parses the argument of -w/--wait, how long to wait for the manifest's
 * lock: a whole number of seconds (0: do not wait), or "unlimited" for
 * -1 (for ever).  Anything else exits 64 through bk_usage_error with
 * 'bad number of seconds "ARG"', the same in every tool.
 */
int	bk_parse_wait(const char *);
/*
 * Parses the argument of -j/--threads: a whole number from 1 to
 * BK_MAX_THREADS.  Anything else exits 64 through bk_usage_error with
 * 'bad thread count "ARG" (1 to 256)', the same in every tool.
 */
#define BK_MAX_THREADS	256
int	bk_parse_threads(const char *);
/*
 * Parses the argument of --passphrase-fd: a descriptor number.  Anything
 * else exits 64 through bk_usage_error with 'bad --passphrase-fd "ARG"'.
 */
int	bk_parse_passfd(const char *);
/*
 * Parses a date: RFC 3339 (2024-09-01T12:00:00Z, with an offset, with
 * fractional seconds), "YYYY-MM-DD HH:MM[:SS]", or "YYYY-MM-DD".  A date
 * without an offset is local time.  Stores the time and the UTC offset in
 * seconds east (local offset when none was given).  Returns 0 or -1.
 */
int	bk_parse_date(const char *, time_t *, long *);
/*
 * Parses a month, "YYYY-MM" (year 0001 to 9999, month 01 to 12), the
 * argument of --month.  Stores the year and month; returns 0 or -1.
 */
int	bk_parse_month(const char *, int *, int *);
/*
 * Finds a timestamp in a file name: 20250627_143022, 2025-06-27T14:30:22,
 * 2025-06-27_14-30-22, 2025-06-27, 2025_06_27, 20250627, 2024_09, 2024-09.
 * The date is taken as local time.  Returns 0 or -1 if none.
 */
int	bk_parse_name_date(const char *, time_t *);
/*
 * Formats t as RFC 3339 with the given UTC offset in seconds east
 * (2024-09-01T12:00:00+02:00, or Z for 0).  buf holds at least 32 bytes.
 */
void	bk_format_rfc3339(char *, size_t, time_t, long);
/* The local UTC offset at time t, in seconds east. */
long	bk_local_offset(time_t);
/* The calendar of an instant as seen at a UTC offset (proleptic Gregorian). */
struct bk_calendar {
	int64_t		 year;
	unsigned	 month;		/* 1 to 12 */
	unsigned	 day;		/* 1 to 31 */
	unsigned	 hour;		/* 0 to 23 */
	int64_t		 iso_year;	/* the ISO 8601 week's year */
	unsigned	 iso_week;	/* 1 to 53 */
};
/* The calendar of time t at the offset (seconds east). */
void	bk_calendar_at(time_t, long, struct bk_calendar *);
/* Formats a duration in seconds as bk_parse_duration reads it: 30d, 1d12h. */
void	bk_format_duration(char *, size_t, int64_t);
/* Formats a byte count for people: 1.5 MiB. */
void	bk_format_size(char *, size_t, uint64_t);

/* ---- progress.c: the -P progress meter ---- */

struct bk_progress {
	int		 enabled;	/* stderr is a terminal and -P given */
	const char	*label;
	uint64_t	 bytes;
	uint64_t	 total;		/* 0 if unknown */
	struct timespec	 start;
	struct timespec	 last;
};

/* Enables the meter only if want is set and stderr is a terminal. */
void	bk_progress_init(struct bk_progress *, int, const char *, uint64_t);
/* Adds n bytes; redraws the line at most a few times a second. */
void	bk_progress_add(struct bk_progress *, uint64_t);
/* Draws the final figures and ends the line. */
void	bk_progress_end(struct bk_progress *);

/* ---- codec.c: the command line and run of the compressors ---- */

enum bk_codec_mode { BK_CODEC_COMPRESS, BK_CODEC_DECOMPRESS, BK_CODEC_TEST };

/*
 * What bk-gz and bk-zstd share: the same options, the same checks, the
 * same frame around the work.  The tool sets the first block and calls
 * bk_codec_options, then bk_codec_run; its functions do the work, adding
 * to the counts and the meter and writing to out.
 */
struct bk_codec {
	const char		*usage;		/* --help's text */
	int			 level;		/* the default, then the one chosen */
	int			 level_max;	/* levels 1 to it, --best */
	int			 say_level;	/* -v's line names the level */
	void			(*compress)(struct bk_codec *);
	void			(*decompress)(struct bk_codec *); /* and -t */

	enum bk_codec_mode	 mode;
	long			 threads;	/* -j, else the processors */
	int			 force;
	int			 progress;
	const char		*input;		/* NULL for stdin */
	const char		*output;	/* NULL for stdout */

	int			 infd;
	struct bk_out		 out;		/* open unless testing */
	struct bk_progress	 meter;
	uint64_t		 in_bytes;
	uint64_t		 out_bytes;
};

/*
 * Parses the command line into c: the mode, the level (-1 to -9, and
 * -NN or --level=NN when level_max has two digits), -j, -c, -f, -o, -P,
 * -q, -v and the input; sets the verbosity.  --help, --version and the
 * refused combinations exit.
 */
void	bk_codec_options(struct bk_codec *, int, char *[]);
/*
 * Opens the input, the meter and (unless testing) the output, calls the
 * mode's function, commits, and says what it did under -v.  Returns 0:
 * the failures exit where they happen.
 */
int	bk_codec_run(struct bk_codec *);

/* ---- tty.c: the terminal, and secrets from files or descriptors ---- */

#define BK_SECRET_MAX	4096	/* longest passphrase read */

/*
 * Warns "WHAT is readable by other users (mode 0644)" when fd is a regular
 * file that other users can read or write, and returns 1; else 0.  For
 * files that hold a secret: an identity, a passphrase, a new key.
 */
int	bk_secret_exposed(int, const char *);
/* Opens the controlling terminal, /dev/tty; -1 with errno when none. */
int	bk_tty_open(void);
/*
 * Writes prompt to the terminal fd and reads one line as a passphrase
 * file is read, with the echo off unless echo is set.  The echo comes back on
 * whatever happens, SIGINT, SIGTERM, SIGHUP and SIGQUIT included.
 */
char	*bk_tty_ask(int, const char *, int, size_t *);
/*
 * The passphrase of --passphrase-file path, else of --passphrase-fd fd
 * (>= 0; made close-on-exec), else asked on the terminal (twice when
 * confirm is set).  Exits 66 without a file or terminal, 77, 74, and 65
 * when it is empty, too long or the two answers differ.
 */
char	*bk_passphrase(const char *, int, int, size_t *);

/* ---- oneline.c: another program's message as one line ---- */

/* Folds line breaks, tabs and blank runs of s into single spaces, in place. */
char	*bk_one_line(char *);

/* ---- spawn.c: another bk tool as a child ---- */

struct bk_child {
	pid_t	pid;
	int	out;	/* its standard output, to read */
};

/*
 * The path of bk tool name beside the running program, when it is
 * there and runnable; else name itself, for execvp to find in PATH
 * (malloc'd).
 */
char	*bk_tool_path(const char *);
/*
 * Starts argv[0] (a path, or a name found in PATH) with standard input
 * from /dev/null, standard output a pipe (c->out), standard error ours.
 * Exits 70 when it cannot; a program that cannot be run exits 127 after
 * one line on standard error.
 */
void	bk_spawn(struct bk_child *, char *const []);
/*
 * The same with the child's standard error on errfd (a file the caller
 * reads once the child is done: its messages become the caller's).
 */
void	bk_spawn_err(struct bk_child *, char *const [], int);
/*
 * Closes c->out (if still open) and waits for the child: its exit
 * status, or 128 + the signal that ended it.
 */
int	bk_spawn_wait(struct bk_child *);

#endif /* BK_PLATFORM_H */
