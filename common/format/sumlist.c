/*
 * sumlist.c: checksum lists in the formats sha256sum(1) and its siblings
 * write, GNU "HEX  NAME" lines and BSD tagged "ALG (NAME) = HEX" lines
 * (--tag), with coreutils' escaped names.  bk-sum -c and bk-verify -s both
 * read lists here, so that one list gets one verdict whichever tool reads
 * it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"

static int
is_hex(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)p[i]))
			return 0;
	return n > 0;
}

/* Undoes coreutils' escaping in place; returns -1 on an unknown escape. */
static int
unescape(char *p)
{
	char *w = p;

	for (; *p != '\0'; p++) {
		if (*p != '\\') {
			*w++ = *p;
			continue;
		}
		switch (*++p) {
		case '\\':
			*w++ = '\\';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		default:
			return -1;
		}
	}
	*w = '\0';
	return 0;
}

/*
 * The algorithm of an untagged line, from the length of its digest: the
 * first allowed algorithm of that length, or without a restriction the
 * usual one (sha256 for 64 digits and sha512 for 128, not their SHA-3 and
 * BLAKE2 twins).
 */
static const struct bk_digest_alg *
alg_by_length(const struct bk_sumlist *l, size_t hexlen)
{
	size_t i;

	if (l->nalgs > 0) {
		for (i = 0; i < l->nalgs; i++)
			if (2 * l->algs[i]->len == hexlen)
				return l->algs[i];
		return NULL;
	}
	switch (hexlen) {
	case 32:
		return bk_digest_lookup("md5");
	case 40:
		return bk_digest_lookup("sha1");
	case 64:
		return bk_digest_lookup("sha256");
	case 128:
		return bk_digest_lookup("sha512");
	default:
		return NULL;
	}
}

/*
 * Parses one line (without its newline) into e.  Returns NULL, or a short
 * reason why the line is malformed.  The accepted forms are exactly what
 * sha256sum and sha256sum --tag write:
 *	[\]HEX  NAME		[\]HEX *NAME
 *	[\]ALG (NAME) = HEX
 * The reasons name -a, since only bk-sum's -a restricts the algorithms.
 */
static const char *
parse_line(const struct bk_sumlist *l, char *p, struct bk_sumentry *e)
{
	char *q, *h, *end;
	size_t n, i;
	int escaped = 0;

	if (*p == '\\') {
		escaped = 1;
		p++;
	}
	n = strspn(p, "0123456789abcdefABCDEF");
	if (n > 0 && p[n] == ' ') {
		/* sha256sum: HEX, a space, a space or '*', the name. */
		if (p[n + 1] != ' ' && p[n + 1] != '*')
			return "expected two spaces or \" *\" after the digest";
		e->hex = p;
		e->name = p + n + 2;
		p[n] = '\0';
		if ((e->alg = alg_by_length(l, n)) == NULL)
			return l->nalgs > 0 ? "digest length fits no -a "
			    "algorithm" : "digest length fits no algorithm";
	} else {
		/* The tagged form: ALG (NAME) = HEX, HEX at the very end. */
		if ((q = strstr(p, " (")) == NULL || q == p)
			return "expected \"HEX  NAME\" or \"ALG (NAME) = HEX\"";
		end = p + strlen(p);
		h = end;
		while (h > q + 2 && isxdigit((unsigned char)h[-1]))
			h--;
		n = (size_t)(end - h);
		if (n == 0 || (size_t)(h - (q + 2)) < 4 ||
		    memcmp(h - 4, ") = ", 4) != 0)
			return "expected \"ALG (NAME) = HEX\"";
		*q = '\0';
		e->name = q + 2;
		h[-4] = '\0';
		e->hex = h;
		if ((e->alg = bk_digest_lookup(p)) == NULL)
			return "unknown algorithm";
		for (i = 0; i < l->nalgs && l->algs[i] != e->alg; i++)
			continue;
		if (l->nalgs > 0 && i == l->nalgs)
			return "algorithm not among -a";
		if (2 * e->alg->len != n)
			return "digest length does not fit the algorithm";
	}
	if (!is_hex(e->hex, strlen(e->hex)))
		return "digest is not hexadecimal";
	for (q = e->hex; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	if (escaped && unescape(e->name) < 0)
		return "bad escape in the name";
	if (*e->name == '\0')
		return "empty name";
	return NULL;
}

void
bk_sumlist_init(struct bk_sumlist *l, FILE *fp,
    const struct bk_digest_alg *const *algs, size_t nalgs)
{
	memset(l, 0, sizeof(*l));
	l->fp = fp;
	l->algs = algs;
	l->nalgs = algs != NULL ? nalgs : 0;
}

int
bk_sumlist_next(struct bk_sumlist *l, struct bk_sumentry *e, const char **why)
{
	ssize_t r;
	size_t len;

	memset(e, 0, sizeof(*e));
	do {
		if ((r = getline(&l->buf, &l->cap, l->fp)) < 0)
			return ferror(l->fp) ? -1 : 0;
		l->lineno++;
		len = (size_t)r;
		if (len > 0 && l->buf[len - 1] == '\n')
			l->buf[--len] = '\0';
		/* Lists edited on Windows end their lines with CR LF. */
		if (len > 0 && l->buf[len - 1] == '\r')
			l->buf[--len] = '\0';
	} while (l->buf[0] == '#');
	l->nlines++;
	if (strlen(l->buf) != len)
		*why = "NUL byte in the line";
	else
		*why = parse_line(l, l->buf, e);
	return 1;
}

void
bk_sumlist_free(struct bk_sumlist *l)
{
	free(l->buf);
	l->buf = NULL;
	l->cap = 0;
}

char *
bk_sumlist_escape(const char *name, int lead)
{
	char *out, *w;

	/* At worst every byte takes two, plus the lead and the NUL. */
	w = out = bk_reallocarray(NULL, strlen(name) + 1, 2);
	if (lead)
		*w++ = '\\';
	for (; *name != '\0'; name++) {
		switch (*name) {
		case '\\':
			*w++ = '\\';
			*w++ = '\\';
			break;
		case '\n':
			*w++ = '\\';
			*w++ = 'n';
			break;
		case '\r':
			*w++ = '\\';
			*w++ = 'r';
			break;
		default:
			*w++ = *name;
			break;
		}
	}
	*w = '\0';
	return out;
}
