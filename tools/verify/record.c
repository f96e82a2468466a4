/*
 * record.c: --record, each verdict written into its manifest line under
 * the exclusive lock, in one atomic rewrite.
 */

#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "verify.h"

/* By path, then by URL, the file's own result (no URL) first. */
static int
cmp_result(const void *a, const void *b)
{
	const struct result *x = *(struct result *const *)a;
	const struct result *y = *(struct result *const *)b;
	int c;

	if ((c = strcmp(x->path, y->path)) != 0)
		return c;
	if (x->url == NULL || y->url == NULL)
		return (x->url != NULL) - (y->url != NULL);
	return strcmp(x->url, y->url);
}

/* The result of path (and of its copy at url, when not NULL), or NULL. */
static struct result *
find_result(struct verify *v, const char *path, const char *url)
{
	struct result key, *kp = &key, **r;

	key.path = path;
	key.url = url;
	r = bsearch(&kp, v->byname, v->nbyname, sizeof(*v->byname),
	    cmp_result);
	/* A check that could not run says nothing of the backup. */
	return r != NULL && !(*r)->noverdict ? *r : NULL;
}

static int
record_keep(struct bk_entry *e, void *arg)
{
	struct verify *v = arg;
	struct result *r;
	size_t i;

	if ((r = find_result(v, e->path, NULL)) != NULL)
		bk_entry_set_verified(e, v->now, r->ok ? BK_VERIFIED_OK :
		    BK_VERIFIED_FAIL, r->ok ? NULL : r->reason);
	/* A copy's check goes into its record, not into the file's. */
	for (i = 0; i < e->nremote; i++)
		if ((r = find_result(v, e->path, e->remote[i].url)) != NULL)
			bk_entry_set_remote_verified(e, e->remote[i].url,
			    v->now, r->ok ? BK_VERIFIED_OK : BK_VERIFIED_FAIL,
			    r->ok ? NULL : r->reason);
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
			if (v->res[i].url != NULL)
				v->res[i].url = bk_strdup(v->res[i].url);
			v->byname[v->nbyname++] = &v->res[i];
		}
		v->res[i].type = NULL;
	}
	if (v->nbyname > 0)
		qsort(v->byname, v->nbyname, sizeof(*v->byname), cmp_result);
	bk_manifest_lock(&v->m, BK_LOCK_EX, v->o->wait, 0);
	bk_manifest_rewrite(&v->m, record_keep, v);
	bk_manifest_unlock(&v->m);
	for (i = 0; i < v->nres; i++) {
		free((char *)v->res[i].path);
		free((char *)v->res[i].url);
	}
	free(v->byname);
}
