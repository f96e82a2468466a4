/*
 * cleanup.c: the multipart uploads that were begun and never completed
 * nor aborted (a put killed by SIGKILL, a machine that died), whose parts
 * the store keeps, and bills, until someone aborts them.  They are
 * listed page by page (ListMultipartUploads, with its key and upload id
 * markers); each page's old ones are aborted before the next page is
 * asked for, which the markers do not mind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3.h"

struct upload_entry {
	char	*key;
	char	*id;
	char	*initiated;
};

struct cleaner {
	const struct s3_opts	*o;
	struct upload_entry	*v;		/* this page's uploads */
	size_t			 n;
	struct upload_entry	 cur;		/* the one being read */
	int			 truncated;
	char			*next_key;	/* NextKeyMarker */
	char			*next_id;	/* NextUploadIdMarker */
	uint64_t		 seen, aborted, kept;
	int			 code;		/* of the first failure */
};

static void
set(char **dst, const char *text, size_t len)
{
	free(*dst);
	*dst = bk_malloc(len + 1);
	memcpy(*dst, text, len + 1);
}

static void
scan_uploads(void *arg, enum s3_xml_event ev, const char *path,
    const char *text, size_t len)
{
	struct cleaner *c = arg;

	if (ev == S3_XML_CLOSE && strcmp(path,
	    "ListMultipartUploadsResult/Upload") == 0) {
		c->v = bk_reallocarray(c->v, c->n + 1, sizeof(*c->v));
		c->v[c->n++] = c->cur;
		memset(&c->cur, 0, sizeof(c->cur));
	}
	if (ev != S3_XML_TEXT)
		return;
	if (strcmp(path, "ListMultipartUploadsResult/Upload/Key") == 0)
		set(&c->cur.key, text, len);
	else if (strcmp(path, "ListMultipartUploadsResult/Upload/UploadId") ==
	    0)
		set(&c->cur.id, text, len);
	else if (strcmp(path, "ListMultipartUploadsResult/Upload/Initiated") ==
	    0)
		set(&c->cur.initiated, text, len);
	else if (strcmp(path, "ListMultipartUploadsResult/IsTruncated") == 0)
		c->truncated = strcmp(text, "true") == 0;
	else if (strcmp(path, "ListMultipartUploadsResult/NextKeyMarker") == 0)
		set(&c->next_key, text, len);
	else if (strcmp(path, "ListMultipartUploadsResult/NextUploadIdMarker")
	    == 0)
		set(&c->next_id, text, len);
}

/* An id that can be sent back: not empty, no control byte, not huge. */
static int
good_id(const char *id)
{
	const char *p;

	if (id == NULL || id[0] == '\0' || strlen(id) > 1024)
		return 0;
	for (p = id; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Aborts one upload, or keeps it, or says what -n would do. */
static void
clean_one(struct s3 *s3, struct cleaner *c, const struct upload_entry *e,
    time_t now)
{
	struct s3_resp resp;
	char *name;
	time_t t;
	long off;

	c->seen++;
	name = s3_name(c->o->bucket, e->key);
	if (e->key == NULL || !good_id(e->id) || e->initiated == NULL ||
	    bk_parse_date(e->initiated, &t, &off) == -1) {
		bk_warnx("\"%s\": an upload of the listing without a usable "
		    "key, id or date: kept", name);
		c->kept++;
		goto out;
	}
	if (t > now || now - t < c->o->older_than) {
		bk_info("\"%s\": upload %s, initiated %s: kept", name, e->id,
		    e->initiated);
		c->kept++;
		goto out;
	}
	if (c->o->dry_run) {
		printf("would abort %s (upload %s, initiated %s)\n", name,
		    e->id, e->initiated);
		goto out;
	}
	if (s3_abort(s3, c->o->bucket, e->key, e->id, &resp) == 0) {
		printf("aborted %s (upload %s, initiated %s)\n", name, e->id,
		    e->initiated);
		c->aborted++;
	} else if (resp.status == 404) {
		/* Completed or aborted by another since it was listed. */
		bk_info("\"%s\": upload %s is gone already", name, e->id);
	} else {
		bk_warnx("could not abort upload %s of \"%s\": %s%s%s", e->id,
		    name, resp.transport ? resp.why : resp.code[0] != '\0' ?
		    resp.code : "refused", resp.message[0] != '\0' ? ": " : "",
		    resp.message);
		if (c->code == BK_EX_OK)
			c->code = s3_exit_code(&resp);
	}
	s3_resp_free(&resp);
out:
	free(name);
}

static void
free_page(struct cleaner *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].id);
		free(c->v[i].initiated);
	}
	c->n = 0;
}

int
s3_cmd_cleanup(struct s3 *s3, const struct s3_opts *o)
{
	struct cleaner c;
	struct s3_req req;
	struct s3_resp resp;
	char *key_marker = NULL, *id_marker = NULL, *name, max[16], why[128];
	time_t now = time(NULL);
	size_t i;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.code = BK_EX_OK;
	snprintf(max, sizeof(max), "%u", o->page_size);
	for (;;) {
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.bucket = o->bucket;
		s3_req_param(&req, "uploads", NULL);
		s3_req_param(&req, "prefix", o->key);
		if (o->page_size > 0)
			s3_req_param(&req, "max-uploads", max);
		if (key_marker != NULL) {
			s3_req_param(&req, "key-marker", key_marker);
			s3_req_param(&req, "upload-id-marker", id_marker);
		}
		if (s3_request(s3, &req, &resp) == -1 || resp.status < 200 ||
		    resp.status > 299 || resp.code[0] != '\0')
			s3_fail(&resp, "list the uploads of", o->bucket, o->key);
		c.truncated = 0;
		free(c.next_key);
		free(c.next_id);
		c.next_key = c.next_id = NULL;
		if (resp.too_long || s3_xml_parse(resp.reply.p, resp.reply.len,
		    scan_uploads, &c, why, sizeof(why)) == -1)
			bk_errx(BK_EX_UNAVAILABLE, "could not list the uploads "
			    "of \"s3://%s/\": a bad reply (%s)", o->bucket,
			    resp.too_long ? "too long" : why);
		s3_resp_free(&resp);
		for (i = 0; i < c.n; i++)
			clean_one(s3, &c, &c.v[i], now);
		free_page(&c);
		if (!c.truncated)
			break;
		/* A store that says "more" must say where, and move on. */
		if (c.next_key == NULL || c.next_id == NULL ||
		    (key_marker != NULL && strcmp(key_marker, c.next_key) == 0 &&
		    strcmp(id_marker, c.next_id) == 0))
			bk_errx(BK_EX_UNAVAILABLE, "could not list the uploads "
			    "of \"s3://%s/\": a truncated page without new "
			    "markers", o->bucket);
		free(key_marker);
		free(id_marker);
		key_marker = c.next_key;
		id_marker = c.next_id;
		c.next_key = c.next_id = NULL;
	}
	free(key_marker);
	free(id_marker);
	free(c.next_key);
	free(c.next_id);
	free(c.v);
	free(c.cur.key);
	free(c.cur.id);
	free(c.cur.initiated);
	name = s3_name(o->bucket, o->key);
	bk_info("\"%s\": %ju incomplete uploads, %ju %s, %ju kept", name,
	    (uintmax_t)c.seen, (uintmax_t)(o->dry_run ? c.seen - c.kept :
	    c.aborted), o->dry_run ? "to abort" : "aborted",
	    (uintmax_t)c.kept);
	free(name);
	return c.code;
}
