/*
 * fuzz-inspect.c: the inspector every tool asks, bk_inspect_fd, on a
 * memory file holding the input: layers peeled (gzip, and age with the
 * test identities of fuzz.h when the input's length is odd, sealed when
 * it is even), the content checked (CSV, JSON Lines, pg_dump script or
 * archive, SQLite).
 * Properties: it returns; size and sha256 are the input's; a verdict is
 * 0 with no reason, or an exit code bk documents with one; the layers
 * are known names.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <sys/mman.h>

#include "fuzz.h"
#include "catalog/catalog.h"

static struct bk_age_ids *ids;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	bk_init(*argc, *argv);
	(void)fuzz_dir();	/* SQLite's copies go there */
	ids = fuzz_ids();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bk_inspect_opts opts;
	struct bk_inspect ins;
	struct bk_digest dg;
	unsigned char sum[BK_DIGEST_MAX];
	char hex[65];
	size_t i;
	int fd, r;

	if ((fd = memfd_create("fuzz", 0)) < 0 ||
	    bk_write_full(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) != 0)
		fuzz_fail("could not make the memory file");
	memset(&opts, 0, sizeof(opts));
	opts.ids = size % 2 ? ids : NULL;
	r = bk_inspect_fd(fd, "fuzz", &opts, &ins);
	close(fd);

	if (ins.size != size)
		fuzz_fail("size %llu of %zu", (unsigned long long)ins.size,
		    size);
	bk_digest_init(&dg, bk_digest_lookup("sha256"));
	bk_digest_update(&dg, data, size);
	bk_digest_final(&dg, sum);
	bk_hex(hex, sum, 32);
	if (strcmp(hex, ins.sha256) != 0)
		fuzz_fail("sha256 %s, not %s", ins.sha256, hex);
	if ((r == 0) != (ins.code == 0))
		fuzz_fail("returned %d with code %d", r, ins.code);
	if (ins.code != 0 && ins.code != BK_EX_FAIL &&
	    ins.code != BK_EX_DATAERR)
		fuzz_fail("code %d: %s", ins.code, ins.why);
	if (ins.code != 0 && ins.why[0] == '\0')
		fuzz_fail("code %d without a reason", ins.code);
	if (ins.nlayers > BK_LAYERS_MAX)
		fuzz_fail("%zu layers", ins.nlayers);
	for (i = 0; i < ins.nlayers; i++)
		if (ins.layers[i] == NULL || ins.layers[i][0] == '\0')
			fuzz_fail("layer %zu has no name", i);
	if (ins.sealed && opts.ids != NULL)
		fuzz_fail("sealed with an identity");
	if (ins.copy != NULL)
		fuzz_fail("a copy kept without keep_copy");
	bk_inspect_free(&ins);
	return 0;
}
