/*
 * conninfo.c: PostgreSQL connection strings and URIs without their
 * secrets.  libpq parses them (PQconninfoParse), never a parser of ours:
 * a hand-written one disagrees with libpq somewhere (a "#" or "?" in a URI
 * password, "://" inside a quoted conninfo value, a percent-encoded key
 * such as ?%70assword=), and wherever it does, a password slips through to
 * a command line or the manifest.  What comes out is rebuilt from libpq's
 * own list of options, so only options libpq does not mark secret can be
 * in it.
 *
 * libpq may also read a string otherwise than its writer meant: a
 * password with a raw "/" or "@" in a URI becomes in part a port, host or
 * database name, "host= password=x" gives host the value "password=x".
 * Such strings are refused (never stripped by a guess): the checks below
 * look at what libpq read, and only ever refuse.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "format/format.h"

static int
is_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0;
}

/*
 * libpq's own rule (recognized_connection_string): a URI or anything with
 * an "=" is a connection string; anything else, given where a connection
 * string may go (psql -d, PQconnectdbParams' dbname), is a database name.
 */
static int
is_connstr(const char *s)
{
	return is_uri(s) || strchr(s, '=') != NULL;
}

/* libpq's mark for what it never shows. */
static int
is_secret(const PQconninfoOption *o)
{
	return o->dispchar != NULL && o->dispchar[0] == '*';
}

/* Frees libpq's options, wiping the values it marks secret first. */
static void
wipe_free(PQconninfoOption *opts)
{
	PQconninfoOption *p;

	for (p = opts; p->keyword != NULL; p++)
		if (p->val != NULL && is_secret(p))
			bk_explicit_bzero(p->val, strlen(p->val));
	PQconninfoFree(opts);
}

/* Does v hold a connection string that libpq parses into a secret? */
static int
nested_secret(const char *v)
{
	PQconninfoOption *opts, *p;
	int found = 0;

	if (!is_connstr(v) || (opts = PQconninfoParse(v, NULL)) == NULL)
		return 0;
	for (p = opts; p->keyword != NULL; p++)
		if (p->val != NULL && is_secret(p))
			found = 1;
	wipe_free(opts);
	return found;
}

/* Does v name a secret option followed by "=", in any case? */
static int
names_secret(const char *v, const PQconninfoOption *opts)
{
	const PQconninfoOption *p;
	const char *s, *e;
	size_t kl;

	for (p = opts; p->keyword != NULL; p++) {
		if (!is_secret(p))
			continue;
		kl = strlen(p->keyword);
		for (s = v; *s != '\0'; s++) {
			if (strncasecmp(s, p->keyword, kl) != 0)
				continue;
			for (e = s + kl; isspace((unsigned char)*e); e++)
				;
			if (*e == '=')
				return 1;
		}
	}
	return 0;
}

/*
 * A URI that libpq reads otherwise than it looks.  libpq looks for the
 * "@" of user:password@ up to the first "/" only (not stopping at "?"),
 * and ends the password at the first "@"; so a password with a raw "/"
 * or "@" (not %2F, %40), or an "@" in a query value with no "/" before
 * it, moves text of a password into a host, port, user or database name.
 * Refused, on the raw text after "://":
 * - a second "@";
 * - an "@" that libpq takes as the end of user:password@ (no "/" before
 *   it) with a query ("?" and later "=") before it;
 * - an "@" after a "/" that is not in the query (a "?" between them):
 *   "u:pa/ss@db/x" is host u, port pa and dbname ss@db/x;
 * and a port that is not digits and commas (it would not connect, and it
 * is where "u:pa/ss" puts "pa").
 */
static int
misread_uri(const char *s, const PQconninfoOption *opts)
{
	const PQconninfoOption *p;
	const char *a, *at, *slash, *q;

	for (p = opts; p->keyword != NULL; p++)
		if (strcmp(p->keyword, "port") == 0 && p->val != NULL &&
		    p->val[strspn(p->val, "0123456789,")] != '\0')
			return 1;
	a = strstr(s, "://") + 3;
	if ((at = strchr(a, '@')) == NULL)
		return 0;
	if (strchr(at + 1, '@') != NULL)
		return 1;
	slash = memchr(a, '/', (size_t)(at - a));
	if (slash == NULL) {
		q = memchr(a, '?', (size_t)(at - a));
		return q != NULL && memchr(q, '=', (size_t)(at - q)) != NULL;
	}
	return memchr(slash, '?', (size_t)(at - slash)) == NULL;
}

const char *
bk_conninfo_why(int r)
{
	switch (r) {
	case -1:
		return "libpq cannot parse it";
	case -2:
		return "a value in it holds what looks like a password (a "
		    "connection string, or a value left empty before "
		    "password=)";
	default:
		return "libpq would read part of a password as a host, port "
		    "or name (percent-encode \"@\", \"/\", \"?\" and \"=\" "
		    "in a URI's user and password: %40, %2F, %3F, %3D)";
	}
}

/*
 * Quoting is always safe (inside quotes only \ and ' are special), so
 * anything but plain printable ASCII is quoted: libpq splits unquoted
 * values with isspace() in the caller's locale, which may count bytes
 * above 0x7f.
 */
static int
needs_quotes(const char *v)
{
	if (*v == '\0')
		return 1;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f ||
		    *v == '\'' || *v == '\\')
			return 1;
	return 0;
}

void
bk_conninfo_add(char **s, const char *key, const char *val)
{
	char *q, *p, *old = *s;
	size_t i;

	q = p = bk_malloc(strlen(val) * 2 + 3);
	if (needs_quotes(val))
		*p++ = '\'';
	for (i = 0; val[i] != '\0'; i++) {
		if (val[i] == '\'' || val[i] == '\\')
			*p++ = '\\';
		*p++ = val[i];
	}
	if (needs_quotes(val))
		*p++ = '\'';
	*p = '\0';
	*s = bk_asprintf("%s%s%s=%s", old != NULL ? old : "",
	    old != NULL ? " " : "", key, q);
	free(old);
	free(q);
}

int
bk_conninfo_parse(const char *s, struct bk_conninfo *ci)
{
	PQconninfoOption *opts, *p;
	char *msg = NULL;
	int pass, dbname;

	memset(ci, 0, sizeof(*ci));
	if (!is_connstr(s)) {
		ci->plain = bk_strdup(s);
		ci->bare = 1;
		return 0;
	}
	if ((opts = PQconninfoParse(s, &msg)) == NULL) {
		if (msg == NULL)
			bk_errx(BK_EX_SOFTWARE, "out of memory");
		/* libpq's message may quote the string, password and all. */
		PQfreemem(msg);
		return -1;
	}
	if (is_uri(s) && misread_uri(s, opts)) {
		wipe_free(opts);
		return -3;
	}
	/*
	 * A value that is itself a connection string holding a password
	 * (dbname='postgresql://u:pw@h/x') is not one to libpq, which
	 * expands only the outer string, but surely meant as one; a value
	 * holding "password=" is most likely one left empty before it.
	 * libpq would repeat either in its errors.
	 */
	for (p = opts; p->keyword != NULL; p++)
		if (p->val != NULL && !is_secret(p) &&
		    (nested_secret(p->val) || names_secret(p->val, opts))) {
			wipe_free(opts);
			return -2;
		}
	/* dbname first, the name a reader looks for; then libpq's order. */
	for (pass = 0; pass < 2; pass++) {
		for (p = opts; p->keyword != NULL; p++) {
			dbname = strcmp(p->keyword, "dbname") == 0;
			if (p->val == NULL || dbname != (pass == 0))
				continue;
			if (!is_secret(p))
				bk_conninfo_add(&ci->plain, p->keyword, p->val);
			else if (strcmp(p->keyword, "password") == 0)
				ci->password = bk_strdup(p->val);
			else if (ci->secret == NULL)
				ci->secret = bk_strdup(p->keyword);
		}
	}
	wipe_free(opts);
	if (ci->plain == NULL)
		ci->plain = bk_strdup("");
	return 0;
}

void
bk_conninfo_free(struct bk_conninfo *ci)
{
	if (ci->password != NULL) {
		bk_explicit_bzero(ci->password, strlen(ci->password));
		free(ci->password);
	}
	free(ci->plain);
	free(ci->secret);
	memset(ci, 0, sizeof(*ci));
}

char *
bk_strip_secrets(const char *s)
{
	struct bk_conninfo ci;
	const char *sep;
	char *r;

	if (s == NULL)
		return NULL;
	if (strncmp(s, "sqlite:", 7) == 0)
		return bk_strdup(s);
	if (bk_conninfo_parse(s, &ci) != 0)
		return bk_strdup(BK_CONNINFO_UNPARSABLE);
	/*
	 * Another scheme's URI (mysql://, https://) is a database name to
	 * libpq; with user information in it, it may hold a password that
	 * only a parser of ours could find, so none is tried.
	 */
	if (ci.bare && (sep = strstr(s, "://")) != NULL &&
	    strchr(sep, '@') != NULL) {
		bk_conninfo_free(&ci);
		return bk_strdup(BK_CONNINFO_UNPARSABLE);
	}
	r = ci.plain;
	ci.plain = NULL;
	bk_conninfo_free(&ci);
	return r;
}
