/*
 * put.c: a stream to one S3 object, in a single PUT or in parts.
 *
 * The stream's length is not known in advance.  The first part is read
 * whole: a stream that ends within it (or exactly at its end) goes in one
 * PutObject.  Otherwise a multipart upload sends parts of one size (some
 * stores, R2 among them, refuse unequal parts), the last shorter, and a
 * second thread reads and hashes the next part while the current one is
 * on the wire: two buffers of the part size, no more.  Each body carries
 * its Content-MD5 and its sha256 in the signed x-amz-content-sha256, both
 * of which the server checks.
 *
 * The whole stream's sha256 is known only at its end, after the upload
 * began, and S3 takes metadata only when an object is made: a multipart
 * object is therefore copied onto itself with the metadata once it is
 * complete (the copy names the ETag it expects, so it cannot take another
 * writer's object).  A HEAD then checks the size, the ETag (the MD5 of
 * the parts' MD5s with "-N") and the metadata; radosgw's answer to
 * CompleteMultipartUpload carries an empty ETag, so that answer proves
 * nothing by itself.
 *
 * In a versioned bucket (one with object lock is), that copy is a second
 * version: once it is checked, the version that completing the upload
 * made is deleted by its id, so that one upload leaves one version.  A
 * lock asked for goes on the single PUT, or on the copy with
 * PutObjectRetention (radosgw 16 ignores the lock headers of a copy),
 * and is then read back.  Encryption asked for goes with the PUT, the
 * start of a multipart upload and the copy, and must be in the replies:
 * radosgw 16 answers 200 to AES256 and stores the plaintext.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "s3.h"

#define MiB		((uint64_t)1024 * 1024)
#define PART_LEAST	(5 * MiB)		/* S3's least */
#define PART_MOST	(5 * 1024 * MiB)	/* S3's most */

struct part {
	unsigned char	*buf;
	size_t		 len;
	unsigned char	 md5[16];
	char		 md5_b64[32];	/* Content-MD5 */
	char		 sha256[S3_SHA256_HEX];
	int		 err;		/* errno of a failed read, or EINTR */
};

struct upload {
	struct s3	*s3;
	struct s3_put	*p;
	EVP_MD_CTX	*whole;		/* sha256 of the stream so far */
	char		*upload_id;	/* NULL until one is given */
	unsigned char	*md5s;		/* 16 bytes per part sent */
	size_t		 nparts;
	unsigned	 max_parts;
	char		*name;		/* s3://bucket/key for messages */
	char		 lock_date[32];	/* retain-until, as S3 wants it */
	char		*made;		/* version ids of what was stored */
	char		*copied;	/* (NULL: none, or not versioned) */
};

/* A read that gives up when a signal asked bk-s3 to stop. */
static ssize_t
read_some(int fd, void *buf, size_t n)
{
	struct pollfd pfd;
	ssize_t k;
	int r;

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (s3_signal != 0) {
			errno = EINTR;
			return -1;
		}
		pfd.revents = 0;
		r = poll(&pfd, 1, 200);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		k = read(fd, buf, n);
		if (k == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		return k;
	}
}

static void
digest(const EVP_MD *md, const void *p, size_t n, unsigned char *out)
{
	if (EVP_Digest(p, n, out, NULL, md, NULL) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not compute a digest");
}

/*
 * Fills a part from the stream, up to the part size or the end, and
 * hashes it: its MD5 and sha256, and the whole stream's sha256.  Runs in
 * the reading thread; sets pt->err rather than reporting.
 */
static void
fill(struct upload *u, struct part *pt)
{
	unsigned char sha[32];
	ssize_t k;

	pt->len = 0;
	pt->err = 0;
	while (pt->len < u->p->part_size) {
		k = read_some(u->p->fd, pt->buf + pt->len,
		    u->p->part_size - pt->len);
		if (k == -1) {
			pt->err = errno;
			return;
		}
		if (k == 0)
			break;
		pt->len += (size_t)k;
		if (u->p->meter != NULL)
			bk_progress_add(u->p->meter, (uint64_t)k);
	}
	digest(EVP_md5(), pt->buf, pt->len, pt->md5);
	EVP_EncodeBlock((unsigned char *)pt->md5_b64, pt->md5, 16);
	digest(EVP_sha256(), pt->buf, pt->len, sha);
	bk_hex(pt->sha256, sha, sizeof(sha));
	if (EVP_DigestUpdate(u->whole, pt->buf, pt->len) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not compute a digest");
	u->p->size += pt->len;
}

struct filler {
	struct upload	*u;
	struct part	*pt;
};

static void *
fill_thread(void *arg)
{
	struct filler *f = arg;

	fill(f->u, f->pt);
	return NULL;
}

/* ---- leaving: abort what was begun, then exit or die of the signal ---- */

static int
ok(const struct s3_resp *r)
{
	return r->status >= 200 && r->status <= 299 && r->code[0] == '\0';
}

/*
 * DELETE bucket/key, with ?param=value when param is given: never with
 * an empty value (radosgw deletes the object for an empty upload id, and
 * an empty version id names the latest), -1 at once for one.  Returns 0
 * when the store said yes, else -1 with its answer in resp.
 */
static int
delete_key(struct s3 *s3, const char *bucket, const char *key,
    const char *param, const char *value, struct s3_resp *resp)
{
	struct s3_req req;

	memset(resp, 0, sizeof(*resp));
	if (param != NULL && (value == NULL || value[0] == '\0'))
		return -1;
	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.bucket = bucket;
	req.key = key;
	req.unstoppable = 1;
	if (param != NULL)
		s3_req_param(&req, param, value);
	if (s3_request(s3, &req, resp) == -1 || !ok(resp))
		return -1;
	return 0;
}

int
s3_abort(struct s3 *s3, const char *bucket, const char *key, const char *id,
    struct s3_resp *resp)
{
	return delete_key(s3, bucket, key, "uploadId", id, resp);
}

static void
abort_upload(struct upload *u)
{
	struct s3_resp resp;

	if (u->upload_id == NULL || u->upload_id[0] == '\0')
		return;
	if (s3_abort(u->s3, u->p->bucket, u->p->key, u->upload_id, &resp) ==
	    -1)
		bk_warnx("could not abort the upload to \"%s\" (%s): its parts "
		    "stay until aborted", u->name, resp.transport ? resp.why :
		    resp.code[0] != '\0' ? resp.code : "refused");
	else
		bk_info("\"%s\": upload aborted", u->name);
	s3_resp_free(&resp);
	free(u->upload_id);
	u->upload_id = NULL;
}

static void BK_NORETURN
die_of_signal(struct upload *u)
{
	int sig = (int)s3_signal;

	abort_upload(u);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* A request that failed or was stopped: abort, then say why. */
static void BK_NORETURN
request_failed(struct upload *u, struct s3_resp *resp, const char *what)
{
	if (s3_signal != 0)
		die_of_signal(u);
	abort_upload(u);
	s3_fail(resp, what, u->p->bucket, u->p->key);
}

/* Aborts, then exits with code after 'could not upload "NAME": why'. */
static void BK_NORETURN
upload_failed(struct upload *u, int code, const char *why)
{
	if (s3_signal != 0)
		die_of_signal(u);
	abort_upload(u);
	bk_errx(code, "could not upload \"%s\": %s", u->name, why);
}

static void
check_read(struct upload *u, const struct part *pt)
{
	if (pt->err == 0)
		return;
	if (s3_signal != 0)
		die_of_signal(u);
	upload_failed(u, BK_EX_IOERR, bk_asprintf("could not read \"%s\": %s",
	    bk_input_name(u->p->input), strerror(pt->err)));
}

/* ---- the requests ---- */

/* The headers that make the object what was asked: encryption, class. */
static void
object_headers(struct upload *u, struct s3_req *req)
{
	if (u->p->sse != NULL)
		s3_req_header(req, "x-amz-server-side-encryption", u->p->sse);
	if (u->p->sse_kms_key_id != NULL)
		s3_req_header(req, "x-amz-server-side-encryption-aws-kms-key-id",
		    u->p->sse_kms_key_id);
	if (u->p->storage_class != NULL)
		s3_req_header(req, "x-amz-storage-class", u->p->storage_class);
}

/*
 * Whether a reply names the encryption asked for: radosgw 16 takes
 * AES256 with a 200 and stores the plaintext, saying nothing.
 */
static int
encrypted(const struct upload *u, const struct s3_resp *resp)
{
	return u->p->sse == NULL || strcasecmp(resp->sse, u->p->sse) == 0;
}

static void BK_NORETURN
not_encrypted(struct upload *u, const struct s3_resp *resp)
{
	upload_failed(u, BK_EX_CONFIG, bk_asprintf("the store does not "
	    "encrypt it with %s (its reply names %s)", u->p->sse,
	    resp->sse[0] != '\0' ? resp->sse : "no encryption"));
}

/* A version id to keep: one the store gave, not "null" (unversioned). */
static char *
version_of(const struct s3_resp *resp)
{
	if (resp->version_id[0] == '\0' ||
	    strcmp(resp->version_id, "null") == 0 ||
	    strlen(resp->version_id) + 1 >= sizeof(resp->version_id))
		return NULL;
	return bk_strdup(resp->version_id);
}

static void
put_single(struct upload *u, struct part *pt)
{
	struct s3_req req;
	struct s3_resp resp;

	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.bucket = u->p->bucket;
	req.key = u->p->key;
	req.body = pt->buf;
	req.bodylen = pt->len;
	req.body_sha256 = pt->sha256;
	s3_req_header(&req, "content-md5", pt->md5_b64);
	s3_req_header(&req, "x-amz-meta-sha256", u->p->sha256);
	if (!u->p->force)
		s3_req_header(&req, "if-none-match", "*");
	object_headers(u, &req);
	if (u->p->lock_until != 0) {
		s3_req_header(&req, "x-amz-object-lock-mode", u->p->lock_mode);
		s3_req_header(&req, "x-amz-object-lock-retain-until-date",
		    u->lock_date);
	}
	if (s3_request(u->s3, &req, &resp) == -1 || !ok(&resp))
		request_failed(u, &resp, "upload");
	u->made = version_of(&resp);
	s3_resp_free(&resp);
	bk_hex(u->p->etag + 1, pt->md5, 16);
	u->p->etag[0] = '"';
	strcat(u->p->etag, "\"");
}

/* Whether the key exists already (HEAD); exits on other failures. */
static int
exists(struct upload *u)
{
	struct s3_req req;
	struct s3_resp resp;
	int r;

	memset(&req, 0, sizeof(req));
	req.method = "HEAD";
	req.head = 1;
	req.bucket = u->p->bucket;
	req.key = u->p->key;
	if (s3_request(u->s3, &req, &resp) == -1)
		request_failed(u, &resp, "look up");
	if (resp.status == 404)
		r = 0;
	else if (ok(&resp))
		r = 1;
	else
		request_failed(u, &resp, "look up");
	s3_resp_free(&resp);
	return r;
}

struct initiate {
	char	*upload_id;
};

static void
scan_initiate(void *arg, enum s3_xml_event ev, const char *path,
    const char *text, size_t len)
{
	struct initiate *in = arg;

	if (ev == S3_XML_TEXT && strcmp(path,
	    "InitiateMultipartUploadResult/UploadId") == 0 &&
	    in->upload_id == NULL) {
		in->upload_id = bk_malloc(len + 1);
		memcpy(in->upload_id, text, len + 1);
	}
}

static void
initiate(struct upload *u)
{
	struct s3_req req;
	struct s3_resp resp;
	struct initiate in = { NULL };
	char why[128];
	const char *p;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.bucket = u->p->bucket;
	req.key = u->p->key;
	s3_req_param(&req, "uploads", NULL);
	object_headers(u, &req);
	if (s3_request(u->s3, &req, &resp) == -1 || !ok(&resp))
		request_failed(u, &resp, "start the upload of");
	if (s3_xml_parse(resp.reply.p, resp.reply.len, scan_initiate, &in,
	    why, sizeof(why)) == -1) {
		free(in.upload_id);
		upload_failed(u, BK_EX_UNAVAILABLE, bk_asprintf("a bad reply "
		    "to its start (%s)", why));
	}
	if (in.upload_id == NULL || in.upload_id[0] == '\0' ||
	    strlen(in.upload_id) > 1024)
		upload_failed(u, BK_EX_UNAVAILABLE, "no upload id in the "
		    "reply to its start");
	for (p = in.upload_id; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			/* An id that cannot be sent back cannot be aborted. */
			free(in.upload_id);
			upload_failed(u, BK_EX_UNAVAILABLE, "a bad upload id in "
			    "the reply to its start");
		}
	u->upload_id = in.upload_id;
	bk_info("\"%s\": multipart upload started", u->name);
	/* Before any part is sent: the parts would be stored as they came. */
	if (!encrypted(u, &resp))
		not_encrypted(u, &resp);
	s3_resp_free(&resp);
}

static void
put_part(struct upload *u, struct part *pt)
{
	struct s3_req req;
	struct s3_resp resp;
	char num[16], want[40];

	if (u->nparts == u->max_parts) {
		char size[32];

		bk_format_size(size, sizeof(size), u->p->part_size);
		upload_failed(u, BK_EX_DATAERR, bk_asprintf("the stream is "
		    "longer than %u parts of %s (--expected-size makes them "
		    "larger)", u->max_parts, size));
	}
	snprintf(num, sizeof(num), "%zu", u->nparts + 1);
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.bucket = u->p->bucket;
	req.key = u->p->key;
	req.body = pt->buf;
	req.bodylen = pt->len;
	req.body_sha256 = pt->sha256;
	s3_req_param(&req, "partNumber", num);
	s3_req_param(&req, "uploadId", u->upload_id);
	s3_req_header(&req, "content-md5", pt->md5_b64);
	if (s3_request(u->s3, &req, &resp) == -1 || !ok(&resp))
		request_failed(u, &resp, "upload a part of");
	want[0] = '"';
	bk_hex(want + 1, pt->md5, 16);
	strcat(want, "\"");
	if (strcmp(resp.etag, want) != 0)
		upload_failed(u, BK_EX_DATAERR, resp.etag[0] != '\0' ?
		    "the server gave a part an ETag that is not its MD5" :
		    "the server gave a part no ETag");
	s3_resp_free(&resp);
	u->md5s = bk_reallocarray(u->md5s, u->nparts + 1, 16);
	memcpy(u->md5s + 16 * u->nparts, pt->md5, 16);
	u->nparts++;
	bk_info("\"%s\": part %zu sent (%zu bytes)", u->name, u->nparts,
	    pt->len);
}

static void
complete(struct upload *u)
{
	struct bk_buf body = { NULL, 0, 0 };
	struct s3_req req;
	struct s3_resp resp;
	unsigned char md5[16];
	char hex[33], *line, b64[32];
	size_t i;

	bk_buf_add(&body, "<CompleteMultipartUpload>", 25);
	for (i = 0; i < u->nparts; i++) {
		bk_hex(hex, u->md5s + 16 * i, 16);
		line = bk_asprintf("<Part><PartNumber>%zu</PartNumber>"
		    "<ETag>\"%s\"</ETag></Part>", i + 1, hex);
		bk_buf_add(&body, line, strlen(line));
		free(line);
	}
	bk_buf_add(&body, "</CompleteMultipartUpload>", 26);
	digest(EVP_md5(), body.p, body.len, md5);
	EVP_EncodeBlock((unsigned char *)b64, md5, 16);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.bucket = u->p->bucket;
	req.key = u->p->key;
	req.body = body.p;
	req.bodylen = body.len;
	s3_req_param(&req, "uploadId", u->upload_id);
	s3_req_header(&req, "content-md5", b64);
	if (!u->p->force)
		s3_req_header(&req, "if-none-match", "*");
	/*
	 * A 200 can carry an <Error>: ok() reads the body's code.  An
	 * upload that is not there any more may be one this request
	 * completed when sent before (by s3_request, or by libcurl on a
	 * kept connection) and whose answer was lost: the HEAD after this
	 * says whether the object is the one sent.
	 */
	if (s3_request(u->s3, &req, &resp) == -1 || !ok(&resp)) {
		if (!resp.transport && strcmp(resp.code, "NoSuchUpload") == 0)
			bk_info("\"%s\": no upload to complete: checking "
			    "whether an attempt whose answer was lost did",
			    u->name);
		else
			request_failed(u, &resp, "complete the upload of");
	}
	u->made = version_of(&resp);
	s3_resp_free(&resp);
	free(body.p);
	free(u->upload_id);
	u->upload_id = NULL;	/* done: nothing to abort now */

	/* The ETag S3 gives a multipart object. */
	digest(EVP_md5(), u->md5s, 16 * u->nparts, md5);
	u->p->etag[0] = '"';
	bk_hex(u->p->etag + 1, md5, 16);
	snprintf(u->p->etag + 33, sizeof(u->p->etag) - 33, "-%zu\"",
	    u->nparts);
	u->p->parts = (unsigned)u->nparts;
}

static void	discard(struct upload *);

/*
 * Copies the object onto itself with the sha256 as its metadata.
 * Returns 0, or -1 when the store cannot copy an encrypted object
 * (radosgw 16 answers 501 NotImplemented to any copy of an SSE-KMS
 * object): then the object stays as it is, without the metadata.
 */
static int
set_metadata(struct upload *u)
{
	struct bk_buf src = { NULL, 0, 0 };
	struct s3_req req;
	struct s3_resp resp;
	int r = 0;

	bk_buf_add(&src, "/", 1);
	s3_uri_encode(&src, u->p->bucket, strlen(u->p->bucket), 0);
	bk_buf_add(&src, "/", 1);
	s3_uri_encode(&src, u->p->key, strlen(u->p->key), 1);
	if (u->made != NULL) {
		/* That version: the one this upload made, not a newer one. */
		bk_buf_add(&src, "?versionId=", 11);
		s3_uri_encode(&src, u->made, strlen(u->made), 0);
	}
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.bucket = u->p->bucket;
	req.key = u->p->key;
	s3_req_header(&req, "x-amz-copy-source", src.p);
	s3_req_header(&req, "x-amz-copy-source-if-match", u->p->etag);
	s3_req_header(&req, "x-amz-metadata-directive", "REPLACE");
	s3_req_header(&req, "x-amz-meta-sha256", u->p->sha256);
	/* A copy is encrypted and classed as its request says, not its source. */
	object_headers(u, &req);
	if (s3_request(u->s3, &req, &resp) == 0 && u->p->sse != NULL &&
	    resp.status == 501) {
		bk_warnx("\"%s\": the store cannot copy an encrypted object "
		    "(501 %s): it keeps no sha256 metadata", u->name,
		    resp.code);
		r = -1;
	} else if (resp.transport || !ok(&resp)) {
		/* Ours, checked; but for a 412: another writer's since. */
		if (s3_signal == 0 && resp.status != 412)
			discard(u);
		s3_fail(&resp, "record the sha256 of", u->p->bucket,
		    u->p->key);
	}
	s3_resp_free(&resp);
	free(src.p);
	return r;
}

/* ---- versions and locks ---- */

/*
 * Removes what this upload stored, once checked to be its own but not
 * what was asked: its versions, or the key in a bucket without them.
 */
static void
discard(struct upload *u)
{
	struct s3_resp resp;
	const char *v[2] = { u->copied, u->made };
	int i;

	for (i = 0; i < 2; i++) {
		if (v[i] == NULL)
			continue;
		if (delete_key(u->s3, u->p->bucket, u->p->key, "versionId",
		    v[i], &resp) == -1)
			bk_warnx("could not remove version %s of \"%s\"", v[i],
			    u->name);
		s3_resp_free(&resp);
	}
	if (u->copied == NULL && u->made == NULL) {
		if (delete_key(u->s3, u->p->bucket, u->p->key, NULL, NULL,
		    &resp) == -1)
			bk_warnx("could not remove \"%s\"", u->name);
		s3_resp_free(&resp);
	}
}

/*
 * Before anything is read: a lock needs a bucket that has object lock
 * (s3_bucket_locked exits on a refusal to say).
 */
static void
check_bucket_lock(struct upload *u)
{
	if (!s3_bucket_locked(u->s3, u->p->bucket))
		bk_errx(BK_EX_CONFIG, "could not upload \"%s\": bucket \"%s\" "
		    "has no object lock (the store says so; it is enabled when "
		    "a bucket is created)", u->name, u->p->bucket);
}

/* PutObjectRetention on one version (radosgw 16 ignores a copy's headers). */
static void
lock_version(struct upload *u, const char *vid)
{
	struct s3_req req;
	struct s3_resp resp;
	unsigned char md5[16];
	char b64[32], *body;

	body = bk_asprintf("<Retention xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><Mode>%s</Mode><RetainUntilDate>%s"
	    "</RetainUntilDate></Retention>", u->p->lock_mode, u->lock_date);
	digest(EVP_md5(), body, strlen(body), md5);
	EVP_EncodeBlock((unsigned char *)b64, md5, 16);
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.bucket = u->p->bucket;
	req.key = u->p->key;
	req.body = body;
	req.bodylen = strlen(body);
	s3_req_param(&req, "retention", NULL);
	if (vid != NULL)
		s3_req_param(&req, "versionId", vid);
	s3_req_header(&req, "content-md5", b64);
	if (s3_request(u->s3, &req, &resp) == -1 || !ok(&resp)) {
		discard(u);
		s3_fail(&resp, "lock", u->p->bucket, u->p->key);
	}
	s3_resp_free(&resp);
	free(body);
}

/* The store keeps the lock asked for on that version. */
static void
check_lock(struct upload *u, const char *vid)
{
	struct s3_lock lock;

	s3_lock_get(u->s3, u->p->bucket, u->p->key, vid, &lock);
	if (strcmp(lock.mode, u->p->lock_mode) != 0 || !lock.has_until ||
	    lock.until != u->p->lock_until) {
		discard(u);
		bk_errx(BK_EX_DATAERR, "\"%s\": the store does not keep the "
		    "lock asked for (%s until %s): it has %s", u->name,
		    u->p->lock_mode, u->lock_date, lock.mode[0] != '\0' ?
		    lock.mode : "none");
	}
	bk_info("\"%s\": locked in %s mode until %s", u->name, lock.mode,
	    u->lock_date);
}

/*
 * The version completing the upload made, now that its copy with the
 * metadata is checked: deleted, so that one upload leaves one version.
 * A default retention of the bucket may lock it: then it stays.
 */
static void
drop_completed(struct upload *u)
{
	struct s3_resp resp;

	if (u->made == NULL || u->copied == NULL ||
	    strcmp(u->made, u->copied) == 0)
		return;
	if (delete_key(u->s3, u->p->bucket, u->p->key, "versionId", u->made,
	    &resp) == 0)
		bk_info("\"%s\": version %s, made by completing the upload "
		    "before its copy with the sha256, deleted", u->name,
		    u->made);
	else
		bk_warnx("could not delete version %s of \"%s\", made by "
		    "completing the upload (%s): it stays beside its copy",
		    u->made, u->name, resp.code[0] != '\0' ? resp.code :
		    resp.transport ? resp.why : "refused");
	s3_resp_free(&resp);
}

/*
 * HEAD: the object has the size, the ETag (if given), the sha256 (if
 * sha) and the encryption it should.  Its version id (NULL when
 * unversioned) goes to *vid when vid is not NULL.  Encryption missing
 * from an object that is otherwise ours: it is removed.
 */
static void
check_object(struct upload *u, const char *etag, int sha, char **vid)
{
	struct s3_req req;
	struct s3_resp resp;

	memset(&req, 0, sizeof(req));
	req.method = "HEAD";
	req.head = 1;
	req.bucket = u->p->bucket;
	req.key = u->p->key;
	if (s3_request(u->s3, &req, &resp) == -1 || !ok(&resp))
		s3_fail(&resp, "check", u->p->bucket, u->p->key);
	if (resp.length < 0 || (uint64_t)resp.length != u->p->size)
		bk_errx(BK_EX_DATAERR, "\"%s\": the stored object has %jd "
		    "bytes, not the %ju sent", u->name, (intmax_t)resp.length,
		    (uintmax_t)u->p->size);
	if (etag != NULL && strcmp(resp.etag, etag) != 0)
		bk_errx(BK_EX_DATAERR, "\"%s\": the stored object's ETag is "
		    "%s, not %s", u->name, resp.etag[0] != '\0' ? resp.etag :
		    "missing", etag);
	if (sha && strcmp(resp.sha256, u->p->sha256) != 0)
		bk_errx(BK_EX_DATAERR, "\"%s\": the stored object's sha256 "
		    "metadata is not the stream's", u->name);
	if (vid != NULL)
		*vid = version_of(&resp);
	if (!encrypted(u, &resp)) {
		discard(u);
		not_encrypted(u, &resp);
	}
	s3_resp_free(&resp);
}

uint64_t
s3_part_size_for(uint64_t expected, unsigned max_parts, uint64_t least)
{
	uint64_t n;

	if (max_parts == 0)
		max_parts = S3_MAX_PARTS;
	n = expected / max_parts + (expected % max_parts != 0);
	n = (n + MiB - 1) / MiB * MiB;
	if (n < least)
		n = least;
	if (n < PART_LEAST)
		n = PART_LEAST;
	return n > PART_MOST ? 0 : n;
}

void
s3_put_stream(struct s3 *s3, struct s3_put *p)
{
	struct upload u;
	struct part parts[2], *cur, *spare, *t;
	struct filler f;
	pthread_t th;
	unsigned char sha[32];
	unsigned int shalen;
	int more;
	const char *vid;

	memset(&u, 0, sizeof(u));
	u.s3 = s3;
	u.p = p;
	u.name = s3_name(p->bucket, p->key);
	u.max_parts = p->max_parts != 0 ? p->max_parts : S3_MAX_PARTS;
	p->size = 0;
	if (p->lock_until != 0) {
		bk_format_rfc3339(u.lock_date, sizeof(u.lock_date),
		    p->lock_until, 0);
		check_bucket_lock(&u);
	}
	if ((u.whole = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(u.whole, EVP_sha256(), NULL) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not start a digest");
	memset(parts, 0, sizeof(parts));
	parts[0].buf = bk_malloc(p->part_size);
	cur = &parts[0];
	spare = &parts[1];

	fill(&u, cur);
	check_read(&u, cur);
	if (cur->len == p->part_size) {
		spare->buf = bk_malloc(p->part_size);
		fill(&u, spare);
		check_read(&u, spare);
	}
	if (spare->len == 0) {
		/* The whole stream is in the first part. */
		EVP_DigestFinal_ex(u.whole, sha, &shalen);
		bk_hex(p->sha256, sha, sizeof(sha));
		put_single(&u, cur);
		check_object(&u, p->etag, 1, NULL);
		if (p->lock_until != 0)
			check_lock(&u, u.made);
		goto done;
	}

	if (!p->force && exists(&u)) {
		bk_errx(BK_EX_CANTCREAT, "could not upload \"%s\": it exists "
		    "(-f replaces it)", u.name);
	}
	initiate(&u);
	if (s3_signal != 0)
		die_of_signal(&u);
	put_part(&u, cur);
	t = cur;
	cur = spare;
	spare = t;
	for (;;) {
		more = cur->len == p->part_size;
		if (more) {
			f.u = &u;
			f.pt = spare;
			if (pthread_create(&th, NULL, fill_thread, &f) != 0)
				upload_failed(&u, BK_EX_SOFTWARE,
				    "could not start a thread");
		}
		put_part(&u, cur);
		if (!more)
			break;
		pthread_join(th, NULL);
		check_read(&u, spare);
		if (spare->len == 0)
			break;
		t = cur;
		cur = spare;
		spare = t;
	}
	if (s3_signal != 0)
		die_of_signal(&u);
	EVP_DigestFinal_ex(u.whole, sha, &shalen);
	bk_hex(p->sha256, sha, sizeof(sha));
	complete(&u);
	check_object(&u, p->etag, 0, NULL);
	if (set_metadata(&u) == 0) {
		check_object(&u, NULL, 1, &u.copied);
		vid = u.copied;
	} else
		vid = u.made;
	if (p->lock_until != 0) {
		lock_version(&u, vid);
		check_lock(&u, vid);
	}
	drop_completed(&u);
done:
	EVP_MD_CTX_free(u.whole);
	free(parts[0].buf);
	free(parts[1].buf);
	free(u.md5s);
	free(u.name);
	free(u.made);
	free(u.copied);
}

int
s3_cmd_put(struct s3 *s3, const struct s3_opts *o)
{
	struct s3_put p;
	struct s3_record *rec = NULL;
	struct bk_progress meter;
	struct stat st;
	char *name, size[32];

	memset(&p, 0, sizeof(p));
	p.bucket = o->bucket;
	p.key = o->key;
	p.input = o->input;
	p.fd = bk_open_input(o->input);
	p.part_size = (size_t)o->part_size;
	p.max_parts = o->max_parts;
	p.force = o->force;
	if (o->manifest != NULL)
		rec = s3_record_check(o, p.fd);
	p.sse = o->sse;
	p.sse_kms_key_id = o->sse_kms_key_id;
	p.storage_class = o->storage_class;
	p.lock_mode = o->lock_mode;
	p.lock_until = o->lock_until;
	bk_progress_init(&meter, o->progress, bk_input_name(o->input),
	    fstat(p.fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    (uint64_t)st.st_size : o->expected_size);
	p.meter = &meter;
	if (o->expected_size != 0) {
		bk_format_size(size, sizeof(size), p.part_size);
		bk_info("\"%s\": parts of %s, for %ju bytes in at most %u "
		    "parts", bk_input_name(o->input), size,
		    (uintmax_t)o->expected_size, o->max_parts);
	}
	s3_catch_signals();
	s3_put_stream(s3, &p);
	bk_progress_end(&meter);
	if (p.fd != STDIN_FILENO)
		close(p.fd);
	if (rec != NULL)
		s3_record_write(rec, &p);
	name = s3_name(o->bucket, o->key);
	printf("%s  %s\n", p.sha256, name);
	bk_format_size(size, sizeof(size), p.part_size);
	if (p.parts == 0)
		bk_info("\"%s\": %ju bytes in one request", name,
		    (uintmax_t)p.size);
	else
		bk_info("\"%s\": %ju bytes in %u parts of %s", name,
		    (uintmax_t)p.size, p.parts, size);
	free(name);
	return BK_EX_OK;
}
