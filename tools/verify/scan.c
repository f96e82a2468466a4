/*
 * scan.c: the files of the tree that no manifest line names, found by
 * bk_walk_tree's walk (the one bk-manifest adopt makes).
 */

#include <stdio.h>

#include "catalog/catalog.h"
#include "verify.h"

/*
 * One file of bk_walk_tree's walk (the one bk-manifest adopt makes).  One
 * that looks like a backup but that no manifest line names is a FAIL.  A
 * temporary file of bk's over an hour old was left by a run that was
 * killed: said on stderr with its age (to the minute) and counted in the metrics, without
 * failing the run, since it is no backup.
 */
void
scan_file(const struct bk_walk_file *f, void *arg)
{
	struct verify *v = arg;
	char age[32];

	if (f->kind == BK_WALK_UNLISTED) {
		print_fail(v, "%s: not in the manifest (incomplete backup)",
		    f->rel);
		v->unlisted++;
	} else if (f->kind == BK_WALK_STALE) {
		/* To the minute: "3h", not "3h1s" once a second has gone. */
		bk_format_duration(age, sizeof(age), f->age / 60 * 60);
		bk_warnx("\"%s\": a temporary file of a bk run that was "
		    "killed, %s old (find removes old ones: see bk-verify(1))",
		    f->rel, age);
		v->stale++;
	}
}
