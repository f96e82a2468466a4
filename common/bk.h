/*
 * bk.h: the helpers every bk tool shares.  One header for the suite, one
 * .c file in common/ per concern, all built into common/libbk.a.
 */
#ifndef BK_H
#define BK_H

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* ---- alloc.c: checked allocation (out of memory exits 70) ---- */

void	*bk_malloc(size_t);
void	*bk_calloc(size_t, size_t);
void	*bk_realloc(void *, size_t);
void	*bk_reallocarray(void *, size_t, size_t);
char	*bk_strdup(const char *);
char	*bk_asprintf(const char *, ...) BK_PRINTF(1, 2);
/* Overwrites memory in a way the compiler may not optimise away. */
void	bk_explicit_bzero(void *, size_t);

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
 * Exits 73 on failure, 64 for binary data to a terminal without force.
 * Until bk_out_commit, the temporary file is removed when the program
 * exits (bk_err*, return from main) or is killed by SIGINT/SIGTERM/SIGHUP.
 */
void	bk_out_open(struct bk_out *, const char *, int);
/* Writes all bytes or exits 74 naming the output. */
void	bk_out_write(struct bk_out *, const void *, size_t);
/*
 * Makes the output final: fsync, rename over path (or link, refusing an
 * existing file, without BK_OUT_FORCE), fsync of the folder.  For stdout,
 * does nothing (bk_finish checks it).  Exits 73/74 on failure.
 */
void	bk_out_commit(struct bk_out *);
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

extern const struct bk_digest_alg bk_digest_algs[];	/* ends with a NULL name */

/* Finds an algorithm by name, case-insensitively; NULL if unknown. */
const struct bk_digest_alg *bk_digest_lookup(const char *);
void	bk_digest_init(struct bk_digest *, const struct bk_digest_alg *);
void	bk_digest_update(struct bk_digest *, const void *, size_t);
/* Writes alg->len bytes to out and frees the context. */
void	bk_digest_final(struct bk_digest *, unsigned char *);
/* Writes 2n lowercase hex digits and a NUL to out. */
void	bk_hex(char *, const unsigned char *, size_t);

/* ---- parse.c: sizes, durations, dates ---- */

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
 * Parses a date: RFC 3339 (2024-09-01T12:00:00Z, with an offset, with
 * fractional seconds), "YYYY-MM-DD HH:MM[:SS]", or "YYYY-MM-DD".  A date
 * without an offset is local time.  Stores the time and the UTC offset in
 * seconds east (local offset when none was given).  Returns 0 or -1.
 */
int	bk_parse_date(const char *, time_t *, long *);
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
/* Days since 1970-01-01 of a civil date, and the inverse. */
int64_t	bk_days_from_civil(int64_t, unsigned, unsigned);
void	bk_civil_from_days(int64_t, int64_t *, unsigned *, unsigned *);
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
/* Reads from r until n bytes or end of stream; like read's result. */
ssize_t	bk_reader_read_full(struct bk_reader *, void *, size_t);
void	bk_reader_close(struct bk_reader *);

/* ---- detect.c: layers by their magic bytes ---- */

enum bk_layer {
	BK_LAYER_UNKNOWN = 0,
	BK_LAYER_GZIP,
	BK_LAYER_AGE,		/* binary header: age-encryption.org/v1 */
	BK_LAYER_AGE_ARMOR,	/* -----BEGIN AGE ENCRYPTED FILE----- */
	BK_LAYER_SQLITE,
	BK_LAYER_PGDUMP,	/* plain pg_dump script */
	BK_LAYER_SQL,
	BK_LAYER_JSONL,
	BK_LAYER_CSV,
	BK_LAYER_EMPTY
};

/* Classifies the first bytes of a stream (at least 512 when available). */
enum bk_layer bk_detect(const void *, size_t);
/* A short name for a layer: gzip, age, sqlite, pg_dump, sql, csv, ... */
const char *bk_layer_name(enum bk_layer);

/* ---- gunzip.c: streaming gzip decoding (RFC 1952) ---- */

/* ---- csvread.c: strict RFC 4180 reading over libcsv ---- */

/* The default cap on one record (all its bytes), which bounds memory. */
#define BK_CSV_MAX_RECORD	((size_t)16 << 20)

/*
 * One field of a record: its bytes (valid UTF-8 without NUL, not
 * NUL-terminated) and whether it was empty and unquoted, which PostgreSQL
 * reads as NULL (a quoted "" is an empty string).
 */
struct bk_csv_field {
	const char	*p;
	size_t		 len;
	int		 null;
};

/* Output that the callbacks append to; it grows as needed. */
struct bk_csv_buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

/* Makes room for n more bytes at b->p + b->len. */
void	bk_csv_buf_grow(struct bk_csv_buf *, size_t);

static inline char *
bk_csv_buf_room(struct bk_csv_buf *b, size_t n)
{
	if (b->size - b->len < n)
		bk_csv_buf_grow(b, n);
	return b->p + b->len;
}

/*
 * What the reader calls.  header gets the first record, once, in the
 * calling thread.  record gets every other record, possibly in a worker
 * thread (so it may only read shared state), and appends its output to
 * out.  write receives the outputs in input order, in the calling thread.
 * header and write may exit the program (bk_err*); record must not.
 */
struct bk_csv_ops {
	void	(*header)(void *, const struct bk_csv_field *, size_t,
		    struct bk_csv_buf *);
	void	(*record)(void *, const struct bk_csv_field *, size_t,
		    struct bk_csv_buf *);
	void	(*write)(void *, const void *, size_t);
};

struct bk_csv_opts {
	const char		*name;		/* input name for messages */
	int			 threads;	/* workers; 0 or 1: none */
	size_t			 max_record;	/* 0: BK_CSV_MAX_RECORD */
	struct bk_progress	*progress;	/* bytes read, or NULL */
};

struct bk_csv_result {
	uint64_t	 records;	/* records after the header */
	size_t		 fields;	/* fields in the header */
	uint64_t	 bytes;		/* bytes read */
	int		 code;		/* 0, or the exit code of the error */
	char		 err[600];	/* one line: "NAME" line L, column C: ... */
};

/*
 * Reads CSV (RFC 4180: comma, double quotes, CRLF or LF, the last line
 * break optional) from r in constant memory.  A leading UTF-8 byte order
 * mark is skipped.  Spaces are data.  Every record must have as many
 * fields as the header, be valid UTF-8 without NUL bytes, and be at most
 * max_record bytes; a blank line is a record of one empty unquoted field.
 * Input without even a header is an error.  Returns 0, or the exit code
 * (65 bad data, 74 I/O, 70 out of memory) with a message in res->err and
 * nothing more passed to write after the records before the error.
 */
int	bk_csv_read(struct bk_reader *, const struct bk_csv_opts *,
	    const struct bk_csv_ops *, void *, struct bk_csv_result *);

/* ---- age.c: the age v1 format ---- */

/* ---- manifest.c: the manifest (JSON Lines), its lock and rewrite ---- */

#endif /* BK_H */
