/*
 * log.c: restore.log beside the manifest, one line per attempt, and the
 * reports of a restore that failed (the log line first, then stderr).
 */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "restore.h"

double
elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The safety backup is recorded in the manifest and the attempt in
 * restore.log after the target has changed: a tree that cannot take them
 * is refused now, before anything is done (a failure to log would also
 * hide why a restore failed).
 */
void
check_tree(struct restore *r)
{
	const char *files[2], *what;
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	snprintf(path, sizeof(path), "%s/" HISTORY_NAME, r->m.dir);
	files[0] = r->m.path;
	files[1] = path;
	for (i = 0; i < 2; i++) {
		what = files[i];
		/* Written through the manifest's code, which takes no link. */
		if (lstat(what, &st) == 0 && S_ISLNK(st.st_mode))
			bk_errx(BK_EX_DATAERR, "could not write \"%s\": it is "
			    "a symbolic link (nothing was restored)", what);
		if (access(what, W_OK) == 0)
			continue;
		/* A file still to be created needs its folder. */
		if (errno == ENOENT && access(what = r->m.dir, W_OK) == 0)
			continue;
		bk_err(errno == EACCES || errno == EPERM || errno == EROFS ?
		    BK_EX_NOPERM : BK_EX_CANTCREAT, "could not write \"%s\"",
		    what);
	}
}

/* One line per attempt in restore.log beside the manifest (see FILES). */
void
log_attempt(struct restore *r, const char *result, const char *why)
{
	/* Static: reachable if its lock or write exits. */
	static struct bk_manifest h;
	struct bk_entry *e;
	char *path;

	path = bk_asprintf("%s/" HISTORY_NAME, r->m.dir);
	bk_manifest_init(&h, path);
	free(path);
	e = bk_entry_new(r->rel);
	bk_entry_set_str(e, "result", result);
	bk_entry_set_str(e, "target", r->record);
	bk_entry_set_str(e, "sha256", r->sha);
	if (r->safety != NULL)
		bk_entry_set_str(e, "safety_backup", r->safety);
	if (why != NULL)
		bk_entry_set_str(e, "reason", why);
	if (r->clean)
		json_object_set_new(e->json, "clean", json_true());
	if (!r->listed)
		json_object_set_new(e->json, "forced", json_true());
	if (r->no_owner)
		json_object_set_new(e->json, "no_owner", json_true());
	if (r->no_acl)
		json_object_set_new(e->json, "no_acl", json_true());
	if (r->globals)
		json_object_set_new(e->json, "globals", json_true());
	bk_entry_set_int(e, "seconds", (int64_t)(elapsed(&r->start) + 0.5));
	bk_entry_set_str(e, "created_by", bk_user_name());
	/*
	 * The outcome is settled when this runs: a busy lock must not turn
	 * it into exit 75, which would say the restore never happened.  An
	 * append takes milliseconds, so waiting for it is safe.
	 */
	bk_manifest_lock(&h, BK_LOCK_EX, -1, 0);
	bk_manifest_append(&h, e);
	bk_manifest_unlock(&h);
	bk_manifest_free(&h);
}

/*
 * Reports a failed restore: the log line first, then one line on stderr
 * that says nothing changed and where the safety backup is.
 */
void BK_NORETURN
restore_failed(struct restore *r, int code, const char *why)
{
	/* A drill's restore is recorded on the manifest line instead. */
	if (r->scratch)
		drill_failed(r, code, why);
	log_attempt(r, "fail", why);
	bk_errx(code, "could not restore \"%s\" into %s: %s; nothing was "
	    "changed (rolled back)%s%s%s", r->rel, r->shown, why,
	    r->safety != NULL ? "; the safety backup is \"" : "",
	    r->safety != NULL ? r->safety : "", r->safety != NULL ? "\"" : "");
}

/*
 * Reports a restore whose transaction the server committed without our
 * COMMIT: the script ended it itself.  Only the safety backup undoes it.
 */
void BK_NORETURN
restore_partial(struct restore *r, const char *why)
{
	if (r->scratch)
		drill_failed(r, BK_EX_DATAERR, why);
	log_attempt(r, "partial", why);
	bk_errx(BK_EX_DATAERR, "could not restore \"%s\" into %s: %s; what "
	    "ran before that is committed%s%s%s", r->rel, r->shown, why,
	    r->safety != NULL ? ": the safety backup \"" : "",
	    r->safety != NULL ? r->safety : "",
	    r->safety != NULL ? "\" undoes it" : "");
}

/*
 * Reports a failed safety backup the same way: nothing was restored.
 */
void BK_NORETURN
safety_failed(struct restore *r, int code, const char *why)
{
	char reason[1024];

	snprintf(reason, sizeof(reason), "could not make the safety backup: "
	    "%s", why);
	free(r->safety);
	r->safety = NULL;
	log_attempt(r, "fail", reason);
	bk_errx(code, "could not make the safety backup of %s: %s; nothing "
	    "was changed", r->shown, why);
}
