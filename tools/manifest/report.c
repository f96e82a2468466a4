/*
 * report.c: bk-manifest report.  Counts, sizes, oldest and newest by type
 * and by month (with the running total), as text or JSON.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "manifest.h"

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

int
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
