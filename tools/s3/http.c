/*
 * http.c: S3 requests through libcurl, signed by sigv4.c.
 *
 * One easy handle serves every request of a run, so its connection is
 * kept.  The path is sent as it was signed (CURLOPT_PATH_AS_IS: libcurl
 * would otherwise turn "x/../k" into "k"), with the Host header signed
 * and set by hand.  A reply that is not a 2xx, or a 200 whose body is an
 * <Error> (CompleteMultipartUpload may answer so), is a failure; its code
 * and message are read from the body.
 *
 * s3_request retries what may succeed the next time (no answer, a 5xx, a
 * 429, SlowDown and its kin, a body damaged on the way) after a backoff
 * with full jitter: a wait drawn uniformly in [0, min(cap, base * 2^n)]
 * before the n-th retry, so that many clients that failed together do not
 * come back together.  A download resumes where it broke, pinned to the
 * object it began with by If-Match.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "s3.h"

volatile sig_atomic_t s3_signal;

static void
on_signal(int sig)
{
	s3_signal = sig;
}

void
s3_catch_signals(void)
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

void
s3_open(struct s3 *s3, const struct s3_opts *o)
{
	const char *ca = getenv("AWS_CA_BUNDLE"),
	    *max = getenv("AWS_MAX_ATTEMPTS");
	long long n;
	FILE *fp;

	/* The aws command line's setting: attempts, the first one counted. */
	if (o->retries >= 0)
		s3->retries = (unsigned)o->retries;
	else if (max != NULL && *max != '\0') {
		if (bk_parse_number(max, 1, 1001, &n) == -1)
			bk_errx(BK_EX_CONFIG, "bad AWS_MAX_ATTEMPTS \"%s\" in the "
			    "environment (1 to 1001)", max);
		s3->retries = (unsigned)n - 1;
	} else
		s3->retries = S3_RETRIES;
	s3->retry_time = o->retry_time;
	s3->timeout = (long)o->timeout;
	if (ca != NULL && *ca != '\0' &&
	    strncmp(s3->endpoint, "https://", 8) == 0) {
		/* Said now, rather than as a TLS error of every request. */
		if ((fp = fopen(ca, "r")) == NULL)
			bk_err(BK_EX_CONFIG, "could not read the CA bundle \"%s\" "
			    "(AWS_CA_BUNDLE)", ca);
		fclose(fp);
		s3->ca_bundle = bk_strdup(ca);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (s3->curl = curl_easy_init()) == NULL)
		bk_errx(BK_EX_SOFTWARE, "could not start libcurl");
}

void
s3_close(struct s3 *s3)
{
	if (s3->curl != NULL)
		curl_easy_cleanup(s3->curl);
	s3->curl = NULL;
	if (s3->secret_key != NULL) {
		bk_explicit_bzero(s3->secret_key, strlen(s3->secret_key));
		free(s3->secret_key);
		s3->secret_key = NULL;
	}
	free(s3->endpoint);
	free(s3->host);
	free(s3->access_key);
	free(s3->token);
	free(s3->ca_bundle);
	s3->endpoint = s3->host = s3->access_key = s3->token = NULL;
	s3->ca_bundle = NULL;
	curl_global_cleanup();
}

void
s3_req_param(struct s3_req *r, const char *name, const char *value)
{
	if (r->nquery == S3_MAX_PARAMS)
		bk_errx(BK_EX_SOFTWARE, "too many query parameters");
	r->query[r->nquery].name = name;
	r->query[r->nquery].value = value;
	r->nquery++;
}

void
s3_req_header(struct s3_req *r, const char *name, const char *value)
{
	if (r->nheaders == S3_MAX_HEADERS)
		bk_errx(BK_EX_SOFTWARE, "too many headers");
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
}

void
s3_resp_free(struct s3_resp *resp)
{
	free(resp->reply.p);
	memset(&resp->reply, 0, sizeof(resp->reply));
}

char *
s3_name(const char *bucket, const char *key)
{
	char *s = bk_asprintf("s3://%s/%s", bucket, key != NULL ? key : ""),
	    *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* ---- one attempt ---- */

struct xfer {
	struct s3_req	*req;
	struct s3_resp	*resp;
	CURL		*curl;
	size_t		 sent;		/* of the body */
	uint64_t	 resume;	/* a resumed download's first byte */
	int		 resumed;	/* its reply was checked: it fits */
	int		 bad_resume;	/* ... it does not */
	uint64_t	 sunk;		/* bytes given to the sink */
};

static size_t
read_body(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, left = x->req->bodylen - x->sent;

	if (n > left)
		n = left;
	memcpy(buf, (const char *)x->req->body + x->sent, n);
	x->sent += n;
	return n;
}

static int
seek_body(void *arg, curl_off_t off, int origin)
{
	struct xfer *x = arg;

	/* libcurl rewinds to send the body again (after a 100 or a redirect). */
	if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->req->bodylen)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static size_t
write_body(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct s3_resp *r = x->resp;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x->req->sink != NULL && status >= 200 && status < 300) {
		/*
		 * A resumed download must go on where the last one broke:
		 * a store that ignored the Range would repeat the start.
		 */
		if (x->resume > 0 && !x->resumed) {
			if (status != 206 || r->range_start !=
			    (int64_t)x->resume || r->range_size < 0) {
				x->bad_resume = 1;
				return 0;
			}
			x->resumed = 1;
		}
		if (x->req->sink(x->req->sink_arg, buf, n) == -1) {
			r->stopped = 1;
			return 0;
		}
		x->sunk += n;
		return n;
	}
	if (r->reply.len + n > S3_REPLY_MAX) {
		r->too_long = 1;
		return 0;
	}
	bk_buf_add(&r->reply, buf, n);
	return n;
}

/* Copies a header's value, trimmed, into dst (size n). */
static void
header_value(char *dst, size_t n, const char *v, size_t len)
{
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

/* A whole number of digits only, or -1. */
static int64_t
header_number(const char *s, char **end)
{
	int64_t v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = (int64_t)strtoll(s, end, 10);
	return errno != 0 || v < 0 ? -1 : v;
}

/* Content-Range: "bytes FIRST-LAST/SIZE" of a 206. */
static void
content_range(struct s3_resp *r, const char *v)
{
	char *end;

	r->range_start = r->range_size = -1;
	if (strncmp(v, "bytes ", 6) != 0 ||
	    (r->range_start = header_number(v + 6, &end)) < 0 ||
	    *end != '-' || header_number(end + 1, &end) < 0 || *end != '/' ||
	    (r->range_size = header_number(end + 1, &end)) < 0 ||
	    *end != '\0')
		r->range_start = r->range_size = -1;
}

static size_t
read_header(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct s3_resp *r = x->resp;
	size_t n = size * nmemb, k;
	const char *colon;
	char val[128], *end;

	/* A new status line (after a 100 Continue): forget what came. */
	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		r->etag[0] = r->sha256[0] = r->last_modified[0] = '\0';
		r->sse[0] = r->version_id[0] = '\0';
		r->length = r->range_start = r->range_size = -1;
		return n;
	}
	if ((colon = memchr(buf, ':', n)) == NULL)
		return n;
	k = (size_t)(colon - buf);
	colon++;
#define IS(h) (k == strlen(h) && strncasecmp(buf, h, k) == 0)
	if (IS("etag"))
		header_value(r->etag, sizeof(r->etag), colon,
		    n - k - 1);
	else if (IS("x-amz-meta-sha256"))
		header_value(r->sha256, sizeof(r->sha256), colon, n - k - 1);
	else if (IS("x-amz-server-side-encryption"))
		header_value(r->sse, sizeof(r->sse), colon, n - k - 1);
	else if (IS("x-amz-version-id"))
		header_value(r->version_id, sizeof(r->version_id), colon,
		    n - k - 1);
	else if (IS("last-modified"))
		header_value(r->last_modified, sizeof(r->last_modified),
		    colon, n - k - 1);
	else if (IS("content-length")) {
		header_value(val, sizeof(val), colon, n - k - 1);
		if ((r->length = header_number(val, &end)) < 0 || *end != '\0')
			r->length = -1;
	} else if (IS("content-range")) {
		header_value(val, sizeof(val), colon, n - k - 1);
		content_range(r, val);
	}
#undef IS
	return n;
}

static int
progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct xfer *x = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (s3_signal != 0 && !x->req->unstoppable) {
		x->resp->stopped = 1;
		return 1;
	}
	return 0;
}

/* The <Error> of a reply body, if it is one. */
struct err_scan {
	struct s3_resp	*resp;
	int		 is_error;
};

static void
scan_error(void *arg, enum s3_xml_event ev, const char *path,
    const char *text, size_t len)
{
	struct err_scan *e = arg;

	(void)len;
	if (ev == S3_XML_OPEN && strcmp(path, "Error") == 0)
		e->is_error = 1;
	if (ev != S3_XML_TEXT)
		return;
	if (strcmp(path, "Error/Code") == 0)
		snprintf(e->resp->code, sizeof(e->resp->code), "%s", text);
	else if (strcmp(path, "Error/Message") == 0)
		snprintf(e->resp->message, sizeof(e->resp->message), "%s",
		    text);
}

static void
read_error(struct s3_resp *resp)
{
	struct err_scan e = { resp, 0 };
	char why[128];
	char *p;

	if (resp->reply.len == 0 || strstr(resp->reply.p, "<Error") == NULL)
		return;
	if (s3_xml_parse(resp->reply.p, resp->reply.len, scan_error, &e, why,
	    sizeof(why)) == -1 || !e.is_error) {
		resp->code[0] = resp->message[0] = '\0';
		return;
	}
	/* One line, printable: the server's words go into a message. */
	for (p = resp->code; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	bk_one_line(resp->message);
	for (p = resp->message; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (resp->code[0] == '\0')
		snprintf(resp->code, sizeof(resp->code), "Error");
}

static void
amz_date(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y%m%dT%H%M%SZ", &tm);
}

/*
 * Why a request got no answer, from libcurl's code: a certificate that
 * is not trusted (tls), or a failure that no retry can mend (permanent);
 * anything else (refused, reset, timed out, a broken handshake) may pass.
 */
static void
classify(struct s3 *s3, struct s3_resp *resp, CURLcode rc)
{
	size_t n;

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		resp->tls = resp->permanent = 1;
		n = strlen(resp->why);
		if (s3->ca_bundle == NULL)
			snprintf(resp->why + n, sizeof(resp->why) - n, " (AWS_"
			    "CA_BUNDLE names the certificates to trust)");
		else
			snprintf(resp->why + n, sizeof(resp->why) - n, " (not "
			    "trusted by the CA bundle \"%s\")", s3->ca_bundle);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
		resp->permanent = 1;
		break;
	default:
		break;
	}
}

/* One attempt at a request: s3_request without the retries. */
static int
request_once(struct s3 *s3, struct xfer *x)
{
	struct s3_req *req = x->req;
	struct s3_resp *resp = x->resp;
	struct bk_buf path = { NULL, 0, 0 }, query = { NULL, 0, 0 };
	struct s3_header *h = req->headers;
	struct curl_slist *list = NULL;
	struct s3_sign sg;
	char date[32], sha[S3_SHA256_HEX], hostbuf[512], err[CURL_ERROR_SIZE];
	char *url, *auth, *line, *host;
	CURL *c = s3->curl;
	CURLcode rc;
	size_t i, nh0 = req->nheaders;

	memset(resp, 0, sizeof(*resp));
	resp->length = resp->range_start = resp->range_size = -1;
	if (s3->path_style) {
		host = s3->host;
		bk_buf_add(&path, "/", 1);
		s3_uri_encode(&path, req->bucket, strlen(req->bucket), 0);
		bk_buf_add(&path, "/", 1);
	} else {
		snprintf(hostbuf, sizeof(hostbuf), "%s.%s", req->bucket,
		    s3->host);
		host = hostbuf;
		bk_buf_add(&path, "/", 1);
	}
	if (req->key != NULL)
		s3_uri_encode(&path, req->key, strlen(req->key), 1);
	else
		*bk_buf_room(&path, 1) = '\0';
	s3_query_string(&query, req->query, req->nquery);

	if (req->body_sha256 == NULL) {
		s3_sha256_hex(req->body != NULL ? req->body : "",
		    req->bodylen, sha);
		req->body_sha256 = sha;
	}
	amz_date(date, sizeof(date));
	s3_req_header(req, "host", host);
	s3_req_header(req, "x-amz-date", date);
	s3_req_header(req, "x-amz-content-sha256", req->body_sha256);
	if (s3->token != NULL)
		s3_req_header(req, "x-amz-security-token", s3->token);
	memset(&sg, 0, sizeof(sg));
	sg.method = req->method;
	sg.path = path.p;
	sg.query = req->query;
	sg.nquery = req->nquery;
	sg.headers = req->headers;
	sg.nheaders = req->nheaders;
	sg.payload = req->body_sha256;
	sg.access_key = s3->access_key;
	sg.secret_key = s3->secret_key;
	sg.region = s3->region;
	sg.service = "s3";
	sg.amz_date = date;
	auth = s3_authorization(&sg);

	for (i = 0; i < req->nheaders; i++) {
		line = bk_asprintf("%s: %s", h[i].name, h[i].value);
		list = curl_slist_append(list, line);
		free(line);
	}
	line = bk_asprintf("Authorization: %s", auth);
	list = curl_slist_append(list, line);
	bk_explicit_bzero(line, strlen(line));
	free(line);
	free(auth);
	/* No header that the signature does not cover and S3 would read. */
	list = curl_slist_append(list, "Content-Type:");
	list = curl_slist_append(list, "Accept:");
	if (list == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	req->nheaders = nh0;

	if (s3->path_style)
		url = bk_asprintf("%s%s%s%s", s3->endpoint, path.p,
		    query.len > 0 ? "?" : "", query.p);
	else	/* scheme://BUCKET.host/KEY */
		url = bk_asprintf("%.*s%s%s%s%s",
		    (int)(strstr(s3->endpoint, "://") + 3 - s3->endpoint),
		    s3->endpoint, host, path.p, query.len > 0 ? "?" : "",
		    query.p);
	if (s3->verbose > 1)
		bk_info("%s %s", req->method, url);

	err[0] = '\0';
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s3->timeout);
	/* Less than a byte a second for that long: a stall, a dead link. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, s3->timeout);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (s3->ca_bundle != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, s3->ca_bundle);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, read_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	if (strcmp(req->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_body);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)req->bodylen);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->bodylen);
	} else if (req->head) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_slist_free_all(list);
	free(url);
	free(path.p);
	free(query.p);
	if (req->body_sha256 == sha)
		req->body_sha256 = NULL;
	*bk_buf_room(&resp->reply, 1) = '\0';
	if (s3_signal != 0 && !req->unstoppable)
		resp->stopped = 1;
	if (x->bad_resume) {
		resp->transport = resp->permanent = 1;
		snprintf(resp->why, sizeof(resp->why), "the store did not "
		    "resume the download at byte %ju", (uintmax_t)x->resume);
		return -1;
	}
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && resp->too_long)) {
		if (!resp->stopped)
			resp->transport = 1;
		snprintf(resp->why, sizeof(resp->why), "%s",
		    err[0] != '\0' ? err : curl_easy_strerror(rc));
		bk_one_line(resp->why);
		classify(s3, resp, rc);
		return -1;
	}
	read_error(resp);
	return 0;
}

/* ---- retries ---- */

/* Whether trying again may succeed. */
static int
retriable(const struct s3_resp *r)
{
	static const char *const codes[] = {
		"SlowDown", "RequestTimeout", "BadDigest", "InternalError",
		"ServiceUnavailable",
		/* The body changed on the way, as BadDigest says. */
		"XAmzContentSHA256Mismatch"
	};
	size_t i;

	if (r->stopped || r->permanent)
		return 0;
	if (r->transport || r->status >= 500 || r->status == 429)
		return 1;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(r->code, codes[i]) == 0)
			return 1;
	return 0;
}

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The wait before retry n (0 for the first): full jitter. */
static double
backoff(unsigned n)
{
	double bound = S3_BACKOFF_BASE;
	uint64_t r;

	while (n-- > 0 && bound < S3_BACKOFF_CAP)
		bound *= 2;
	if (bound > S3_BACKOFF_CAP)
		bound = S3_BACKOFF_CAP;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		return bound / 2;
	return bound * (double)(r >> 11) / 9007199254740992.0;	/* 2^53 */
}

/* Waits, in short steps so that a signal is seen; -1 if one came. */
static int
pause_for(double secs)
{
	struct timespec t0, step = { 0, 50 * 1000 * 1000 };
	double left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((left = secs - since(&t0)) > 0) {
		if (s3_signal != 0)
			return -1;
		if (left < 0.05)
			step.tv_nsec = (long)(left * 1e9);
		nanosleep(&step, NULL);
	}
	return s3_signal != 0 ? -1 : 0;
}

/* What went wrong, for a message: "503 SlowDown: text", or libcurl's. */
static void
describe(const struct s3_resp *r, char *buf, size_t n)
{
	if (r->transport || r->status == 0)
		snprintf(buf, n, "%s", r->why[0] != '\0' ? r->why :
		    "no answer");
	else
		snprintf(buf, n, "%ld%s%s%s%s", r->status,
		    r->code[0] != '\0' ? " " : "", r->code,
		    r->message[0] != '\0' ? ": " : "", r->message);
}

/*
 * Whether the key holds the body of req, a PUT: its ETag is the body's
 * MD5.  For a conditional PUT refused after an attempt whose answer was
 * lost, which may have stored it.
 */
static int
landed(struct s3 *s3, struct s3_req *req)
{
	struct s3_req h;
	struct s3_resp r;
	struct xfer x;
	unsigned char md5[16];
	char want[40];
	size_t i;
	int cond = 0, yes;

	if (strcmp(req->method, "PUT") != 0 || req->body == NULL)
		return 0;
	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "if-none-match") == 0)
			cond = 1;
		if (strcasecmp(req->headers[i].name, "x-amz-copy-source") == 0)
			return 0;
	}
	if (!cond || EVP_Digest(req->body, req->bodylen, md5, NULL, EVP_md5(),
	    NULL) != 1)
		return 0;
	want[0] = '"';
	bk_hex(want + 1, md5, 16);
	strcat(want, "\"");
	memset(&h, 0, sizeof(h));
	h.method = "HEAD";
	h.head = 1;
	h.bucket = req->bucket;
	h.key = req->key;
	memset(&x, 0, sizeof(x));
	x.req = &h;
	x.resp = &r;
	x.curl = s3->curl;
	yes = request_once(s3, &x) == 0 && r.status == 200 &&
	    strcmp(r.etag, want) == 0;
	s3_resp_free(&r);
	return yes;
}

int
s3_request(struct s3 *s3, struct s3_req *req, struct s3_resp *resp)
{
	struct timespec t0;
	struct xfer x;
	char etag[130], range[48], what[512], *name;
	size_t i, nh0 = req->nheaders;
	uint64_t done = 0;	/* bytes the sink took, over every attempt */
	unsigned attempt;
	double wait, left;
	int r, lost = 0;

	/* Never an upload id that is empty: radosgw takes it for none. */
	for (i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, "uploadId") == 0 &&
		    (req->query[i].value == NULL ||
		    req->query[i].value[0] == '\0'))
			bk_errx(BK_EX_SOFTWARE, "a request with an empty "
			    "upload id (not sent)");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	etag[0] = '\0';
	for (attempt = 1;; attempt++) {
		memset(&x, 0, sizeof(x));
		x.req = req;
		x.resp = resp;
		x.curl = s3->curl;
		x.resume = done;
		if (done > 0) {
			/* The rest of the object the first answer began. */
			snprintf(range, sizeof(range), "bytes=%ju-",
			    (uintmax_t)done);
			s3_req_header(req, "range", range);
			s3_req_header(req, "if-match", etag);
		}
		r = request_once(s3, &x);
		req->nheaders = nh0;
		resp->attempts = attempt;
		if (r == 0 && x.resumed)
			resp->length = resp->range_size;
		if (done == 0 && x.sunk > 0)
			snprintf(etag, sizeof(etag), "%s", resp->etag);
		done += x.sunk;
		if (!retriable(resp))
			break;
		if (done > 0 && etag[0] == '\0') {
			resp->permanent = 1;
			snprintf(resp->why, sizeof(resp->why), "the download "
			    "broke after %ju bytes, and the object has no "
			    "ETag to resume it by", (uintmax_t)done);
			break;
		}
		lost |= resp->transport;
		left = (double)s3->retry_time - since(&t0);
		/* After a signal, what must still be sent (an abort) goes once. */
		if (attempt > s3->retries || left <= 0 || s3_signal != 0)
			break;
		wait = backoff(attempt - 1);
		if (wait > left)
			wait = left;
		if (bk_verbosity() > 0) {
			name = s3_name(req->bucket, req->key);
			describe(resp, what, sizeof(what));
			bk_info("\"%s\": %s: %s; retry %u of %u in %.1f s%s",
			    name, req->method, what, attempt, s3->retries,
			    wait, done > 0 ? ", from where it broke" : "");
			free(name);
		}
		if (pause_for(wait) == -1) {
			/* A signal: stop; an abort keeps its failure. */
			if (req->unstoppable)
				break;
			resp->stopped = 1;
			return -1;
		}
		s3_resp_free(resp);
	}
	if (r == 0 && resp->status == 412 && lost && landed(s3, req)) {
		name = s3_name(req->bucket, req->key);
		bk_info("\"%s\": stored by an attempt whose answer was lost",
		    name);
		free(name);
		resp->status = 200;
		resp->code[0] = resp->message[0] = '\0';
		resp->reply.len = 0;
		resp->reply.p[0] = '\0';
	}
	return r;
}

/* ---- what a failure means ---- */

int
s3_exit_code(const struct s3_resp *r)
{
	if (r->tls)
		return BK_EX_CONFIG;
	if (r->transport || r->status == 0)
		return BK_EX_UNAVAILABLE;
	if (strcmp(r->code, "BadDigest") == 0 ||
	    strcmp(r->code, "InvalidDigest") == 0 ||
	    strcmp(r->code, "XAmzContentSHA256Mismatch") == 0)
		return BK_EX_DATAERR;
	switch (r->status) {
	case 401:
	case 403:
		return BK_EX_NOPERM;
	case 404:
		return BK_EX_NOINPUT;
	case 412:
		return BK_EX_CANTCREAT;
	case 429:
		return BK_EX_UNAVAILABLE;
	}
	if (r->status >= 500)
		return BK_EX_UNAVAILABLE;
	return BK_EX_SOFTWARE;
}

void
s3_fail(const struct s3_resp *r, const char *what, const char *bucket,
    const char *key)
{
	char *name = s3_name(bucket, key), why[512], tries[32];

	tries[0] = '\0';
	if (r->attempts > 1)
		snprintf(tries, sizeof(tries), " (%u attempts)", r->attempts);
	if (r->status == 412 && !r->transport)
		bk_errx(BK_EX_CANTCREAT, "could not %s \"%s\": it exists "
		    "(-f replaces it)", what, name);
	/* A HEAD reply has no body, hence no code: say what the status says. */
	if (r->code[0] == '\0' && !r->transport &&
	    (r->status == 403 || r->status == 404))
		snprintf(why, sizeof(why), "%ld %s", r->status,
		    r->status == 403 ? "access denied" : "not found");
	else
		describe(r, why, sizeof(why));
	bk_errx(s3_exit_code(r), "could not %s \"%s\": %s%s", what, name, why,
	    tries);
}
