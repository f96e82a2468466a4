/*
 * report_out.c: bk-manifest report as text (aligned columns, for a mail)
 * and as JSON (its schema is in bk-manifest(1)).
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "manifest.h"

/* ---- text ---- */

/* "2025-06-27 02:00 ok" for a mark, "never" without one. */
static void
mark_text(char *buf, size_t n, const struct report_mark *m, int run)
{
	char when[40];

	if (!m->set) {
		snprintf(buf, n, "never");
		return;
	}
	format_when(when, sizeof(when), m->t, m->off);
	if (!run)
		snprintf(buf, n, "%s %s", when, m->what);
	else if (m->status == 0)
		snprintf(buf, n, "%s ok", when);
	else if (m->status == 75)
		snprintf(buf, n, "%s skipped", when);
	else
		snprintf(buf, n, "%s failed (%d)", when, m->status);
}

/* User data in a column: control characters would break the lines. */
static void
text_field(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* The first column: a type, padded to w. */
static void
text_type(const char *type, int w)
{
	text_field(type);
	printf("%*s ", w > (int)strlen(type) ? w - (int)strlen(type) : 0, "");
}

static void
text_types(const struct report *r, int w)
{
	const struct report_tally *t;
	char h[32], a[40], b[40];
	size_t i;

	printf("%-*s %6s %10s  %-16s  %-16s  %s\n", w, "TYPE", "COUNT",
	    "SIZE", "OLDEST", "NEWEST", "FAILED");
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->month[0] != '\0' || t->count == 0)
			continue;
		bk_format_size(h, sizeof(h), t->size);
		format_when(a, sizeof(a), t->oldest, t->oldest_off);
		format_when(b, sizeof(b), t->newest, t->newest_off);
		text_type(t->type != NULL ? t->type : "all", w);
		printf("%6" PRIu64 " %10s  %-16s  %-16s  %" PRIu64 "\n",
		    t->count, h, a, b, t->vfail);
	}
}

static void
text_newest(const struct report *r, int w)
{
	const struct report_tally *t;
	size_t i;

	printf("\n%-*s %s\n", w, "TYPE", "NEWEST BACKUP");
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->month[0] != '\0' || t->type == NULL || t->last == NULL)
			continue;
		text_type(t->type, w);
		text_field(t->last->path);
		if (t->last->description != NULL) {
			printf(" (");
			text_field(t->last->description);
			printf(")");
		}
		printf("\n");
	}
}

static void
text_checks(const struct report *r, int w)
{
	const struct report_tally *t;
	char v[64], d[64], j[64];
	size_t i;

	printf("\n%-*s %-23s  %-23s  %s\n", w, "TYPE", "LAST VERIFIED",
	    "LAST DRILL", "LAST RUN");
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->month[0] != '\0' || t->type == NULL || !report_shown(t))
			continue;
		mark_text(v, sizeof(v), &t->verified, 0);
		mark_text(d, sizeof(d), &t->drill, 0);
		mark_text(j, sizeof(j), &t->run, 1);
		text_type(t->type, w);
		printf("%-23s  %-23s  %s\n", v, d, j);
	}
}

static void
text_months_by_type(const struct report *r, int w)
{
	const struct report_tally *t;
	char h[32], g[32], s0[32], s1[32], s2[32];
	size_t i;

	printf("\n%-*s %-7s %6s %10s %7s %6s %6s %7s %7s %7s %7s\n", w,
	    "TYPE", "MONTH", "COUNT", "SIZE", "GROWTH", "RUNS", "FAILED",
	    "SKIPPED", "MIN", "MEDIAN", "MAX");
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->month[0] == '\0' || t->type == NULL || !report_shown(t))
			continue;
		bk_format_size(h, sizeof(h), t->size);
		report_growth(g, sizeof(g), t);
		report_seconds(s0, sizeof(s0), t->nsecs ? (double)t->smin : -1);
		report_seconds(s1, sizeof(s1), t->nsecs ? t->smedian : -1);
		report_seconds(s2, sizeof(s2), t->nsecs ? (double)t->smax : -1);
		text_type(t->type, w);
		printf("%-7s %6" PRIu64 " %10s %7s %6" PRIu64 " %6" PRIu64
		    " %7" PRIu64 " %7s %7s %7s\n", t->month, t->count, h, g,
		    t->runs, t->failed, t->skipped, s0, s1, s2);
	}
}

static void
text_months(const struct report *r, int w)
{
	const struct report_tally *t;
	char h[32], h2[32];
	size_t i;

	printf("\n%-*s %6s %10s %10s\n", w, "MONTH", "COUNT", "ADDED",
	    "TOTAL");
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->type != NULL || t->month[0] == '\0' || t->count == 0)
			continue;
		bk_format_size(h, sizeof(h), t->size);
		bk_format_size(h2, sizeof(h2), t->running);
		printf("%-*s %6" PRIu64 " %10s %10s\n", w, t->month, t->count,
		    h, h2);
	}
}

static void
text_bad(size_t n, const char *path)
{
	if (n > 0)
		printf("\n%zu line%s of \"%s\" could not be parsed\n", n,
		    n == 1 ? "" : "s", path);
}

void
report_text(const struct report *r)
{
	size_t i, w = 14;

	for (i = 0; i < r->n; i++)
		if (r->v[i].type != NULL && strlen(r->v[i].type) > w)
			w = strlen(r->v[i].type);
	if (w > 64)
		w = 64;
	text_types(r, (int)w);
	text_newest(r, (int)w);
	text_checks(r, (int)w);
	text_months_by_type(r, (int)w);
	text_months(r, (int)w);
	text_bad(r->bad, r->manifest);
	if (r->journal != NULL)
		text_bad(r->jbad, r->journal);
}

/* ---- JSON ---- */

static json_t *
json_when(time_t t, long off)
{
	char buf[40];

	bk_format_rfc3339(buf, sizeof(buf), t, off);
	return json_string(buf);
}

/* A mark as {"time", "result"} (or, for a run, "job" and "status"). */
static json_t *
json_mark(const struct report_mark *m, int run)
{
	json_t *j;

	if (!m->set)
		return json_null();
	j = json_object();
	json_object_set_new(j, "time", json_when(m->t, m->off));
	if (run) {
		json_object_set_new(j, "job", json_string(m->what));
		json_object_set_new(j, "status", json_integer(m->status));
	} else
		json_object_set_new(j, "result", json_string(m->what));
	return j;
}

/* A median is a whole number of seconds, or half of one. */
static json_t *
json_seconds(const struct report_tally *t)
{
	if (t->nsecs == 0)
		return json_null();
	return json_pack("{s:I, s:o, s:I}", "min", (json_int_t)t->smin,
	    "median", t->smedian == (double)(json_int_t)t->smedian ?
	    json_integer((json_int_t)t->smedian) : json_real(t->smedian),
	    "max", (json_int_t)t->smax);
}

/* What a tally of backups and runs holds, in every object that has one. */
static json_t *
json_tally(const struct report_tally *t, const char *name, const char *key)
{
	json_t *j;

	j = json_object();
	if (name != NULL)
		json_object_set_new(j, name, json_string(key));
	json_object_set_new(j, "count", json_integer((json_int_t)t->count));
	json_object_set_new(j, "size", json_integer((json_int_t)t->size));
	json_object_set_new(j, "oldest", t->count ?
	    json_when(t->oldest, t->oldest_off) : json_null());
	json_object_set_new(j, "newest", t->count ?
	    json_when(t->newest, t->newest_off) : json_null());
	json_object_set_new(j, "failed", json_integer((json_int_t)t->vfail));
	json_object_set_new(j, "runs", json_integer((json_int_t)t->runs));
	json_object_set_new(j, "failed_runs",
	    json_integer((json_int_t)t->failed));
	json_object_set_new(j, "skipped_runs",
	    json_integer((json_int_t)t->skipped));
	json_object_set_new(j, "seconds", json_seconds(t));
	return j;
}

void
report_json(const struct report *r)
{
	static const struct report_tally none;
	const struct report_tally *t;
	json_t *j, *types, *months, *cur = NULL, *x, *p;
	char *s;
	size_t i;

	j = json_object();
	json_object_set_new(j, "manifest", json_string(r->manifest));
	json_object_set_new(j, "journal", r->journal != NULL ?
	    json_string(r->journal) : json_null());
	json_object_set_new(j, "generated", json_when(r->now, 0));
	p = json_object();
	json_object_set_new(p, "type", r->o->type ?
	    json_string(r->o->type) : json_null());
	json_object_set_new(p, "since", r->o->since ?
	    json_string(r->o->since) : json_null());
	json_object_set_new(p, "month", r->o->month ?
	    json_string(r->o->month) : json_null());
	json_object_set_new(j, "period", p);
	types = json_array();
	months = json_array();
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (!report_shown(t))
			continue;
		if (t->type != NULL && t->month[0] == '\0') {
			cur = json_tally(t, "type", t->type);
			json_object_set_new(cur, "newest_backup", t->last ?
			    json_pack("{s:s, s:o}", "path", t->last->path,
			    "description", t->last->description ?
			    json_string(t->last->description) :
			    json_null()) : json_null());
			json_object_set_new(cur, "verified",
			    json_mark(&t->verified, 0));
			json_object_set_new(cur, "drill",
			    json_mark(&t->drill, 0));
			json_object_set_new(cur, "last_run",
			    json_mark(&t->run, 1));
			json_object_set_new(cur, "months", json_array());
			json_array_append_new(types, cur);
		} else if (t->type != NULL && cur != NULL) {
			x = json_tally(t, "month", t->month);
			json_object_set_new(x, "mean_size", t->whole_count ?
			    json_integer(t->mean) : json_null());
			json_object_set_new(x, "growth", t->has_growth ?
			    json_integer(t->growth) : json_null());
			json_array_append_new(json_object_get(cur, "months"), x);
		} else if (t->type == NULL && t->month[0] != '\0') {
			x = json_tally(t, "month", t->month);
			json_object_set_new(x, "total",
			    json_integer((json_int_t)t->running));
			json_array_append_new(months, x);
		}
	}
	json_object_set_new(j, "types", types);
	json_object_set_new(j, "months", months);
	if ((t = report_all(r)) == NULL)
		t = &none;
	json_object_set_new(j, "all", json_tally(t, NULL, NULL));
	json_object_set_new(j, "count", json_integer((json_int_t)t->count));
	json_object_set_new(j, "size", json_integer((json_int_t)t->size));
	json_object_set_new(j, "bad_lines", json_integer((json_int_t)r->bad));
	json_object_set_new(j, "bad_journal_lines",
	    json_integer((json_int_t)r->jbad));
	s = bk_json_text(j, 2);
	puts(s);
	free(s);
	json_decref(j);
}
