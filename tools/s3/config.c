/*
 * config.c: where the requests go and who signs them, read the way the
 * aws command line reads them: the environment, then the shared
 * credentials file; and the S3 URL of the command line.  Secrets come
 * from neither the command line nor any message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

#define KEY_MAX		1024				/* bytes, S3's limit */

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
endpoint(struct s3 *s3, const struct s3_opts *o)
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
void
s3_parse_url(struct s3_opts *o, int prefix_ok)
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

void
s3_configure(struct s3 *s3, const struct s3_opts *o)
{
	memset(s3, 0, sizeof(*s3));
	s3->verbose = o->verbosity;
	s3->region = env("AWS_REGION") != NULL ? env("AWS_REGION") :
	    env("AWS_DEFAULT_REGION") != NULL ? env("AWS_DEFAULT_REGION") :
	    "us-east-1";
	endpoint(s3, o);
	credentials(s3);
}
