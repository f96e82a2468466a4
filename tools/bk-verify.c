/*
 * bk-verify: prove that backups are whole.
 *
 * For each backup of a manifest (or of a sha256sum list) it checks, cheap
 * things first, that the file exists, has the recorded size and digest,
 * and that every layer decodes: age (decrypted and authenticated when an
 * identity or passphrase is given, else its header only), gzip (CRC and
 * length of every member), and the content: strict rectangular CSV with
 * the recorded record count, JSON Lines with its count, a complete pg_dump
 * script, a pg_dump archive pg_restore reads whole, or an SQLite database
 * that passes the integrity check of common/sqlitefile.c.  It
 * prints one OK or FAIL line per backup and goes on after a failure.
 *
 * The verdict is common/inspect.c's, the one bk-manifest add and
 * bk-restore give for the same file; this program compares it with the
 * manifest line (size, digest, layers, records) and reports.
 *
 * This file has main(), the options, the two modes (a manifest, a
 * checksum list) and the lines they print; the rest is in tools/verify/
 * (see verify.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"

static const char usage[] =
    "usage: bk-verify [-Pqv] [-m manifest] [-c sums] [-T type] [-i identity ...]\n"
    "                 [--passphrase-file file | --passphrase-fd n]\n"
    "                 [--max-work-factor n] [--fresh-within duration] [-M metrics]\n"
    "                 [--no-scan] [--record] [--remote [--download]]\n"
    "                 [-w seconds | --no-wait] [file ...]\n";

#include "verify/verify.h"

/* ---- the run ---- */

struct result *
add_result(struct verify *v, const char *name)
{
	struct result *r;

	if (v->nres == v->capres) {
		v->capres = v->capres ? v->capres * 2 : 64;
		v->res = bk_reallocarray(v->res, v->capres, sizeof(*v->res));
	}
	r = &v->res[v->nres++];
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->records = -1;
	r->size = -1;
	return r;
}

/*
 * Each line leaves at once: a reader that went away (bk-verify | head)
 * stops the run with SIGPIPE at the next line, and a full disk under
 * standard output ends it with 74, not after the whole tree was read.
 */
static void
flush_line(void)
{
	if (fflush(stdout) == EOF)
		bk_err(BK_EX_IOERR, "could not write standard output");
}

/*
 * A name holding a newline is shown escaped, as bk-sum -c and sha256sum -c
 * show it, so that each backup keeps one line.
 */
void
print_result(struct verify *v, const struct result *r)
{
	char *esc = NULL;
	const char *name = r->name;

	if (strchr(name, '\n') != NULL)
		name = esc = bk_sumlist_escape(name, 1);
	if (!r->ok) {
		v->nfail++;
		printf("FAIL %s: %s\n", name, r->reason);
	} else if (!v->o->quiet) {
		if (r->note[0] != '\0')
			printf("OK %s (%s)\n", name, r->note);
		else
			printf("OK %s\n", name);
	}
	free(esc);
	flush_line();
}

/* A line of its own for problems that are not one backup's. */
void
print_fail(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	v->nfail++;
	fputs("FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	flush_line();
}

static void
verify_entry(struct verify *v, struct bk_entry *e, const char *name)
{
	struct result *r = add_result(v, name);
	int fd;

	r->path = e->path;
	r->type = e->type;
	r->created = e->created_t;
	e->user = r;
	fd = bk_manifest_open_file(&v->m, e->path, O_RDONLY);
	if (open_checked(fd, e->size, r) == 0)
		verify_stream(v, fd, e->path, e, e->sha256, r);
	else
		r->ok = 0;
	if (fd >= 0)
		close(fd);
	if (r->ok)
		r->size = e->size >= 0 ? e->size : r->size;
	print_result(v, r);
	if (v->o->remote)
		verify_remotes(v, e);
}

/* ---- the modes ---- */

static int
type_matches(const struct opts *o, const struct bk_entry *e)
{
	return o->type == NULL || (e->type != NULL &&
	    strcmp(e->type, o->type) == 0);
}

static void
verify_manifest(struct verify *v, int argc, char **argv)
{
	struct bk_entry *e;
	struct result *r;
	char err[256], *rel;
	size_t i;
	int k;

	bk_manifest_init(&v->m, v->o->manifest);
	v->m.wait = v->o->wait;
	bk_manifest_load(&v->m, BK_MF_QUIET);
	v->have_manifest = 1;
	for (i = 0; i < v->m.n; i++) {
		e = &v->m.ents[i];
		if (e->bad) {
			v->badlines++;
			print_fail(v, "%s:%zu: %s", v->m.path, e->lineno,
			    e->error);
		}
	}
	if (argc == 0) {
		for (i = 0; i < v->m.n; i++) {
			e = &v->m.ents[i];
			if (!e->bad && type_matches(v->o, e))
				verify_entry(v, e, e->path);
		}
		if (!v->o->noscan)
			bk_walk_tree(&v->m, "", NULL, scan_file, v);
		return;
	}
	for (k = 0; k < argc; k++) {
		rel = bk_manifest_relpath(&v->m, argv[k], err, sizeof(err));
		e = rel != NULL ? bk_manifest_find(&v->m, rel) : NULL;
		if (e == NULL) {
			r = add_result(v, argv[k]);
			snprintf(r->reason, sizeof(r->reason), "%s",
			    rel == NULL ? err :
			    "not in the manifest (incomplete backup)");
			print_result(v, r);
			free(rel);
			continue;
		}
		free(rel);
		if (type_matches(v->o, e))
			verify_entry(v, e, argv[k]);
	}
}

static int
named(int argc, char **argv, const char *name)
{
	int k;

	if (argc == 0)
		return 1;
	for (k = 0; k < argc; k++)
		if (strcmp(argv[k], name) == 0)
			return 1;
	return 0;
}

/*
 * -s: the files of a checksum list, read by common/sumlist.c as bk-sum -c
 * reads it (GNU or --tag lines, escaped names).  The raw stage hashes
 * sha256 only, so a valid line of another algorithm is a FAIL that says
 * so: skipping it would let exit 0 cover a file that was never checked.
 */
static void
verify_sums(struct verify *v, int argc, char **argv)
{
	const char *shown = bk_input_name(v->o->sums), *why;
	const struct bk_digest_alg *sha256 = bk_digest_lookup("sha256");
	struct bk_sumlist l;
	struct bk_sumentry e;
	struct result *r;
	FILE *f;
	int fd, got;

	if (strcmp(v->o->sums, "-") == 0)
		f = stdin;
	else if ((f = fopen(v->o->sums, "r")) == NULL)
		bk_err(bk_open_errno_code(errno), "could not open \"%s\"",
		    v->o->sums);
	bk_sumlist_init(&l, f, NULL, 0);
	while ((got = bk_sumlist_next(&l, &e, &why)) > 0) {
		if (why != NULL) {
			v->badlines++;
			print_fail(v, "%s:%lu: malformed line: %s", shown,
			    l.lineno, why);
			continue;
		}
		if (!named(argc, argv, e.name))
			continue;
		r = add_result(v, bk_strdup(e.name));
		r->owned = 1;
		if (e.alg != sha256) {
			snprintf(r->reason, sizeof(r->reason), "listed with "
			    "%s; bk-verify checks only sha256 (bk-sum -c "
			    "checks %s)", e.alg->name, e.alg->name);
			print_result(v, r);
			continue;
		}
		fd = open(e.name, O_RDONLY | O_CLOEXEC);
		if (open_checked(fd, -1, r) == 0)
			verify_stream(v, fd, e.name, NULL, e.hex, r);
		if (fd >= 0)
			close(fd);
		print_result(v, r);
	}
	if (got < 0)
		bk_err(BK_EX_IOERR, "could not read \"%s\"", v->o->sums);
	/* As bk-sum -c and sha256sum -c: an empty list proves nothing. */
	if (l.nlines == 0)
		print_fail(v, "%s: no digest lines", shown);
	bk_sumlist_free(&l);
	if (f != stdin)
		fclose(f);
}

/* ---- options ---- */

static void
load_identities(struct verify *v)
{
	char err[512], *pass;
	size_t n, i;
	int code;

	if (v->o->nidfiles == 0 && v->o->passfile == NULL &&
	    v->o->passfd < 0)
		return;
	v->ids = bk_age_ids_new();
	if (v->o->max_logn > 0)
		bk_age_ids_set_max_logn(v->ids, v->o->max_logn);
	for (i = 0; i < v->o->nidfiles; i++)
		if ((code = bk_age_ids_load(v->ids, v->o->idfiles[i], err,
		    sizeof(err))) != 0)
			bk_errx(code, "%s", err);
	/* From the file or descriptor given; bk-verify never prompts. */
	if (v->o->passfile != NULL || v->o->passfd >= 0) {
		pass = bk_passphrase(v->o->passfile, v->o->passfd, 0, &n);
		bk_age_ids_set_passphrase(v->ids, pass, n);
		bk_explicit_bzero(pass, n);
		free(pass);
	}
}

enum {
	OPT_PASSFILE = CHAR_MAX + 1, OPT_PASSFD, OPT_MAXWF, OPT_FRESH,
	OPT_NOSCAN, OPT_RECORD, OPT_REMOTE, OPT_DOWNLOAD, OPT_NOWAIT,
	OPT_VERSION
};

static const char optstring[] = ":c:hi:M:m:PqT:vw:";

static const struct option longopts[] = {
	{ "progress",		no_argument,		NULL, 'P' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "manifest",		required_argument,	NULL, 'm' },
	{ "check",		required_argument,	NULL, 'c' },
	{ "type",		required_argument,	NULL, 'T' },
	{ "identity",		required_argument,	NULL, 'i' },
	{ "passphrase-file",	required_argument,	NULL, OPT_PASSFILE },
	{ "passphrase-fd",	required_argument,	NULL, OPT_PASSFD },
	{ "max-work-factor",	required_argument,	NULL, OPT_MAXWF },
	{ "fresh-within",	required_argument,	NULL, OPT_FRESH },
	{ "metrics",		required_argument,	NULL, 'M' },
	{ "no-scan",		no_argument,		NULL, OPT_NOSCAN },
	{ "record",		no_argument,		NULL, OPT_RECORD },
	{ "remote",		no_argument,		NULL, OPT_REMOTE },
	{ "download",		no_argument,		NULL, OPT_DOWNLOAD },
	{ "wait",		required_argument,	NULL, 'w' },
	{ "no-wait",		no_argument,		NULL, OPT_NOWAIT },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 }
};

/* The options into o, and the verbosity set; returns optind. */
static int
parse_options(struct opts *o, int argc, char *argv[])
{
	int ch, verbosity = 0;

	o->max_age = -1;
	o->passfd = -1;
	o->wait = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			o->progress = 1;
			break;
		case 'q':
			o->quiet = 1;
			verbosity = -1;
			break;
		case 'v':
			verbosity = 1;
			break;
		case 'm':
			o->manifest = optarg;
			break;
		case 'c':
			o->sums = optarg;
			break;
		case 'T':
			o->type = optarg;
			break;
		case 'i':
			o->idfiles = bk_reallocarray(o->idfiles,
			    o->nidfiles + 1, sizeof(*o->idfiles));
			o->idfiles[o->nidfiles++] = optarg;
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
		case OPT_FRESH:
			if (bk_parse_duration(optarg, &o->max_age) < 0 ||
			    o->max_age <= 0)
				bk_usage_error("bad duration \"%s\"", optarg);
			break;
		case 'M':
			o->metrics = optarg;
			break;
		case OPT_NOSCAN:
			o->noscan = 1;
			break;
		case OPT_RECORD:
			o->record = 1;
			break;
		case OPT_REMOTE:
			o->remote = 1;
			break;
		case OPT_DOWNLOAD:
			o->download = 1;
			break;
		case 'w':
			o->wait = bk_parse_wait(optarg);
			break;
		case OPT_NOWAIT:
			o->wait = 0;
			break;
		case 'h':
			bk_print_usage(usage);
			/* NOTREACHED */
		case OPT_VERSION:
			bk_print_version();
			/* NOTREACHED */
		default:
			bk_bad_option(argv, optstring);
		}
	}
	bk_set_verbosity(verbosity);
	return optind;
}

/* The options that do not go together. */
static void
check_options(const struct opts *o)
{
	if (o->sums != NULL && (o->manifest != NULL || o->type != NULL ||
	    o->max_age >= 0 || o->record || o->remote))
		bk_usage_error("-c does not go with --manifest, --type, "
		    "--fresh-within, --record or --remote");
	if (o->download && !o->remote)
		bk_usage_error("--download goes with --remote");
	if (o->passfile != NULL && o->passfd >= 0)
		bk_usage_error("--passphrase-file and --passphrase-fd exclude "
		    "each other");
	if (o->passfd == STDIN_FILENO && o->sums != NULL &&
	    strcmp(o->sums, "-") == 0)
		bk_usage_error("--passphrase-fd 0 is standard input, which is "
		    "also the list: name the list, or use another descriptor "
		    "or --passphrase-file");
}

/*
 * The run: every backup, then what was asked of the results (freshness,
 * metrics, the record); returns the exit code.
 */
static int
run(struct opts *o, int argc, char *argv[])
{
	struct verify v;
	size_t i;

	memset(&v, 0, sizeof(v));
	v.o = o;
	v.progress = o->progress;
	v.now = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &v.start);
	load_identities(&v);
	if (o->sums != NULL)
		verify_sums(&v, argc, argv);
	else
		verify_manifest(&v, argc, argv);
	if (o->max_age >= 0)
		check_freshness(&v);
	fflush(stdout);
	if (o->metrics != NULL)
		write_metrics(&v);
	if (o->record && v.have_manifest && v.nres > 0)
		record_results(&v);
	if (v.have_manifest)
		bk_manifest_free(&v.m);
	for (i = 0; i < v.nres; i++)
		if (v.res[i].owned)
			free((char *)v.res[i].name);
	free(v.res);
	if (v.ids != NULL)
		bk_age_ids_free(v.ids);
	return v.nfail > 0 ? BK_EX_FAIL : BK_EX_OK;
}

int
main(int argc, char *argv[])
{
	struct opts o;
	int code, n;

	bk_init(argc, argv);
	memset(&o, 0, sizeof(o));
	n = parse_options(&o, argc, argv);
	check_options(&o);
	code = run(&o, argc - n, argv + n);
	free(o.idfiles);
	return bk_finish(code);
}
