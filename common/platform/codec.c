/*
 * codec.c: the command line and the run of the compressors, bk-gz and
 * bk-zstd, which take the same options, refuse the same combinations and
 * say the same things; each tool brings its usage, its levels and its
 * compress and decompress functions.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "platform/platform.h"

enum { OPT_VERSION = CHAR_MAX + 1, OPT_FAST, OPT_BEST, OPT_LEVEL };

static const char optstring[] = ":123456789cdfhj:o:Pqtv";

static const struct option longopts[] = {
	{ "stdout",	no_argument,		NULL, 'c' },
	{ "decompress",	no_argument,		NULL, 'd' },
	{ "force",	no_argument,		NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "progress",	no_argument,		NULL, 'P' },
	{ "threads",	required_argument,	NULL, 'j' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "test",	no_argument,		NULL, 't' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "fast",	no_argument,		NULL, OPT_FAST },
	{ "best",	no_argument,		NULL, OPT_BEST },
	{ "level",	required_argument,	NULL, OPT_LEVEL },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 }
};

static long
online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > BK_MAX_THREADS ? BK_MAX_THREADS : n;
}

static int
parse_level(const char *s, int max)
{
	long long v;

	if (bk_parse_number(s, 1, max, &v) < 0)
		bk_usage_error("invalid level \"%s\" (1 to %d)", s, max);
	return (int)v;
}

/*
 * getopt takes -19 for -1 -9.  So, where the levels have two digits, an
 * argument of a dash and two or more digits becomes --level=NN before
 * getopt sees it, unless it is the argument of the option before it
 * (-o -19 names a file).  argv is rewritten in place, with strings that
 * live as long as the program.
 */
static void
rewrite_levels(int argc, char *argv[])
{
	size_t len;
	char *arg;
	int i;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--") == 0)
			return;
		if (strcmp(arg, "--output") == 0 ||
		    strcmp(arg, "--threads") == 0 ||
		    strcmp(arg, "--level") == 0) {
			i++;
			continue;
		}
		if (arg[0] != '-' || arg[1] == '-' || arg[1] == '\0')
			continue;
		len = strspn(arg + 1, "0123456789");
		if (len >= 2 && arg[1 + len] == '\0') {
			argv[i] = bk_asprintf("--level=%s", arg + 1);
			continue;
		}
		/* A cluster ending in -o or -j takes the next argument. */
		len = strcspn(arg + 1, "oj");
		if (arg[1 + len] != '\0' && arg[2 + len] == '\0')
			i++;
	}
}

/*
 * The combinations the line refuses end here (-c, -d and -t are flags of
 * the line only).
 */
void
bk_codec_options(struct bk_codec *c, int argc, char *argv[])
{
	int ch, to_stdout = 0, verbosity = 0, decompress = 0, test = 0;

	c->threads = online_cpus();
	if (c->level_max >= 10)
		rewrite_levels(argc, argv);
	/* getopt's own messages would not look like bk's. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case '1': case '2': case '3': case '4': case '5':
		case '6': case '7': case '8': case '9':
			c->level = ch - '0';
			break;
		case 'c':
			to_stdout = 1;
			break;
		case 'd':
			decompress = 1;
			break;
		case 'f':
			c->force = 1;
			break;
		case 'h':
			bk_print_usage(c->usage);
		case 'o':
			c->output = optarg;
			break;
		case 'P':
			c->progress = 1;
			break;
		case 'j':
			c->threads = bk_parse_threads(optarg);
			break;
		case 'q':
			verbosity = -1;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			verbosity = 1;
			break;
		case OPT_FAST:
			c->level = 1;
			break;
		case OPT_BEST:
			c->level = c->level_max;
			break;
		case OPT_LEVEL:
			c->level = parse_level(optarg, c->level_max);
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
		bk_usage_error("one input file at most");
	if (decompress && test)
		bk_usage_error("-d and -t exclude each other");
	if (to_stdout && c->output != NULL)
		bk_usage_error("-c and -o exclude each other");
	if (test && c->output != NULL)
		bk_usage_error("-t writes no output: -o makes no sense");
	c->mode = test ? BK_CODEC_TEST : decompress ? BK_CODEC_DECOMPRESS :
	    BK_CODEC_COMPRESS;
	c->input = argc == 1 ? argv[0] : NULL;
	bk_set_verbosity(verbosity);
}

int
bk_codec_run(struct bk_codec *c)
{
	struct stat st;
	char level[32];

	c->infd = bk_open_input(c->input);
	bk_progress_init(&c->meter, c->progress, bk_input_name(c->input),
	    fstat(c->infd, &st) == 0 && S_ISREG(st.st_mode) ?
	    (uint64_t)st.st_size : 0);
	if (c->mode != BK_CODEC_TEST)
		bk_out_open(&c->out, c->output, (c->force ? BK_OUT_FORCE : 0) |
		    (c->mode == BK_CODEC_COMPRESS ? BK_OUT_BINARY : 0));
	if (c->mode == BK_CODEC_COMPRESS)
		c->compress(c);
	else
		c->decompress(c);
	if (c->mode != BK_CODEC_TEST)
		bk_out_commit(&c->out);
	bk_progress_end(&c->meter);
	level[0] = '\0';
	if (c->say_level)
		snprintf(level, sizeof(level), "level %d, ", c->level);
	if (c->mode == BK_CODEC_COMPRESS)
		bk_info("\"%s\": %ju -> %ju bytes (%.1f%%), %s%ld thread%s",
		    bk_input_name(c->input), (uintmax_t)c->in_bytes,
		    (uintmax_t)c->out_bytes, c->in_bytes > 0 ? 100.0 *
		    (double)c->out_bytes / (double)c->in_bytes : 0.0, level,
		    c->threads, c->threads == 1 ? "" : "s");
	else if (c->mode == BK_CODEC_DECOMPRESS)
		bk_info("\"%s\": %ju -> %ju bytes", bk_input_name(c->input),
		    (uintmax_t)c->in_bytes, (uintmax_t)c->out_bytes);
	return BK_EX_OK;
}
