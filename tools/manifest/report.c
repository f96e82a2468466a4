/*
 * report.c: bk-manifest report.  Gathers, per type and per month, the
 * backups of the manifest (count, size, the growth of a backup's mean
 * size, the last verification and the last restore drill) and the runs
 * of the job journal (how many, how many failed or were skipped, how
 * long the successful ones took), over the period asked for; then hands
 * them to report_out.c (text, JSON) or report_html.c (HTML).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "manifest.h"

#define STATUS_SKIPPED	75		/* the run found its lock held */

/* ---- tallies ---- */

static struct report_tally *
tally_get(struct report *r, const char *type, const char *month)
{
	struct report_tally *t;
	size_t i;

	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (strcmp(t->month, month) == 0 && (type == NULL ?
		    t->type == NULL : t->type != NULL &&
		    strcmp(t->type, type) == 0))
			return t;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = bk_reallocarray(r->v, r->cap, sizeof(*r->v));
	}
	t = &r->v[r->n++];
	memset(t, 0, sizeof(*t));
	t->type = type != NULL ? bk_strdup(type) : NULL;
	snprintf(t->month, sizeof(t->month), "%s", month);
	return t;
}

/* Keeps the newest mark; of two at one instant, the one read last. */
static void
mark_update(struct report_mark *m, time_t t, long off, const char *what,
    int status)
{
	if (m->set && t < m->t)
		return;
	free(m->what);
	m->set = 1;
	m->t = t;
	m->off = off;
	m->what = bk_strdup(what);
	m->status = status;
}

/* "YYYY-MM" of an instant, in the offset it was recorded in. */
static void
month_of(char *key, time_t t, long off)
{
	char buf[40];

	bk_format_rfc3339(buf, sizeof(buf), t, off);
	memcpy(key, buf, 7);
	key[7] = '\0';
}

/* Whether an instant and its month lie in the period of -S and --month. */
static int
in_period(const struct opts *o, time_t since, time_t t, const char *month)
{
	return (o->since == NULL || t >= since) &&
	    (o->month == NULL || strcmp(o->month, month) == 0);
}

/* Sorted, the tallies of all types come last: look from the end. */
const struct report_tally *
report_all(const struct report *r)
{
	size_t i;

	for (i = r->n; i > 0; i--)
		if (r->v[i - 1].type == NULL && r->v[i - 1].month[0] == '\0')
			return &r->v[i - 1];
	return NULL;
}

int
report_shown(const struct report_tally *t)
{
	return t->count > 0 || t->runs > 0;
}

/* ---- the manifest ---- */

/* A backup's last restore drill, when its line records one. */
struct drill {
	int		 set;
	time_t		 t;
	long		 off;
	char		 result[32];
};

/*
 * The restore drill recorded on an entry's line (bk-manifest(5): "drill"),
 * as the catalog read it, when there is one with a time.
 */
static void
entry_drill(struct bk_entry *e, struct drill *d)
{
	d->set = e->drill != BK_VERIFIED_NONE && e->drill_time != NULL &&
	    bk_parse_date(e->drill_time, &d->t, &d->off) == 0;
	if (d->set)
		snprintf(d->result, sizeof(d->result), "%s",
		    e->drill == BK_VERIFIED_OK ? "ok" : "failed");
}

static void
tally_entry(struct report_tally *t, struct bk_entry *e,
    const struct drill *d)
{
	time_t when;
	long off;

	if (t->count == 0 || e->created_t < t->oldest) {
		t->oldest = e->created_t;
		t->oldest_off = e->created_off;
	}
	if (t->count == 0 || e->created_t >= t->newest) {
		t->newest = e->created_t;
		t->newest_off = e->created_off;
		t->last = e;
	}
	t->count++;
	if (e->size > 0)
		t->size += (uint64_t)e->size;
	if (e->verified == BK_VERIFIED_FAIL)
		t->vfail++;
	if (e->verified != BK_VERIFIED_NONE && e->verified_time != NULL &&
	    bk_parse_date(e->verified_time, &when, &off) == 0)
		mark_update(&t->verified, when, off, e->verified ==
		    BK_VERIFIED_OK ? "ok" : "fail", 0);
	if (d->set)
		mark_update(&t->drill, d->t, d->off, d->result, 0);
}

static void
gather_manifest(struct report *r, const struct opts *o, time_t since)
{
	struct bk_entry *e;
	struct drill d;
	const char *type;
	char month[8];
	size_t i;

	for (i = 0; i < o->m.n; i++) {
		e = &o->m.ents[i];
		if (e->bad)
			continue;
		type = e->type != NULL ? e->type : "-";
		if (o->type != NULL && strcmp(o->type, type) != 0)
			continue;
		month_of(month, e->created_t, e->created_off);
		tally_get(r, type, month)->whole_count++;
		if (e->size > 0)
			tally_get(r, type, month)->whole_size +=
			    (uint64_t)e->size;
		if (!in_period(o, since, e->created_t, month))
			continue;
		entry_drill(e, &d);
		tally_entry(tally_get(r, type, month), e, &d);
		tally_entry(tally_get(r, type, ""), e, &d);
		tally_entry(tally_get(r, NULL, month), e, &d);
		tally_entry(tally_get(r, NULL, ""), e, &d);
	}
}

/* ---- the job journal ---- */

/* One run, as a line of the journal gives it. */
struct run {
	const char	*job, *key;	/* key: the type, else the job */
	time_t		 started;
	long		 off;
	int64_t		 seconds;
	int		 status;
};

/*
 * Reads one line of the journal (format in bk-manifest(1)): 0 with the
 * run (its strings live in *op, to json_decref), or -1 with why.
 */
static int
parse_run(const char *line, size_t len, struct run *run, json_t **op,
    char *why, size_t n)
{
	json_error_t jerr;
	json_t *o, *v;
	const char *s;

	*op = NULL;
	if (memchr(line, '\0', len) != NULL) {
		snprintf(why, n, "a NUL byte");
		return -1;
	}
	if ((o = json_loadb(line, len, 0, &jerr)) == NULL) {
		snprintf(why, n, "invalid JSON at column %d: %s", jerr.column,
		    jerr.text);
		return -1;
	}
	*op = o;
	if (!json_is_object(o)) {
		snprintf(why, n, "not a JSON object");
		return -1;
	}
	run->job = json_string_value(json_object_get(o, "job"));
	if (run->job == NULL || *run->job == '\0') {
		snprintf(why, n, "field \"job\" is missing or not a name");
		return -1;
	}
	v = json_object_get(o, "type");
	if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
		snprintf(why, n, "field \"type\" is not a string");
		return -1;
	}
	s = json_string_value(v);
	run->key = s != NULL && *s != '\0' ? s : run->job;
	s = json_string_value(json_object_get(o, "started"));
	if (s == NULL || bk_parse_date(s, &run->started, &run->off) < 0) {
		snprintf(why, n, "field \"started\" is missing or not an "
		    "RFC 3339 date");
		return -1;
	}
	v = json_object_get(o, "seconds");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(why, n, "field \"seconds\" is missing or not a "
		    "whole number of seconds");
		return -1;
	}
	run->seconds = json_integer_value(v);
	v = json_object_get(o, "status");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 255) {
		snprintf(why, n, "field \"status\" is missing or not an exit "
		    "status (0 to 255)");
		return -1;
	}
	run->status = (int)json_integer_value(v);
	return 0;
}

static void
tally_run(struct report_tally *t, const struct run *run)
{
	t->runs++;
	if (run->status == STATUS_SKIPPED)
		t->skipped++;
	else if (run->status != 0)
		t->failed++;
	else {
		if (t->nsecs == t->secscap) {
			t->secscap = t->secscap ? 2 * t->secscap : 16;
			t->secs = bk_reallocarray(t->secs, t->secscap,
			    sizeof(*t->secs));
		}
		t->secs[t->nsecs++] = run->seconds;
	}
	mark_update(&t->run, run->started, run->off, run->job, run->status);
}

/*
 * The journal: --jobs names it (it must exist), else jobs.jsonl beside
 * the manifest is read when it is there.  Returns its stream or NULL.
 */
static FILE *
open_journal(struct report *r, const struct opts *o)
{
	const char *slash;
	FILE *f;
	int fd;

	if (o->jobs != NULL)
		r->journal = bk_strdup(o->jobs);
	else if ((slash = strrchr(o->m.path, '/')) != NULL)
		r->journal = bk_asprintf("%.*s/%s", (int)(slash - o->m.path),
		    o->m.path, BK_JOURNAL_NAME);
	else
		r->journal = bk_strdup(BK_JOURNAL_NAME);
	if ((fd = open(r->journal, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && o->jobs == NULL) {
			free(r->journal);
			r->journal = NULL;
			return NULL;
		}
		bk_err(bk_open_errno_code(errno), "could not open journal "
		    "\"%s\"", r->journal);
	}
	if ((f = fdopen(fd, "r")) == NULL)
		bk_err(BK_EX_SOFTWARE, "could not open journal \"%s\"",
		    r->journal);
	return f;
}

/*
 * Reads the journal line by line.  A line that cannot be read as a run
 * is a warning and is skipped (an error, exit 65, with --strict), as a
 * bad manifest line is: one cut short by a full disk must not hide the
 * others.
 */
static void
gather_journal(struct report *r, const struct opts *o, time_t since)
{
	struct run run;
	char why[256], month[8];
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	json_t *obj;
	FILE *f;

	if ((f = open_journal(r, o)) == NULL)
		return;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (strspn(line, " \t\r") == (size_t)len)
			continue;
		if (parse_run(line, (size_t)len, &run, &obj, why,
		    sizeof(why)) < 0) {
			json_decref(obj);
			if (o->strict)
				bk_errx(BK_EX_DATAERR, "%s:%zu: %s",
				    r->journal, lineno, why);
			bk_warnx("%s:%zu: %s (line ignored)", r->journal,
			    lineno, why);
			r->jbad++;
			continue;
		}
		month_of(month, run.started, run.off);
		if ((o->type == NULL || strcmp(o->type, run.key) == 0) &&
		    in_period(o, since, run.started, month)) {
			tally_run(tally_get(r, run.key, month), &run);
			tally_run(tally_get(r, run.key, ""), &run);
			tally_run(tally_get(r, NULL, month), &run);
			tally_run(tally_get(r, NULL, ""), &run);
		}
		json_decref(obj);
	}
	if (ferror(f))
		bk_err(BK_EX_IOERR, "could not read journal \"%s\"",
		    r->journal);
	free(line);
	fclose(f);
}

/* ---- what follows from the counts ---- */

/* By type, all types last; then by month, the whole period first. */
static int
tally_order(const void *a, const void *b)
{
	const struct report_tally *x = a, *y = b;

	if ((x->type == NULL) != (y->type == NULL))
		return x->type == NULL ? 1 : -1;
	if (x->type != NULL && strcmp(x->type, y->type) != 0)
		return strcmp(x->type, y->type);
	return strcmp(x->month, y->month);
}

static int
secs_order(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The durations' minimum, median and maximum; the growth of each month
 * of a type against the previous month with backups of that type (of
 * the whole months, so that -S does not make a month look smaller); the
 * running total of the months of all types.
 */
static void
report_finish(struct report *r)
{
	struct report_tally *t, *prev = NULL;
	uint64_t running = 0;
	size_t i, h;

	if (r->n > 0)
		qsort(r->v, r->n, sizeof(*r->v), tally_order);
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->nsecs > 0) {
			qsort(t->secs, t->nsecs, sizeof(*t->secs), secs_order);
			h = t->nsecs / 2;
			t->smin = t->secs[0];
			t->smax = t->secs[t->nsecs - 1];
			t->smedian = t->nsecs % 2 ? (double)t->secs[h] :
			    ((double)t->secs[h - 1] + (double)t->secs[h]) / 2;
		}
		if (t->month[0] == '\0') {
			prev = NULL;
			continue;
		}
		if (t->type == NULL) {
			running += t->size;
			t->running = running;
			continue;
		}
		if (t->whole_count == 0)
			continue;
		t->mean = (int64_t)((t->whole_size + t->whole_count / 2) /
		    t->whole_count);
		if (prev != NULL) {
			t->has_growth = 1;
			t->growth = t->mean - prev->mean;
		}
		prev = t;
	}
}

void
report_growth(char *buf, size_t n, const struct report_tally *t)
{
	int64_t before = t->mean - t->growth;

	if (!t->has_growth || before <= 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%+.1f%%", 100.0 * (double)t->growth /
		    (double)before);
}

void
report_seconds(char *buf, size_t n, double s)
{
	if (s < 0)
		snprintf(buf, n, "-");
	else
		bk_format_duration(buf, n, (int64_t)(s + 0.5));
}

static void
report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].type);
		free(r->v[i].secs);
		free(r->v[i].verified.what);
		free(r->v[i].drill.what);
		free(r->v[i].run.what);
	}
	free(r->v);
	free(r->journal);
}

int
cmd_report(struct opts *o, int argc, char *argv[])
{
	struct report r;
	time_t since = 0;
	int y, m;

	(void)argv;
	if (argc > 0)
		bk_usage_error("report takes no file names");
	if (o->since != NULL && bk_parse_date(o->since, &since, NULL) < 0)
		bk_usage_error("could not parse date \"%s\"", o->since);
	if (o->month != NULL && bk_parse_month(o->month, &y, &m) < 0)
		bk_usage_error("bad --month \"%s\" (want YYYY-MM)", o->month);
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.now = time(NULL);
	bk_manifest_load(&o->m, load_flags(o));
	r.manifest = o->m.path;
	r.bad = o->m.nbad;
	gather_manifest(&r, o, since);
	gather_journal(&r, o, since);
	report_finish(&r);
	if (o->format == OUT_JSON)
		report_json(&r);
	else if (o->format == OUT_HTML)
		report_html(&r);
	else
		report_text(&r);
	report_free(&r);
	return BK_EX_OK;
}
