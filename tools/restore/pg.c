/*
 * pg.c: a PostgreSQL target.  Its -d is checked and passed on without its
 * secrets, a connection holds the restore lock, pg_dump makes the safety
 * backup, and psql runs the script (through statements.c) in one
 * transaction that commits only once every byte checked out.
 */

#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "catalog/catalog.h"
#include "restore.h"

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
void
pg_args(struct restore *r)
{
	struct bk_conninfo ci;
	int rc;

	if ((rc = bk_conninfo_parse(r->target, &ci)) != 0)
		bk_usage_error("bad -D: %s (not shown: it may hold a "
		    "password)", bk_conninfo_why(rc));
	if (ci.secret != NULL)
		bk_usage_error("bad -D: an %s cannot be passed on to psql and "
		    "pg_dump (leave it out: libpq asks for it)", ci.secret);
	if (ci.password != NULL) {
		r->env = bk_calloc(1, sizeof(*r->env));
		r->env[r->nenv++] = bk_asprintf("PGPASSWORD=%s", ci.password);
	}
	r->dbarg = bk_asprintf("--dbname=%s", ci.plain);
	bk_conninfo_free(&ci);
}

#define LOCK_POLL_MS	50
#define LOCK_GRACE_MS	2000

/* Connects (to check the target and hold the restore lock). */
void
pg_setup(struct restore *r)
{
	const char *kw[] = { "dbname", "fallback_application_name", NULL };
	const char *val[] = { r->target, "bk-restore", NULL };
	const struct timespec pause = { 0, LOCK_POLL_MS * 1000000L };
	const char *host;
	PGresult *res;
	int ok, got, tries;

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
	/*
	 * Held by this session until we exit: one restore at a time.  The
	 * server releases the lock of a restore that has just ended when its
	 * backend exits, a moment after the client: a busy lock is asked
	 * again for up to LOCK_GRACE_MS before it counts.
	 */
	for (tries = 0; ; tries++) {
		res = PQexec(r->pg, "SELECT pg_catalog.pg_try_advisory_lock("
		    PG_LOCK_KEY ")");
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		got = ok && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (!ok || got || tries * LOCK_POLL_MS >= LOCK_GRACE_MS)
			break;
		nanosleep(&pause, NULL);
	}
	if (!ok)
		bk_errx(BK_EX_UNAVAILABLE, "%s: %s", r->shown,
		    bk_one_line(PQerrorMessage(r->pg)));
	if (!got)
		bk_errx(BK_EX_TEMPFAIL, "another bk-restore is restoring into "
		    "%s", r->shown);
}

/*
 * Whether a role or tablespace exists, for the filter of a globals script:
 * 1, 0, or -1 when the server does not say.
 */
static int
pg_exists(void *ctx, const char *what, const char *name)
{
	struct restore *r = ctx;
	const char *q = strcmp(what, "role") == 0 ?
	    "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1" :
	    "SELECT 1 FROM pg_catalog.pg_tablespace WHERE spcname = $1";
	PGresult *res;
	int e;

	res = PQexecParams(r->pg, q, 1, NULL, &name, NULL, NULL, 0);
	e = PQresultStatus(res) != PGRES_TUPLES_OK ? -1 : PQntuples(res) > 0;
	PQclear(res);
	return e;
}

/*
 * pg_dump -Fp --clean --if-exists (for --globals, pg_dumpall -g), gzipped
 * on the way into the tree.
 */
void
safety_pg(struct restore *r, const char *path)
{
	char *const dump[] = { "pg_dump", "-Fp", "--clean", "--if-exists",
	    r->dbarg, NULL };
	char *dumpall[] = { "pg_dumpall", "-g", r->dbarg, NULL };
	char *const *argv = r->globals ? dumpall : dump;
	char *ci = NULL;
	struct bk_progress meter;
	struct child c;
	struct safety_out out;
	z_stream z;
	unsigned char *in = r->buf, *zb = r->zbuf;
	char why[700];
	ssize_t got;
	int status, zr = Z_OK;

	/* pg_dumpall -d takes a connection string, never a bare name. */
	if (r->globals && strchr(r->dbarg, '=') == r->dbarg + 8 &&
	    strchr(r->dbarg + 9, '=') == NULL && strstr(r->dbarg, "://") ==
	    NULL) {
		bk_conninfo_add(&ci, "dbname", r->dbarg + 9);
		dumpall[2] = bk_asprintf("--dbname=%s", ci);
		free(ci);
	}
	safety_open(r, &out, path);
	memset(&z, 0, sizeof(z));
	/* windowBits 16 + 15: a gzip member, as gzip -6 writes it. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		bk_errx(BK_EX_SOFTWARE, "could not start zlib");
	bk_progress_init(&meter, r->progress, "safety backup", 0);
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
			safety_write(&out, zb, CHUNK - z.avail_out);
		} while (z.avail_out == 0);
	} while (got > 0);
	deflateEnd(&z);
	bk_progress_end(&meter);
	status = child_wait(&c);
	if (zr != Z_STREAM_END || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		safety_abort(&out, r);
		child_why(&c, status, why, sizeof(why));
		safety_failed(r, strstr(why, "permission denied") != NULL ?
		    BK_EX_NOPERM : BK_EX_UNAVAILABLE, why);
	}
	safety_commit(&out, r);
	if (dumpall[2] != r->dbarg)
		free(dumpall[2]);
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
	char *argv[6] = { "pg_restore", "-f", "-", NULL };
	int n = 3;

	/* pg_restore's own flags; the filter would leave them out anyway. */
	if (r->no_owner)
		argv[n++] = "--no-owner";
	if (r->no_acl)
		argv[n++] = "--no-acl";
	argv[n] = NULL;

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
void
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
	t.flags = (r->no_owner ? TXF_NO_OWNER : 0) |
	    (r->no_acl ? TXF_NO_ACL : 0) | (r->globals ? TXF_GLOBALS : 0);
	t.exists = pg_exists;
	t.ctx = r;
	random_hex(key, 16);
	random_hex(nonce, 16);
	/* A globals script's errors are told without its words (passwords). */
	pre = bk_asprintf("\\set AUTOCOMMIT off\n"
	    "%s"
	    "BEGIN;\n"
	    "SELECT pg_catalog.txid_current() AS bk_txid \\gset\n"
	    "\\echo " BEGUN ":bk_txid\n"
	    "%s%s"
	    "\\restrict %s\n", r->globals ? "\\set VERBOSITY terse\n" : "",
	    r->clean ? clean_sql : "",
	    r->clean ? ";\n" : "", key);
	post = bk_asprintf("\\unrestrict %s\n"
	    "SELECT pg_catalog.txid_current() = :bk_txid AS bk_same \\gset\n"
	    "\\if :bk_same\n"
	    "COMMIT;\n"
	    "\\echo " COMMITTED "%s\n"
	    "\\endif\n", key, nonce);
	child_init(&c);
	c.scrub = r->globals;
	snprintf(c.mark, sizeof(c.mark), COMMITTED "%s\n", nonce);
	prefd = psql_file(&c, 0);
	postfd = psql_file(&c, 1);
	child_start(&c, r, argv, 1, 2);
	/* A few KiB into an empty pipe; a psql gone early is seen below. */
	(void)bk_write_full(prefd, pre, strlen(pre));
	close(prefd);
	free(pre);
	bk_progress_init(&meter, r->progress, "restoring", r->size);
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
	free(t.sbuf);
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
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && c.marked) {
		if (t.skipped > 0)
			bk_info("left out %" PRIu64 " statement%s of %s", t.skipped,
			    t.skipped == 1 ? "" : "s", r->globals ?
			    "roles and tablespaces that exist" :
			    "ownership and privileges");
		return;
	}
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
	    !r->clean)
		strncat(why, " (the database is not empty: --clean empties it "
		    "first, in the same transaction)", sizeof(why) -
		    strlen(why) - 1);
	restore_failed(r, code, why);
}
