/*
 * remote.c: --dir s3://bucket/folder.  The objects of one folder of a bucket, listed by
 * "bk-s3 ls --json" (the bk-s3 installed beside bk-rotate, which reads
 * the endpoint and the credentials from the environment: nothing secret
 * goes through argv), are the backups when their names are those of
 * backups, each with the time its name carries, else the store's; they
 * are decided as the entries of a --dir folder are, and removed with
 * their checksum objects by "bk-s3 rm".  An object under lock (retention
 * until a date still to come, or a legal hold) is never removed: a
 * backup the policy drops is held, and shown as kept with the reason.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "rotate.h"

void
check_remote(struct rotate *r)
{
	const char *u = r->remote, *b;
	size_t n;

	if (strncmp(u, "s3://", 5) != 0 || (b = u + 5)[0] == '/' ||
	    b[0] == '\0')
		bk_errx(BK_EX_USAGE, "bad --dir \"%s\" (s3://bucket/folder)",
		    u);
	/* A folder, as --dir names one: s3://b/daily is s3://b/daily/. */
	n = strlen(u);
	r->folder = bk_asprintf("%s%s", u, strchr(b, '/') == NULL ||
	    u[n - 1] != '/' ? "/" : "");
}

/* Where keys begin in an s3:// name: after "s3://bucket/". */
static size_t
key_offset(const struct rotate *r)
{
	return (size_t)(strchr(r->folder + 5, '/') + 1 - r->folder);
}

/*
 * The exit code of a bk-s3 that failed: its own (it said why on standard
 * error), or, when it could not run (127, said) or a signal ended it, 69
 * or 70 with a line saying so.
 */
static int
s3_failed(int code, const char *what, const char *name)
{
	if (code > 128) {
		bk_warnx("could not %s \"%s\": bk-s3 was ended by signal %d",
		    what, name, code - 128);
		return BK_EX_SOFTWARE;
	}
	return code == 127 ? BK_EX_UNAVAILABLE : code;
}

/* Runs bk-s3 COMMAND [options] NAME, its output on c->out. */
static void
run_s3(struct bk_child *c, const char *command, const char *opt,
    const char *name)
{
	char *argv[6];
	int i = 0;

	argv[i++] = bk_tool_path("bk-s3");
	if (bk_verbosity() < 0)
		argv[i++] = "-q";
	else if (bk_verbosity() > 0)
		argv[i++] = "-v";
	argv[i++] = (char *)command;
	if (opt != NULL)
		argv[i++] = (char *)opt;
	argv[i++] = (char *)name;
	argv[i] = NULL;
	bk_spawn(c, argv);
	free(argv[0]);
}

static int
cmp_objects(const void *a, const void *b)
{
	return strcmp(((const struct object *)a)->key,
	    ((const struct object *)b)->key);
}

static struct object *
find_object(const struct rotate *r, const char *key)
{
	struct object o;

	o.key = (char *)key;
	return r->nobjs == 0 ? NULL : bsearch(&o, r->objs, r->nobjs,
	    sizeof(*r->objs), cmp_objects);
}

const char *
remote_lock(const struct rotate *r, const char *key)
{
	struct object *o = find_object(r, key);

	return o != NULL ? o->lock : NULL;
}

/*
 * Why the object described by j may not be removed now, or NULL: a
 * legal hold, or a retention date still to come (by this machine's
 * clock, not --now: the store's clock decides).
 */
static char *
lock_of(json_t *j)
{
	const char *until = json_string_value(json_object_get(j,
	    "locked_until"));
	int hold = json_is_true(json_object_get(j, "legal_hold"));
	char *why = NULL;
	time_t t;
	long off;

	if (until != NULL && bk_parse_date(until, &t, &off) == 0 &&
	    t > time(NULL))
		why = bk_asprintf("locked until %s", until);
	if (hold) {
		char *both = bk_asprintf("%s%sunder legal hold",
		    why != NULL ? why : "", why != NULL ? ", " : "");
		free(why);
		why = both;
	}
	return why;
}

/* Reads the JSON Lines of bk-s3 ls into r->objs, sorted by key. */
static void
read_listing(struct rotate *r, FILE *fp)
{
	json_error_t err;
	json_t *j;
	const char *key, *lm;
	char *line = NULL;
	size_t cap = 0, ocap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, fp)) != -1) {
		j = json_loads(line, JSON_REJECT_DUPLICATES, &err);
		key = json_string_value(json_object_get(j, "key"));
		lm = json_string_value(json_object_get(j, "last_modified"));
		if (j == NULL || key == NULL || lm == NULL)
			bk_errx(BK_EX_SOFTWARE, "could not read the listing of "
			    "\"%s\": a line that is no object of bk-s3 ls "
			    "--json", r->folder);
		if (r->nobjs == ocap) {
			ocap = ocap == 0 ? 64 : ocap * 2;
			r->objs = bk_reallocarray(r->objs, ocap,
			    sizeof(*r->objs));
		}
		r->objs[r->nobjs].key = bk_strdup(key);
		r->objs[r->nobjs].modified = bk_strdup(lm);
		r->objs[r->nobjs].lock = lock_of(j);
		r->nobjs++;
		json_decref(j);
	}
	if (ferror(fp))
		bk_err(BK_EX_IOERR, "could not read the listing of \"%s\"",
		    r->folder);
	free(line);
	if (r->nobjs > 0)
		qsort(r->objs, r->nobjs, sizeof(*r->objs), cmp_objects);
}

/*
 * Adds the objects that are backups to r->items: those directly in the
 * folder (not in one of its folders: a key with another '/' is skipped,
 * one warning per folder) whose names are backups' names by the rule of
 * --dir (bk_backup_name: the bytes are not read), each with the time its
 * name carries, else the store's LastModified.
 */
static void
add_backups(struct rotate *r)
{
	struct object *o;
	const char *base, *slash, *prev = NULL;
	char *name;
	size_t i, koff = key_offset(r), plen = strlen(r->folder) - koff;
	size_t prevlen = 0;
	time_t t, mt;
	long off;

	for (i = 0; i < r->nobjs; i++) {
		o = &r->objs[i];
		if (strncmp(o->key, r->folder + koff, plen) != 0)
			continue;
		base = o->key + plen;
		if ((slash = strchr(base, '/')) != NULL) {
			/* Sorted: the keys of a folder come together. */
			if (prev == NULL || prevlen != (size_t)(slash - base) ||
			    strncmp(prev, base, prevlen) != 0)
				bk_warnx("skipping folder \"%s%.*s/\": the "
				    "objects of a folder are not backups here",
				    r->folder, (int)(slash - base), base);
			prev = base;
			prevlen = (size_t)(slash - base);
			continue;
		}
		if (*base == '\0')
			continue;
		if (!bk_backup_name(base)) {
			bk_info("skipping \"%s%s\": %s", r->folder, base,
			    base[0] == '.' ? "hidden" :
			    "does not look like a backup");
			continue;
		}
		if (bk_parse_date(o->modified, &mt, &off) < 0) {
			if (bk_parse_name_date(base, &t) < 0) {
				bk_warnx("skipping \"%s%s\": no date in its "
				    "name nor from the store", r->folder, base);
				continue;
			}
			mt = 0;
		}
		name_time(base, mt, &t, &off);
		name = bk_asprintf("%s%s", r->folder, base);
		add_item(r, name, t, off, NULL, BK_GOOD_NONE, 0)->obj = o;
		free(name);
	}
}

void
load_remote(struct rotate *r)
{
	struct bk_child c;
	FILE *fp;
	int code;

	run_s3(&c, "ls", "--json", r->folder);
	if ((fp = fdopen(c.out, "r")) == NULL)
		bk_err(BK_EX_SOFTWARE, "could not read from bk-s3");
	c.out = -1;
	read_listing(r, fp);
	fclose(fp);
	if ((code = bk_spawn_wait(&c)) != 0)
		exit(s3_failed(code, "list", r->folder));
	add_backups(r);
}

void
plan_remote(struct rotate *r)
{
	struct item *it;
	struct object *o;
	const char *base;
	char *side;
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		if (r->b[i].keep)
			continue;
		if (it->obj->lock != NULL) {
			r->b[i].keep = 1;
			it->held = 1;
			continue;
		}
		for (j = 0; sidecar_suffixes[j] != NULL; j++) {
			side = bk_asprintf("%s%s", it->obj->key,
			    sidecar_suffixes[j]);
			/* Not a backup itself (as with --dir). */
			base = strrchr(side, '/');
			if ((o = find_object(r, side)) != NULL &&
			    !bk_backup_name(base != NULL ? base + 1 : side)) {
				if (o->lock != NULL)
					it->sideheld |= 1u << j;
				else
					it->sidecars |= 1u << j;
			}
			free(side);
		}
	}
}

/* Removes one object; returns 0, or the failure's exit code. */
static int
remove_object(const char *name)
{
	struct bk_child c;
	int code;

	run_s3(&c, "rm", NULL, name);
	code = bk_spawn_wait(&c);
	/* Gone since the listing: what --delete wanted. */
	if (code == 0 || code == BK_EX_NOINPUT)
		return 0;
	return s3_failed(code, "remove", name);
}

void
delete_remote(struct rotate *r)
{
	struct item *it;
	char *side;
	size_t i, j;
	int code;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		if (r->b[i].keep)
			continue;
		if ((code = remove_object(it->path)) != 0) {
			if (r->status == 0)
				r->status = code;
			continue;
		}
		it->removed = 1;
		for (j = 0; sidecar_suffixes[j] != NULL; j++) {
			if (!(it->sidecars & 1u << j))
				continue;
			side = bk_asprintf("%s%s", it->path,
			    sidecar_suffixes[j]);
			if ((code = remove_object(side)) != 0 &&
			    r->status == 0)
				r->status = code;
			free(side);
		}
	}
}
