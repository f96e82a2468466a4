/*
 * t-pgscript.c: whether a plain pg_dump script is complete (pgscript.c),
 * the one check of bk-manifest add, bk-verify and bk-restore.  Every case
 * is fed whole and in pieces of every awkward size, since a stream arrives
 * however its layers cut it: the verdict and its reason must not change.
 */
#include <stdlib.h>

#include "format/format.h"
#include "tap.h"

#define HEAD_OLD	"--\n-- PostgreSQL database dump\n--\n\n" \
			"SET statement_timeout = 0;\n"
#define HEAD_NEW	"--\n-- PostgreSQL database dump\n--\n\n" \
			"\\restrict Ab3kQ9zZ\n\nSET statement_timeout = 0;\n"
#define BODY		"CREATE TABLE t (a int);\nCOPY t (a) FROM stdin;\n" \
			"1\n2\n\\.\n\n"
#define DONE		"--\n-- PostgreSQL database dump complete\n--\n\n"
#define UNRESTRICT	"\\unrestrict Ab3kQ9zZ\n\n"

/* pg_dumpall's: its \unrestrict comes before its closing comment. */
#define GHEAD		"--\n-- PostgreSQL database cluster dump\n--\n\n" \
			"\\restrict Ab3kQ9zZ\n\nSET client_encoding = 'UTF8';\n"
#define GBODY		"CREATE ROLE a;\nALTER ROLE a WITH LOGIN;\n\n"
#define GDONE		"--\n-- PostgreSQL database cluster dump complete\n--\n\n"

static int cluster;	/* the next cases are pg_dumpall scripts */

static const size_t pieces[] = { 0, 1, 2, 3, 7, 10, 64, 4095, 4096, 4097 };

/* Feeds text in pieces of size step (0: whole); the verdict and why. */
static int
judge(const char *text, size_t len, size_t step, char *why, size_t size)
{
	struct bk_pgscript s;
	size_t off, k;

	bk_pgscript_init(&s);
	s.cluster = cluster;
	for (off = 0; off < len; off += k) {
		k = step == 0 || len - off < step ? len - off : step;
		bk_pgscript_feed(&s, text + off, k);
	}
	why[0] = '\0';
	return bk_pgscript_complete(&s, why, size);
}

/* The same verdict and reason whole and in every piece size. */
static void
expect(const char *name, const char *text, int want, const char *want_why)
{
	char why[256];
	size_t i, len = strlen(text);
	int got, same = 1;

	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		got = judge(text, len, pieces[i], why, sizeof(why));
		if (got != want || (!want && strcmp(why, want_why) != 0)) {
			same = 0;
			printf("# piece %zu: got %d (%s)\n", pieces[i], got,
			    why);
		}
	}
	ok(same, "%s: %s%s%s", name, want ? "complete" : "incomplete, ",
	    want ? "" : want_why, "");
}

/* text with n bytes of padding rows before the end, as a long dump has. */
static char *
padded(const char *head, size_t n, const char *end)
{
	size_t hl = strlen(head), el = strlen(end), i;
	char *s = malloc(hl + n + el + 1);

	memcpy(s, head, hl);
	for (i = 0; i < n; i++)
		s[hl + i] = i % 32 == 31 ? '\n' : 'x';
	memcpy(s + hl + n, end, el + 1);
	return s;
}

int
main(int argc, char *argv[])
{
	char *s;

	bk_init(argc, argv);
	expect("pg_dump before 2025", HEAD_OLD BODY DONE, 1, "");
	expect("pg_dump since 2025", HEAD_NEW BODY DONE UNRESTRICT, 1, "");
	expect("without a newline at the very end",
	    HEAD_NEW BODY DONE "\\unrestrict Ab3kQ9zZ\n", 1, "");
	expect("cut before the closing comment", HEAD_OLD BODY, 0,
	    "no \"-- PostgreSQL database dump complete\" at the end");
	expect("cut in the closing comment", HEAD_OLD BODY "--\n-- PostgreSQL "
	    "database dump comp", 0,
	    "no \"-- PostgreSQL database dump complete\" at the end");
	expect("\\restrict without its \\unrestrict", HEAD_NEW BODY DONE, 0,
	    "no \\unrestrict line matching its \\restrict");
	expect("its key cut short", HEAD_NEW BODY DONE "\\unrestrict Ab3k", 0,
	    "no \\unrestrict line matching its \\restrict");
	expect("another key", HEAD_NEW BODY DONE "\\unrestrict Zz\n", 0,
	    "no \\unrestrict line matching its \\restrict");
	expect("\\unrestrict without \\restrict",
	    HEAD_OLD BODY DONE UNRESTRICT, 0, "data after its last line");
	expect("a statement after the end", HEAD_OLD BODY DONE
	    "DROP TABLE t;\n", 0, "data after its last line");
	expect("a comment after the end", HEAD_OLD BODY DONE "-- x\n", 0,
	    "data after its last line");
	expect("CR LF line ends", "--\r\n-- PostgreSQL database dump\r\n--\r\n"
	    BODY "--\r\n-- PostgreSQL database dump complete\r\n--\r\n\r\n",
	    1, "");
	expect("an empty script", "", 0,
	    "no \"-- PostgreSQL database dump complete\" at the end");

	/* The end of a long script: only its last bytes count. */
	s = padded(HEAD_NEW BODY, 100000, DONE UNRESTRICT);
	expect("a long script", s, 1, "");
	free(s);
	s = padded(HEAD_NEW BODY DONE UNRESTRICT, 100000, "");
	expect("the closing lines far from the end", s, 0,
	    "no \"-- PostgreSQL database dump complete\" at the end");
	free(s);
	/* A \restrict line past the head is data, not the script's key. */
	s = padded(HEAD_OLD, 5000, "\\restrict late\n" BODY DONE);
	expect("\\restrict deep in the script is not the key", s, 1, "");
	free(s);

	cluster = 1;
	expect("pg_dumpall -g", GHEAD GBODY UNRESTRICT GDONE, 1, "");
	expect("pg_dumpall -g before 2025", "--\n-- PostgreSQL database "
	    "cluster dump\n--\n\n" GBODY GDONE, 1, "");
	expect("pg_dumpall without its \\unrestrict", GHEAD GBODY GDONE, 0,
	    "no \\unrestrict line matching its \\restrict");
	expect("pg_dumpall with its \\unrestrict after the comment",
	    GHEAD GBODY GDONE UNRESTRICT, 0,
	    "no \\unrestrict line matching its \\restrict");
	expect("pg_dumpall cut", GHEAD GBODY, 0, "no \"-- PostgreSQL database "
	    "cluster dump complete\" at the end");
	expect("pg_dumpall ending as pg_dump does", GHEAD GBODY UNRESTRICT DONE,
	    0, "no \"-- PostgreSQL database cluster dump complete\" at the "
	    "end");
	return tap_done();
}
