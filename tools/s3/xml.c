/*
 * xml.c: a small, strict reader for the XML that S3 answers with.
 *
 * The replies are short documents of plain elements (ListBucketResult,
 * InitiateMultipartUploadResult, Error...), so this reads just that much
 * of XML 1.0 and refuses the rest: no DTD (hence no entity of the
 * server's own, no expansion), the five predefined entities and
 * character references only, no NUL byte, tags that match, a bounded
 * depth.  A reply is hostile input like any other: whatever it holds,
 * the reader stops at its end with an answer or a reason, and never
 * reads past the length it was given.  Attributes are skipped (S3 puts
 * only xmlns there).  libxml2 would do more than needed, and more than
 * is safe to leave enabled by default.
 */
#include <stdlib.h>
#include <string.h>

#include "s3.h"

struct xml {
	const char	*p;		/* the next byte */
	const char	*end;
	char		 path[1024];	/* the open elements, '/'-joined */
	size_t		 plen[S3_XML_DEPTH + 1];	/* path length per depth */
	int		 depth;
	int		 children;	/* the open element has child elements */
	struct bk_buf	 text;		/* of the open element */
	char		*why;
	size_t		 whylen;
};

static int
fail(struct xml *x, const char *what)
{
	snprintf(x->why, x->whylen, "%s", what);
	return -1;
}

static int
starts(const struct xml *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

/* Moves past the next s; -1 if there is none. */
static int
skip_past(struct xml *x, const char *s)
{
	size_t n = strlen(s);

	while ((size_t)(x->end - x->p) >= n) {
		if (memcmp(x->p, s, n) == 0) {
			x->p += n;
			return 0;
		}
		x->p++;
	}
	return -1;
}

static int
space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
name_char(unsigned char c)
{
	return c >= 0x80 || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == ':';
}

static void
add_utf8(struct bk_buf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	bk_buf_add(b, u, n);
}

/* Decodes the reference at x->p ('&') into the text. */
static int
reference(struct xml *x)
{
	static const struct {
		const char	*name;
		char		 c;
	} ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	unsigned long cp = 0;
	size_t i;
	int hex, digits = 0;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (starts(x, ents[i].name)) {
			bk_buf_add(&x->text, &ents[i].c, 1);
			x->p += strlen(ents[i].name);
			return 0;
		}
	if (!starts(x, "&#"))
		return fail(x, "an unknown entity");
	x->p += 2;
	hex = x->p < x->end && *x->p == 'x';
	if (hex)
		x->p++;
	for (; x->p < x->end && *x->p != ';'; x->p++, digits++) {
		char c = *x->p;
		unsigned v;

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			v = (unsigned)(c - 'A' + 10);
		else
			return fail(x, "a bad character reference");
		cp = cp * (hex ? 16 : 10) + v;
		if (cp > 0x10ffff)
			return fail(x, "a character reference past U+10FFFF");
	}
	if (x->p == x->end || digits == 0)
		return fail(x, "a bad character reference");
	x->p++;
	/* XML 1.0's characters: no NUL, no surrogates, no U+FFFE/U+FFFF. */
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
	    cp == 0xffff)
		return fail(x, "a character reference to a code point XML "
		    "does not allow");
	add_utf8(&x->text, cp);
	return 0;
}

/* Reads a tag's name; returns its length (0 if none). */
static size_t
tag_name(struct xml *x, const char **name)
{
	const char *s = x->p;

	while (x->p < x->end && name_char((unsigned char)*x->p))
		x->p++;
	*name = s;
	return (size_t)(x->p - s);
}

/* The name without a namespace prefix. */
static void
local_name(const char **name, size_t *n)
{
	const char *c = memchr(*name, ':', *n);

	if (c != NULL) {
		*n -= (size_t)(c + 1 - *name);
		*name = c + 1;
	}
}

/* The rest of a start tag after its name: attributes, then '>' or '/>'. */
static int
tag_rest(struct xml *x, int *empty)
{
	char q;

	*empty = 0;
	while (x->p < x->end) {
		if (*x->p == '>') {
			x->p++;
			return 0;
		}
		if (*x->p == '/' && x->end - x->p >= 2 && x->p[1] == '>') {
			x->p += 2;
			*empty = 1;
			return 0;
		}
		if (*x->p == '"' || *x->p == '\'') {
			q = *x->p++;
			while (x->p < x->end && *x->p != q) {
				if (*x->p == '<')
					return fail(x, "'<' in an attribute");
				x->p++;
			}
			if (x->p == x->end)
				break;
		} else if (*x->p == '<')
			return fail(x, "'<' in a tag");
		x->p++;
	}
	return fail(x, "the reply ends inside a tag");
}

static int
open_element(struct xml *x, const char *name, size_t n, s3_xml_fn *fn,
    void *arg)
{
	size_t at;

	if (x->depth == S3_XML_DEPTH)
		return fail(x, "elements nested too deep");
	at = x->depth == 0 ? 0 : x->plen[x->depth];
	if (at + n + 2 > sizeof(x->path))
		return fail(x, "element names too long");
	if (x->depth > 0)
		x->path[at++] = '/';
	memcpy(x->path + at, name, n);
	at += n;
	x->path[at] = '\0';
	x->depth++;
	x->plen[x->depth] = at;
	x->children = 0;
	x->text.len = 0;
	fn(arg, S3_XML_OPEN, x->path, NULL, 0);
	return 0;
}

static void
close_element(struct xml *x, s3_xml_fn *fn, void *arg)
{
	if (!x->children) {
		*bk_buf_room(&x->text, 1) = '\0';
		fn(arg, S3_XML_TEXT, x->path, x->text.p, x->text.len);
	}
	fn(arg, S3_XML_CLOSE, x->path, NULL, 0);
	x->depth--;
	x->path[x->depth == 0 ? 0 : x->plen[x->depth]] = '\0';
	/* The parent, if any, has this one as a child. */
	x->children = 1;
	x->text.len = 0;
}

static int
parse(struct xml *x, s3_xml_fn *fn, void *arg)
{
	const char *name, *cur, *c;
	size_t n;
	int empty, roots = 0;

	if (starts(x, "\xef\xbb\xbf"))
		x->p += 3;
	while (x->p < x->end) {
		if (*x->p == '\0')
			return fail(x, "a NUL byte");
		if (*x->p != '<') {
			if (*x->p == '&') {
				if (x->depth == 0)
					return fail(x, "text outside the root "
					    "element");
				if (reference(x) == -1)
					return -1;
				continue;
			}
			if (x->depth == 0 && !space(*x->p))
				return fail(x, "text outside the root element");
			if (x->depth > 0)
				bk_buf_add(&x->text, x->p, 1);
			x->p++;
			continue;
		}
		if (starts(x, "<?")) {
			if (skip_past(x, "?>") == -1)
				return fail(x, "an unfinished processing "
				    "instruction");
			continue;
		}
		if (starts(x, "<!--")) {
			x->p += 4;
			if (skip_past(x, "-->") == -1)
				return fail(x, "an unfinished comment");
			continue;
		}
		if (starts(x, "<![CDATA[")) {
			if (x->depth == 0)
				return fail(x, "CDATA outside the root element");
			x->p += 9;
			cur = x->p;
			if (skip_past(x, "]]>") == -1)
				return fail(x, "an unfinished CDATA section");
			if (memchr(cur, '\0', (size_t)(x->p - 3 - cur)) != NULL)
				return fail(x, "a NUL byte");
			bk_buf_add(&x->text, cur, (size_t)(x->p - 3 - cur));
			continue;
		}
		if (starts(x, "<!"))
			return fail(x, "a document type declaration (refused)");
		if (starts(x, "</")) {
			x->p += 2;
			n = tag_name(x, &name);
			local_name(&name, &n);
			while (x->p < x->end && space(*x->p))
				x->p++;
			if (x->p == x->end || *x->p != '>')
				return fail(x, "a bad end tag");
			x->p++;
			if (x->depth == 0)
				return fail(x, "an end tag without a start tag");
			c = x->path + (x->depth == 1 ? 0 : x->plen[x->depth - 1]
			    + 1);
			if (strlen(c) != n || memcmp(c, name, n) != 0)
				return fail(x, "an end tag that does not match");
			close_element(x, fn, arg);
			continue;
		}
		x->p++;
		n = tag_name(x, &name);
		if (n == 0)
			return fail(x, "a bad start tag");
		local_name(&name, &n);
		if (n == 0)
			return fail(x, "a bad start tag");
		if (x->depth == 0 && roots++ > 0)
			return fail(x, "a second root element");
		if (tag_rest(x, &empty) == -1)
			return -1;
		if (open_element(x, name, n, fn, arg) == -1)
			return -1;
		if (empty)
			close_element(x, fn, arg);
	}
	if (x->depth > 0)
		return fail(x, "the reply ends inside an element");
	if (roots == 0)
		return fail(x, "no element");
	return 0;
}

int
s3_xml_parse(const char *doc, size_t len, s3_xml_fn *fn, void *arg,
    char *why, size_t whylen)
{
	struct xml x;
	int r;

	memset(&x, 0, sizeof(x));
	x.p = doc;
	x.end = doc + len;
	x.why = why;
	x.whylen = whylen;
	r = parse(&x, fn, arg);
	free(x.text.p);
	return r;
}
