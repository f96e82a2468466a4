/*
 * list.c: bk-manifest list.  The good lines, filtered by type and date,
 * newest first: a table on a terminal, else TSV, or the lines as JSON.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "manifest.h"

static int
newest_first(const void *a, const void *b)
{
	const struct bk_entry *x = *(struct bk_entry *const *)a;
	const struct bk_entry *y = *(struct bk_entry *const *)b;

	if (x->created_t != y->created_t)
		return x->created_t < y->created_t ? 1 : -1;
	return x->lineno < y->lineno ? 1 : -1;
}

/* The good entries, filtered and sorted newest first. */
static struct bk_entry **
select_entries(struct opts *o, size_t *np)
{
	struct bk_entry **v, *e;
	time_t since = 0;
	size_t i, n = 0;

	if (o->since != NULL && bk_parse_date(o->since, &since, NULL) < 0)
		bk_usage_error("could not parse date \"%s\"", o->since);
	v = bk_calloc(o->m.n + 1, sizeof(*v));
	for (i = 0; i < o->m.n; i++) {
		e = &o->m.ents[i];
		if (e->bad || (o->type != NULL && (e->type == NULL ||
		    strcmp(e->type, o->type) != 0)) ||
		    (o->since != NULL && e->created_t < since))
			continue;
		v[n++] = e;
	}
	qsort(v, n, sizeof(*v), newest_first);
	if (o->limit >= 0 && (size_t)o->limit < n)
		n = (size_t)o->limit;
	*np = n;
	return v;
}

/* "2025-06-27 14:30" in the offset the entry recorded. */
void
format_when(char *buf, size_t n, time_t t, long off)
{
	char tmp[40];

	bk_format_rfc3339(tmp, sizeof(tmp), t, off);
	tmp[10] = ' ';
	tmp[16] = '\0';
	if (n > 16)
		memcpy(buf, tmp, 17);
}

static const char *
verified_word(const struct bk_entry *e)
{
	switch (e->verified) {
	case BK_VERIFIED_OK: return "ok";
	case BK_VERIFIED_FAIL: return "FAIL";
	default: return "-";
	}
}

static void
list_table(struct bk_entry **v, size_t n)
{
	char (*when)[24], (*size)[24], (*recs)[24];
	size_t i, wt = 4, ws = 4, wr = 7;

	when = bk_calloc(n + 1, sizeof(*when));
	size = bk_calloc(n + 1, sizeof(*size));
	recs = bk_calloc(n + 1, sizeof(*recs));
	for (i = 0; i < n; i++) {
		format_when(when[i], sizeof(when[i]), v[i]->created_t,
		    v[i]->created_off);
		if (v[i]->size >= 0)
			bk_format_size(size[i], sizeof(size[i]),
			    (uint64_t)v[i]->size);
		else
			strcpy(size[i], "-");
		if (v[i]->records >= 0)
			snprintf(recs[i], sizeof(recs[i]), "%" PRId64,
			    v[i]->records);
		else
			strcpy(recs[i], "-");
		if (v[i]->type != NULL && strlen(v[i]->type) > wt)
			wt = strlen(v[i]->type);
		if (strlen(size[i]) > ws)
			ws = strlen(size[i]);
		if (strlen(recs[i]) > wr)
			wr = strlen(recs[i]);
	}
	printf("%-16s  %-*s  %*s  %*s  %-8s  %s\n", "CREATED", (int)wt, "TYPE",
	    (int)ws, "SIZE", (int)wr, "RECORDS", "VERIFIED", "PATH");
	for (i = 0; i < n; i++)
		printf("%-16s  %-*s  %*s  %*s  %-8s  %s\n", when[i], (int)wt,
		    v[i]->type != NULL ? v[i]->type : "-", (int)ws, size[i],
		    (int)wr, recs[i], verified_word(v[i]), v[i]->path);
	free(when);
	free(size);
	free(recs);
}

/* TSV with PostgreSQL's text escapes (common/csvwrite.c), as bk-csv's. */
static void
list_tsv(struct bk_entry **v, size_t n)
{
	struct bk_csv_dialect tsv;
	struct bk_buf b = { NULL, 0, 0 };
	char size[24], recs[24];
	const char *f[7];
	size_t i, k;

	bk_csv_dialect_init(&tsv, '\t', BK_CSV_TSV);
	for (i = 0; i < n; i++) {
		size[0] = recs[0] = '\0';
		if (v[i]->size >= 0)
			snprintf(size, sizeof(size), "%" PRId64, v[i]->size);
		if (v[i]->records >= 0)
			snprintf(recs, sizeof(recs), "%" PRId64,
			    v[i]->records);
		f[0] = v[i]->created;
		f[1] = v[i]->type;
		f[2] = size;
		f[3] = recs;
		f[4] = v[i]->verified == BK_VERIFIED_OK ? "ok" :
		    v[i]->verified == BK_VERIFIED_FAIL ? "fail" : "";
		f[5] = v[i]->sha256;
		f[6] = v[i]->path;
		b.len = 0;
		for (k = 0; k < 7; k++) {
			if (k > 0)
				bk_buf_add(&b, "\t", 1);
			bk_csv_field(&b, &tsv, f[k] != NULL ? f[k] : "",
			    f[k] != NULL ? strlen(f[k]) : 0, 0);
		}
		bk_buf_add(&b, "\n", 1);
		fwrite(b.p, 1, b.len, stdout);
	}
	free(b.p);
}

int
cmd_list(struct opts *o, int argc, char *argv[])
{
	struct bk_entry **v;
	size_t n, i;
	enum out_format f = o->format;

	(void)argv;
	if (argc > 0)
		bk_usage_error("list takes no file names");
	bk_manifest_load(&o->m, load_flags(o));
	v = select_entries(o, &n);
	if (f == OUT_AUTO)
		f = isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_TSV;
	if (f == OUT_TABLE)
		list_table(v, n);
	else if (f == OUT_TSV)
		list_tsv(v, n);
	else
		for (i = 0; i < n; i++) {
			char *line = bk_entry_line(v[i]);

			puts(line);
			free(line);
		}
	free(v);
	return BK_EX_OK;
}
