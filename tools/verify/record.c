/*
 * record.c: --record, each verdict written into its manifest line under
 * the exclusive lock, in one atomic rewrite.
 */

#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "verify.h"

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
void
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
