/*
 * get.c: an object to a file or standard output, checked on the way:
 * the size the store announced, and the sha256 of bk-s3's metadata (or,
 * for an object another program wrote in one request, the MD5 of its
 * ETag).  With -o nothing is committed unless every check passed.
 *
 * A download that breaks resumes where it broke (s3_request asks for the
 * rest of the object the first answer began, by its ETag), the digests
 * running on over the whole stream.  A mismatch once the whole object
 * came is final: the store holds what it holds, and asking again would
 * only fetch it again.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "s3.h"

struct getter {
	struct bk_out	 out;
	EVP_MD_CTX	*sha256;
	EVP_MD_CTX	*md5;		/* only when md5_etag */
	const struct s3_resp *resp;	/* its headers came before the body */
	uint64_t	 bytes;
};

/*
 * Whether the MD5 of the object's bytes is what checks them: no sha256
 * metadata, and an ETag that is an MD5 (an object written in one
 * request; a multipart object's ETag is the MD5 of its parts' MD5s, with
 * "-N").  The headers are known before the first byte of the body.
 */
static int
md5_etag(const struct s3_resp *r)
{
	return r->sha256[0] == '\0' && strlen(r->etag) == 34 &&
	    r->etag[0] == '"' && r->etag[33] == '"' &&
	    strspn(r->etag + 1, "0123456789abcdef") == 32;
}

static int
get_sink(void *arg, const void *p, size_t n)
{
	struct getter *g = arg;

	if (EVP_DigestUpdate(g->sha256, p, n) != 1 ||
	    (md5_etag(g->resp) && EVP_DigestUpdate(g->md5, p, n) != 1))
		bk_errx(BK_EX_SOFTWARE, "could not compute a digest");
	bk_out_write(&g->out, p, n);
	g->bytes += n;
	return 0;
}

int
s3_cmd_get(struct s3 *s3, const struct s3_opts *o)
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
	g.resp = &resp;
	if (s3_request(s3, &req, &resp) == -1 || resp.status < 200 ||
	    resp.status > 299) {
		bk_out_abort(&g.out);
		/* get asks no condition but If-Match, when it resumes. */
		if (!resp.transport && resp.status == 412)
			bk_errx(BK_EX_DATAERR, "could not download \"%s\": it "
			    "changed after %ju bytes had come (another ETag)",
			    name, (uintmax_t)g.bytes);
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
			    s3_hex(resp.sha256, 64) ? resp.sha256 :
			    "something that is not a sha256");
		}
	} else if (md5_etag(&resp)) {
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
