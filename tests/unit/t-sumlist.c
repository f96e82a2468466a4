/* t-sumlist.c: checksum lists, the one reader of bk-sum -c and bk-verify -s. */
#include <stdlib.h>

#include "format/format.h"
#include "tap.h"

#define H32	"0123456789abcdef0123456789abcdef"
#define H40	H32 "01234567"
#define H64	H32 H32
#define H128	H64 H64

/*
 * Reads a whole list of len bytes and describes each line that is not a
 * comment: "ALG:NAME" (the name escaped, so that it prints) or "!REASON",
 * joined by "|"; a failed read adds "!read".
 */
static const char *
describe(const char *text, size_t len, const struct bk_digest_alg *const *algs,
    size_t nalgs, struct bk_sumlist *l)
{
	static char out[4096];
	struct bk_sumentry e;
	const char *why;
	char *name;
	FILE *fp;
	int r;

	out[0] = '\0';
	if ((fp = fmemopen((void *)text, len, "r")) == NULL)
		return "fmemopen failed";
	bk_sumlist_init(l, fp, algs, nalgs);
	while ((r = bk_sumlist_next(l, &e, &why)) > 0) {
		if (out[0] != '\0')
			strcat(out, "|");
		if (why != NULL) {
			strcat(out, "!");
			strcat(out, why);
			continue;
		}
		name = bk_sumlist_escape(e.name, 0);
		snprintf(out + strlen(out), sizeof(out) - strlen(out),
		    "%s:%s", e.alg->name, name);
		free(name);
	}
	if (r < 0)
		strcat(out, "!read");
	bk_sumlist_free(l);
	fclose(fp);
	return out;
}

#define LIST(s)	(s), sizeof(s) - 1

static void
test_forms(void)
{
	static const struct { const char *what, *in, *want; } t[] = {
		{ "sha256sum", H64 "  a.csv\n", "sha256:a.csv" },
		{ "md5sum -b, no final newline", H32 " *b.bin", "md5:b.bin" },
		{ "sha1sum, CR LF", H40 "  d\r\n", "sha1:d" },
		{ "sha512sum", H128 "  e\n", "sha512:e" },
		{ "a tag, \" (\" in the name",
		    "SHA512 (c (1).csv) = " H128 "\n", "sha512:c (1).csv" },
		{ "a tag, \") = \" in the name",
		    "BLAKE2b (x) = y) = " H128 "\n", "blake2b512:x) = y" },
		{ "a SHA3-256 tag", "SHA3-256 (f) = " H64 "\n", "sha3-256:f" },
		{ "escaped", "\\" H64 "  new\\nline\\\\b\n",
		    "sha256:new\\nline\\\\b" },
		{ "an escaped tag", "\\SHA256 (a\\rb) = " H64 "\n",
		    "sha256:a\\rb" },
		{ "not escaped: a backslash as it is",
		    H64 "  not\\escaped\n", "sha256:not\\\\escaped" },
		{ "an empty list", "", "" },
		{ "comments", "# a comment\n#\n", "" },
		{ "an empty line", "\n",
		    "!expected \"HEX  NAME\" or \"ALG (NAME) = HEX\"" },
		{ "free text", "hello world\n",
		    "!expected \"HEX  NAME\" or \"ALG (NAME) = HEX\"" },
		{ "one space", H64 " a\n",
		    "!expected two spaces or \" *\" after the digest" },
		{ "no name", H64 "  \n", "!empty name" },
		{ "65 digits", H64 "a  a\n", "!digest length fits no algorithm" },
		{ "an unknown tag", "CRC32 (a) = " H64 "\n",
		    "!unknown algorithm" },
		{ "a tag of the wrong length", "MD5 (a) = " H64 "\n",
		    "!digest length does not fit the algorithm" },
		{ "a tag without digest", "SHA256 (a) = \n",
		    "!expected \"ALG (NAME) = HEX\"" },
		{ "a tag without =", "SHA256 (a) " H64 "\n",
		    "!expected \"ALG (NAME) = HEX\"" },
		{ "a tag without name", "SHA256 () = " H64 "\n",
		    "!empty name" },
		{ "an unknown escape", "\\" H64 "  a\\tb\n",
		    "!bad escape in the name" },
		{ "a backslash at the end", "\\" H64 "  a\\\n",
		    "!bad escape in the name" },
	};
	struct bk_sumlist l;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(describe(t[i].in, strlen(t[i].in), NULL, 0, &l),
		    t[i].want, t[i].what);
}

static void
test_lines(void)
{
	static const char nul[] = H64 "  a\0b\n" H64 "  c\n";
	static const char upper[] = "# made by hand\n"
	    "0123456789ABCDEF0123456789ABCDEF  u\n";
	struct bk_sumlist l;
	struct bk_sumentry e;
	const char *why;
	FILE *fp;

	is_str(describe(LIST(nul), NULL, 0, &l),
	    "!NUL byte in the line|sha256:c", "a NUL byte spoils its line only");
	ok(l.lineno == 2 && l.nlines == 2, "two lines counted");
	describe(LIST("# one\n# two\n"), NULL, 0, &l);
	ok(l.lineno == 2 && l.nlines == 0, "comments are no digest lines");

	fp = fmemopen((void *)upper, sizeof(upper) - 1, "r");
	ok(fp != NULL, "fmemopen");
	if (fp == NULL)
		return;
	bk_sumlist_init(&l, fp, NULL, 0);
	ok(bk_sumlist_next(&l, &e, &why) == 1 && why == NULL,
	    "an upper-case digest is read");
	is_str(e.hex, H32, "...and given lower-case");
	ok(l.lineno == 2, "the line number counts the comment");
	ok(bk_sumlist_next(&l, &e, &why) == 0, "then the end");
	bk_sumlist_free(&l);
	fclose(fp);
}

static void
test_restricted(void)
{
	const struct bk_digest_alg *sha3[] = { bk_digest_lookup("sha3-256") };
	const struct bk_digest_alg *two[] = { bk_digest_lookup("md5"),
	    bk_digest_lookup("sha256") };
	struct bk_sumlist l;

	is_str(describe(LIST(H64 "  a\n"), sha3, 1, &l), "sha3-256:a",
	    "-a sha3-256 reads 64 digits as SHA3-256");
	is_str(describe(LIST("SHA256 (a) = " H64 "\n"), sha3, 1, &l),
	    "!algorithm not among -a", "a tag not among -a");
	is_str(describe(LIST(H32 "  a\n"), sha3, 1, &l),
	    "!digest length fits no -a algorithm", "a length not among -a");
	is_str(describe(LIST(H32 "  a\n" H64 "  b\n"), two, 2, &l),
	    "md5:a|sha256:b", "each length its own -a algorithm");
}

static void
test_escape(void)
{
	char *s;

	s = bk_sumlist_escape("a\\b\nc\rd", 1);
	is_str(s, "\\a\\\\b\\nc\\rd", "escaped after a backslash");
	free(s);
	s = bk_sumlist_escape("\n\n", 0);
	is_str(s, "\\n\\n", "escaped without one");
	free(s);
	s = bk_sumlist_escape("", 1);
	is_str(s, "\\", "an empty name");
	free(s);
}

/*
 * What bk-sum writes, bk-sum -c reads: a name escaped as coreutils does
 * (the line then starts with a backslash) reads back as it was, in both
 * forms, and so does a name longer than any line buffer starts with.
 */
static void
test_round_trip(void)
{
	static const char *names[] = { "plain.csv", "new\nline", "a\\b",
	    "cr\rlf", "\\\n\r", " lead and trail ", "x (1) = y", NULL };
	struct bk_sumlist l;
	struct bk_sumentry e;
	const char *why;
	char *esc, *line, *longname;
	size_t i, n, bad = 0;
	FILE *fp;

	longname = malloc(100001);
	memset(longname, 'n', 100000);
	longname[100000] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *name = names[i] != NULL ? names[i] : longname;
		int lead = strpbrk(name, "\\\n\r") != NULL;

		esc = bk_sumlist_escape(name, 0);
		n = strlen(esc) + 200;
		line = malloc(2 * n);
		snprintf(line, 2 * n, "%s" H64 "  %s\n%sSHA256 (%s) = " H64 "\n",
		    lead ? "\\" : "", esc, lead ? "\\" : "", esc);
		if ((fp = fmemopen(line, strlen(line), "r")) == NULL)
			bad++;
		else {
			bk_sumlist_init(&l, fp, NULL, 0);
			if (bk_sumlist_next(&l, &e, &why) != 1 || why != NULL ||
			    strcmp(e.name, name) != 0)
				bad++, printf("# GNU line: %.60s\n", esc);
			if (bk_sumlist_next(&l, &e, &why) != 1 || why != NULL ||
			    strcmp(e.name, name) != 0)
				bad++, printf("# tagged line: %.60s\n", esc);
			ok(bk_sumlist_next(&l, &e, &why) == 0 &&
			    l.nlines == 2, "\"%.20s%s\": two lines, then the end",
			    esc, strlen(esc) > 20 ? "..." : "");
			bk_sumlist_free(&l);
			fclose(fp);
		}
		free(line);
		free(esc);
	}
	ok(bad == 0, "every name escaped reads back as it was, GNU and "
	    "tagged (%zu failed)", bad);
	free(longname);
}

int
main(void)
{
	test_forms();
	test_lines();
	test_round_trip();
	test_restricted();
	test_escape();
	return tap_done();
}
