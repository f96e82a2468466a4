/*
 * bk-s3: copy a stream to and from S3-compatible object storage.
 *
 * put uploads a stream (tools/s3/put.c), get downloads an object and
 * checks it on the way (get.c), ls lists keys across pages (ls.c), head
 * shows what the store knows of an object and rm removes one
 * (object.c); cleanup aborts the multipart uploads left behind
 * (cleanup.c).  Requests are signed by bk's own SigV4 signer (sigv4.c)
 * and sent through libcurl (http.c); replies are read by a strict small
 * XML reader (xml.c).  Configuration comes from the environment and the
 * AWS credentials and config files, as the aws command line reads them
 * (config.c);
 * secrets never from the command line.  This file reads the command
 * line and dispatches.
 */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "format/format.h"
#include "s3/s3.h"

#define MiB		((uint64_t)1024 * 1024)
#define PART_DEFAULT	(16 * MiB)
#define PART_MIN	(5 * MiB)		/* S3's least */
#define PART_MAX	(5 * 1024 * MiB)

static const char usage[] =
    "usage: bk-s3 put [-fPqv] [--endpoint url] [-m manifest] "
    "[--expected-size size]\n"
    "                 [--lock-for duration | --lock-until date] "
    "[--lock-mode mode]\n"
    "                 [--max-parts n] [--part-size size] [--retries n]\n"
    "                 [--retry-time duration] [--sse type] "
    "[--sse-kms-key-id id]\n"
    "                 [--storage-class class] [--timeout duration]\n"
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
    "                [--timeout duration] s3://bucket/key\n"
    "       bk-s3 cleanup [-nqv] [--endpoint url] --older-than duration\n"
    "                     [--page-size n] [--retries n] "
    "[--retry-time duration]\n"
    "                     [--timeout duration] s3://bucket[/prefix]\n";

static const struct {
	const char	*name;
	int		(*run)(struct s3 *, const struct s3_opts *);
	int		 args;		/* most operands after the URL */
	int		 prefix;	/* the URL names a prefix, not a key */
} commands[] = {
	{ "put",	s3_cmd_put,	1, 0 },
	{ "get",	s3_cmd_get,	0, 0 },
	{ "ls",		s3_cmd_ls,	0, 1 },
	{ "head",	s3_cmd_head,	0, 0 },
	{ "rm",		s3_cmd_rm,	0, 0 },
	{ "cleanup",	s3_cmd_cleanup,	0, 1 },
};

enum { OPT_VERSION = CHAR_MAX + 1, OPT_ENDPOINT, OPT_EXPECTED_SIZE, OPT_JSON,
	OPT_LOCK_FOR, OPT_LOCK_MODE, OPT_LOCK_UNTIL, OPT_MAX_PARTS,
	OPT_OLDER_THAN, OPT_PAGE_SIZE, OPT_PART_SIZE, OPT_RETRIES,
	OPT_RETRY_TIME, OPT_SSE, OPT_SSE_KMS_KEY_ID, OPT_STORAGE_CLASS,
	OPT_TIMEOUT };

/*
 * Options given that only some commands take, to check once the command
 * is known: the last one of each kind, as written.
 */
struct given {
	const char	*put;		/* an option of put only */
	const char	*page;		/* --page-size: ls and cleanup */
	const char	*ls;		/* --json */
	const char	*cleanup;	/* -n */
	const char	*part_size;	/* the arguments, as written */
	const char	*expected_size;
	const char	*lock_for;
	const char	*lock_until;
	const char	*lock_mode;
};

/*
 * A word for a header: 1 to max letters, digits and _ - . : /, or a
 * usage error (that does not echo it: it may hold any byte).
 */
static const char *
word(const char *what, const char *v, size_t max)
{
	size_t n = strlen(v);

	if (n == 0 || n > max || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_-.:/") != n)
		bk_usage_error("bad %s (1 to %zu letters, digits and _-.:/)",
		    what, max);
	return v;
}

static int
parse_options(struct s3_opts *o, struct given *g, int argc, char *argv[])
{
	static const char optstring[] = ":fhm:no:Pqv";
	static const struct option longopts[] = {
		{ "force",	no_argument,		NULL, 'f' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "manifest",	required_argument,	NULL, 'm' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "progress",	no_argument,		NULL, 'P' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "endpoint",	required_argument,	NULL, OPT_ENDPOINT },
		{ "expected-size", required_argument,	NULL, OPT_EXPECTED_SIZE },
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "lock-for",	required_argument,	NULL, OPT_LOCK_FOR },
		{ "lock-mode",	required_argument,	NULL, OPT_LOCK_MODE },
		{ "lock-until",	required_argument,	NULL, OPT_LOCK_UNTIL },
		{ "max-parts",	required_argument,	NULL, OPT_MAX_PARTS },
		{ "older-than",	required_argument,	NULL, OPT_OLDER_THAN },
		{ "page-size",	required_argument,	NULL, OPT_PAGE_SIZE },
		{ "part-size",	required_argument,	NULL, OPT_PART_SIZE },
		{ "retries",	required_argument,	NULL, OPT_RETRIES },
		{ "retry-time",	required_argument,	NULL, OPT_RETRY_TIME },
		{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
		{ "sse",	required_argument,	NULL, OPT_SSE },
		{ "sse-kms-key-id", required_argument,	NULL, OPT_SSE_KMS_KEY_ID },
		{ "storage-class", required_argument,	NULL, OPT_STORAGE_CLASS },
		{ "version",	no_argument,		NULL, OPT_VERSION },
		{ NULL,		0,			NULL, 0 }
	};
	long long n;
	int64_t d;
	long off;
	int c;

	o->part_size = PART_DEFAULT;
	o->max_parts = S3_MAX_PARTS;
	o->older_than = -1;
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
		case 'n':
			o->dry_run = 1;
			g->cleanup = "-n";
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'P':
			o->progress = 1;
			g->put = "-P";
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
		case OPT_EXPECTED_SIZE:
			if (bk_parse_size(optarg, &o->expected_size) == -1)
				bk_usage_error("bad expected size \"%s\"",
				    optarg);
			g->expected_size = optarg;
			g->put = "--expected-size";
			break;
		case OPT_JSON:
			o->json = 1;
			g->ls = "--json";
			break;
		case OPT_LOCK_FOR:
			if (bk_parse_duration(optarg, &d) == -1 || d <= 0 ||
			    d > 100 * 365 * 86400LL)
				bk_usage_error("bad lock duration \"%s\" (1s to "
				    "100y)", optarg);
			o->lock_until = time(NULL) + (time_t)d;
			g->put = g->lock_for = "--lock-for";
			break;
		case OPT_LOCK_MODE:
			if (strcasecmp(optarg, "compliance") == 0)
				o->lock_mode = "COMPLIANCE";
			else if (strcasecmp(optarg, "governance") == 0)
				o->lock_mode = "GOVERNANCE";
			else
				bk_usage_error("bad lock mode \"%s\" (compliance "
				    "or governance)", optarg);
			g->put = g->lock_mode = "--lock-mode";
			break;
		case OPT_LOCK_UNTIL:
			if (bk_parse_date(optarg, &o->lock_until, &off) == -1)
				bk_usage_error("bad lock date \"%s\"", optarg);
			if (o->lock_until <= time(NULL))
				bk_usage_error("lock date \"%s\" is not in the "
				    "future", optarg);
			g->put = g->lock_until = "--lock-until";
			break;
		case OPT_MAX_PARTS:
			if (bk_parse_number(optarg, 1, S3_MAX_PARTS, &n) == -1)
				bk_usage_error("bad number of parts \"%s\" (1 to "
				    "%d)", optarg, S3_MAX_PARTS);
			o->max_parts = (unsigned)n;
			g->put = "--max-parts";
			break;
		case OPT_OLDER_THAN:
			if (bk_parse_duration(optarg, &o->older_than) == -1)
				bk_usage_error("bad duration \"%s\" (30d, 12h, "
				    "0s...)", optarg);
			break;
		case OPT_PAGE_SIZE:
			if (bk_parse_number(optarg, 1, 1000, &n) == -1)
				bk_usage_error("bad page size \"%s\" (1 to "
				    "1000)", optarg);
			o->page_size = (unsigned)n;
			g->page = "--page-size";
			break;
		case OPT_PART_SIZE:
			if (bk_parse_size(optarg, &o->part_size) == -1 ||
			    o->part_size < PART_MIN || o->part_size > PART_MAX)
				bk_usage_error("bad part size \"%s\" (5M to 5G)",
				    optarg);
			g->part_size = optarg;
			g->put = "--part-size";
			break;
		case OPT_SSE:
			if (strcasecmp(optarg, "aes256") == 0)
				o->sse = "AES256";
			else if (strcmp(optarg, "aws:kms") == 0)
				o->sse = "aws:kms";
			else
				bk_usage_error("bad encryption \"%s\" (aes256 or "
				    "aws:kms)", optarg);
			g->put = "--sse";
			break;
		case OPT_SSE_KMS_KEY_ID:
			o->sse_kms_key_id = word("KMS key id", optarg, 2048);
			g->put = "--sse-kms-key-id";
			break;
		case OPT_STORAGE_CLASS:
			o->storage_class = word("storage class", optarg, 64);
			g->put = "--storage-class";
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

/* put's options that go together, and the part size they make. */
static void
check_put(struct s3_opts *o, const struct given *g)
{
	uint64_t want;

	if (g->lock_for != NULL && g->lock_until != NULL)
		bk_usage_error("--lock-for and --lock-until exclude each other");
	if (g->lock_mode != NULL && o->lock_until == 0)
		bk_usage_error("--lock-mode needs --lock-for or --lock-until");
	if (o->lock_until != 0 && o->lock_mode == NULL)
		o->lock_mode = "COMPLIANCE";
	if (o->sse_kms_key_id != NULL && (o->sse == NULL ||
	    strcmp(o->sse, "aws:kms") != 0))
		bk_usage_error("--sse-kms-key-id needs --sse aws:kms");
	if (o->expected_size == 0)
		return;
	if ((want = s3_part_size_for(o->expected_size, o->max_parts,
	    PART_MIN)) == 0)
		bk_usage_error("--expected-size %s needs parts over 5G in %u "
		    "parts", g->expected_size, o->max_parts);
	if (g->part_size != NULL && want > o->part_size)
		bk_usage_error("--part-size %s in %u parts holds less than "
		    "--expected-size %s", g->part_size, o->max_parts,
		    g->expected_size);
	if (want > o->part_size)
		o->part_size = want;
}

/* The command's index in commands[]; operands and options checked. */
static size_t
check_command(struct s3_opts *o, const struct given *g, int argc,
    char *argv[])
{
	size_t i;
	int put;

	if (argc == 0)
		bk_usage_error("no command (put, get, ls, head, rm or "
		    "cleanup)");
	o->command = argv[0];
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, o->command) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		bk_usage_error("unknown command \"%s\" (put, get, ls, head, rm "
		    "or cleanup)", o->command);
	if (argc < 2)
		bk_usage_error("%s needs an S3 URL (s3://bucket/%s)", o->command,
		    commands[i].prefix ? "prefix" : "key");
	o->url = argv[1];
	if (argc > 2 + commands[i].args)
		bk_usage_error("too many arguments for %s", o->command);
	if (argc == 3)
		o->input = argv[2];
	put = strcmp(o->command, "put") == 0;
	if (o->manifest != NULL && !put)
		bk_usage_error("-m is for put");
	if (o->manifest != NULL && (o->input == NULL ||
	    strcmp(o->input, "-") == 0))
		bk_usage_error("-m needs the file to upload, not standard input");
	if (o->output != NULL && strcmp(o->command, "get") != 0)
		bk_usage_error("-o is for get");
	if (o->force && !put && strcmp(o->command, "get") != 0)
		bk_usage_error("-f is for put and get");
	if (g->put != NULL && !put)
		bk_usage_error("%s is for put", g->put);
	if (g->ls != NULL && strcmp(o->command, "ls") != 0)
		bk_usage_error("%s is for ls", g->ls);
	if (g->page != NULL && !commands[i].prefix)
		bk_usage_error("%s is for ls and cleanup", g->page);
	if ((g->cleanup != NULL || o->older_than != -1) &&
	    strcmp(o->command, "cleanup") != 0)
		bk_usage_error("%s is for cleanup", g->cleanup != NULL ?
		    g->cleanup : "--older-than");
	if (strcmp(o->command, "cleanup") == 0 && o->older_than == -1)
		bk_usage_error("cleanup needs --older-than (0s for every "
		    "upload)");
	if (put)
		check_put(o, g);
	s3_parse_url(o, commands[i].prefix);
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
