/*
 * pgscript.c: whether a plain pg_dump script is complete, judged from its
 * first and last bytes as it streams past.  bk-manifest add records the
 * answer; bk-restore refuses an incomplete script before psql sees it.
 */
#include <string.h>

#include "format/format.h"

void
bk_pgscript_init(struct bk_pgscript *s)
{
	memset(s, 0, sizeof(*s));
}

/* Finds a line starting with word in buf; its offset or -1. */
static long
find_line(const unsigned char *buf, size_t n, const char *word)
{
	size_t wl = strlen(word), i;

	for (i = 0; i + wl <= n; i++)
		if ((i == 0 || buf[i - 1] == '\n') &&
		    memcmp(buf + i, word, wl) == 0)
			return (long)i;
	return -1;
}

/* Notes the key of a \restrict line near the start of the script. */
static void
find_restrict(struct bk_pgscript *s, const unsigned char *buf, size_t n)
{
	const unsigned char *p, *nl;
	long at;
	size_t len;

	if (s->restrict_seen || (at = find_line(buf, n, "\\restrict ")) < 0)
		return;
	p = buf + at + 10;
	if ((nl = memchr(p, '\n', n - (size_t)at - 10)) == NULL)
		return;
	len = (size_t)(nl - p);
	if (len + 14 > sizeof(s->key))
		return;
	s->restrict_seen = 1;
	snprintf(s->key, sizeof(s->key), "\\unrestrict %.*s\n", (int)len,
	    (const char *)p);
}

void
bk_pgscript_feed(struct bk_pgscript *s, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	/*
	 * The first bytes are kept, however they arrive: a \restrict line
	 * cut between two feeds is still found once its newline comes.
	 */
	if (!s->restrict_seen && s->hlen < sizeof(s->head)) {
		size_t k = sizeof(s->head) - s->hlen < n ?
		    sizeof(s->head) - s->hlen : n;

		memcpy(s->head + s->hlen, p, k);
		s->hlen += k;
		find_restrict(s, s->head, s->hlen);
	}
	s->seen += n;
	/* Keeps the last BK_PGSCRIPT_TAIL bytes, in a window of twice that. */
	if (n >= BK_PGSCRIPT_TAIL) {
		memcpy(s->tail, p + n - BK_PGSCRIPT_TAIL, BK_PGSCRIPT_TAIL);
		s->tlen = BK_PGSCRIPT_TAIL;
		return;
	}
	if (s->tlen + n > sizeof(s->tail)) {
		memmove(s->tail, s->tail + s->tlen - BK_PGSCRIPT_TAIL,
		    BK_PGSCRIPT_TAIL);
		s->tlen = BK_PGSCRIPT_TAIL;
	}
	memcpy(s->tail + s->tlen, p, n);
	s->tlen += n;
}

/*
 * A complete pg_dump script ends with the "dump complete" comment; since
 * the 2025 minor releases, a script that opens with \restrict KEY closes
 * with \unrestrict KEY after that comment.  Only blank lines may follow.
 * pg_dumpall's comment says "cluster dump", and its \unrestrict comes first.
 */
int
bk_pgscript_complete(const struct bk_pgscript *s, char *why, size_t size)
{
	const char *end = s->cluster ? "-- PostgreSQL database cluster dump "
	    "complete" : "-- PostgreSQL database dump complete";
	const unsigned char *t;
	long c, u;
	size_t n, i, from;

	n = s->tlen < BK_PGSCRIPT_TAIL ? s->tlen : BK_PGSCRIPT_TAIL;
	t = s->tail + s->tlen - n;
	if ((c = find_line(t, n, end)) < 0) {
		snprintf(why, size, "no \"%s\" at the end", end);
		return 0;
	}
	from = (size_t)c;
	/* pg_dumpall writes its \unrestrict line before the comment. */
	if (s->restrict_seen && s->cluster && find_line(t, (size_t)c,
	    s->key) < 0) {
		snprintf(why, size, "no \\unrestrict line matching its "
		    "\\restrict");
		return 0;
	}
	if (s->restrict_seen && !s->cluster) {
		/* The whole line, key and newline: a cut key is a cut dump. */
		u = find_line(t + c, n - (size_t)c, s->key);
		if (u < 0) {
			snprintf(why, size, "no \\unrestrict line matching "
			    "its \\restrict");
			return 0;
		}
		from = (size_t)(c + u);
	}
	/* After the last expected line, only whitespace. */
	for (i = from; i < n && t[i] != '\n'; i++)
		;
	for (; i < n; i++)
		if (t[i] != '\n' && t[i] != '\r' && t[i] != ' ' &&
		    t[i] != '-') {
			snprintf(why, size, "data after its last line");
			return 0;
		}
	return 1;
}
