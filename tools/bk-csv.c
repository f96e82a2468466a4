/*
 * bk-csv: reads strict RFC 4180 CSV and writes CSV (plain or for Excel),
 * TSV or JSON Lines; selects, drops and redacts columns; checks and
 * counts records.  The reading is common/csvread.c, the fields are
 * written by common/csvwrite.c and common/json.c (as bk-dump writes
 * them); this file is the options and the records, which are laid out in
 * the reader's worker threads.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/format.h"

static const char usage[] =
"usage: bk-csv [-efPqtv] [--delimiter char] [-s cols | -x cols]\n"
"              [--redact cols] [-F csv | tsv | jsonl] [-j threads]\n"
"              [--decimal-comma cols] [--sep-line] [--count]\n"
"              [--count-file file] [--max-record size] [-o file] [file]\n";

enum { FMT_CSV, FMT_TSV, FMT_JSONL };

enum {
	OPT_COUNT = 256,
	OPT_COUNTFILE,
	OPT_DECIMAL,
	OPT_DELIM,
	OPT_MAXREC,
	OPT_REDACT,
	OPT_SEPLINE,
	OPT_VERSION
};

#define REDACTED	"REDACTED"

struct col {
	size_t		 in;		/* index of the input field */
	int		 redact;
	int		 decimal;	/* write numbers with a decimal comma */
	char		*key;		/* JSON Lines: "name": */
	size_t		 keylen;
};

struct state {
	/* options */
	int		 check;
	int		 excel;
	int		 count;
	int		 sepline;
	int		 format;
	int		 force;
	int		 progress;
	int		 threads;
	unsigned char	 delim;
	int		 delim_set;	/* --delimiter given */
	const char	*select;
	const char	*drop;
	const char	*redact;
	const char	*decimal;
	const char	*countfile;
	const char	*output;
	const char	*input;
	size_t		 maxrec;
	/* from the header */
	struct col	*cols;
	size_t		 ncols;
	struct bk_csv_dialect dialect;	/* CSV or TSV, delimiter, Excel */
	struct bk_out	 out;
	struct bk_out	 countout;	/* --count-file, open from the start */
};

/* Finds a column by name, else by 1-based number; exits 64 if absent. */
static size_t
find_column(const struct bk_csv_field *h, size_t n, const char *name,
    size_t len)
{
	size_t i, num = 0;

	for (i = 0; i < n; i++)
		if (h[i].len == len && memcmp(h[i].p, name, len) == 0)
			return i;
	for (i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9' || num > n)
			break;
		num = num * 10 + (size_t)(name[i] - '0');
	}
	if (len > 0 && i == len && num >= 1 && num <= n)
		return num - 1;
	bk_errx(BK_EX_USAGE, "no column \"%.*s\" in the header", (int)len,
	    name);
}

/*
 * Calls fn for each column named in the comma-separated list.  Returns the
 * number of names.
 */
static size_t
each_column(const char *list, const struct bk_csv_field *h, size_t n,
    void (*fn)(void *, size_t), void *arg)
{
	const char *p = list, *e;
	size_t count = 0;

	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		fn(arg, find_column(h, n, p, (size_t)(e - p)));
		count++;
		if (*e == '\0')
			break;
		p = e + 1;
	}
	return count;
}

static void
mark(void *arg, size_t i)
{
	((unsigned char *)arg)[i] = 1;
}

static void
pick(void *arg, size_t i)
{
	struct state *st = arg;

	st->cols[st->ncols++].in = i;
}

static void
end_line(const struct state *st, struct bk_buf *b)
{
	if (st->excel)
		bk_buf_add(b, "\r\n", 2);
	else
		bk_buf_add(b, "\n", 1);
}

/*
 * One JSON Lines object, the keys escaped once in on_header.  The reader
 * passes valid UTF-8 only, so bk_json_string cannot refuse a value.
 */
static void
write_json(const struct state *st, const struct bk_csv_field *f,
    struct bk_buf *b)
{
	const struct bk_csv_field *v;
	const struct col *c;
	size_t j;

	bk_buf_add(b, "{", 1);
	for (j = 0; j < st->ncols; j++) {
		c = &st->cols[j];
		v = &f[c->in];
		if (j > 0)
			bk_buf_add(b, ",", 1);
		bk_buf_add(b, c->key, c->keylen);
		if (c->redact)
			bk_buf_add(b, "\"" REDACTED "\"",
			    sizeof(REDACTED) + 1);
		else if (v->null)
			bk_buf_add(b, "null", 4);
		else
			bk_json_string(b, v->p, v->len);
	}
	bk_buf_add(b, "}\n", 2);
}

/* One record (or the header) in the output format. */
static void
write_record(const struct state *st, const struct bk_csv_field *f,
    struct bk_buf *b, int header)
{
	const struct bk_csv_field *v;
	const struct col *c;
	size_t j;
	int flags;

	if (st->format == FMT_JSONL) {
		write_json(st, f, b);
		return;
	}
	for (j = 0; j < st->ncols; j++) {
		c = &st->cols[j];
		v = &f[c->in];
		if (j > 0)
			bk_buf_add(b, &st->dialect.delim, 1);
		if (c->redact && !header) {
			bk_csv_field(b, &st->dialect, REDACTED,
			    sizeof(REDACTED) - 1, 0);
			continue;
		}
		flags = st->ncols == 1 ? BK_FIELD_ALONE : 0;
		if (v->null)
			flags |= BK_FIELD_NULL;
		if (c->decimal && !header)
			flags |= BK_FIELD_DECIMAL;
		bk_csv_field(b, &st->dialect, v->p, v->len, flags);
	}
	end_line(st, b);
}

static void
on_header(void *arg, const struct bk_csv_field *h, size_t n,
    struct bk_buf *b)
{
	struct state *st = arg;
	unsigned char *flags;
	size_t i, j, k;
	char sep[8];

	st->cols = bk_calloc(n * 2 + 1, sizeof(*st->cols));
	flags = bk_calloc(n + 1, 1);
	if (st->select != NULL)
		each_column(st->select, h, n, pick, st);
	else if (st->drop != NULL) {
		each_column(st->drop, h, n, mark, flags);
		for (i = 0; i < n; i++)
			if (!flags[i])
				st->cols[st->ncols++].in = i;
	} else
		for (i = 0; i < n; i++)
			st->cols[st->ncols++].in = i;
	if (st->ncols == 0)
		bk_errx(BK_EX_USAGE, "no columns left to write");
	if (st->redact != NULL) {
		memset(flags, 0, n);
		each_column(st->redact, h, n, mark, flags);
		for (j = 0; j < st->ncols; j++)
			st->cols[j].redact = flags[st->cols[j].in];
	}
	if (st->decimal != NULL) {
		memset(flags, 0, n);
		each_column(st->decimal, h, n, mark, flags);
		for (j = 0; j < st->ncols; j++)
			st->cols[j].decimal = flags[st->cols[j].in];
	}
	free(flags);
	if (st->format == FMT_JSONL) {
		struct bk_buf kb = { NULL, 0, 0 };

		for (j = 0; j < st->ncols; j++) {
			for (k = 0; k < j; k++)
				if (h[st->cols[k].in].len ==
				    h[st->cols[j].in].len &&
				    memcmp(h[st->cols[k].in].p,
				    h[st->cols[j].in].p,
				    h[st->cols[j].in].len) == 0)
					break;
			if (k < j)
				bk_errx(BK_EX_DATAERR, "duplicate column "
				    "name \"%.*s\": JSON keys must be unique",
				    (int)h[st->cols[j].in].len,
				    h[st->cols[j].in].p);
			kb.len = 0;
			bk_json_string(&kb, h[st->cols[j].in].p,
			    h[st->cols[j].in].len);
			bk_buf_add(&kb, ":", 1);
			st->cols[j].key = bk_malloc(kb.len);
			memcpy(st->cols[j].key, kb.p, kb.len);
			st->cols[j].keylen = kb.len;
		}
		free(kb.p);
		return;
	}
	if (st->check)
		return;
	if (st->excel) {
		/* Excel takes UTF-8 only with a byte order mark. */
		bk_buf_add(b, "\xef\xbb\xbf", 3);
		if (st->sepline) {
			snprintf(sep, sizeof(sep), "sep=%c", st->delim);
			bk_buf_add(b, sep, strlen(sep));
			end_line(st, b);
		}
	}
	write_record(st, h, b, 1);
}

static void
on_record(void *arg, const struct bk_csv_field *f, size_t n,
    struct bk_buf *b)
{
	const struct state *st = arg;

	(void)n;
	if (!st->check)
		write_record(st, f, b, 0);
}

static void
on_write(void *arg, const void *p, size_t n)
{
	struct state *st = arg;

	if (!st->check)
		bk_out_write(&st->out, p, n);
}

/*
 * The count file was opened before the input was read, so that a folder
 * where it cannot be created stops the run before any output; its line is
 * written before the output is committed, and it is committed right after.
 */
static void
write_count(struct state *st, uint64_t records)
{
	char line[32];
	int n;

	n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)records);
	if (st->countfile != NULL)
		bk_out_write(&st->countout, line, (size_t)n);
	if (!st->check && st->countfile != NULL)
		bk_out_commit2(&st->out, &st->countout);
	else if (!st->check)
		bk_out_commit(&st->out);
	else if (st->countfile != NULL)
		bk_out_commit(&st->countout);
	if (st->count) {
		/* With -t, stdout is free for the number. */
		if (st->check)
			fputs(line, stdout);
		else
			fputs(line, stderr);
	}
}

static void
free_columns(struct state *st)
{
	size_t j;

	for (j = 0; j < st->ncols; j++)
		free(st->cols[j].key);
	free(st->cols);
	st->cols = NULL;
	st->ncols = 0;
}

static int
run(struct state *st)
{
	static const struct bk_csv_ops ops = { on_header, on_record, on_write };
	struct bk_csv_opts o;
	struct bk_csv_result res;
	struct bk_progress prog;
	struct bk_reader *r;
	struct stat sb;
	int fd, rc;

	fd = bk_open_input(st->input);
	r = bk_reader_fd(fd, bk_input_name(st->input));
	if (st->countfile != NULL)
		bk_out_open(&st->countout, st->countfile, BK_OUT_FORCE);
	if (!st->check)
		bk_out_open(&st->out, st->output, st->force ? BK_OUT_FORCE : 0);
	memset(&o, 0, sizeof(o));
	o.name = bk_input_name(st->input);
	o.threads = st->threads;
	o.max_record = st->maxrec;
	bk_progress_init(&prog, st->progress, "bk-csv",
	    fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size :
	    0);
	o.progress = &prog;
	rc = bk_csv_read(r, &o, &ops, st, &res);
	bk_progress_end(&prog);
	bk_reader_close(r);
	if (rc != 0) {
		if (!st->check)
			bk_out_abort(&st->out);
		if (st->countfile != NULL)
			bk_out_abort(&st->countout);
		bk_errx(rc, "%s", res.err);
	}
	bk_info("%llu records, %zu fields, %llu bytes read",
	    (unsigned long long)res.records, res.fields,
	    (unsigned long long)res.bytes);
	write_count(st, res.records);
	free_columns(st);
	return BK_EX_OK;
}

static unsigned char
parse_delim(const char *s)
{
	if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0)
		return '\t';
	if (strlen(s) != 1 || s[0] == '"' || s[0] == '\r' || s[0] == '\n' ||
	    (unsigned char)s[0] >= 0x80)
		bk_usage_error("bad delimiter \"%s\": one ASCII character "
		    "other than a quote or a line break", s);
	return (unsigned char)s[0];
}

static int
parse_format(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return FMT_CSV;
	if (strcmp(s, "tsv") == 0)
		return FMT_TSV;
	if (strcmp(s, "jsonl") == 0)
		return FMT_JSONL;
	bk_usage_error("unknown format \"%s\" (csv, tsv or jsonl)", s);
}

static size_t
parse_maxrec(const char *s)
{
	uint64_t size;

	if (bk_parse_size(s, &size) != 0 || size < 1 ||
	    size > ((uint64_t)1 << 30))
		bk_usage_error("bad size \"%s\" (1 to 1G)", s);
	return (size_t)size;
}

static const char optstring[] = "eF:fhj:o:Pqs:tvx:";

static const struct option longopts[] = {
	{ "excel",		no_argument,		NULL, 'e' },
	{ "format",		required_argument,	NULL, 'F' },
	{ "force",		no_argument,		NULL, 'f' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "output",		required_argument,	NULL, 'o' },
	{ "progress",		no_argument,		NULL, 'P' },
	{ "threads",		required_argument,	NULL, 'j' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "select",		required_argument,	NULL, 's' },
	{ "test",		no_argument,		NULL, 't' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "drop",		required_argument,	NULL, 'x' },
	{ "count",		no_argument,		NULL, OPT_COUNT },
	{ "count-file",		required_argument,	NULL, OPT_COUNTFILE },
	{ "decimal-comma",	required_argument,	NULL, OPT_DECIMAL },
	{ "delimiter",		required_argument,	NULL, OPT_DELIM },
	{ "max-record",		required_argument,	NULL, OPT_MAXREC },
	{ "redact",		required_argument,	NULL, OPT_REDACT },
	{ "sep-line",		no_argument,		NULL, OPT_SEPLINE },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 }
};

/* The options and the input into st, and the verbosity set. */
static void
parse_options(struct state *st, int argc, char *argv[])
{
	int ch, verbosity = 0;

	while ((ch = getopt_long(argc, argv, optstring,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DELIM:
			st->delim = parse_delim(optarg);
			st->delim_set = 1;
			break;
		case 'e':
			st->excel = 1;
			break;
		case 'f':
			st->force = 1;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'o':
			st->output = optarg;
			break;
		case 'P':
			st->progress = 1;
			break;
		case 'j':
			st->threads = bk_parse_threads(optarg);
			break;
		case 'q':
			verbosity = -1;
			break;
		case OPT_REDACT:
			st->redact = optarg;
			break;
		case 's':
			st->select = optarg;
			break;
		case 't':
			st->check = 1;
			break;
		case 'F':
			st->format = parse_format(optarg);
			break;
		case 'v':
			verbosity++;
			break;
		case 'x':
			st->drop = optarg;
			break;
		case OPT_COUNT:
			st->count = 1;
			break;
		case OPT_COUNTFILE:
			st->countfile = optarg;
			break;
		case OPT_DECIMAL:
			st->decimal = optarg;
			break;
		case OPT_MAXREC:
			st->maxrec = parse_maxrec(optarg);
			break;
		case OPT_SEPLINE:
			st->sepline = 1;
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		bk_usage_error("too many arguments");
	st->input = argc == 1 ? argv[0] : NULL;
	bk_set_verbosity(verbosity);
}

/* The combinations refused. */
static void
check_options(const struct state *st)
{
	if (st->select != NULL && st->drop != NULL)
		bk_usage_error("--select and --drop exclude each other");
	if (st->format != FMT_CSV && (st->excel || st->delim_set ||
	    st->sepline || st->decimal != NULL))
		bk_usage_error("--excel, --delimiter, --sep-line and "
		    "--decimal-comma need CSV output");
	if (st->sepline && !st->excel)
		bk_usage_error("--sep-line needs --excel");
	if (st->check && st->output != NULL)
		bk_usage_error("-t writes no output: -o makes no sense");
}

int
main(int argc, char *argv[])
{
	struct state st;
	long n;

	bk_init(argc, argv);
	memset(&st, 0, sizeof(st));
	st.delim = ',';
	st.format = FMT_CSV;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	/* Past four threads, memory grows and the pipeline waits elsewhere. */
	st.threads = n > 0 ? (n > 4 ? 4 : (int)n) : 1;
	parse_options(&st, argc, argv);
	check_options(&st);
	bk_csv_dialect_init(&st.dialect, st.delim,
	    (st.excel ? BK_CSV_EXCEL : 0) |
	    (st.format == FMT_TSV ? BK_CSV_TSV : 0));
	return bk_finish(run(&st));
}
