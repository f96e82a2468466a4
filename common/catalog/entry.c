/*
 * entry.c: one line of the manifest, a struct bk_entry: parsed from its
 * JSON object (a line that cannot be is kept, bad, verbatim), built new,
 * changed through the setters (which keep the object's fields and their
 * order), and written back as one line.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "catalog/internal.h"

static void
entry_clear_remote(struct bk_entry *e)
{
	struct bk_remote *r;
	size_t i;

	for (i = 0; i < e->nremote; i++) {
		r = &e->remote[i];
		free(r->url);
		free(r->etag);
		free(r->uploaded);
		free(r->verified_time);
		free(r->verified_reason);
	}
	free(e->remote);
	e->remote = NULL;
	e->nremote = 0;
}

static void
entry_clear_fields(struct bk_entry *e)
{
	size_t i;

	free(e->path);
	free(e->created);
	free(e->type);
	free(e->description);
	free(e->created_by);
	free(e->source);
	for (i = 0; i < e->nlayers; i++)
		free(e->layers[i]);
	free(e->verified_time);
	free(e->verified_reason);
	free(e->drill_time);
	free(e->error);
	entry_clear_remote(e);
	e->path = e->created = e->type = e->description = NULL;
	e->created_by = e->source = e->verified_time = NULL;
	e->verified_reason = e->drill_time = e->error = NULL;
	e->nlayers = 0;
	e->size = -1;
	e->records = -1;
	e->complete = -1;
	e->sha256[0] = '\0';
	e->created_t = 0;
	e->created_off = 0;
	e->verified = BK_VERIFIED_NONE;
	e->verified_t = 0;
	e->drill = BK_VERIFIED_NONE;
	e->drill_t = 0;
	e->drill_checksum[0] = '\0';
	e->bad = 0;
}

void
entry_release(struct bk_entry *e)
{
	entry_clear_fields(e);
	free(e->raw);
	e->raw = NULL;
	if (e->json != NULL)
		json_decref(e->json);
	e->json = NULL;
}

void
bk_entry_free(struct bk_entry *e)
{
	if (e == NULL)
		return;
	entry_release(e);
	free(e);
}

/* An optional string field: 0 (absent or string) or -1 (wrong type). */
static int
opt_str(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = bk_strdup(json_string_value(v));
	return 0;
}

static int
opt_int(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int
bad_field(struct bk_entry *e, const char *fmt, const char *key)
{
	entry_clear_fields(e);
	e->bad = 1;
	e->error = bk_asprintf(fmt, key);
	return -1;
}

/* A sha256 field into out: 0 (absent or 64 hex digits) or -1. */
static int
opt_sha256(json_t *o, char out[65])
{
	json_t *v = json_object_get(o, "sha256");
	const char *s;
	size_t i;

	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	s = json_string_value(v);
	if (s == NULL || strlen(s) != 64 ||
	    strspn(s, "0123456789abcdefABCDEF") != 64)
		return -1;
	for (i = 0; i < 64; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[64] = '\0';
	return 0;
}

/*
 * An outcome, the object of "verified" or "drill" named key: 0, absent or
 * read into res and its time (when it is well formed), with the object
 * in *v; or -1 when it is not an object with a result "ok" or failed.
 */
static int
opt_outcome(json_t *o, const char *key, const char *failed, json_t **v,
    enum bk_verified *res, char **time, time_t *t)
{
	const char *s;

	*v = json_object_get(o, key);
	if (*v == NULL || json_is_null(*v)) {
		*v = NULL;
		return 0;
	}
	if (!json_is_object(*v))
		return -1;
	s = json_string_value(json_object_get(*v, "result"));
	if (s != NULL && strcmp(s, "ok") == 0)
		*res = BK_VERIFIED_OK;
	else if (s != NULL && strcmp(s, failed) == 0)
		*res = BK_VERIFIED_FAIL;
	else
		return -1;
	s = json_string_value(json_object_get(*v, "time"));
	if (s != NULL && bk_parse_date(s, t, NULL) == 0)
		*time = bk_strdup(s);
	return 0;
}

/*
 * A "verified" object (of the entry or of a remote copy): 0, absent or
 * read into the three outputs, or -1 when it is not an object with a
 * result "ok" or "fail".
 */
static int
opt_verified(json_t *o, enum bk_verified *res, char **time, time_t *t,
    char **reason)
{
	json_t *v;
	const char *s;

	if (opt_outcome(o, "verified", "fail", &v, res, time, t) < 0)
		return -1;
	if (v != NULL && (s = json_string_value(json_object_get(v,
	    "reason"))) != NULL)
		*reason = bk_strdup(s);
	return 0;
}

/*
 * The "drill" object: 0, absent or read into the entry (its time and
 * checksum when they are well formed), or -1 when it is not an object
 * with a result "ok" or "failed".
 */
static int
opt_drill(json_t *o, struct bk_entry *e)
{
	json_t *v;
	const char *s;

	if (opt_outcome(o, "drill", "failed", &v, &e->drill, &e->drill_time,
	    &e->drill_t) < 0)
		return -1;
	if (v != NULL && (s = json_string_value(json_object_get(v,
	    "checksum"))) != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64)
		memcpy(e->drill_checksum, s, 65);
	return 0;
}

/*
 * The "remote" list: each element an object with a "url" string, and
 * size, sha256, etag, uploaded and verified of the right kinds when
 * present.  Returns 0, or -1 with the phrase that says what is wrong.
 */
static int
entry_fill_remote(struct bk_entry *e, json_t *l, const char **why)
{
	struct bk_remote *r;
	json_t *o;
	size_t i;

	if (l == NULL || json_is_null(l))
		return 0;
	*why = "field \"remote\" is not a list of objects with a \"url\"";
	if (!json_is_array(l))
		return -1;
	e->remote = bk_calloc(json_array_size(l) + 1, sizeof(*e->remote));
	for (i = 0; i < json_array_size(l); i++) {
		o = json_array_get(l, i);
		if (!json_is_object(o) ||
		    !json_is_string(json_object_get(o, "url")))
			return -1;
		r = &e->remote[e->nremote++];
		r->size = -1;
		r->url = bk_strdup(json_string_value(json_object_get(o,
		    "url")));
		*why = "a copy in field \"remote\" has a field of the wrong "
		    "kind";
		if (opt_int(o, "size", &r->size) < 0 ||
		    opt_sha256(o, r->sha256) < 0 ||
		    opt_str(o, "etag", &r->etag) < 0 ||
		    opt_str(o, "uploaded", &r->uploaded) < 0 ||
		    opt_verified(o, &r->verified, &r->verified_time,
		    &r->verified_t, &r->verified_reason) < 0)
			return -1;
		if (r->uploaded != NULL &&
		    bk_parse_date(r->uploaded, &r->uploaded_t, NULL) < 0)
			return -1;
	}
	return 0;
}

/*
 * Fills the C fields of e from a JSON object.  Returns 0, or -1 with e->bad
 * and e->error set when a known field is missing or of the wrong kind.
 */
static int
entry_fill(struct bk_entry *e, json_t *o)
{
	json_t *v, *l;
	const char *s;
	size_t i;

	entry_clear_fields(e);
	if (!json_is_object(o))
		return bad_field(e, "%s", "not a JSON object");
	v = json_object_get(o, "path");
	if (!json_is_string(v))
		return bad_field(e, "field \"%s\" is missing or not a string",
		    "path");
	if (bk_manifest_path_ok(json_string_value(v)) < 0)
		return bad_field(e, "path \"%s\" is absolute or leaves the "
		    "manifest's folder", json_string_value(v));
	e->path = bk_strdup(json_string_value(v));
	v = json_object_get(o, "created");
	if (!json_is_string(v))
		return bad_field(e, "field \"%s\" is missing or not a string",
		    "created");
	if (bk_parse_date(json_string_value(v), &e->created_t,
	    &e->created_off) < 0)
		return bad_field(e, "field \"created\" is not an RFC 3339 "
		    "date: \"%s\"", json_string_value(v));
	e->created = bk_strdup(json_string_value(v));
	if (opt_int(o, "size", &e->size) < 0)
		return bad_field(e, "field \"%s\" is not a size", "size");
	if (opt_int(o, "records", &e->records) < 0)
		return bad_field(e, "field \"%s\" is not a count", "records");
	v = json_object_get(o, "complete");
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v))
		return bad_field(e, "field \"%s\" is not true or false",
		    "complete");
	e->complete = v == NULL || json_is_null(v) ? -1 : json_is_true(v);
	if (opt_sha256(o, e->sha256) < 0)
		return bad_field(e, "field \"%s\" is not 64 hex digits",
		    "sha256");
	if (opt_str(o, "type", &e->type) < 0 ||
	    opt_str(o, "description", &e->description) < 0 ||
	    opt_str(o, "created_by", &e->created_by) < 0 ||
	    opt_str(o, "source", &e->source) < 0)
		return bad_field(e, "%s", "a text field (type, description, "
		    "created_by, source) is not a string");
	l = json_object_get(o, "layers");
	if (l != NULL && !json_is_null(l)) {
		if (!json_is_array(l) || json_array_size(l) > BK_LAYERS_MAX)
			return bad_field(e, "field \"%s\" is not a list of at "
			    "most 8 names", "layers");
		for (i = 0; i < json_array_size(l); i++) {
			s = json_string_value(json_array_get(l, i));
			if (s == NULL)
				return bad_field(e, "field \"%s\" holds a "
				    "non-string", "layers");
			e->layers[e->nlayers++] = bk_strdup(s);
		}
	}
	if (opt_verified(o, &e->verified, &e->verified_time, &e->verified_t,
	    &e->verified_reason) < 0)
		return bad_field(e, "field \"%s\" is not an object with a "
		    "result ok or fail", "verified");
	if (opt_drill(o, e) < 0)
		return bad_field(e, "field \"%s\" is not an object with a "
		    "result ok or failed", "drill");
	if (entry_fill_remote(e, json_object_get(o, "remote"), &s) < 0)
		return bad_field(e, "%s", s);
	return 0;
}

/* Parses one line into e (zeroed by the caller); sets e->bad on failure. */
void
entry_parse(struct bk_entry *e, const char *line, size_t len, size_t lineno)
{
	json_error_t jerr;
	json_t *o;
	const char *nul;

	e->size = e->records = -1;
	e->complete = -1;
	e->lineno = lineno;
	e->raw = bk_malloc(len + 1);
	memcpy(e->raw, line, len);
	e->raw[len] = '\0';
	/*
	 * JSON text holds no NUL byte, yet jansson reads past one after a
	 * number; raw, a C string, would end there, and a rewrite would
	 * build the line again from half of it.  Such a line is bad.
	 */
	if ((nul = memchr(line, '\0', len)) != NULL) {
		e->bad = 1;
		e->error = bk_asprintf("a NUL byte at column %zu",
		    (size_t)(nul - line) + 1);
		return;
	}
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		e->bad = 1;
		e->error = bk_asprintf("invalid JSON at column %d: %s",
		    jerr.column, jerr.text);
		return;
	}
	entry_fill(e, o);
	json_decref(o);
}

/*
 * The entry's JSON object, parsed again from its line when needed.  A line
 * that does not parse again is never replaced by an object built from
 * nothing: that would write the fields set here over the whole entry.
 */
static json_t *
entry_json(struct bk_entry *e)
{
	if (e->json == NULL) {
		if (e->raw != NULL) {
			if ((e->json = json_loads(e->raw, 0, NULL)) == NULL)
				bk_errx(BK_EX_SOFTWARE, "could not parse "
				    "manifest line %zu again", e->lineno);
		} else if ((e->json = json_object()) == NULL)
			bk_errx(BK_EX_SOFTWARE, "out of memory");
	}
	return e->json;
}

static void
entry_changed(struct bk_entry *e)
{
	size_t lineno = e->lineno;

	e->dirty = 1;
	entry_fill(e, e->json);
	e->lineno = lineno;
}

struct bk_entry *
bk_entry_new(const char *path)
{
	struct bk_entry *e = bk_calloc(1, sizeof(*e));
	time_t now = time(NULL);

	e->size = e->records = -1;
	e->complete = -1;
	e->json = json_object();
	if (e->json == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	/* The setters keep insertion order: path and created come first. */
	if (bk_entry_set_str(e, "path", path) < 0)
		bk_errx(BK_EX_DATAERR, "file name is not valid UTF-8");
	bk_entry_set_created(e, now, bk_local_offset(now));
	return e;
}

struct bk_entry *
bk_entry_dup(struct bk_entry *e)
{
	struct bk_entry *d = bk_calloc(1, sizeof(*d));
	char *line = bk_entry_line(e);

	entry_parse(d, line, strlen(line), e->lineno);
	free(line);
	if (d->bad)
		bk_errx(BK_EX_SOFTWARE, "could not copy manifest line %zu: %s",
		    e->lineno, d->error);
	return d;
}

int
bk_entry_set_str(struct bk_entry *e, const char *key, const char *val)
{
	json_t *o = entry_json(e), *v;

	if (val == NULL) {
		json_object_del(o, key);
	} else {
		if ((v = json_string(val)) == NULL)
			return -1;
		json_object_set_new(o, key, v);
	}
	entry_changed(e);
	return 0;
}

void
bk_entry_set_int(struct bk_entry *e, const char *key, int64_t val)
{
	json_object_set_new(entry_json(e), key, json_integer(val));
	entry_changed(e);
}

void
bk_entry_set_created(struct bk_entry *e, time_t t, long off)
{
	char buf[40];

	bk_format_rfc3339(buf, sizeof(buf), t, off);
	bk_entry_set_str(e, "created", buf);
}

void
bk_entry_set_layers(struct bk_entry *e, char *const *layers, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n && i < BK_LAYERS_MAX; i++)
		json_array_append_new(a, json_string(layers[i]));
	json_object_set_new(entry_json(e), "layers", a);
	entry_changed(e);
}

/* The verification object that bk_entry_set_verified and the remote's share. */
static json_t *
verified_object(time_t t, enum bk_verified r, const char *reason)
{
	json_t *v = json_object(), *why;
	char buf[40];

	bk_format_rfc3339(buf, sizeof(buf), t, bk_local_offset(t));
	json_object_set_new(v, "time", json_string(buf));
	json_object_set_new(v, "result",
	    json_string(r == BK_VERIFIED_OK ? "ok" : "fail"));
	/* A reason that is not UTF-8 (a file name) is left out. */
	if (reason != NULL && (why = json_string(reason)) != NULL)
		json_object_set_new(v, "reason", why);
	return v;
}

void
bk_entry_set_verified(struct bk_entry *e, time_t t, enum bk_verified r,
    const char *reason)
{
	json_object_set_new(entry_json(e), "verified",
	    verified_object(t, r, reason));
	entry_changed(e);
}

void
bk_entry_set_drill(struct bk_entry *e, const struct bk_drill *d)
{
	json_t *v = json_object(), *t, *why;
	char buf[40];
	size_t i;

	/* In the order of bk-manifest(5). */
	bk_format_rfc3339(buf, sizeof(buf), d->t, bk_local_offset(d->t));
	json_object_set_new(v, "time", json_string(buf));
	json_object_set_new(v, "result", json_string(d->ok ? "ok" : "failed"));
	if (d->records >= 0) {
		json_object_set_new(v, "records", json_integer(d->records));
		t = json_object();
		/* A name that is not UTF-8 is left out, as a reason is. */
		for (i = 0; i < d->ntables; i++)
			json_object_set_new(t, d->tables[i],
			    json_integer(d->counts[i]));
		json_object_set_new(v, "tables", t);
	}
	if (d->checksum != NULL)
		json_object_set_new(v, "checksum", json_string(d->checksum));
	if (d->reason != NULL && (why = json_string(d->reason)) != NULL)
		json_object_set_new(v, "reason", why);
	json_object_set_new(entry_json(e), "drill", v);
	entry_changed(e);
}

/* The element of the "remote" list whose url is url, or NULL. */
static json_t *
remote_find(json_t *l, const char *url, size_t *at)
{
	json_t *o;
	size_t i;

	json_array_foreach(l, i, o) {
		if (json_is_string(json_object_get(o, "url")) &&
		    strcmp(json_string_value(json_object_get(o, "url")),
		    url) == 0) {
			*at = i;
			return o;
		}
	}
	return NULL;
}

void
bk_entry_set_remote(struct bk_entry *e, const char *url, int64_t size,
    const char *sha256, const char *etag, time_t uploaded)
{
	json_t *o = entry_json(e), *l, *r;
	char buf[40];
	size_t at;

	if (!json_is_array(l = json_object_get(o, "remote"))) {
		json_object_set_new(o, "remote", json_array());
		l = json_object_get(o, "remote");
	}
	/* In the order of bk-manifest(5). */
	r = json_object();
	json_object_set_new(r, "url", json_string(url));
	json_object_set_new(r, "size", json_integer(size));
	json_object_set_new(r, "sha256", json_string(sha256));
	if (etag != NULL)
		json_object_set_new(r, "etag", json_string(etag));
	bk_format_rfc3339(buf, sizeof(buf), uploaded,
	    bk_local_offset(uploaded));
	json_object_set_new(r, "uploaded", json_string(buf));
	if (remote_find(l, url, &at) != NULL)
		json_array_set_new(l, at, r);
	else
		json_array_append_new(l, r);
	entry_changed(e);
}

int
bk_entry_set_remote_verified(struct bk_entry *e, const char *url, time_t t,
    enum bk_verified res, const char *reason)
{
	json_t *r;
	size_t at;

	r = remote_find(json_object_get(entry_json(e), "remote"), url, &at);
	if (r == NULL)
		return -1;
	json_object_set_new(r, "verified", verified_object(t, res, reason));
	entry_changed(e);
	return 0;
}

struct bk_entry *
bk_entry_inspected(const char *rel, time_t t, long off, const char *type,
    const struct bk_inspect *ins, int64_t records)
{
	struct bk_entry *e = bk_entry_new(rel);
	char *layers[BK_LAYERS_MAX];
	size_t i;

	/* In the field order of bk-manifest(5). */
	bk_entry_set_created(e, t, off);
	bk_entry_set_str(e, "type", type);
	bk_entry_set_int(e, "size", (int64_t)ins->size);
	bk_entry_set_str(e, "sha256", ins->sha256);
	for (i = 0; i < ins->nlayers; i++)
		layers[i] = (char *)ins->layers[i];
	bk_entry_set_layers(e, layers, ins->nlayers);
	if (records >= 0)
		bk_entry_set_int(e, "records", records);
	else if (ins->records >= 0)
		bk_entry_set_int(e, "records", ins->records);
	/* Whole when added; false only for what -f recorded anyway. */
	if (ins->code != 0 || ins->complete >= 0)
		json_object_set_new(e->json, "complete",
		    json_boolean(ins->code == 0 && ins->complete != 0));
	return e;
}

const char *
bk_user_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	static char buf[32];

	if (pw != NULL && pw->pw_name != NULL)
		return pw->pw_name;
	snprintf(buf, sizeof(buf), "%ju", (uintmax_t)getuid());
	return buf;
}

char *
bk_entry_line(struct bk_entry *e)
{
	if (!e->dirty && e->raw != NULL)
		return bk_strdup(e->raw);
	/* Through json.c, so that strings are escaped as bk-dump's are. */
	return bk_json_text(entry_json(e), 0);
}

/* The fields bk-manifest(5) defines; any other key is an attribute. */
static const char *const fields[] = { "path", "created", "type", "size",
    "sha256", "layers", "records", "complete", "description", "created_by",
    "source", "verified", "drill", "remote", NULL };

int
bk_entry_field(const char *key, size_t len)
{
	size_t i;

	for (i = 0; fields[i] != NULL; i++)
		if (strlen(fields[i]) == len && memcmp(fields[i], key, len) == 0)
			return 1;
	return 0;
}
