/*
 * backup.c: one backup of bk-verify.  What needs no reading first (it is
 * there, a regular file, of the recorded size), then one read through
 * common/inspect.c, whose verdict is compared with the manifest line:
 * digest, layers, records, and what an encrypted one recorded of itself.
 */

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "verify.h"

static int
is_age(const char *s)
{
	return strcmp(s, "age") == 0 || strcmp(s, "age-armor") == 0;
}

/*
 * Compares the layers found with the manifest's (both innermost first).
 * The manifest holds what the plaintext was when the backup was made (see
 * bk-crypt); a run without an identity stops at the outermost age layer.
 */
static void
layers_differ(char *out, size_t size, const struct bk_inspect *ins,
    char *const *want, size_t nwant)
{
	size_t i, n = ins->nlayers;
	char shown[128];

	if (nwant == 0)
		return;
	if (ins->sealed && n > 0 && n <= nwant && is_age(ins->layers[0])) {
		/* Stopped at an age layer: the manifest's outer ones alike. */
		for (i = 0; i < n; i++)
			if (strcmp(ins->layers[n - 1 - i],
			    want[nwant - 1 - i]) != 0)
				break;
		if (i == n)
			return;
	} else if (n >= nwant && (n == nwant || is_age(want[0]))) {
		/*
		 * All alike; or the manifest stops at an age layer whose
		 * plaintext nobody recorded, and its outer layers are alike.
		 */
		for (i = 0; i < nwant; i++)
			if (strcmp(ins->layers[n - 1 - i],
			    want[nwant - 1 - i]) != 0)
				break;
		if (i == nwant)
			return;
	}
	bk_inspect_layers(ins, shown, sizeof(shown));
	snprintf(out, size, "layers are \"%s\", the manifest says \"", shown);
	for (i = 0; i < nwant; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s",
		    i > 0 ? " " : "", want[i]);
	snprintf(out + strlen(out), size - strlen(out), "\"");
}

/*
 * What a run without an identity could and could not check of an
 * encrypted backup: the size, the digest and the age header, and what the
 * manifest says the plaintext held when it was made.
 */
static void
sealed_note(struct result *res, const struct bk_entry *e)
{
	char held[160] = "content never checked";
	size_t i;

	/* More layers than the ones found: bk-crypt recorded them. */
	if (e != NULL && e->nlayers > 1 && !is_age(e->layers[0])) {
		snprintf(held, sizeof(held), "held ");
		for (i = 0; i < e->nlayers && !is_age(e->layers[i]); i++)
			snprintf(held + strlen(held), sizeof(held) -
			    strlen(held), "%s%s", i > 0 ? " " : "",
			    e->layers[i]);
		if (e->records >= 0)
			snprintf(held + strlen(held), sizeof(held) -
			    strlen(held), ", %" PRId64 " record%s", e->records,
			    e->records == 1 ? "" : "s");
		snprintf(held + strlen(held), sizeof(held) - strlen(held),
		    ", whole when made");
	}
	snprintf(res->note, sizeof(res->note), "age not decrypted, no "
	    "identity: size, sha256 and header checked; %s", held);
}

/*
 * Reads fd once through common/inspect.c, the verdict bk-manifest add and
 * bk-restore give too, and compares what it found with the manifest line
 * e (NULL for a sums list, where want_sha is the digest to compare, "" when
 * none).  Fills res (ok, reason, note, records) and returns res->ok.
 */
int
verify_stream(struct verify *v, int fd, const char *name,
    const struct bk_entry *e, const char *want_sha, struct result *res)
{
	struct bk_inspect_opts io;
	struct bk_inspect ins;
	char lerr[REASON] = "", layers[128];
	int64_t want_records = e != NULL ? e->records : -1;

	memset(&io, 0, sizeof(io));
	io.ids = v->ids;
	io.progress = v->progress;
	bk_inspect_fd(fd, name, &io, &ins);
	bk_inspect_layers(&ins, layers, sizeof(layers));
	if (ins.code == 0 && e != NULL)
		layers_differ(lerr, sizeof(lerr), &ins, e->layers, e->nlayers);
	res->size = (int64_t)ins.size;
	res->records = -1;
	/*
	 * Our side failed, not the backup: pg_restore missing (69), the
	 * temporary copy on a full TMPDIR (74 after the file was read).
	 */
	res->noverdict = ins.layer_failed && (ins.code == BK_EX_UNAVAILABLE ||
	    (ins.code == BK_EX_IOERR && strncmp(ins.why, "could not read",
	    14) != 0));
	if (ins.code == BK_EX_IOERR && ins.layer_failed)
		snprintf(res->reason, sizeof(res->reason), "%s", ins.why);
	else if (want_sha[0] != '\0' && strcmp(ins.sha256, want_sha) != 0)
		/* Changed bytes: where a layer noticed says where. */
		snprintf(res->reason, sizeof(res->reason), "sha256 does not "
		    "match%s%.900s%s", ins.code ? " (" : "",
		    ins.code ? ins.why : "", ins.code ? ")" : "");
	else if (ins.code != 0)
		snprintf(res->reason, sizeof(res->reason), "%s", ins.why);
	else if (lerr[0] != '\0')
		snprintf(res->reason, sizeof(res->reason), "%s", lerr);
	if (res->reason[0] == '\0' && ins.records >= 0) {
		res->records = ins.records;
		if (want_records >= 0 && res->records != want_records)
			snprintf(res->reason, sizeof(res->reason), "%" PRId64
			    " records, the manifest says %" PRId64,
			    res->records, want_records);
	}
	if (res->reason[0] == '\0' && ins.sealed && e != NULL &&
	    e->complete == 0)
		snprintf(res->reason, sizeof(res->reason), "its %s was not "
		    "whole when it was made (recorded with --incomplete)",
		    e->layers[0]);
	else if (res->reason[0] == '\0' && ins.sealed)
		sealed_note(res, e);
	else if (res->reason[0] == '\0' && bk_verbosity() > 0) {
		if (res->records >= 0)
			snprintf(res->note, sizeof(res->note), "%s, %" PRId64
			    " record%s", layers, res->records,
			    res->records == 1 ? "" : "s");
		else
			snprintf(res->note, sizeof(res->note), "%s", layers);
	}
	res->ok = res->reason[0] == '\0';
	return res->ok;
}

/* Opens a backup and checks what needs no reading; 0 or -1 (res says). */
int
open_checked(int fd, int64_t want_size, struct result *res)
{
	struct stat st;

	if (fd < 0) {
		if (errno == ENOENT)
			snprintf(res->reason, sizeof(res->reason),
			    "file is missing");
		else if (errno == ELOOP)
			snprintf(res->reason, sizeof(res->reason),
			    "is a symbolic link");
		else
			snprintf(res->reason, sizeof(res->reason),
			    "could not open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(res->reason, sizeof(res->reason), "could not stat: "
		    "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(res->reason, sizeof(res->reason),
		    "not a regular file");
		return -1;
	}
	if (want_size >= 0 && st.st_size != want_size) {
		snprintf(res->reason, sizeof(res->reason), "size is %jd bytes, "
		    "the manifest says %" PRId64, (intmax_t)st.st_size,
		    want_size);
		return -1;
	}
	return 0;
}
