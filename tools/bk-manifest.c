/*
 * bk-manifest: the catalog of a backup tree.  "add" inspects files and
 * appends their lines (the commit point of a backup); "list", "info" and
 * "report" read it; "adopt" catalogs files made before bk; "remove" drops
 * lines, and files with them.  The format is in bk-manifest(5).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/catalog.h"

static const char usage[] =
    "usage: bk-manifest [-qv] [-m manifest] [-w seconds | --no-wait] [--strict]\n"
    "                   command [argument ...]\n"
    "       bk-manifest add [--incomplete] [-T type] [--description text]\n"
    "                   [-u user] [--source source] [--records n]\n"
    "                   [--created date] [--attribute key=value] file ...\n"
    "       bk-manifest list [-T type] [-S date] [-l count]\n"
    "                   [-F table | tsv | json]\n"
    "       bk-manifest info [-F text | json] file\n"
    "       bk-manifest adopt [-n] [--move] [-T type] [--description text]\n"
    "                   [-u user] dir ...\n"
    "       bk-manifest remove [--delete] file ...\n"
    "       bk-manifest report [-F text | json]\n";

/* Folder names that name a backup type (seeds 001, 002, 003). */
static const char *known_types[] = { "daily", "weekly", "monthly",
    "yearly", "hourly", "manual", "pre-migration", "pre-restore", NULL };

enum out_format { OUT_AUTO, OUT_TABLE, OUT_TSV, OUT_JSON, OUT_TEXT };

struct opts {
	struct bk_manifest	 m;
	const char		*mpath;
	int			 wait;		/* seconds, -1 forever */
	int			 strict;
	/* add, adopt */
	int			 force;		/* --incomplete */
	const char		*type;
	const char		*description;
	const char		*created_by;
	char			*source;	/* -s without secrets */
	int64_t			 records;
	const char		*created;
	char			**attrs;
	size_t			 nattrs;
	int			 move;
	int			 dry_run;
	/* list, info, report */
	const char		*since;
	long			 limit;
	enum out_format		 format;
	/* remove */
	int			 delete;
};

/* A file to add, inspected before the manifest is locked. */
struct cand {
	char			*arg;	/* as named */
	char			*rel;	/* relative to the manifest's folder */
	char			*type;
	time_t			 created;
	long			 off;
	struct bk_inspect	 ins;
	int			 skip;
	int			 added;	/* adopt: its line is queued */
};

static int
load_flags(const struct opts *o)
{
	return o->strict ? BK_MF_STRICT : 0;
}

static int
is_known_type(const char *s)
{
	size_t i;

	for (i = 0; known_types[i] != NULL; i++)
		if (strcmp(s, known_types[i]) == 0)
			return 1;
	return 0;
}

/*
 * Inspects one file for add or adopt.  Returns 0, or an exit code after
 * printing why (as an error, or a warning when soft is set).
 */
static int
inspect_file(struct opts *o, struct cand *c, int soft)
{
	struct stat st;
	char err[512];
	const char *base;
	int fd, rec;

#define COMPLAIN(code_, ...) do {					\
		if (soft)						\
			bk_warnx(__VA_ARGS__);				\
		else							\
			bk_errx((code_), __VA_ARGS__);			\
		return (code_);						\
	} while (0)

	if (lstat(c->arg, &st) < 0)
		COMPLAIN(bk_open_errno_code(errno), "could not open \"%s\": %s",
		    c->arg, strerror(errno));
	if (S_ISLNK(st.st_mode))
		COMPLAIN(BK_EX_DATAERR, "could not add \"%s\": a symbolic link, "
		    "not a backup file", c->arg);
	if (!S_ISREG(st.st_mode))
		COMPLAIN(BK_EX_DATAERR, "could not add \"%s\": not a regular "
		    "file", c->arg);
	free(c->rel);
	if ((c->rel = bk_manifest_relpath(&o->m, c->arg, err,
	    sizeof(err))) == NULL)
		COMPLAIN(BK_EX_DATAERR, "could not add \"%s\": %s", c->arg, err);
	base = strrchr(o->m.path, '/') ? strrchr(o->m.path, '/') + 1 :
	    o->m.path;
	if (strchr(c->rel, '/') == NULL && strcmp(c->rel, base) == 0)
		COMPLAIN(BK_EX_DATAERR, "could not add \"%s\": it is the "
		    "manifest itself", c->arg);
	if ((fd = open(c->arg, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		COMPLAIN(bk_open_errno_code(errno), "could not open \"%s\": %s",
		    c->arg, strerror(errno));
	/*
	 * The one verdict, common/inspect.c's, as bk-verify and bk-restore;
	 * inside age, what bk-crypt recorded of the plaintext (plain.c).
	 */
	if (bk_inspect_fd(fd, c->arg, NULL, &c->ins) == 0 && c->ins.sealed &&
	    (rec = bk_plain_read(c->arg, &c->ins)) <= 0)
		bk_warnx("\"%s\" is encrypted and %s: its content is not "
		    "checked (bk-crypt -o records it)", c->arg, rec < 0 ?
		    "the record beside it is not this file's (it changed "
		    "since bk-crypt wrote it)" : "nothing recorded what it "
		    "holds");
	if (c->ins.code != 0 && (c->ins.layer_failed || !o->force)) {
		close(fd);
		if (c->ins.layer_failed)
			COMPLAIN(c->ins.code, "could not read \"%s\": %s",
			    c->arg, c->ins.why);
		COMPLAIN(c->ins.code, "could not add \"%s\": %s (--incomplete records "
		    "it anyway)", c->arg, c->ins.why);
	}
	close(fd);
	if (o->records >= 0 && c->ins.records >= 0 &&
	    o->records != c->ins.records && !o->force)
		COMPLAIN(BK_EX_DATAERR, "could not add \"%s\": %" PRId64
		    " records given, %" PRId64 " counted", c->arg, o->records,
		    c->ins.records);
	return 0;
#undef COMPLAIN
}

/* Builds the entry of a candidate, in the documented field order. */
static struct bk_entry *
make_entry(struct opts *o, struct cand *c)
{
	struct bk_entry *e = bk_entry_inspected(c->rel, c->created, c->off,
	    c->type, &c->ins, o->records);
	char *eq;
	size_t i;

	if (o->description != NULL &&
	    bk_entry_set_str(e, "description", o->description) < 0)
		bk_errx(BK_EX_USAGE, "the description is not valid UTF-8");
	bk_entry_set_str(e, "created_by", o->created_by != NULL ?
	    o->created_by : bk_user_name());
	if (o->source != NULL && *o->source != '\0' &&
	    bk_entry_set_str(e, "source", o->source) < 0)
		bk_errx(BK_EX_USAGE, "the source is not valid UTF-8");
	for (i = 0; i < o->nattrs; i++) {
		eq = strchr(o->attrs[i], '=');
		*eq = '\0';
		bk_entry_set_str(e, o->attrs[i], eq + 1);
		*eq = '=';
	}
	return e;
}

static void
free_cands(struct cand *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].rel);
		free(c[i].type);
		free(c[i].arg);
	}
	free(c);
}

static int
cmd_add(struct opts *o, int argc, char *argv[])
{
	struct cand *c = bk_calloc((size_t)argc, sizeof(*c));
	struct bk_entry *old;
	time_t now = time(NULL), t;
	long off = bk_local_offset(now);
	int i, j;

	if (o->created != NULL) {
		if (bk_parse_date(o->created, &t, &off) < 0)
			bk_usage_error("could not parse date \"%s\"",
			    o->created);
		now = t;
	}
	/* All files first, unlocked: a slow read must not block others. */
	for (i = 0; i < argc; i++) {
		c[i].arg = bk_strdup(argv[i]);
		c[i].type = bk_strdup(o->type != NULL ? o->type : "manual");
		c[i].created = now;
		c[i].off = off;
		inspect_file(o, &c[i], 0);
		for (j = 0; j < i; j++)
			if (strcmp(c[j].rel, c[i].rel) == 0)
				bk_errx(BK_EX_USAGE, "\"%s\" is named twice",
				    c[i].rel);
	}
	bk_manifest_lock(&o->m, BK_LOCK_EX, o->wait, 0);
	bk_manifest_load(&o->m, load_flags(o));
	for (i = 0; i < argc; i++)
		if ((old = bk_manifest_find(&o->m, c[i].rel)) != NULL)
			bk_errx(BK_EX_CANTCREAT, "could not add \"%s\": already "
			    "listed in \"%s\" (line %zu)", c[i].arg, o->m.path,
			    old->lineno);
	/* Queued, then written in one go by the unlock: all or none. */
	for (i = 0; i < argc; i++)
		bk_manifest_append(&o->m, make_entry(o, &c[i]));
	bk_manifest_unlock(&o->m);
	for (i = 0; i < argc; i++)
		bk_info("added \"%s\"", c[i].rel);
	/* What bk-crypt recorded now lives in the manifest. */
	for (i = 0; i < argc; i++)
		if (c[i].ins.recorded)
			bk_plain_remove(c[i].arg);
	free_cands(c, (size_t)argc);
	return BK_EX_OK;
}

/* ---- list ---- */

static int
newest_first(const void *a, const void *b)
{
	const struct bk_entry *x = *(struct bk_entry *const *)a;
	const struct bk_entry *y = *(struct bk_entry *const *)b;

	if (x->created_t != y->created_t)
		return x->created_t < y->created_t ? 1 : -1;
	return x->lineno < y->lineno ? 1 : -1;
}

/* The good entries, filtered and sorted newest first. */
static struct bk_entry **
select_entries(struct opts *o, size_t *np)
{
	struct bk_entry **v, *e;
	time_t since = 0;
	size_t i, n = 0;

	if (o->since != NULL && bk_parse_date(o->since, &since, NULL) < 0)
		bk_usage_error("could not parse date \"%s\"", o->since);
	v = bk_calloc(o->m.n + 1, sizeof(*v));
	for (i = 0; i < o->m.n; i++) {
		e = &o->m.ents[i];
		if (e->bad || (o->type != NULL && (e->type == NULL ||
		    strcmp(e->type, o->type) != 0)) ||
		    (o->since != NULL && e->created_t < since))
			continue;
		v[n++] = e;
	}
	qsort(v, n, sizeof(*v), newest_first);
	if (o->limit >= 0 && (size_t)o->limit < n)
		n = (size_t)o->limit;
	*np = n;
	return v;
}

/* "2025-06-27 14:30" in the offset the entry recorded. */
static void
format_when(char *buf, size_t n, time_t t, long off)
{
	char tmp[40];

	bk_format_rfc3339(tmp, sizeof(tmp), t, off);
	tmp[10] = ' ';
	tmp[16] = '\0';
	if (n > 16)
		memcpy(buf, tmp, 17);
}

static const char *
verified_word(const struct bk_entry *e)
{
	switch (e->verified) {
	case BK_VERIFIED_OK: return "ok";
	case BK_VERIFIED_FAIL: return "FAIL";
	default: return "-";
	}
}

static void
list_table(struct bk_entry **v, size_t n)
{
	char (*when)[24], (*size)[24], (*recs)[24];
	size_t i, wt = 4, ws = 4, wr = 7;

	when = bk_calloc(n + 1, sizeof(*when));
	size = bk_calloc(n + 1, sizeof(*size));
	recs = bk_calloc(n + 1, sizeof(*recs));
	for (i = 0; i < n; i++) {
		format_when(when[i], sizeof(when[i]), v[i]->created_t,
		    v[i]->created_off);
		if (v[i]->size >= 0)
			bk_format_size(size[i], sizeof(size[i]),
			    (uint64_t)v[i]->size);
		else
			strcpy(size[i], "-");
		if (v[i]->records >= 0)
			snprintf(recs[i], sizeof(recs[i]), "%" PRId64,
			    v[i]->records);
		else
			strcpy(recs[i], "-");
		if (v[i]->type != NULL && strlen(v[i]->type) > wt)
			wt = strlen(v[i]->type);
		if (strlen(size[i]) > ws)
			ws = strlen(size[i]);
		if (strlen(recs[i]) > wr)
			wr = strlen(recs[i]);
	}
	printf("%-16s  %-*s  %*s  %*s  %-8s  %s\n", "CREATED", (int)wt, "TYPE",
	    (int)ws, "SIZE", (int)wr, "RECORDS", "VERIFIED", "PATH");
	for (i = 0; i < n; i++)
		printf("%-16s  %-*s  %*s  %*s  %-8s  %s\n", when[i], (int)wt,
		    v[i]->type != NULL ? v[i]->type : "-", (int)ws, size[i],
		    (int)wr, recs[i], verified_word(v[i]), v[i]->path);
	free(when);
	free(size);
	free(recs);
}

/* TSV with PostgreSQL's text escapes (common/csvwrite.c), as bk-csv's. */
static void
list_tsv(struct bk_entry **v, size_t n)
{
	struct bk_csv_dialect tsv;
	struct bk_buf b = { NULL, 0, 0 };
	char size[24], recs[24];
	const char *f[7];
	size_t i, k;

	bk_csv_dialect_init(&tsv, '\t', BK_CSV_TSV);
	for (i = 0; i < n; i++) {
		size[0] = recs[0] = '\0';
		if (v[i]->size >= 0)
			snprintf(size, sizeof(size), "%" PRId64, v[i]->size);
		if (v[i]->records >= 0)
			snprintf(recs, sizeof(recs), "%" PRId64,
			    v[i]->records);
		f[0] = v[i]->created;
		f[1] = v[i]->type;
		f[2] = size;
		f[3] = recs;
		f[4] = v[i]->verified == BK_VERIFIED_OK ? "ok" :
		    v[i]->verified == BK_VERIFIED_FAIL ? "fail" : "";
		f[5] = v[i]->sha256;
		f[6] = v[i]->path;
		b.len = 0;
		for (k = 0; k < 7; k++) {
			if (k > 0)
				bk_buf_add(&b, "\t", 1);
			bk_csv_field(&b, &tsv, f[k] != NULL ? f[k] : "",
			    f[k] != NULL ? strlen(f[k]) : 0, 0);
		}
		bk_buf_add(&b, "\n", 1);
		fwrite(b.p, 1, b.len, stdout);
	}
	free(b.p);
}

static int
cmd_list(struct opts *o, int argc, char *argv[])
{
	struct bk_entry **v;
	size_t n, i;
	enum out_format f = o->format;

	(void)argv;
	if (argc > 0)
		bk_usage_error("list takes no file names");
	bk_manifest_load(&o->m, load_flags(o));
	v = select_entries(o, &n);
	if (f == OUT_AUTO)
		f = isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_TSV;
	if (f == OUT_TABLE)
		list_table(v, n);
	else if (f == OUT_TSV)
		list_tsv(v, n);
	else
		for (i = 0; i < n; i++) {
			char *line = bk_entry_line(v[i]);

			puts(line);
			free(line);
		}
	free(v);
	return BK_EX_OK;
}

/* ---- info ---- */

/* The manifest path of a file named on the command line. */
static char *
name_to_rel(struct opts *o, const char *arg)
{
	char err[512], *rel;

	rel = bk_manifest_relpath(&o->m, arg, err, sizeof(err));
	/* A file already deleted can still be named as the manifest does. */
	if (rel == NULL && bk_manifest_path_ok(arg) == 0 &&
	    bk_manifest_find(&o->m, arg) != NULL)
		rel = bk_strdup(arg);
	if (rel == NULL)
		bk_errx(BK_EX_DATAERR, "\"%s\": %s", arg, err);
	return rel;
}

static void
info_line(const char *key, const char *val)
{
	printf("%-12s %s\n", key, val != NULL ? val : "-");
}

static int
cmd_info(struct opts *o, int argc, char *argv[])
{
	static const char *known[] = { "path", "created", "type", "size",
	    "sha256", "layers", "records", "complete", "description",
	    "created_by", "source", "verified", NULL };
	struct bk_entry *e;
	json_t *j, *v;
	const char *key;
	char *rel, *s, buf[128];
	size_t i;

	if (argc != 1)
		bk_usage_error("info takes one file name");
	bk_manifest_load(&o->m, load_flags(o));
	rel = name_to_rel(o, argv[0]);
	if ((e = bk_manifest_find(&o->m, rel)) == NULL)
		bk_errx(BK_EX_FAIL, "\"%s\" is not listed in \"%s\"", rel,
		    o->m.path);
	free(rel);
	s = bk_entry_line(e);
	j = json_loads(s, 0, NULL);
	free(s);
	if (o->format == OUT_JSON) {
		s = bk_json_text(j, 2);
		puts(s);
		free(s);
		json_decref(j);
		return BK_EX_OK;
	}
	info_line("path:", e->path);
	info_line("created:", e->created);
	info_line("type:", e->type);
	if (e->size >= 0) {
		char h[32];

		bk_format_size(h, sizeof(h), (uint64_t)e->size);
		snprintf(buf, sizeof(buf), "%" PRId64 " (%s)", e->size, h);
		info_line("size:", buf);
	} else
		info_line("size:", NULL);
	info_line("sha256:", e->sha256[0] != '\0' ? e->sha256 : NULL);
	buf[0] = '\0';
	for (i = 0; i < e->nlayers; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    i ? " " : "", e->layers[i]);
	info_line("layers:", e->nlayers ? buf : NULL);
	if (e->records >= 0)
		snprintf(buf, sizeof(buf), "%" PRId64, e->records);
	info_line("records:", e->records >= 0 ? buf : NULL);
	if ((v = json_object_get(j, "complete")) != NULL)
		info_line("complete:", json_is_true(v) ? "yes" : "no");
	info_line("description:", e->description);
	info_line("created_by:", e->created_by);
	info_line("source:", e->source);
	if (e->verified == BK_VERIFIED_NONE)
		info_line("verified:", "never");
	else {
		snprintf(buf, sizeof(buf), "%s at %s%s%s",
		    e->verified == BK_VERIFIED_OK ? "ok" : "FAIL",
		    e->verified_time ? e->verified_time : "?",
		    e->verified_reason ? ": " : "",
		    e->verified_reason ? e->verified_reason : "");
		info_line("verified:", buf);
	}
	/* Fields this version does not know are shown, not hidden. */
	json_object_foreach(j, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (known[i] != NULL)
			continue;
		s = json_is_string(v) ? bk_strdup(json_string_value(v)) :
		    bk_json_text(v, 0);
		printf("%s:%*s %s\n", key, strlen(key) < 11 ?
		    (int)(11 - strlen(key)) : 0, "", s);
		free(s);
	}
	json_decref(j);
	return BK_EX_OK;
}

/* ---- adopt ---- */

struct found {
	struct cand	*c;
	size_t		 n, cap;
};

/*
 * One file of bk_walk_tree's walk (the one bk-verify's scan makes): one
 * that looks like a backup but that no manifest line names is adopted.
 */
static void
found_file(const struct bk_walk_file *w, void *arg)
{
	struct found *f = arg;
	struct cand *c;

	if (w->kind != BK_WALK_UNLISTED)
		return;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 32;
		f->c = bk_reallocarray(f->c, f->cap, sizeof(*f->c));
	}
	c = &f->c[f->n++];
	memset(c, 0, sizeof(*c));
	c->arg = bk_strdup(w->path);
	c->rel = bk_strdup(w->rel);
	c->created = w->st->st_mtime;
}

static int
cand_order(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->rel, y->rel);
}

/* The type of an adopted file: --type, a known folder name, or manual. */
static char *
adopt_type(struct opts *o, const char *rel)
{
	char *copy, *s, *slash, *found = NULL;

	if (o->type != NULL)
		return bk_strdup(o->type);
	copy = bk_strdup(rel);
	for (s = copy; (slash = strchr(s, '/')) != NULL; s = slash + 1) {
		*slash = '\0';
		if (is_known_type(s))
			found = s;	/* the nearest folder wins */
	}
	found = bk_strdup(found != NULL ? found : "manual");
	free(copy);
	return found;
}

/* Moves an adopted file into TYPE/ under the tree, never replacing. */
static int
adopt_move(struct opts *o, struct cand *c)
{
	char *dir, *dst, *base, *rel;

	base = strrchr(c->rel, '/') ? strrchr(c->rel, '/') + 1 : c->rel;
	rel = bk_asprintf("%s/%s", c->type, base);
	if (strcmp(rel, c->rel) == 0) {
		free(rel);
		return 0;
	}
	if (bk_manifest_path_ok(rel) < 0) {
		bk_warnx("could not move \"%s\": type \"%s\" is not a folder "
		    "name", c->arg, c->type);
		free(rel);
		return -1;
	}
	dir = bk_asprintf("%s/%s", o->m.dir, c->type);
	dst = bk_asprintf("%s/%s", o->m.dir, rel);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		bk_warn("could not create folder \"%s\"", dir);
		goto fail;
	}
	/* link(2) then unlink(2): an existing file is never replaced. */
	if (link(c->arg, dst) < 0) {
		bk_warn("could not move \"%s\" to \"%s\"", c->arg, dst);
		goto fail;
	}
	if (unlink(c->arg) < 0) {
		bk_warn("could not remove \"%s\" after linking it", c->arg);
		unlink(dst);
		goto fail;
	}
	if (bk_fsync_dir(dst) < 0 || bk_fsync_dir(c->arg) < 0)
		bk_err(BK_EX_IOERR, "could not sync the folder of \"%s\"", dst);
	free(c->rel);
	c->rel = rel;
	free(c->arg);
	c->arg = dst;
	free(dir);
	return 0;
fail:
	free(dir);
	free(dst);
	free(rel);
	return -1;
}

static int
cmd_adopt(struct opts *o, int argc, char *argv[])
{
	struct found f = { NULL, 0, 0 };
	struct stat st;
	struct cand *c;
	char err[512], *r, *rel, when[40];
	size_t i;
	int status = BK_EX_OK;
	time_t t;

	if (argc == 0)
		bk_usage_error("adopt needs a folder");
	bk_manifest_load(&o->m, load_flags(o) | BK_MF_MISSING_OK);
	for (i = 0; i < (size_t)argc; i++) {
		if (stat(argv[i], &st) < 0)
			bk_err(bk_open_errno_code(errno), "could not open "
			    "folder \"%s\"", argv[i]);
		if (!S_ISDIR(st.st_mode))
			bk_errx(BK_EX_USAGE, "\"%s\" is not a folder", argv[i]);
		/* The folder itself must lie in the tree: "DIR/x" is "x" or
		 * "START/x" from the manifest's folder. */
		r = bk_asprintf("%s/x", argv[i]);
		rel = bk_manifest_relpath(&o->m, r, err, sizeof(err));
		free(r);
		if (rel == NULL)
			bk_errx(BK_EX_DATAERR, "could not adopt \"%s\": %s",
			    argv[i], err);
		rel[strlen(rel) - 1] = '\0';
		if (*rel != '\0')
			rel[strlen(rel) - 1] = '\0';
		bk_walk_tree(&o->m, rel, argv[i], found_file, &f);
		free(rel);
	}
	for (i = 0; i < f.n; i++) {
		c = &f.c[i];
		if (bk_parse_name_date(c->rel, &t) == 0)
			c->created = t;
		c->off = bk_local_offset(c->created);
		c->type = adopt_type(o, c->rel);
	}
	if (f.n > 0)
		qsort(f.c, f.n, sizeof(*f.c), cand_order);
	for (i = 0; i < f.n; i++) {
		c = &f.c[i];
		if (!o->dry_run && inspect_file(o, c, 1) != 0) {
			bk_warnx("not adopted: \"%s\"", c->arg);
			c->skip = 1;
			status = BK_EX_FAIL;
		}
	}
	if (!o->dry_run) {
		bk_manifest_lock(&o->m, BK_LOCK_EX, o->wait, 0);
		bk_manifest_load(&o->m, load_flags(o) | BK_MF_QUIET);
	}
	for (i = 0; i < f.n; i++) {
		c = &f.c[i];
		if (c->skip || bk_manifest_find(&o->m, c->rel) != NULL)
			continue;
		if (!o->dry_run && o->move && adopt_move(o, c) < 0) {
			status = BK_EX_FAIL;
			continue;
		}
		if (!o->dry_run)
			bk_manifest_append(&o->m, make_entry(o, c));
		c->added = 1;
	}
	/* The lines are written together here: "adopted" comes after. */
	bk_manifest_unlock(&o->m);
	for (i = 0; i < f.n && bk_verbosity() >= 0; i++) {
		c = &f.c[i];
		if (!c->added)
			continue;
		bk_format_rfc3339(when, sizeof(when), c->created, c->off);
		printf("%s %s %s %s\n", o->dry_run ? "would adopt" : "adopted",
		    c->rel, c->type, when);
	}
	free_cands(f.c, f.n);
	return status;
}

/* ---- remove ---- */

struct drop {
	char	**rels;
	size_t	  n;
};

static int
keep_unless_named(struct bk_entry *e, void *arg)
{
	struct drop *d = arg;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->rels[i], e->path) == 0)
			return 0;
	return 1;
}

static int
cmd_remove(struct opts *o, int argc, char *argv[])
{
	struct drop d;
	int i, status = BK_EX_OK;

	if (argc == 0)
		bk_usage_error("remove needs a file name");
	bk_manifest_lock(&o->m, BK_LOCK_EX, o->wait, 0);
	bk_manifest_load(&o->m, load_flags(o));
	d.rels = bk_calloc((size_t)argc, sizeof(*d.rels));
	d.n = (size_t)argc;
	for (i = 0; i < argc; i++) {
		d.rels[i] = name_to_rel(o, argv[i]);
		if (bk_manifest_find(&o->m, d.rels[i]) == NULL)
			bk_errx(BK_EX_FAIL, "\"%s\" is not listed in \"%s\"",
			    d.rels[i], o->m.path);
	}
	/* The line goes first: a file without a line is merely unlisted. */
	bk_manifest_rewrite(&o->m, keep_unless_named, &d);
	for (i = 0; i < argc; i++) {
		if (o->delete) {
			if (bk_manifest_unlink_file(&o->m, d.rels[i]) < 0 &&
			    errno != ENOENT) {
				bk_warn("could not remove \"%s\"", d.rels[i]);
				status = errno == EACCES || errno == EPERM ?
				    BK_EX_NOPERM : BK_EX_IOERR;
			} else {
				bk_info("removed \"%s\" and its line",
				    d.rels[i]);
			}
		} else {
			bk_info("removed the line of \"%s\"", d.rels[i]);
		}
		free(d.rels[i]);
	}
	free(d.rels);
	bk_manifest_unlock(&o->m);
	return status;
}

/* ---- report ---- */

struct tally {
	char		*key;		/* type or YYYY-MM */
	uint64_t	 count;
	uint64_t	 size;
	time_t		 oldest, newest;
	long		 oldest_off, newest_off;
	uint64_t	 fails;
};

static struct tally *
tally_get(struct tally **v, size_t *n, const char *key)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].key, key) == 0)
			return &(*v)[i];
	*v = bk_reallocarray(*v, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].key = bk_strdup(key);
	return &(*v)[(*n)++];
}

static void
tally_add(struct tally *t, const struct bk_entry *e)
{
	if (t->count == 0 || e->created_t < t->oldest) {
		t->oldest = e->created_t;
		t->oldest_off = e->created_off;
	}
	if (t->count == 0 || e->created_t > t->newest) {
		t->newest = e->created_t;
		t->newest_off = e->created_off;
	}
	t->count++;
	if (e->size > 0)
		t->size += (uint64_t)e->size;
	if (e->verified == BK_VERIFIED_FAIL)
		t->fails++;
}

static int
tally_order(const void *a, const void *b)
{
	return strcmp(((const struct tally *)a)->key,
	    ((const struct tally *)b)->key);
}

static json_t *
tally_json(const struct tally *t, const char *name)
{
	char o[40], n[40];

	bk_format_rfc3339(o, sizeof(o), t->oldest, t->oldest_off);
	bk_format_rfc3339(n, sizeof(n), t->newest, t->newest_off);
	return json_pack("{s:s, s:I, s:I, s:s, s:s, s:I}", name, t->key,
	    "count", (json_int_t)t->count, "size", (json_int_t)t->size,
	    "oldest", o, "newest", n, "failed", (json_int_t)t->fails);
}

static int
cmd_report(struct opts *o, int argc, char *argv[])
{
	struct tally *types = NULL, *months = NULL, all, *t;
	struct bk_entry *e;
	size_t nt = 0, nm = 0, i;
	char key[40], a[40], b[40], h[32], h2[32];
	uint64_t running = 0;
	json_t *j, *ja;
	char *s;

	(void)argv;
	if (argc > 0)
		bk_usage_error("report takes no file names");
	bk_manifest_load(&o->m, load_flags(o));
	memset(&all, 0, sizeof(all));
	all.key = "all";
	for (i = 0; i < o->m.n; i++) {
		e = &o->m.ents[i];
		if (e->bad)
			continue;
		tally_add(tally_get(&types, &nt, e->type ? e->type : "-"), e);
		bk_format_rfc3339(key, sizeof(key), e->created_t,
		    e->created_off);
		key[7] = '\0';
		tally_add(tally_get(&months, &nm, key), e);
		tally_add(&all, e);
	}
	/* With no good line, both are NULL: qsort must not see them. */
	if (nt > 0)
		qsort(types, nt, sizeof(*types), tally_order);
	if (nm > 0)
		qsort(months, nm, sizeof(*months), tally_order);
	if (o->format == OUT_JSON) {
		j = json_object();
		ja = json_array();
		for (i = 0; i < nt; i++)
			json_array_append_new(ja, tally_json(&types[i], "type"));
		json_object_set_new(j, "types", ja);
		ja = json_array();
		for (i = 0; i < nm; i++) {
			json_t *m = tally_json(&months[i], "month");

			running += months[i].size;
			json_object_set_new(m, "total", json_integer(
			    (json_int_t)running));
			json_array_append_new(ja, m);
		}
		json_object_set_new(j, "months", ja);
		json_object_set_new(j, "count", json_integer(
		    (json_int_t)all.count));
		json_object_set_new(j, "size", json_integer(
		    (json_int_t)all.size));
		json_object_set_new(j, "bad_lines", json_integer(
		    (json_int_t)o->m.nbad));
		s = bk_json_text(j, 2);
		puts(s);
		free(s);
		json_decref(j);
	} else {
		printf("%-14s %6s %10s  %-16s  %-16s  %s\n", "TYPE", "COUNT",
		    "SIZE", "OLDEST", "NEWEST", "FAILED");
		for (i = 0; i <= nt; i++) {
			t = i < nt ? &types[i] : &all;
			if (t->count == 0)
				continue;
			bk_format_size(h, sizeof(h), t->size);
			format_when(a, sizeof(a), t->oldest, t->oldest_off);
			format_when(b, sizeof(b), t->newest, t->newest_off);
			printf("%-14s %6" PRIu64 " %10s  %-16s  %-16s  %"
			    PRIu64 "\n", t->key, t->count, h, a, b, t->fails);
		}
		printf("\n%-14s %6s %10s %10s\n", "MONTH", "COUNT", "ADDED",
		    "TOTAL");
		for (i = 0; i < nm; i++) {
			running += months[i].size;
			bk_format_size(h, sizeof(h), months[i].size);
			bk_format_size(h2, sizeof(h2), running);
			printf("%-14s %6" PRIu64 " %10s %10s\n", months[i].key,
			    months[i].count, h, h2);
		}
		if (o->m.nbad > 0)
			printf("\n%zu line%s of \"%s\" could not be parsed\n",
			    o->m.nbad, o->m.nbad == 1 ? "" : "s", o->m.path);
	}
	for (i = 0; i < nt; i++)
		free(types[i].key);
	for (i = 0; i < nm; i++)
		free(months[i].key);
	free(types);
	free(months);
	return BK_EX_OK;
}

/* ---- options ---- */

enum {
	OPT_VERSION = CHAR_MAX + 1, OPT_NO_WAIT, OPT_STRICT, OPT_ATTRIBUTE,
	OPT_CREATED, OPT_DELETE, OPT_DESCRIPTION, OPT_INCOMPLETE, OPT_MOVE,
	OPT_RECORDS, OPT_SOURCE
};

/*
 * Which options each command takes, by getopt value; the global ones
 * (-m -q -v -w --no-wait --strict) go with every command.
 */
static const struct {
	const char	*cmd;
	int		 opts[10];
} allowed[] = {
	{ "add", { OPT_ATTRIBUTE, OPT_CREATED, OPT_DESCRIPTION,
	    OPT_INCOMPLETE, OPT_RECORDS, OPT_SOURCE, 'T', 'u', 0 } },
	{ "list", { 'T', 'S', 'l', 'F', 0 } },
	{ "info", { 'F', 0 } },
	{ "adopt", { OPT_MOVE, 'n', 'T', OPT_DESCRIPTION, 'u', 0 } },
	{ "remove", { OPT_DELETE, 0 } },
	{ "report", { 'F', 0 } },
};

static const struct option longopts[] = {
	{ "help",		no_argument,		NULL, 'h' },
	{ "manifest",		required_argument,	NULL, 'm' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "wait",		required_argument,	NULL, 'w' },
	{ "no-wait",		no_argument,		NULL, OPT_NO_WAIT },
	{ "strict",		no_argument,		NULL, OPT_STRICT },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ "format",		required_argument,	NULL, 'F' },
	{ "limit",		required_argument,	NULL, 'l' },
	{ "dry-run",		no_argument,		NULL, 'n' },
	{ "since",		required_argument,	NULL, 'S' },
	{ "type",		required_argument,	NULL, 'T' },
	{ "created-by",		required_argument,	NULL, 'u' },
	{ "attribute",		required_argument,	NULL, OPT_ATTRIBUTE },
	{ "created",		required_argument,	NULL, OPT_CREATED },
	{ "delete",		no_argument,		NULL, OPT_DELETE },
	{ "description",	required_argument,	NULL, OPT_DESCRIPTION },
	{ "incomplete",		no_argument,		NULL, OPT_INCOMPLETE },
	{ "move",		no_argument,		NULL, OPT_MOVE },
	{ "records",		required_argument,	NULL, OPT_RECORDS },
	{ "source",		required_argument,	NULL, OPT_SOURCE },
	{ NULL, 0, NULL, 0 }
};

/* How an option was written, for a message: "-T" or "--records". */
static void
option_name(int c, char *buf, size_t n)
{
	size_t i;

	if (c < CHAR_MAX) {
		snprintf(buf, n, "-%c", c);
		return;
	}
	for (i = 0; longopts[i].name != NULL; i++)
		if (longopts[i].val == c)
			break;
	snprintf(buf, n, "--%s", longopts[i].name != NULL ?
	    longopts[i].name : "?");
}

static enum out_format
parse_out_format(const char *s)
{
	if (strcmp(s, "table") == 0)
		return OUT_TABLE;
	if (strcmp(s, "tsv") == 0)
		return OUT_TSV;
	if (strcmp(s, "json") == 0)
		return OUT_JSON;
	if (strcmp(s, "text") == 0)
		return OUT_TEXT;
	bk_usage_error("unknown format \"%s\" (table, tsv or json for "
	    "list; text or json for info and report)", s);
}

/*
 * One pass over the whole line: the global options and the command's may
 * come before or after the command, in any order (getopt_long permutes
 * the operands to the end).  An option is checked against the command
 * once the command is known.  Returns the command; leaves its operands.
 */
static const char *
parse_options(struct opts *o, int *argcp, char ***argvp)
{
	static const char optstring[] = "F:hl:m:nqS:T:u:vw:";
	int seen[CHAR_MAX + 32];
	const int *ok = NULL;
	const char *cmd;
	char *end, name[64];
	size_t i, k;
	int c, argc = *argcp;
	char **argv = *argvp;

	memset(seen, 0, sizeof(seen));
	while ((c = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		if (c >= 0 && (size_t)c < sizeof(seen) / sizeof(seen[0]))
			seen[c] = 1;
		switch (c) {
		case 'h':
			bk_print_usage(usage);
		case 'm':
			o->mpath = optarg;
			break;
		case 'q':
			bk_set_verbosity(-1);
			break;
		case 'v':
			bk_set_verbosity(bk_verbosity() + 1);
			break;
		case 'w':
			o->wait = bk_parse_wait(optarg);
			break;
		case OPT_NO_WAIT:
			o->wait = 0;
			break;
		case OPT_STRICT:
			o->strict = 1;
			break;
		case OPT_VERSION:
			bk_print_version();
		case OPT_ATTRIBUTE:
			if (strchr(optarg, '=') == NULL || *optarg == '=')
				bk_usage_error("--attribute needs KEY=VALUE");
			o->attrs = bk_reallocarray(o->attrs, o->nattrs + 1,
			    sizeof(*o->attrs));
			o->attrs[o->nattrs++] = optarg;
			break;
		case OPT_CREATED: o->created = optarg; break;
		case OPT_DELETE: o->delete = 1; break;
		case OPT_DESCRIPTION: o->description = optarg; break;
		case OPT_INCOMPLETE: o->force = 1; break;
		case 'F': o->format = parse_out_format(optarg); break;
		case 'l':
			errno = 0;
			o->limit = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    o->limit < 0)
				bk_usage_error("bad count \"%s\"", optarg);
			break;
		case OPT_MOVE: o->move = 1; break;
		case 'n': o->dry_run = 1; break;
		case OPT_RECORDS:
			errno = 0;
			o->records = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    o->records < 0)
				bk_usage_error("bad record count \"%s\"",
				    optarg);
			break;
		case 'S': o->since = optarg; break;
		case OPT_SOURCE:
			/* Stripped once, by libpq's parser, and never echoed. */
			free(o->source);
			o->source = bk_strip_secrets(optarg);
			if (strcmp(o->source, BK_CONNINFO_UNPARSABLE) == 0)
				bk_warnx("--source is not a connection string "
				    "libpq can parse: recorded as \"%s\"",
				    BK_CONNINFO_UNPARSABLE);
			break;
		case 'T':
			if (*optarg == '\0')
				bk_usage_error("empty type");
			o->type = optarg;
			break;
		case 'u': o->created_by = optarg; break;
		default:
			bk_bad_option(argv, optstring);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		bk_usage_error("missing command");
	cmd = argv[0];
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(cmd, allowed[i].cmd) == 0)
			ok = allowed[i].opts;
	if (ok == NULL)
		bk_usage_error("unknown command \"%s\"", cmd);
	for (c = 0; (size_t)c < sizeof(seen) / sizeof(seen[0]); c++) {
		if (!seen[c] || strchr("hmqvw", c) != NULL ||
		    c == OPT_NO_WAIT || c == OPT_STRICT)
			continue;
		for (k = 0; ok[k] != 0 && ok[k] != c; k++)
			;
		if (ok[k] == 0) {
			option_name(c, name, sizeof(name));
			bk_usage_error("option %s does not apply to %s", name,
			    cmd);
		}
	}
	if (o->format == OUT_TEXT && strcmp(cmd, "list") == 0)
		bk_usage_error("list's formats are table, tsv and json");
	if ((o->format == OUT_TABLE || o->format == OUT_TSV) &&
	    strcmp(cmd, "list") != 0)
		bk_usage_error("%s's formats are text and json", cmd);
	/* Known fields are set by their own options, not --attribute. */
	for (i = 0; i < o->nattrs; i++) {
		static const char *reserved[] = { "path", "created", "type",
		    "size", "sha256", "layers", "records", "complete",
		    "description", "created_by", "source", "verified", NULL };
		size_t kl = (size_t)(strchr(o->attrs[i], '=') - o->attrs[i]);

		for (k = 0; reserved[k] != NULL; k++)
			if (strlen(reserved[k]) == kl &&
			    strncmp(reserved[k], o->attrs[i], kl) == 0)
				bk_usage_error("\"%.*s\" has its own option",
				    (int)kl, o->attrs[i]);
	}
	*argcp = argc - 1;
	*argvp = argv + 1;
	return cmd;
}

int
main(int argc, char *argv[])
{
	struct opts o;
	const char *cmd;
	int code;

	bk_init(argc, argv);
	memset(&o, 0, sizeof(o));
	o.wait = -1;
	o.records = -1;
	o.limit = -1;
	cmd = parse_options(&o, &argc, &argv);
	bk_manifest_init(&o.m, o.mpath);
	o.m.wait = o.wait;
	if (strcmp(cmd, "add") == 0) {
		if (argc == 0)
			bk_usage_error("add needs a file name");
		code = cmd_add(&o, argc, argv);
	} else if (strcmp(cmd, "list") == 0)
		code = cmd_list(&o, argc, argv);
	else if (strcmp(cmd, "info") == 0)
		code = cmd_info(&o, argc, argv);
	else if (strcmp(cmd, "adopt") == 0)
		code = cmd_adopt(&o, argc, argv);
	else if (strcmp(cmd, "remove") == 0)
		code = cmd_remove(&o, argc, argv);
	else
		code = cmd_report(&o, argc, argv);
	bk_manifest_free(&o.m);
	free(o.attrs);
	free(o.source);
	return bk_finish(code);
}
