/*
 * oneline.c: another program's message (libpq's, psql's, SQLite's) made
 * into one line of ours: line breaks, tabs and runs of blanks become one
 * space, and the ends are trimmed.
 */
#include "platform/platform.h"

char *
bk_one_line(char *s)
{
	char *p, *q;
	int space = 0;

	for (p = q = s; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
			space = 1;
			continue;
		}
		if (space && q != s)
			*q++ = ' ';
		space = 0;
		*q++ = *p;
	}
	*q = '\0';
	return s;
}
