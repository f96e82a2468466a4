/*
 * bk-sum: digests of files or of a stream passing through, and checking of
 * digest lists in the two formats sha256sum(1) writes: GNU "HEX  NAME"
 * lines and BSD tagged "SHA256 (NAME) = HEX" lines (--tag).
 *
 * This file has main(), the options, the messages and the digest lines;
 * each mode is in tools/sum/ (see sum.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"

static const char usage[] =
    "usage: bk-sum [-fPqv] [--algorithm alg ...] [--tag] [-o file] [file ...]\n"
    "       bk-sum -c [-Pqv] [--status] [--algorithm alg ...] [list ...]\n"
    "       bk-sum --tee [-fPqv] [--algorithm alg ...] [--tag] [--name name]\n"
    "              [--digest-to file] [-o file]\n";

#include "sum/sum.h"

enum {
	OPT_ALGORITHM = 256,
	OPT_TAG,
	OPT_TEE,
	OPT_NAME,
	OPT_DIGEST_TO,
	OPT_STATUS,
	OPT_VERSION
};

/*
 * Keeps the largest exit code seen: an unreadable input (66, 74, 77)
 * outranks a failed check (1), which outranks success.
 */
void
note(struct sum *s, int code)
{
	if (code > s->code)
		s->code = code;
}

/*
 * Reports a problem that does not stop the run ("bk-sum: error: ...", with
 * strerror(errno) when witherr is set) and keeps the exit code it calls
 * for.  bk_warn would say "warning", which undersells a failed check.
 */
void
problem(struct sum *s, int code, int witherr, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	note(s, code);
	fflush(stdout);
	fprintf(stderr, "%s: error: ", bk_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (witherr)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
}

static void
line_add(struct line *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		while (l->len + n + 1 > l->cap)
			l->cap = l->cap != 0 ? 2 * l->cap : 256;
		l->p = bk_realloc(l->p, l->cap);
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
	l->p[l->len] = '\0';
}

void
line_str(struct line *l, const char *s)
{
	line_add(l, s, strlen(s));
}

/*
 * GNU coreutils marks a line whose name holds a backslash, a newline or a
 * carriage return by starting it with a backslash, and then writes those
 * characters as \\, \n and \r, so that every entry stays on one line.
 */
static int
needs_escape(const char *name)
{
	return name[strcspn(name, "\\\n\r")] != '\0';
}

void
line_name(struct line *l, const char *name, int escape)
{
	char *esc;

	if (!escape) {
		line_str(l, name);
		return;
	}
	esc = bk_sumlist_escape(name, 0);
	line_str(l, esc);
	free(esc);
}

/* Appends the digest line for one algorithm in the chosen format. */
void
format_line(struct line *l, const struct sum *s,
    const struct bk_digest_alg *alg, const unsigned char *md,
    const char *name)
{
	char hex[2 * BK_DIGEST_MAX + 1];
	int esc = needs_escape(name);

	bk_hex(hex, md, alg->len);
	if (esc)
		line_str(l, "\\");
	if (s->tag) {
		line_str(l, alg->tag);
		line_str(l, " (");
		line_name(l, name, esc);
		line_str(l, ") = ");
		line_str(l, hex);
	} else {
		line_str(l, hex);
		line_str(l, "  ");
		line_name(l, name, esc);
	}
	line_str(l, "\n");
}

static int
requested(const struct sum *s, const struct bk_digest_alg *alg)
{
	size_t i;

	for (i = 0; i < s->nalgs; i++)
		if (s->algs[i] == alg)
			return 1;
	return 0;
}

static void
add_alg(struct sum *s, const char *name)
{
	const struct bk_digest_alg *alg;

	if ((alg = bk_digest_lookup(name)) == NULL)
		bk_usage_error("unknown algorithm \"%s\" (sha256, sha512, "
		    "sha1, md5, sha3-256, blake2b512)", name);
	if (requested(s, alg))
		bk_usage_error("algorithm \"%s\" given twice", name);
	if (s->nalgs == MAX_ALGS)
		bk_usage_error("too many algorithms");
	s->algs[s->nalgs++] = alg;
	s->explicit_algs = 1;
}

static const char optstring[] = "cfho:Pqv";

static const struct option longopts[] = {
	{ "algorithm",	required_argument,	NULL, OPT_ALGORITHM },
	{ "check",	no_argument,		NULL, 'c' },
	{ "force",	no_argument,		NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "progress",	no_argument,		NULL, 'P' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "tag",	no_argument,		NULL, OPT_TAG },
	{ "tee",	no_argument,		NULL, OPT_TEE },
	{ "name",	required_argument,	NULL, OPT_NAME },
	{ "digest-to",	required_argument,	NULL, OPT_DIGEST_TO },
	{ "status",	no_argument,		NULL, OPT_STATUS },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 }
};

/* -c and --tee: one mode, whichever comes first refusing the other. */
static void
set_mode(struct sum *s, enum mode m)
{
	if (s->mode != MODE_DIGEST && s->mode != m)
		bk_usage_error("-c and --tee exclude each other");
	s->mode = m;
}

/* The options into s, and the verbosity set; returns optind. */
static int
parse_options(struct sum *s, int argc, char *argv[])
{
	int ch, verbosity = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_ALGORITHM:
			add_alg(s, optarg);
			break;
		case 'c':
			set_mode(s, MODE_CHECK);
			break;
		case 'f':
			s->force = 1;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'o':
			s->output = optarg;
			break;
		case 'P':
			s->progress = 1;
			break;
		case 'q':
			s->quiet = 1;
			verbosity = -1;
			break;
		case 'v':
			verbosity = 1;
			break;
		case OPT_TAG:
			s->tag = 1;
			break;
		case OPT_TEE:
			set_mode(s, MODE_TEE);
			break;
		case OPT_NAME:
			s->name = optarg;
			break;
		case OPT_DIGEST_TO:
			s->digest_to = optarg;
			break;
		case OPT_STATUS:
			s->status = 1;
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	bk_set_verbosity(verbosity);
	return optind;
}

/* What the mode refuses; argc counts the operands. */
static void
check_options(const struct sum *s, int argc)
{
	if (s->mode != MODE_CHECK && s->status)
		bk_usage_error("--status applies only to -c");
	if (s->mode == MODE_CHECK && (s->tag || s->output != NULL ||
	    s->force))
		bk_usage_error("-c takes none of --tag, -o, -f");
	if (s->mode != MODE_TEE && (s->name != NULL || s->digest_to != NULL))
		bk_usage_error("--name and --digest-to apply only to --tee");
	if (s->mode == MODE_TEE && argc > 0)
		bk_usage_error("--tee reads standard input only");
}

/* Runs the mode and says, with -v, what it did. */
static int
run(struct sum *s, int argc, char *argv[])
{
	int code;

	if (s->nalgs == 0)
		s->algs[s->nalgs++] = bk_digest_lookup("sha256");
	if (s->mode != MODE_TEE)
		s->buf = bk_malloc(BUF_SIZE);
	switch (s->mode) {
	case MODE_CHECK:
		code = check_lists(s, argc, argv);
		break;
	case MODE_TEE:
		code = sum_tee(s);
		break;
	default:
		code = sum_files(s, argc, argv);
		break;
	}
	if (s->mode == MODE_CHECK)
		bk_info("%ju file%s checked, %ju failed",
		    (uintmax_t)s->nchecked, s->nchecked == 1 ? "" : "s",
		    (uintmax_t)s->nfailed);
	else
		bk_info("%ju file%s, %ju bytes digested", (uintmax_t)s->nfiles,
		    s->nfiles == 1 ? "" : "s", (uintmax_t)s->nbytes);
	free(s->buf);
	return code;
}

int
main(int argc, char *argv[])
{
	struct sum s;
	int n;

	bk_init(argc, argv);
	memset(&s, 0, sizeof(s));
	s.mode = MODE_DIGEST;
	n = parse_options(&s, argc, argv);
	check_options(&s, argc - n);
	return bk_finish(run(&s, argc - n, argv + n));
}
