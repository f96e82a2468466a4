/*
 * format.h: what a backup's content is and how bk reads or writes it:
 * CSV (strict reading, field writing), UTF-8 and JSON text, pg_dump
 * scripts and archives, SQLite files, checksum lists, PostgreSQL
 * connection strings.  Includes stream.h (and so platform.h) only.
 */
#ifndef BK_FORMAT_H
#define BK_FORMAT_H

#include <pthread.h>

#include "stream/stream.h"

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

/* ---- pgscript.c: is a plain pg_dump script complete? ---- */

#define BK_PGSCRIPT_TAIL	4096	/* bytes kept from the end */

/*
 * Fed the decoded script as it streams past, it keeps the \restrict key
 * of the first lines and the last BK_PGSCRIPT_TAIL bytes.  Complete means
 * the closing comment "-- PostgreSQL database dump complete", then, when
 * the script began with \restrict KEY, the line \unrestrict KEY, and
 * nothing after them but blank lines.  A pg_dumpall script (cluster set)
 * ends with "-- PostgreSQL database cluster dump complete" instead, and
 * writes its \unrestrict KEY line before that comment.
 */
#define BK_PGSCRIPT_HEAD	4096	/* where pg_dump writes \restrict KEY */

struct bk_pgscript {
	uint64_t	 seen;		/* bytes fed */
	unsigned char	 head[BK_PGSCRIPT_HEAD];	/* the first bytes */
	size_t		 hlen;
	int		 cluster;	/* pg_dumpall's: set after init */
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

#endif /* BK_FORMAT_H */
