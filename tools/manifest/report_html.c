/*
 * report_html.c: bk-manifest report as one self-contained HTML page, to
 * open or to mail: inline CSS, inline SVG charts (the size of the backups
 * made each month, by type; the duration of the jobs' runs), and the
 * tables of the text report.  No script, no font, no link to fetch:
 * nothing outside the page.  Every string that comes from the manifest
 * or the journal (types, job names, paths) is escaped.
 *
 * The cells carry their exact values (data-bytes, data-seconds) and the
 * rows their type and month, for a program that reads the page.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "manifest.h"

/* Tableau's ten colours: told apart by most people, printed or not. */
static const char *const colours[] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"
};
#define NCOLOURS	(sizeof(colours) / sizeof(colours[0]))

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}\n"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{padding:.25em .7em;border-bottom:1px solid #ddd;"
    "text-align:right;white-space:nowrap}\n"
    "th{background:#eef1f5}\n"
    ".l{text-align:left}.bad{color:#b00020;font-weight:bold}"
    ".ok{color:#1b7a2b}\n"
    "p.meta{color:#555}code{font-size:.95em}.desc{color:#555}\n"
    ".key{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;"
    "vertical-align:middle}\n"
    "svg{display:block;margin:.5em 0}"
    "svg text{font:11px sans-serif;fill:#333}\n";

/* Text as HTML: the five special characters, and controls made visible. */
static void
put_text(const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", stdout); break;
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		case '\'': fputs("&#39;", stdout); break;
		default:
			if (((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n') || *s == 0x7f)
				fputs("&#xfffd;", stdout);
			else
				putchar(*s);
		}
	}
}

/* The tally of a type (NULL: all) in a month ("": all), or NULL. */
static const struct report_tally *
find(const struct report *r, const char *type, const char *month)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].month, month) == 0 && (type == NULL ?
		    r->v[i].type == NULL : r->v[i].type != NULL &&
		    strcmp(r->v[i].type, type) == 0))
			return &r->v[i];
	return NULL;
}

/* ---- charts ---- */

/* A chart: one group of bars per month, one bar per type in each. */
struct chart {
	const char	*label;		/* what the bars measure */
	const char	**months;
	size_t		 nmonths;
	const char	**types;	/* all the report's types */
	size_t		 ntypes;
	int		*on;		/* which types have bars here */
	int		 seconds;	/* durations, else sizes */
};

/* A value as the axis and the tooltips show it. */
static void
chart_label(const struct chart *c, char *buf, size_t n, double v)
{
	if (c->seconds)
		report_seconds(buf, n, v);
	else
		bk_format_size(buf, n, (uint64_t)(v + 0.5));
}

/*
 * The top of the axis and its number of steps: 1, 2, 2.5, 4, 5 or 8
 * times a power of ten of a unit (of 1024^k bytes; of seconds, minutes
 * or hours), in steps that are round numbers too.
 */
static double
chart_top(double max, int seconds, int *steps)
{
	static const struct { double top; int steps; } tops[] = {
		{ 1, 4 }, { 2, 4 }, { 2.5, 5 }, { 4, 4 }, { 5, 5 }, { 8, 4 },
		{ 10, 4 }
	};
	double unit = 1, p = 1;
	size_t i;

	*steps = 4;
	if (max <= 0)
		return 1;
	if (!seconds)
		while (max / unit >= 1024)
			unit *= 1024;
	else if (max >= 2 * 3600)
		unit = 3600;
	else if (max >= 2 * 60)
		unit = 60;
	while (p * 10 <= max / unit)
		p *= 10;
	for (i = 0; i < sizeof(tops) / sizeof(tops[0]) - 1; i++)
		if (tops[i].top * p * unit >= max)
			break;
	*steps = tops[i].steps;
	return tops[i].top * p * unit;
}

/* The value of a bar (and its whiskers, for durations), or 0 for none. */
static int
chart_value(const struct report *r, const struct chart *c, size_t ti,
    size_t mi, double v[3])
{
	const struct report_tally *t;

	t = find(r, c->types[ti], c->months[mi]);
	if (t == NULL || (c->seconds ? t->nsecs == 0 : t->count == 0))
		return 0;
	if (c->seconds) {
		v[0] = t->smedian;
		v[1] = (double)t->smin;
		v[2] = (double)t->smax;
	} else
		v[0] = v[1] = v[2] = (double)t->size;
	return 1;
}

#define CW	960	/* the chart's width, height and margins */
#define CH	280
#define CL	80
#define CR	10
#define CT	12
#define CB	36

static void
chart_svg(const struct report *r, const struct chart *c)
{
	double v[3], top = 0, gw, bw, x, y, y1, y2, ph = CH - CT - CB;
	char lab[40];
	size_t mi, ti, k, non = 0, every;
	int steps;

	for (ti = 0; ti < c->ntypes; ti++)
		if (c->on[ti])
			non++;
	for (mi = 0; mi < c->nmonths; mi++)
		for (ti = 0; ti < c->ntypes; ti++)
			if (c->on[ti] && chart_value(r, c, ti, mi, v) &&
			    v[2] > top)
				top = v[2];
	top = chart_top(top, c->seconds, &steps);
	printf("<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" aria-label=\"", CW, CH, CW, CH);
	put_text(c->label);
	printf("\">\n");
	for (k = 0; k <= (size_t)steps; k++) {
		y = CT + ph - ph * (double)k / steps;
		chart_label(c, lab, sizeof(lab), top * (double)k / steps);
		printf("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		    "stroke=\"%s\"/><text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\">%s</text>\n", CL, y, CW - CR, y,
		    k ? "#e3e3e3" : "#888", CL - 6, y + 4, lab);
	}
	gw = (double)(CW - CL - CR) / (double)c->nmonths;
	bw = gw * 0.8 / (double)non;
	every = (c->nmonths + 11) / 12;
	for (mi = 0; mi < c->nmonths; mi++) {
		x = CL + gw * (double)mi + gw * 0.1;
		if (mi % every == 0)
			printf("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
			    "%s</text>\n", CL + gw * ((double)mi + 0.5),
			    CH - CB + 16, c->months[mi]);
		for (ti = 0; ti < c->ntypes; ti++) {
			if (!c->on[ti])
				continue;
			if (chart_value(r, c, ti, mi, v)) {
				y = CT + ph - ph * v[0] / top;
				printf("<rect x=\"%.1f\" y=\"%.1f\" "
				    "width=\"%.1f\" height=\"%.1f\" "
				    "fill=\"%s\"><title>", x, y, bw > 1 ?
				    bw - 1 : bw, CT + ph - y,
				    colours[ti % NCOLOURS]);
				put_text(c->types[ti]);
				chart_label(c, lab, sizeof(lab), v[0]);
				printf(" %s: %s</title></rect>\n",
				    c->months[mi], lab);
				if (c->seconds) {
					y1 = CT + ph - ph * v[1] / top;
					y2 = CT + ph - ph * v[2] / top;
					printf("<path d=\"M%.1f %.1fV%.1fM%.1f "
					    "%.1fh%.1fM%.1f %.1fh%.1f\" "
					    "stroke=\"#333\"/>\n",
					    x + bw / 2, y1, y2, x + bw / 4, y1,
					    bw / 2, x + bw / 4, y2, bw / 2);
				}
			}
			x += bw;
		}
	}
	printf("</svg>\n<p>");
	for (ti = 0; ti < c->ntypes; ti++) {
		if (!c->on[ti])
			continue;
		printf("<span class=\"key\" style=\"background:%s\"></span>",
		    colours[ti % NCOLOURS]);
		put_text(c->types[ti]);
	}
	printf("</p>\n");
}

/* ---- tables ---- */

/* A mark in a cell: its time and result, in red when it is not ok. */
static void
cell_mark(const struct report_mark *m, int run)
{
	char when[40];
	int good;

	if (!m->set) {
		printf("<td class=\"l\">never</td>");
		return;
	}
	format_when(when, sizeof(when), m->t, m->off);
	good = run ? m->status == 0 : strcmp(m->what, "ok") == 0;
	/* A run skipped because the last one was still going is no failure. */
	printf("<td class=\"l%s\">%s ", run && m->status == 75 ? "" :
	    good ? " ok" : " bad", when);
	if (!run)
		put_text(m->what);
	else if (m->status == 0)
		printf("ok");
	else if (m->status == 75)
		printf("skipped");
	else
		printf("failed (%d)", m->status);
	printf("</td>");
}

static void
cell_size(const char *class, uint64_t n)
{
	char h[32];

	bk_format_size(h, sizeof(h), n);
	printf("<td class=\"%s\" data-bytes=\"%" PRIu64 "\" title=\"%"
	    PRIu64 " bytes\">%s</td>", class, n, n, h);
}

static void
cell_count(const char *class, uint64_t n, int alarm)
{
	printf("<td class=\"%s%s\">%" PRIu64 "</td>", class,
	    alarm && n > 0 ? " bad" : "", n);
}

/* The runs, and the failed and skipped ones among them. */
static void
cells_runs(const struct report_tally *t)
{
	cell_count("runs", t->runs, 0);
	cell_count("failed", t->failed, 1);
	cell_count("skipped", t->skipped, 0);
}

/* min, median and max, each with its exact value. */
static void
cells_seconds(const struct report_tally *t)
{
	double v[3];
	const char *names[3] = { "min", "median", "max" };
	char h[32];
	int k;

	v[0] = (double)t->smin;
	v[1] = t->smedian;
	v[2] = (double)t->smax;
	for (k = 0; k < 3; k++) {
		if (t->nsecs == 0) {
			printf("<td class=\"%s\">-</td>", names[k]);
			continue;
		}
		report_seconds(h, sizeof(h), v[k]);
		printf("<td class=\"%s\" data-seconds=\"%g\">%s</td>",
		    names[k], v[k], h);
	}
}

/* A row's first cell: its type, or "all" for the row of all types. */
static void
cell_type(const struct report_tally *t)
{
	if (t->type == NULL) {
		printf("<tr data-all=\"1\"><th class=\"l\">all</th>");
		return;
	}
	printf("<tr data-type=\"");
	put_text(t->type);
	printf("\"><td class=\"l\">");
	put_text(t->type);
	printf("</td>");
}

static void
table_types(const struct report *r)
{
	const struct report_tally *t;
	char a[40], b[40];
	size_t i;

	printf("<h2>Backups by type</h2>\n<table id=\"types\">\n<tr>"
	    "<th class=\"l\">Type</th><th>Count</th><th>Size</th>"
	    "<th>Oldest</th><th>Newest</th>"
	    "<th title=\"whose last verification failed\">Failed</th>"
	    "<th class=\"l\">Newest backup</th></tr>\n");
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->month[0] != '\0' || t->count == 0)
			continue;
		cell_type(t);
		cell_count("count", t->count, 0);
		cell_size("size", t->size);
		format_when(a, sizeof(a), t->oldest, t->oldest_off);
		format_when(b, sizeof(b), t->newest, t->newest_off);
		printf("<td>%s</td><td>%s</td>", a, b);
		cell_count("vfail", t->vfail, 1);
		printf("<td class=\"l\">");
		if (t->type != NULL && t->last != NULL) {
			printf("<code>");
			put_text(t->last->path);
			printf("</code>");
			if (t->last->description != NULL) {
				printf("<br/><span class=\"desc\">");
				put_text(t->last->description);
				printf("</span>");
			}
		}
		printf("</td></tr>\n");
	}
	printf("</table>\n");
}

static void
table_checks(const struct report *r)
{
	const struct report_tally *t;
	size_t i;

	printf("<h2>Checks and jobs</h2>\n<table id=\"checks\">\n<tr>"
	    "<th class=\"l\">Type</th><th class=\"l\">Last verified</th>"
	    "<th class=\"l\">Last drill</th><th class=\"l\">Last run</th>"
	    "<th>Runs</th><th>Failed</th><th>Skipped</th></tr>\n");
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->month[0] != '\0' || !report_shown(t))
			continue;
		cell_type(t);
		if (t->type != NULL) {
			cell_mark(&t->verified, 0);
			cell_mark(&t->drill, 0);
			cell_mark(&t->run, 1);
		} else
			printf("<td></td><td></td><td></td>");
		cells_runs(t);
		printf("</tr>\n");
	}
	printf("</table>\n");
}

static void
table_months_by_type(const struct report *r)
{
	const struct report_tally *t;
	char g[32];
	size_t i;

	printf("<h2>Each type, month by month</h2>\n"
	    "<table id=\"months-by-type\">\n<tr><th class=\"l\">Type</th>"
	    "<th class=\"l\">Month</th><th>Count</th><th>Size</th>"
	    "<th title=\"of a backup's mean size, against the previous "
	    "month\">Growth</th><th>Runs</th><th>Failed</th><th>Skipped</th>"
	    "<th>Shortest</th><th>Median</th><th>Longest</th></tr>\n");
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->type == NULL || t->month[0] == '\0' || !report_shown(t))
			continue;
		printf("<tr data-type=\"");
		put_text(t->type);
		printf("\" data-month=\"%s\"><td class=\"l\">", t->month);
		put_text(t->type);
		printf("</td><td class=\"l\">%s</td>", t->month);
		cell_count("count", t->count, 0);
		cell_size("size", t->size);
		report_growth(g, sizeof(g), t);
		if (t->has_growth)
			printf("<td class=\"growth\" data-bytes=\"%" PRId64
			    "\">%s</td>", t->growth, g);
		else
			printf("<td class=\"growth\">%s</td>", g);
		cells_runs(t);
		cells_seconds(t);
		printf("</tr>\n");
	}
	printf("</table>\n");
}

static void
table_months(const struct report *r)
{
	const struct report_tally *t;
	size_t i;

	printf("<h2>All types, month by month</h2>\n<table id=\"months\">\n"
	    "<tr><th class=\"l\">Month</th><th>Count</th><th>Added</th>"
	    "<th>Total</th></tr>\n");
	for (i = 0; i < r->n; i++) {
		t = &r->v[i];
		if (t->type != NULL || t->month[0] == '\0' || t->count == 0)
			continue;
		printf("<tr data-month=\"%s\"><td class=\"l\">%s</td>",
		    t->month, t->month);
		cell_count("count", t->count, 0);
		cell_size("size", t->size);
		cell_size("total", t->running);
		printf("</tr>\n");
	}
	printf("</table>\n");
}

/* ---- the page ---- */

static void
page_head(const struct report *r)
{
	const struct opts *o = r->o;
	char now[40];

	printf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"/>\n"
	    "<title>Backup report: ");
	put_text(r->manifest);
	printf("</title>\n<style>\n%s</style>\n</head>\n<body>\n"
	    "<h1>Backup report</h1>\n<p class=\"meta\">Manifest <code>",
	    style);
	put_text(r->manifest);
	printf("</code>");
	if (r->journal != NULL) {
		printf(", job journal <code>");
		put_text(r->journal);
		printf("</code>");
	} else
		printf(", no job journal");
	bk_format_rfc3339(now, sizeof(now), r->now, 0);
	printf(".<br/>Made %s", now);
	if (o->type != NULL) {
		printf("; type ");
		put_text(o->type);
	}
	if (o->since != NULL) {
		printf("; since ");
		put_text(o->since);
	}
	if (o->month != NULL)
		printf("; month %s", o->month);
	printf(".</p>\n");
}

static void
page_charts(const struct report *r)
{
	struct chart c;
	const char **months;
	size_t i, n = 0, nm = 0, k;
	int *on, any = 0;

	c.types = bk_calloc(r->n + 1, sizeof(*c.types));
	months = bk_calloc(r->n + 1, sizeof(*months));
	on = bk_calloc(r->n + 1, sizeof(*on));
	for (i = 0; i < r->n; i++) {
		if (!report_shown(&r->v[i]))
			continue;
		if (r->v[i].type != NULL && r->v[i].month[0] == '\0')
			c.types[n++] = r->v[i].type;
		else if (r->v[i].type == NULL && r->v[i].month[0] != '\0')
			months[nm++] = r->v[i].month;
	}
	c.ntypes = n;
	c.months = months;
	c.nmonths = nm;
	c.on = on;
	printf("<h2>Size of the backups made each month</h2>\n");
	for (k = 0; k < n; k++)
		any |= on[k] = find(r, c.types[k], "")->count > 0;
	c.label = "size of the backups made each month, by type";
	c.seconds = 0;
	if (any && nm > 0)
		chart_svg(r, &c);
	else
		printf("<p>No backups in the period.</p>\n");
	printf("<h2>How long the jobs took</h2>\n");
	for (k = 0, any = 0; k < n; k++)
		any |= on[k] = find(r, c.types[k], "")->nsecs > 0;
	c.label = "duration of the successful runs each month: the median, "
	    "with the shortest and the longest";
	c.seconds = 1;
	if (any && nm > 0) {
		printf("<p>The median of the successful runs of each month, "
		    "with the shortest and the longest.</p>\n");
		chart_svg(r, &c);
	} else
		printf("<p>No successful job run in the %s.</p>\n",
		    r->journal != NULL ? "period" : "journal (none was found)");
	free(c.types);
	free(months);
	free(on);
}

void
report_html(const struct report *r)
{
	page_head(r);
	table_types(r);
	table_checks(r);
	page_charts(r);
	table_months_by_type(r);
	table_months(r);
	if (r->bad > 0 || r->jbad > 0) {
		printf("<p class=\"bad\">");
		if (r->bad > 0) {
			printf("%zu line%s of <code>", r->bad,
			    r->bad == 1 ? "" : "s");
			put_text(r->manifest);
			printf("</code> could not be parsed. ");
		}
		if (r->jbad > 0) {
			printf("%zu line%s of <code>", r->jbad,
			    r->jbad == 1 ? "" : "s");
			put_text(r->journal);
			printf("</code> could not be parsed.");
		}
		printf("</p>\n");
	}
	printf("</body>\n</html>\n");
}
