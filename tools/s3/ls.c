/*
 * ls.c: the keys under a prefix, across as many pages as the store
 * gives, as lines for people or JSON Lines for programs; with --json on a
 * bucket with object lock, each object's version and lock too.  The walk
 * over the pages (s3_list) serves rm as well, which looks for the current
 * version of one key, and cleanup, which looks for incomplete uploads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

/* One walk over the pages of a listing. */
struct walk {
	const char	*bucket;
	enum s3_listing	 kind;
	char		 entry[16];	/* the element of an entry, or "" */
	struct s3_entry	 e;		/* the entry being read */
	int		 truncated;
	char		*next;		/* NextContinuationToken, NextKeyMarker */
	char		*next_version;	/* NextVersionIdMarker,
					   NextUploadIdMarker */
	s3_entry_fn	*fn;
	void		*arg;
	int		 stop;		/* fn asked to stop */
};

static void
set(char **dst, const char *text, size_t len)
{
	free(*dst);
	*dst = bk_malloc(len + 1);
	memcpy(*dst, text, len + 1);
}

/*
 * A key of a listing asked with encoding-type=url, decoded: so that a
 * key holding a byte XML cannot carry (a control character) is listed
 * too.  A key that does not decode is kept NULL: its entry is one that
 * cannot be shown.
 */
static void
set_decoded(char **dst, const char *text, size_t len)
{
	set(dst, text, len);
	if (s3_uri_decode(*dst) == -1) {
		free(*dst);
		*dst = NULL;
	}
}

static void
clear_entry(struct s3_entry *e)
{
	free(e->key);
	free(e->size);
	free(e->modified);
	free(e->etag);
	free(e->version);
	memset(e, 0, sizeof(*e));
}

static void
scan_list(void *arg, enum s3_xml_event ev, const char *path,
    const char *text, size_t len)
{
	static const char *const roots[] = { "ListBucketResult",
	    "ListVersionsResult", "ListMultipartUploadsResult" };
	struct walk *w = arg;
	const char *root = roots[w->kind], *p;
	size_t n = strlen(root);

	if (strncmp(path, root, n) != 0 || path[n] != '/')
		return;
	p = path + n + 1;
	/* An entry: Contents, or Version and DeleteMarker, or Upload. */
	if (ev == S3_XML_OPEN && (strcmp(p, "Contents") == 0 ||
	    strcmp(p, "Version") == 0 || strcmp(p, "DeleteMarker") == 0 ||
	    strcmp(p, "Upload") == 0)) {
		clear_entry(&w->e);
		w->e.delete_marker = strcmp(p, "DeleteMarker") == 0;
		snprintf(w->entry, sizeof(w->entry), "%s", p);
		return;
	}
	if (w->entry[0] != '\0' && ev == S3_XML_CLOSE && strcmp(p, w->entry)
	    == 0) {
		w->entry[0] = '\0';
		if (!w->stop && w->fn(w->arg, &w->e) != 0)
			w->stop = 1;
		clear_entry(&w->e);
		return;
	}
	if (ev != S3_XML_TEXT)
		return;
	if (w->entry[0] != '\0') {
		n = strlen(w->entry);
		if (strncmp(p, w->entry, n) != 0 || p[n] != '/')
			return;
		p += n + 1;
		if (strcmp(p, "Key") == 0)
			set_decoded(&w->e.key, text, len);
		else if (strcmp(p, "Size") == 0)
			set(&w->e.size, text, len);
		else if (strcmp(p, "LastModified") == 0 ||
		    strcmp(p, "Initiated") == 0)
			set(&w->e.modified, text, len);
		else if (strcmp(p, "ETag") == 0)
			set(&w->e.etag, text, len);
		else if (strcmp(p, "VersionId") == 0 ||
		    strcmp(p, "UploadId") == 0)
			set(&w->e.version, text, len);
		else if (strcmp(p, "IsLatest") == 0)
			w->e.latest = strcmp(text, "true") == 0;
	} else if (strcmp(p, "IsTruncated") == 0)
		w->truncated = strcmp(text, "true") == 0;
	else if (w->kind != S3_LIST_OBJECTS && strcmp(p, "NextKeyMarker") == 0)
		set_decoded(&w->next, text, len);
	else if (w->kind == S3_LIST_OBJECTS &&
	    strcmp(p, "NextContinuationToken") == 0)
		set(&w->next, text, len);
	else if (strcmp(p, w->kind == S3_LIST_VERSIONS ?
	    "NextVersionIdMarker" : "NextUploadIdMarker") == 0)
		set(&w->next_version, text, len);
}

void
s3_list(struct s3 *s3, const char *bucket, const char *prefix,
    unsigned page_size, enum s3_listing kind, s3_entry_fn *fn, void *arg)
{
	struct walk w;
	struct s3_req req;
	struct s3_resp resp;
	char *token = NULL, *vtoken = NULL, max[16], why[128];

	memset(&w, 0, sizeof(w));
	w.bucket = bucket;
	w.kind = kind;
	w.fn = fn;
	w.arg = arg;
	snprintf(max, sizeof(max), "%u", page_size);
	for (;;) {
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.bucket = bucket;
		s3_req_param(&req, kind == S3_LIST_OBJECTS ? "list-type" :
		    kind == S3_LIST_VERSIONS ? "versions" : "uploads",
		    kind == S3_LIST_OBJECTS ? "2" : NULL);
		s3_req_param(&req, "prefix", prefix);
		s3_req_param(&req, "encoding-type", "url");
		if (page_size > 0)
			s3_req_param(&req, kind == S3_LIST_UPLOADS ?
			    "max-uploads" : "max-keys", max);
		if (token != NULL)
			s3_req_param(&req, kind == S3_LIST_OBJECTS ?
			    "continuation-token" : "key-marker", token);
		if (vtoken != NULL)
			s3_req_param(&req, kind == S3_LIST_VERSIONS ?
			    "version-id-marker" : "upload-id-marker", vtoken);
		if (s3_request(s3, &req, &resp) == -1 || resp.status < 200 ||
		    resp.status > 299 || resp.code[0] != '\0')
			s3_fail(&resp, kind == S3_LIST_UPLOADS ?
			    "list the uploads of" : "list", bucket, prefix);
		w.truncated = 0;
		free(w.next);
		free(w.next_version);
		w.next = w.next_version = NULL;
		w.entry[0] = '\0';
		if (resp.too_long || s3_xml_parse(resp.reply.p, resp.reply.len,
		    scan_list, &w, why, sizeof(why)) == -1)
			bk_errx(BK_EX_UNAVAILABLE, "could not list \"s3://%s/\":"
			    " a bad reply (%s)", bucket, resp.too_long ?
			    "too long" : why);
		s3_resp_free(&resp);
		if (!w.truncated || w.stop)
			break;
		/* A store that says "more" must say where, and move on. */
		if (w.next == NULL || w.next[0] == '\0' ||
		    (token != NULL && strcmp(token, w.next) == 0 &&
		    (vtoken == NULL) == (w.next_version == NULL) &&
		    (vtoken == NULL || strcmp(vtoken, w.next_version) == 0)))
			bk_errx(BK_EX_UNAVAILABLE, "could not list \"s3://%s/\":"
			    " a truncated page without a new continuation "
			    "token", bucket);
		free(token);
		free(vtoken);
		token = w.next;
		vtoken = w.next_version;
		w.next = w.next_version = NULL;
	}
	clear_entry(&w.e);
	free(token);
	free(vtoken);
	free(w.next);
	free(w.next_version);
}

/* ---- the command ---- */

struct lister {
	struct s3	*s3;
	const struct s3_opts *o;
	int		 locking;	/* the bucket has object lock */
	uint64_t	 count;
	int		 bad;		/* entries that could not be shown */
};

/* Appends ,"name":"text" (JSON null for NULL); returns 0 or -1. */
static int
add_string(struct bk_buf *b, const char *name, const char *text)
{
	bk_buf_add(b, ",\"", 2);
	bk_buf_add(b, name, strlen(name));
	bk_buf_add(b, "\":", 2);
	if (text == NULL) {
		bk_buf_add(b, "null", 4);
		return 0;
	}
	return bk_json_string(b, text, strlen(text));
}

/* The fields of one version and its lock, as s3_lock_get reads it. */
static int
add_lock(struct lister *l, struct bk_buf *b, const struct s3_entry *e)
{
	struct s3_lock lk;
	char until[32];
	int good;

	s3_lock_get(l->s3, l->o->bucket, e->key, e->version, &lk);
	if (lk.has_until)
		bk_format_rfc3339(until, sizeof(until), lk.until, 0);
	good = add_string(b, "version_id", e->version) == 0;
	good = good && add_string(b, "lock_mode", lk.mode[0] != '\0' ?
	    lk.mode : NULL) == 0;
	good = good && add_string(b, "locked_until", lk.has_until ? until :
	    NULL) == 0;
	bk_buf_add(b, ",\"legal_hold\":", 14);
	bk_buf_add(b, lk.legal_hold ? "true" : "false", lk.legal_hold ? 4 :
	    5);
	return good ? 0 : -1;
}

static int
print_entry(void *arg, const struct s3_entry *e)
{
	struct lister *l = arg;
	struct bk_buf b = { NULL, 0, 0 };
	char *esc, *end;
	uint64_t size;
	int good;

	/* Of a versioned listing, only the current versions are objects. */
	if (l->locking && (!e->latest || e->delete_marker))
		return 0;
	errno = 0;
	size = e->size != NULL ? strtoull(e->size, &end, 10) : 0;
	good = e->key != NULL && e->size != NULL && e->size[0] >= '0' &&
	    e->size[0] <= '9' && *end == '\0' && errno == 0 &&
	    (!l->locking || e->version != NULL);
	if (good && l->o->json) {
		bk_buf_add(&b, "{\"key\":", 7);
		good = bk_json_string(&b, e->key, strlen(e->key)) == 0;
		esc = bk_asprintf(",\"size\":%ju", (uintmax_t)size);
		bk_buf_add(&b, esc, strlen(esc));
		free(esc);
		good = good && add_string(&b, "last_modified", e->modified ?
		    e->modified : "") == 0;
		good = good && add_string(&b, "etag", e->etag ? e->etag : "")
		    == 0;
		if (good && l->locking)
			good = add_lock(l, &b, e) == 0;
		bk_buf_add(&b, "}\n", 3);
		if (good)
			fputs(b.p, stdout);
		free(b.p);
	} else if (good) {
		esc = bk_sumlist_escape(e->key, 0);
		printf("%s %12ju %s\n", e->modified ? e->modified : "-",
		    (uintmax_t)size, esc);
		free(esc);
	}
	if (!good) {
		l->bad++;
		bk_warnx("s3://%s: an entry of the listing that cannot be "
		    "shown", l->o->bucket);
	}
	l->count++;
	return 0;
}

int
s3_cmd_ls(struct s3 *s3, const struct s3_opts *o)
{
	struct lister l;

	memset(&l, 0, sizeof(l));
	l.s3 = s3;
	l.o = o;
	/* For retention, a program must know what it cannot remove. */
	if (o->json)
		l.locking = s3_bucket_locked(s3, o->bucket);
	s3_list(s3, o->bucket, o->key, o->page_size, l.locking ?
	    S3_LIST_VERSIONS : S3_LIST_OBJECTS, print_entry,
	    &l);
	bk_info("s3://%s/: %ju objects", o->bucket, (uintmax_t)l.count);
	return l.bad > 0 ? BK_EX_DATAERR : BK_EX_OK;
}
