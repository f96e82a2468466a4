/*
 * ls.c: the keys under a prefix, across as many pages as the store
 * gives, as lines for people or JSON Lines for programs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

struct lister {
	const struct s3_opts *o;
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

int
s3_cmd_ls(struct s3 *s3, const struct s3_opts *o)
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
