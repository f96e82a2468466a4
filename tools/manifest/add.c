/*
 * add.c: bk-manifest add.  Every file is inspected first, unlocked (the
 * verdict of common/inspect.c), then their lines are appended together
 * under the lock: the commit point of a backup.  adopt uses the same
 * inspection and the same line.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "manifest.h"

/*
 * Inspects one file for add or adopt.  Returns 0, or an exit code after
 * printing why (as an error, or a warning when soft is set).
 */
int
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
struct bk_entry *
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

void
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

int
cmd_add(struct opts *o, int argc, char *argv[])
{
	struct cand *c;
	struct bk_entry *old;
	time_t now = time(NULL), t;
	long off = bk_local_offset(now);
	int i, j;

	if (argc == 0)
		bk_usage_error("add needs a file name");
	c = bk_calloc((size_t)argc, sizeof(*c));
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
