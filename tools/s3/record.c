/*
 * record.c: put -m, the uploaded copy recorded in the manifest entry of
 * the file.  Before any request, the file must have an entry whose size
 * and sha256 are the file's (the file is read once to hash it); after the
 * upload was checked, the entry gets a remote record under the manifest's
 * exclusive lock, in one atomic rewrite, as bk-verify --record writes its
 * verdicts (common/catalog does both).
 */
#include <sys/stat.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "s3.h"

struct s3_record {
	struct bk_manifest	 m;
	const char		*file;	/* as named */
	char			*rel;	/* relative to the manifest */
	char			 sha256[65];	/* the file's, before upload */
	/* for the rewrite */
	const struct s3_opts	*o;
	const struct s3_put	*p;
	int			 done;
};

/*
 * The entry of the file in the loaded manifest, whose size and sha256
 * (when it has them) must be size and sha256; exits 1 otherwise.
 */
static struct bk_entry *
record_entry(struct s3_record *r, uint64_t size, const char *sha256,
    const char *when)
{
	struct bk_entry *e;

	if ((e = bk_manifest_find(&r->m, r->rel)) == NULL)
		bk_errx(BK_EX_FAIL, "could not %s \"%s\": not in the manifest "
		    "\"%s\" (an incomplete backup)", when, r->file, r->m.path);
	if (e->size >= 0 && (uint64_t)e->size != size)
		bk_errx(BK_EX_FAIL, "could not %s \"%s\": size is %ju bytes, "
		    "the manifest says %" PRId64, when, r->file,
		    (uintmax_t)size, e->size);
	if (sha256[0] != '\0' && e->sha256[0] != '\0' &&
	    strcmp(e->sha256, sha256) != 0)
		bk_errx(BK_EX_FAIL, "could not %s \"%s\": sha256 does not "
		    "match the manifest's", when, r->file);
	return e;
}

struct s3_record *
s3_record_check(const struct s3_opts *o, int fd)
{
	struct s3_record *r = bk_calloc(1, sizeof(*r));
	struct bk_reader *h;
	struct stat st;
	char err[512];
	uint64_t size;

	r->o = o;
	r->file = o->input;
	bk_manifest_init(&r->m, o->manifest);
	bk_manifest_load(&r->m, 0);
	if ((r->rel = bk_manifest_relpath(&r->m, r->file, err,
	    sizeof(err))) == NULL)
		bk_errx(BK_EX_DATAERR, "could not upload \"%s\": %s", r->file,
		    err);
	if (fstat(fd, &st) < 0)
		bk_err(BK_EX_IOERR, "could not upload \"%s\"", r->file);
	if (!S_ISREG(st.st_mode))
		bk_errx(BK_EX_DATAERR, "could not upload \"%s\": not a regular "
		    "file", r->file);
	record_entry(r, (uint64_t)st.st_size, "", "upload");
	/* What will be uploaded is what the manifest says, or nothing is. */
	h = bk_reader_hash(fd, r->file, NULL);
	if (bk_reader_hash_finish(h, r->sha256, &size) < 0)
		bk_errx(BK_EX_IOERR, "could not read \"%s\": %s", r->file,
		    bk_reader_why(h, "could not read"));
	bk_reader_close(h);
	record_entry(r, size, r->sha256, "upload");
	if (lseek(fd, 0, SEEK_SET) != 0)
		bk_err(BK_EX_IOERR, "could not read \"%s\"", r->file);
	bk_manifest_free(&r->m);
	return r;
}

/* The rewrite: the remote record goes into the first line of the file. */
static int
record_keep(struct bk_entry *e, void *arg)
{
	struct s3_record *r = arg;
	char etag[sizeof(r->p->etag)];
	size_t n;

	if (r->done || strcmp(e->path, r->rel) != 0)
		return 1;
	/* The ETag without its quotes: the store's value, as aws shows it. */
	n = strlen(r->p->etag);
	if (n >= 2 && r->p->etag[0] == '"' && r->p->etag[n - 1] == '"') {
		memcpy(etag, r->p->etag + 1, n - 2);
		etag[n - 2] = '\0';
	} else
		snprintf(etag, sizeof(etag), "%s", r->p->etag);
	bk_entry_set_remote(e, r->o->url, (int64_t)r->p->size, r->p->sha256,
	    etag[0] != '\0' ? etag : NULL, time(NULL));
	r->done = 1;
	return 1;
}

void
s3_record_write(struct s3_record *r, const struct s3_put *p)
{
	r->p = p;
	/* The file changed while it was read again for the upload. */
	if (strcmp(p->sha256, r->sha256) != 0)
		bk_errx(BK_EX_FAIL, "could not record \"%s\": it changed "
		    "during the upload (sha256 %s, the manifest's %s)",
		    r->o->url, p->sha256, r->sha256);
	bk_manifest_init(&r->m, r->o->manifest);
	bk_manifest_lock(&r->m, BK_LOCK_EX, -1, 0);
	bk_manifest_load(&r->m, 0);
	/* Its line may have gone or changed during the upload. */
	record_entry(r, p->size, p->sha256, "record the copy of");
	bk_manifest_rewrite(&r->m, record_keep, r);
	bk_manifest_unlock(&r->m);
	bk_manifest_free(&r->m);
	free(r->rel);
	free(r);
}
