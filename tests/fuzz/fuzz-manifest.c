/*
 * fuzz-manifest.c: the manifest's line parser and its rewrite.  The input
 * is written as a manifest and loaded; a rewrite then keeps some entries
 * as they are, changes others (a verification recorded) and drops the
 * rest, and a new entry is appended.  Properties: one entry per line that
 * is not blank; every bad line comes back byte for byte (but for a last
 * line without its newline that is no whole JSON text, which a failed
 * append leaves and the next writer removes), and every good
 * one kept, verbatim, or changed with its path, size, sha256, created,
 * records and layers intact; nothing else is written, and the appended
 * line follows them.
 */
#include <ctype.h>
#include <fcntl.h>

#include <jansson.h>

#include "fuzz.h"
#include "catalog/catalog.h"

static char *path;

/* What the rewrite is to do with an entry, from its line number. */
enum { KEEP, CHANGE, DROP };

static int
fate(size_t lineno, size_t size)
{
	return (int)((lineno * 7 + size) % 3);
}

static int
keep(struct bk_entry *e, void *arg)
{
	switch (fate(e->lineno, *(size_t *)arg)) {
	case CHANGE:
		bk_entry_set_verified(e, 1700000000, BK_VERIFIED_FAIL, "fuzz");
		return 1;
	case DROP:
		return 0;
	default:
		return 1;
	}
}

/* The lines of p[0..n) that are not blank, as load and rewrite see them. */
struct line {
	const char	*p;
	size_t		 len;
	size_t		 lineno;
};

/* Whether p[0..n) is one whole JSON text without a NUL byte. */
static int
whole_json(const char *p, size_t n)
{
	json_t *v;

	if (memchr(p, '\0', n) != NULL ||
	    (v = json_loadb(p, n, 0, NULL)) == NULL)
		return 0;
	json_decref(v);
	return 1;
}

static size_t
split(const char *p, size_t n, struct line **out)
{
	struct line *l = NULL;
	size_t i, j, start = 0, lineno = 0, k = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '\n')
			continue;
		if (i == n && start == n)
			break;
		lineno++;
		for (j = start; j < i; j++)
			if (!isspace((unsigned char)p[j]))
				break;
		if (j < i) {
			l = bk_reallocarray(l, k + 1, sizeof(*l));
			l[k].p = p + start;
			l[k].len = i - start;
			l[k].lineno = lineno;
			k++;
		}
		start = i + 1;
	}
	*out = l;
	return k;
}

static char *
slurp(const char *file, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	ssize_t got;
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		fuzz_fail("could not open the manifest");
	*len = 0;
	for (;;) {
		if (size - *len < 65536)
			buf = bk_realloc(buf, size += 65536);
		if ((got = read(fd, buf + *len, size - *len)) <= 0)
			break;
		*len += (size_t)got;
	}
	close(fd);
	return buf;
}

static int
same_line(const struct line *a, const char *p, size_t n)
{
	return a->len == n && memcmp(a->p, p, n) == 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	bk_init(*argc, *argv);
	bk_set_verbosity(-1);
	path = bk_asprintf("%s/%s", fuzz_dir(), BK_MANIFEST_NAME);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bk_manifest m, again;
	struct bk_entry *e, *old;
	struct line *in, *out;
	size_t nin, nout, i, o, len;
	char *text, *line;
	int fd;

	/* Longer lines make a rewrite refuse and exit: not this test's. */
	if (size >= BK_MANIFEST_LINE_MAX)
		return 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    bk_write_full(fd, data, size) < 0 || close(fd) < 0)
		fuzz_fail("could not write the manifest");
	nin = split((const char *)data, size, &in);

	bk_manifest_init(&m, path);
	bk_manifest_lock(&m, BK_LOCK_EX, 0, 0);
	if (bk_manifest_load(&m, BK_MF_QUIET) != (int)m.nbad)
		fuzz_fail("load's count of bad lines");
	if (m.n != nin)
		fuzz_fail("%zu entries from %zu lines", m.n, nin);
	for (i = 0; i < m.n; i++) {
		e = &m.ents[i];
		if (e->lineno != in[i].lineno)
			fuzz_fail("entry %zu: line %zu, not %zu", i,
			    e->lineno, in[i].lineno);
		if (e->bad && (e->error == NULL || e->path != NULL))
			fuzz_fail("line %zu: bad, but no reason or a path",
			    e->lineno);
		if (!e->bad && (e->path == NULL ||
		    bk_manifest_path_ok(e->path) < 0 || e->created == NULL))
			fuzz_fail("line %zu: good without a good path",
			    e->lineno);
		if (!e->bad && bk_manifest_find(&m, e->path) == NULL)
			fuzz_fail("line %zu: its path is not found", e->lineno);
		line = bk_entry_line(e);
		if (!e->bad && !same_line(&in[i], line, strlen(line)))
			fuzz_fail("line %zu: not given back as it was",
			    e->lineno);
		free(line);
	}

	/* The rewrite, and a line appended after it. */
	bk_manifest_rewrite(&m, keep, &size);
	bk_manifest_append(&m, bk_entry_new("fuzz/appended.csv"));
	bk_manifest_unlock(&m);

	text = slurp(path, &len);
	nout = split(text, len, &out);
	bk_manifest_init(&again, path);
	bk_manifest_load(&again, BK_MF_QUIET);
	if (again.n != nout)
		fuzz_fail("%zu entries from %zu lines", again.n, nout);
	if (len == 0 || text[len - 1] != '\n')
		fuzz_fail("the rewritten manifest does not end a line");
	bk_manifest_free(&m);

	/* Reload the original, to compare entry by entry. */
	if ((fd = open(path, O_WRONLY | O_TRUNC)) < 0 ||
	    bk_write_full(fd, data, size) < 0 || close(fd) < 0)
		fuzz_fail("could not write the manifest");
	bk_manifest_init(&m, path);
	bk_manifest_load(&m, BK_MF_QUIET);
	for (i = o = 0; i < m.n; i++) {
		old = &m.ents[i];
		if (!old->bad && fate(old->lineno, size) == DROP)
			continue;
		/*
		 * A bad last line without its newline is what a failed
		 * append leaves: the next writer removes it (bk-manifest(5)).
		 */
		if (old->bad && in[i].p + in[i].len == (const char *)data +
		    size && !whole_json(in[i].p, in[i].len))
			continue;
		if (o >= nout)
			fuzz_fail("line %zu was lost", old->lineno);
		e = &again.ents[o];
		if (old->bad || fate(old->lineno, size) == KEEP) {
			if (!same_line(&in[i], out[o].p, out[o].len))
				fuzz_fail("line %zu was not kept byte for "
				    "byte", old->lineno);
		} else if (e->bad || strcmp(e->path, old->path) != 0 ||
		    e->size != old->size || strcmp(e->sha256, old->sha256) ||
		    strcmp(e->created, old->created) != 0 ||
		    e->records != old->records ||
		    e->nlayers != old->nlayers ||
		    e->verified != BK_VERIFIED_FAIL)
			fuzz_fail("line %zu was changed into \"%.*s\"",
			    old->lineno, (int)out[o].len, out[o].p);
		o++;
	}
	if (o + 1 != nout || again.ents[o].bad ||
	    strcmp(again.ents[o].path, "fuzz/appended.csv") != 0)
		fuzz_fail("%zu lines written for %zu kept and one appended",
		    nout, o);
	bk_manifest_free(&m);
	bk_manifest_free(&again);
	free(in);
	free(out);
	free(text);
	return 0;
}
