/*
 * remote.c: --remote, the copies of a backup that bk-s3 put -m recorded
 * in its manifest line, asked of bk-s3 (the one beside bk-verify): its
 * head, whose size and sha256 metadata must be the record's and the
 * entry's; or with --download the object itself, read through the same
 * pass of common/inspect.c as a local file (backup.c's verify_stream).
 * A copy that is missing or is not the recorded one is a FAIL line; a
 * store that cannot be asked (unreachable, access denied, no
 * configuration) stops the run with bk-s3's exit code and its line.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "verify.h"

/* bk-s3 at work: the child, and its standard error kept in a file. */
struct s3run {
	struct bk_child	 c;
	FILE		*err;
};

static void
s3_start(struct s3run *s, const char *cmd, const char *url)
{
	char *argv[4];

	/* A file, not a pipe: bk-s3 never waits on us to read it. */
	if ((s->err = tmpfile()) == NULL)
		bk_err(BK_EX_CANTCREAT, "could not create a temporary file");
	argv[0] = bk_tool_path("bk-s3");
	argv[1] = (char *)cmd;
	argv[2] = (char *)url;
	argv[3] = NULL;
	bk_spawn_err(&s->c, argv, fileno(s->err));
	free(argv[0]);
}

/*
 * Waits for bk-s3; its error line (without "bk-s3: error: ") goes into
 * msg, and any other line it wrote (a warning) to our standard error as
 * it is.  Returns its exit status.
 */
static int
s3_finish(struct s3run *s, char *msg, size_t size)
{
	static const char pre[] = "bk-s3: error: ";
	char line[REASON];
	int code;

	code = bk_spawn_wait(&s->c);
	msg[0] = '\0';
	rewind(s->err);
	while (fgets(line, sizeof(line), s->err) != NULL) {
		if (strncmp(line, pre, sizeof(pre) - 1) == 0) {
			snprintf(msg, size, "%s", line + sizeof(pre) - 1);
			msg[strcspn(msg, "\n")] = '\0';
		} else
			fputs(line, stderr);
	}
	fclose(s->err);
	/* spawn.c's own line, when bk-s3 could not be run at all. */
	if (code == 127 && msg[0] == '\0')
		snprintf(msg, size, "could not run bk-s3");
	return code;
}

/*
 * What bk-s3's exit status says of the copy: 0 it answered (go on and
 * compare), or 1 with the reason in res for a copy that is missing (66)
 * or did not check out (65).  Any other status means the store could not
 * be asked, which says nothing of the copy: the run stops there.
 */
static int
s3_verdict(int code, const char *msg, struct result *res)
{
	const char *tail = msg, *p;

	/* The store's words after the quoted URL: "404 not found". */
	for (p = msg; (p = strstr(p, "\": ")) != NULL; p += 3)
		tail = p + 3;
	switch (code) {
	case BK_EX_OK:
		return 0;
	case BK_EX_NOINPUT:
		snprintf(res->reason, sizeof(res->reason), "missing from the "
		    "store (%s)", tail);
		return 1;
	case BK_EX_DATAERR:
		snprintf(res->reason, sizeof(res->reason), "%s", tail);
		return 1;
	case 127:
		bk_errx(BK_EX_UNAVAILABLE, "%s", msg);
	}
	if (code > 128)
		bk_errx(BK_EX_SOFTWARE, "bk-s3 was killed by signal %d",
		    code - 128);
	if (msg[0] == '\0')
		bk_errx(code, "bk-s3 failed with exit status %d", code);
	bk_errx(code, "%s", msg);
}

/* The head: the size and the sha256 metadata. */
static void
remote_head(const struct bk_remote *rc, int64_t want_size,
    const char *want_sha, struct result *res)
{
	struct s3run s;
	char line[512], sha[65] = "", msg[REASON];
	long long n;
	int64_t size = -1;
	FILE *f;

	s3_start(&s, "head", rc->url);
	if ((f = fdopen(s.c.out, "r")) == NULL)
		bk_err(BK_EX_SOFTWARE, "could not read bk-s3's output");
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "size: ", 6) == 0 &&
		    bk_parse_number(line + 6, 0, INT64_MAX, &n) == 0)
			size = n;
		else if (strncmp(line, "sha256: ", 8) == 0 &&
		    strlen(line + 8) == 64)
			memcpy(sha, line + 8, 65);
	}
	fclose(f);
	s.c.out = -1;
	if (s3_verdict(s3_finish(&s, msg, sizeof(msg)), msg, res))
		return;
	if (want_size >= 0 && size != want_size)
		snprintf(res->reason, sizeof(res->reason), "size is %" PRId64
		    " bytes, the manifest says %" PRId64, size, want_size);
	else if (sha[0] == '\0')
		snprintf(res->reason, sizeof(res->reason), "no sha256 metadata "
		    "(the object was not uploaded by bk-s3)");
	else if (strcmp(sha, want_sha) != 0)
		snprintf(res->reason, sizeof(res->reason), "sha256 metadata "
		    "does not match");
	else
		snprintf(res->note, sizeof(res->note), "size and sha256 "
		    "metadata checked; --download reads the content");
}

/* The object itself, through every layer, as a local file is read. */
static void
remote_download(struct verify *v, const struct bk_entry *e,
    const struct bk_remote *rc, int64_t want_size, const char *want_sha,
    struct result *res)
{
	struct s3run s;
	struct result got;
	char msg[REASON];

	int code;

	s3_start(&s, "get", rc->url);
	memset(&got, 0, sizeof(got));
	verify_stream(v, s.c.out, rc->url, e, want_sha, &got);
	code = s3_finish(&s, msg, sizeof(msg));
	if (s3_verdict(code, msg, res)) {
		/* Bytes that are not the backup's say more than bk-s3's check. */
		if (code == BK_EX_DATAERR && !got.ok)
			memcpy(res->reason, got.reason, sizeof(res->reason));
		return;
	}
	memcpy(res->reason, got.reason, sizeof(res->reason));
	memcpy(res->note, got.note, sizeof(res->note));
	res->noverdict = got.noverdict;
	res->records = got.records;
	if (got.ok && want_size >= 0 && got.size != want_size)
		snprintf(res->reason, sizeof(res->reason), "size is %" PRId64
		    " bytes, the manifest says %" PRId64, got.size, want_size);
}

/*
 * Each remote copy of e: one result each, named by its URL, printed
 * like a file's.
 */
void
verify_remotes(struct verify *v, struct bk_entry *e)
{
	const struct bk_remote *rc;
	struct result *res;
	const char *want_sha;
	int64_t want_size;
	size_t i;

	for (i = 0; i < e->nremote; i++) {
		rc = &e->remote[i];
		res = add_result(v, rc->url);
		res->path = e->path;
		res->url = rc->url;
		res->type = e->type;
		res->created = e->created_t;
		want_size = rc->size >= 0 ? rc->size : e->size;
		want_sha = rc->sha256[0] != '\0' ? rc->sha256 : e->sha256;
		if (strncmp(rc->url, "s3://", 5) != 0)
			snprintf(res->reason, sizeof(res->reason), "not an S3 "
			    "URL: bk-verify checks s3:// copies only");
		else if ((rc->size >= 0 && e->size >= 0 &&
		    rc->size != e->size) || (rc->sha256[0] != '\0' &&
		    e->sha256[0] != '\0' && strcmp(rc->sha256, e->sha256) != 0))
			snprintf(res->reason, sizeof(res->reason), "its record "
			    "is not the backup's (size or sha256 differ)");
		else if (want_sha[0] == '\0')
			snprintf(res->reason, sizeof(res->reason), "no sha256 "
			    "recorded to check it against");
		else if (v->o->download)
			remote_download(v, e, rc, want_size, want_sha, res);
		else
			remote_head(rc, want_size, want_sha, res);
		res->ok = res->reason[0] == '\0';
		if (res->ok)
			res->size = want_size;
		print_result(v, res);
	}
}
