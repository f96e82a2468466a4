/*
 * metrics.c: -M, the run's figures for node_exporter's textfile
 * collector, written atomically.
 */

#include <sys/stat.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "verify.h"

/* A label value with \, " and newline escaped as the format wants. */
static void
put_label(struct bk_out *out, const char *s)
{
	char c[2];

	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			bk_out_write(out, "\\", 1);
		if (*s == '\n') {
			bk_out_write(out, "\\n", 2);
			continue;
		}
		c[0] = *s;
		bk_out_write(out, c, 1);
	}
}

static void
put(struct bk_out *out, const char *fmt, ...) BK_PRINTF(2, 3);

static void
put(struct bk_out *out, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = bk_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	bk_out_write(out, s, (size_t)n);
	free(s);
}

static void
put_head(struct bk_out *out, const char *name, const char *help)
{
	put(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
put_typed(struct bk_out *out, const char *name, const char *type,
    const char *value)
{
	put(out, "%s{type=\"", name);
	put_label(out, type);
	put(out, "\"} %s\n", value);
}

/* A remote copy's result of this type. */
static int
remote_is_type(const struct result *r, const char *type)
{
	return r->url != NULL && strcmp(r->type != NULL ? r->type : "none",
	    type) == 0;
}

/* --remote: the copies checked, per type, as the files are. */
static void
put_remote(struct bk_out *out, struct verify *v, const char **types,
    size_t n)
{
	const struct result *r;
	char val[64];
	size_t i, j, nok, nbad;
	time_t best;

	put_head(out, "bk_backup_remote_last_success_timestamp_seconds",
	    "Creation time of the newest backup of the type whose remote copy "
	    "verified OK (0 if none).");
	for (i = 0; i < n; i++) {
		for (j = 0, best = 0; j < v->nres; j++) {
			r = &v->res[j];
			if (r->ok && remote_is_type(r, types[i]) &&
			    r->created > best)
				best = r->created;
		}
		snprintf(val, sizeof(val), "%jd", (intmax_t)best);
		put_typed(out, "bk_backup_remote_last_success_timestamp_seconds",
		    types[i], val);
	}
	put_head(out, "bk_verify_remote_copies",
	    "Remote copies of backups of the type checked in this run.");
	for (i = 0; i < n; i++) {
		for (j = nok = 0; j < v->nres; j++)
			nok += remote_is_type(&v->res[j], types[i]);
		snprintf(val, sizeof(val), "%zu", nok);
		put_typed(out, "bk_verify_remote_copies", types[i], val);
	}
	put_head(out, "bk_verify_remote_ok",
	    "1 if every remote copy of the type verified OK in this run, "
	    "else 0.");
	for (i = 0; i < n; i++) {
		for (j = nbad = nok = 0; j < v->nres; j++)
			if (remote_is_type(&v->res[j], types[i])) {
				nok += v->res[j].ok;
				nbad += !v->res[j].ok;
			}
		put_typed(out, "bk_verify_remote_ok", types[i],
		    nbad == 0 && nok > 0 ? "1" : "0");
	}
}

/*
 * The newest restore drill (bk-restore --scratch) of a backup of the
 * type that says when it ran, of any result (ok 0) or passed (ok 1): of all the manifest's
 * lines of the type, not only those checked in this run, since a drill
 * is rarer than a verification.  NULL when none.
 */
static const struct bk_entry *
newest_drill(struct verify *v, const char *type, int ok)
{
	const struct bk_entry *e, *best = NULL;
	size_t j;

	for (j = 0; j < v->m.n; j++) {
		e = &v->m.ents[j];
		if (e->bad || e->drill == BK_VERIFIED_NONE ||
		    e->drill_time == NULL ||
		    (ok && e->drill != BK_VERIFIED_OK) ||
		    strcmp(e->type != NULL ? e->type : "none", type) != 0)
			continue;
		if (best == NULL || e->drill_t >= best->drill_t)
			best = e;
	}
	return best;
}

/* One drill time per type: the newest drill's (ok 0) or passed one's. */
static void
put_drill_times(struct bk_out *out, struct verify *v, const char **types,
    size_t n, const char *name, const char *help, int ok)
{
	const struct bk_entry *e;
	char val[64];
	size_t i;

	put_head(out, name, help);
	for (i = 0; i < n; i++) {
		e = newest_drill(v, types[i], ok);
		snprintf(val, sizeof(val), "%jd",
		    (intmax_t)(e != NULL ? e->drill_t : 0));
		put_typed(out, name, types[i], val);
	}
}

static void
put_drills(struct bk_out *out, struct verify *v, const char **types,
    size_t n)
{
	const struct bk_entry *e;
	size_t i;

	put_drill_times(out, v, types, n, "bk_drill_last_timestamp_seconds",
	    "When the newest restore drill of a backup of the type ran "
	    "(0 if none).", 0);
	put_head(out, "bk_drill_last_ok",
	    "1 if the newest restore drill of the type passed, else 0.");
	for (i = 0; i < n; i++) {
		e = newest_drill(v, types[i], 0);
		put_typed(out, "bk_drill_last_ok", types[i],
		    e != NULL && e->drill == BK_VERIFIED_OK ? "1" : "0");
	}
	put_drill_times(out, v, types, n,
	    "bk_drill_last_success_timestamp_seconds",
	    "When the newest restore drill of the type that passed ran "
	    "(0 if none).", 1);
}

/*
 * The file system of the tree (the manifest's folder): what is free for
 * the next backup.  A statvfs that fails costs the two lines, with a
 * warning, not the other figures.
 */
static void
put_filesystem(struct bk_out *out, struct verify *v)
{
	uint64_t avail, size;

	if (bk_fs_space(v->m.dir, &avail, &size) < 0) {
		bk_warn("could not read the free space of \"%s\"", v->m.dir);
		return;
	}
	put_head(out, "bk_filesystem_avail_bytes",
	    "Bytes free for bk on the file system of the backup tree.");
	put(out, "bk_filesystem_avail_bytes{path=\"");
	put_label(out, v->m.dir);
	put(out, "\"} %" PRIu64 "\n", avail);
	put_head(out, "bk_filesystem_size_bytes",
	    "Size of the file system of the backup tree.");
	put(out, "bk_filesystem_size_bytes{path=\"");
	put_label(out, v->m.dir);
	put(out, "\"} %" PRIu64 "\n", size);
}

/*
 * Writes the metrics atomically (node_exporter may read the file at any
 * moment) and readable by all: node_exporter runs as another user, and
 * the figures hold no secrets.
 */
void
write_metrics(struct verify *v)
{
	struct bk_out out;
	struct timespec end;
	const struct result *r;
	const char **types;
	char val[64];
	size_t n, i, j, nok, nbad;
	double dur;
	int okall;

	n = collect_types(v, &types);
	bk_out_open(&out, v->o->metrics, BK_OUT_FORCE);
	put_head(&out, "bk_backup_last_success_timestamp_seconds",
	    "Creation time of the newest backup of the type that verified OK "
	    "(0 if none).");
	for (i = 0; i < n; i++) {
		r = newest_good(v, types[i]);
		snprintf(val, sizeof(val), "%jd",
		    (intmax_t)(r != NULL ? r->created : 0));
		put_typed(&out, "bk_backup_last_success_timestamp_seconds",
		    types[i], val);
	}
	put_head(&out, "bk_backup_size_bytes",
	    "Size of the newest backup of the type that verified OK.");
	for (i = 0; i < n; i++)
		if ((r = newest_good(v, types[i])) != NULL && r->size >= 0) {
			snprintf(val, sizeof(val), "%" PRId64, r->size);
			put_typed(&out, "bk_backup_size_bytes", types[i], val);
		}
	put_head(&out, "bk_backup_records",
	    "Records in the newest backup of the type that verified OK.");
	for (i = 0; i < n; i++)
		if ((r = newest_good(v, types[i])) != NULL && r->records >= 0) {
			snprintf(val, sizeof(val), "%" PRId64, r->records);
			put_typed(&out, "bk_backup_records", types[i], val);
		}
	put_head(&out, "bk_verify_backups",
	    "Backups of the type verified in this run.");
	for (i = 0; i < n; i++) {
		for (j = nok = 0; j < v->nres; j++)
			nok += result_is_type(&v->res[j], types[i]);
		snprintf(val, sizeof(val), "%zu", nok);
		put_typed(&out, "bk_verify_backups", types[i], val);
	}
	put_head(&out, "bk_verify_ok",
	    "1 if every backup of the type verified OK in this run, else 0.");
	for (i = 0; i < n; i++) {
		for (j = nbad = nok = 0; j < v->nres; j++)
			if (result_is_type(&v->res[j], types[i])) {
				nok += v->res[j].ok;
				nbad += !v->res[j].ok;
			}
		put_typed(&out, "bk_verify_ok", types[i],
		    nbad == 0 && nok > 0 ? "1" : "0");
	}
	if (v->o->remote)
		put_remote(&out, v, types, n);
	if (v->have_manifest) {
		put_drills(&out, v, types, n);
		put_filesystem(&out, v);
	}
	put_head(&out, "bk_verify_unlisted_files",
	    "Files in the tree that look like backups but have no manifest "
	    "line (incomplete backups).");
	put(&out, "bk_verify_unlisted_files %zu\n", v->unlisted);
	put_head(&out, "bk_verify_stale_temporary_files",
	    "Temporary files of bk runs that were killed, over an hour old.");
	put(&out, "bk_verify_stale_temporary_files %zu\n", v->stale);
	put_head(&out, "bk_verify_bad_lines",
	    "Manifest or sums lines that could not be read.");
	put(&out, "bk_verify_bad_lines %zu\n", v->badlines);
	okall = v->nfail == 0;
	put_head(&out, "bk_verify_success",
	    "1 if the whole run passed (exit status 0), else 0.");
	put(&out, "bk_verify_success %d\n", okall);
	put_head(&out, "bk_verify_last_run_timestamp_seconds",
	    "When this verification ran.");
	put(&out, "bk_verify_last_run_timestamp_seconds %jd\n",
	    (intmax_t)v->now);
	clock_gettime(CLOCK_MONOTONIC, &end);
	dur = (double)(end.tv_sec - v->start.tv_sec) +
	    (double)(end.tv_nsec - v->start.tv_nsec) / 1e9;
	put_head(&out, "bk_verify_duration_seconds",
	    "How long this verification took.");
	put(&out, "bk_verify_duration_seconds %.3f\n", dur);
	/* Only our own temporary file: never a device or FIFO named. */
	if (out.tmp != NULL && fchmod(out.fd, 0644) < 0)
		bk_err(BK_EX_CANTCREAT, "could not set the mode of \"%s\"",
		    v->o->metrics);
	bk_out_commit(&out);
	free(types);
}
