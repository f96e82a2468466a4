/*
 * adopt.c: bk-manifest adopt.  The files of a tree that look like backups
 * but have no line (bk_walk_tree's walk, as bk-verify's scan) get one,
 * typed by --type or by the nearest folder of a known type name, and
 * with --move are moved into TYPE/ first.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "manifest.h"

/* Folder names that name a backup type (seeds 001, 002, 003). */
static const char *known_types[] = { "daily", "weekly", "monthly",
    "yearly", "hourly", "manual", "pre-migration", "pre-restore", NULL };

static int
is_known_type(const char *s)
{
	size_t i;

	for (i = 0; known_types[i] != NULL; i++)
		if (strcmp(s, known_types[i]) == 0)
			return 1;
	return 0;
}

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

int
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
