/*
 * restore.h: what the parts of bk-restore share.  tools/bk-restore.c has
 * main() and the run (the backup, its verification, the question); the
 * parts are, each behind the functions declared below:
 *
 *   child.c       psql, pg_dump and pg_restore as child processes
 *   statements.c  the filter that reads a script's statements on the way
 *                 to psql, so that none ends the restore's transaction
 *   pg.c          the PostgreSQL target: setup, safety backup, restore
 *   sqlite.c      the SQLite target: setup, safety backup, restore
 *   safety.c      the safety backup: its name, folder and manifest line
 *   log.c         restore.log and the reports of a failed restore
 *   drill.c       restore drills (--scratch): the scratch target, the
 *                 comparison, the record in the manifest
 *   tally.c       the row counts and the content checksum of a database
 *
 * Includes the catalog layer it builds on.
 */
#ifndef BK_RESTORE_H
#define BK_RESTORE_H

#include <sys/types.h>

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <libpq-fe.h>

#include "catalog/catalog.h"


#define HEAD		4096		/* bytes read to recognise a layer */
#define CHUNK		(256 * 1024)
#define BUSY_MS		10000		/* how long SQLite waits for a lock */
#define SAFETY_DIR	"pre-restore"
#define HISTORY_NAME	"restore.log"
#define RECIPIENTS_NAME	"recipients"	/* beside the manifest */
/* The advisory lock that keeps two restores out of one database. */
#define PG_LOCK_KEY	"7451038360"

enum kind { TARGET_PG, TARGET_SQLITE };

struct opts;

struct restore {
	const struct opts *o;		/* for bk-restore.c alone */
	struct bk_manifest m;
	/* the backup */
	char		*rel;		/* relative to the manifest's folder */
	int		 fd;
	int		 listed;	/* has a manifest line */
	char		 want[65];	/* its sha256 there, "" if none */
	char		*made;		/* its created field, or NULL */
	struct bk_age_ids *ids;
	/* what the verification found */
	enum bk_layer	 content;
	char		 layers[128];	/* innermost first, as in the manifest */
	char		 sha[65];
	uint64_t	 size;
	/* the target */
	enum kind	 kind;
	char		*name;		/* typed to confirm; the safety file's stem */
	char		*shown;		/* in messages */
	char		*record;	/* in the manifest and the log: no secrets */
	PGconn		*pg;
	char		*dbarg;		/* --dbname= for psql and pg_dump */
	char		**env;		/* PGPASSWORD=, if -D held one */
	size_t		 nenv;
	char		*path;		/* SQLite: the database file */
	int		 lockfd;
	int		 created;	/* SQLite: we made the file */
	int		 created_slot;
	int		 empty;		/* SQLite: nothing to save */
	char		*tmp;		/* SQLite: the verified copy */
	int		 tmpslot;
	/* the run */
	char		*safety;	/* relative path of the safety backup */
	struct bk_reader *top;		/* the layers being read */
	unsigned char	*buf, *zbuf;	/* CHUNK bytes each */
	char		*safety_path;	/* the safety backup, as a path */
	char		*recipients;	/* the tree's, to encrypt it to */
	char		*sealed;	/* encrypted: where bk-crypt wrote it */
	int		 sealed_slot;
	int		 asked;		/* confirmed on the terminal */
	struct timespec	 start;
	/* what the parts need of the options (struct opts is bk-restore.c's) */
	const char	*target;	/* as given */
	int		 clean;
	int		 dry_run;
	int		 progress;
	int		 wait;		/* manifest lock, seconds */
	int		 no_owner;	/* --no-owner */
	int		 no_acl;	/* --no-acl */
	int		 globals;	/* --globals: a pg_dumpall -g script */
	/* a drill (--scratch): a scratch target, nothing real touched */
	int		 scratch;
	struct drill	*drill;		/* drill.c's, once it has begun */
};

/* ---- child.c: child processes ---- */

struct child {
	const char	*name;
	pid_t		 pid;
	int		 in;		/* our end of its stdin, or -1 */
	int		 out;		/* our end of its stdout, or -1 */
	int		 err;		/* our end of its stderr */
	pthread_t	 thread;
	char		 first[600];	/* its first error line */
	char		 last[600];	/* its last line */
	char		 own[600];	/* its last line starting "NAME:" */
	int		 watch;		/* stdout read by a thread of ours */
	int		 ofd;		/* which it reads from (and closes) */
	pthread_t	 othread;
	int		 extra[2];	/* read ends given to it as fds 3, 4 */
	char		 mark[80];	/* the line our COMMIT's echo prints */
	int		 marked;	/* it printed mark */
	long long	 txid;		/* the restore's transaction, or 0 */
	int		 scrub;		/* cut lines at " at or near " */
};

/* What psql prints once it has run our COMMIT (then a random nonce). */
#define COMMITTED	"bk-restore: committed "
/* What it prints once it has begun our transaction (then its id). */
#define BEGUN		"bk-restore: txid "

void	child_init(struct child *);
void	child_start(struct child *, struct restore *, char *const [], int, int);
int	child_wait(struct child *);
void	child_why(const struct child *, int, char *, size_t);
void	pipe_cloexec(int [2]);

/* ---- statements.c: the statements of a script ---- */

/*
 * pg_dump writes "BEGIN;" and "COMMIT;" lines around the data of large
 * objects.  Inside the one transaction of a restore, that COMMIT would
 * commit the first half of the script whatever happens to the rest, so
 * the filter turns exactly those two lines into comments (as pg_restore
 * --single-transaction leaves them out), and nothing else: it follows
 * quotes, dollar quotes, comments, psql's backslash lines and COPY data,
 * so the same words in a function body or a row stay as they are.  Lines
 * keep their numbers, so psql's messages point into the script.
 */
enum lex {
	LX_CODE, LX_SQ, LX_SQEND, LX_ESQ, LX_ESQBS, LX_ESQEND, LX_DQ,
	LX_DQEND, LX_DOLTAG, LX_DOLLAR, LX_LINEC, LX_BLOCKC, LX_META, LX_COPY
};

struct txf {
	enum lex	 st;
	size_t		 col;		/* bytes of the line before this one */
	int		 open;		/* a statement has begun */
	int		 copy;		/* the statement begins with COPY */
	int		 copy_next;	/* COPY data starts on the next line */
	int		 depth;		/* of nested block comments */
	unsigned char	 prev, prev2;	/* code bytes before this one */
	char		 close[66];	/* "$tag$" that ends a dollar quote */
	size_t		 clen, cpos;
	char		 word[12];	/* the statement's first bytes */
	size_t		 wlen;
	char		 tailw[12];	/* its last bytes before ";" */
	char		 hold[14];	/* a line that may be BEGIN; COMMIT; */
	size_t		 nhold;
	int		 holding;
	int		 dot;		/* COPY data: bytes of "\." matched */
	uint64_t	 line;		/* of the script, from 1 */
	uint64_t	 sline;		/* where the statement began */
	char		 bad[300];	/* a statement that ends our transaction */
	/* psql's rule for CREATE FUNCTION ... BEGIN ATOMIC ... END; */
	char		 tok[12];	/* the identifier being read */
	size_t		 toklen;	/* its length (past tok: too long) */
	int		 intok;		/* 1 identifier, 2 a number's run */
	char		 ids[4];	/* first letters of the first four */
	int		 nids;		/* identifiers in the statement */
	int		 parens;	/* its parenthesis depth */
	int		 bdepth;	/* BEGIN ... END depth in a function */
	int		 sbdepth;	/* bdepth where the statement began */
	int		 after_as;	/* the last identifier was AS */
	int		 after_dot;	/* the last code byte was "." */
	int		 tokdot;	/* the identifier follows a "." */
	int		 colons;	/* ":" just before: psql's :variable */
	unsigned char	*out;
	size_t		 olen, ocap;
	/*
	 * What the statement is, when flags ask (TXF_*): its tokens outside
	 * parentheses (words in lower case, a quoted name as ", a string as
	 * ', other bytes as themselves), its bytes held in sbuf until its
	 * end says whether psql gets them.
	 */
	int		 flags;
	int		 (*exists)(void *, const char *, const char *);
	void		*ctx;		/* for exists */
	int		 cand;		/* the statement is judged at its end */
	int		 held;		/* its bytes are in sbuf */
	unsigned char	*sbuf;
	size_t		 slen, scap;
	char		 sw[4][16];	/* its first four tokens */
	char		 stail[4][16];	/* its last four */
	int		 ntok;
	int		 scommas;	/* commas outside parentheses */
	char		 son[16];	/* the token after its first ON */
	int		 after_on;
	char		 sname[72];	/* its third token as a name */
	char		 ident[72];	/* the identifier being read, whole */
	char		 dq[72];	/* the quoted identifier being read */
	size_t		 dqlen;
	uint64_t	 skipped;	/* statements left out */
};

/*
 * Flags of the filter.  TXF_NO_OWNER leaves out ALTER ... OWNER TO and
 * SET/RESET SESSION AUTHORIZATION, TXF_NO_ACL leaves out GRANT, REVOKE
 * and ALTER DEFAULT PRIVILEGES: each statement whole, from its first
 * byte to its ";" (its lines stay, empty).  TXF_GLOBALS takes only what a
 * pg_dumpall -g script holds (roles, their settings and memberships,
 * tablespaces; SET of a session setting) and refuses any other statement;
 * a CREATE ROLE or CREATE TABLESPACE for one that exists (exists(ctx,
 * "role" or "tablespace", name) returns 1; 0 it does not, -1 unknown) is
 * left out, and one for a tablespace that does not exist is refused.
 */
#define TXF_NO_OWNER	1
#define TXF_NO_ACL	2
#define TXF_GLOBALS	4

/*
 * A struct txf starts zeroed with line 1.  Each feed appends the bytes
 * psql is to run to out (olen of them; the caller empties it), and a
 * statement that would end the transaction leaves its reason in bad.
 */
void	txf_feed(struct txf *, const unsigned char *, size_t);
void	txf_end(struct txf *);

/* ---- pg.c and sqlite.c: the two targets ---- */

void	pg_args(struct restore *);
void	pg_setup(struct restore *);
void	safety_pg(struct restore *, const char *);
void	restore_pg(struct restore *);

void	sqlite_setup(struct restore *);
void	safety_sqlite(struct restore *, const char *);
void	restore_sqlite(struct restore *);

/* ---- safety.c: the safety backup ---- */

/*
 * Where a safety backup's bytes go: a file written atomically, or, when
 * the tree has a recipients file, bk-crypt encrypting to it (into a
 * temporary name that make_safety renames once it is read back).
 */
struct safety_out {
	int		 crypt;
	struct bk_out	 out;		/* not crypt */
	struct child	 c;		/* crypt: bk-crypt */
	char		*tool;
	int		 broken;	/* bk-crypt stopped reading */
};

void	safety_name(struct restore *);
void	make_safety(struct restore *);
void	safety_open(struct restore *, struct safety_out *, const char *);
void	safety_write(struct safety_out *, const void *, size_t);
void	safety_abort(struct safety_out *, struct restore *);
void	safety_commit(struct safety_out *, struct restore *);

/* ---- drill.c: restore drills into a scratch target ---- */

/*
 * drill_check, after the backup's line is found: the manifest must take
 * the drill's record.  drill_run, after the verification: the scratch
 * target made, the restore, the count, the comparison, the record and
 * the scratch target gone; returns the exit status.  drill_failed: the
 * backup failed (code 1 or 65: a failed drill, recorded, exit 1) or the
 * drill could not run (any other code, which it exits with); either way
 * the scratch target goes.
 */
void	drill_check(struct restore *);
int	drill_run(struct restore *);
void	drill_failed(struct restore *, int, const char *) BK_NORETURN;

/* ---- tally.c: row counts and the content checksum ---- */

struct tally_table {
	char		*name;		/* schema.name, or name in public */
	int64_t		 count;
	unsigned char	 sum[32];	/* of its rows' sha256, mod 2^256 */
};

struct tally {
	struct tally_table *tables;	/* in the byte order of their names */
	size_t		 n, cap;
	int64_t		 records;
	char		 checksum[65];
};

/*
 * Counts the tables of a PostgreSQL connection or an SQLite file into a
 * zeroed tally.  Returns 0, or an exit code with the reason in why.
 */
int	tally_pg(PGconn *, struct tally *, char *, size_t);
int	tally_sqlite(const char *, struct tally *, char *, size_t);
void	tally_free(struct tally *);

/* ---- log.c: restore.log and the reports ---- */

double	elapsed(const struct timespec *);
void	check_tree(struct restore *);
void	log_attempt(struct restore *, const char *, const char *);
void	restore_failed(struct restore *, int, const char *) BK_NORETURN;
void	restore_partial(struct restore *, const char *) BK_NORETURN;
void	safety_failed(struct restore *, int, const char *) BK_NORETURN;

#endif
