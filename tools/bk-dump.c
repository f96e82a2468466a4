/*
 * bk-dump: export tables and queries from PostgreSQL or SQLite, in one
 * consistent snapshot, as CSV, JSON Lines, a data-only SQL script, or (for
 * SQLite) a consistent copy of the whole database file.
 *
 * PostgreSQL rows always come through COPY ... TO STDOUT, so the server
 * does the encoding.  COPY takes no bind parameters, so each parameter is
 * stored with set_config() (its value bound through PQexecParams) and every
 * :NAME in the query becomes current_setting('bk.pN')::TYPE, where TYPE is
 * what the server inferred for $N when the same query was prepared with
 * real placeholders.  Values thus never enter the SQL text.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "format/format.h"

static const char usage[] =
"usage: bk-dump [-fPqv] [-D source] [-F format] [-o file] [--counts file]\n"
"               [--labels] [--month yyyy-mm] [--param name=value]\n"
"               [--serializable] [--timezone tz]\n"
"               [--table [label=]table | --query [label=]sql] ...\n";

#include "dump/dump.h"

/* ---- the run ---- */

/* Works out the output columns: the union of all, in first-seen order. */
static void
build_union(struct dump *d)
{
	size_t i, j, k;

	for (i = 0; i < d->nex; i++) {
		struct export *e = &d->ex[i];

		for (j = 0; j < e->ncols; j++) {
			if (d->labels && strcmp(e->cols[j], "type") == 0)
				bk_errx(BK_EX_DATAERR, "%s: column \"type\" "
				    "clashes with the label column; rename it "
				    "with AS", e->label);
			if (!d->labels)
				continue;
			for (k = 0; k < j; k++)
				if (strcmp(e->cols[k], e->cols[j]) == 0)
					bk_errx(BK_EX_DATAERR, "%s: column "
					    "\"%s\" appears twice; rename one "
					    "with AS", e->label, e->cols[j]);
			for (k = 0; k < d->nucols; k++)
				if (strcmp(d->ucols[k], e->cols[j]) == 0)
					break;
			if (k == d->nucols) {
				d->ucols = bk_reallocarray(d->ucols,
				    d->nucols + 1, sizeof(*d->ucols));
				d->ucols[d->nucols++] = e->cols[j];
			}
		}
	}
	if (!d->labels) {
		/* One export without labels: its own columns, as they are. */
		d->ucols = d->ex[0].cols;
		d->nucols = d->ex[0].ncols;
	}
	for (i = 0; i < d->nex; i++) {
		struct export *e = &d->ex[i];

		e->src = bk_calloc(d->nucols + 1, sizeof(*e->src));
		for (k = 0; k < d->nucols; k++) {
			e->src[k] = -1;
			if (!d->labels) {
				e->src[k] = (long)k;
				continue;
			}
			for (j = 0; j < e->ncols; j++)
				if (strcmp(e->cols[j], d->ucols[k]) == 0)
					e->src[k] = (long)j;
		}
	}
}

static void
put_header(struct dump *d)
{
	size_t k;

	if (d->labels)
		puts_(d, "type");
	for (k = 0; k < d->nucols; k++) {
		if (d->labels || k > 0)
			putc_(d, ',');
		put_csv(d, d->ucols[k], strlen(d->ucols[k]), csv_alone(d));
	}
	putc_(d, '\n');
}

/*
 * The counts file was opened with the output, before any export, so that
 * one that cannot be created stops the run before anything is written.
 * Its lines go to its temporary file before the output is committed; it
 * is committed right after the output.
 */
static void
write_counts(struct dump *d)
{
	char *line;
	size_t i;

	for (i = 0; i < d->nex; i++) {
		line = bk_asprintf("%s\t%llu\n", d->ex[i].label,
		    (unsigned long long)d->ex[i].rows);
		bk_out_write(&d->counts, line, strlen(line));
		free(line);
	}
}

static int
dump_rows(struct dump *d)
{
	size_t i;

	for (i = 0; i < d->nex; i++) {
		struct export *e = &d->ex[i];

		if (e->table != NULL) {
			char *t = quote_table(d, e->table);

			e->sql = bk_asprintf("SELECT * FROM %s", t);
			free(t);
		} else
			e->sql = bk_strdup(e->query);
		if (d->pg)
			pg_describe(d, e);
		else
			sqlite_describe(d, e);
	}
	build_union(d);
	if (d->format == FMT_CSV)
		put_header(d);
	else if (d->format == FMT_SQL)
		puts_(d, d->pg ? "-- data-only script written by bk-dump\n"
		    "SET client_encoding = 'UTF8';\nBEGIN;\n" :
		    "-- data-only script written by bk-dump\nBEGIN;\n");
	for (i = 0; i < d->nex; i++) {
		if (d->pg)
			pg_export(d, &d->ex[i]);
		else
			sqlite_export(d, &d->ex[i]);
		bk_info("%s: %llu row%s", d->ex[i].label,
		    (unsigned long long)d->ex[i].rows,
		    d->ex[i].rows == 1 ? "" : "s");
	}
	if (d->format == FMT_SQL)
		puts_(d, "COMMIT;\n");
	return BK_EX_OK;
}

static void
dump_free(struct dump *d)
{
	size_t i, j;

	for (i = 0; i < d->nex; i++) {
		struct export *e = &d->ex[i];

		for (j = 0; j < e->ncols; j++)
			free(e->cols[j]);
		for (j = 0; e->reftype != NULL && j < e->nref; j++)
			free(e->reftype[j]);
		free(e->cols);
		free(e->reftype);
		free(e->ref);
		free(e->src);
		free(e->sql);
		free(e->label);
		free(e->query);
	}
	free(d->ex);
	for (i = 0; i < d->npar; i++)
		free(d->par[i].name);
	free(d->par);
	if (d->labels)
		free(d->ucols);
	free(d->buf.p);
}

static int
dump_run(struct dump *d)
{
	bk_csv_dialect_init(&d->csv, ',', 0);
	if (d->sqlite_path != NULL)
		sqlite_open(d);
	else
		pg_connect(d);
	bk_out_open(&d->out, d->out_path, d->outflags |
	    (d->format == FMT_SQLITE ? BK_OUT_BINARY : 0));
	if (d->counts_path != NULL)
		bk_out_open(&d->counts, d->counts_path, d->outflags);
	bk_progress_init(&d->prog, d->progress, "bk-dump", 0);
	if (d->format == FMT_SQLITE) {
		/* Reading the schema tells a file that is not a database. */
		sqlite_exec(d, "SELECT count(*) FROM sqlite_master", "open");
		sqlite_copy(d);
	}
	else if (d->pg) {
		pg_begin(d);
		dump_rows(d);
		pg_command(d, "COMMIT", 0, NULL, "commit");
	} else {
		/* The first read fixes the snapshot, and checks the file. */
		sqlite_exec(d, "BEGIN", "begin");
		sqlite_exec(d, "SELECT count(*) FROM sqlite_master", "open");
		dump_rows(d);
		sqlite_exec(d, "COMMIT", "commit");
	}
	out_flush(d);
	bk_progress_end(&d->prog);
	if (d->counts_path != NULL)
		write_counts(d);
	if (d->counts_path != NULL)
		bk_out_commit2(&d->out, &d->counts);
	else
		bk_out_commit(&d->out);
	if (d->pg)
		PQfinish(d->pg);
	if (d->db)
		sqlite3_close(d->db);
	dump_free(d);
	return BK_EX_OK;
}

/* ---- options ---- */

static int
valid_label(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

static void
add_export(struct dump *d, const char *arg, int is_table)
{
	struct export *e;
	const char *eq = strchr(arg, '=');

	d->ex = bk_reallocarray(d->ex, d->nex + 1, sizeof(*d->ex));
	e = &d->ex[d->nex++];
	memset(e, 0, sizeof(*e));
	if (eq != NULL && valid_label(arg, (size_t)(eq - arg))) {
		e->label = bk_asprintf("%.*s", (int)(eq - arg), arg);
		arg = eq + 1;
	}
	if (*arg == '\0')
		bk_usage_error("empty %s", is_table ? "table name" : "query");
	if (is_table) {
		e->table = arg;
		if (e->label == NULL)
			e->label = bk_strdup(arg);
		/* It may be the label, which CSV and JSON carry as UTF-8. */
		if (strchr(arg, '\t') || strchr(arg, '\n') ||
		    !bk_utf8_valid(arg, strlen(arg)))
			bk_usage_error("bad table name \"%s\"", arg);
	} else {
		size_t n = strlen(arg);
		char *q;

		/* A final semicolon would break the COPY around the query. */
		while (n > 0 && (isspace((unsigned char)arg[n - 1]) ||
		    arg[n - 1] == ';'))
			n--;
		q = bk_asprintf("%.*s", (int)n, arg);
		e->query = q;
		if (e->label == NULL)
			e->label = bk_asprintf("query%zu", d->nex);
	}
}

static void
add_param(struct dump *d, const char *name, size_t n, const char *value)
{
	size_t i;

	if (n == 0 || !is_ident_start((unsigned char)name[0]))
		bk_usage_error("bad parameter name \"%.*s\"", (int)n, name);
	for (i = 1; i < n; i++)
		if (!is_ident((unsigned char)name[i]))
			bk_usage_error("bad parameter name \"%.*s\"", (int)n,
			    name);
	if (find_param(d, name, n) >= 0)
		bk_usage_error("parameter \"%.*s\" given twice", (int)n, name);
	d->par = bk_reallocarray(d->par, d->npar + 1, sizeof(*d->par));
	d->par[d->npar].name = bk_asprintf("%.*s", (int)n, name);
	d->par[d->npar].value = value;
	d->npar++;
}

static void
parse_month(struct dump *d, const char *s)
{
	int y, m;

	if (bk_parse_month(s, &y, &m) < 0)
		bk_usage_error("bad --month \"%s\" (want YYYY-MM)", s);
	snprintf(d->month_start, sizeof(d->month_start), "%04d-%02d-01", y,
	    m);
	snprintf(d->month_end, sizeof(d->month_end), "%04d-%02d-01",
	    m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
	add_param(d, "month_start", strlen("month_start"), d->month_start);
	add_param(d, "month_end", strlen("month_end"), d->month_end);
}

static enum format
parse_format(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return FMT_CSV;
	if (strcmp(s, "jsonl") == 0 || strcmp(s, "json") == 0)
		return FMT_JSONL;
	if (strcmp(s, "sql") == 0)
		return FMT_SQL;
	if (strcmp(s, "sqlite") == 0)
		return FMT_SQLITE;
	bk_usage_error("unknown format \"%s\" (csv, jsonl, sql, sqlite)", s);
}

enum {
	OPT_COUNTS = 256, OPT_LABELS, OPT_MONTH, OPT_PARAM, OPT_QUERY,
	OPT_SERIALIZABLE, OPT_TABLE, OPT_TIMEZONE, OPT_VERSION
};

static void
parse_param(struct dump *d, const char *arg)
{
	const char *eq;

	if ((eq = strchr(arg, '=')) == NULL)
		bk_usage_error("bad --param \"%s\" (want NAME=VALUE)", arg);
	add_param(d, arg, (size_t)(eq - arg), eq + 1);
}

static const char optstring[] = "D:F:fho:Pqv";

static const struct option longopts[] = {
	{ "database",	required_argument, NULL, 'D' },
	{ "format",	required_argument, NULL, 'F' },
	{ "force",	no_argument,	   NULL, 'f' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "output",	required_argument, NULL, 'o' },
	{ "progress",	no_argument,	   NULL, 'P' },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "counts",	required_argument, NULL, OPT_COUNTS },
	{ "labels",	no_argument,	   NULL, OPT_LABELS },
	{ "month",	required_argument, NULL, OPT_MONTH },
	{ "param",	required_argument, NULL, OPT_PARAM },
	{ "query",	required_argument, NULL, OPT_QUERY },
	{ "serializable", no_argument,	   NULL, OPT_SERIALIZABLE },
	{ "table",	required_argument, NULL, OPT_TABLE },
	{ "timezone",	required_argument, NULL, OPT_TIMEZONE },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/*
 * The options into d, and the verbosity set.  Returns whether --labels
 * was given (d->labels is decided once the exports are known).
 */
static int
parse_options(struct dump *d, int argc, char *argv[])
{
	int c, verbosity = 0, labels = 0;

	while ((c = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'D':
			d->source = optarg;
			break;
		case 'F':
			d->format = parse_format(optarg);
			break;
		case 'f':
			d->outflags |= BK_OUT_FORCE;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'o':
			d->out_path = optarg;
			break;
		case 'P':
			d->progress = 1;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'v':
			if (verbosity >= 0)
				verbosity++;
			break;
		case OPT_COUNTS:
			d->counts_path = optarg;
			break;
		case OPT_LABELS:
			labels = 1;
			break;
		case OPT_MONTH:
			parse_month(d, optarg);
			break;
		case OPT_PARAM:
			parse_param(d, optarg);
			break;
		case OPT_QUERY:
			add_export(d, optarg, 0);
			break;
		case OPT_SERIALIZABLE:
			d->serializable = 1;
			break;
		case OPT_TABLE:
			add_export(d, optarg, 1);
			break;
		case OPT_TIMEZONE:
			d->timezone = optarg;
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	if (optind < argc)
		bk_usage_error("unexpected argument \"%s\"", argv[optind]);
	bk_set_verbosity(verbosity);
	return labels;
}

/* -D: an SQLite file (sqlite:PATH), or what libpq can parse. */
static void
check_source(struct dump *d)
{
	struct bk_conninfo ci;
	int r;

	if (d->source != NULL && strncmp(d->source, "sqlite:", 7) == 0) {
		d->sqlite_path = d->source + 7;
		if (*d->sqlite_path == '\0')
			bk_usage_error("empty path in -D sqlite:");
		if (d->serializable || d->timezone != NULL)
			bk_usage_error("--serializable and --timezone are for "
			    "PostgreSQL");
	} else if (d->source != NULL) {
		/*
		 * libpq's parser, before anything runs; its message is not
		 * shown, as it may quote the string, password and all.  A
		 * bare name, which PQconnectdb cannot take, is often an
		 * SQLite file without its "sqlite:".
		 */
		r = bk_conninfo_parse(d->source, &ci);
		if (r < -1)
			bk_usage_error("bad -D: %s (not shown: it may hold a "
			    "password)", bk_conninfo_why(r));
		if (r == 0 && !ci.bare)
			bk_conninfo_free(&ci);
		else
			bk_usage_error("bad -D: libpq cannot parse it as a "
			    "connection string or URI (not shown: it may hold "
			    "a password; for SQLite, use -D sqlite:PATH)");
	}
}

/* What the format needs of the source and the exports. */
static void
check_format(const struct dump *d, int labels)
{
	if (d->format == FMT_SQLITE) {
		if (d->sqlite_path == NULL)
			bk_usage_error("--format sqlite needs an SQLite "
			    "source (-D sqlite:PATH)");
		if (d->nex > 0 || d->counts_path != NULL || labels)
			bk_usage_error("--format sqlite copies the whole "
			    "database: no --table, --query, --counts or "
			    "--labels");
	} else if (d->nex == 0)
		bk_usage_error("nothing to export (give --table or --query)");
}

int
main(int argc, char *argv[])
{
	/* Static, so that what it holds stays reachable until exit. */
	static struct dump d;
	int labels;

	bk_init(argc, argv);
	memset(&d, 0, sizeof(d));
	labels = parse_options(&d, argc, argv);
	check_source(&d);
	check_format(&d, labels);
	/* The sql format names each table instead of labelling rows. */
	d.labels = (labels || d.nex > 1) && d.format != FMT_SQL;
	return bk_finish(dump_run(&d));
}
