/*
 * sql.c: strings of SQL for both sources: a growing string, a table's
 * quoted name, and the :NAME parameters given with --param.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "dump.h"

/* A table name, SCHEMA.TABLE or TABLE, quoted part by part. */
char *
quote_table(struct dump *d, const char *name)
{
	const char *dot = strchr(name, '.');
	char *a, *b, *r;

	if (dot == NULL)
		return d->pg ? pg_ident(d, name, strlen(name)) :
		    sqlite_ident(name, strlen(name));
	a = d->pg ? pg_ident(d, name, (size_t)(dot - name)) :
	    sqlite_ident(name, (size_t)(dot - name));
	b = d->pg ? pg_ident(d, dot + 1, strlen(dot + 1)) :
	    sqlite_ident(dot + 1, strlen(dot + 1));
	r = bk_asprintf("%s.%s", a, b);
	free(a);
	free(b);
	return r;
}

void
str_add(struct str *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = bk_realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
str_puts(struct str *b, const char *s)
{
	str_add(b, s, strlen(s));
}

int
is_ident_start(int c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

int
is_ident(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

long
find_param(const struct dump *d, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < d->npar; i++)
		if (strlen(d->par[i].name) == n &&
		    memcmp(d->par[i].name, name, n) == 0)
			return (long)i;
	return -1;
}
