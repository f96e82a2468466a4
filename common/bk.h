/*
 * bk.h: the helpers every bk tool shares.  One header for the suite, one
 * .c file in common/ per concern, all built into common/libbk.a.
 */
#ifndef BK_H
#define BK_H

#include <sys/types.h>
#include <pthread.h>

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

/* ---- sumlist.c: checksum lists (sha256sum, md5sum, ..., --tag) ---- */

/* One entry of a list; hex and name point into the line last read. */
struct bk_sumentry {
	const struct bk_digest_alg	*alg;
	char				*hex;	/* lowercase */
	char				*name;	/* unescaped */
};

/* A list being read, line by line. */
struct bk_sumlist {
	FILE				 *fp;
	const struct bk_digest_alg *const *algs;  /* the only ones allowed */
	size_t				  nalgs;	/* 0: any */
	unsigned long			  lineno;	/* of the last line */
	unsigned long			  nlines;	/* read, not comments */
	char				 *buf;
	size_t				  cap;
};

/*
 * Reads a list from fp.  With nalgs > 0 (bk-sum's -a), an untagged line
 * takes the first of algs whose digest has its length, and a tagged line
 * must name one of them; otherwise 32, 40, 64 and 128 digits are MD5,
 * SHA-1, SHA-256 and SHA-512, and a tag may name any known algorithm.
 */
void	bk_sumlist_init(struct bk_sumlist *, FILE *,
	    const struct bk_digest_alg *const *, size_t);
/*
 * Reads the next line that is not a comment ('#' first), without its LF or
 * CR LF.  Returns 1 with the entry and *why NULL, 1 with *why the reason
 * the line is malformed (nothing in the entry to use then), 0 at the end
 * of the list, or -1 when reading failed (errno set).  The caller reports;
 * a list with nlines 0 at its end held no digest line.
 */
int	bk_sumlist_next(struct bk_sumlist *, struct bk_sumentry *,
	    const char **);
/* Frees the line buffer; the caller closes fp. */
void	bk_sumlist_free(struct bk_sumlist *);
/*
 * The name with backslash, newline and carriage return written as \\, \n
 * and \r, after a backslash if lead is set: coreutils' escaped form, which
 * keeps each entry of a list or a report on one line.  bk_malloc'd.
 */
char	*bk_sumlist_escape(const char *, int);

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
/*
 * Ends a meter's line that is still open on the terminal, so that a
 * message printed now starts on a line of its own (bk_err and the other
 * message functions call it).  The next redraw goes on the new line.
 */
void	bk_progress_break(void);

/* ---- tty.c: the terminal, and secrets from files or descriptors ---- */

#define BK_SECRET_MAX	4096	/* longest passphrase read */

/*
 * Warns "WHAT is readable by other users (mode 0644)" when fd is a regular
 * file that other users can read or write, and returns 1; else 0.  For
 * files that hold a secret: an identity, a passphrase, a new key.
 */
int	bk_secret_exposed(int, const char *);
/*
 * Reads the first line of fd (without its line end) into a new buffer of
 * BK_SECRET_MAX + 2 bytes, storing its length; what names the source in
 * messages ("passphrase file \"x\""), never the contents.  Warns as
 * bk_secret_exposed does.  Exits 74 on a read error, 65 when the line is
 * too long.  Wipe and free the result.
 */
char	*bk_secret_read(int, const char *, size_t *);
/* Opens the controlling terminal, /dev/tty; -1 with errno when none. */
int	bk_tty_open(void);
/*
 * Writes prompt to the terminal fd and reads one line as bk_secret_read
 * does, with the echo off unless echo is set.  The echo comes back on
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

/* ---- conninfo.c: PostgreSQL connection strings without their secrets ---- */

/* What is recorded or shown for a string libpq cannot parse. */
#define BK_CONNINFO_UNPARSABLE	"(unparsable connection string)"

struct bk_conninfo {
	char	*plain;		/* without secrets, for messages, the manifest
				   and other programs' command lines */
	char	*password;	/* the password it held, or NULL */
	char	*secret;	/* another secret option it held, or NULL */
	int	 bare;		/* a database name, as libpq takes it */
};

/*
 * Parses a connection string or URI with libpq's PQconninfoParse, as psql
 * -d would take it: without an "=" and not a postgresql:// URI it is a
 * database name, kept as it is.  Otherwise plain is rebuilt as key=value
 * pairs (dbname first, quoted as libpq reads them) from every option
 * libpq found except those it marks secret (dispchar "*": password,
 * sslpassword and any later one), so it names the same connection
 * without them.  Returns 0, or refuses it: -1 when libpq cannot parse
 * it; -2 when a value libpq read holds what looks like a password (a
 * connection string with one, or "password="); -3 for a URI whose "@"
 * or port shows that libpq would read part of a password as a host, port
 * or name (a raw "/" or "@" in it).  After a refusal nothing is set, and
 * the string must not be shown: libpq's message (not given) may quote it.
 */
int	bk_conninfo_parse(const char *, struct bk_conninfo *);
/* Why bk_conninfo_parse refused a string (-1, -2, -3), not quoting it. */
const char *bk_conninfo_why(int);
/* Frees what bk_conninfo_parse set, wiping the password. */
void	bk_conninfo_free(struct bk_conninfo *);
/* Appends " key=value" (no blank when *s is NULL), quoted as libpq reads. */
void	bk_conninfo_add(char **, const char *, const char *);
/*
 * A source as the manifest records it (malloc'd): sqlite:PATH as it is,
 * a connection string as bk_conninfo_parse's plain, and
 * BK_CONNINFO_UNPARSABLE for one bk_conninfo_parse refuses or another
 * scheme's URI with user information (user:password@) in it.
 */
char	*bk_strip_secrets(const char *);

/* ---- sqlitefile.c: SQLite files: temporary copies, checks, copying ---- */

struct sqlite3;

/*
 * Creates a private temporary file (mode 0600) in $TMPDIR (else /tmp)
 * without a name (O_TMPFILE), so that nothing is left of it whatever
 * happens, kill -9 included; its path is /proc/self/fd/N, a descriptor of
 * its own kept open until bk_sqlite_tmp_remove (open it with
 * bk_sqlite_open_copy).  Where that cannot be (no /proc, no O_TMPFILE in
 * that file system) it is PREFIX.XXXXXX, registered for removal at exit
 * and on SIGINT, SIGTERM and SIGHUP.  Stores the path and slot; returns
 * another open descriptor (the caller closes it), or exits 73.
 * bk_sqlite_tmp_remove closes or removes it (with the -journal, -wal and
 * -shm files SQLite may have made beside a named one), and frees the path.
 */
int	bk_sqlite_tmp(const char *, char **, int *);
void	bk_sqlite_tmp_remove(char **, int);
/*
 * Opens a database file for PRAGMA integrity_check or for writing (write
 * set), the copies of bk_sqlite_tmp included: a named file read-write, as
 * a database in WAL mode needs; a copy without a name read-only as
 * immutable (no lock, no -wal or -shm file), or, to write, made a
 * rollback-journal database (bk_sqlite_unwal) with its journal in memory.
 * Returns SQLite's code; close *db in any case.
 */
int	bk_sqlite_open_copy(const char *, int, struct sqlite3 **);
/*
 * Makes a database file that says it is in WAL mode say it is not (the
 * file format versions at offsets 18 and 19), for a file that holds
 * every page itself, as a copy made by the backup API into a connection
 * without WAL does: what PRAGMA journal_mode=DELETE would do, without
 * the -wal and -shm files it makes on the way.  Returns 0 or -1.
 */
int	bk_sqlite_unwal(const char *);
/*
 * PRAGMA integrity_check on a database file (bk_sqlite_open_copy): 0 when
 * it says "ok", else -1 with its first complaint, as one line, in buf.
 */
int	bk_sqlite_integrity(const char *, char *, size_t);
/*
 * Copies database src into dst with the backup API, every page in one
 * step: dst changes in one write transaction, wholly or not at all, and
 * src is read in one read transaction.  A lock held by another connection
 * is waited for busy_ms milliseconds.  Returns SQLITE_DONE or the error.
 */
int	bk_sqlite_copy(struct sqlite3 *, struct sqlite3 *, long);

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
	BK_LAYER_AGE,		/* binary header: age-encryption.org/v1 */
	BK_LAYER_AGE_ARMOR,	/* -----BEGIN AGE ENCRYPTED FILE----- */
	BK_LAYER_SQLITE,
	BK_LAYER_PGDUMP,	/* plain pg_dump script */
	BK_LAYER_PGARCHIVE,	/* pg_dump custom archive (-Fc): "PGDMP" */
	BK_LAYER_PGTAR,		/* pg_dump tar archive (-Ft): toc.dat first */
	BK_LAYER_SQL,
	BK_LAYER_JSONL,
	BK_LAYER_CSV,
	BK_LAYER_EMPTY
};

/* Classifies the first bytes of a stream (at least 512 when available). */
enum bk_layer bk_detect(const void *, size_t);
/* A short name for a layer: gzip, age, sqlite, pg_dump, sql, csv, ... */
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

/*
 * What the reader calls.  header gets the first record, once, in the
 * calling thread.  record gets every other record, possibly in a worker
 * thread (so it may only read shared state), and appends its output to
 * out.  write receives the outputs in input order, in the calling thread.
 * header and write may exit the program (bk_err*); record must not.
 */
struct bk_csv_ops {
	void	(*header)(void *, const struct bk_csv_field *, size_t,
		    struct bk_buf *);
	void	(*record)(void *, const struct bk_csv_field *, size_t,
		    struct bk_buf *);
	void	(*write)(void *, const void *, size_t);
};

/* bk_csv_opts.sep: the separator of the header line (see bk_csv_read). */
#define BK_CSV_SEP_DETECT	(-1)

struct bk_csv_opts {
	const char		*name;		/* input name for messages */
	int			 sep;		/* ',' (also 0), ';', '\t', or
						   BK_CSV_SEP_DETECT */
	int			 threads;	/* workers; 0 or 1: none */
	size_t			 max_record;	/* 0: BK_CSV_MAX_RECORD */
	struct bk_progress	*progress;	/* bytes read, or NULL */
};

struct bk_csv_result {
	uint64_t	 records;	/* records after the header */
	size_t		 fields;	/* fields in the header */
	uint64_t	 bytes;		/* bytes read */
	int		 sep;		/* the separator used */
	int		 code;		/* 0, or the exit code of the error */
	char		 err[600];	/* one line: "NAME" line L, column C: ... */
};

/*
 * Reads CSV (RFC 4180: comma, double quotes, CRLF or LF, the last line
 * break optional) from r in constant memory.  The separator may be a
 * semicolon or a tab instead; with BK_CSV_SEP_DETECT it is the most
 * frequent of the three outside quotes in the header line (comma on a
 * tie).  An empty name ("") leaves the name out of messages, which then
 * begin "line L, column C: ".  A leading UTF-8 byte order
 * mark is skipped.  Spaces are data.  Every record must have as many
 * fields as the header, be valid UTF-8 without NUL bytes, and be at most
 * max_record bytes; a blank line is a record of one empty unquoted field.
 * Input without even a header is an error.  Returns 0, or the exit code
 * (65 bad data, 74 I/O, 70 out of memory) with a message in res->err and
 * nothing more passed to write after the records before the error.
 */
int	bk_csv_read(struct bk_reader *, const struct bk_csv_opts *,
	    const struct bk_csv_ops *, void *, struct bk_csv_result *);

/* ---- csvwrite.c: one field of CSV (or of TSV) for every writer ---- */

/*
 * How the fields of one output are written, set up once by
 * bk_csv_dialect_init (delimiter, flags below).  The default is RFC 4180
 * with PostgreSQL's COPY ... CSV quoting, so that bk-dump's two sources
 * and bk-csv write a value the same way: quoted when it holds the
 * delimiter, a double quote, CR or LF, when it is empty (an unquoted empty
 * field is NULL), and when it is \. alone in its record.
 */
#define BK_CSV_EXCEL	0x01	/* text that Excel would run as a formula
				   (=, +, -, @, TAB, CR, LF first) is
				   quoted after a ' (OWASP); numbers are not */
#define BK_CSV_TSV	0x02	/* tab-separated with PostgreSQL's text
				   escapes (\\ \t \n \r; NULL is \N), no
				   quotes */

struct bk_csv_dialect {
	unsigned char	 delim;
	int		 flags;
	unsigned char	 special[256];	/* bytes that make a field quoted */
};

void	bk_csv_dialect_init(struct bk_csv_dialect *, int, int);

/* Flags of one field for bk_csv_field. */
#define BK_FIELD_NULL		0x01	/* NULL: nothing (CSV), \N (TSV) */
#define BK_FIELD_ALONE		0x02	/* the only field of its record */
#define BK_FIELD_DECIMAL	0x04	/* a number gets a decimal comma */

/*
 * Appends the value s[0..n) as one field (no delimiter, no line end).
 * The bytes are data: nothing is checked or changed but the quoting and
 * the transformations the flags ask for.
 */
void	bk_csv_field(struct bk_buf *, const struct bk_csv_dialect *,
	    const char *, size_t, int);

/* ---- json.c: UTF-8, and JSON text as PostgreSQL writes it ---- */

/*
 * The length (2 to 4) of the UTF-8 sequence at s, whose first byte is
 * past ASCII, of at most n bytes; 0 if it is not valid UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF).  Inline: the
 * CSV reader checks every byte with it.
 */
static inline size_t
bk_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned lo = 0x80, hi = 0xbf;
	size_t k;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		k = 2;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 3;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* nothing past U+10FFFF */
	} else
		return 0;
	if (k >= n || s[1] < lo || s[1] > hi ||
	    (k >= 2 && (s[2] & 0xc0) != 0x80) ||
	    (k == 3 && (s[3] & 0xc0) != 0x80))
		return 0;
	return k + 1;
}

/* Whether s[0..n) is valid UTF-8 (NUL bytes allowed). */
int	bk_utf8_valid(const char *, size_t);

/*
 * Appends s[0..n) as a JSON string, quotes included, byte for byte as
 * PostgreSQL's row_to_json writes one: \" \\ \b \f \n \r \t, \u00XX
 * (lower-case hex) for the other control characters, everything else as
 * it is (DEL, /, U+2028 and U+2029 are valid JSON).  Returns 0, or -1 with
 * nothing appended when s is not valid UTF-8, which JSON cannot carry.
 */
int	bk_json_string(struct bk_buf *, const char *, size_t);

struct json_t;

/*
 * The JSON text of a jansson value (allocated, NUL-terminated), strings
 * through bk_json_string: compact when indent is 0, else laid out as
 * json_dumps does with JSON_INDENT(indent).  jansson's own json_dumps
 * escapes with upper-case hex; the manifest's lines come from here.
 */
char	*bk_json_text(struct json_t *, int);

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

/* ---- age.c: the age v1 format ---- */

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

/*
 * A key: a recipient (an X25519 public key of 32 bytes, or an X-Wing one
 * of BK_XWING_PK), or an identity (a 32-byte secret or seed).
 */
struct bk_age_key {
	enum bk_age_type type;
	size_t		 len;
	unsigned char	 key[BK_XWING_PK];
};

/*
 * Parses a recipient string (bech32, lower case only, as age writes it):
 * 0, -1 when malformed, -2 for an X25519 key (or the X25519 half of a
 * post-quantum key) of low order, which would make the file key public.
 */
int	bk_age_parse_recipient(const char *, struct bk_age_key *);
/* Parses an identity string (upper case only, as age writes it); 0 or -1. */
int	bk_age_parse_identity(const char *, struct bk_age_key *);
/* The string of a recipient or identity, bk_malloc'd (wipe an identity). */
char	*bk_age_recipient_str(const struct bk_age_key *);
char	*bk_age_identity_str(const struct bk_age_key *);
/* The recipient of an identity; 0 or -1. */
int	bk_age_to_recipient(const struct bk_age_key *, struct bk_age_key *);
/* A new identity of a type and its recipient; 0 or -1. */
int	bk_age_keygen(enum bk_age_type, struct bk_age_key *,
	    struct bk_age_key *);
/* X25519: the public key of a secret; a shared secret (-1 if all zero). */
int	bk_age_public_key(const unsigned char[32], unsigned char[32]);
int	bk_x25519(unsigned char[32], const unsigned char[32],
	    const unsigned char[32]);

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

/* ---- policy.c: the retention decision (restic's forget semantics) ---- */

/*
 * A retention policy.  Counts are 0 (rule off), N, or BK_KEEP_ALL; the
 * durations are seconds, 0 when off.  keep_within is measured from the
 * newest backup of the group; max_age from "now".
 */
#define BK_KEEP_ALL	(-1)

struct bk_policy {
	int	 keep_last;
	int	 keep_hourly;
	int	 keep_daily;
	int	 keep_weekly;
	int	 keep_monthly;
	int	 keep_yearly;
	int64_t	 keep_within;
	int64_t	 max_age;
};

/* How good a backup is known to be; the protections keep the newest. */
enum {
	BK_GOOD_NONE = 0,	/* no manifest line, missing, or failed verify */
	BK_GOOD_LISTED = 1,	/* has a manifest line, never verified */
	BK_GOOD_VERIFIED = 2	/* its last verification passed */
};

/* Why a backup is kept or removed: bits of bk_backup.why. */
#define BK_WHY_LAST		0x0001	/* the rule bits go in the order */
#define BK_WHY_HOURLY		0x0002	/* last, hourly, daily, weekly, */
#define BK_WHY_DAILY		0x0004	/* monthly, yearly; each has an */
#define BK_WHY_WEEKLY		0x0008	/* "oldest" twin 6 bits higher */
#define BK_WHY_MONTHLY		0x0010
#define BK_WHY_YEARLY		0x0020
#define BK_WHY_OLDEST_SHIFT	6
#define BK_WHY_WITHIN		0x1000	/* within keep_within of the newest */
#define BK_WHY_YOUNG		0x2000	/* max-age alone: not too old */
#define BK_WHY_NEWEST		0x4000	/* protected: newest of its type */
#define BK_WHY_NEWEST_GOOD	0x8000	/* protected: newest good backup */
#define BK_WHY_TOO_OLD		0x10000	/* removed: older than max_age */
#define BK_WHY_NO_RULE		0x20000	/* removed: no rule keeps it */

struct bk_backup {
	time_t		 t;		/* when it was made */
	long		 utc_offset;	/* seconds east, as recorded */
	const char	*type;		/* its group; NULL is a group too */
	int		 good;		/* BK_GOOD_* */
	int		 keep;		/* result: 1 keep, 0 remove */
	unsigned	 why;		/* result: BK_WHY_* bits */
};

/* True when the policy has no rule at all (bk-rotate refuses it). */
int	bk_policy_empty(const struct bk_policy *);
/*
 * Decides keep or remove for every backup of b[0..n-1], which must be
 * sorted newest first.  Each type is a group of its own, as restic's
 * forget groups snapshots: the count and within rules of restic >= 0.16,
 * then max_age (measured from now) as a hard limit, then the protections
 * (the newest backup of each type and its newest good ones are kept).
 * Pure: no I/O, no allocation beyond a table of the types.
 */
void	bk_policy_apply(const struct bk_policy *, struct bk_backup *, size_t,
	    time_t);
/* Writes the reasons of b->why as text: "daily snapshot, within 30d". */
void	bk_policy_reasons(char *, size_t, const struct bk_policy *,
	    const struct bk_backup *);
/* Formats a duration in seconds as bk_parse_duration reads it: 30d, 1d12h. */
void	bk_format_duration(char *, size_t, int64_t);

/* ---- manifest.c: the manifest (JSON Lines), its lock and rewrite ---- */

/*
 * The manifest is a JSON Lines file at the root of a backup tree, one object
 * per backup (bk-manifest(5)).  Its default is the nearest BK_MANIFEST_NAME
 * in the current folder or above it (as git finds its repository), else
 * one in the current folder; $BK_MANIFEST, then -m, override it.  Entry paths are
 * relative to the manifest's folder.  Appends and rewrites take an
 * exclusive flock(2) on the manifest; reads take a shared one.
 */
#define BK_MANIFEST_NAME	"manifest.jsonl"
#define BK_MANIFEST_ENV		"BK_MANIFEST"
#define BK_MANIFEST_LINE_MAX	(1024 * 1024)	/* longest line accepted */
#define BK_LAYERS_MAX		8

enum bk_verified {
	BK_VERIFIED_NONE = 0,	/* never verified */
	BK_VERIFIED_OK,
	BK_VERIFIED_FAIL
};

/*
 * One line of the manifest.  A line that could not be parsed has bad set,
 * error saying why, raw and lineno; its other fields are empty, and every
 * caller must skip it (it is not a backup) but it is never dropped.  Strings
 * are NULL when the field is absent.  Fields not known here stay in the line
 * (raw, or json once the entry is changed) and survive every rewrite.
 */
struct bk_entry {
	char		*path;		/* relative, never absolute or "..": checked */
	int64_t		 size;		/* bytes, -1 when absent */
	char		 sha256[65];	/* lowercase hex, "" when absent */
	char		*created;	/* RFC 3339 as recorded */
	time_t		 created_t;	/* the same instant */
	long		 created_off;	/* its UTC offset, seconds east */
	char		*type;		/* daily, weekly, monthly, manual, ... */
	char		*description;
	char		*created_by;
	char		*source;	/* without secrets */
	char		*layers[BK_LAYERS_MAX];	/* innermost first: csv gzip age */
	size_t		 nlayers;
	int64_t		 records;	/* -1 when unknown */
	int		 complete;	/* pg_dump: 1 or 0; -1 when unknown */
	enum bk_verified verified;	/* the last verification's result */
	char		*verified_time;	/* RFC 3339, NULL when never */
	time_t		 verified_t;
	char		*verified_reason;	/* why it failed, or NULL */

	size_t		 lineno;	/* 1-based line number, 0 for a new entry */
	char		*raw;		/* the line as read, without newline */
	int		 bad;		/* could not be parsed: only raw, lineno */
	char		*error;		/* why, when bad */
	struct json_t	*json;		/* the object, once changed or built */
	int		 dirty;		/* changed: written from json, not raw */
	void		*user;		/* free for the caller */
};

struct bk_manifest {
	char		*path;		/* the manifest file as named */
	char		*dir;		/* its folder, absolute, symlinks resolved */
	int		 fd;		/* open while locked, else -1 */
	int		 lock;		/* 0, BK_LOCK_SH or BK_LOCK_EX */
	int		 dirfd;		/* the folder, for *at() calls, or -1 */
	int		 wait;		/* load's lock timeout, -1 (forever) */
	char		*pend;		/* appended lines not yet written */
	size_t		 pendlen, pendcap;
	struct bk_entry	*ents;		/* after bk_manifest_load, in file order */
	size_t		 n;		/* entries, bad lines included */
	size_t		 nbad;		/* lines that could not be parsed */
	size_t		 cap;
};

#define BK_LOCK_SH	1
#define BK_LOCK_EX	2

/* Flags for bk_manifest_load. */
#define BK_MF_STRICT	0x01	/* a bad line exits 65 instead of a warning */
#define BK_MF_MISSING_OK 0x02	/* a missing manifest is an empty one */
#define BK_MF_QUIET	0x04	/* no warning for bad lines (nbad counts them) */

/*
 * Names the manifest: path, else $BK_MANIFEST, else ./manifest.jsonl.
 * Resolves its folder (exits 66 if the folder is missing).  Opens nothing.
 */
void	bk_manifest_init(struct bk_manifest *, const char *);
/* The nearest manifest in folder or above it (malloc'd), or NULL. */
char	*bk_manifest_locate(const char *);
/* Frees the entries, unlocks and closes. */
void	bk_manifest_free(struct bk_manifest *);
/*
 * Opens and locks the manifest: mode BK_LOCK_SH (a missing file exits 66,
 * unless missing_ok, then returns -1 and locks nothing) or BK_LOCK_EX
 * (creates the file, mode 0600).  timeout: seconds to wait, -1 forever,
 * 0 not at all; a lock still busy then exits 75.  A manifest replaced by
 * a rewrite while waiting is reopened.  A manifest that is a symbolic
 * link is refused (exit 65): appends would follow it and rewrites replace
 * it.  Returns 0.
 */
int	bk_manifest_lock(struct bk_manifest *, int mode, int timeout,
	    int missing_ok);
/*
 * Writes what was appended, all lines in one write(2), and fsyncs it;
 * on failure, cuts the file back to its length before, so that nothing
 * was added, and exits 74.  Then unlocks.
 */
void	bk_manifest_unlock(struct bk_manifest *);
/*
 * Reads every line into m->ents (replacing what was loaded), streaming,
 * under the lock already held or else a shared lock taken for the read
 * (waiting m->wait seconds, as bk_manifest_lock's timeout).
 * Bad lines are kept with bad set and reported "FILE:LINE: reason" as
 * warnings (errors exiting 65 with BK_MF_STRICT).  Returns the number of
 * bad lines, or -1 if the manifest is missing and BK_MF_MISSING_OK.
 */
int	bk_manifest_load(struct bk_manifest *, int);
/* The loaded entry with this relative path (bad lines skipped), or NULL. */
struct bk_entry *bk_manifest_find(struct bk_manifest *, const char *);
/*
 * Appends one entry (built with bk_entry_new and the setters, or copied
 * with bk_entry_dup).  Needs BK_LOCK_EX.  The line is only queued: the
 * lines of all appends are written together, in one write(2), and
 * fsynced by bk_manifest_unlock (or _free, or before a rewrite), so that
 * they are all added or none; they are durable when it returns.  The
 * entry is also added to m->ents (the manifest takes ownership of it; this
 * may move m->ents).
 */
void	bk_manifest_append(struct bk_manifest *, struct bk_entry *);
/*
 * Rewrites the manifest atomically: needs BK_LOCK_EX; writes the lines
 * appended so far first; reads the file again line by line; calls
 * keep(entry, arg) for each good entry, which returns 1 to keep it
 * (verbatim, or from its json if changed by a setter) or 0 to drop it;
 * bad lines are always kept verbatim, except an unfinished last line (no
 * newline and not JSON: what a cut append left), which goes.  The new
 * file (0600, in the same folder) is fsynced, locked, renamed over the
 * manifest and the folder fsynced; the lock stays held on the new file.
 * If anything fails before the rename, the manifest is unchanged.  A line longer than
 * BK_MANIFEST_LINE_MAX makes it refuse (exit 65) rather than lose it.
 * The entries passed to keep are fresh copies read from the file, not
 * those of m->ents; m->ents stays valid during the rewrite (keep may look
 * things up there, by path) and is emptied at its end: load again to see
 * the result.  Returns the number of entries dropped.
 */
size_t	bk_manifest_rewrite(struct bk_manifest *,
	    int (*)(struct bk_entry *, void *), void *);
/*
 * Turns a file name (relative to the current folder, or absolute) into a
 * path relative to the manifest's folder, following symlinks in its
 * folders but not in its last component.  Returns a new string, or NULL
 * with a reason in err (bufsize bytes) if it lies outside the tree.
 */
char	*bk_manifest_relpath(struct bk_manifest *, const char *, char *,
	    size_t);
/*
 * Opens an entry's file relative to the manifest's folder without
 * following any symlink on the way (O_NOFOLLOW on every component), so
 * that nothing outside the tree is ever reached.  flags as for open(2).
 * Returns a descriptor or -1 with errno set (ELOOP for a symlink).
 */
int	bk_manifest_open_file(struct bk_manifest *, const char *, int);
/* Removes an entry's file the same way; 0 or -1 with errno set. */
int	bk_manifest_unlink_file(struct bk_manifest *, const char *);
/* Checks a relative path as stored in the manifest: 0 or -1. */
int	bk_manifest_path_ok(const char *);

/* A new entry for path (relative, checked by the caller), created now. */
struct bk_entry *bk_entry_new(const char *);
/*
 * A copy of a good entry, read again from its line: for a caller that must
 * keep an entry that keep() of a rewrite dropped, to append it again.
 */
struct bk_entry *bk_entry_dup(struct bk_entry *);
void	bk_entry_free(struct bk_entry *);
/*
 * Setters: change the entry's JSON object (field order kept, unknown
 * fields kept), refresh the C fields, and mark it dirty.  A NULL string
 * removes the field.  bk_entry_set_str returns -1 if the value is not
 * valid UTF-8 (and changes nothing).
 */
int	bk_entry_set_str(struct bk_entry *, const char *, const char *);
void	bk_entry_set_int(struct bk_entry *, const char *, int64_t);
void	bk_entry_set_created(struct bk_entry *, time_t, long);
void	bk_entry_set_layers(struct bk_entry *, char *const *, size_t);
/* Records a verification: result BK_VERIFIED_OK or _FAIL, reason or NULL. */
void	bk_entry_set_verified(struct bk_entry *, time_t, enum bk_verified,
	    const char *);
/*
 * A new entry for a file that bk_inspect_fd read: path, created (t, off),
 * type, size, sha256, layers, records (this count, or -1 for the one
 * counted) and complete, in the order of bk-manifest(5).
 */
struct bk_inspect;
struct bk_entry *bk_entry_inspected(const char *, time_t, long, const char *,
	    const struct bk_inspect *, int64_t);
/* The user running the program, for created_by (a uid without a name). */
const char *bk_user_name(void);
/* The entry as one JSON line without newline (malloc'd). */
char	*bk_entry_line(struct bk_entry *);

/* ---- pgscript.c: is a plain pg_dump script complete? ---- */

#define BK_PGSCRIPT_TAIL	4096	/* bytes kept from the end */

/*
 * Fed the decoded script as it streams past, it keeps the \restrict key
 * of the first lines and the last BK_PGSCRIPT_TAIL bytes.  Complete means
 * the closing comment "-- PostgreSQL database dump complete", then, when
 * the script began with \restrict KEY, the line \unrestrict KEY, and
 * nothing after them but blank lines.
 */
#define BK_PGSCRIPT_HEAD	4096	/* where pg_dump writes \restrict KEY */

struct bk_pgscript {
	uint64_t	 seen;		/* bytes fed */
	unsigned char	 head[BK_PGSCRIPT_HEAD];	/* the first bytes */
	size_t		 hlen;
	int		 restrict_seen;	/* began with \restrict KEY */
	char		 key[160];	/* "\unrestrict KEY\n" expected */
	unsigned char	 tail[BK_PGSCRIPT_TAIL * 2];
	size_t		 tlen;
};

void	bk_pgscript_init(struct bk_pgscript *);
void	bk_pgscript_feed(struct bk_pgscript *, const void *, size_t);
/* Returns 1 if complete, else 0 with why (a phrase) written to buf. */
int	bk_pgscript_complete(const struct bk_pgscript *, char *, size_t);

/* ---- pgarchive.c: is a pg_dump custom archive whole? ---- */

/*
 * pg_restore, the archive's own reader, is fed the decoded archive on its
 * standard input and writes the script it would run to /dev/null: it reads
 * every table of contents entry and every data block (zlib-checked), and
 * fails on a cut or damaged archive.  No archive parser of bk's own.
 */
struct bk_pgarchive {
	int		 tar;		/* -Ft: it must end in two zero blocks */
	uint64_t	 bytes;		/* fed */
	unsigned char	 tail[1024];	/* the last bytes fed */
	pid_t		 pid;
	int		 in;		/* pg_restore's stdin, or -1 */
	int		 err;		/* its stderr, read by the thread */
	pthread_t	 thread;
	int		 gone;		/* it stopped reading */
	char		 first[400];	/* its first error line */
};

/*
 * Starts pg_restore for an archive of the layer given (custom or tar);
 * returns 0, or -1 with why: pg_restore could not be started.  From a
 * pipe, pg_restore takes a tar archive cut short for a whole one, so a
 * tar archive must also end as tar does: a length in 512-byte blocks, the
 * last two of them zero.
 */
int	bk_pgarchive_start(struct bk_pgarchive *, enum bk_layer, char *,
	    size_t);
void	bk_pgarchive_feed(struct bk_pgarchive *, const void *, size_t);
/*
 * Returns 1 whole, else 0 with why (pg_restore's error, a phrase), or -1
 * with why when pg_restore could not be run: no verdict.
 */
int	bk_pgarchive_finish(struct bk_pgarchive *, char *, size_t);

/* ---- inspect.c: is a backup whole?  One answer for every tool ---- */

#define BK_WHY_MAX	1024

struct bk_inspect_opts {
	struct bk_age_ids *ids;		/* NULL: age layers stay sealed */
	int		 progress;	/* -P: a meter on stderr */
	const char	*label;		/* the meter's label (else the name) */
	int		 keep_copy;	/* SQLite: keep the decoded copy */
	int		 nodigest;	/* no sha256 of the raw bytes */
};

/*
 * What a file turned out to be.  code 0 means every layer decoded and the
 * content is whole: CSV strict and rectangular, JSON Lines counted, a
 * pg_dump script complete (the closing comment, and \unrestrict when it
 * began with \restrict), a pg_dump archive read whole by pg_restore, an
 * SQLite database passing integrity_check.  Otherwise code is the exit
 * code of the first problem and why says it in a phrase; layer_failed
 * tells a layer or the read (a file that cannot be decoded at all) from
 * content that decoded but is not whole (which bk-manifest add -f may
 * still record).  An age layer without identities is sealed: its header
 * is checked, and what it holds is not known.
 */
struct bk_inspect {
	uint64_t	 size;
	char		 sha256[65];
	const char	*layers[BK_LAYERS_MAX];	/* innermost first */
	size_t		 nlayers;
	enum bk_layer	 content;	/* the innermost layer seen */
	int		 sealed;	/* an age layer was not opened */
	int		 recorded;	/* sealed, and bk-crypt's record of
					   the plaintext merged (plain.c) */
	int64_t		 records;	/* CSV, JSON Lines; -1 when not */
	int		 complete;	/* pg_dump script or archive: 1 or
					   0; -1 neither */
	int		 code;		/* 0 whole, else an exit code */
	int		 layer_failed;	/* the problem is below the content */
	char		 why[BK_WHY_MAX];
	char		*copy;		/* keep_copy: the SQLite database */
	int		 slot;		/* its bk_tmp_register slot */
};

/*
 * Stacks readers on top for the layers its magic bytes show, as every
 * tool that reads a backup does: gzip, and age (with ids; without them
 * only its header is read, and the layer stays sealed), at most four deep.
 * Returns the new top; ly->content is what lies inside, ly->found the
 * layers outermost first.  When a layer cannot start (a bad age header, a
 * wrong key, a read error), ly->failed is set and the top reader holds the
 * message.
 */
struct bk_layers {
	enum bk_layer	 content;
	const char	*found[BK_LAYERS_MAX];	/* outermost first */
	size_t		 n;
	int		 sealed;
	int		 failed;
};
struct bk_reader *bk_reader_layers(struct bk_reader *, const char *,
	    struct bk_age_ids *, struct bk_layers *);
/* Returns 0 when whole, else -1 with ins->code and ins->why. */
int	bk_inspect_fd(int, const char *, const struct bk_inspect_opts *,
	    struct bk_inspect *);
/* Removes the SQLite copy (keep_copy). */
void	bk_inspect_free(struct bk_inspect *);
/* The layers as names read ("csv gzip age"). */
void	bk_inspect_layers(const struct bk_inspect *, char *, size_t);

/* ---- plain.c: what an encrypted backup held, recorded by bk-crypt ---- */

/* .NAME.bk-plain beside file (malloc'd). */
char	*bk_plain_path(const char *);
/*
 * Records pt, the inspection of the plaintext, beside the encrypted file
 * of the given size and sha256 (atomic, 0600; exits on failure).
 */
void	bk_plain_write(const char *, const struct bk_inspect *, uint64_t,
	    const char *);
/*
 * For a sealed inspection ins of file: merges the record of its plaintext,
 * when there is one bound to ins's size and sha256 (the plaintext's layers
 * inside the ones found, records, completeness, and the plaintext's
 * verdict when it was not whole).  Returns 1 merged, 0 no record, -1 a
 * record that is not this file's or not readable (ignored).
 */
int	bk_plain_read(const char *, struct bk_inspect *);
void	bk_plain_remove(const char *);

/* ---- backupfile.c: which files of a tree look like backups; the walk ---- */

/*
 * Whether path (relative to the folder dirfd, or AT_FDCWD) looks like a
 * backup: a regular file, not a symbolic link, whose last component does
 * not begin with a dot, and either whose name ends in .sql, .dump, .csv,
 * .tsv, .jsonl, .db, .sqlite, .sqlite3 or .bak followed by any number of
 * .gz, .age and .gpg (in any letter case), or whose first bytes are those
 * of gzip, age (binary or armored), an SQLite 3 database or a pg_dump
 * custom archive ("PGDMP").  Text without such a name (a README, a
 * .sha256 list, an age identity) is not a backup, nor is a file that
 * cannot be examined.  Returns 1 or 0; reports nothing.  Callers that
 * look at a whole tree go through bk_walk_tree, which leaves out the
 * manifest itself (whose name ends in .jsonl).
 */
int	bk_backup_file(int, const char *);

/*
 * The walk of a backup tree that bk-manifest adopt and bk-verify's scan
 * share, so that a file one catalogs is exactly one the other reports.
 * It never follows a symbolic link (to a file or a folder: noted with -v,
 * as bk-rotate does), leaves out hidden names (and hidden folders with all
 * they hold) but bk's temporaries, enters every other folder at any depth,
 * and calls fn once for each regular file, in strcmp(3) order of rel.
 */
enum bk_walk_kind {
	BK_WALK_UNLISTED,	/* looks like a backup, no manifest line */
	BK_WALK_LISTED,		/* a manifest line names it (not examined) */
	BK_WALK_STALE,		/* bk's temporary, over an hour old */
	BK_WALK_OTHER		/* no backup: the manifest, a sum, a note... */
};

struct bk_walk_file {
	enum bk_walk_kind kind;
	const char	*rel;	/* relative to the manifest's folder */
	const char	*path;	/* as messages name it (see bk_walk_tree) */
	const struct stat *st;	/* its lstat, taken when its folder was read */
	int64_t		 age;	/* BK_WALK_STALE: seconds since written */
};

typedef void	bk_walk_fn(const struct bk_walk_file *, void *);

/*
 * Walks the folder start (relative to the manifest's folder, "" for the
 * whole tree; reached without following links) of the loaded manifest m,
 * calling fn(file, arg).  shown names start in messages and paths (the
 * folder as the user named it), or is NULL to name everything by rel.
 * A folder or name that cannot be read is warned about and skipped; the
 * exit status is the caller's business.  The manifest itself (at the
 * top) is BK_WALK_OTHER; the pointers in file live until fn returns.
 */
void	bk_walk_tree(struct bk_manifest *, const char *, const char *,
	    bk_walk_fn *, void *);

#endif /* BK_H */
