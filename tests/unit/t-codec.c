/*
 * t-codec.c: the compressors' command line (bk_codec_options): the levels
 * of one digit and of two, an argument that looks like a level, the
 * modes.  The refusals exit: tests/0101 and 0110 check them on the
 * tools.
 */
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include "platform/platform.h"
#include "tap.h"

#define NARGS	8

/* Parses the words (after the program's name) with levels 1 to max. */
static void
parse(struct bk_codec *c, int max, const char *w0, const char *w1,
    const char *w2)
{
	char *argv[NARGS];
	const char *w[] = { w0, w1, w2 };
	int argc = 0, i;

	memset(c, 0, sizeof(*c));
	c->usage = "usage: t-codec\n";
	c->level = 3;
	c->level_max = max;
	argv[argc++] = (char *)"t-codec";
	for (i = 0; i < 3 && w[i] != NULL; i++)
		argv[argc++] = (char *)w[i];
	argv[argc] = NULL;
	/* 0, not 1: glibc's getopt starts afresh, clusters and all. */
	optind = 0;
	bk_codec_options(c, argc, argv);
	/* What became --level=NN was allocated, and read already. */
	for (i = 1; i < argc; i++)
		if (argv[i] != w[i - 1])
			free(argv[i]);
}

int
main(void)
{
	struct bk_codec c;

	parse(&c, 19, NULL, NULL, NULL);
	ok(c.level == 3 && c.mode == BK_CODEC_COMPRESS && c.input == NULL &&
	    c.output == NULL && c.threads >= 1, "the defaults");
	parse(&c, 19, "-19", NULL, NULL);
	ok(c.level == 19, "-19 is level 19 where the levels have two digits");
	parse(&c, 9, "-19", NULL, NULL);
	ok(c.level == 9, "-19 is -1 -9 where they have one");
	parse(&c, 19, "-1", "-9", NULL);
	ok(c.level == 9, "-1 -9: the last level counts");
	parse(&c, 19, "--level", "12", NULL);
	ok(c.level == 12, "--level 12");
	parse(&c, 19, "--best", NULL, NULL);
	ok(c.level == 19, "--best is the highest level (19)");
	parse(&c, 9, "--best", NULL, NULL);
	ok(c.level == 9, "--best is the highest level (9)");
	parse(&c, 19, "--fast", NULL, NULL);
	ok(c.level == 1, "--fast is level 1");
	parse(&c, 19, "-o", "-19", NULL);
	ok(c.level == 3 && c.output != NULL && strcmp(c.output, "-19") == 0,
	    "-o -19 names a file");
	parse(&c, 19, "-qo", "-12", NULL);
	ok(c.level == 3 && c.output != NULL && strcmp(c.output, "-12") == 0,
	    "a cluster ending in -o takes the next argument");
	parse(&c, 19, "--", "-19", NULL);
	ok(c.level == 3 && c.input != NULL && strcmp(c.input, "-19") == 0,
	    "after --, -19 is the input");
	parse(&c, 19, "-j", "2", "-d");
	ok(c.threads == 2 && c.mode == BK_CODEC_DECOMPRESS, "-j 2 -d");
	parse(&c, 9, "-t", "f.gz", NULL);
	ok(c.mode == BK_CODEC_TEST && c.input != NULL &&
	    strcmp(c.input, "f.gz") == 0, "-t f.gz");
	parse(&c, 9, "-fP", NULL, NULL);
	ok(c.force && c.progress, "-fP");
	return tap_done();
}
