/*
 * drill.c: restore drills (--scratch).  The verified backup is restored
 * into a scratch target that nothing else uses, a new PostgreSQL
 * database or a temporary SQLite file, exactly as a real restore runs
 * (restore_pg, restore_sqlite); its tables are counted (tally.c) and
 * compared with what the manifest knows; the result goes onto the
 * backup's manifest line as "drill"; and the scratch target is removed
 * whatever happens.  A PostgreSQL scratch database is dropped by a
 * guard, a child process that waits for bk-restore to finish or to die
 * (a signal, even SIGKILL) and then drops it.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "catalog/catalog.h"
#include "restore.h"

struct drill {
	/* what the manifest line knew */
	int64_t		 want;		/* its records, or -1 */
	char		 last[65];	/* the last drill's checksum, or "" */
	char		*last_time;
	/* a PostgreSQL scratch database */
	char		*db;		/* its name */
	PGconn		*admin;		/* to -D's database, which makes it */
	int		 backend;	/* admin's server process */
	int		 server;	/* the server's version */
	pid_t		 guard;		/* drops it; 0 when not started */
	int		 guard_fd;	/* closed: the guard drops it */
	/* an SQLite scratch file */
	char		*file;
	int		 slot;
	char		*target;	/* sqlite:FILE, for sqlite_setup */
	struct timespec	 start;
};

/* For the atexit handler: the drill whose scratch target must go. */
static struct restore *live;

/* ---- the scratch PostgreSQL database and its guard ---- */

/* Connects to -D's database, or to the scratch one (db not NULL). */
static PGconn *
pg_connect(struct restore *r, const char *db)
{
	const char *kw[] = { "dbname", "fallback_application_name", "dbname",
	    NULL };
	const char *val[] = { r->target, "bk-restore", db, NULL };

	/* The second dbname, a plain name, overrides the first's. */
	if (db == NULL)
		kw[2] = NULL;
	return PQconnectdbParams(kw, val, 1);
}

/* The server's notices ("does not exist, skipping") are not news. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* An error line for the guard, which has no way to exit with it. */
static void
guard_error(const char *db, const char *why)
{
	char msg[600];

	snprintf(msg, sizeof(msg), "%s", why);
	fprintf(stderr, "%s: error: could not drop the scratch database "
	    "\"%s\" (drop it by hand): %s\n", bk_progname, db,
	    bk_one_line(msg));
}

/*
 * Drops the scratch database, once the session of bk-restore that made
 * it has ended (it may be inside CREATE DATABASE still).  WITH (FORCE)
 * ends psql's session, if a killed bk-restore left one.  Returns 0 or -1.
 */
static int
guard_drop(struct restore *r)
{
	struct drill *d = r->drill;
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	const char *vals[1];
	char pid[24], *id, *sql;
	PGconn *pg = pg_connect(r, NULL);
	PGresult *res;
	int tries, gone = 0, ok;

	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		guard_error(d->db, pg != NULL ? PQerrorMessage(pg) :
		    "out of memory");
		PQfinish(pg);
		return -1;
	}
	PQsetNoticeProcessor(pg, quiet, NULL);
	snprintf(pid, sizeof(pid), "%d", d->backend);
	vals[0] = pid;
	for (tries = 0; tries < 1200 && !gone; tries++) {
		if (tries > 0)
			nanosleep(&pause, NULL);
		res = PQexecParams(pg, "SELECT 1 FROM "
		    "pg_catalog.pg_stat_activity WHERE pid = $1", 1, NULL,
		    vals, NULL, NULL, 0);
		gone = PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) == 0;
		PQclear(res);
	}
	if (d->server < 130000) {
		vals[0] = d->db;
		PQclear(PQexecParams(pg, "SELECT pg_catalog.pg_terminate_backend"
		    "(pid) FROM pg_catalog.pg_stat_activity WHERE datname = $1",
		    1, NULL, vals, NULL, NULL, 0));
	}
	id = PQescapeIdentifier(pg, d->db, strlen(d->db));
	sql = bk_asprintf("DROP DATABASE IF EXISTS %s%s", id != NULL ? id :
	    "", d->server >= 130000 ? " WITH (FORCE)" : "");
	PQfreemem(id);
	res = PQexec(pg, sql);
	free(sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		guard_error(d->db, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	return ok ? 0 : -1;
}

/*
 * The guard: a child that ignores the signals meant for bk-restore
 * (Ctrl-C reaches the whole process group, systemd's stop the whole
 * cgroup), keeps none of its descriptors but the read end of a pipe,
 * and drops the database once that pipe ends: bk-restore closed it, or
 * died.
 */
static void BK_NORETURN
guard(struct restore *r, int fd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	    SIGPIPE };
	long max = sysconf(_SC_OPEN_MAX);
	ssize_t n;
	char c;
	int i, nul;

	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
		signal(sigs[i], SIG_IGN);
	if (max < 0 || max > 65536)
		max = 65536;
	for (i = 3; i < max; i++)
		if (i != fd)
			close(i);
	if ((nul = open("/dev/null", O_RDWR)) >= 0) {
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		if (nul > STDERR_FILENO)
			close(nul);
	}
	while ((n = read(fd, &c, 1)) != 0 && (n > 0 || errno == EINTR))
		;
	_exit(guard_drop(r) == 0 ? 0 : 1);
}

static void
guard_start(struct restore *r)
{
	struct drill *d = r->drill;
	int p[2];
	pid_t pid;

	pipe_cloexec(p);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		bk_err(BK_EX_SOFTWARE, "could not start a process");
	if (pid == 0)
		guard(r, p[0]);
	close(p[0]);
	d->guard = pid;
	d->guard_fd = p[1];
}

/*
 * Makes the scratch database: bk_drill_PID_TIME, from template0 as
 * pg_dump's documentation asks, on the server of -D, whose database is
 * only connected to.  psql gets -D's connection with that dbname.
 */
static void
scratch_pg(struct restore *r)
{
	struct drill *d = r->drill;
	struct bk_conninfo ci;
	PGresult *res;
	const char *host, *state;
	char *id, *sql, *s = NULL, msg[600];
	int code;

	if (r->target == NULL)
		bk_usage_error("a drill of a PostgreSQL backup needs -D: the "
		    "server to make the scratch database on (-D postgres)");
	d->admin = pg_connect(r, NULL);
	if (d->admin == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	if (PQstatus(d->admin) != CONNECTION_OK)
		bk_errx(BK_EX_UNAVAILABLE, "could not connect to the database: "
		    "%s", bk_one_line(PQerrorMessage(d->admin)));
	d->backend = PQbackendPID(d->admin);
	d->server = PQserverVersion(d->admin);
	d->db = bk_asprintf("bk_drill_%ld_%lld", (long)getpid(),
	    (long long)time(NULL));
	/* From here on, whatever becomes of us, the guard drops it. */
	guard_start(r);
	if ((id = PQescapeIdentifier(d->admin, d->db, strlen(d->db))) == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	sql = bk_asprintf("CREATE DATABASE %s TEMPLATE template0", id);
	PQfreemem(id);
	res = PQexec(d->admin, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		code = state != NULL && strcmp(state, "42501") == 0 ?
		    BK_EX_NOPERM : BK_EX_UNAVAILABLE;
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(d->admin));
		PQclear(res);
		bk_errx(code, "could not create the scratch database \"%s\": "
		    "%s", d->db, bk_one_line(msg));
	}
	PQclear(res);
	/* pg_args read -D already: it parses. */
	if (bk_conninfo_parse(r->target, &ci) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not parse -D again");
	if (!ci.bare)
		s = bk_strdup(ci.plain);
	bk_conninfo_free(&ci);
	bk_conninfo_add(&s, "dbname", d->db);
	free(r->dbarg);
	r->dbarg = bk_asprintf("--dbname=%s", s);
	r->record = s;
	r->name = bk_strdup(d->db);
	host = PQhost(d->admin);
	r->shown = bk_asprintf("the scratch database \"%s\" (host %s, port "
	    "%s, user %s)", d->db, host != NULL && *host ? host : "default",
	    PQport(d->admin), PQuser(d->admin));
	bk_info("created %s", r->shown);
}

/* Counts the scratch database's tables. */
static int
count_pg(struct restore *r, struct tally *t, char *why, size_t size)
{
	PGconn *pg = pg_connect(r, r->drill->db);
	int code;

	if (pg == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(why, size, "could not connect: %s",
		    PQerrorMessage(pg));
		bk_one_line(why);
		PQfinish(pg);
		return BK_EX_UNAVAILABLE;
	}
	code = tally_pg(pg, t, why, size);
	PQfinish(pg);
	return code;
}

/* ---- the scratch SQLite file ---- */

/* An empty file in TMPDIR, removed at exit and on SIGINT, SIGTERM, SIGHUP. */
static void
scratch_sqlite(struct restore *r)
{
	struct drill *d = r->drill;
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	d->file = bk_asprintf("%s/bk-drill-XXXXXX", dir);
	if ((fd = mkstemp(d->file)) < 0)
		bk_err(BK_EX_CANTCREAT, "could not create a scratch file in "
		    "\"%s\"", dir);
	d->slot = bk_tmp_register(d->file);
	close(fd);
	d->target = bk_asprintf("sqlite:%s", d->file);
	r->target = d->target;
	sqlite_setup(r);
	free(r->shown);
	r->shown = bk_asprintf("the scratch file \"%s\"", d->file);
}

/* ---- the end of the scratch target ---- */

/*
 * Removes the scratch target, once: closes our sessions and lets the
 * guard drop the database, waiting for it, or removes the file.
 */
static void
scratch_end(struct restore *r)
{
	struct drill *d = r->drill;
	int status;

	if (d == NULL)
		return;
	if (d->admin != NULL) {
		PQfinish(d->admin);
		d->admin = NULL;
	}
	if (d->guard > 0) {
		close(d->guard_fd);
		while (waitpid(d->guard, &status, 0) < 0 && errno == EINTR)
			;
		d->guard = 0;
		bk_info("dropped the scratch database \"%s\"", d->db);
	}
	if (d->file != NULL) {
		if (r->lockfd >= 0)
			close(r->lockfd);
		r->lockfd = -1;
		bk_sqlite_tmp_remove(&d->file, d->slot);
	}
}

static void
drill_atexit(void)
{
	if (live != NULL)
		scratch_end(live);
}

/* ---- the record ---- */

struct record {
	const char	*rel;
	struct bk_drill	 d;
	int		 found;
};

static int
record_keep(struct bk_entry *e, void *arg)
{
	struct record *x = arg;

	/* Of two lines with one path, readers use the first. */
	if (!x->found && strcmp(e->path, x->rel) == 0) {
		bk_entry_set_drill(e, &x->d);
		x->found = 1;
	}
	return 1;
}

/*
 * Writes the drill onto the backup's line, as bk-verify --record writes
 * "verified": under the exclusive lock, in one atomic rewrite.  t is
 * NULL when nothing was counted.
 */
static void
drill_record(struct restore *r, const struct tally *t, const char *why)
{
	struct record x;
	const char **names = NULL;
	int64_t *counts = NULL;
	size_t i;

	memset(&x, 0, sizeof(x));
	x.rel = r->rel;
	x.d.t = time(NULL);
	x.d.ok = why == NULL;
	x.d.reason = why;
	x.d.records = -1;
	if (t != NULL) {
		names = bk_calloc(t->n + 1, sizeof(*names));
		counts = bk_calloc(t->n + 1, sizeof(*counts));
		for (i = 0; i < t->n; i++) {
			names[i] = t->tables[i].name;
			counts[i] = t->tables[i].count;
		}
		x.d.records = t->records;
		x.d.tables = names;
		x.d.counts = counts;
		x.d.ntables = t->n;
		x.d.checksum = t->checksum;
	}
	bk_manifest_lock(&r->m, BK_LOCK_EX, r->wait, 0);
	bk_manifest_rewrite(&r->m, record_keep, &x);
	bk_manifest_unlock(&r->m);
	free(names);
	free(counts);
	if (!x.found)
		bk_warnx("\"%s\" left the manifest during the drill: the drill "
		    "is not recorded", r->rel);
}

/* ---- the drill ---- */

void
drill_check(struct restore *r)
{
	struct drill *d;
	struct bk_entry *e;
	struct stat st;
	const char *what = r->m.path;

	/* Written through the manifest's code, which takes no link. */
	if (lstat(what, &st) == 0 && S_ISLNK(st.st_mode))
		bk_errx(BK_EX_DATAERR, "could not write \"%s\": it is a "
		    "symbolic link", what);
	if (access(what, W_OK) < 0)
		bk_err(errno == EACCES || errno == EPERM || errno == EROFS ?
		    BK_EX_NOPERM : BK_EX_CANTCREAT, "could not write \"%s\" "
		    "(where the drill is recorded)", what);
	d = r->drill = bk_calloc(1, sizeof(*d));
	d->want = -1;
	d->guard_fd = d->slot = -1;
	if ((e = bk_manifest_find(&r->m, r->rel)) != NULL) {
		d->want = e->records;
		memcpy(d->last, e->drill_checksum, sizeof(d->last));
		if (e->drill_time != NULL)
			d->last_time = bk_strdup(e->drill_time);
	}
	clock_gettime(CLOCK_MONOTONIC, &d->start);
	live = r;
	atexit(drill_atexit);
}

void
drill_failed(struct restore *r, int code, const char *why)
{
	if (code != BK_EX_FAIL && code != BK_EX_DATAERR)
		bk_errx(code, "could not drill \"%s\": %s", r->rel, why);
	scratch_end(r);
	drill_record(r, NULL, why);
	bk_errx(BK_EX_FAIL, "drill of \"%s\" failed: %s", r->rel, why);
}

/* The counts on standard output, unless -q; then the verdict. */
static void
drill_print(struct restore *r, const struct tally *t, int ok)
{
	size_t i;

	if (bk_verbosity() < 0)
		return;
	for (i = 0; i < t->n; i++)
		printf("%12" PRId64 "  %s\n", t->tables[i].count,
		    t->tables[i].name);
	if (ok)
		printf("drill of \"%s\" ok: %" PRId64 " records in %zu "
		    "table%s, checksum %s\n", r->rel, t->records, t->n,
		    t->n == 1 ? "" : "s", t->checksum);
}

int
drill_run(struct restore *r)
{
	struct drill *d = r->drill;
	struct tally t;
	char why[1024];
	int code, pg;

	pg = r->content == BK_LAYER_PGDUMP || bk_layer_pgarchive(r->content);
	if (!pg && r->content != BK_LAYER_SQLITE)
		bk_errx(BK_EX_DATAERR, "could not drill \"%s\": it holds %s, "
		    "not a pg_dump script or archive or an SQLite database",
		    r->rel, r->content == BK_LAYER_UNKNOWN ?
		    "data of no known kind" : bk_layer_name(r->content));
	r->kind = pg ? TARGET_PG : TARGET_SQLITE;
	if (pg)
		scratch_pg(r);
	else
		scratch_sqlite(r);
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	if (pg)
		restore_pg(r);
	else
		restore_sqlite(r);
	bk_sqlite_tmp_remove(&r->tmp, r->tmpslot);
	bk_info("restored \"%s\" into %s in %.1f s", r->rel, r->shown,
	    elapsed(&r->start));
	memset(&t, 0, sizeof(t));
	code = pg ? count_pg(r, &t, why, sizeof(why)) :
	    tally_sqlite(d->file, &t, why, sizeof(why));
	if (code != 0) {
		tally_free(&t);
		bk_errx(code, "could not count what %s holds: %s", r->shown,
		    why);
	}
	scratch_end(r);
	why[0] = '\0';
	if (d->want >= 0 && t.records != d->want)
		snprintf(why, sizeof(why), "%" PRId64 " records in %zu table%s, "
		    "the manifest says %" PRId64, t.records, t.n, t.n == 1 ? "" :
		    "s", d->want);
	else if (d->last[0] != '\0' && strcmp(d->last, t.checksum) != 0)
		snprintf(why, sizeof(why), "the content checksum %.16s... is not "
		    "the last drill's, %.16s...%s%s", t.checksum, d->last,
		    d->last_time != NULL ? " of " : "", d->last_time != NULL ?
		    d->last_time : "");
	drill_print(r, &t, why[0] == '\0');
	drill_record(r, &t, why[0] != '\0' ? why : NULL);
	tally_free(&t);
	if (why[0] != '\0')
		bk_errx(BK_EX_FAIL, "drill of \"%s\" failed: %s", r->rel, why);
	bk_info("drill of \"%s\" done in %.1f s", r->rel, elapsed(&d->start));
	live = NULL;
	free(d->db);
	free(d->target);
	free(d->last_time);
	free(d);
	r->drill = NULL;
	return BK_EX_OK;
}
