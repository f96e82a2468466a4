/*
 * space.c: bk-manifest space.  Will the next backup fit?  The tree's
 * file system must have FACTOR times the largest of the last few backups
 * of the type free (and at least --min), so that a job fails before it
 * fills the disk rather than in the middle of a dump.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "manifest.h"

/* How many of the newest backups of the type the largest is taken from. */
#define SPACE_LAST	3

/*
 * The largest size of the SPACE_LAST newest lines of the type (any type
 * without one), the good lines with a size; 0 with *n 0 when none.
 */
static uint64_t
largest_recent(struct bk_manifest *m, const char *type, size_t *n)
{
	const struct bk_entry *last[SPACE_LAST], *e;
	uint64_t big = 0;
	size_t i, j, k;

	*n = 0;
	for (i = 0; i < m->n; i++) {
		e = &m->ents[i];
		if (e->bad || e->size < 0 || (type != NULL &&
		    (e->type == NULL || strcmp(e->type, type) != 0)))
			continue;
		/* Keep last[] sorted newest first; a tie goes to the later line. */
		for (j = 0; j < *n && last[j]->created_t > e->created_t; j++)
			;
		if (j == SPACE_LAST)
			continue;
		if (*n < SPACE_LAST)
			(*n)++;
		for (k = *n - 1; k > j; k--)
			last[k] = last[k - 1];
		last[j] = e;
	}
	for (i = 0; i < *n; i++)
		if ((uint64_t)last[i]->size > big)
			big = (uint64_t)last[i]->size;
	return big;
}

int
cmd_space(struct opts *o, int argc, char *argv[])
{
	uint64_t avail, fsize, big, need;
	size_t n;
	char why[160], hbig[32], hneed[32], havail[32];

	(void)argv;
	if (argc > 0)
		bk_usage_error("space takes no file names");
	bk_manifest_load(&o->m, load_flags(o) | BK_MF_MISSING_OK);
	big = largest_recent(&o->m, o->type, &n);
	bk_format_size(hbig, sizeof(hbig), big);
	if (n == 0 || o->factor == 0) {
		need = 0;
		snprintf(why, sizeof(why), "no earlier %s%sbackup",
		    o->type != NULL ? o->type : "", o->type != NULL ? " " : "");
	} else {
		need = big > UINT64_MAX / o->factor ? UINT64_MAX :
		    big * o->factor;
		snprintf(why, sizeof(why), "%" PRIu64 " x %s, the largest of "
		    "the last %zu %s%sbackup%s", o->factor, hbig, n,
		    o->type != NULL ? o->type : "", o->type != NULL ? " " : "",
		    n > 1 ? "s" : "");
	}
	if (o->min > need) {
		need = o->min;
		snprintf(why, sizeof(why), "--min");
	}
	if (bk_fs_space(o->m.dir, &avail, &fsize) < 0)
		bk_err(BK_EX_IOERR, "could not read the free space of \"%s\"",
		    o->m.dir);
	bk_format_size(hneed, sizeof(hneed), need);
	bk_format_size(havail, sizeof(havail), avail);
	bk_info("%" PRIu64 " bytes needed, %" PRIu64 " free of %" PRIu64,
	    need, avail, fsize);
	if (avail < need)
		bk_errx(BK_EX_FAIL, "not enough space in \"%s\": %s needed "
		    "(%s), %s free", o->m.dir, hneed, why, havail);
	if (bk_verbosity() >= 0)
		printf("space in \"%s\": %s needed (%s), %s free\n", o->m.dir,
		    hneed, why, havail);
	return BK_EX_OK;
}
