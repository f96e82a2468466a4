/*
 * bk-s3: copy a stream to and from S3-compatible object storage.
 *
 * put uploads a stream (tools/s3/put.c), get downloads an object and
 * checks it on the way, ls lists keys across pages, head shows what the
 * store knows of an object, rm removes one.  Requests are signed by
 * bk's own SigV4 signer (tools/s3/sigv4.c) and sent through libcurl
 * (tools/s3/http.c); replies are read by a strict small XML reader
 * (tools/s3/xml.c).  Configuration comes from the environment and the
 * AWS credentials file, as the aws command line reads them; secrets
 * never from the command line.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "format/format.h"
#include "s3/s3.h"

#define PART_DEFAULT	(16 * 1024 * 1024)
#define PART_MIN	(5 * 1024 * 1024)		/* S3's least */
#define PART_MAX	((uint64_t)5 * 1024 * 1024 * 1024)
#define KEY_MAX		1024				/* bytes, S3's limit */

static const char usage[] =
    "usage: bk-s3 put [-fqv] [--endpoint url] [--part-size size] "
    "s3://bucket/key [file]\n"
    "       bk-s3 get [-fqv] [--endpoint url] [-o file] s3://bucket/key\n"
    "       bk-s3 ls [-qv] [--endpoint url] [--json] [--page-size n] "
    "s3://bucket[/prefix]\n"
    "       bk-s3 head [-qv] [--endpoint url] s3://bucket/key\n"
    "       bk-s3 rm [-qv] [--endpoint url] s3://bucket/key\n";

struct opts {
	const char	*command;
	const char	*url;
	const char	*input;		/* put: NULL for stdin */
	const char	*output;	/* get: NULL for stdout */
	const char	*endpoint;
	uint64_t	 part_size;
	unsigned	 page_size;	/* 0: the store's default */
	int		 force;
	int		 json;
	int		 verbosity;
	char		*bucket;
	char		*key;
};

/* ---- configuration ---- */

/*
 * The value of name in section [profile] of an INI file as the aws
 * command line writes ~/.aws/credentials (malloc'd), or NULL.
 */
static char *
ini_value(const char *path, const char *profile, const char *name)
{
	FILE *fp;
	char *line = NULL, *p, *e, *v = NULL;
	size_t cap = 0, n;
	int in = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	while (v == NULL && getline(&line, &cap, fp) != -1) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '#' || *p == ';' || *p == '\0')
			continue;
		if (*p == '[') {
			e = strchr(p, ']');
			if (e != NULL) {
				*e = '\0';
				in = strcmp(p + 1, profile) == 0;
			}
			continue;
		}
		if (!in || (e = strchr(p, '=')) == NULL)
			continue;
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n != strlen(name) || strncmp(p, name, n) != 0)
			continue;
		for (e++; *e == ' ' || *e == '\t'; e++)
			;
		n = strlen(e);
		while (n > 0 && (e[n - 1] == ' ' || e[n - 1] == '\t'))
			e[--n] = '\0';
		v = bk_strdup(e);
	}
	if (line != NULL) {
		bk_explicit_bzero(line, cap);
		free(line);
	}
	fclose(fp);
	return v;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static void
credentials(struct s3 *s3)
{
	const char *id = env("AWS_ACCESS_KEY_ID");
	const char *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *profile, *file, *home;
	char *path = NULL;

	if (id != NULL && secret != NULL) {
		s3->access_key = bk_strdup(id);
		s3->secret_key = bk_strdup(secret);
		if (env("AWS_SESSION_TOKEN") != NULL)
			s3->token = bk_strdup(env("AWS_SESSION_TOKEN"));
		return;
	}
	if (id != NULL || secret != NULL)
		bk_errx(BK_EX_CONFIG, "AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY go together: one is not set");
	profile = env("AWS_PROFILE") != NULL ? env("AWS_PROFILE") : "default";
	if ((file = env("AWS_SHARED_CREDENTIALS_FILE")) == NULL &&
	    (home = env("HOME")) != NULL)
		file = path = bk_asprintf("%s/.aws/credentials", home);
	if (file != NULL) {
		s3->access_key = ini_value(file, profile, "aws_access_key_id");
		s3->secret_key = ini_value(file, profile,
		    "aws_secret_access_key");
		s3->token = ini_value(file, profile, "aws_session_token");
	}
	free(path);
	if (s3->access_key == NULL || s3->secret_key == NULL)
		bk_errx(BK_EX_CONFIG, "no credentials: set AWS_ACCESS_KEY_ID "
		    "and AWS_SECRET_ACCESS_KEY, or profile \"%s\" in the "
		    "credentials file", profile);
}

/*
 * The endpoint: scheme http or https, a host, maybe a port, nothing
 * after but '/'.  A custom endpoint is addressed path-style
 * (/BUCKET/KEY), as radosgw, MinIO and most other stores want; AWS itself
 * virtual-hosted (BUCKET.s3.REGION.amazonaws.com), but for bucket names
 * that a host name cannot carry.
 */
static void
endpoint(struct s3 *s3, const struct opts *o)
{
	const char *e = o->endpoint, *h, *end;
	int from_env = 0;
	size_t n;

	if (e == NULL && (e = env("AWS_ENDPOINT_URL_S3")) == NULL &&
	    (e = env("AWS_ENDPOINT_URL")) != NULL)
		from_env = 1;
	else if (e != NULL && o->endpoint == NULL)
		from_env = 1;
	if (e == NULL) {
		s3->host = bk_asprintf("s3.%s.amazonaws.com", s3->region);
		s3->endpoint = bk_asprintf("https://%s", s3->host);
		s3->path_style = strchr(o->bucket, '.') != NULL ||
		    strpbrk(o->bucket, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != NULL;
		return;
	}
	if (strncmp(e, "http://", 7) == 0)
		h = e + 7;
	else if (strncmp(e, "https://", 8) == 0)
		h = e + 8;
	else
		h = NULL;
	end = h != NULL ? h + strcspn(h, "/?#@") : NULL;
	if (h == NULL || end == h || (*end != '\0' && strcmp(end, "/") != 0)) {
		if (from_env)
			bk_errx(BK_EX_CONFIG, "bad endpoint in the environment "
			    "(http:// or https://, a host, maybe a port)");
		bk_usage_error("bad endpoint \"%s\" (http:// or https://, a "
		    "host, maybe a port)", e);
	}
	n = (size_t)(end - e);
	s3->endpoint = bk_malloc(n + 1);
	memcpy(s3->endpoint, e, n);
	s3->endpoint[n] = '\0';
	s3->host = bk_strdup(s3->endpoint + (h - e));
	s3->path_style = 1;
}

/*
 * Splits s3://BUCKET/KEY.  A bucket is 1 to 255 of A-Z a-z 0-9 . _ -
 * (AWS wants fewer; other stores allow these); a key is UTF-8, at most
 * 1024 bytes, and required unless prefix_ok.
 */
static void
parse_url(struct opts *o, int prefix_ok)
{
	const char *u = o->url, *b, *slash;
	size_t n;

	if (strncmp(u, "s3://", 5) != 0)
		bk_usage_error("not an S3 URL (s3://bucket/key): \"%s\"", u);
	b = u + 5;
	slash = strchr(b, '/');
	n = slash != NULL ? (size_t)(slash - b) : strlen(b);
	if (n == 0 || n > 255 || strspn(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") < n)
		bk_usage_error("bad bucket name in \"%s\"", u);
	o->bucket = bk_malloc(n + 1);
	memcpy(o->bucket, b, n);
	o->bucket[n] = '\0';
	o->key = bk_strdup(slash != NULL ? slash + 1 : "");
	if (o->key[0] == '\0' && !prefix_ok)
		bk_usage_error("no key in \"%s\" (s3://bucket/key)", u);
	if (strlen(o->key) > KEY_MAX)
		bk_usage_error("key longer than %d bytes", KEY_MAX);
	if (!bk_utf8_valid(o->key, strlen(o->key)) ||
	    strchr(o->key, '\0') != o->key + strlen(o->key))
		bk_usage_error("the key is not UTF-8");
}

static void
on_signal(int sig)
{
	s3_signal = sig;
}

static void
catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		/* A signal ignored by whoever started us stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

/* ---- put ---- */

static int
cmd_put(struct s3 *s3, struct opts *o)
{
	struct s3_put p;
	char *name;

	memset(&p, 0, sizeof(p));
	p.bucket = o->bucket;
	p.key = o->key;
	p.input = o->input;
	p.fd = bk_open_input(o->input);
	p.part_size = (size_t)o->part_size;
	p.force = o->force;
	catch_signals();
	s3_put_stream(s3, &p);
	if (p.fd != STDIN_FILENO)
		close(p.fd);
	name = s3_name(o->bucket, o->key);
	printf("%s  %s\n", p.sha256, name);
	if (p.parts == 0)
		bk_info("\"%s\": %ju bytes in one request", name,
		    (uintmax_t)p.size);
	else
		bk_info("\"%s\": %ju bytes in %u parts of %ju", name,
		    (uintmax_t)p.size, p.parts, (uintmax_t)o->part_size);
	free(name);
	return BK_EX_OK;
}

/* ---- get ---- */

struct getter {
	struct bk_out	 out;
	EVP_MD_CTX	*sha256;
	EVP_MD_CTX	*md5;
	uint64_t	 bytes;
};

static int
get_sink(void *arg, const void *p, size_t n)
{
	struct getter *g = arg;

	if (EVP_DigestUpdate(g->sha256, p, n) != 1 ||
	    EVP_DigestUpdate(g->md5, p, n) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not compute a digest");
	bk_out_write(&g->out, p, n);
	g->bytes += n;
	return 0;
}

static int
hex_digits(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

static int
cmd_get(struct s3 *s3, struct opts *o)
{
	struct getter g;
	struct s3_req req;
	struct s3_resp resp;
	unsigned char md[32];
	char sha[S3_SHA256_HEX], md5[33], etag[40], *name;
	unsigned int len;

	memset(&g, 0, sizeof(g));
	name = s3_name(o->bucket, o->key);
	if ((g.sha256 = EVP_MD_CTX_new()) == NULL ||
	    (g.md5 = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(g.sha256, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(g.md5, EVP_md5(), NULL) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not start a digest");
	bk_out_open(&g.out, o->output, BK_OUT_BINARY |
	    (o->force ? BK_OUT_FORCE : 0));
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.bucket = o->bucket;
	req.key = o->key;
	req.sink = get_sink;
	req.sink_arg = &g;
	if (s3_request(s3, &req, &resp) == -1 || resp.status < 200 ||
	    resp.status > 299) {
		bk_out_abort(&g.out);
		s3_fail(&resp, "download", o->bucket, o->key);
	}
	EVP_DigestFinal_ex(g.sha256, md, &len);
	bk_hex(sha, md, 32);
	EVP_DigestFinal_ex(g.md5, md, &len);
	bk_hex(md5, md, 16);
	snprintf(etag, sizeof(etag), "\"%s\"", md5);
	if (resp.length >= 0 && (uint64_t)resp.length != g.bytes) {
		bk_out_abort(&g.out);
		bk_errx(BK_EX_DATAERR, "\"%s\": %ju bytes came, not the %jd "
		    "announced", name, (uintmax_t)g.bytes,
		    (intmax_t)resp.length);
	}
	if (resp.sha256[0] != '\0') {
		if (strcmp(resp.sha256, sha) != 0) {
			bk_out_abort(&g.out);
			bk_errx(BK_EX_DATAERR, "\"%s\": sha256 mismatch: the "
			    "object's metadata says %s", name,
			    hex_digits(resp.sha256, 64) ? resp.sha256 :
			    "something that is not a sha256");
		}
	} else if (hex_digits(resp.etag[0] == '"' ? resp.etag + 1 : "", 33) &&
	    resp.etag[33] == '"') {
		/* No metadata: a single-part object's ETag is its MD5. */
		if (strcmp(resp.etag, etag) != 0) {
			bk_out_abort(&g.out);
			bk_errx(BK_EX_DATAERR, "\"%s\": MD5 mismatch with the "
			    "object's ETag", name);
		}
		bk_info("\"%s\": no sha256 metadata: checked the size and "
		    "the MD5 of the ETag", name);
	} else
		bk_info("\"%s\": no sha256 metadata: checked the size only",
		    name);
	s3_resp_free(&resp);
	bk_out_commit(&g.out);
	bk_info("\"%s\": %ju bytes, sha256 %s", name, (uintmax_t)g.bytes, sha);
	EVP_MD_CTX_free(g.sha256);
	EVP_MD_CTX_free(g.md5);
	free(name);
	return BK_EX_OK;
}

/* ---- head, rm ---- */

static int
cmd_head(struct s3 *s3, struct opts *o)
{
	struct s3_req req;
	struct s3_resp resp;

	memset(&req, 0, sizeof(req));
	req.method = "HEAD";
	req.head = 1;
	req.bucket = o->bucket;
	req.key = o->key;
	if (s3_request(s3, &req, &resp) == -1 || resp.status < 200 ||
	    resp.status > 299)
		s3_fail(&resp, "look up", o->bucket, o->key);
	printf("size: %jd\n", (intmax_t)resp.length);
	printf("etag: %s\n", resp.etag);
	printf("last-modified: %s\n", resp.last_modified);
	if (hex_digits(resp.sha256, 64))
		printf("sha256: %s\n", resp.sha256);
	s3_resp_free(&resp);
	return BK_EX_OK;
}

static int
cmd_rm(struct s3 *s3, struct opts *o)
{
	struct s3_req req;
	struct s3_resp resp;
	char *name;

	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.bucket = o->bucket;
	req.key = o->key;
	if (s3_request(s3, &req, &resp) == -1 || resp.status < 200 ||
	    resp.status > 299)
		s3_fail(&resp, "remove", o->bucket, o->key);
	s3_resp_free(&resp);
	name = s3_name(o->bucket, o->key);
	bk_info("\"%s\": removed", name);
	free(name);
	return BK_EX_OK;
}

/* ---- ls ---- */

struct lister {
	const struct opts *o;
	char		*key;
	char		*size;
	char		*modified;
	char		*etag;
	int		 truncated;
	char		*next;		/* NextContinuationToken */
	uint64_t	 count;
	int		 bad;		/* entries that could not be shown */
};

static void
set(char **dst, const char *text, size_t len)
{
	free(*dst);
	*dst = bk_malloc(len + 1);
	memcpy(*dst, text, len + 1);
}

static void
print_entry(struct lister *l)
{
	struct bk_buf b = { NULL, 0, 0 };
	char *esc, *end;
	uint64_t size;
	int good;

	errno = 0;
	size = l->size != NULL ? strtoull(l->size, &end, 10) : 0;
	good = l->key != NULL && l->size != NULL && l->size[0] >= '0' &&
	    l->size[0] <= '9' && *end == '\0' && errno == 0;
	if (good && l->o->json) {
		bk_buf_add(&b, "{\"key\":", 7);
		good = bk_json_string(&b, l->key, strlen(l->key)) == 0;
		esc = bk_asprintf(",\"size\":%ju,\"last_modified\":",
		    (uintmax_t)size);
		bk_buf_add(&b, esc, strlen(esc));
		free(esc);
		good = good && bk_json_string(&b, l->modified ? l->modified :
		    "", l->modified ? strlen(l->modified) : 0) == 0;
		bk_buf_add(&b, ",\"etag\":", 8);
		good = good && bk_json_string(&b, l->etag ? l->etag : "",
		    l->etag ? strlen(l->etag) : 0) == 0;
		bk_buf_add(&b, "}\n", 3);
		if (good)
			fputs(b.p, stdout);
		free(b.p);
	} else if (good) {
		esc = bk_sumlist_escape(l->key, 0);
		printf("%s %12ju %s\n", l->modified ? l->modified : "-",
		    (uintmax_t)size, esc);
		free(esc);
	}
	if (!good) {
		l->bad++;
		bk_warnx("s3://%s: an entry of the listing that cannot be "
		    "shown", l->o->bucket);
	}
	l->count++;
	free(l->key);
	free(l->size);
	free(l->modified);
	free(l->etag);
	l->key = l->size = l->modified = l->etag = NULL;
}

static void
scan_list(void *arg, enum s3_xml_event ev, const char *path,
    const char *text, size_t len)
{
	struct lister *l = arg;

	if (ev == S3_XML_CLOSE && strcmp(path, "ListBucketResult/Contents")
	    == 0)
		print_entry(l);
	if (ev != S3_XML_TEXT)
		return;
	if (strcmp(path, "ListBucketResult/Contents/Key") == 0)
		set(&l->key, text, len);
	else if (strcmp(path, "ListBucketResult/Contents/Size") == 0)
		set(&l->size, text, len);
	else if (strcmp(path, "ListBucketResult/Contents/LastModified") == 0)
		set(&l->modified, text, len);
	else if (strcmp(path, "ListBucketResult/Contents/ETag") == 0)
		set(&l->etag, text, len);
	else if (strcmp(path, "ListBucketResult/IsTruncated") == 0)
		l->truncated = strcmp(text, "true") == 0;
	else if (strcmp(path, "ListBucketResult/NextContinuationToken") == 0)
		set(&l->next, text, len);
}

static int
cmd_ls(struct s3 *s3, struct opts *o)
{
	struct lister l;
	struct s3_req req;
	struct s3_resp resp;
	char *token = NULL, max[16], why[128];

	memset(&l, 0, sizeof(l));
	l.o = o;
	snprintf(max, sizeof(max), "%u", o->page_size);
	for (;;) {
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.bucket = o->bucket;
		s3_req_param(&req, "list-type", "2");
		s3_req_param(&req, "prefix", o->key);
		if (o->page_size > 0)
			s3_req_param(&req, "max-keys", max);
		if (token != NULL)
			s3_req_param(&req, "continuation-token", token);
		if (s3_request(s3, &req, &resp) == -1 || resp.status < 200 ||
		    resp.status > 299 || resp.code[0] != '\0')
			s3_fail(&resp, "list", o->bucket, o->key);
		l.truncated = 0;
		free(l.next);
		l.next = NULL;
		if (resp.too_long || s3_xml_parse(resp.reply.p, resp.reply.len,
		    scan_list, &l, why, sizeof(why)) == -1)
			bk_errx(BK_EX_UNAVAILABLE, "could not list \"s3://%s/\":"
			    " a bad reply (%s)", o->bucket, resp.too_long ?
			    "too long" : why);
		s3_resp_free(&resp);
		if (!l.truncated)
			break;
		/* A store that says "more" must say where, and move on. */
		if (l.next == NULL || l.next[0] == '\0' ||
		    (token != NULL && strcmp(token, l.next) == 0))
			bk_errx(BK_EX_UNAVAILABLE, "could not list \"s3://%s/\":"
			    " a truncated page without a new continuation "
			    "token", o->bucket);
		free(token);
		token = l.next;
		l.next = NULL;
	}
	free(token);
	free(l.next);
	bk_info("s3://%s/: %ju objects", o->bucket, (uintmax_t)l.count);
	return l.bad > 0 ? BK_EX_DATAERR : BK_EX_OK;
}

/* ---- main ---- */

int
main(int argc, char *argv[])
{
	static const char optstring[] = ":fho:qv";
	enum { OPT_VERSION = CHAR_MAX + 1, OPT_ENDPOINT, OPT_JSON,
	    OPT_PAGE_SIZE, OPT_PART_SIZE };
	static const struct option longopts[] = {
		{ "force",	no_argument,		NULL, 'f' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "endpoint",	required_argument,	NULL, OPT_ENDPOINT },
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "page-size",	required_argument,	NULL, OPT_PAGE_SIZE },
		{ "part-size",	required_argument,	NULL, OPT_PART_SIZE },
		{ "version",	no_argument,		NULL, OPT_VERSION },
		{ NULL,		0,			NULL, 0 }
	};
	struct opts o;
	struct s3 s3;
	char *end;
	unsigned long n;
	int c, code, part_given = 0, page_given = 0;

	bk_init(argc, argv);
	memset(&o, 0, sizeof(o));
	o.part_size = PART_DEFAULT;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.force = 1;
			break;
		case 'h':
			bk_print_usage(usage);
		case 'o':
			o.output = optarg;
			break;
		case 'q':
			o.verbosity = -1;
			break;
		case 'v':
			o.verbosity++;
			break;
		case OPT_ENDPOINT:
			o.endpoint = optarg;
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_PAGE_SIZE:
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' ||
			    errno != 0 || n < 1 || n > 1000)
				bk_usage_error("bad page size \"%s\" (1 to 1000)",
				    optarg);
			o.page_size = (unsigned)n;
			page_given = 1;
			break;
		case OPT_PART_SIZE:
			if (bk_parse_size(optarg, &o.part_size) == -1 ||
			    o.part_size < PART_MIN || o.part_size > PART_MAX)
				bk_usage_error("bad part size \"%s\" (5M to 5G)",
				    optarg);
			part_given = 1;
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		bk_usage_error("no command (put, get, ls, head or rm)");
	o.command = argv[0];
	if (strcmp(o.command, "put") != 0 && strcmp(o.command, "get") != 0 &&
	    strcmp(o.command, "ls") != 0 && strcmp(o.command, "head") != 0 &&
	    strcmp(o.command, "rm") != 0)
		bk_usage_error("unknown command \"%s\" (put, get, ls, head or "
		    "rm)", o.command);
	if (argc < 2)
		bk_usage_error("%s needs an S3 URL (s3://bucket/%s)", o.command,
		    strcmp(o.command, "ls") == 0 ? "prefix" : "key");
	o.url = argv[1];
	if (argc > (strcmp(o.command, "put") == 0 ? 3 : 2))
		bk_usage_error("too many arguments for %s", o.command);
	if (argc == 3)
		o.input = argv[2];
	if (o.output != NULL && strcmp(o.command, "get") != 0)
		bk_usage_error("-o is for get");
	if (o.force && strcmp(o.command, "put") != 0 &&
	    strcmp(o.command, "get") != 0)
		bk_usage_error("-f is for put and get");
	if (part_given && strcmp(o.command, "put") != 0)
		bk_usage_error("--part-size is for put");
	if ((page_given || o.json) && strcmp(o.command, "ls") != 0)
		bk_usage_error("%s is for ls", o.json ? "--json" :
		    "--page-size");
	parse_url(&o, strcmp(o.command, "ls") == 0);
	bk_set_verbosity(o.verbosity);

	memset(&s3, 0, sizeof(s3));
	s3.verbose = o.verbosity;
	s3.region = env("AWS_REGION") != NULL ? env("AWS_REGION") :
	    env("AWS_DEFAULT_REGION") != NULL ? env("AWS_DEFAULT_REGION") :
	    "us-east-1";
	endpoint(&s3, &o);
	credentials(&s3);
	s3_open(&s3);
	if (strcmp(o.command, "put") == 0)
		code = cmd_put(&s3, &o);
	else if (strcmp(o.command, "get") == 0)
		code = cmd_get(&s3, &o);
	else if (strcmp(o.command, "ls") == 0)
		code = cmd_ls(&s3, &o);
	else if (strcmp(o.command, "head") == 0)
		code = cmd_head(&s3, &o);
	else
		code = cmd_rm(&s3, &o);
	s3_close(&s3);
	free(s3.endpoint);
	free(s3.host);
	free(s3.access_key);
	free(s3.token);
	free(o.bucket);
	free(o.key);
	return bk_finish(code);
}
