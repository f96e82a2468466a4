/*
 * sigv4.c: AWS Signature Version 4 for S3, on libcrypto's HMAC-SHA256.
 *
 * Written from the specification, not with libcurl's CURLOPT_AWS_SIGV4:
 * the one in Debian 12's libcurl signs the path and the query exactly as
 * given (unsorted, "?uploads" without '='), sorts header lines with their
 * values (so x-amz-server-side-encryption-aws-kms-key-id would go before
 * x-amz-server-side-encryption), and signs an empty Expect.  Here the
 * query is sorted by encoded name, header names by themselves, and the
 * path is sent exactly as it is signed (bk-s3 sets CURLOPT_PATH_AS_IS).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "s3.h"

const char s3_empty_sha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

static void
buf_nul(struct bk_buf *b)
{
	*bk_buf_room(b, 1) = '\0';
}

static void
buf_str(struct bk_buf *b, const char *s)
{
	bk_buf_add(b, s, strlen(s));
	buf_nul(b);
}

void
s3_uri_encode(struct bk_buf *b, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char esc[3];
	size_t i;

	for (i = 0; i < n; i++) {
		if (unreserved(p[i]) || (keep_slash && p[i] == '/')) {
			bk_buf_add(b, &p[i], 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[p[i] >> 4];
		esc[2] = hex[p[i] & 15];
		bk_buf_add(b, esc, 3);
	}
	buf_nul(b);
}

/* One query parameter, encoded, for sorting. */
struct qp {
	char	*name;
	char	*value;
};

static int
qp_cmp(const void *a, const void *b)
{
	const struct qp *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

static char *
encoded(const char *s)
{
	struct bk_buf b = { NULL, 0, 0 };

	s3_uri_encode(&b, s != NULL ? s : "", s != NULL ? strlen(s) : 0, 0);
	return b.p;
}

void
s3_query_string(struct bk_buf *b, const struct s3_param *q, size_t n)
{
	struct qp *v;
	size_t i;

	buf_nul(b);
	if (n == 0)
		return;
	v = bk_reallocarray(NULL, n, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].name = encoded(q[i].name);
		v[i].value = encoded(q[i].value);
	}
	qsort(v, n, sizeof(*v), qp_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_str(b, "&");
		buf_str(b, v[i].name);
		buf_str(b, "=");
		buf_str(b, v[i].value);
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* One header, its name in lower case and its value trimmed. */
struct hd {
	char	*name;
	char	*value;
};

static int
hd_cmp(const void *a, const void *b)
{
	const struct hd *x = a, *y = b;

	/* By name alone: a name that prefixes another sorts first. */
	return strcmp(x->name, y->name);
}

static char *
lower(const char *s)
{
	char *d = bk_strdup(s), *p;

	for (p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* The value without leading and trailing blanks, inner runs made one. */
static char *
trimmed(const char *s)
{
	char *d = bk_malloc(strlen(s) + 1), *o = d;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s != '\0') {
		if (*s == ' ' || *s == '\t') {
			while (*s == ' ' || *s == '\t')
				s++;
			if (*s != '\0')
				*o++ = ' ';
			continue;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return d;
}

static struct hd *
sorted_headers(const struct s3_sign *sg)
{
	struct hd *v;
	size_t i;

	v = bk_reallocarray(NULL, sg->nheaders + 1, sizeof(*v));
	for (i = 0; i < sg->nheaders; i++) {
		v[i].name = lower(sg->headers[i].name);
		v[i].value = trimmed(sg->headers[i].value);
	}
	qsort(v, sg->nheaders, sizeof(*v), hd_cmp);
	return v;
}

static void
free_headers(struct hd *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

void
s3_signed_headers(struct bk_buf *b, const struct s3_sign *sg)
{
	struct hd *v = sorted_headers(sg);
	size_t i;

	buf_nul(b);
	for (i = 0; i < sg->nheaders; i++) {
		if (i > 0)
			buf_str(b, ";");
		buf_str(b, v[i].name);
	}
	free_headers(v, sg->nheaders);
}

void
s3_canonical_request(struct bk_buf *b, const struct s3_sign *sg)
{
	struct hd *v = sorted_headers(sg);
	size_t i;

	buf_str(b, sg->method);
	buf_str(b, "\n");
	buf_str(b, sg->path);
	buf_str(b, "\n");
	s3_query_string(b, sg->query, sg->nquery);
	buf_str(b, "\n");
	for (i = 0; i < sg->nheaders; i++) {
		buf_str(b, v[i].name);
		buf_str(b, ":");
		buf_str(b, v[i].value);
		buf_str(b, "\n");
	}
	buf_str(b, "\n");
	free_headers(v, sg->nheaders);
	s3_signed_headers(b, sg);
	buf_str(b, "\n");
	buf_str(b, sg->payload);
}

void
s3_sha256_hex(const void *p, size_t n, char *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(p, n, md);
	bk_hex(out, md, sizeof(md));
}

static void
hmac(const unsigned char *key, size_t keylen, const char *msg,
    unsigned char out[SHA256_DIGEST_LENGTH])
{
	unsigned int len = SHA256_DIGEST_LENGTH;

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	    strlen(msg), out, &len) == NULL)
		bk_errx(BK_EX_SOFTWARE, "could not compute an HMAC-SHA256");
}

char *
s3_authorization(const struct s3_sign *sg)
{
	struct bk_buf cr = { NULL, 0, 0 }, sts = { NULL, 0, 0 };
	struct bk_buf names = { NULL, 0, 0 };
	unsigned char k[SHA256_DIGEST_LENGTH], k2[SHA256_DIGEST_LENGTH];
	char date[9], hex[S3_SHA256_HEX], *secret, *scope, *auth;
	size_t slen;

	memcpy(date, sg->amz_date, 8);
	date[8] = '\0';
	scope = bk_asprintf("%s/%s/%s/aws4_request", date, sg->region,
	    sg->service);
	s3_canonical_request(&cr, sg);
	s3_sha256_hex(cr.p, cr.len, hex);
	buf_str(&sts, "AWS4-HMAC-SHA256\n");
	buf_str(&sts, sg->amz_date);
	buf_str(&sts, "\n");
	buf_str(&sts, scope);
	buf_str(&sts, "\n");
	buf_str(&sts, hex);

	/* The signing key: the secret through date, region, service. */
	secret = bk_asprintf("AWS4%s", sg->secret_key);
	slen = strlen(secret);
	hmac((unsigned char *)secret, slen, date, k);
	bk_explicit_bzero(secret, slen);
	free(secret);
	hmac(k, sizeof(k), sg->region, k2);
	hmac(k2, sizeof(k2), sg->service, k);
	hmac(k, sizeof(k), "aws4_request", k2);
	hmac(k2, sizeof(k2), sts.p, k);
	bk_hex(hex, k, sizeof(k));
	bk_explicit_bzero(k, sizeof(k));
	bk_explicit_bzero(k2, sizeof(k2));

	s3_signed_headers(&names, sg);
	auth = bk_asprintf("AWS4-HMAC-SHA256 Credential=%s/%s,"
	    "SignedHeaders=%s,Signature=%s", sg->access_key, scope, names.p,
	    hex);
	free(scope);
	free(cr.p);
	free(sts.p);
	free(names.p);
	return auth;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t
s3_uri_decode(char *s)
{
	char *r, *w;
	int hi, lo;

	for (r = w = s; *r != '\0'; r++) {
		if (*r == '+')
			*w++ = ' ';
		else if (*r != '%')
			*w++ = *r;
		else if ((hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 &&
		    (hi | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else
			return -1;
	}
	*w = '\0';
	return w - s;
}

int
s3_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}
