/*
 * config.c: where the requests go and who signs them, read the way the
 * aws command line reads them: the environment, then the shared
 * credentials file and the config file; and the S3 URL of the command
 * line.  Secrets come
 * from neither the command line nor any message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

#define KEY_MAX		1024				/* bytes, S3's limit */

/*
 * The value of name in section [section] of an INI file as the aws
 * command line reads ~/.aws/credentials and ~/.aws/config (malloc'd), or
 * NULL.  With sub, name is one of the indented lines under "sub =", as
 * in the config file's
 *	s3 =
 *	    addressing_style = path
 * An indented line elsewhere continues the value above it: skipped.
 */
static char *
ini_value(const char *path, const char *section, const char *sub,
    const char *name)
{
	FILE *fp;
	char *line = NULL, *p, *e, *v = NULL;
	size_t cap = 0, n;
	int in = 0, insub = 0, indented;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	while (v == NULL && getline(&line, &cap, fp) != -1) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		indented = line[0] == ' ' || line[0] == '\t';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '#' || *p == ';' || *p == '\0')
			continue;
		if (*p == '[' && !indented) {
			e = strchr(p, ']');
			if (e != NULL) {
				*e = '\0';
				in = strcmp(p + 1, section) == 0;
				insub = 0;
			}
			continue;
		}
		if (!in || (e = strchr(p, '=')) == NULL)
			continue;
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		p[n] = '\0';
		for (e++; *e == ' ' || *e == '\t'; e++)
			;
		n = strlen(e);
		while (n > 0 && (e[n - 1] == ' ' || e[n - 1] == '\t'))
			e[--n] = '\0';
		if (indented) {
			if (insub && strcmp(p, name) == 0)
				v = bk_strdup(e);
			continue;
		}
		insub = sub != NULL && strcmp(p, sub) == 0 && *e == '\0';
		if (sub == NULL && strcmp(p, name) == 0)
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

static const char *
profile(void)
{
	return env("AWS_PROFILE") != NULL ? env("AWS_PROFILE") : "default";
}

/*
 * The value of name (under sub, when not NULL) in the profile's section
 * of the config file, AWS_CONFIG_FILE or ~/.aws/config: [default] or
 * [profile NAME].  malloc'd, or NULL.
 */
static char *
config_value(const char *sub, const char *name)
{
	const char *file, *home;
	char *path = NULL, *section, *v = NULL;

	if ((file = env("AWS_CONFIG_FILE")) == NULL &&
	    (home = env("HOME")) != NULL)
		file = path = bk_asprintf("%s/.aws/config", home);
	if (file != NULL) {
		section = strcmp(profile(), "default") == 0 ?
		    bk_strdup("default") : bk_asprintf("profile %s", profile());
		v = ini_value(file, section, sub, name);
		free(section);
	}
	free(path);
	return v;
}

static void
credentials(struct s3 *s3)
{
	const char *id = env("AWS_ACCESS_KEY_ID");
	const char *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *file, *home;
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
	if ((file = env("AWS_SHARED_CREDENTIALS_FILE")) == NULL &&
	    (home = env("HOME")) != NULL)
		file = path = bk_asprintf("%s/.aws/credentials", home);
	if (file != NULL) {
		s3->access_key = ini_value(file, profile(), NULL,
		    "aws_access_key_id");
		s3->secret_key = ini_value(file, profile(), NULL,
		    "aws_secret_access_key");
		s3->token = ini_value(file, profile(), NULL,
		    "aws_session_token");
	}
	free(path);
	/* The config file may hold them too; the credentials file wins. */
	if (s3->access_key == NULL && s3->secret_key == NULL) {
		free(s3->token);
		s3->access_key = config_value(NULL, "aws_access_key_id");
		s3->secret_key = config_value(NULL, "aws_secret_access_key");
		s3->token = config_value(NULL, "aws_session_token");
	}
	if (s3->access_key == NULL || s3->secret_key == NULL)
		bk_errx(BK_EX_CONFIG, "no credentials: set AWS_ACCESS_KEY_ID "
		    "and AWS_SECRET_ACCESS_KEY, or profile \"%s\" in the "
		    "credentials file", profile());
}

/* Whether a bucket's name can be a host name's first label. */
static int
dns_bucket(const char *b)
{
	size_t n = strlen(b);

	return n >= 3 && n <= 63 && strspn(b, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789-") == n && b[0] != '-' && b[n - 1] != '-';
}

/*
 * The endpoint: scheme http or https, a host, maybe a port, nothing
 * after but '/'.  Addressing as the config file's s3 addressing_style
 * says: path (/BUCKET/KEY), virtual (BUCKET.host/KEY) or auto, the
 * default, which is virtual-hosted for AWS itself and path-style for a
 * store named by an endpoint, as radosgw, MinIO and most others want.
 * A bucket that cannot be a host name's label goes path-style whatever
 * the setting, as the aws command line does.
 */
static void
endpoint(struct s3 *s3, const struct s3_opts *o)
{
	const char *e = o->endpoint, *h, *end;
	char *style;
	int from_env = 0, virt;
	size_t n;

	style = config_value("s3", "addressing_style");
	if (style != NULL && strcmp(style, "path") != 0 &&
	    strcmp(style, "virtual") != 0 && strcmp(style, "auto") != 0)
		bk_errx(BK_EX_CONFIG, "bad s3 addressing_style \"%s\" in profile "
		    "\"%s\" of the config file (path, virtual or auto)",
		    bk_one_line(style), profile());
	if (e == NULL && (e = env("AWS_ENDPOINT_URL_S3")) == NULL &&
	    (e = env("AWS_ENDPOINT_URL")) != NULL)
		from_env = 1;
	else if (e != NULL && o->endpoint == NULL)
		from_env = 1;
	if (!dns_bucket(o->bucket))
		virt = 0;
	else if (style == NULL || strcmp(style, "auto") == 0)
		virt = e == NULL;
	else
		virt = strcmp(style, "virtual") == 0;
	free(style);
	s3->path_style = !virt;
	if (e == NULL) {
		s3->host = bk_asprintf("s3.%s.amazonaws.com", s3->region);
		s3->endpoint = bk_asprintf("https://%s", s3->host);
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
	/* Kept for the run: s3->region points to it. */
	static char *region;

	memset(s3, 0, sizeof(*s3));
	s3->verbose = o->verbosity;
	free(region);
	region = NULL;
	s3->region = env("AWS_REGION") != NULL ? env("AWS_REGION") :
	    env("AWS_DEFAULT_REGION") != NULL ? env("AWS_DEFAULT_REGION") :
	    (region = config_value(NULL, "region")) != NULL &&
	    region[0] != '\0' ? region : "us-east-1";
	/* It goes into host names and the signature's scope. */
	if (strspn(s3->region, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(s3->region))
		bk_errx(BK_EX_CONFIG, "bad region \"%s\"",
		    bk_one_line(bk_strdup(s3->region)));
	endpoint(s3, o);
	credentials(s3);
}
