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
    "                 [--max-work-factor n] [--fresh-within duration]\n"
    "                 [-M metrics] [--no-scan] [--record]\n"
    "                 [-w seconds | --no-wait] [file ...]\n";

#define REASON	1024

struct opts {
	int		 progress;
	int		 quiet;
	const char	*manifest;
	const char	*sums;
	const char	*type;
	const char	**idfiles;	/* -i, each tried */
	size_t		 nidfiles;
	const char	*passfile;
	int		 passfd;	/* --passphrase-fd, -1 without */
	int		 max_logn;	/* --max-work-factor, 0 without */
	int64_t		 max_age;	/* seconds, -1 without --fresh-within */
	const char	*metrics;
	int		 noscan;
	int		 record;
	int		 wait;
};

/* What one backup turned out to be. */
struct result {
	const char	*name;		/* as shown */
	const char	*path;		/* relative to the manifest, or NULL */
	const char	*type;
	time_t		 created;
	int		 ok;
	int		 owned;		/* name is ours to free */
	int		 noverdict;	/* the check could not run (no
					   pg_restore, a full TMPDIR) */
	int64_t		 size;
	int64_t		 records;	/* counted, -1 when not */
	char		 note[256];	/* "(...)" after OK */
	char		 reason[REASON];
};

/* The run: options, the manifest, the results. */
struct verify {
	struct opts		*o;
	struct bk_manifest	 m;
	int			 have_manifest;
	struct bk_age_ids	*ids;
	struct result		*res;
	size_t			 nres, capres;
	size_t			 nfail;		/* FAIL lines of any kind */
	size_t			 unlisted;
	size_t			 stale;		/* old temporary files */
	size_t			 badlines;
	time_t			 now;
	struct timespec		 start;
	struct result		**byname;	/* results sorted by path */
	size_t			 nbyname;
	int			 progress;	/* -P */
};

/* ---- one backup ---- */

static int
is_age(const char *s)
{
	return strcmp(s, "age") == 0 || strcmp(s, "age-armor") == 0;
}

/*
 * Compares the layers found with the manifest's (both innermost first).
 * The manifest holds what the plaintext was when the backup was made (see
 * bk-crypt); a run without an identity stops at the outermost age layer.
 */
static void
layers_differ(char *out, size_t size, const struct bk_inspect *ins,
    char *const *want, size_t nwant)
{
	size_t i, n = ins->nlayers;
	char shown[128];

	if (nwant == 0)
		return;
	if (ins->sealed && n > 0 && n <= nwant && is_age(ins->layers[0])) {
		/* Stopped at an age layer: the manifest's outer ones alike. */
		for (i = 0; i < n; i++)
			if (strcmp(ins->layers[n - 1 - i],
			    want[nwant - 1 - i]) != 0)
				break;
		if (i == n)
			return;
	} else if (n >= nwant && (n == nwant || is_age(want[0]))) {
		/*
		 * All alike; or the manifest stops at an age layer whose
		 * plaintext nobody recorded, and its outer layers are alike.
		 */
		for (i = 0; i < nwant; i++)
			if (strcmp(ins->layers[n - 1 - i],
			    want[nwant - 1 - i]) != 0)
				break;
		if (i == nwant)
			return;
	}
	bk_inspect_layers(ins, shown, sizeof(shown));
	snprintf(out, size, "layers are \"%s\", the manifest says \"", shown);
	for (i = 0; i < nwant; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s",
		    i > 0 ? " " : "", want[i]);
	snprintf(out + strlen(out), size - strlen(out), "\"");
}

/*
 * What a run without an identity could and could not check of an
 * encrypted backup: the size, the digest and the age header, and what the
 * manifest says the plaintext held when it was made.
 */
static void
sealed_note(struct result *res, const struct bk_entry *e)
{
	char held[160] = "content never checked";
	size_t i;

	/* More layers than the ones found: bk-crypt recorded them. */
	if (e != NULL && e->nlayers > 1 && !is_age(e->layers[0])) {
		snprintf(held, sizeof(held), "held ");
		for (i = 0; i < e->nlayers && !is_age(e->layers[i]); i++)
			snprintf(held + strlen(held), sizeof(held) -
			    strlen(held), "%s%s", i > 0 ? " " : "",
			    e->layers[i]);
		if (e->records >= 0)
			snprintf(held + strlen(held), sizeof(held) -
			    strlen(held), ", %" PRId64 " record%s", e->records,
			    e->records == 1 ? "" : "s");
		snprintf(held + strlen(held), sizeof(held) - strlen(held),
		    ", whole when made");
	}
	snprintf(res->note, sizeof(res->note), "age not decrypted, no "
	    "identity: size, sha256 and header checked; %s", held);
}

/*
 * Reads fd once through common/inspect.c, the verdict bk-manifest add and
 * bk-restore give too, and compares what it found with the manifest line
 * e (NULL for a sums list, where want_sha is the digest to compare, "" when
 * none).  Fills res (ok, reason, note, records) and returns res->ok.
 */
static int
verify_stream(struct verify *v, int fd, const char *name,
    const struct bk_entry *e, const char *want_sha, struct result *res)
{
	struct bk_inspect_opts io;
	struct bk_inspect ins;
	char lerr[REASON] = "", layers[128];
	int64_t want_records = e != NULL ? e->records : -1;

	memset(&io, 0, sizeof(io));
	io.ids = v->ids;
	io.progress = v->progress;
	bk_inspect_fd(fd, name, &io, &ins);
	bk_inspect_layers(&ins, layers, sizeof(layers));
	if (ins.code == 0 && e != NULL)
		layers_differ(lerr, sizeof(lerr), &ins, e->layers, e->nlayers);
	res->size = (int64_t)ins.size;
	res->records = -1;
	/*
	 * Our side failed, not the backup: pg_restore missing (69), the
	 * temporary copy on a full TMPDIR (74 after the file was read).
	 */
	res->noverdict = ins.layer_failed && (ins.code == BK_EX_UNAVAILABLE ||
	    (ins.code == BK_EX_IOERR && strncmp(ins.why, "could not read",
	    14) != 0));
	if (ins.code == BK_EX_IOERR && ins.layer_failed)
		snprintf(res->reason, sizeof(res->reason), "%s", ins.why);
	else if (want_sha[0] != '\0' && strcmp(ins.sha256, want_sha) != 0)
		/* Changed bytes: where a layer noticed says where. */
		snprintf(res->reason, sizeof(res->reason), "sha256 does not "
		    "match%s%.900s%s", ins.code ? " (" : "",
		    ins.code ? ins.why : "", ins.code ? ")" : "");
	else if (ins.code != 0)
		snprintf(res->reason, sizeof(res->reason), "%s", ins.why);
	else if (lerr[0] != '\0')
		snprintf(res->reason, sizeof(res->reason), "%s", lerr);
	if (res->reason[0] == '\0' && ins.records >= 0) {
		res->records = ins.records;
		if (want_records >= 0 && res->records != want_records)
			snprintf(res->reason, sizeof(res->reason), "%" PRId64
			    " records, the manifest says %" PRId64,
			    res->records, want_records);
	}
	if (res->reason[0] == '\0' && ins.sealed && e != NULL &&
	    e->complete == 0)
		snprintf(res->reason, sizeof(res->reason), "its %s was not "
		    "whole when it was made (recorded with --incomplete)",
		    e->layers[0]);
	else if (res->reason[0] == '\0' && ins.sealed)
		sealed_note(res, e);
	else if (res->reason[0] == '\0' && bk_verbosity() > 0) {
		if (res->records >= 0)
			snprintf(res->note, sizeof(res->note), "%s, %" PRId64
			    " record%s", layers, res->records,
			    res->records == 1 ? "" : "s");
		else
			snprintf(res->note, sizeof(res->note), "%s", layers);
	}
	res->ok = res->reason[0] == '\0';
	return res->ok;
}

/* ---- the run ---- */

static struct result *
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
 * A name holding a newline is shown escaped, as bk-sum -c and sha256sum -c
 * show it, so that each backup keeps one line.
 */
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

static void
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
static void
print_fail(struct verify *v, const char *fmt, ...) BK_PRINTF(2, 3);

static void
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

/* Opens a backup and checks what needs no reading; 0 or -1 (res says). */
static int
open_checked(int fd, int64_t want_size, struct result *res)
{
	struct stat st;

	if (fd < 0) {
		if (errno == ENOENT)
			snprintf(res->reason, sizeof(res->reason),
			    "file is missing");
		else if (errno == ELOOP)
			snprintf(res->reason, sizeof(res->reason),
			    "is a symbolic link");
		else
			snprintf(res->reason, sizeof(res->reason),
			    "could not open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(res->reason, sizeof(res->reason), "could not stat: "
		    "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(res->reason, sizeof(res->reason),
		    "not a regular file");
		return -1;
	}
	if (want_size >= 0 && st.st_size != want_size) {
		snprintf(res->reason, sizeof(res->reason), "size is %jd bytes, "
		    "the manifest says %" PRId64, (intmax_t)st.st_size,
		    want_size);
		return -1;
	}
	return 0;
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
}

/* ---- files in the tree without a manifest line ---- */

/*
 * One file of bk_walk_tree's walk (the one bk-manifest adopt makes).  One
 * that looks like a backup but that no manifest line names is a FAIL.  A
 * temporary file of bk's over an hour old was left by a run that was
 * killed: said on stderr with its age and counted in the metrics, without
 * failing the run, since it is no backup.
 */
static void
scan_file(const struct bk_walk_file *f, void *arg)
{
	struct verify *v = arg;
	char age[32];

	if (f->kind == BK_WALK_UNLISTED) {
		print_fail(v, "%s: not in the manifest (incomplete backup)",
		    f->rel);
		v->unlisted++;
	} else if (f->kind == BK_WALK_STALE) {
		bk_format_duration(age, sizeof(age), f->age);
		bk_warnx("\"%s\": a temporary file of a bk run that was "
		    "killed, %s old (find removes old ones: see bk-verify(1))",
		    f->rel, age);
		v->stale++;
	}
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

/* ---- freshness ---- */

static void
format_age(char *buf, size_t size, int64_t s)
{
	int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;

	if (d > 0 && h > 0)
		snprintf(buf, size, "%" PRId64 "d %" PRId64 "h", d, h);
	else if (d > 0)
		snprintf(buf, size, "%" PRId64 "d", d);
	else if (h > 0 && m > 0)
		snprintf(buf, size, "%" PRId64 "h %" PRId64 "m", h, m);
	else if (h > 0)
		snprintf(buf, size, "%" PRId64 "h", h);
	else if (m > 0)
		snprintf(buf, size, "%" PRId64 "m", m);
	else
		snprintf(buf, size, "%" PRId64 "s", s < 0 ? 0 : s);
}

/* The types seen in this run, in order of first appearance. */
static size_t
collect_types(struct verify *v, const char ***out)
{
	const char **t = NULL, *ty;
	size_t n = 0, i, j;

	if (v->o->type != NULL) {
		t = bk_malloc(sizeof(*t));
		t[0] = v->o->type;
		*out = t;
		return 1;
	}
	for (i = 0; i < v->nres; i++) {
		if (v->res[i].path == NULL)
			continue;
		ty = v->res[i].type != NULL ? v->res[i].type : "none";
		for (j = 0; j < n && strcmp(t[j], ty) != 0; j++)
			;
		if (j == n) {
			t = bk_reallocarray(t, n + 1, sizeof(*t));
			t[n++] = ty;
		}
	}
	*out = t;
	return n;
}

static int
result_is_type(const struct result *r, const char *type)
{
	return r->path != NULL && strcmp(r->type != NULL ? r->type : "none",
	    type) == 0;
}

/* The newest backup of the type that verified OK in this run, or NULL. */
static const struct result *
newest_good(struct verify *v, const char *type)
{
	const struct result *best = NULL;
	size_t i;

	for (i = 0; i < v->nres; i++)
		if (v->res[i].ok && result_is_type(&v->res[i], type) &&
		    (best == NULL || v->res[i].created > best->created))
			best = &v->res[i];
	return best;
}

static void
check_freshness(struct verify *v)
{
	const struct result *r;
	const char **types;
	char age[64], lim[64];
	size_t n, i;

	n = collect_types(v, &types);
	format_age(lim, sizeof(lim), v->o->max_age);
	for (i = 0; i < n; i++) {
		r = newest_good(v, types[i]);
		if (r == NULL) {
			print_fail(v, "type %s: no good backup", types[i]);
			continue;
		}
		if (v->now - r->created > v->o->max_age) {
			format_age(age, sizeof(age), v->now - r->created);
			print_fail(v, "type %s: newest good backup is %s old "
			    "(limit %s)", types[i], age, lim);
		}
	}
	free(types);
}

/* ---- metrics for node_exporter's textfile collector ---- */

/* A label value with \, " and newline escaped as the format wants. */
static void
put_label(struct bk_out *out, const char *s)
{
	char c[2];

	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			bk_out_write(out, "\\", 1);
		if (*s == '\n') {
			bk_out_write(out, "\\n", 2);
			continue;
		}
		c[0] = *s;
		bk_out_write(out, c, 1);
	}
}

static void
put(struct bk_out *out, const char *fmt, ...) BK_PRINTF(2, 3);

static void
put(struct bk_out *out, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = bk_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	bk_out_write(out, s, (size_t)n);
	free(s);
}

static void
put_head(struct bk_out *out, const char *name, const char *help)
{
	put(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
put_typed(struct bk_out *out, const char *name, const char *type,
    const char *value)
{
	put(out, "%s{type=\"", name);
	put_label(out, type);
	put(out, "\"} %s\n", value);
}

/*
 * Writes the metrics atomically (node_exporter may read the file at any
 * moment) and readable by all: node_exporter runs as another user, and
 * the figures hold no secrets.
 */
static void
write_metrics(struct verify *v)
{
	struct bk_out out;
	struct timespec end;
	const struct result *r;
	const char **types;
	char val[64];
	size_t n, i, j, nok, nbad;
	double dur;
	int okall;

	n = collect_types(v, &types);
	bk_out_open(&out, v->o->metrics, BK_OUT_FORCE);
	put_head(&out, "bk_backup_last_success_timestamp_seconds",
	    "Creation time of the newest backup of the type that verified OK "
	    "(0 if none).");
	for (i = 0; i < n; i++) {
		r = newest_good(v, types[i]);
		snprintf(val, sizeof(val), "%jd",
		    (intmax_t)(r != NULL ? r->created : 0));
		put_typed(&out, "bk_backup_last_success_timestamp_seconds",
		    types[i], val);
	}
	put_head(&out, "bk_backup_size_bytes",
	    "Size of the newest backup of the type that verified OK.");
	for (i = 0; i < n; i++)
		if ((r = newest_good(v, types[i])) != NULL && r->size >= 0) {
			snprintf(val, sizeof(val), "%" PRId64, r->size);
			put_typed(&out, "bk_backup_size_bytes", types[i], val);
		}
	put_head(&out, "bk_backup_records",
	    "Records in the newest backup of the type that verified OK.");
	for (i = 0; i < n; i++)
		if ((r = newest_good(v, types[i])) != NULL && r->records >= 0) {
			snprintf(val, sizeof(val), "%" PRId64, r->records);
			put_typed(&out, "bk_backup_records", types[i], val);
		}
	put_head(&out, "bk_verify_backups",
	    "Backups of the type verified in this run.");
	for (i = 0; i < n; i++) {
		for (j = nok = 0; j < v->nres; j++)
			nok += result_is_type(&v->res[j], types[i]);
		snprintf(val, sizeof(val), "%zu", nok);
		put_typed(&out, "bk_verify_backups", types[i], val);
	}
	put_head(&out, "bk_verify_ok",
	    "1 if every backup of the type verified OK in this run, else 0.");
	for (i = 0; i < n; i++) {
		for (j = nbad = nok = 0; j < v->nres; j++)
			if (result_is_type(&v->res[j], types[i])) {
				nok += v->res[j].ok;
				nbad += !v->res[j].ok;
			}
		put_typed(&out, "bk_verify_ok", types[i],
		    nbad == 0 && nok > 0 ? "1" : "0");
	}
	put_head(&out, "bk_verify_unlisted_files",
	    "Files in the tree that look like backups but have no manifest "
	    "line (incomplete backups).");
	put(&out, "bk_verify_unlisted_files %zu\n", v->unlisted);
	put_head(&out, "bk_verify_stale_temporary_files",
	    "Temporary files of bk runs that were killed, over an hour old.");
	put(&out, "bk_verify_stale_temporary_files %zu\n", v->stale);
	put_head(&out, "bk_verify_bad_lines",
	    "Manifest or sums lines that could not be read.");
	put(&out, "bk_verify_bad_lines %zu\n", v->badlines);
	okall = v->nfail == 0;
	put_head(&out, "bk_verify_success",
	    "1 if the whole run passed (exit status 0), else 0.");
	put(&out, "bk_verify_success %d\n", okall);
	put_head(&out, "bk_verify_last_run_timestamp_seconds",
	    "When this verification ran.");
	put(&out, "bk_verify_last_run_timestamp_seconds %jd\n",
	    (intmax_t)v->now);
	clock_gettime(CLOCK_MONOTONIC, &end);
	dur = (double)(end.tv_sec - v->start.tv_sec) +
	    (double)(end.tv_nsec - v->start.tv_nsec) / 1e9;
	put_head(&out, "bk_verify_duration_seconds",
	    "How long this verification took.");
	put(&out, "bk_verify_duration_seconds %.3f\n", dur);
	/* Only our own temporary file: never a device or FIFO named. */
	if (out.tmp != NULL && fchmod(out.fd, 0644) < 0)
		bk_err(BK_EX_CANTCREAT, "could not set the mode of \"%s\"",
		    v->o->metrics);
	bk_out_commit(&out);
	free(types);
}

/* ---- --record ---- */

static int
cmp_result(const void *a, const void *b)
{
	return strcmp((*(struct result *const *)a)->path,
	    (*(struct result *const *)b)->path);
}

static int
record_keep(struct bk_entry *e, void *arg)
{
	struct verify *v = arg;
	struct result key, *kp = &key, **r;

	key.path = e->path;
	r = bsearch(&kp, v->byname, v->nbyname, sizeof(*v->byname),
	    cmp_result);
	/* A check that could not run says nothing of the backup. */
	if (r != NULL && !(*r)->noverdict)
		bk_entry_set_verified(e, v->now, (*r)->ok ? BK_VERIFIED_OK :
		    BK_VERIFIED_FAIL, (*r)->ok ? NULL : (*r)->reason);
	return 1;
}

/*
 * Writes each result into its manifest line, under the exclusive lock,
 * through an atomic rewrite.  The paths of the results point into the
 * loaded entries, which the rewrite frees: copy them first.
 */
static void
record_results(struct verify *v)
{
	size_t i;

	v->byname = bk_calloc(v->nres + 1, sizeof(*v->byname));
	for (i = 0; i < v->nres; i++) {
		if (v->res[i].path != NULL) {
			v->res[i].path = bk_strdup(v->res[i].path);
			v->byname[v->nbyname++] = &v->res[i];
		}
		v->res[i].type = NULL;
	}
	if (v->nbyname > 0)
		qsort(v->byname, v->nbyname, sizeof(*v->byname), cmp_result);
	bk_manifest_lock(&v->m, BK_LOCK_EX, v->o->wait, 0);
	bk_manifest_rewrite(&v->m, record_keep, v);
	bk_manifest_unlock(&v->m);
	for (i = 0; i < v->nres; i++)
		free((char *)v->res[i].path);
	free(v->byname);
}

/* ---- options ---- */

static void
load_identities(struct verify *v)
{
	char err[512], *line, *what;
	size_t n, i;
	int code, fd;

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
	if (v->o->passfile != NULL) {
		if ((fd = open(v->o->passfile, O_RDONLY | O_CLOEXEC)) < 0)
			bk_err(bk_open_errno_code(errno), "could not open "
			    "\"%s\"", v->o->passfile);
		what = bk_asprintf("passphrase file \"%s\"", v->o->passfile);
		line = bk_secret_read(fd, what, &n);
		free(what);
		close(fd);
		if (n == 0)
			bk_errx(BK_EX_DATAERR, "no passphrase in \"%s\"",
			    v->o->passfile);
		bk_age_ids_set_passphrase(v->ids, line, n);
		bk_explicit_bzero(line, n);
		free(line);
	} else if (v->o->passfd >= 0) {
		/* Programs started later must not inherit a way to it. */
		(void)fcntl(v->o->passfd, F_SETFD, FD_CLOEXEC);
		line = bk_secret_read(v->o->passfd, "the passphrase descriptor",
		    &n);
		if (n == 0)
			bk_errx(BK_EX_DATAERR, "no passphrase on descriptor %d",
			    v->o->passfd);
		bk_age_ids_set_passphrase(v->ids, line, n);
		bk_explicit_bzero(line, n);
		free(line);
	}
}

enum {
	OPT_PASSFILE = CHAR_MAX + 1, OPT_PASSFD, OPT_MAXWF, OPT_FRESH,
	OPT_NOSCAN, OPT_RECORD, OPT_NOWAIT, OPT_VERSION
};

int
main(int argc, char *argv[])
{
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
		{ "wait",		required_argument,	NULL, 'w' },
		{ "no-wait",		no_argument,		NULL, OPT_NOWAIT },
		{ "help",		no_argument,		NULL, 'h' },
		{ "version",		no_argument,		NULL, OPT_VERSION },
		{ NULL,			0,			NULL, 0 }
	};
	struct opts o;
	struct verify v;
	char *end;
	long n;
	int ch, verbosity = 0;

	bk_init(argc, argv);
	memset(&o, 0, sizeof(o));
	o.max_age = -1;
	o.passfd = -1;
	o.wait = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			o.progress = 1;
			break;
		case 'q':
			o.quiet = 1;
			verbosity = -1;
			break;
		case 'v':
			verbosity = 1;
			break;
		case 'm':
			o.manifest = optarg;
			break;
		case 'c':
			o.sums = optarg;
			break;
		case 'T':
			o.type = optarg;
			break;
		case 'i':
			o.idfiles = bk_reallocarray(o.idfiles, o.nidfiles + 1,
			    sizeof(*o.idfiles));
			o.idfiles[o.nidfiles++] = optarg;
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
		case OPT_FRESH:
			if (bk_parse_duration(optarg, &o.max_age) < 0 ||
			    o.max_age <= 0)
				bk_usage_error("bad duration \"%s\"", optarg);
			break;
		case 'M':
			o.metrics = optarg;
			break;
		case OPT_NOSCAN:
			o.noscan = 1;
			break;
		case OPT_RECORD:
			o.record = 1;
			break;
		case 'w':
			o.wait = bk_parse_wait(optarg);
			break;
		case OPT_NOWAIT:
			o.wait = 0;
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
	argc -= optind;
	argv += optind;
	bk_set_verbosity(verbosity);
	if (o.sums != NULL && (o.manifest != NULL || o.type != NULL ||
	    o.max_age >= 0 || o.record))
		bk_usage_error("-c does not go with --manifest, --type, "
		    "--fresh-within or --record");
	if (o.passfile != NULL && o.passfd >= 0)
		bk_usage_error("--passphrase-file and --passphrase-fd exclude "
		    "each other");
	if (o.passfd == STDIN_FILENO && o.sums != NULL &&
	    strcmp(o.sums, "-") == 0)
		bk_usage_error("--passphrase-fd 0 is standard input, which is "
		    "also the list: name the list, or use another descriptor "
		    "or --passphrase-file");

	memset(&v, 0, sizeof(v));
	v.o = &o;
	v.progress = o.progress;
	v.now = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &v.start);
	load_identities(&v);
	if (o.sums != NULL)
		verify_sums(&v, argc, argv);
	else
		verify_manifest(&v, argc, argv);
	if (o.max_age >= 0)
		check_freshness(&v);
	fflush(stdout);
	if (o.metrics != NULL)
		write_metrics(&v);
	if (o.record && v.have_manifest && v.nres > 0)
		record_results(&v);
	if (v.have_manifest)
		bk_manifest_free(&v.m);
	for (size_t i = 0; i < v.nres; i++)
		if (v.res[i].owned)
			free((char *)v.res[i].name);
	free(v.res);
	if (v.ids != NULL)
		bk_age_ids_free(v.ids);
	free(o.idfiles);
	return bk_finish(v.nfail > 0 ? BK_EX_FAIL : BK_EX_OK);
}
