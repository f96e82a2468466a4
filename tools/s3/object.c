/*
 * object.c: one object's metadata (head), its removal (rm), and what
 * object lock says of a bucket and of a version, which rm and ls --json
 * ask.
 *
 * On a versioned bucket, rm removes the current version by its id, after
 * reading its retention and legal hold: a DELETE without an id would
 * only add a delete marker, which S3 accepts even for a locked object,
 * and the data would stay (and be billed) behind it.  An object under
 * lock is refused before any DELETE is sent.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3.h"

/* ---- object lock ---- */

/* What ?object-lock, ?versioning, ?retention and ?legal-hold say. */
struct sub {
	int		 enabled;	/* ObjectLockEnabled */
	int		 versioned;	/* Status Enabled or Suspended */
	struct s3_lock	*lock;
	int		 bad_date;
};

static void
scan_sub(void *arg, enum s3_xml_event ev, const char *path,
    const char *text, size_t len)
{
	struct sub *s = arg;
	const char *dot;
	long off;

	(void)len;
	if (ev != S3_XML_TEXT)
		return;
	if (strcmp(path, "ObjectLockConfiguration/ObjectLockEnabled") == 0)
		s->enabled = strcmp(text, "Enabled") == 0;
	else if (strcmp(path, "VersioningConfiguration/Status") == 0)
		s->versioned = strcmp(text, "Enabled") == 0 ||
		    strcmp(text, "Suspended") == 0;
	else if (s->lock != NULL && strcmp(path, "Retention/Mode") == 0)
		snprintf(s->lock->mode, sizeof(s->lock->mode), "%s", text);
	else if (s->lock != NULL && strcmp(path, "Retention/RetainUntilDate")
	    == 0) {
		if (bk_parse_date(text, &s->lock->until, &off) == -1) {
			s->bad_date = 1;
			return;
		}
		s->lock->has_until = 1;
		/* 12:00:00.5 is still locked at 12:00:00: round up. */
		if ((dot = strchr(text, '.')) != NULL &&
		    dot[1 + strspn(dot + 1, "0")] >= '1' &&
		    dot[1 + strspn(dot + 1, "0")] <= '9')
			s->lock->until++;
	} else if (s->lock != NULL && strcmp(path, "LegalHold/Status") == 0)
		s->lock->legal_hold = strcmp(text, "ON") == 0;
}

/*
 * Whether a refusal says there is no lock to read: no configuration on
 * the bucket or none on the object (404), object lock not enabled on the
 * bucket (400 InvalidRequest), or a store without object lock (501).
 */
static int
no_lock(const struct s3_resp *r)
{
	return (r->status == 404 && (strcmp(r->code,
	    "ObjectLockConfigurationNotFoundError") == 0 ||
	    strcmp(r->code, "NoSuchObjectLockConfiguration") == 0)) ||
	    (r->status == 400 && strcmp(r->code, "InvalidRequest") == 0) ||
	    r->status == 501;
}

/*
 * GETs the subresource ?name= of the bucket, or of a version of key (the
 * current one when version is NULL), and reads its reply into s.
 * Returns 0, or -1 when lock_query and the store says there is no lock;
 * exits with one message ('could not WHAT "s3://b/k": ...') otherwise.
 */
static int
get_sub(struct s3 *s3, const char *bucket, const char *key,
    const char *version, const char *name, int lock_query, struct sub *s,
    const char *what)
{
	struct s3_req req;
	struct s3_resp resp;
	char why[128];

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.bucket = bucket;
	req.key = key;
	s3_req_param(&req, name, NULL);
	if (version != NULL)
		s3_req_param(&req, "versionId", version);
	if (s3_request(s3, &req, &resp) == -1)
		s3_fail(&resp, what, bucket, key);
	if (resp.status < 200 || resp.status > 299 || resp.code[0] != '\0') {
		if (lock_query && no_lock(&resp)) {
			s3_resp_free(&resp);
			return -1;
		}
		s3_fail(&resp, what, bucket, key);
	}
	if (resp.too_long || s3_xml_parse(resp.reply.p, resp.reply.len,
	    scan_sub, s, why, sizeof(why)) == -1 || s->bad_date)
		bk_errx(BK_EX_UNAVAILABLE, "could not %s \"s3://%s/%s\": a bad "
		    "reply (%s)", what, bucket, key != NULL ? key : "",
		    resp.too_long ? "too long" : s->bad_date ?
		    "a date that is not RFC 3339" : why);
	s3_resp_free(&resp);
	return 0;
}

int
s3_bucket_locked(struct s3 *s3, const char *bucket)
{
	struct sub s;

	memset(&s, 0, sizeof(s));
	if (get_sub(s3, bucket, NULL, NULL, "object-lock", 1, &s,
	    "read the object lock configuration of") == -1)
		return 0;
	return s.enabled;
}

void
s3_lock_get(struct s3 *s3, const char *bucket, const char *key,
    const char *version, struct s3_lock *lock)
{
	struct sub s;

	memset(lock, 0, sizeof(*lock));
	memset(&s, 0, sizeof(s));
	s.lock = lock;
	if (get_sub(s3, bucket, key, version, "retention", 1, &s,
	    "read the retention of") == -1)
		memset(lock, 0, sizeof(*lock));
	(void)get_sub(s3, bucket, key, version, "legal-hold", 1, &s,
	    "read the legal hold of");
}

/* ---- head ---- */

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

/* ---- rm ---- */

/* The current version of one key, found in the listing of its versions. */
struct current {
	const char	*key;
	int		 found;		/* a current version or delete marker */
	char		*version;	/* its id; NULL for a delete marker */
};

static int
find_current(void *arg, const struct s3_entry *e)
{
	struct current *c = arg;
	int cmp;

	if (e->key == NULL)
		return 0;
	/* Keys come in order: past ours, there is nothing more to see. */
	if ((cmp = strcmp(e->key, c->key)) > 0)
		return 1;
	if (cmp < 0 || !e->latest)
		return 0;
	c->found = 1;
	if (!e->delete_marker && e->version != NULL)
		c->version = bk_strdup(e->version);
	return 1;
}

/*
 * The id of the current version of the key, or exits 66 when the key has
 * none (no version, or a delete marker on top).
 */
static char *
current_version(struct s3 *s3, const struct s3_opts *o)
{
	struct current c;
	char *name;

	memset(&c, 0, sizeof(c));
	c.key = o->key;
	s3_list(s3, o->bucket, o->key, 0, S3_LIST_VERSIONS, find_current, &c);
	if (c.version == NULL) {
		name = s3_name(o->bucket, o->key);
		bk_errx(BK_EX_NOINPUT, "could not remove \"%s\": no such key",
		    name);
	}
	return c.version;
}

/* Exits 77 with one line when the version is under lock now. */
static void
refuse_locked(struct s3 *s3, const struct s3_opts *o, const char *version)
{
	struct s3_lock lk;
	char until[32], *name;
	int retained;

	s3_lock_get(s3, o->bucket, o->key, version, &lk);
	retained = lk.has_until && lk.until > time(NULL);
	if (!retained && !lk.legal_hold)
		return;
	name = s3_name(o->bucket, o->key);
	if (retained)
		bk_format_rfc3339(until, sizeof(until), lk.until, 0);
	if (retained && lk.legal_hold)
		bk_errx(BK_EX_NOPERM, "could not remove \"%s\": locked in %s "
		    "mode until %s, and under legal hold", name,
		    lk.mode[0] != '\0' ? lk.mode : "an unknown", until);
	if (retained)
		bk_errx(BK_EX_NOPERM, "could not remove \"%s\": locked in %s "
		    "mode until %s", name, lk.mode[0] != '\0' ? lk.mode :
		    "an unknown", until);
	bk_errx(BK_EX_NOPERM, "could not remove \"%s\": under legal hold",
	    name);
}

int
s3_cmd_rm(struct s3 *s3, const struct s3_opts *o)
{
	struct s3_req req;
	struct s3_resp resp;
	struct sub s;
	char *name, *version = NULL;

	memset(&s, 0, sizeof(s));
	(void)get_sub(s3, o->bucket, NULL, NULL, "versioning", 0, &s,
	    "read the versioning of");
	if (s.versioned) {
		version = current_version(s3, o);
		refuse_locked(s3, o, version);
	}
	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.bucket = o->bucket;
	req.key = o->key;
	if (version != NULL)
		s3_req_param(&req, "versionId", version);
	if (s3_request(s3, &req, &resp) == -1 || resp.status < 200 ||
	    resp.status > 299)
		s3_fail(&resp, "remove", o->bucket, o->key);
	s3_resp_free(&resp);
	name = s3_name(o->bucket, o->key);
	if (version != NULL)
		bk_info("\"%s\": removed (version %s)", name, version);
	else
		bk_info("\"%s\": removed", name);
	free(name);
	free(version);
	return BK_EX_OK;
}
