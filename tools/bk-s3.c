/*
 * bk-s3: copy a stream to and from S3-compatible object storage.
 *
 * put uploads a stream (tools/s3/put.c), get downloads an object and
 * checks it on the way (get.c), ls lists keys across pages (ls.c), head
 * shows what the store knows of an object and rm removes one
 * (object.c).  Requests are signed by bk's own SigV4 signer (sigv4.c)
 * and sent through libcurl (http.c); replies are read by a strict small
 * XML reader (xml.c).  Configuration comes from the environment and the
 * AWS credentials file, as the aws command line reads them (config.c);
 * secrets never from the command line.  This file reads the command
 * line and dispatches.
 */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "s3/s3.h"

#define PART_DEFAULT	(16 * 1024 * 1024)
#define PART_MIN	(5 * 1024 * 1024)		/* S3's least */
#define PART_MAX	((uint64_t)5 * 1024 * 1024 * 1024)

static const char usage[] =
    "usage: bk-s3 put [-fqv] [--endpoint url] [-m manifest] "
    "[--part-size size]\n"
    "                 [--retries n] [--retry-time duration] "
    "[--timeout duration]\n"
    "                 s3://bucket/key [file]\n"
    "       bk-s3 get [-fqv] [--endpoint url] [-o file] [--retries n]\n"
    "                 [--retry-time duration] [--timeout duration] "
    "s3://bucket/key\n"
    "       bk-s3 ls [-qv] [--endpoint url] [--json] [--page-size n]\n"
    "                [--retries n] [--retry-time duration] "
    "[--timeout duration]\n"
    "                s3://bucket[/prefix]\n"
    "       bk-s3 head [-qv] [--endpoint url] [--retries n] "
    "[--retry-time duration]\n"
    "                  [--timeout duration] s3://bucket/key\n"
    "       bk-s3 rm [-qv] [--endpoint url] [--retries n] "
    "[--retry-time duration]\n"
    "                [--timeout duration] s3://bucket/key\n";

static const struct {
	const char	*name;
	int		(*run)(struct s3 *, const struct s3_opts *);
	int		 args;		/* most operands after the URL */
} commands[] = {
	{ "put",	s3_cmd_put,	1 },
	{ "get",	s3_cmd_get,	0 },
	{ "ls",		s3_cmd_ls,	0 },
	{ "head",	s3_cmd_head,	0 },
	{ "rm",		s3_cmd_rm,	0 },
};

enum { OPT_VERSION = CHAR_MAX + 1, OPT_ENDPOINT, OPT_JSON, OPT_PAGE_SIZE,
	OPT_PART_SIZE, OPT_RETRIES, OPT_RETRY_TIME, OPT_TIMEOUT };

/* Options given that only some commands take, to check once it is known. */
struct given {
	int	part_size;
	int	page_size;
};

static int
parse_options(struct s3_opts *o, struct given *g, int argc, char *argv[])
{
	static const char optstring[] = ":fhm:o:qv";
	static const struct option longopts[] = {
		{ "force",	no_argument,		NULL, 'f' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "manifest",	required_argument,	NULL, 'm' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "endpoint",	required_argument,	NULL, OPT_ENDPOINT },
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "page-size",	required_argument,	NULL, OPT_PAGE_SIZE },
		{ "part-size",	required_argument,	NULL, OPT_PART_SIZE },
		{ "retries",	required_argument,	NULL, OPT_RETRIES },
		{ "retry-time",	required_argument,	NULL, OPT_RETRY_TIME },
		{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
		{ "version",	no_argument,		NULL, OPT_VERSION },
		{ NULL,		0,			NULL, 0 }
	};
	long long n;
	int c;

	o->part_size = PART_DEFAULT;
	o->retries = -1;
	o->retry_time = S3_RETRY_TIME;
	o->timeout = S3_TIMEOUT;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->force = 1;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'm':
			o->manifest = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case 'v':
			o->verbosity++;
			break;
		case OPT_ENDPOINT:
			o->endpoint = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_PAGE_SIZE:
			if (bk_parse_number(optarg, 1, 1000, &n) == -1)
				bk_usage_error("bad page size \"%s\" (1 to "
				    "1000)", optarg);
			o->page_size = (unsigned)n;
			g->page_size = 1;
			break;
		case OPT_PART_SIZE:
			if (bk_parse_size(optarg, &o->part_size) == -1 ||
			    o->part_size < PART_MIN || o->part_size > PART_MAX)
				bk_usage_error("bad part size \"%s\" (5M to 5G)",
				    optarg);
			g->part_size = 1;
			break;
		case OPT_RETRIES:
			if (bk_parse_number(optarg, 0, 1000, &n) == -1)
				bk_usage_error("bad number of retries \"%s\" "
				    "(0 to 1000)", optarg);
			o->retries = (int)n;
			break;
		case OPT_RETRY_TIME:
			if (bk_parse_duration(optarg, &o->retry_time) == -1 ||
			    o->retry_time > 7 * 86400)
				bk_usage_error("bad retry time \"%s\" (a "
				    "duration: 0 to 1w)", optarg);
			break;
		case OPT_TIMEOUT:
			if (bk_parse_duration(optarg, &o->timeout) == -1 ||
			    o->timeout < 1 || o->timeout > 86400)
				bk_usage_error("bad timeout \"%s\" (a duration: "
				    "1s to 1d)", optarg);
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	return optind;
}

/* The command's index in commands[]; operands and options checked. */
static size_t
check_command(struct s3_opts *o, const struct given *g, int argc,
    char *argv[])
{
	size_t i;

	if (argc == 0)
		bk_usage_error("no command (put, get, ls, head or rm)");
	o->command = argv[0];
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, o->command) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		bk_usage_error("unknown command \"%s\" (put, get, ls, head or "
		    "rm)", o->command);
	if (argc < 2)
		bk_usage_error("%s needs an S3 URL (s3://bucket/%s)", o->command,
		    strcmp(o->command, "ls") == 0 ? "prefix" : "key");
	o->url = argv[1];
	if (argc > 2 + commands[i].args)
		bk_usage_error("too many arguments for %s", o->command);
	if (argc == 3)
		o->input = argv[2];
	if (o->manifest != NULL && strcmp(o->command, "put") != 0)
		bk_usage_error("-m is for put");
	if (o->manifest != NULL && (o->input == NULL ||
	    strcmp(o->input, "-") == 0))
		bk_usage_error("-m needs the file to upload, not standard input");
	if (o->output != NULL && strcmp(o->command, "get") != 0)
		bk_usage_error("-o is for get");
	if (o->force && strcmp(o->command, "put") != 0 &&
	    strcmp(o->command, "get") != 0)
		bk_usage_error("-f is for put and get");
	if (g->part_size && strcmp(o->command, "put") != 0)
		bk_usage_error("--part-size is for put");
	if ((g->page_size || o->json) && strcmp(o->command, "ls") != 0)
		bk_usage_error("%s is for ls", o->json ? "--json" :
		    "--page-size");
	s3_parse_url(o, strcmp(o->command, "ls") == 0);
	return i;
}

int
main(int argc, char *argv[])
{
	struct s3_opts o;
	struct given g;
	struct s3 s3;
	size_t cmd;
	int code, n;

	bk_init(argc, argv);
	memset(&o, 0, sizeof(o));
	memset(&g, 0, sizeof(g));
	n = parse_options(&o, &g, argc, argv);
	cmd = check_command(&o, &g, argc - n, argv + n);
	bk_set_verbosity(o.verbosity);
	s3_configure(&s3, &o);
	s3_open(&s3, &o);
	code = commands[cmd].run(&s3, &o);
	s3_close(&s3);
	free(o.bucket);
	free(o.key);
	return bk_finish(code);
}
