/*
 * check.c: bk-sum -c, the digest lists checked line by line (read by
 * common/sumlist.c) and a "NAME: RESULT" line for each file.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/format.h"
#include "sum.h"

/*
 * Prints "NAME: RESULT".  Like coreutils, a name holding a newline is
 * escaped, with a leading backslash, so that each result stays one line.
 */
static void
print_result(struct sum *s, const char *name, const char *result,
    int failed)
{
	struct line l = { NULL, 0, 0 };
	int esc;

	s->nchecked++;
	if (failed)
		s->nfailed++;
	if (s->status || (s->quiet && !failed))
		return;
	esc = strchr(name, '\n') != NULL;
	if (esc)
		line_str(&l, "\\");
	line_name(&l, name, esc);
	printf("%s: %s\n", l.p, result);
	free(l.p);
}

static void
check_entry(struct sum *s, const struct bk_sumentry *e)
{
	unsigned char md[1][BK_DIGEST_MAX];
	char hex[2 * BK_DIGEST_MAX + 1];
	int fd;

	if (strcmp(e->name, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(e->name, O_RDONLY | O_CLOEXEC)) < 0) {
		problem(s, BK_EX_FAIL, 1, "could not open \"%s\"", e->name);
		print_result(s, e->name, "FAILED open or read", 1);
		return;
	}
	if (digest_fd(s, fd, e->name, &e->alg, 1, md) < 0) {
		problem(s, BK_EX_FAIL, 1, "could not read \"%s\"",
		    bk_input_name(e->name));
		print_result(s, e->name, "FAILED open or read", 1);
		close_file(fd);
		return;
	}
	close_file(fd);
	bk_hex(hex, md[0], e->alg->len);
	if (strcmp(hex, e->hex) == 0)
		print_result(s, e->name, "OK", 0);
	else {
		print_result(s, e->name, "FAILED", 1);
		note(s, BK_EX_FAIL);
	}
}

/*
 * Checks one list.  Every line is checked, whatever happens to the ones
 * before it; malformed lines are reported with their number and count as
 * failures (coreutils skips them silently unless --strict).  The lines
 * are read by common/sumlist.c, as bk-verify -c reads them, so that the
 * two tools accept the same lists and give the same reasons.
 */
static void
check_list(struct sum *s, const char *path)
{
	const char *why, *shown = bk_input_name(path);
	struct bk_sumlist l;
	struct bk_sumentry e;
	FILE *fp;
	int r;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		problem(s, bk_open_errno_code(errno), 1,
		    "could not open \"%s\"", path);
		return;
	}
	bk_sumlist_init(&l, fp, s->explicit_algs ? s->algs : NULL, s->nalgs);
	while ((r = bk_sumlist_next(&l, &e, &why)) > 0) {
		if (why != NULL) {
			problem(s, BK_EX_FAIL, 0, "%s:%lu: malformed line: %s",
			    shown, l.lineno, why);
			continue;
		}
		check_entry(s, &e);
	}
	if (r < 0) {
		problem(s, read_errno_code(errno), 1, "could not read \"%s\"",
		    shown);
	} else if (l.nlines == 0) {
		problem(s, BK_EX_FAIL, 0, "%s: no digest lines", shown);
	}
	bk_sumlist_free(&l);
	if (fp != stdin)
		fclose(fp);
}

int
check_lists(struct sum *s, int argc, char **argv)
{
	int k;

	if (argc == 0)
		check_list(s, "-");
	for (k = 0; k < argc; k++)
		check_list(s, argv[k]);
	return s->code;
}
