/*
 * t-restore-statements.c: how bk-restore reads a script's statements on
 * their way to psql (tools/restore/statements.c).  A script runs inside
 * the restore's one transaction, so a statement that would end or split
 * it is refused with its reason and line; pg_dump's own BEGIN; and
 * COMMIT; lines around large objects, and its \restrict and \unrestrict
 * lines, become comments; everything else (the same words in strings,
 * quotes, comments, COPY data, function bodies) goes to psql as it is.
 * Every case is fed whole, in pieces of every small size, and cut in two
 * at every byte, since a stream arrives however its layers cut it: the
 * verdict, the reason and the bytes psql gets must not change.
 */
#include <stdlib.h>

#include "catalog/catalog.h"
#include "../../tools/restore/restore.h"
#include "tap.h"

/* The whole output and the verdict, as restore_pg drives the filter. */
struct run {
	char	*out;
	size_t	 len;
	char	 why[300];
	int	 ok;
};

static void
take(struct txf *t, struct run *r)
{
	if ((r->out = realloc(r->out, r->len + t->olen + 1)) == NULL)
		abort();
	if (t->olen > 0)	/* t->out may be NULL then */
		memcpy(r->out + r->len, t->out, t->olen);
	r->len += t->olen;
	r->out[r->len] = '\0';
	t->olen = 0;
}

/* The filter's flags for the next cases, and the roles that "exist". */
static int flags;

static int
exists(void *ctx, const char *what, const char *name)
{
	(void)ctx;
	if (strcmp(name, "unknown") == 0)
		return -1;
	return (strcmp(what, "role") == 0 && (strcmp(name, "bk") == 0 ||
	    strcmp(name, "Old \"One\"") == 0)) ||
	    (strcmp(what, "tablespace") == 0 && strcmp(name, "fast") == 0);
}

/*
 * Feeds text in pieces: cut1 and step (0: whole) say where they end.
 * The first refusal stops the feed, as it stops bk-restore.
 */
static void
filter(const char *text, size_t len, size_t cut1, size_t step, struct run *r)
{
	struct txf t;
	size_t off, k;

	memset(&t, 0, sizeof(t));
	t.line = 1;
	t.flags = flags;
	t.exists = exists;
	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	for (off = 0; off < len; off += k) {
		k = off == 0 && cut1 > 0 ? cut1 : step == 0 ||
		    len - off < step ? len - off : step;
		if (k > len - off)
			k = len - off;
		txf_feed(&t, (const unsigned char *)text + off, k);
		take(&t, r);
		if (t.bad[0] != '\0')
			break;
	}
	if (t.bad[0] == '\0') {
		txf_end(&t);
		take(&t, r);
	}
	snprintf(r->why, sizeof(r->why), "%s", t.bad);
	r->ok = t.bad[0] == '\0';
	free(t.out);
	free(t.sbuf);
}

/*
 * The same verdict whole, in pieces of 1 to 17 bytes and cut in two at
 * every byte: accepted with want_out as psql's input, or refused with
 * want_why.
 */
static void
expect(const char *name, const char *text, const char *want_out,
    const char *want_why)
{
	struct run r;
	size_t len = strlen(text), step, cut, tries = 0, bad = 0;

	for (step = 0; step <= 17; step++)
		for (cut = 0; cut <= (step == 0 ? len : 0); cut++) {
			filter(text, len, cut, step, &r);
			tries++;
			if (want_out != NULL ? !r.ok || strcmp(r.out,
			    want_out) != 0 : r.ok || strcmp(r.why,
			    want_why) != 0) {
				if (bad++ == 0)
					printf("# step %zu, cut %zu: %s: "
					    "\"%s\"\n", step, cut, r.ok ?
					    "accepted" : "refused", r.ok ?
					    r.out : r.why);
			}
			free(r.out);
		}
	ok(bad == 0, "%s: %s%s (%zu of %zu feeds differ)", name, want_out ?
	    "accepted" : "refused: ", want_out ? "" : want_why, bad, tries);
}

/* Accepted and passed on byte for byte. */
static void
same(const char *name, const char *text)
{
	expect(name, text, text, NULL);
}

static void
refused(const char *name, const char *text, const char *why)
{
	expect(name, text, NULL, why);
}

#define OWN(w, n)	"the script has its own " w " statement (line " #n \
			"), which would end the restore's one transaction"
#define NAMED(w, n)	"a function body at line " #n " has " w " as a " \
			"name or nested, which psql and the server read " \
			"differently"
#define BACKSLASH(n)	"a string at line " #n " has a backslash before " \
			"its closing quote, which psql reads two ways " \
			"(standard_conforming_strings)"

int
main(int argc, char *argv[])
{
	bk_init(argc, argv);

	/* What pg_dump writes goes through, its own lines as comments. */
	same("plain statements", "SET lock_timeout = 0;\n"
	    "CREATE TABLE t (a int, b text);\n"
	    "ALTER TABLE t OWNER TO me;\n");
	same("an empty script", "");
	expect("pg_dump's BEGIN; and COMMIT; around large objects",
	    "SELECT pg_catalog.lo_create('16401');\nBEGIN;\n"
	    "SELECT pg_catalog.lo_open('16401', 131072);\nCOMMIT;\n",
	    "SELECT pg_catalog.lo_create('16401');\n-- BEGIN;\n"
	    "SELECT pg_catalog.lo_open('16401', 131072);\n-- COMMIT;\n", NULL);
	expect("the same with CR LF", "BEGIN;\r\nSELECT 1;\r\nCOMMIT;\r\n",
	    "-- BEGIN;\r\nSELECT 1;\r\n-- COMMIT;\r\n", NULL);
	expect("pg_dump's \\restrict and \\unrestrict lines",
	    "\\restrict Ab3kQ9zZ\nSELECT 1;\n\\unrestrict Ab3kQ9zZ\n",
	    "-- \\restrict Ab3kQ9zZ\nSELECT 1;\n-- \\unrestrict Ab3kQ9zZ\n",
	    NULL);
	same("other backslash lines (psql's restricted mode stops them)",
	    "\\connect other\nSELECT 1;\n");

	/* The words where they are no statement. */
	same("in strings", "SELECT 'x; COMMIT;', 'it''s; ROLLBACK;';\n");
	same("in an E'' string with \\'",
	    "SELECT E'it\\'s; COMMIT; \\\\';\nSELECT 1;\n");
	same("in a quoted name", "SELECT 1 AS \"x; COMMIT;\";\n");
	same("in dollar quotes", "CREATE FUNCTION f() RETURNS void "
	    "LANGUAGE plpgsql AS $$\nBEGIN\n  COMMIT;\n  ROLLBACK;\nEND;\n"
	    "$$;\nDO $body$ BEGIN COMMIT; END $body$;\n");
	same("$1 is no dollar quote", "SELECT $1, 'a; COMMIT;';\n");
	same("in line comments", "-- COMMIT;\nSELECT 1; -- ROLLBACK;\n");
	same("in nested block comments",
	    "/* a /* b */ COMMIT; */ SELECT 1;\n");
	same("in COPY data", "COPY t (a) FROM stdin;\nCOMMIT;\nBEGIN;\n"
	    "ROLLBACK;\n\\.\nSELECT 1;\n");
	expect("after COPY data, a COMMIT; line is pg_dump's again",
	    "COPY t (a) FROM stdin;\nx\n\\.\nCOMMIT;\n",
	    "COPY t (a) FROM stdin;\nx\n\\.\n-- COMMIT;\n", NULL);
	same("a function with an SQL-standard body", "CREATE FUNCTION f() "
	    "RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n SELECT 1;\n SELECT 2;\n"
	    "END;\nSELECT f();\n");
	same("CASE inside such a body", "CREATE OR REPLACE PROCEDURE p() "
	    "LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; "
	    "END;\n");

	/* Statements that would end or split the one transaction. */
	refused("ROLLBACK", "SELECT 1;\nROLLBACK;\n", OWN("ROLLBACK", 2));
	refused("a COMMIT that is not a whole line",
	    "SELECT 1; COMMIT;\n", OWN("COMMIT", 1));
	refused("an indented COMMIT", "SELECT 1;\n  COMMIT;\n",
	    OWN("COMMIT", 2));
	refused("commit in lower case", "commit;\n", OWN("COMMIT", 1));
	refused("BEGIN with more on its line", "BEGIN; SELECT 1;\n",
	    OWN("BEGIN", 1));
	refused("START TRANSACTION", "\n\nSTART TRANSACTION;\n",
	    OWN("START", 3));
	refused("END", "END;\n", OWN("END", 1));
	refused("ABORT", "ABORT;\n", OWN("ABORT", 1));
	refused("PREPARE TRANSACTION", "PREPARE TRANSACTION 'x';\n",
	    OWN("PREPARE", 1));
	refused("SAVEPOINT", "SAVEPOINT a;\n", OWN("SAVEPOINT", 1));
	refused("RELEASE", "RELEASE SAVEPOINT a;\n", OWN("RELEASE", 1));
	refused("the line of a statement over several lines",
	    "SELECT 1;\n\nROLLBACK\n  AND CHAIN;\n", OWN("ROLLBACK", 3));
	refused("after a comment", "/* x */ ROLLBACK;\n", OWN("ROLLBACK", 1));
	refused("a COMMIT; line without its newline at the end",
	    "SELECT 1;\nCOMMIT;", OWN("COMMIT", 2));
	refused("a last statement without its semicolon",
	    "SELECT 1;\nROLLBACK", OWN("ROLLBACK", 2));
	refused("after COPY data", "COPY t (a) FROM stdin;\n1\n\\.\n"
	    "ROLLBACK;\n", OWN("ROLLBACK", 4));
	refused("inside an SQL-standard body", "CREATE FUNCTION f() RETURNS "
	    "int LANGUAGE sql\nBEGIN ATOMIC\n SELECT 1;\n COMMIT;\nEND;\n",
	    OWN("COMMIT", 4));
	refused("a nested BEGIN in such a body", "CREATE FUNCTION f() RETURNS "
	    "int LANGUAGE sql\nBEGIN ATOMIC\n BEGIN ATOMIC SELECT 1; END;\n"
	    "END;\n", NAMED("BEGIN", 3));
	refused("END as a name in such a body", "CREATE FUNCTION f() RETURNS "
	    "int LANGUAGE sql BEGIN ATOMIC SELECT 1 AS end; END;\n",
	    NAMED("end", 1));
	refused("a backslash before a string's closing quote",
	    "SELECT 1;\nSELECT 'a\\';\n", BACKSLASH(2));

	/* --no-owner and --no-acl: whole statements out, their lines kept. */
	flags = TXF_NO_OWNER | TXF_NO_ACL;
	expect("ownership and privileges left out",
	    "CREATE TABLE t (a int);\nALTER TABLE public.t OWNER TO bob;\n"
	    "GRANT SELECT ON TABLE public.t TO carol;\nREVOKE ALL ON "
	    "SCHEMA public FROM PUBLIC;\nALTER FUNCTION f(integer, text)\n"
	    "    OWNER TO \"Bob Two\";\nSET SESSION AUTHORIZATION 'bob';\n"
	    "RESET SESSION AUTHORIZATION;\nALTER DEFAULT PRIVILEGES FOR "
	    "ROLE bob GRANT SELECT ON TABLES TO carol;\nSELECT 1;\n",
	    "CREATE TABLE t (a int);\n\n\n\n\n\n\n\n\nSELECT 1;\n",
	    NULL);
	expect("two on a line, one of them left out",
	    "SELECT 1; ALTER SCHEMA s OWNER TO bob; SELECT 2;\n",
	    "SELECT 1;  SELECT 2;\n", NULL);
	same("what only looks like ownership stays",
	    "ALTER TABLE t RENAME owner TO x;\nALTER TABLE t ADD c int, "
	    "OWNER TO bob;\nSELECT 'ALTER TABLE t OWNER TO bob;';\n"
	    "ALTER TABLE \"owner\" RENAME TO \"to\";\n"
	    "-- GRANT ALL ON t TO bob;\nCOMMENT ON TABLE t IS 'GRANT';\n"
	    "CREATE FUNCTION g() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n"
	    " SELECT 1;\nEND;\n");
	refused("a ROLLBACK still refused",
	    "GRANT ALL ON t TO bob;\nROLLBACK;\n", OWN("ROLLBACK", 2));
	refused("a COMMIT after a statement left out, on its line",
	    "ALTER TABLE t OWNER TO bob; COMMIT;\n", OWN("COMMIT", 1));
	refused("a backslash string in a GRANT still refused",
	    "GRANT ALL ON \"t\" TO bob;\nSELECT 'a\\';\n", BACKSLASH(2));
	flags = TXF_NO_ACL;
	expect("--no-acl alone keeps the owner",
	    "ALTER TABLE t OWNER TO bob;\nGRANT ALL ON t TO bob;\n",
	    "ALTER TABLE t OWNER TO bob;\n\n", NULL);

	/* --globals: roles and tablespaces only, existing ones not created. */
	flags = TXF_GLOBALS;
	same("its first lines", "\nSET default_transaction_read_only = off;"
	    "\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_"
	    "strings = on;\n");
	expect("a pg_dumpall -g script", "SET client_encoding = 'UTF8';\n"
	    "CREATE ROLE alice;\nALTER ROLE alice WITH LOGIN PASSWORD "
	    "'SCRAM-SHA-256$4096:x';\nCREATE ROLE bk;\nALTER ROLE bk WITH "
	    "SUPERUSER;\nCREATE ROLE \"Old \"\"One\"\"\";\n"
	    "COMMENT ON ROLE alice IS 'x';\nALTER ROLE alice SET work_mem TO "
	    "'8MB';\nGRANT bob TO alice GRANTED BY bk;\nCREATE TABLESPACE "
	    "fast OWNER bk LOCATION '/srv/fast';\nGRANT CREATE ON TABLESPACE "
	    "fast TO alice;\n",
	    "SET client_encoding = 'UTF8';\nCREATE ROLE alice;\nALTER ROLE "
	    "alice WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';\n\nALTER ROLE "
	    "bk WITH SUPERUSER;\n\nCOMMENT ON ROLE alice IS 'x';\nALTER "
	    "ROLE alice SET work_mem TO '8MB';\nGRANT bob TO alice GRANTED "
	    "BY bk;\n\nGRANT CREATE ON TABLESPACE fast TO alice;\n", NULL);
	same("CREATE ROLE with options for one that exists stays",
	    "CREATE ROLE bk LOGIN;\n");
	refused("a table", "CREATE ROLE a;\nCREATE TABLE t (a int);\n",
	    "a globals script holds only roles and tablespaces, and line 2 "
	    "has a CREATE statement");
	refused("DROP ROLE", "DROP ROLE a;\n", "a globals script holds "
	    "only roles and tablespaces, and line 1 has a DROP statement "
	    "(bk-restore --globals never drops: make it without pg_dumpall "
	    "--clean)");
	refused("a GRANT on a table", "GRANT ALL ON t TO a;\n",
	    "a globals script holds only roles and tablespaces, and line 1 "
	    "has a GRANT statement");
	refused("SET ROLE", "SET ROLE a;\n", "a globals script holds only "
	    "roles and tablespaces, and line 1 has a SET statement");
	refused("a statement with no word first", "(SELECT 1);\n",
	    "a globals script holds only roles and tablespaces, and line 1 "
	    "has another statement");
	refused("a missing tablespace", "CREATE TABLESPACE slow LOCATION "
	    "'/x';\n", "tablespace \"slow\" (line 1) does not exist, and "
	    "CREATE TABLESPACE cannot run in the restore's transaction: "
	    "create it first");
	refused("a server that cannot say", "CREATE ROLE unknown;\n",
	    "could not ask the server whether role \"unknown\" exists");
	refused("ROLLBACK", "CREATE ROLE a;\nROLLBACK;\n",
	    OWN("ROLLBACK", 2));
	refused("a function", "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
	    "BEGIN ATOMIC SELECT 1; END;\n", "a globals script holds only "
	    "roles and tablespaces, and line 1 has a CREATE statement");
	return tap_done();
}
