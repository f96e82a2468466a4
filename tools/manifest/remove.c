/*
 * remove.c: bk-manifest remove.  The lines go first, in one atomic
 * rewrite (a file without a line is merely unlisted), then with --delete
 * the files.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "manifest.h"

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

int
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
