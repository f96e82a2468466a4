/*
 * bk-restore: put a backup back into PostgreSQL or SQLite without making
 * things worse.
 *
 * The order of the work is the point of the tool.  The backup must have
 * its manifest line, and one streaming pass over it (through age and gzip)
 * must give the recorded size and sha256 and a whole content: a complete
 * pg_dump script or archive, or an SQLite database that passes the
 * integrity check of common/sqlitefile.c.
 * Only then is the person asked on the terminal (or --yes taken), a
 * safety backup of the target made and recorded in the manifest, and the
 * restore run as one transaction.  For PostgreSQL, psql reads the script
 * decoded a second time (and hashed again on the way) between a BEGIN and
 * a COMMIT that bk-restore sends itself, the COMMIT only once the last
 * byte checked out: input cut short, by a fault or by bk-restore dying,
 * never commits.  For SQLite the verified copy goes into the live
 * database through the backup API in one write transaction.  Each attempt
 * ends as a line of restore.log beside the manifest.
 */
/* realpath(3) is an XSI function. */
#define _XOPEN_SOURCE 700

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <zlib.h>

#include "catalog/catalog.h"

static const char usage[] =
"usage: bk-restore [-cfnPqvy] [--no-safety-backup] [-m manifest] [-w seconds]\n"
"                  [-i identity ...] [--passphrase-file file | --passphrase-fd n]\n"
"                  [--max-work-factor n] -d target file\n";

#define HEAD		4096		/* bytes read to recognise a layer */
#define CHUNK		(256 * 1024)
#define BUSY_MS		10000		/* how long SQLite waits for a lock */
#define SAFETY_DIR	"pre-restore"
#define HISTORY_NAME	"restore.log"
/* The advisory lock that keeps two restores out of one database. */
#define PG_LOCK_KEY	"7451038360"

enum kind { TARGET_PG, TARGET_SQLITE };

struct opts {
	const char	*target;	/* -d as given */
	const char	*manifest;
	const char	**idfiles;
	size_t		 nidfiles;
	const char	*passfile;
	int		 passfd;
	int		 max_logn;	/* --max-work-factor, 0 without */
	int		 wait;		/* manifest and log lock, seconds */
	int		 clean;
	int		 force;
	int		 dry_run;
	int		 progress;
	int		 yes;
	int		 safety;	/* 0 with --no-safety-backup */
	const char	*file;
};

struct restore {
	const struct opts *o;
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
	char		**env;		/* PGPASSWORD=, if -d held one */
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
	int		 asked;		/* confirmed on the terminal */
	struct timespec	 start;
};

/* ---- small helpers ---- */

static double
elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- passphrases and identities ---- */

static int
getpass_cb(void *ctx, char **pass, size_t *len)
{
	const struct opts *o = ctx;

	*pass = bk_passphrase(o->passfile, o->passfd, 0, len);
	return 0;
}

static void
load_identities(struct restore *r)
{
	const struct opts *o = r->o;
	char err[512];
	size_t i;
	int code;

	r->ids = bk_age_ids_new();
	if (o->max_logn > 0)
		bk_age_ids_set_max_logn(r->ids, o->max_logn);
	for (i = 0; i < o->nidfiles; i++)
		if ((code = bk_age_ids_load(r->ids, o->idfiles[i], err,
		    sizeof(err))) != 0)
			bk_errx(code, "%s", err);
	/* As bk-crypt -d: a passphrase is asked for only when no key is. */
	if (o->passfile != NULL || o->passfd >= 0 || o->nidfiles == 0)
		bk_age_ids_set_getpass(r->ids, getpass_cb, (void *)o);
}

/* ---- the backup: its manifest line, its file ---- */

static void
open_backup(struct restore *r)
{
	const struct opts *o = r->o;
	struct bk_entry *e;
	struct stat st;
	char err[512], *mpath = NULL, *copy;

	if (lstat(o->file, &st) < 0)
		bk_err(bk_open_errno_code(errno), "could not open \"%s\"",
		    o->file);
	/* The nearest one above the backup, as git finds its repository. */
	if (o->manifest == NULL && (getenv(BK_MANIFEST_ENV) == NULL ||
	    *getenv(BK_MANIFEST_ENV) == '\0')) {
		copy = bk_strdup(o->file);
		mpath = bk_manifest_locate(dirname(copy));
		free(copy);
	}
	bk_manifest_init(&r->m, o->manifest != NULL ? o->manifest : mpath);
	free(mpath);
	r->m.wait = o->wait;
	bk_manifest_load(&r->m, o->force ? BK_MF_MISSING_OK : 0);
	if ((r->rel = bk_manifest_relpath(&r->m, o->file, err,
	    sizeof(err))) == NULL)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": %s", o->file,
		    err);
	if ((r->fd = bk_manifest_open_file(&r->m, r->rel, O_RDONLY)) < 0) {
		if (errno == ELOOP)
			bk_errx(BK_EX_DATAERR, "could not restore \"%s\": a "
			    "symbolic link, not a backup file", o->file);
		bk_err(bk_open_errno_code(errno), "could not open \"%s\"",
		    o->file);
	}
	if (fstat(r->fd, &st) < 0)
		bk_err(BK_EX_IOERR, "could not open \"%s\"", o->file);
	if (!S_ISREG(st.st_mode))
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": not a regular "
		    "file", o->file);
	if ((e = bk_manifest_find(&r->m, r->rel)) == NULL) {
		if (!o->force)
			bk_errx(BK_EX_FAIL, "could not restore \"%s\": not in the "
			    "manifest \"%s\" (an incomplete backup; --force "
			    "restores it anyway)", r->rel, r->m.path);
		bk_warnx("\"%s\" is not in the manifest: restoring it because "
		    "of --force", r->rel);
		return;
	}
	r->listed = 1;
	if (e->created != NULL)
		r->made = bk_strdup(e->created);
	if (e->size >= 0 && st.st_size != e->size)
		bk_errx(BK_EX_FAIL, "could not restore \"%s\": size is %jd "
		    "bytes, the manifest says %" PRId64, r->rel,
		    (intmax_t)st.st_size, e->size);
	if (e->sha256[0] == '\0') {
		if (!o->force)
			bk_errx(BK_EX_FAIL, "could not restore \"%s\": its "
			    "manifest line has no sha256 to check it against "
			    "(--force restores it anyway)", r->rel);
		bk_warnx("\"%s\" has no sha256 in the manifest: restoring it "
		    "unchecked because of --force", r->rel);
	}
	memcpy(r->want, e->sha256, sizeof(r->want));
}

/* Refuses content that the target cannot take. */
static void
check_content(struct restore *r, enum bk_layer l)
{
	const char *what = r->kind == TARGET_PG ? "PostgreSQL" : "SQLite";

	if (bk_layer_pgarchive(l) && r->kind == TARGET_SQLITE)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": it holds a "
		    "pg_dump archive, and the target is %s", r->rel, what);
	if (bk_layer_pgarchive(l))
		return;
	if (r->kind == TARGET_PG && l == BK_LAYER_SQLITE)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": it holds an "
		    "SQLite database, and the target is %s (use -d sqlite:PATH)",
		    r->rel, what);
	if (r->kind == TARGET_SQLITE && l == BK_LAYER_PGDUMP)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": it holds a "
		    "pg_dump script, and the target is %s", r->rel, what);
	if (l != BK_LAYER_PGDUMP && l != BK_LAYER_SQLITE)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": it holds %s, "
		    "not a plain pg_dump script or an SQLite database", r->rel,
		    l == BK_LAYER_UNKNOWN ? "data of no known kind" :
		    bk_layer_name(l));
}

/* ---- pass 1: verify the whole backup before anything is touched ---- */

/*
 * Reads the backup once from the first byte to the last and asks
 * common/inspect.c, as bk-manifest add and bk-verify do: the sha256 of its
 * raw bytes must be the manifest's, every layer must decode (age
 * authenticates each chunk, gzip checks its CRC and length), and the
 * content must be whole.  An SQLite database is kept in a private
 * temporary copy, which is what the restore then copies in.  Exits with
 * the reason on any failure: 1 when the digest differs (the file is not
 * the one recorded), else the verdict's code (65 bad data, 1 wrong key).
 */
static void
verify_backup(struct restore *r)
{
	struct bk_inspect_opts io;
	struct bk_inspect ins;

	memset(&io, 0, sizeof(io));
	io.ids = r->ids;
	io.progress = r->o->progress;
	io.label = "verifying";
	io.keep_copy = 1;
	bk_inspect_fd(r->fd, r->rel, &io, &ins);
	r->content = ins.content;
	bk_inspect_layers(&ins, r->layers, sizeof(r->layers));
	memcpy(r->sha, ins.sha256, sizeof(r->sha));
	r->size = ins.size;
	r->tmp = ins.copy;
	r->tmpslot = ins.slot;
	if (ins.code == BK_EX_IOERR && ins.layer_failed)
		bk_errx(BK_EX_IOERR, "could not read \"%s\": %s", r->rel,
		    ins.why);
	if (r->want[0] != '\0' && strcmp(r->want, r->sha) != 0)
		bk_errx(BK_EX_FAIL, "could not restore \"%s\": sha256 does not "
		    "match the manifest%s%s%s", r->rel, ins.code ? " (" : "",
		    ins.code ? ins.why : "", ins.code ? ")" : "");
	/* What the target cannot take is said first, broken or not. */
	if (!ins.layer_failed && r->content != BK_LAYER_EMPTY)
		check_content(r, r->content);
	if (ins.code != 0)
		bk_errx(ins.code, "could not restore \"%s\": %s", r->rel,
		    ins.why);
	bk_info("verified \"%s\": %" PRIu64 " bytes, sha256 %s, %s", r->rel,
	    r->size, r->want[0] ? "as recorded" : "not recorded", r->layers);
}

/* ---- child processes: psql and pg_dump ---- */

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
};

/* What psql prints once it has run our COMMIT (then a random nonce). */
#define COMMITTED	"bk-restore: committed "
/* What it prints once it has begun our transaction (then its id). */
#define BEGUN		"bk-restore: txid "

static int
is_error_line(const char *s)
{
	return strstr(s, "ERROR:") != NULL || strstr(s, "FATAL:") != NULL ||
	    strstr(s, "error:") != NULL || strncmp(s, "could not", 9) == 0;
}

/* Whether a line starts with the child's name and a colon ("psql:"). */
static int
is_own_line(const struct child *c, const char *s)
{
	size_t n = strlen(c->name);

	return strncmp(s, c->name, n) == 0 && s[n] == ':';
}

/*
 * Reads the child's stderr to its end, in a thread of its own so that a
 * child with much to say never blocks while we write to it.  Keeps the
 * first error line (and the last line) for the one-line report; shows
 * everything with -v.
 */
static void *
child_errors(void *arg)
{
	struct child *c = arg;
	FILE *f;
	char line[600];
	size_t n;
	int whole = 1;

	if ((f = fdopen(c->err, "r")) == NULL) {
		close(c->err);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (bk_verbosity() > 0)
			fputs(line, stderr);
		n = strlen(line);
		/* The rest of a long line is not a line of its own. */
		if (!whole) {
			whole = n > 0 && line[n - 1] == '\n';
			continue;
		}
		whole = n > 0 && line[n - 1] == '\n';
		bk_one_line(line);
		if (line[0] == '\0')
			continue;
		snprintf(c->last, sizeof(c->last), "%s", line);
		if (c->first[0] == '\0' && is_error_line(line))
			snprintf(c->first, sizeof(c->first), "%s", line);
		if (is_own_line(c, line))
			snprintf(c->own, sizeof(c->own), "%s", line);
	}
	fclose(f);
	return NULL;
}

/*
 * Reads psql's standard output (query results, which nobody needs) to its
 * end, looking for the line that says our COMMIT ran.
 */
static void *
child_output(void *arg)
{
	struct child *c = arg;
	FILE *f;
	char line[256];

	if ((f = fdopen(c->ofd, "r")) == NULL) {
		close(c->ofd);
		return NULL;
	}
	/*
	 * Our prelude runs first, so the first BEGUN line is ours; the mark
	 * holds a nonce the script cannot know.
	 */
	while (fgets(line, sizeof(line), f) != NULL)
		if (c->mark[0] != '\0' && strcmp(line, c->mark) == 0)
			c->marked = 1;
		else if (c->txid == 0 &&
		    strncmp(line, BEGUN, sizeof(BEGUN) - 1) == 0)
			c->txid = strtoll(line + sizeof(BEGUN) - 1, NULL, 10);
	fclose(f);
	return NULL;
}

static void
pipe_cloexec(int p[2])
{
	if (pipe(p) < 0)
		bk_err(BK_EX_SOFTWARE, "could not make a pipe");
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
}

/*
 * Starts argv[0] (found in PATH) with r->env added to its environment:
 * stdin and stdout are pipes when asked for, else /dev/null; want_out 2
 * has a thread watch stdout for COMMITTED.
 */
static void
child_init(struct child *c)
{
	memset(c, 0, sizeof(*c));
	c->in = c->out = c->extra[0] = c->extra[1] = -1;
}

/*
 * Starts argv[0] with the pipes asked for (want_out 2: read by a thread
 * of ours), and c->extra[] as its fds 3 and 4; c comes from child_init.
 */
static void
child_start(struct child *c, struct restore *r, char *const argv[],
    int want_in, int want_out)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2], nul, x[2];
	size_t i;

	/* What child_init set, and the caller's extra[] and mark[]. */
	x[0] = c->extra[0];
	x[1] = c->extra[1];
	c->name = argv[0];
	c->in = c->out = -1;
	if (want_in)
		pipe_cloexec(in);
	if (want_out)
		pipe_cloexec(out);
	pipe_cloexec(err);
	fflush(stdout);
	fflush(stderr);
	if ((c->pid = fork()) < 0)
		bk_err(BK_EX_SOFTWARE, "could not start %s", c->name);
	if (c->pid == 0) {
		nul = open("/dev/null", O_RDWR);
		dup2(want_in ? in[0] : nul, STDIN_FILENO);
		dup2(want_out ? out[1] : nul, STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		if (nul > STDERR_FILENO)
			close(nul);
		/* Out of the way first, so 3 and 4 cannot clobber each other. */
		for (i = 0; i < 2; i++)
			if (x[i] >= 0)
				x[i] = fcntl(x[i], F_DUPFD_CLOEXEC, 10);
		for (i = 0; i < 2; i++)
			if (x[i] >= 0)
				dup2(x[i], 3 + (int)i);
		for (i = 0; i < r->nenv; i++)
			putenv(r->env[i]);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "could not run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	for (i = 0; i < 2; i++)
		if (x[i] >= 0)
			close(x[i]);
	c->extra[0] = c->extra[1] = -1;
	if (want_in) {
		close(in[0]);
		c->in = in[1];
	}
	if (want_out) {
		close(out[1]);
		c->out = out[0];
	}
	close(err[1]);
	c->err = err[0];
	if (pthread_create(&c->thread, NULL, child_errors, c) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	if (want_out == 2) {
		/* The thread's alone: child_wait must not close or reset it. */
		c->watch = 1;
		c->ofd = c->out;
		c->out = -1;
		if (pthread_create(&c->othread, NULL, child_output, c) != 0)
			bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	}
}

/* Waits for the child; returns its wait status. */
static int
child_wait(struct child *c)
{
	int status;

	if (c->in >= 0)
		close(c->in);
	if (c->out >= 0)
		close(c->out);
	c->in = c->out = -1;
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			bk_err(BK_EX_SOFTWARE, "could not wait for %s", c->name);
	pthread_join(c->thread, NULL);
	if (c->watch)
		pthread_join(c->othread, NULL);
	return status;
}

/*
 * The child's failure as a phrase.  psql stops at the first error
 * (ON_ERROR_STOP), so its last line that starts "psql:" is that error, in
 * whatever language the server speaks (the lines of context after it do
 * not start so); otherwise the first line that looks like an error, else
 * the last line, else how it ended.
 */
static void
child_why(const struct child *c, int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "%s was killed by signal %d", c->name,
		    WTERMSIG(status));
	else if (strcmp(c->name, "psql") == 0 && c->own[0] != '\0')
		snprintf(buf, size, "%s", c->own);
	else if (c->first[0] != '\0')
		snprintf(buf, size, "%s", c->first);
	else if (c->last[0] != '\0')
		snprintf(buf, size, "%s", c->last);
	else
		snprintf(buf, size, "%s exited with status %d", c->name,
		    WEXITSTATUS(status));
}

/* ---- the target ---- */

/* Appends key=value to the record, unless the value is empty. */
static void
add_param(char **s, const char *key, const char *val)
{
	if (val != NULL && *val != '\0')
		bk_conninfo_add(s, key, val);
}

/*
 * psql and pg_dump get the target without its secrets, rebuilt from what
 * libpq parsed of it (--dbname=, so that libpq weighs it against service
 * files and the environment exactly as it did for us), and its password,
 * if any (a bad habit, but libpq allows it), in PGPASSWORD in their own
 * environment: never on their command lines, which every user can read,
 * and never in a file, which a kill -9 would leave behind.  An sslpassword
 * has no variable to go in.  A target libpq cannot parse is refused
 * before anything runs, and never repeated: it may hold a password.
 */
static void
pg_args(struct restore *r)
{
	struct bk_conninfo ci;
	int rc;

	if ((rc = bk_conninfo_parse(r->o->target, &ci)) != 0)
		bk_usage_error("bad -d: %s (not shown: it may hold a "
		    "password)", bk_conninfo_why(rc));
	if (ci.secret != NULL)
		bk_usage_error("bad -d: an %s cannot be passed on to psql and "
		    "pg_dump (leave it out: libpq asks for it)", ci.secret);
	if (ci.password != NULL) {
		r->env = bk_calloc(1, sizeof(*r->env));
		r->env[r->nenv++] = bk_asprintf("PGPASSWORD=%s", ci.password);
	}
	r->dbarg = bk_asprintf("--dbname=%s", ci.plain);
	bk_conninfo_free(&ci);
}

/* Connects (to check the target and hold the restore lock). */
static void
pg_setup(struct restore *r)
{
	const char *kw[] = { "dbname", "fallback_application_name", NULL };
	const char *val[] = { r->o->target, "bk-restore", NULL };
	const char *host;
	PGresult *res;
	int ok, got;

	r->pg = PQconnectdbParams(kw, val, 1);
	if (r->pg == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	if (PQstatus(r->pg) != CONNECTION_OK)
		bk_errx(BK_EX_UNAVAILABLE, "could not connect to the database: "
		    "%s", bk_one_line(PQerrorMessage(r->pg)));
	host = PQhost(r->pg);
	r->name = bk_strdup(PQdb(r->pg));
	r->shown = bk_asprintf("PostgreSQL database \"%s\" (host %s, port "
	    "%s, user %s)", PQdb(r->pg), host != NULL && *host ? host :
	    "default", PQport(r->pg), PQuser(r->pg));
	add_param(&r->record, "dbname", PQdb(r->pg));
	add_param(&r->record, "host", host);
	add_param(&r->record, "port", PQport(r->pg));
	add_param(&r->record, "user", PQuser(r->pg));
	/* Held by this session until we exit: one restore at a time. */
	res = PQexec(r->pg, "SELECT pg_catalog.pg_try_advisory_lock("
	    PG_LOCK_KEY ")");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	got = ok && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!ok)
		bk_errx(BK_EX_UNAVAILABLE, "%s: %s", r->shown,
		    bk_one_line(PQerrorMessage(r->pg)));
	if (!got)
		bk_errx(BK_EX_TEMPFAIL, "another bk-restore is restoring into "
		    "%s", r->shown);
}

/*
 * An SQLite target is a database file, an empty file or none at all (it
 * is created).  Anything else is refused: a restore must not overwrite a
 * file that is not a database.  An flock on the file keeps a second
 * bk-restore out; the application's own locks are SQLite's, which the
 * backup API waits for.
 */
static void
sqlite_setup(struct restore *r)
{
	struct stat st;
	unsigned char head[16];
	char *copy, *dir;
	ssize_t n;

	r->path = bk_strdup(r->o->target + 7);
	if (*r->path == '\0')
		bk_usage_error("empty path in -d sqlite:");
	if ((r->lockfd = open(r->path, O_RDWR | O_CLOEXEC)) < 0) {
		if (errno == EISDIR)
			bk_errx(BK_EX_DATAERR, "could not restore into \"%s\": "
			    "not a regular file", r->path);
		if (errno != ENOENT)
			bk_err(bk_open_errno_code(errno), "could not open "
			    "\"%s\"", r->path);
		copy = bk_strdup(r->path);
		dir = realpath(dirname(copy), NULL);
		free(copy);
		if (dir == NULL)
			bk_err(bk_open_errno_code(errno), "could not open the "
			    "folder of \"%s\"", r->path);
		r->record = bk_asprintf("sqlite:%s/%s", strcmp(dir, "/") ? dir :
		    "", strrchr(r->path, '/') ? strrchr(r->path, '/') + 1 :
		    r->path);
		free(dir);
		r->empty = r->created = 1;
		if (!r->o->dry_run) {
			r->lockfd = open(r->path, O_RDWR | O_CREAT | O_EXCL |
			    O_CLOEXEC, 0600);
			if (r->lockfd < 0)
				bk_err(bk_open_errno_code(errno) ==
				    BK_EX_NOPERM ? BK_EX_NOPERM :
				    BK_EX_CANTCREAT, "could not create \"%s\"",
				    r->path);
			/* Removed again unless the restore fills it. */
			r->created_slot = bk_tmp_register(r->path);
		}
	} else {
		if (fstat(r->lockfd, &st) < 0)
			bk_err(BK_EX_IOERR, "could not open \"%s\"", r->path);
		if (!S_ISREG(st.st_mode))
			bk_errx(BK_EX_DATAERR, "could not restore into \"%s\": "
			    "not a regular file", r->path);
		if ((n = bk_read_full(r->lockfd, head, sizeof(head))) < 0)
			bk_err(BK_EX_IOERR, "could not read \"%s\"", r->path);
		if (n > 0 && (n < 16 ||
		    memcmp(head, "SQLite format 3", 16) != 0))
			bk_errx(BK_EX_DATAERR, "could not restore into \"%s\": "
			    "it is not an SQLite database, and bk-restore "
			    "replaces only databases", r->path);
		r->empty = n == 0;
		dir = realpath(r->path, NULL);
		r->record = bk_asprintf("sqlite:%s", dir != NULL ? dir :
		    r->path);
		free(dir);
	}
	if (r->lockfd >= 0 && flock(r->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			bk_errx(BK_EX_TEMPFAIL, "another bk-restore is "
			    "restoring into \"%s\"", r->path);
		bk_err(BK_EX_IOERR, "could not lock \"%s\"", r->path);
	}
	copy = bk_strdup(r->path);
	r->name = bk_strdup(basename(copy));
	free(copy);
	r->shown = bk_asprintf("SQLite database \"%s\"", r->path);
}

/* ---- asking first ---- */

static void
confirm(struct restore *r)
{
	char *prompt, *ans;
	size_t len;
	int fd;

	if (r->o->yes)
		return;
	if ((fd = bk_tty_open()) < 0)
		bk_errx(BK_EX_USAGE, "refusing to restore into %s without "
		    "confirmation: there is no terminal to ask on (use --yes)",
		    r->shown);
	prompt = bk_asprintf("bk-restore: restore \"%s\" (%s%s)\n"
	    "  verified just now: %s, sha256 %.16s...\n"
	    "  into %s?\n"
	    "  %s\n%s%s%s"
	    "Type the name of the %s (%s) to go on: ",
	    r->rel, r->made ? "made " : "not in the manifest",
	    r->made ? r->made : "", r->layers, r->sha, r->shown,
	    r->empty ? "The target is new or empty." :
	    r->kind == TARGET_PG && r->o->clean ? "Everything in it is "
	    "dropped first and replaced." : r->kind == TARGET_PG ?
	    "The script runs on top of what is in it." :
	    "Its data is replaced.", r->safety == NULL ? "" :
	    "  A safety backup of it goes to \"", r->safety == NULL ? "" :
	    r->safety, r->safety == NULL ? "" : "\" first.\n",
	    r->kind == TARGET_PG ? "database" : "database file", r->name);
	ans = bk_tty_ask(fd, prompt, 1, &len);
	free(prompt);
	close(fd);
	if (len != strlen(r->name) || memcmp(ans, r->name, len) != 0) {
		free(ans);
		bk_errx(BK_EX_FAIL, "not confirmed: nothing was changed");
	}
	free(ans);
	r->asked = 1;
}

/* ---- the restore log ---- */

/*
 * The safety backup is recorded in the manifest and the attempt in
 * restore.log after the target has changed: a tree that cannot take them
 * is refused now, before anything is done (a failure to log would also
 * hide why a restore failed).
 */
static void
check_tree(struct restore *r)
{
	const char *files[2], *what;
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	snprintf(path, sizeof(path), "%s/" HISTORY_NAME, r->m.dir);
	files[0] = r->m.path;
	files[1] = path;
	for (i = 0; i < 2; i++) {
		what = files[i];
		/* Written through the manifest's code, which takes no link. */
		if (lstat(what, &st) == 0 && S_ISLNK(st.st_mode))
			bk_errx(BK_EX_DATAERR, "could not write \"%s\": it is "
			    "a symbolic link (nothing was restored)", what);
		if (access(what, W_OK) == 0)
			continue;
		/* A file still to be created needs its folder. */
		if (errno == ENOENT && access(what = r->m.dir, W_OK) == 0)
			continue;
		bk_err(errno == EACCES || errno == EPERM || errno == EROFS ?
		    BK_EX_NOPERM : BK_EX_CANTCREAT, "could not write \"%s\"",
		    what);
	}
}

/* One line per attempt in restore.log beside the manifest (see FILES). */
static void
log_attempt(struct restore *r, const char *result, const char *why)
{
	/* Static: reachable if its lock or write exits. */
	static struct bk_manifest h;
	struct bk_entry *e;
	char *path;

	path = bk_asprintf("%s/" HISTORY_NAME, r->m.dir);
	bk_manifest_init(&h, path);
	free(path);
	e = bk_entry_new(r->rel);
	bk_entry_set_str(e, "result", result);
	bk_entry_set_str(e, "target", r->record);
	bk_entry_set_str(e, "sha256", r->sha);
	if (r->safety != NULL)
		bk_entry_set_str(e, "safety_backup", r->safety);
	if (why != NULL)
		bk_entry_set_str(e, "reason", why);
	if (r->o->clean)
		json_object_set_new(e->json, "clean", json_true());
	if (!r->listed)
		json_object_set_new(e->json, "forced", json_true());
	bk_entry_set_int(e, "seconds", (int64_t)(elapsed(&r->start) + 0.5));
	bk_entry_set_str(e, "created_by", bk_user_name());
	/*
	 * The outcome is settled when this runs: a busy lock must not turn
	 * it into exit 75, which would say the restore never happened.  An
	 * append takes milliseconds, so waiting for it is safe.
	 */
	bk_manifest_lock(&h, BK_LOCK_EX, -1, 0);
	bk_manifest_append(&h, e);
	bk_manifest_unlock(&h);
	bk_manifest_free(&h);
}

/*
 * Reports a failed restore: the log line first, then one line on stderr
 * that says nothing changed and where the safety backup is.
 */
static void BK_NORETURN
restore_failed(struct restore *r, int code, const char *why)
{
	log_attempt(r, "fail", why);
	bk_errx(code, "could not restore \"%s\" into %s: %s; nothing was "
	    "changed (rolled back)%s%s%s", r->rel, r->shown, why,
	    r->safety != NULL ? "; the safety backup is \"" : "",
	    r->safety != NULL ? r->safety : "", r->safety != NULL ? "\"" : "");
}

/*
 * Reports a restore whose transaction the server committed without our
 * COMMIT: the script ended it itself.  Only the safety backup undoes it.
 */
static void BK_NORETURN
restore_partial(struct restore *r, const char *why)
{
	log_attempt(r, "partial", why);
	bk_errx(BK_EX_DATAERR, "could not restore \"%s\" into %s: %s; what "
	    "ran before that is committed%s%s%s", r->rel, r->shown, why,
	    r->safety != NULL ? ": the safety backup \"" : "",
	    r->safety != NULL ? r->safety : "",
	    r->safety != NULL ? "\" undoes it" : "");
}

/*
 * Reports a failed safety backup the same way: nothing was restored.
 */
static void BK_NORETURN
safety_failed(struct restore *r, int code, const char *why)
{
	char reason[1024];

	snprintf(reason, sizeof(reason), "could not make the safety backup: "
	    "%s", why);
	free(r->safety);
	r->safety = NULL;
	log_attempt(r, "fail", reason);
	bk_errx(code, "could not make the safety backup of %s: %s; nothing "
	    "was changed", r->shown, why);
}

/* ---- the safety backup ---- */

/*
 * Chooses the safety backup's name: pre-restore/NAME_YYYYmmdd_HHMMSS.EXT
 * in the tree, with -2, -3... when a restore of the same second made one.
 * The folder must lie in the tree (a symlink out of it is refused).
 */
static void
safety_name(struct restore *r)
{
	struct stat st;
	char stamp[32], *stem, *ext, *dot, *p, *rel;
	time_t now = time(NULL);
	int i;

	strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", localtime(&now));
	stem = bk_strdup(r->name);
	for (p = stem; *p != '\0'; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_' &&
		    *p != '.')
			*p = '_';
	if (r->kind == TARGET_PG)
		ext = bk_strdup(".sql.gz");
	else if ((dot = strrchr(stem, '.')) != NULL && dot != stem) {
		ext = bk_strdup(dot);
		*dot = '\0';
	} else
		ext = bk_strdup(".db");
	for (i = 1; ; i++) {
		if (i == 1)
			rel = bk_asprintf(SAFETY_DIR "/%s_%s%s", stem, stamp, ext);
		else
			rel = bk_asprintf(SAFETY_DIR "/%s_%s-%d%s", stem, stamp,
			    i, ext);
		p = bk_asprintf("%s/%s", r->m.dir, rel);
		/* Taken when it exists; any other trouble shows later. */
		if (lstat(p, &st) < 0 && bk_manifest_find(&r->m, rel) == NULL) {
			free(p);
			break;
		}
		free(p);
		free(rel);
	}
	free(stem);
	free(ext);
	r->safety = rel;
}

/* Creates pre-restore/ in the tree, refusing one that leads out of it. */
static void
safety_folder(struct restore *r)
{
	struct stat st;
	char p[PATH_MAX], *rel, err[512];
	int same;

	snprintf(p, sizeof(p), "%s/" SAFETY_DIR, r->m.dir);
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		bk_err(errno == EACCES || errno == EPERM ? BK_EX_NOPERM :
		    BK_EX_CANTCREAT, "could not create folder \"%s\"", p);
	if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		bk_errx(BK_EX_CANTCREAT, "could not create the safety backup: "
		    "\"%s\" is not a folder", p);
	snprintf(p, sizeof(p), "%s/%s", r->m.dir, r->safety);
	rel = bk_manifest_relpath(&r->m, p, err, sizeof(err));
	same = rel != NULL && strcmp(rel, r->safety) == 0;
	free(rel);
	if (!same)
		bk_errx(BK_EX_CANTCREAT, "could not create the safety backup: "
		    "the folder \"" SAFETY_DIR "\" leads out of the tree");
}

/* pg_dump -Fp --clean --if-exists, gzipped on the way into the tree. */
static void
safety_pg(struct restore *r, const char *path)
{
	char *const argv[] = { "pg_dump", "-Fp", "--clean", "--if-exists",
	    r->dbarg, NULL };
	struct bk_progress meter;
	struct child c;
	struct bk_out out;
	z_stream z;
	unsigned char *in = r->buf, *zb = r->zbuf;
	char why[700];
	ssize_t got;
	int status, zr = Z_OK;

	bk_out_open(&out, path, 0);
	memset(&z, 0, sizeof(z));
	/* windowBits 16 + 15: a gzip member, as gzip -6 writes it. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		bk_errx(BK_EX_SOFTWARE, "could not start zlib");
	bk_progress_init(&meter, r->o->progress, "safety backup", 0);
	child_init(&c);
	child_start(&c, r, argv, 0, 1);
	do {
		got = bk_read_full(c.out, in, CHUNK);
		if (got < 0)
			bk_err(BK_EX_IOERR, "could not read from pg_dump");
		bk_progress_add(&meter, (uint64_t)got);
		z.next_in = in;
		z.avail_in = (uInt)got;
		do {
			z.next_out = zb;
			z.avail_out = CHUNK;
			zr = deflate(&z, got == 0 ? Z_FINISH : Z_NO_FLUSH);
			bk_out_write(&out, zb, CHUNK - z.avail_out);
		} while (z.avail_out == 0);
	} while (got > 0);
	deflateEnd(&z);
	bk_progress_end(&meter);
	status = child_wait(&c);
	if (zr != Z_STREAM_END || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		bk_out_abort(&out);
		child_why(&c, status, why, sizeof(why));
		safety_failed(r, strstr(why, "permission denied") != NULL ?
		    BK_EX_NOPERM : BK_EX_UNAVAILABLE, why);
	}
	bk_out_commit(&out);
}

static int
sqlite_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return BK_EX_TEMPFAIL;
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return BK_EX_IOERR;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return BK_EX_NOPERM;
	case SQLITE_CANTOPEN:
		return BK_EX_CANTCREAT;
	default:
		return BK_EX_DATAERR;
	}
}

static const char *
sqlite_why(int rc)
{
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return "the database stayed locked for 10 seconds (stop the "
		    "application first)";
	return sqlite3_errstr(rc);
}

static sqlite3 *
sqlite_open(const char *path, int flags, const char *what)
{
	sqlite3 *db = NULL;
	int rc;

	if ((rc = sqlite3_open_v2(path, &db, flags, NULL)) != SQLITE_OK)
		bk_errx(sqlite_code(rc), "could not open %s \"%s\": %s", what,
		    path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_busy_timeout(db, BUSY_MS);
	return db;
}

/* The private copy the verification made (bk_sqlite_open_copy). */
static sqlite3 *
copy_open(struct restore *r, int write)
{
	sqlite3 *db = NULL;
	int rc;

	if ((rc = bk_sqlite_open_copy(r->tmp, write, &db)) != SQLITE_OK)
		bk_errx(sqlite_code(rc), "could not open the copy of \"%s\": "
		    "%s", r->rel, db != NULL ? sqlite3_errmsg(db) :
		    "out of memory");
	sqlite3_busy_timeout(db, BUSY_MS);
	return db;
}

/* A checked copy of the live database, in one read transaction. */
static void
safety_sqlite(struct restore *r, const char *path)
{
	struct bk_out out;
	sqlite3 *src, *dst;
	char why[700];
	int rc;

	bk_out_open(&out, path, 0);
	src = sqlite_open(r->path, SQLITE_OPEN_READONLY, "database");
	dst = sqlite_open(out.tmp, SQLITE_OPEN_READWRITE, "safety backup");
	/* Its journal in memory: nothing is left beside it by a kill. */
	rc = sqlite3_exec(dst, "PRAGMA journal_mode=MEMORY", NULL, NULL,
	    NULL) == SQLITE_OK ? bk_sqlite_copy(dst, src, BUSY_MS) :
	    sqlite3_errcode(dst);
	sqlite3_close(src);
	if (rc != SQLITE_DONE)
		safety_failed(r, sqlite_code(rc), sqlite_why(rc));
	/* One self-contained file, even when the target runs in WAL mode. */
	if (sqlite3_close(dst) != SQLITE_OK || bk_sqlite_unwal(out.tmp) < 0)
		bk_errx(BK_EX_IOERR, "could not write \"%s\"", path);
	if (bk_sqlite_integrity(out.tmp, why, sizeof(why)) < 0)
		safety_failed(r, BK_EX_DATAERR, why);
	bk_out_commit(&out);
}

/*
 * Makes the safety backup, reads it back as bk-manifest add would, and
 * records it in the manifest (type pre-restore): from then on it is a
 * backup like any other, verified and rotated with the rest.
 */
static void
make_safety(struct restore *r)
{
	struct bk_inspect ins;
	struct bk_entry *e;
	char *path, *desc;
	time_t now;
	int fd, slot;

	safety_folder(r);
	path = r->safety_path = bk_asprintf("%s/%s", r->m.dir, r->safety);
	if (r->kind == TARGET_PG)
		safety_pg(r, path);
	else
		safety_sqlite(r, path);
	now = time(NULL);
	/*
	 * Until its manifest line is written, the safety backup is removed
	 * if the program stops: a file in the tree without a line would be
	 * an incomplete backup.
	 */
	slot = bk_tmp_register(path);
	if ((fd = bk_manifest_open_file(&r->m, r->safety, O_RDONLY)) < 0)
		bk_err(BK_EX_IOERR, "could not read \"%s\"", path);
	if (bk_inspect_fd(fd, path, NULL, &ins) < 0 && ins.layer_failed)
		bk_errx(ins.code, "could not read \"%s\": %s", path, ins.why);
	close(fd);
	if (ins.code != 0)
		safety_failed(r, BK_EX_UNAVAILABLE, ins.why);
	e = bk_entry_inspected(r->safety, now, bk_local_offset(now),
	    "pre-restore", &ins, -1);
	desc = bk_asprintf("before restoring %s", r->rel);
	bk_entry_set_str(e, "description", desc);
	bk_entry_set_str(e, "created_by", bk_user_name());
	bk_entry_set_str(e, "source", r->record);
	free(desc);
	bk_manifest_lock(&r->m, BK_LOCK_EX, r->o->wait, 0);
	bk_manifest_load(&r->m, BK_MF_QUIET);
	bk_manifest_append(&r->m, e);
	bk_manifest_unlock(&r->m);
	bk_tmp_forget(slot);
	bk_info("safety backup \"%s\": %" PRIu64 " bytes", r->safety,
	    ins.size);
}

/* ---- pass 2 for PostgreSQL: psql in one transaction ---- */

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
	char		 bad[160];	/* a statement that ends our transaction */
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
};

static void
txf_put(struct txf *t, const void *p, size_t n)
{
	if (t->olen + n > t->ocap) {
		while (t->olen + n > t->ocap)
			t->ocap = t->ocap ? t->ocap * 2 : CHUNK * 2;
		t->out = bk_realloc(t->out, t->ocap);
	}
	memcpy(t->out + t->olen, p, n);
	t->olen += n;
}

static int
ident_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/*
 * Statements that end or split a transaction.  pg_dump writes none but
 * the BEGIN; and COMMIT; lines the filter turns into comments; any other
 * stops the restore before psql has the statement whole.
 */
static void
txf_check(struct txf *t)
{
	static const char *const words[] = { "BEGIN", "START", "COMMIT",
	    "END", "ROLLBACK", "ABORT", "PREPARE", "SAVEPOINT", "RELEASE",
	    NULL };
	size_t n, i;

	for (n = 0; n < t->wlen && ((t->word[n] >= 'a' && t->word[n] <= 'z') ||
	    (t->word[n] >= 'A' && t->word[n] <= 'Z')); n++)
		;
	/* The END that closes a function's BEGIN ATOMIC body is no statement. */
	if (n == 3 && t->sbdepth > 0 && t->bdepth == 0 &&
	    strncasecmp(t->word, "END", 3) == 0)
		return;
	for (i = 0; words[i] != NULL && t->bad[0] == '\0'; i++)
		if (n == strlen(words[i]) && strncasecmp(t->word, words[i],
		    n) == 0)
			snprintf(t->bad, sizeof(t->bad), "the script has its "
			    "own %s statement (line %" PRIu64 "), which would "
			    "end the restore's one transaction", words[i],
			    t->sline);
}

/*
 * psql does not end a statement at a ";" inside the BEGIN ... END of a
 * CREATE [OR REPLACE] FUNCTION or PROCEDURE (SQL-standard bodies, which
 * pg_dump writes): it counts BEGIN, CASE (inside a BEGIN) and END among
 * the statement's identifiers outside parentheses.  The filter counts the
 * same way, and still checks every piece between semicolons (no COMMIT
 * is valid in such a body), except the END that closes the body.  A body
 * that uses BEGIN, CASE or END as a name (after AS or a dot), or nests a
 * BEGIN, is refused: there psql's count and the server's grammar part, and
 * psql could hand the server a COMMIT inside what it takes for one
 * statement.
 */
static void
txf_ident(struct txf *t)
{
	size_t n = t->toklen;
	const char *w = t->tok;
	int as = t->after_as;

	if (n >= sizeof(t->tok))
		n = 0;	/* longer than any word that counts */
	t->after_as = n == 2 && strncasecmp(w, "as", 2) == 0;
	if (t->nids < 4 && ((n == 6 && strncasecmp(w, "create", 6) == 0) ||
	    (n == 8 && strncasecmp(w, "function", 8) == 0) ||
	    (n == 9 && strncasecmp(w, "procedure", 9) == 0) ||
	    (n == 2 && strncasecmp(w, "or", 2) == 0) ||
	    (n == 7 && strncasecmp(w, "replace", 7) == 0)))
		t->ids[t->nids] = (char)(w[0] | 0x20);
	t->nids++;
	if (t->ids[0] != 'c' || t->parens != 0 || !(t->ids[1] == 'f' ||
	    t->ids[1] == 'p' || (t->ids[1] == 'o' && t->ids[2] == 'r' &&
	    (t->ids[3] == 'f' || t->ids[3] == 'p'))))
		return;
	if (!((n == 5 && strncasecmp(w, "begin", 5) == 0) ||
	    (n == 4 && strncasecmp(w, "case", 4) == 0) ||
	    (n == 3 && strncasecmp(w, "end", 3) == 0)))
		return;
	if ((t->bdepth > 0 && (as || t->tokdot || w[0] == 'b' ||
	    w[0] == 'B')) && t->bad[0] == '\0')
		snprintf(t->bad, sizeof(t->bad), "a function body at line %"
		    PRIu64 " has %.*s as a name or nested, which psql and the "
		    "server read differently", t->line, (int)n, w);
	if (w[0] == 'b' || w[0] == 'B')
		t->bdepth++;
	else if (w[0] == 'c' || w[0] == 'C') {
		if (t->bdepth > 0)
			t->bdepth++;
	} else if (t->bdepth > 0)
		t->bdepth--;
}

/* Every byte of code: identifiers as psql's lexer reads them, parentheses. */
static void
txf_tok(struct txf *t, unsigned char c)
{
	int start = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_' || c >= 0x80;
	int cont = start || (c >= '0' && c <= '9') || c == '$';

	if (t->intok && cont) {
		if (t->toklen < sizeof(t->tok))
			t->tok[t->toklen] = (char)c;
		t->toklen++;
		return;
	}
	if (t->intok == 1)
		txf_ident(t);
	else if (t->intok == 2 && t->toklen >= 4 && t->toklen < sizeof(t->tok) &&
	    strncasecmp(t->tok + t->toklen - 3, "end", 3) == 0 &&
	    t->bdepth > 0)
		t->bdepth--;	/* psql may read "1xend" as junk and END */
	t->intok = 0;
	if (start || (c >= '0' && c <= '9')) {
		/* After one ":" (not "::"), psql's :variable: no identifier. */
		t->intok = start && t->colons % 2 == 0 ? 1 : 2;
		t->tok[0] = (char)c;
		t->toklen = 1;
		t->tokdot = t->after_dot;
	} else if (c == '(')
		t->parens++;
	else if (c == ')' && t->parens > 0)
		t->parens--;
	t->colons = c == ':' ? t->colons + 1 : 0;
	/* AS or a dot, then blanks or comments, then the name. */
	if (c == '.')
		t->after_dot = 1;
	else if (c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
	    c != '-' && c != '/' && c != '*') {
		t->after_dot = 0;
		if (!start)
			t->after_as = 0;
	}
}

static void
txf_code(struct txf *t, unsigned char c)
{
	if (c == ';') {
		if (t->open)
			txf_check(t);
		/* psql's statement goes on inside parentheses or a body. */
		if (t->parens == 0 && t->bdepth == 0) {
			t->nids = 0;
			memset(t->ids, 0, sizeof(t->ids));
		}
		t->tailw[sizeof(t->tailw) - 1] = '\0';
		t->copy_next = t->copy &&
		    strcasecmp(t->tailw, " FROM stdin") == 0;
		t->open = t->copy = 0;
		t->wlen = 0;
		memset(t->tailw, 0, sizeof(t->tailw));
		return;
	}
	if (!t->open) {
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			return;
		t->open = 1;
		t->sline = t->line;
		t->sbdepth = t->bdepth;
	}
	if (t->wlen < sizeof(t->word) - 1) {
		t->word[t->wlen++] = (char)c;
		t->word[t->wlen] = '\0';
		if (t->wlen == 5)
			t->copy = strncasecmp(t->word, "COPY", 4) == 0 &&
			    (c == ' ' || c == '\n' || c == '\t');
	}
	memmove(t->tailw, t->tailw + 1, sizeof(t->tailw) - 2);
	t->tailw[sizeof(t->tailw) - 2] = (char)c;
}

/* One byte through the lexer, and into the output. */
static void
txf_byte(struct txf *t, unsigned char c)
{
	int first = t->col == 0;

	t->col = c == '\n' ? 0 : t->col + 1;
	txf_put(t, &c, 1);
again:
	switch (t->st) {
	case LX_CODE:
		txf_tok(t, c);
		if (first && c == '\\' && !t->open) {
			t->st = LX_META;
			break;
		}
		if (c == '\'') {
			t->st = (t->prev == 'E' || t->prev == 'e') &&
			    !ident_byte(t->prev2) ? LX_ESQ : LX_SQ;
			t->open = 1;
			t->prev = ' ';	/* from here, the string's own bytes */
		} else if (c == '"') {
			t->st = LX_DQ;
			t->open = 1;
		} else if (c == '-' && t->prev == '-') {
			t->st = LX_LINEC;
		} else if (c == '*' && t->prev == '/') {
			/* Forget the slash: a slash and star then close nothing. */
			t->st = LX_BLOCKC;
			t->depth = 1;
			t->prev = t->prev2 = ' ';
			return;
		} else if (c == '$' && !ident_byte(t->prev)) {
			t->st = LX_DOLTAG;
			t->close[0] = '$';
			t->clen = 1;
			t->open = 1;
		} else if (c != '-' && c != '/')
			txf_code(t, c);
		break;
	case LX_SQ:
		/*
		 * With standard_conforming_strings off, psql would read \' as
		 * a quote inside the string and end it elsewhere: the script
		 * could then hide a statement from this filter.  pg_dump sets
		 * it on, and writes such a string only for data ending in a
		 * backslash; refused, as it cannot be read one way only.
		 */
		if (c == '\'' && t->prev == '\\' && t->bad[0] == '\0')
			snprintf(t->bad, sizeof(t->bad), "a string at line %"
			    PRIu64 " has a backslash before its closing quote, "
			    "which psql reads two ways (standard_conforming_"
			    "strings)", t->line);
		if (c == '\'')
			t->st = LX_SQEND;
		t->prev = c;
		break;
	case LX_ESQ:
		if (c == '\\')
			t->st = LX_ESQBS;
		else if (c == '\'')
			t->st = LX_ESQEND;
		break;
	case LX_ESQBS:
		t->st = LX_ESQ;
		break;
	case LX_DQ:
		if (c == '"')
			t->st = LX_DQEND;
		break;
	case LX_SQEND:
	case LX_ESQEND:
	case LX_DQEND:
		/* A doubled quote is one quote inside; else the end. */
		if ((c == '\'' && t->st != LX_DQEND) ||
		    (c == '"' && t->st == LX_DQEND)) {
			t->st = t->st == LX_SQEND ? LX_SQ : t->st == LX_ESQEND ?
			    LX_ESQ : LX_DQ;
			break;
		}
		t->st = LX_CODE;
		t->prev = t->prev2 = ' ';
		goto again;
	case LX_DOLTAG:
		if (c == '$') {
			t->close[t->clen++] = '$';
			t->cpos = 0;
			t->st = LX_DOLLAR;
		} else if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || c >= 0x80 || (c >= '0' && c <= '9' &&
		    t->clen > 1)) && t->clen < sizeof(t->close) - 1) {
			t->close[t->clen++] = (char)c;
		} else {
			/* $1, or a stray dollar: not a quote after all. */
			t->st = LX_CODE;
			t->prev = '$';
			goto again;
		}
		break;
	case LX_DOLLAR:
		if (c == (unsigned char)t->close[t->cpos]) {
			if (++t->cpos == t->clen) {
				t->st = LX_CODE;
				t->prev = t->prev2 = ' ';
				return;
			}
		} else
			t->cpos = c == '$' ? 1 : 0;
		break;
	case LX_LINEC:
		if (c == '\n')
			t->st = LX_CODE;
		break;
	case LX_BLOCKC:
		if (c == '*' && t->prev == '/')
			t->depth++;
		else if (c == '/' && t->prev == '*' && --t->depth == 0) {
			t->st = LX_CODE;
			t->prev = t->prev2 = ' ';
			return;
		}
		t->prev2 = t->prev;
		t->prev = c == '*' && t->prev == '/' ? ' ' : c;
		return;
	case LX_META:
		if (c == '\n')
			t->st = LX_CODE;
		break;
	case LX_COPY:
		break;
	}
	if (t->st == LX_CODE || t->st == LX_LINEC) {
		t->prev2 = t->prev;
		t->prev = c;
	}
}

static int
is_txn_line(const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return (n == 6 && memcmp(s, "BEGIN;", 6) == 0) ||
	    (n == 7 && memcmp(s, "COMMIT;", 7) == 0);
}

static int
txn_prefix(const char *s, size_t n)
{
	return (n <= 7 && memcmp(s, "BEGIN;\r", n) == 0) ||
	    (n <= 8 && memcmp(s, "COMMIT;\r", n) == 0) ||
	    (n <= 10 && memcmp(s, "\\restrict ", n) == 0) ||
	    (n <= 12 && memcmp(s, "\\unrestrict ", n) == 0);
}

/* pg_dump's \restrict KEY and \unrestrict KEY lines, seen to the space. */
static int
is_meta_line(const char *s, size_t n)
{
	return (n == 10 && memcmp(s, "\\restrict ", 10) == 0) ||
	    (n == 12 && memcmp(s, "\\unrestrict ", 12) == 0);
}

static void
txf_feed(struct txf *t, const unsigned char *p, size_t n)
{
	size_t i, k;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '\n')
			t->line++;
		if (t->st == LX_COPY) {
			/* Data lines go as they are, up to the line "\.". */
			txf_put(t, &c, 1);
			if (c == '\n') {
				if (t->dot == 2)
					t->st = LX_CODE;
				t->dot = 0;
			} else if (t->dot >= 0 && t->dot < 2 &&
			    c == "\\."[t->dot])
				t->dot++;
			else if (!(t->dot == 2 && c == '\r'))
				t->dot = -1;
			continue;
		}
		if (t->col == 0 && t->st == LX_CODE && !t->open)
			t->holding = 1;
		if (t->holding) {
			if (is_meta_line(t->hold, t->nhold)) {
				/* pg_dump's own: ours is in force (see restore_pg). */
				txf_put(t, "-- ", 3);
				for (k = 0; k < t->nhold; k++)
					txf_byte(t, (unsigned char)t->hold[k]);
				t->nhold = 0;
				t->holding = 0;
				txf_byte(t, c);
				continue;
			}
			if (c == '\n' && is_txn_line(t->hold, t->nhold)) {
				txf_put(t, "-- ", 3);
				txf_put(t, t->hold, t->nhold);
				txf_put(t, "\n", 1);
				t->nhold = 0;
				t->holding = 0;
				continue;
			}
			if (c != '\n' && t->nhold < sizeof(t->hold)) {
				t->hold[t->nhold] = (char)c;
				if (txn_prefix(t->hold, t->nhold + 1)) {
					t->nhold++;
					continue;
				}
			}
			/* Not one of them: the held bytes go through. */
			t->holding = 0;
			for (k = 0; k < t->nhold; k++)
				txf_byte(t, (unsigned char)t->hold[k]);
			t->nhold = 0;
		}
		txf_byte(t, c);
		if (c == '\n') {
			if (t->copy_next && t->st == LX_CODE) {
				t->copy_next = 0;
				t->st = LX_COPY;
				t->dot = 0;
			}
		}
	}
}

static void
txf_end(struct txf *t)
{
	size_t k;

	for (k = 0; k < t->nhold; k++)
		txf_byte(t, (unsigned char)t->hold[k]);
	t->nhold = 0;
	t->holding = 0;
	/* psql runs a last statement without its ";" at the end. */
	if (t->open && t->st == LX_CODE)
		txf_check(t);
}

/*
 * Empties the database in the restore's transaction: every schema but
 * the system ones, with all in them (extensions too), and every large
 * object; then a new public schema with the owner, privileges and comment
 * the old one had.  Objects outside schemas (event triggers,
 * publications) stay, and a dump that creates them then fails and rolls
 * back.
 */
static const char clean_sql[] =
"DO $bk_clean$\n"
"DECLARE\n"
"	s record;\n"
"	g record;\n"
"	own oid;\n"
"	acl aclitem[];\n"
"	note text;\n"
"BEGIN\n"
"	SELECT n.nspowner, n.nspacl,\n"
"	    pg_catalog.obj_description(n.oid, 'pg_namespace')\n"
"	    INTO own, acl, note\n"
"	    FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public';\n"
"	FOR s IN SELECT n.nspname FROM pg_catalog.pg_namespace n\n"
"	    WHERE n.nspname <> 'information_schema'\n"
"	    AND n.nspname !~ '^pg_' LOOP\n"
"		EXECUTE pg_catalog.format('DROP SCHEMA %I CASCADE', s.nspname);\n"
"	END LOOP;\n"
"	PERFORM pg_catalog.lo_unlink(l.oid)\n"
"	    FROM pg_catalog.pg_largeobject_metadata l;\n"
"	CREATE SCHEMA public;\n"
"	IF own IS NOT NULL THEN\n"
"		EXECUTE pg_catalog.format('ALTER SCHEMA public OWNER TO %I',\n"
"		    pg_catalog.pg_get_userbyid(own));\n"
"		FOR g IN SELECT * FROM pg_catalog.aclexplode(acl) a\n"
"		    WHERE a.grantee <> own LOOP\n"
"			EXECUTE pg_catalog.format('GRANT %s ON SCHEMA public "
"TO %s%s',\n"
"			    g.privilege_type, CASE WHEN g.grantee = 0 THEN "
"'PUBLIC'\n"
"			    ELSE pg_catalog.quote_ident(\n"
"			    pg_catalog.pg_get_userbyid(g.grantee)) END,\n"
"			    CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION'\n"
"			    ELSE '' END);\n"
"		END LOOP;\n"
"		IF note IS NOT NULL THEN\n"
"			EXECUTE pg_catalog.format('COMMENT ON SCHEMA public "
"IS %L', note);\n"
"		END IF;\n"
"	END IF;\n"
"END\n"
"$bk_clean$";

/* Writes all bytes to psql; -1 when psql has gone (EPIPE). */
static int
feed(struct child *c, const void *p, size_t n)
{
	if (bk_write_full(c->in, p, n) < 0) {
		if (errno == EPIPE)
			return -1;
		bk_err(BK_EX_IOERR, "could not write to psql");
	}
	return 0;
}

/* Stops psql before it could commit: the server rolls back. */
static void
stop_psql(struct child *c)
{
	kill(c->pid, SIGKILL);
	child_wait(c);
}

/* Random bytes as lowercase hex into out (2 * n + 1 bytes). */
static void
random_hex(char *out, size_t n)
{
	unsigned char b[32];
	size_t i;

	if (n > sizeof(b) || RAND_bytes(b, (int)n) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not make random bytes");
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* A pipe whose read end psql gets as fd 3 + slot: returns the write end. */
static int
psql_file(struct child *c, int slot)
{
	int p[2];

	pipe_cloexec(p);
	c->extra[slot] = p[0];
	return p[1];
}

/*
 * What became of the restore's transaction, asked on a new connection
 * once psql has gone: "committed", "aborted", or "" when it cannot be
 * known.  Until the server has seen psql go, it says "in progress".
 */
static void
txn_status(struct restore *r, long long txid, char *buf, size_t size)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	char q[64];
	char *argv[] = { "psql", "-X", "-q", "-A", "-t", r->dbarg, "-c", q,
	    NULL };
	struct child c;
	ssize_t got;
	int status, tries;

	snprintf(q, sizeof(q), "SELECT pg_catalog.txid_status(%lld)", txid);
	for (tries = 0; tries < 300; tries++) {
		child_init(&c);
		child_start(&c, r, argv, 0, 1);
		got = bk_read_full(c.out, buf, size - 1);
		status = child_wait(&c);
		if (got < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			break;
		buf[got] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, "in progress") != 0)
			return;
		nanosleep(&pause, NULL);
	}
	buf[0] = '\0';
}

/*
 * A verified pg_dump archive turned into the script psql runs, by
 * pg_restore -f - (the archive's own reader): a thread of ours pumps the
 * decoded archive into it, and its standard output is read as a reader.
 */
struct archive {
	struct bk_reader	 r;
	struct child		 c;
	struct bk_reader	*from;
	pthread_t		 pump;
	int			 failed;	/* the archive could not be read */
};

static void *
archive_pump(void *arg)
{
	struct archive *a = arg;
	unsigned char *buf = bk_malloc(CHUNK);
	ssize_t got;

	while ((got = a->from->read(a->from, buf, CHUNK)) > 0)
		if (bk_write_full(a->c.in, buf, (size_t)got) < 0)
			break;	/* pg_restore stopped: its status says why */
	a->failed = got < 0;
	close(a->c.in);
	a->c.in = -1;
	free(buf);
	return NULL;
}

static ssize_t
archive_read(struct bk_reader *br, void *buf, size_t n)
{
	struct archive *a = (struct archive *)br;
	ssize_t got = read(a->c.out, buf, n);

	while (got < 0 && errno == EINTR)
		got = read(a->c.out, buf, n);
	if (got < 0)
		snprintf(br->err, sizeof(br->err), "could not read from "
		    "pg_restore: %s", strerror(errno));
	return got;
}

static struct bk_reader *
archive_script(struct restore *r, struct bk_reader *from, struct archive *a)
{
	char *argv[] = { "pg_restore", "-f", "-", NULL };

	memset(a, 0, sizeof(*a));
	a->r.read = archive_read;
	a->from = from;
	child_init(&a->c);
	child_start(&a->c, r, argv, 1, 1);
	if (pthread_create(&a->pump, NULL, archive_pump, a) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	return &a->r;
}

/* Waits for the pump and pg_restore: 0, or -1 with why. */
static int
archive_done(struct archive *a, char *why, size_t size)
{
	int status;

	/* A pump still writing to a pg_restore we stopped reading: stop it. */
	if (a->c.out >= 0) {
		close(a->c.out);
		a->c.out = -1;
	}
	pthread_join(a->pump, NULL);
	status = child_wait(&a->c);
	if (a->failed) {
		snprintf(why, size, "reading it again: %s", a->from->err);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		child_why(&a->c, status, why, size);
		return -1;
	}
	return 0;
}

/*
 * psql runs three files in one session: a prelude (fd 3) that begins the
 * transaction, notes its id, empties the database for --clean and enters
 * psql's restricted mode with a random key, so that no backslash command
 * of the script runs; the script itself (stdin), through the filter; and,
 * once every byte has been read and checked, an epilogue (fd 4) that
 * leaves restricted mode, commits only if the transaction is still the
 * one the prelude began, and then prints a random nonce.  Each file is
 * lexed anew, so nothing the script leaves open can swallow the epilogue.
 * Success is that nonce; without it, the server says whether the
 * transaction was committed after all (the script ended it itself, in a
 * way the filter missed) or rolled back.
 */
static void
restore_pg(struct restore *r)
{
	char *argv[] = { "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
	    r->dbarg, "-f", "/dev/fd/3", "-f", "-", "-f", "/dev/fd/4", NULL };
	struct bk_progress meter;
	struct bk_reader *raw, *top;
	struct child c;
	struct txf t;
	enum bk_layer l;
	unsigned char *buf = r->buf;
	char sha[65], why[900], key[33], nonce[33], *pre, *post, st[32];
	struct archive conv;
	struct bk_reader *in;
	char cwhy[700];
	int conv_failed;
	uint64_t size;
	ssize_t got = 0;
	struct bk_layers ly;
	int failed, gone = 0, status, code, prefd, postfd;

	if (lseek(r->fd, 0, SEEK_SET) < 0)
		bk_err(BK_EX_IOERR, "could not read \"%s\"", r->rel);
	memset(&t, 0, sizeof(t));
	t.line = 1;
	random_hex(key, 16);
	random_hex(nonce, 16);
	pre = bk_asprintf("\\set AUTOCOMMIT off\n"
	    "BEGIN;\n"
	    "SELECT pg_catalog.txid_current() AS bk_txid \\gset\n"
	    "\\echo " BEGUN ":bk_txid\n"
	    "%s%s"
	    "\\restrict %s\n", r->o->clean ? clean_sql : "",
	    r->o->clean ? ";\n" : "", key);
	post = bk_asprintf("\\unrestrict %s\n"
	    "SELECT pg_catalog.txid_current() = :bk_txid AS bk_same \\gset\n"
	    "\\if :bk_same\n"
	    "COMMIT;\n"
	    "\\echo " COMMITTED "%s\n"
	    "\\endif\n", key, nonce);
	child_init(&c);
	snprintf(c.mark, sizeof(c.mark), COMMITTED "%s\n", nonce);
	prefd = psql_file(&c, 0);
	postfd = psql_file(&c, 1);
	child_start(&c, r, argv, 1, 2);
	/* A few KiB into an empty pipe; a psql gone early is seen below. */
	(void)bk_write_full(prefd, pre, strlen(pre));
	close(prefd);
	free(pre);
	bk_progress_init(&meter, r->o->progress, "restoring", r->size);
	top = raw = bk_reader_hash(r->fd, r->rel, &meter);
	top = r->top = bk_reader_layers(raw, r->rel, r->ids, &ly);
	l = ly.content;
	failed = ly.failed;
	if (!failed && l != r->content) {
		failed = 1;
		snprintf(top->err, sizeof(top->err), "it no longer holds what "
		    "was verified");
	}
	/* An archive becomes a script on the way: pg_restore -f -. */
	in = top;
	if (!failed && bk_layer_pgarchive(l))
		in = archive_script(r, top, &conv);
	while (!failed && !gone && (got = in->read(in, buf, CHUNK)) > 0) {
		t.olen = 0;
		txf_feed(&t, buf, (size_t)got);
		if (t.bad[0] != '\0')
			break;
		gone = feed(&c, t.out, t.olen) < 0;
	}
	failed = failed || got < 0;
	/*
	 * A psql that stopped (its error is the reason) stops pg_restore
	 * too, whose own failure then says nothing.
	 */
	conv_failed = in != top && archive_done(&conv, cwhy, sizeof(cwhy)) < 0 &&
	    !gone;
	if (failed)
		snprintf(why, sizeof(why), "reading it again: %s",
		    bk_reader_why(in, r->rel));
	else if (t.bad[0] != '\0') {
		failed = 1;
		snprintf(why, sizeof(why), "%s", t.bad);
	} else if (conv_failed) {
		failed = 1;
		snprintf(why, sizeof(why), "%s", cwhy);
	} else if (bk_reader_hash_finish(raw, sha, &size) < 0) {
		failed = 1;
		snprintf(why, sizeof(why), "%s", raw->err);
	} else if (strcmp(sha, r->sha) != 0) {
		failed = 1;
		snprintf(why, sizeof(why), "the file changed after it was "
		    "verified (sha256 differs)");
	}
	if (!failed) {
		t.olen = 0;
		txf_end(&t);
		if (t.bad[0] != '\0') {
			failed = 1;
			snprintf(why, sizeof(why), "%s", t.bad);
		}
	}
	bk_progress_end(&meter);
	bk_reader_close(top);
	r->top = NULL;
	if (failed) {
		free(t.out);
		free(post);
		close(postfd);
		stop_psql(&c);
		restore_failed(r, strstr(why, "sha256") != NULL ? BK_EX_FAIL :
		    BK_EX_DATAERR, why);
	}
	/* Every byte checked out: now, and only now, the epilogue. */
	if (!gone)
		feed(&c, t.out, t.olen);
	free(t.out);
	(void)bk_write_full(postfd, post, strlen(post));
	close(postfd);
	free(post);
	status = child_wait(&c);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && c.marked)
		return;
	child_why(&c, status, why, sizeof(why));
	st[0] = '\0';
	if (c.txid > 0)
		txn_status(r, c.txid, st, sizeof(st));
	if (strcmp(st, "committed") == 0)
		restore_partial(r, "the script ended the restore's transaction "
		    "itself");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		restore_failed(r, BK_EX_DATAERR, "psql did not run the COMMIT "
		    "(the script ended the restore's transaction itself)");
	code = !WIFEXITED(status) ? BK_EX_SOFTWARE :
	    WEXITSTATUS(status) == 3 ? BK_EX_DATAERR :
	    WEXITSTATUS(status) == 2 || WEXITSTATUS(status) == 127 ?
	    BK_EX_UNAVAILABLE : BK_EX_SOFTWARE;
	if (code == BK_EX_DATAERR && strstr(why, "already exists") != NULL &&
	    !r->o->clean)
		strncat(why, " (the database is not empty: --clean empties it "
		    "first, in the same transaction)", sizeof(why) -
		    strlen(why) - 1);
	restore_failed(r, code, why);
}

/* ---- pass 2 for SQLite: the verified copy in one write transaction ---- */

/* The first column of a one-row PRAGMA as text, or "" (NUL-terminated). */
static void
pragma_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/*
 * SQLite's backup API cannot change the page size of a database in WAL
 * mode: it fails with "readonly database", which is no permission problem.
 * So the private copy takes the target's page size first (VACUUM rebuilds
 * it; a copy in WAL mode leaves it for the rollback journal to allow that).
 * A copy that cannot be changed is left as it is, and the backup step
 * then reports the failure.
 */
static void
match_page_size(struct restore *r, sqlite3 **src, sqlite3 *dst)
{
	char mode[32], want[32], have[32], *sql;

	pragma_text(dst, "PRAGMA journal_mode", mode, sizeof(mode));
	pragma_text(dst, "PRAGMA page_size", want, sizeof(want));
	pragma_text(*src, "PRAGMA page_size", have, sizeof(have));
	if (strcmp(mode, "wal") != 0 || want[0] == '\0' ||
	    strcmp(want, have) == 0 || strspn(want, "0123456789") !=
	    strlen(want))
		return;
	/* Opened again to be written (common/sqlitefile.c). */
	sqlite3_close(*src);
	*src = copy_open(r, 1);
	sql = bk_asprintf("PRAGMA journal_mode=MEMORY; PRAGMA page_size=%s; "
	    "VACUUM", want);
	(void)sqlite3_exec(*src, sql, NULL, NULL, NULL);
	free(sql);
}

static void
restore_sqlite(struct restore *r)
{
	sqlite3 *src, *dst;
	char why[300];
	int rc;

	src = copy_open(r, 0);
	dst = sqlite_open(r->path, SQLITE_OPEN_READWRITE, "database");
	match_page_size(r, &src, dst);
	rc = bk_sqlite_copy(dst, src, BUSY_MS);
	sqlite3_close(src);
	if (rc != SQLITE_DONE) {
		snprintf(why, sizeof(why), "%s", sqlite_why(rc));
		sqlite3_close(dst);
		restore_failed(r, sqlite_code(rc), why);
	}
	if (sqlite3_close(dst) != SQLITE_OK)
		bk_errx(BK_EX_IOERR, "could not close \"%s\"", r->path);
}

/* ---- the run ---- */

static void
dry_run(struct restore *r)
{
	printf("verified \"%s\": %" PRIu64 " bytes, %s, sha256 %s\n", r->rel,
	    r->size, r->layers, r->want[0] ? "as recorded" :
	    "not recorded (--force)");
	if (r->safety != NULL)
		printf("would make the safety backup \"%s\" of %s\n",
		    r->safety, r->shown);
	else if (r->o->safety && r->empty)
		printf("would make no safety backup: %s is %s\n", r->shown,
		    r->created ? "new" : "empty");
	else
		printf("would make no safety backup (--no-safety-backup)\n");
	printf("would restore \"%s\" into %s%s%s\n", r->rel, r->created ?
	    "a new " : "", r->shown, r->o->clean ? ", emptied first" : "");
}

static void
restore_free(struct restore *r)
{
	size_t i;

	if (r->pg != NULL)
		PQfinish(r->pg);
	if (r->lockfd >= 0)
		close(r->lockfd);
	if (r->fd >= 0)
		close(r->fd);
	for (i = 0; i < r->nenv; i++) {
		bk_explicit_bzero(r->env[i], strlen(r->env[i]));
		free(r->env[i]);
	}
	free(r->env);
	free(r->dbarg);
	free(r->rel);
	free(r->made);
	free(r->name);
	free(r->shown);
	free(r->record);
	free(r->path);
	free(r->safety);
	free(r->safety_path);
	free(r->buf);
	free(r->zbuf);
	bk_age_ids_free(r->ids);
	bk_manifest_free(&r->m);
	memset(r, 0, sizeof(*r));
}

static int
restore(const struct opts *o)
{
	/* Static: what it holds stays reachable when an error exits. */
	static struct restore r;
	char *done;
	int tty;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.fd = r.lockfd = r.created_slot = r.tmpslot = -1;
	r.buf = bk_malloc(CHUNK);
	r.zbuf = bk_malloc(CHUNK);
	r.kind = strncmp(o->target, "sqlite:", 7) == 0 ? TARGET_SQLITE :
	    TARGET_PG;
	if (r.kind == TARGET_SQLITE && o->clean)
		bk_usage_error("--clean is for PostgreSQL: an SQLite restore "
		    "replaces the whole file");
	/* A -d that cannot be passed on is refused before any prompt. */
	if (r.kind == TARGET_PG)
		pg_args(&r);
	load_identities(&r);
	open_backup(&r);
	if (!o->dry_run)
		check_tree(&r);
	if (r.kind == TARGET_PG)
		pg_setup(&r);
	else
		sqlite_setup(&r);
	verify_backup(&r);
	if (o->safety && !r.empty)
		safety_name(&r);
	if (o->dry_run) {
		dry_run(&r);
		bk_sqlite_tmp_remove(&r.tmp, r.tmpslot);
		restore_free(&r);
		return BK_EX_OK;
	}
	confirm(&r);
	clock_gettime(CLOCK_MONOTONIC, &r.start);
	if (r.safety != NULL)
		make_safety(&r);
	else if (!o->safety)
		bk_warnx("no safety backup of %s (--no-safety-backup)",
		    r.shown);
	if (r.kind == TARGET_PG)
		restore_pg(&r);
	else
		restore_sqlite(&r);
	/* The data is in: the file we created is the database now. */
	if (r.created)
		bk_tmp_forget(r.created_slot);
	bk_sqlite_tmp_remove(&r.tmp, r.tmpslot);
	log_attempt(&r, "ok", NULL);
	done = bk_asprintf("restored \"%s\" into %s in %.1f s%s%s%s", r.rel,
	    r.shown, elapsed(&r.start), r.safety ? "; the safety backup is \""
	    : "", r.safety ? r.safety : "", r.safety ? "\"" : "");
	/* Whoever answered the question on the terminal sees the outcome. */
	if (r.asked && bk_verbosity() == 0 && (tty = bk_tty_open()) >= 0) {
		dprintf(tty, "bk-restore: %s\n", done);
		close(tty);
	} else
		bk_info("%s", done);
	free(done);
	restore_free(&r);
	return BK_EX_OK;
}

enum {
	OPT_NO_SAFETY = CHAR_MAX + 1, OPT_PASSFILE, OPT_PASSFD, OPT_MAXWF,
	OPT_VERSION
};

int
main(int argc, char *argv[])
{
	static const char optstring[] = "cd:fhi:m:nPqvw:y";
	static const struct option longopts[] = {
		{ "clean",		no_argument,		NULL, 'c' },
		{ "dbname",		required_argument,	NULL, 'd' },
		{ "database",		required_argument,	NULL, 'd' },
		{ "force",		no_argument,		NULL, 'f' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "identity",		required_argument,	NULL, 'i' },
		{ "manifest",		required_argument,	NULL, 'm' },
		{ "dry-run",		no_argument,		NULL, 'n' },
		{ "progress",		no_argument,		NULL, 'P' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "verbose",		no_argument,		NULL, 'v' },
		{ "wait",		required_argument,	NULL, 'w' },
		{ "yes",		no_argument,		NULL, 'y' },
		{ "no-safety-backup",	no_argument,		NULL, OPT_NO_SAFETY },
		{ "passphrase-file",	required_argument,	NULL, OPT_PASSFILE },
		{ "passphrase-fd",	required_argument,	NULL, OPT_PASSFD },
		{ "max-work-factor",	required_argument,	NULL, OPT_MAXWF },
		{ "version",		no_argument,		NULL, OPT_VERSION },
		{ NULL,			0,			NULL, 0 }
	};
	static struct opts o;
	char *end;
	long n;
	int c, code, verbosity = 0;

	bk_init(argc, argv);
	memset(&o, 0, sizeof(o));
	o.passfd = -1;
	o.wait = -1;
	o.safety = 1;
	while ((c = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			o.clean = 1;
			break;
		case 'd':
			if (*optarg == '\0')
				bk_usage_error("empty target (-d)");
			o.target = optarg;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'i':
			o.idfiles = bk_reallocarray(o.idfiles, o.nidfiles + 1,
			    sizeof(*o.idfiles));
			o.idfiles[o.nidfiles++] = optarg;
			break;
		case 'm':
			o.manifest = optarg;
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'P':
			o.progress = 1;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'v':
			if (verbosity >= 0)
				verbosity++;
			break;
		case 'w':
			o.wait = bk_parse_wait(optarg);
			break;
		case 'y':
			o.yes = 1;
			break;
		case OPT_NO_SAFETY:
			o.safety = 0;
			break;
		case OPT_PASSFILE:
			o.passfile = optarg;
			break;
		case OPT_PASSFD:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    n < 0 || n > INT_MAX)
				bk_usage_error("bad --passphrase-fd \"%s\"",
				    optarg);
			o.passfd = (int)n;
			break;
		case OPT_MAXWF:
			o.max_logn = bk_age_parse_max_logn(optarg);
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	argc -= optind;
	argv += optind;
	bk_set_verbosity(verbosity);
	if (o.target == NULL)
		bk_usage_error("no target: give -d DBNAME or -d sqlite:PATH");
	if (argc != 1)
		bk_usage_error(argc == 0 ? "no backup file to restore" :
		    "one backup file at a time");
	o.file = argv[0];
	if (o.passfile != NULL && o.passfd >= 0)
		bk_usage_error("--passphrase-file and --passphrase-fd exclude "
		    "each other");
	/* psql going away must be an error we see, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	code = restore(&o);
	free(o.idfiles);
	return bk_finish(code);
}
