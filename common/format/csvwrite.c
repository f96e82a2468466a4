/*
 * csvwrite.c: the one writer of CSV fields in bk (bk-dump's SQLite rows
 * and headers, bk-csv's output), and of TSV fields (bk-csv --to tsv,
 * bk-manifest list).
 *
 * The quoting is PostgreSQL's COPY ... CSV rule, so that a value comes out
 * of bk-dump the same from either database and the same again after
 * bk-csv: quoted only when it must be, or when it is empty (an unquoted
 * empty field is NULL), or when it is \. alone in its record (a line that
 * psql's \copy would take for the end of the data).  What differs between
 * outputs (the delimiter, Excel's formulas, TSV) is the dialect.
 */
#include <string.h>

#include "format/format.h"

void
bk_csv_dialect_init(struct bk_csv_dialect *d, int delim, int flags)
{
	memset(d, 0, sizeof(*d));
	d->flags = flags;
	d->delim = flags & BK_CSV_TSV ? '\t' : (unsigned char)delim;
	d->special[d->delim] = d->special['"'] = 1;
	d->special['\r'] = d->special['\n'] = 1;
}

/*
 * A plain number: an optional sign, digits, an optional fraction with a
 * point and an optional exponent, as PostgreSQL and SQLite print them.
 * Such a cell cannot be a formula, so it keeps its sign in Excel mode.
 */
static int
is_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d)
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Whether a field holds the delimiter, a quote, CR or LF. */
static int
needs_quotes(const struct bk_csv_dialect *d, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d->special[(unsigned char)s[i]])
			return 1;
	return 0;
}

/* A first byte that makes Excel or LibreOffice read a cell as a formula. */
static int
formula_start(const struct bk_csv_dialect *d, char c)
{
	if (!(d->flags & BK_CSV_EXCEL))
		return 0;
	switch (c) {
	case '=': case '+': case '-': case '@':
	case '\t': case '\r': case '\n':
		return 1;
	}
	return 0;
}

/* Alone on a line, \. would end COPY's data: PostgreSQL quotes it. */
static int
end_of_data(const char *s, size_t n, int flags)
{
	return (flags & BK_FIELD_ALONE) && n == 2 && s[0] == '\\' &&
	    s[1] == '.';
}

/*
 * One TSV field at o (room for 2 * n + 2 bytes) with PostgreSQL's text
 * escapes; NULL is \N.  Returns the end.
 */
static char *
tsv_put(char *o, const char *s, size_t n, int flags)
{
	size_t i;

	if (flags & BK_FIELD_NULL) {
		*o++ = '\\';
		*o++ = 'N';
	}
	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		default: *o++ = s[i];
		}
	}
	return o;
}

/* The field at o, which has room for 2 * n + 3 bytes; returns the end. */
static char *
csv_put(char *o, const struct bk_csv_dialect *d, const char *s, size_t n,
    int flags)
{
	size_t i;
	int quote, prefix = 0, num = -1;
	unsigned char any = 0;

	if (n == 0) {
		/* "" is an empty string; nothing at all is NULL. */
		if (!(flags & BK_FIELD_NULL)) {
			*o++ = '"';
			*o++ = '"';
		}
		return o;
	}
	if (!(flags & BK_FIELD_DECIMAL) && !formula_start(d, s[0])) {
		/*
		 * The common case, copied and checked in one pass: fields are
		 * short, and a call to memcpy costs more than the loop.
		 */
		for (i = 0; i < n; i++) {
			o[i] = s[i];
			any |= d->special[(unsigned char)s[i]];
		}
		if (!any && !end_of_data(s, n, flags))
			return o + n;
		quote = 1;
	} else
		quote = needs_quotes(d, s, n) || end_of_data(s, n, flags);
	/* OWASP: a leading quote keeps text from being a formula. */
	if (formula_start(d, s[0]) && !(num = is_number(s, n)))
		prefix = quote = 1;
	if ((flags & BK_FIELD_DECIMAL) && memchr(s, '.', n) != NULL &&
	    (num == 1 || (num == -1 && is_number(s, n)))) {
		/* The comma is data: quoted when it is the delimiter too. */
		quote = d->delim == ',' || quote;
		if (quote)
			*o++ = '"';
		for (i = 0; i < n; i++)
			*o++ = s[i] == '.' ? ',' : s[i];
		if (quote)
			*o++ = '"';
		return o;
	}
	if (!quote) {
		memcpy(o, s, n);
		return o + n;
	}
	*o++ = '"';
	if (prefix)
		*o++ = '\'';
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			*o++ = '"';
		*o++ = s[i];
	}
	*o++ = '"';
	return o;
}

void
bk_csv_field(struct bk_buf *b, const struct bk_csv_dialect *d, const char *s,
    size_t n, int flags)
{
	/* Two quotes, the ' before a formula, and every quote doubled. */
	char *o = bk_buf_room(b, 2 * n + 3);

	if (d->flags & BK_CSV_TSV)
		o = tsv_put(o, s, n, flags);
	else
		o = csv_put(o, d, s, n, flags);
	b->len = (size_t)(o - b->p);
}
