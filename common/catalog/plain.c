/*
 * plain.c: what an encrypted backup held, recorded by the one program that
 * saw the plaintext.  The backup host has no identity, so bk-manifest add
 * cannot look inside an age file; bk-crypt -o FILE inspects the plaintext
 * as it encrypts it (inspect.c, the one verdict) and leaves the answer in
 * .FILE.bk-plain beside it, bound to FILE's size and sha256.  bk-manifest
 * add reads it, stores the depth in the manifest line (every layer, the
 * records, pg_dump completeness) and refuses a plaintext that was not
 * whole, as it would refuse the same file unencrypted; then it removes the
 * record, whose facts now live in the manifest.
 *
 * The record is one JSON object:
 *   {"size":N,"sha256":"…","layers":["pg_dump","gzip"],"records":N,
 *    "complete":true,"code":0,"why":""}
 * layers innermost first, as in the manifest; records and complete only
 * when known; "layer_failed":true when a layer of the plaintext could not
 * be decoded (a cut gzip: bk-manifest add says it could not read it, and
 * -f does not record it, as for the same file unencrypted); "empty":true,
 * with no layers, when the plaintext held nothing at all.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/catalog.h"

/* .NAME.bk-plain beside file (malloc'd). */
static char *
plain_path(const char *file)
{
	char *copy = bk_strdup(file), *dir, *p;
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

	dir = dirname(copy);
	p = bk_asprintf("%s/.%s.bk-plain", dir, base);
	free(copy);
	return p;
}

void
bk_plain_write(const char *file, const struct bk_inspect *pt, uint64_t size,
    const char *sha256)
{
	json_t *o = json_object(), *l = json_array();
	struct bk_out out;
	char *path, *s;
	size_t i;

	if (o == NULL || l == NULL)
		bk_errx(BK_EX_SOFTWARE, "out of memory");
	json_object_set_new(o, "size", json_integer((json_int_t)size));
	json_object_set_new(o, "sha256", json_string(sha256));
	for (i = 0; i < pt->nlayers; i++)
		json_array_append_new(l, json_string(pt->layers[i]));
	json_object_set_new(o, "layers", l);
	if (pt->records >= 0)
		json_object_set_new(o, "records",
		    json_integer((json_int_t)pt->records));
	if (pt->complete >= 0)
		json_object_set_new(o, "complete",
		    json_boolean(pt->complete));
	json_object_set_new(o, "code", json_integer(pt->code));
	json_object_set_new(o, "why", json_string(pt->code ? pt->why : ""));
	if (pt->code != 0 && pt->layer_failed)
		json_object_set_new(o, "layer_failed", json_true());
	if (pt->nlayers == 0 && pt->content == BK_LAYER_EMPTY)
		json_object_set_new(o, "empty", json_true());
	s = bk_json_text(o, 0);
	json_decref(o);
	path = plain_path(file);
	/* Atomic and 0600, as every file bk writes; an old one replaced. */
	bk_out_open(&out, path, BK_OUT_FORCE);
	bk_out_write(&out, s, strlen(s));
	bk_out_write(&out, "\n", 1);
	bk_out_commit(&out);
	free(path);
	free(s);
}

/* The static name of a layer, or NULL for one bk does not know. */
static const char *
layer_named(const char *s)
{
	int l;

	for (l = BK_LAYER_UNKNOWN + 1; l <= BK_LAYER_EMPTY; l++)
		if (strcmp(s, bk_layer_name((enum bk_layer)l)) == 0)
			return bk_layer_name((enum bk_layer)l);
	return NULL;
}

int
bk_plain_read(const char *file, struct bk_inspect *ins)
{
	const char *names[BK_LAYERS_MAX];
	json_t *o, *v, *l;
	json_error_t jerr;
	struct stat st;
	char *path;
	size_t i, n;
	int fd, empty;

	if (!ins->sealed || ins->nlayers == 0)
		return 0;
	path = plain_path(file);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	/* Small and regular, or it is not ours. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 8192) {
		close(fd);
		return -1;
	}
	o = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	close(fd);
	if (o == NULL)
		return -1;
	/* Bound to this very file: a record of another is ignored. */
	v = json_object_get(o, "sha256");
	if (!json_is_string(v) || strcmp(json_string_value(v),
	    ins->sha256) != 0 || !json_is_integer(json_object_get(o, "size")) ||
	    (uint64_t)json_integer_value(json_object_get(o, "size")) !=
	    ins->size)
		goto bad;
	l = json_object_get(o, "layers");
	n = json_array_size(l);
	/* No layers: only a plaintext that held nothing. */
	empty = n == 0 && json_is_true(json_object_get(o, "empty"));
	if (!json_is_array(l) || (n == 0 && !empty) ||
	    n + ins->nlayers > BK_LAYERS_MAX)
		goto bad;
	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(l, i)) || (names[i] =
		    layer_named(json_string_value(json_array_get(l, i)))) ==
		    NULL)
			goto bad;
	/* The plaintext's layers go inside the ones found. */
	memmove(ins->layers + n, ins->layers, ins->nlayers *
	    sizeof(ins->layers[0]));
	memcpy(ins->layers, names, n * sizeof(names[0]));
	ins->nlayers += n;
	if (json_is_integer(v = json_object_get(o, "records")))
		ins->records = json_integer_value(v);
	if (json_is_boolean(v = json_object_get(o, "complete")))
		ins->complete = json_is_true(v);
	v = json_object_get(o, "code");
	if (empty && ins->code == 0) {
		/* As inspect.c says it of the file, decrypted. */
		ins->code = BK_EX_DATAERR;
		snprintf(ins->why, sizeof(ins->why), "no data inside the %s "
		    "layer", ins->layers[0]);
	} else if (json_is_integer(v) && json_integer_value(v) != 0 &&
	    ins->code == 0) {
		ins->code = (int)json_integer_value(v);
		snprintf(ins->why, sizeof(ins->why), "%s",
		    json_string_value(json_object_get(o, "why")) ?
		    json_string_value(json_object_get(o, "why")) :
		    "the plaintext was not whole");
		ins->layer_failed = json_is_true(json_object_get(o,
		    "layer_failed"));
	}
	ins->recorded = 1;
	json_decref(o);
	return 1;
bad:
	json_decref(o);
	return -1;
}

void
bk_plain_remove(const char *file)
{
	char *path = plain_path(file);

	(void)unlink(path);
	free(path);
}
