/*
 * t-writers.c: the one JSON string writer and the one CSV field writer
 * (common/json.c, common/csvwrite.c), byte for byte.
 *
 * Run with "emit DIR", it writes the tricky strings below through every
 * writer into files of DIR instead, for tests/0005-writers.t to read back
 * with python3's json and csv modules and with jq.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "format/format.h"
#include "tap.h"

#define S(x)	{ x, sizeof(x) - 1 }

static const struct tricky {
	const char	*s;
	size_t		 n;
} tricky[] = {
	S(""), S("plain"), S("a,b"), S("a;b"), S("say \"hi\""),
	S("back\\slash"), S("line\nfeed"), S("carriage\rreturn"),
	S("crlf\r\n"), S("\t tab first"), S("\b\f"), S("\x01\x1b\x1f"),
	S("nul\0byte"), S("del\x7f"), S("/slash/"), S("\\."), S("\\N"),
	S("'quote"), S("=1+2"), S("+1"), S("-3.5"), S("-x"),
	S("@SUM(A1)"), S("caf\xc3\xa9"), S("\xe2\x80\xa8\xe2\x80\xa9"),
	S("\xf0\x9f\x98\x80"), S(" lead and trail "), S("\xef\xbb\xbf" "bom"),
	/* Not UTF-8: JSON refuses these, CSV passes the bytes on. */
	S("\xff"), S("trunc\xc3"), S("\xc0\xaf"), S("\xed\xa0\x80"),
	S("\xf4\x90\x80\x80"), S("\x80"),
};
#define NTRICKY	(sizeof(tricky) / sizeof(tricky[0]))

/* The JSON of s as a NUL-terminated string, or NULL if it was refused. */
static char *
json(const char *s, size_t n)
{
	static struct bk_buf b;

	b.len = 0;
	if (bk_json_string(&b, s, n) < 0)
		return NULL;
	bk_buf_add(&b, "", 1);
	return b.p;
}

static void
test_json(void)
{
	static const struct {
		struct tricky	 in;
		const char	*want;
	} t[] = {
		{ S(""), "\"\"" },
		{ S("plain"), "\"plain\"" },
		{ S("say \"hi\" \\ there"), "\"say \\\"hi\\\" \\\\ there\"" },
		/* PostgreSQL's short escapes, \b and \f included. */
		{ S("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"" },
		/* The rest in lower-case hex, as row_to_json writes it. */
		{ S("\x01\x1b\x1f"), "\"\\u0001\\u001b\\u001f\"" },
		{ S("a\0b"), "\"a\\u0000b\"" },
		/* Valid JSON as they are: DEL, the slash, U+2028/9. */
		{ S("\x7f/"), "\"\x7f/\"" },
		{ S("\xe2\x80\xa8\xe2\x80\xa9"), "\"\xe2\x80\xa8\xe2\x80\xa9\"" },
		{ S("caf\xc3\xa9 \xf0\x9f\x98\x80"),
		    "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"" },
	};
	static const struct tricky bad[] = {
		S("\xff"), S("a\xc3"), S("\xc0\xaf"), S("\xe0\x80\xaf"),
		S("\xed\xa0\x80"), S("\xf4\x90\x80\x80"), S("\x80"),
		S("\xf0\x9f\x98"),
	};
	struct bk_buf b = { NULL, 0, 0 };
	char *big, *s;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(json(t[i].in.s, t[i].in.n), t[i].want, t[i].want);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(json(bad[i].s, bad[i].n) == NULL,
		    "not UTF-8 refused (bad[%zu])", i);
		ok(!bk_utf8_valid(bad[i].s, bad[i].n),
		    "bk_utf8_valid says no (bad[%zu])", i);
	}
	ok(bk_utf8_valid("a\0\xc3\xa9", 4), "bk_utf8_valid takes NUL, é");
	/* A refusal leaves what the buffer held before. */
	bk_buf_add(&b, "{\"k\":", 5);
	ok(bk_json_string(&b, "ok\xff", 3) < 0 && b.len == 5 &&
	    memcmp(b.p, "{\"k\":", 5) == 0, "a refusal appends nothing");
	free(b.p);
	/* Past one piece of 4096 bytes, and a character across the cut. */
	big = malloc(10001);
	memset(big, 'a', 10000);
	memcpy(big + 4095, "\xc3\xa9", 2);
	memset(big + 8000, '\x01', 5);
	s = json(big, 10000);
	ok(s != NULL && strlen(s) == 10000 + 2 + 5 * 5 &&
	    memcmp(s + 4096, "\xc3\xa9", 2) == 0 &&
	    memcmp(s + 8001, "\\u0001", 6) == 0, "10000 bytes in pieces");
	free(big);
}

/*
 * The text json_dumps gives, with its upper-case hex made lower-case: the
 * manifest's lines were jansson's and are the same but for that.
 */
static char *
jansson_lower(json_t *v, size_t flags)
{
	char *s = json_dumps(v, flags), *p;

	for (p = s; (p = strstr(p, "\\u")) != NULL; p += 2) {
		if (p > s && p[-1] == '\\')
			continue;
		p[2] |= 0x20 * (p[2] >= 'A');
		p[3] |= 0x20 * (p[3] >= 'A');
		p[4] |= 0x20 * (p[4] >= 'A');
		p[5] |= 0x20 * (p[5] >= 'A');
	}
	return s;
}

static void
test_json_value(void)
{
	static const char *docs[] = {
		"{}", "[]", "{\"a\":[]}", "{\"a\":{}}",
		"{\"path\":\"daily/x.sql.gz\",\"size\":12,\"layers\":[\"gzip\","
		    "\"sql\"],\"complete\":true,\"n\":null,\"f\":false,"
		    "\"r\":1.5,\"big\":-9007199254740993}",
		"{\"d\":\"\\b\\f\\n\\r\\t\\u0001\\u001B\\u007f/\\\"\\\\\","
		    "\"\\u00e9\\u2028\":[1,[2,{\"x\":[]}]]}",
	};
	char *ours, *theirs;
	json_t *v;
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		v = json_loads(docs[i], 0, NULL);
		ours = bk_json_text(v, 0);
		theirs = jansson_lower(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		is_str(ours, theirs, "compact as json_dumps");
		free(ours);
		free(theirs);
		ours = bk_json_text(v, 2);
		theirs = jansson_lower(v, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER);
		is_str(ours, theirs, "indented as json_dumps");
		free(ours);
		free(theirs);
		json_decref(v);
	}
	v = json_pack("{s:s}", "type", "l\x1bx");
	ours = bk_json_text(v, 0);
	is_str(ours, "{\"type\":\"l\\u001bx\"}", "lower-case hex, as "
	    "bk_json_string");
	free(ours);
	json_decref(v);
}

static void
test_csv(void)
{
	enum { C, SEMI, XL, XLSEMI, TSV };
	static const struct {
		int		 d;
		struct tricky	 in;
		int		 flags;
		const char	*want;
		const char	*name;
	} t[] = {
		{ C, S("plain"), 0, "plain", "plain" },
		{ C, S(""), 0, "\"\"", "empty string quoted" },
		{ C, S(""), BK_FIELD_NULL, "", "NULL is nothing" },
		{ C, S("a,b"), 0, "\"a,b\"", "delimiter quoted" },
		{ C, S("a;b"), 0, "a;b", "semicolon is data in CSV" },
		{ SEMI, S("a;b"), 0, "\"a;b\"", "semicolon delimiter" },
		{ SEMI, S("a,b"), 0, "a,b", "comma is data with ;" },
		{ C, S("a\"b"), 0, "\"a\"\"b\"", "quote doubled" },
		{ C, S("a\rb"), 0, "\"a\rb\"", "CR quoted" },
		{ C, S("a\nb"), 0, "\"a\nb\"", "LF quoted" },
		{ C, S(" a\tb "), 0, " a\tb ", "spaces, TAB are data" },
		{ C, S("\\."), BK_FIELD_ALONE,
		    "\"\\.\"", "\\. alone in its record quoted" },
		{ C, S("\\."), 0, "\\.", "\\. beside other fields not" },
		{ C, S("\\N"), BK_FIELD_ALONE, "\\N", "\\N is data" },
		{ C, S("=1+2"), 0, "=1+2", "formula kept without Excel" },
		{ C, S("\x7f\x01"), 0, "\x7f\x01", "control bytes as is" },
		{ C, S("\xff"), 0, "\xff", "bytes not UTF-8 as is" },
		{ XL, S("=1+2"), 0, "\"'=1+2\"", "Excel: = guarded" },
		{ XL, S("+x"), 0, "\"'+x\"", "Excel: + guarded" },
		{ XL, S("-x"), 0, "\"'-x\"", "Excel: - guarded" },
		{ XL, S("@x"), 0, "\"'@x\"", "Excel: @ guarded" },
		{ XL, S("\tx"), 0, "\"'\tx\"", "Excel: TAB guarded" },
		{ XL, S("\nx"), 0, "\"'\nx\"", "Excel: LF guarded" },
		{ XL, S("=\"a\""), 0,
		    "\"'=\"\"a\"\"\"", "Excel: guarded and quotes doubled" },
		{ XL, S("-3.5"), 0, "-3.5", "Excel: a number keeps -" },
		{ XL, S("+1e5"), 0, "+1e5", "Excel: exponent number" },
		{ XL, S("-"), 0, "\"'-\"", "Excel: - alone is text" },
		{ XL, S("a=b"), 0, "a=b", "Excel: only the first byte" },
		{ C, S("1.5"), BK_FIELD_DECIMAL,
		    "\"1,5\"", "decimal comma quoted with ," },
		{ SEMI, S("1.5"), BK_FIELD_DECIMAL,
		    "1,5", "decimal comma bare with ;" },
		{ SEMI, S("15"), BK_FIELD_DECIMAL,
		    "15", "decimal: an integer unchanged" },
		{ SEMI, S("v1.5"), BK_FIELD_DECIMAL,
		    "v1.5", "decimal: text unchanged" },
		{ XLSEMI, S("-1.5"), BK_FIELD_DECIMAL,
		    "-1,5", "decimal and Excel: a negative number" },
		{ XLSEMI, S("-1.5x"), BK_FIELD_DECIMAL,
		    "\"'-1.5x\"", "decimal and Excel: text guarded, point kept" },
		{ TSV, S("a\tb\\c\nd\re \"q\",;"), 0,
		    "a\\tb\\\\c\\nd\\re \"q\",;", "TSV: PostgreSQL's escapes" },
		{ TSV, S(""), BK_FIELD_NULL, "\\N", "TSV: NULL is \\N" },
		{ TSV, S(""), 0, "", "TSV: empty string is nothing" },
		{ TSV, S("\\N"), 0, "\\\\N", "TSV: \\N as data escaped" },
	};
	struct bk_csv_dialect d[5];
	struct bk_buf b = { NULL, 0, 0 };
	size_t i;

	bk_csv_dialect_init(&d[C], ',', 0);
	bk_csv_dialect_init(&d[SEMI], ';', 0);
	bk_csv_dialect_init(&d[XL], ',', BK_CSV_EXCEL);
	bk_csv_dialect_init(&d[XLSEMI], ';', BK_CSV_EXCEL);
	bk_csv_dialect_init(&d[TSV], '\t', BK_CSV_TSV);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		b.len = 0;
		bk_csv_field(&b, &d[t[i].d], t[i].in.s, t[i].in.n,
		    t[i].flags);
		bk_buf_add(&b, "", 1);
		is_str(b.p, t[i].want, t[i].name);
	}
	free(b.p);
}

/* ---- emit: files for tests/0005-writers.t ---- */

static FILE *
create(const char *dir, const char *name)
{
	char *path = bk_asprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		bk_err(BK_EX_CANTCREAT, "could not create \"%s\"", path);
	free(path);
	return f;
}

/* One file of records "i,s" (or "s" alone) in dialect d. */
static void
emit_csv(const char *dir, const char *name, int delim, int flags,
    int alone)
{
	struct bk_csv_dialect d;
	struct bk_buf b = { NULL, 0, 0 };
	char sep = (char)(flags & BK_CSV_TSV ? '\t' : delim);
	FILE *f = create(dir, name);
	size_t i;

	bk_csv_dialect_init(&d, delim, flags);
	fputs(alone ? "s\n" : "i", f);
	if (!alone)
		fprintf(f, "%cs\n", sep);
	for (i = 0; i < NTRICKY; i++) {
		if (!alone)
			fprintf(f, "%zu%c", i, sep);
		/* fwrite: one string holds a NUL. */
		b.len = 0;
		bk_csv_field(&b, &d, tricky[i].s, tricky[i].n,
		    alone ? BK_FIELD_ALONE : 0);
		fwrite(b.p, 1, b.len, f);
		fputc('\n', f);
	}
	free(b.p);
	fclose(f);
}

static int
emit(const char *dir)
{
	FILE *f;
	size_t i, k;
	char *s;

	f = create(dir, "inputs.hex");
	for (i = 0; i < NTRICKY; i++) {
		for (k = 0; k < tricky[i].n; k++)
			fprintf(f, "%02x", (unsigned char)tricky[i].s[k]);
		fputc('\n', f);
	}
	fclose(f);
	/* JSON Lines, of the strings that are UTF-8 only. */
	f = create(dir, "strings.jsonl");
	for (i = 0; i < NTRICKY; i++)
		if ((s = json(tricky[i].s, tricky[i].n)) != NULL)
			fprintf(f, "{\"i\":%zu,\"s\":%s}\n", i, s);
	fclose(f);
	emit_csv(dir, "comma.csv", ',', 0, 0);
	emit_csv(dir, "alone.csv", ',', 0, 1);
	emit_csv(dir, "semi.csv", ';', 0, 0);
	emit_csv(dir, "excel.csv", ',', BK_CSV_EXCEL, 0);
	emit_csv(dir, "pg.tsv", '\t', BK_CSV_TSV, 0);
	return 0;
}

int
main(int argc, char *argv[])
{
	bk_init(argc, argv);
	if (argc == 3 && strcmp(argv[1], "emit") == 0)
		return emit(argv[2]);
	test_json();
	test_json_value();
	test_csv();
	return tap_done();
}
