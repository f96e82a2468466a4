/*
 * object.c: one object's metadata (head), and its removal (rm).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

int
s3_cmd_head(struct s3 *s3, const struct s3_opts *o)
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
	if (s3_hex(resp.sha256, 64))
		printf("sha256: %s\n", resp.sha256);
	s3_resp_free(&resp);
	return BK_EX_OK;
}

int
s3_cmd_rm(struct s3 *s3, const struct s3_opts *o)
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
