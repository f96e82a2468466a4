/*
 * t-conninfo.c: bk_conninfo_parse against libpq's own parser, for strings
 * picked by hand (issue 11's among them) and 20000 generated ones (URIs
 * with percent-encoding, encoded keys, raw "#", "?", "@", "/" in
 * passwords, several hosts; conninfo with quoted, escaped and raw values).
 * Where PQconninfoParse fails, bk refuses the string and the manifest
 * shows only the placeholder.  Where it succeeds, bk either refuses it
 * for a reason seen in libpq's reading (a misread password), or gives the
 * password as libpq read it and a rebuilt string that libpq parses back
 * into every option of the original, with the same value, except the
 * secret ones (dispchar "*"), which are gone.  Every secret here starts
 * with the marker S3CR and nothing else holds it, so a secret that
 * survives in any form libpq decodes is also caught by a search.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "format/format.h"
#include "tap.h"

#define MARK	"S3CR"

static int quiet;		/* generated cases: report failures only */
static int nchecked, nparsed, nrefused;

static int
is_secret(const PQconninfoOption *o)
{
	return o->dispchar != NULL && o->dispchar[0] == '*';
}

static const char *
val_of(const PQconninfoOption *opts, const char *key)
{
	for (; opts->keyword != NULL; opts++)
		if (strcmp(opts->keyword, key) == 0)
			return opts->val;
	return NULL;
}

static int
same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* s for a TAP line: control bytes as \ooo (one of two buffers). */
static const char *
esc(const char *s)
{
	static char buf[2][8192];
	static int which;
	char *b = buf[which ^= 1];
	size_t n = 0;

	for (; *s != '\0' && n + 5 < sizeof(buf[0]); s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			n += (size_t)snprintf(b + n, 5, "\\%03o",
			    (unsigned char)*s);
		else
			b[n++] = *s;
	}
	b[n] = '\0';
	return b;
}

/* A result: printed always for the listed cases, on failure otherwise. */
static void
check(int pass, const char *what, const char *s)
{
	if (!pass || !quiet)
		ok(pass, "%s: [%s]", what, esc(s));
}

static int
has_password(const char *v)
{
	for (; *v != '\0'; v++)
		if (strncasecmp(v, "password", 8) == 0)
			return 1;
	return 0;
}

/*
 * bk may refuse what libpq parses, never without a reason this test can
 * see in libpq's reading: a secret's marker in an option that is not
 * secret (libpq misread it), an "@" in a URI, a non-numeric port, or a
 * value naming a password or holding a URI.
 */
static int
justified(const char *s, const PQconninfoOption *opts)
{
	const PQconninfoOption *o;
	const char *v;

	if ((strncmp(s, "postgres", 8) == 0 && strchr(s, '@') != NULL))
		return 1;
	for (o = opts; o->keyword != NULL; o++) {
		if ((v = o->val) == NULL || is_secret(o))
			continue;
		if (strstr(v, MARK) != NULL || has_password(v) ||
		    strstr(v, "://") != NULL)
			return 1;
		if (strcmp(o->keyword, "port") == 0 &&
		    v[strspn(v, "0123456789,")] != '\0')
			return 1;
	}
	return 0;
}

/* The differential check of one string; returns bk_conninfo_parse's. */
static int
diff_one(const char *s)
{
	PQconninfoOption *orig, *again, *o;
	struct bk_conninfo ci;
	char *shown;
	const char *want_pw = NULL, *want_secret = NULL;
	int r, pass;

	nchecked++;
	r = bk_conninfo_parse(s, &ci);
	shown = bk_strip_secrets(s);
	if (strncmp(s, "postgresql://", 13) != 0 &&
	    strncmp(s, "postgres://", 11) != 0 && strchr(s, '=') == NULL) {
		check(r == 0 && ci.bare && strcmp(ci.plain, s) == 0 &&
		    ci.password == NULL, "a database name is kept as it is",
		    s);
		goto out;
	}
	orig = PQconninfoParse(s, NULL);
	if (orig == NULL) {
		check(r == -1, "libpq cannot parse it: refused", s);
		check(strcmp(shown, BK_CONNINFO_UNPARSABLE) == 0,
		    "... shown as the placeholder", s);
		goto out;
	}
	nparsed++;
	if (r == -2 || r == -3) {
		nrefused++;
		check(justified(s, orig), "refused with a reason", s);
		check(strcmp(shown, BK_CONNINFO_UNPARSABLE) == 0,
		    "... shown as the placeholder", s);
		PQconninfoFree(orig);
		goto out;
	}
	if (r != 0) {
		check(0, "libpq parses it: so does bk", s);
		PQconninfoFree(orig);
		goto out;
	}
	for (o = orig; o->keyword != NULL; o++) {
		if (o->val == NULL || !is_secret(o))
			continue;
		if (strcmp(o->keyword, "password") == 0)
			want_pw = o->val;
		else if (want_secret == NULL)
			want_secret = o->keyword;
	}
	check(same(ci.password, want_pw), "the password as libpq read it", s);
	check(same(ci.secret, want_secret), "another secret is named", s);
	check(strstr(ci.plain, MARK) == NULL && strstr(shown, MARK) == NULL,
	    "no secret in the rebuilt string", s);
	check(strcmp(shown, ci.plain) == 0, "the manifest shows the same", s);
	again = PQconninfoParse(ci.plain, NULL);
	pass = again != NULL;
	for (o = orig; pass && o->keyword != NULL; o++)
		pass = same(val_of(again, o->keyword),
		    is_secret(o) ? NULL : o->val);
	check(pass, "libpq reads it back: the rest kept, option by option",
	    s);
	if (!pass)
		printf("#   rebuilt: [%s]\n", esc(ci.plain));
	PQconninfoFree(again);
	PQconninfoFree(orig);
out:
	if (r == 0)
		bk_conninfo_free(&ci);
	free(shown);
	return r;
}

/* What bk must make of a listed string: ACCEPT, BARE or a refusal. */
#define ACCEPT	0
#define BARE	1
#define ANY	2	/* libpq decides: checked only against it */

static void
test_listed(void)
{
	static const struct {
		const char	*s;
		int		 want;
	} cases[] = {
		/* The leaks of issue 11. */
		{ "postgresql://app:S3CR#2024@db/erp", ACCEPT },
		{ "postgresql://app:S3CR?2024@db/erp", ACCEPT },
		{ "postgresql://app:S3CR#2024@db/erp?sslmode=require", ACCEPT },
		{ "host=db password='S3CR://cd'", ACCEPT },
		{ "host=db password=S3CR://cd dbname=x", ACCEPT },
		{ "postgresql://db/erp?%70assword=S3CR", ACCEPT },
		{ "postgresql://db/erp?%70%61%73%73%77%6f%72%64=S3CR", ACCEPT },
		{ "postgresql://db/erp?ssl%70assword=S3CR", ACCEPT },
		/* URIs */
		{ "postgresql://bk:S3CRs3cret@db:5432/erp?sslmode=require&"
		    "password=S3CRx", ACCEPT },
		{ "postgres://u:S3CR%40%23%3F%2F%3A%25@h/d", ACCEPT },
		{ "postgresql://u%40x:S3CR@h/d%2Fe", ACCEPT },
		{ "postgresql://u:S3CR:more:colons,commas@h/d", ACCEPT },
		{ "postgresql://u:S3CR@h1:5432,h2:5433,[::1]:6/d?"
		    "target_session_attrs=read-write", ACCEPT },
		{ "postgresql://[fe80::1%25eth0]/d?password=S3CR", ACCEPT },
		{ "postgresql://%2Fvar%2Frun%2Fpostgresql/d?user=u%20v",
		    ACCEPT },
		{ "postgresql:///d?host=/tmp&port=5433&password=S3CR", ACCEPT },
		{ "postgresql://?dbname=a%20b&options=-c%20search_path%3Dx",
		    ACCEPT },
		{ "postgresql://", ACCEPT },
		{ "postgres://h/d?application_name=%27quoted%27%5C", ACCEPT },
		{ "postgresql://h/d?password=S3CR&password=S3CRtwice", ACCEPT },
		{ "postgresql://u:S3CR@h/d?sslpassword=S3CRssl", ACCEPT },
		{ "postgresql://h/d?sslpassword=S3CR", ACCEPT },
		{ "postgresql://h/d?user=me@corp&password=S3CR", ACCEPT },
		{ "postgresql://u%40corp:S3CR%2F%40@h/d?user=me%40corp",
		    ACCEPT },
		/* URIs libpq reads otherwise than they look: refused */
		{ "postgresql://app:pa/S3CR@db/erp", -3 },
		{ "postgresql://app:1234/S3CR@db/erp", -3 },
		{ "postgresql://u:S3CR/x@db", -3 },
		{ "postgresql://u:S3CR@@h/d", -3 },
		{ "postgresql://u:pa@S3CR@h/d", -3 },
		{ "postgresql://h:5432?password=pa@S3CR", -3 },
		{ "postgresql://db?password=S3CR@x", -3 },
		{ "postgresql://h?user=me@corp&password=S3CR", -3 },
		{ "postgresql://u:pa?user=S3CR/s@h/d", -3 },
		{ "postgresql://h/d?dbname=postgresql%3A%2F%2Fu%3AS3CR%40h%2Fx",
		    -2 },
		/* conninfo */
		{ "host=db password='a b\\'S3CR' dbname=erp", ACCEPT },
		{ "password=S3CR host=db", ACCEPT },
		{ "password=S3CR", ACCEPT },
		{ "  password = 'S3CR'   host = db   ", ACCEPT },
		{ "dbname='my db' host=a\\ b user=\\'x", ACCEPT },
		{ "host='' dbname=''", ACCEPT },
		{ "password='S3CR\\\\' dbname='x\\\\'", ACCEPT },
		{ "password=S3CR\\ still host=h", ACCEPT },
		{ "host=h1,h2,h3 port=1,2,3 password=S3CR", ACCEPT },
		{ "dbname='host=h user=u'", ACCEPT },
		{ "options='-c search_path=a,b' password=S3CR", ACCEPT },
		{ "application_name='tab\there' password='new\nline S3CR'",
		    ACCEPT },
		{ "service=prod sslpassword=S3CR", ACCEPT },
		{ "passfile=/home/u/.pgpass dbname=x", ACCEPT },
		{ "host=x password=S3CR#2024?&=", ACCEPT },
		{ "dbname='it''s'", ANY },
		/* values that hold a password: refused */
		{ "host= password=S3CR", -2 },
		{ "service= sslpassword='S3CR'", -2 },
		{ "user='Password = S3CR'", -2 },
		{ "dbname='postgresql://u:S3CR@h/x'", -2 },
		{ "dbname='host=h password=S3CR'", -2 },
		{ "dbname=postgresql://u:S3CR@h/x", -2 },
		/* libpq refuses these: never shown */
		{ "host=x oops S3CR", -1 },
		{ "host=db password=ab S3CR", -1 },
		{ "password='S3CR unterminated", -1 },
		{ "bogus=1 password=S3CR", -1 },
		{ "postgresql://h/d?bogus=S3CR", -1 },
		{ "postgresql://u:%zzS3CR@h/d", -1 },
		{ "postgresql://u:S3CR@[::1/d", -1 },
		{ "postgresql://h/d?password", -1 },
		{ "postgresql://u:S3CR@h/d?a=b=c", -1 },
		{ "postgresql://u:S3CR%00@h/d", -1 },
		/* database names, as psql -d takes them */
		{ "erp", BARE },
		{ "my db", BARE },
		{ "", BARE },
	};
	size_t i;
	int r, want;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = diff_one(cases[i].s);
		if ((want = cases[i].want) == ANY)
			continue;
		if (want == BARE)
			want = 0;
		ok(r == want, "bk_conninfo_parse gives %d: [%s]", want,
		    esc(cases[i].s));
	}
}

/* What the manifest records, and its rules beyond libpq's. */
static void
test_manifest_rules(void)
{
	static const struct {
		const char	*s, *want, *name;
	} cases[] = {
		{ "postgresql://app:S3CR#2024@db/erp",
		    "dbname=erp user=app host=db",
		    "issue 11: # in a URI password" },
		{ "host=db password='ab://cd'", "host=db",
		    "issue 11: :// in a quoted conninfo value" },
		{ "postgresql://db/erp?%70assword=x", "dbname=erp host=db",
		    "issue 11: a percent-encoded key" },
		{ "dbname='my db' application_name=it\\'s",
		    "dbname='my db' application_name='it\\'s'",
		    "quoted as needed" },
		{ "sqlite:/srv/a=b.db", "sqlite:/srv/a=b.db",
		    "sqlite:PATH kept" },
		{ "before the demo", "before the demo",
		    "free text without = kept" },
		{ "mysql://root:S3CR@db/x", BK_CONNINFO_UNPARSABLE,
		    "another scheme with user info: placeholder" },
		{ "s3://bucket/path", "s3://bucket/path",
		    "another scheme without user info kept" },
		{ "host=x oops", BK_CONNINFO_UNPARSABLE,
		    "unparsable: placeholder" },
		{ "password=S3CR", "", "nothing but a password: empty" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_str(s = bk_strip_secrets(cases[i].s), cases[i].want,
		    cases[i].name);
		free(s);
	}
}

/* bk_conninfo_add: every byte but NUL makes the round trip. */
static void
test_quoting(void)
{
	PQconninfoOption *o;
	char val[256], *s = NULL;
	int i, pass;

	for (i = 1; i < 256; i++)
		val[i - 1] = (char)i;
	val[255] = '\0';
	bk_conninfo_add(&s, "application_name", val);
	bk_conninfo_add(&s, "host", "");
	bk_conninfo_add(&s, "user", "'\\");
	o = PQconninfoParse(s, NULL);
	pass = o != NULL && same(val_of(o, "application_name"), val) &&
	    same(val_of(o, "host"), "") && same(val_of(o, "user"), "'\\");
	ok(pass, "bytes 1 to 255, an empty value, ' and \\ come back");
	PQconninfoFree(o);
	free(s);
}

/* ---- generated strings ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

struct buf {
	char	 s[4096];
	size_t	 n;
};

static void
put(struct buf *b, const char *s)
{
	size_t l = strlen(s);

	if (b->n + l < sizeof(b->s)) {
		memcpy(b->s + b->n, s, l);
		b->n += l;
		b->s[b->n] = '\0';
	}
}

static void
putc_(struct buf *b, char c)
{
	char s[2] = { c, '\0' };

	put(b, s);
}

static const char *keys[] = {
	"dbname", "host", "hostaddr", "port", "user", "password",
	"sslpassword", "application_name", "options", "sslmode", "service",
	"passfile", "connect_timeout", "target_session_attrs", "bogus"
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* A value: the marker first for secrets; no "S" otherwise. */
static void
value(char *v, size_t size, int secret)
{
	static const char alpha[] = "ab09 '\\=:/@#?&%,[]\t\n.-_\xc3\xa9";
	size_t n = rnd(8), i = 0;

	if (secret) {
		strcpy(v, MARK);
		i = 4;
	}
	for (; n-- > 0 && i + 1 < size; i++)
		v[i] = alpha[rnd(sizeof(alpha) - 1)];
	v[i] = '\0';
}

static const char *
key(void)
{
	/* The secret ones often: they are what is tested. */
	switch (rnd(4)) {
	case 0: return "password";
	case 1: return keys[rnd(2) ? 5 : 6];
	default: return keys[rnd(NKEYS)];
	}
}

static int
is_secret_key(const char *k)
{
	return strcmp(k, "password") == 0 || strcmp(k, "sslpassword") == 0;
}

/* key=value pairs, quoted or escaped or (wrongly) neither. */
static void
gen_conninfo(struct buf *b)
{
	char v[64];
	const char *k, *p;
	int n = (int)rnd(6), quoting;

	while (n-- > 0) {
		k = key();
		value(v, sizeof(v), is_secret_key(k));
		put(b, rnd(4) ? " " : "  ");
		put(b, k);
		put(b, rnd(3) ? "=" : " = ");
		quoting = (int)rnd(5);
		if (quoting == 0)
			put(b, v);		/* raw: may not parse */
		else if (quoting == 1) {	/* backslash-escaped */
			for (p = v; *p != '\0'; p++) {
				if (*p == ' ' || *p == '\'' || *p == '\\' ||
				    *p == '\t' || *p == '\n')
					putc_(b, '\\');
				putc_(b, *p);
			}
			if (*v == '\0')
				put(b, "''");
		} else {			/* quoted */
			putc_(b, '\'');
			for (p = v; *p != '\0'; p++) {
				if (*p == '\'' || *p == '\\')
					putc_(b, '\\');
				putc_(b, *p);
			}
			putc_(b, '\'');
		}
	}
}

/* Percent-encodes what must be, and more at random. */
static void
put_enc(struct buf *b, const char *s, const char *keep)
{
	char e[4];

	for (; *s != '\0'; s++) {
		if ((strchr(keep, *s) != NULL || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')) &&
		    rnd(6) != 0)
			putc_(b, *s);
		else {
			snprintf(e, sizeof(e), "%%%02X", (unsigned char)*s);
			put(b, e);
		}
	}
}

static void
gen_uri(struct buf *b)
{
	char v[64];
	const char *k;
	int n, i;

	put(b, rnd(2) ? "postgresql://" : "postgres://");
	if (rnd(3)) {
		value(v, sizeof(v), 0);
		put_enc(b, v, rnd(8) ? "-._~" : "-._~:#?");
		if (rnd(3)) {
			putc_(b, ':');
			value(v, sizeof(v), 1);
			put_enc(b, v, rnd(4) ? "-._~" : "-._~:#?/@");
		}
		putc_(b, '@');
	}
	for (n = (int)rnd(3), i = 0; i <= n; i++) {
		if (i > 0)
			putc_(b, ',');
		switch (rnd(4)) {
		case 0: put(b, "[::1]"); break;
		case 1: put(b, "%2Ftmp"); break;
		case 2: break;
		default: put(b, rnd(2) ? "db" : "h-1.example"); break;
		}
		if (rnd(2))
			put(b, rnd(16) ? ":5432" : ":x");
	}
	if (rnd(4)) {
		putc_(b, '/');
		value(v, sizeof(v), 0);
		put_enc(b, v, "-._~");
	}
	if (rnd(3) == 0)
		return;
	putc_(b, '?');
	for (n = (int)rnd(4), i = 0; i <= n; i++) {
		if (i > 0)
			putc_(b, '&');
		k = key();
		if (rnd(2))
			put_enc(b, k, "_");	/* %70assword and the like */
		else
			put(b, k);
		putc_(b, '=');
		value(v, sizeof(v), is_secret_key(k));
		put_enc(b, v, rnd(4) ? "-._~" : "-._~:#?/@=");
	}
}

static void
test_generated(void)
{
	struct buf b;
	int i;

	quiet = 1;
	for (i = 0; i < 20000; i++) {
		b.n = 0;
		b.s[0] = '\0';
		if (rnd(2))
			gen_conninfo(&b);
		else
			gen_uri(&b);
		diff_one(b.s);
	}
	quiet = 0;
	/* A generator that libpq always refuses would test nothing. */
	ok(nparsed > nchecked / 4 && nrefused < nparsed / 4,
	    "libpq parsed %d of the %d strings, bk refused %d of them",
	    nparsed, nchecked, nrefused);
}

int
main(void)
{
	test_listed();
	test_manifest_rules();
	test_quoting();
	test_generated();
	return tap_done();
}
