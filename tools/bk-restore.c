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
 *
 * --scratch is a restore drill (restore/drill.c): the same verification
 * and restore, into a scratch target made for it and removed afterwards,
 * its tables counted and the result recorded on the backup's line.
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
"usage: bk-restore [-nPqv] [--clean] [--unlisted] [--yes] [--no-safety-backup]\n"
"                  [--no-owner] [--no-acl] [--globals]\n"
"                  [-m manifest] [-w seconds | --no-wait] [-i identity ...]\n"
"                  [--passphrase-file file | --passphrase-fd n]\n"
"                  [--max-work-factor n] -D target file\n"
"       bk-restore --scratch [-Pqv] [--no-owner] [--no-acl] [-m manifest]\n"
"                  [-w seconds | --no-wait] [-i identity ...]\n"
"                  [--passphrase-file file | --passphrase-fd n]\n"
"                  [--max-work-factor n] [-D server] file\n";

#include "restore/restore.h"

struct opts {
	const char	*target;	/* -D as given */
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
	int		 no_owner;	/* --no-owner */
	int		 no_acl;	/* --no-acl */
	int		 globals;	/* --globals */
	int		 scratch;	/* --scratch: a drill */
	const char	*file;
};

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
			bk_errx(BK_EX_FAIL, "could not %s \"%s\": not in the "
			    "manifest \"%s\" (an incomplete backup%s)",
			    o->scratch ? "drill" : "restore", r->rel, r->m.path,
			    o->scratch ? ", with nowhere to record a drill" :
			    "; --unlisted restores it anyway");
		bk_warnx("\"%s\" is not in the manifest: restoring it because "
		    "of --unlisted", r->rel);
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
			bk_errx(BK_EX_FAIL, "could not %s \"%s\": its "
			    "manifest line has no sha256 to check it against%s",
			    o->scratch ? "drill" : "restore", r->rel,
			    o->scratch ? "" : " (--unlisted restores it anyway)");
		bk_warnx("\"%s\" has no sha256 in the manifest: restoring it "
		    "unchecked because of --unlisted", r->rel);
	}
	memcpy(r->want, e->sha256, sizeof(r->want));
}

/* Refuses content that the target cannot take. */
static void
check_content(struct restore *r, enum bk_layer l)
{
	const char *what = r->kind == TARGET_PG ? "PostgreSQL" : "SQLite";
	const char *kind = l == BK_LAYER_UNKNOWN ? "data of no known kind" :
	    bk_layer_name(l);

	/* A cluster's globals with --globals (PostgreSQL), and only then. */
	if (r->globals && l != BK_LAYER_PGDUMPALL)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\" with "
		    "--globals: it holds %s, not a pg_dumpall script", r->rel,
		    kind);
	if (l == BK_LAYER_PGDUMPALL && r->kind == TARGET_PG && !r->globals)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": it holds a "
		    "cluster's globals, a pg_dumpall script (--globals restores "
		    "the roles and tablespaces of pg_dumpall -g)", r->rel);
	if (l == BK_LAYER_PGDUMPALL && r->kind == TARGET_PG)
		return;
	if (bk_layer_pgarchive(l) && r->kind == TARGET_SQLITE)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": it holds a "
		    "pg_dump archive, and the target is %s", r->rel, what);
	if (bk_layer_pgarchive(l))
		return;
	if (r->kind == TARGET_PG && l == BK_LAYER_SQLITE)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": it holds an "
		    "SQLite database, and the target is %s (use -D sqlite:PATH)",
		    r->rel, what);
	if (r->kind == TARGET_SQLITE && (l == BK_LAYER_PGDUMP ||
	    l == BK_LAYER_PGDUMPALL))
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": it holds a "
		    "%s script, and the target is %s", r->rel, kind, what);
	if (l != BK_LAYER_PGDUMP && l != BK_LAYER_SQLITE)
		bk_errx(BK_EX_DATAERR, "could not restore \"%s\": it holds %s, "
		    "not a plain pg_dump script or an SQLite database", r->rel,
		    kind);
}

/* ---- pass 1: verify the whole backup before anything is touched ---- */

/* The backup failed its verification: a failed drill, or no restore. */
static void BK_NORETURN
verify_failed(struct restore *r, int code, const char *why)
{
	if (r->scratch)
		drill_failed(r, code, why);
	bk_errx(code, "could not restore \"%s\": %s", r->rel, why);
}

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
	char why[BK_WHY_MAX + 64];

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
	if (r->want[0] != '\0' && strcmp(r->want, r->sha) != 0) {
		snprintf(why, sizeof(why), "sha256 does not match the "
		    "manifest%s%s%s", ins.code ? " (" : "", ins.code ? ins.why :
		    "", ins.code ? ")" : "");
		verify_failed(r, BK_EX_FAIL, why);
	}
	/* What the target cannot take is said first, broken or not. */
	if (!ins.layer_failed && r->content != BK_LAYER_EMPTY && !r->scratch)
		check_content(r, r->content);
	if (ins.code != 0)
		verify_failed(r, ins.code, ins.why);
	bk_info("verified \"%s\": %" PRIu64 " bytes, sha256 %s, %s", r->rel,
	    r->size, r->want[0] ? "as recorded" : "not recorded", r->layers);
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
	    r->empty ? "The target is new or empty." : r->globals ?
	    "Its roles and tablespaces, for the whole server, are created or "
	    "changed." : r->kind == TARGET_PG && r->o->clean ? "Everything in it is "
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


/* ---- the run ---- */

static void
dry_run(struct restore *r)
{
	printf("verified \"%s\": %" PRIu64 " bytes, %s, sha256 %s\n", r->rel,
	    r->size, r->layers, r->want[0] ? "as recorded" :
	    "not recorded (--unlisted)");
	if (r->safety != NULL)
		printf("would make the safety backup \"%s\" of %s\n",
		    r->safety, r->shown);
	else if (r->o->safety && r->empty)
		printf("would make no safety backup: %s is %s\n", r->shown,
		    r->created ? "new" : "empty");
	else
		printf("would make no safety backup (--no-safety-backup)\n");
	printf("would restore \"%s\" into %s%s%s%s\n", r->rel, r->created ?
	    "a new " : "", r->shown, r->o->clean ? ", emptied first" : "",
	    r->globals ? ": its server's roles and tablespaces" :
	    r->no_owner && r->no_acl ? ", without ownership and privileges" :
	    r->no_owner ? ", without ownership" : r->no_acl ?
	    ", without privileges" : "");
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
	free(r->recipients);
	free(r->sealed);
	free(r->buf);
	free(r->zbuf);
	bk_age_ids_free(r->ids);
	bk_manifest_free(&r->m);
	memset(r, 0, sizeof(*r));
}

static void
restore_init(struct restore *r, const struct opts *o)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->target = o->target;
	r->clean = o->clean;
	r->no_owner = o->no_owner;
	r->no_acl = o->no_acl;
	r->globals = o->globals;
	r->dry_run = o->dry_run;
	r->progress = o->progress;
	r->wait = o->wait;
	r->scratch = o->scratch;
	r->fd = r->lockfd = r->created_slot = r->tmpslot = -1;
	r->buf = bk_malloc(CHUNK);
	r->zbuf = bk_malloc(CHUNK);
}

/*
 * A drill: the backup verified as for a restore, then restored into a
 * scratch target, counted and recorded (restore/drill.c).  The target
 * of -D, when given, is the PostgreSQL server to make the scratch
 * database on, and is never written to.
 */
static int
drill(const struct opts *o)
{
	/* Static: what it holds stays reachable when an error exits. */
	static struct restore r;
	int code;

	restore_init(&r, o);
	/* A -D that cannot be passed on is refused before anything runs. */
	if (o->target != NULL)
		pg_args(&r);
	load_identities(&r);
	open_backup(&r);
	drill_check(&r);
	verify_backup(&r);
	code = drill_run(&r);
	restore_free(&r);
	return code;
}

static int
restore(const struct opts *o)
{
	/* Static: what it holds stays reachable when an error exits. */
	static struct restore r;
	char *done;
	int tty;

	restore_init(&r, o);
	r.kind = strncmp(o->target, "sqlite:", 7) == 0 ? TARGET_SQLITE :
	    TARGET_PG;
	if (r.kind == TARGET_SQLITE && o->clean)
		bk_usage_error("--clean is for PostgreSQL: an SQLite restore "
		    "replaces the whole file");
	if (r.kind == TARGET_SQLITE && (o->no_owner || o->no_acl ||
	    o->globals))
		bk_usage_error("--%s is for PostgreSQL: SQLite has no roles",
		    o->globals ? "globals" : o->no_owner ? "no-owner" :
		    "no-acl");
	/* A -D that cannot be passed on is refused before any prompt. */
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
	OPT_CLEAN, OPT_NO_WAIT, OPT_UNLISTED, OPT_YES, OPT_VERSION,
	OPT_NO_OWNER, OPT_NO_ACL, OPT_GLOBALS, OPT_SCRATCH
};

static const char optstring[] = "D:hi:m:nPqvw:";

static const struct option longopts[] = {
	{ "database",		required_argument,	NULL, 'D' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "identity",		required_argument,	NULL, 'i' },
	{ "manifest",		required_argument,	NULL, 'm' },
	{ "dry-run",		no_argument,		NULL, 'n' },
	{ "progress",		no_argument,		NULL, 'P' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "wait",		required_argument,	NULL, 'w' },
	{ "clean",		no_argument,		NULL, OPT_CLEAN },
	{ "no-wait",		no_argument,		NULL, OPT_NO_WAIT },
	{ "unlisted",		no_argument,		NULL, OPT_UNLISTED },
	{ "yes",		no_argument,		NULL, OPT_YES },
	{ "no-safety-backup",	no_argument,		NULL, OPT_NO_SAFETY },
	{ "no-owner",		no_argument,		NULL, OPT_NO_OWNER },
	{ "no-acl",		no_argument,		NULL, OPT_NO_ACL },
	{ "globals",		no_argument,		NULL, OPT_GLOBALS },
	{ "scratch",		no_argument,		NULL, OPT_SCRATCH },
	{ "passphrase-file",	required_argument,	NULL, OPT_PASSFILE },
	{ "passphrase-fd",	required_argument,	NULL, OPT_PASSFD },
	{ "max-work-factor",	required_argument,	NULL, OPT_MAXWF },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 }
};

/* The options into o, and the verbosity set; returns optind. */
static int
parse_options(struct opts *o, int argc, char *argv[])
{
	int c, verbosity = 0;

	while ((c = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		switch (c) {
		case OPT_CLEAN:
			o->clean = 1;
			break;
		case 'D':
			if (*optarg == '\0')
				bk_usage_error("empty target (-D)");
			o->target = optarg;
			break;
		case OPT_UNLISTED:
			o->force = 1;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'i':
			o->idfiles = bk_reallocarray(o->idfiles,
			    o->nidfiles + 1, sizeof(*o->idfiles));
			o->idfiles[o->nidfiles++] = optarg;
			break;
		case 'm':
			o->manifest = optarg;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 'P':
			o->progress = 1;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'v':
			if (verbosity >= 0)
				verbosity++;
			break;
		case 'w':
			o->wait = bk_parse_wait(optarg);
			break;
		case OPT_NO_WAIT:
			o->wait = 0;
			break;
		case OPT_YES:
			o->yes = 1;
			break;
		case OPT_NO_SAFETY:
			o->safety = 0;
			break;
		case OPT_NO_OWNER:
			o->no_owner = 1;
			break;
		case OPT_NO_ACL:
			o->no_acl = 1;
			break;
		case OPT_GLOBALS:
			o->globals = 1;
			break;
		case OPT_SCRATCH:
			o->scratch = 1;
			break;
		case OPT_PASSFILE:
			o->passfile = optarg;
			break;
		case OPT_PASSFD:
			o->passfd = bk_parse_passfd(optarg);
			break;
		case OPT_MAXWF:
			o->max_logn = bk_age_parse_max_logn(optarg);
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	bk_set_verbosity(verbosity);
	return optind;
}

/*
 * A drill touches nothing real: no target to name, empty or confirm, no
 * safety backup to make or skip, no roles of the server's to create
 * (--globals), and no unlisted file (its result goes onto the manifest
 * line).  --no-owner and --no-acl serve a drill on a server without the
 * dump's roles.
 */
static void
check_scratch(const struct opts *o)
{
	const char *no = o->clean ? "--clean" : o->dry_run ? "-n" :
	    o->yes ? "--yes" : !o->safety ? "--no-safety-backup" :
	    o->globals ? "--globals" : o->force ? "--unlisted" : NULL;

	if (no != NULL)
		bk_usage_error("--scratch and %s exclude each other: a drill "
		    "%s", no, o->force ? "is recorded on the backup's manifest "
		    "line" : "touches nothing real");
	if (o->target != NULL && strncmp(o->target, "sqlite:", 7) == 0)
		bk_usage_error("--scratch restores an SQLite backup into a "
		    "temporary file: -D sqlite: names a real target");
}

/* The target and the one backup file (the operands), and what excludes. */
static void
check_options(struct opts *o, int argc, char *argv[])
{
	if (o->scratch)
		check_scratch(o);
	else if (o->target == NULL)
		bk_usage_error("no target: give -D DBNAME or -D sqlite:PATH");
	if (argc != 1)
		bk_usage_error(argc == 0 ? "no backup file to restore" :
		    "one backup file at a time");
	o->file = argv[0];
	if (o->passfile != NULL && o->passfd >= 0)
		bk_usage_error("--passphrase-file and --passphrase-fd exclude "
		    "each other");
	if (o->globals && o->clean)
		bk_usage_error("--globals and --clean exclude each other: a "
		    "globals restore never drops");
}

int
main(int argc, char *argv[])
{
	static struct opts o;
	int code, n;

	bk_init(argc, argv);
	memset(&o, 0, sizeof(o));
	o.passfd = -1;
	o.wait = -1;
	o.safety = 1;
	n = parse_options(&o, argc, argv);
	check_options(&o, argc - n, argv + n);
	/* psql going away must be an error we see, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	code = o.scratch ? drill(&o) : restore(&o);
	free(o.idfiles);
	return bk_finish(code);
}
