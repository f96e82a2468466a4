/*
 * fresh.c: --fresh-within.  The types seen in the run and the newest
 * backup of each that verified OK (which the metrics report too), and a
 * FAIL line for a type whose newest good backup is too old, or missing.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "verify.h"

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
size_t
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
		if (v->res[i].path == NULL || v->res[i].url != NULL)
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

/* A local backup's result of this type (a remote copy's is not one). */
int
result_is_type(const struct result *r, const char *type)
{
	return r->path != NULL && r->url == NULL &&
	    strcmp(r->type != NULL ? r->type : "none", type) == 0;
}

/* The newest backup of the type that verified OK in this run, or NULL. */
const struct result *
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

void
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
