/*
 * dump.h: what the parts of bk-dump share.  tools/bk-dump.c has main(),
 * the options and the run (the columns' union, the header, the order of
 * the exports); the parts are:
 *
 *   output.c  the buffered output: CSV fields, JSON strings, hex
 *   sql.c     strings of SQL: growing strings, names, :NAME parameters
 *   pg.c      the PostgreSQL source
 *   sqlite.c  the SQLite source (and the copy of a whole database)
 *
 * The two sources have the same interface: connect or open (struct dump
 * *), describe an export (its columns), and export it, each of the form
 * void (struct dump *, struct export *).
 *
 * Includes the format layer it builds on.
 */
#ifndef BK_DUMP_H
#define BK_DUMP_H

#include <stdint.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "format/format.h"


enum format { FMT_CSV, FMT_JSONL, FMT_SQL, FMT_SQLITE };

#define OUTBUF		(128 * 1024)
#define BUSY_MS		10000	/* how long SQLite waits for a lock */

struct param {
	char		*name;
	const char	*value;
};

struct export {
	char		*label;
	const char	*table;		/* NULL for a query */
	char		*query;		/* the SQL as given, without a final ";" */
	char		*sql;		/* the SQL to run (SELECT * for a table) */
	size_t		 ncols;
	char		**cols;		/* column names, as the database says */
	long		*src;		/* for each output column, ours or -1 */
	size_t		 nref;		/* placeholders used, as $1..$nref */
	size_t		*ref;		/* the param index of each $k */
	char		**reftype;	/* the type the server inferred for $k */
	sqlite3_stmt	*stmt;
	uint64_t	 rows;
};

struct dump {
	const char	*source;	/* -D, NULL for libpq's defaults */
	const char	*sqlite_path;	/* set for an SQLite source */
	enum format	 format;
	int		 labels;	/* write the type column */
	int		 serializable;
	int		 progress;
	int		 outflags;
	const char	*timezone;
	const char	*out_path;
	const char	*counts_path;
	struct export	*ex;
	size_t		 nex;
	struct param	*par;
	size_t		 npar;
	char		 month_start[40];
	char		 month_end[40];
	char		**ucols;	/* the union of the columns */
	size_t		 nucols;
	struct bk_out	 out;
	struct bk_out	 counts;	/* --counts, open from the start */
	struct bk_buf	 buf;		/* output not yet written */
	struct bk_csv_dialect csv;
	struct bk_progress prog;
	PGconn		*pg;
	sqlite3		*db;
};

/* A growing string. */
struct str {
	char	*s;
	size_t	 len, cap;
};

/* ---- output.c: the buffered output ---- */

void	out_flush(struct dump *);
void	put(struct dump *, const void *, size_t);
void	puts_(struct dump *, const char *);
void	putc_(struct dump *, char);
void	put_csv(struct dump *, const char *, size_t, int);
int	csv_alone(const struct dump *);
int	put_json(struct dump *, const char *, size_t);
void	put_hex(struct dump *, const unsigned char *, size_t);
void	put_label_json(struct dump *, const struct export *);

/* ---- sql.c: strings of SQL ---- */

void	str_add(struct str *, const char *, size_t);
void	str_puts(struct str *, const char *);
char	*quote_table(struct dump *, const char *);
int	is_ident_start(int);
int	is_ident(int);
long	find_param(const struct dump *, const char *, size_t);

/* ---- pg.c: the PostgreSQL source ---- */

void	pg_connect(struct dump *);
void	pg_begin(struct dump *);
void	pg_describe(struct dump *, struct export *);
void	pg_export(struct dump *, struct export *);
void	pg_command(struct dump *, const char *, int, const char *const *,
	    const char *);
char	*pg_ident(struct dump *, const char *, size_t);

/* ---- sqlite.c: the SQLite source ---- */

void	sqlite_open(struct dump *);
void	sqlite_exec(struct dump *, const char *, const char *);
void	sqlite_describe(struct dump *, struct export *);
void	sqlite_export(struct dump *, struct export *);
void	sqlite_copy(struct dump *);
char	*sqlite_ident(const char *, size_t);

#endif
