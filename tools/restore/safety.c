/*
 * safety.c: the safety backup of the target, made before the restore: its
 * name and folder in the tree, and its manifest line once it is read back
 * (the copy itself is the target's: safety_pg and safety_sqlite).
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "restore.h"

/*
 * Chooses the safety backup's name: pre-restore/NAME_YYYYmmdd_HHMMSS.EXT
 * in the tree, with -2, -3... when a restore of the same second made one.
 * The folder must lie in the tree (a symlink out of it is refused).
 */
void
safety_name(struct restore *r)
{
	struct stat st;
	char stamp[32], *stem, *ext, *dot, *p, *rel;
	time_t now = time(NULL);
	int i;

	strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", localtime(&now));
	/* A cluster's globals belong to no database. */
	stem = bk_strdup(r->globals ? "globals" : r->name);
	for (p = stem; *p != '\0'; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_' &&
		    *p != '.')
			*p = '_';
	if (r->kind == TARGET_PG)
		ext = bk_strdup(".sql.gz");
	else if ((dot = strrchr(stem, '.')) != NULL && dot != stem) {
		ext = bk_strdup(dot);
		*dot = '\0';
	} else
		ext = bk_strdup(".db");
	for (i = 1; ; i++) {
		if (i == 1)
			rel = bk_asprintf(SAFETY_DIR "/%s_%s%s", stem, stamp, ext);
		else
			rel = bk_asprintf(SAFETY_DIR "/%s_%s-%d%s", stem, stamp,
			    i, ext);
		p = bk_asprintf("%s/%s", r->m.dir, rel);
		/* Taken when it exists; any other trouble shows later. */
		if (lstat(p, &st) < 0 && bk_manifest_find(&r->m, rel) == NULL) {
			free(p);
			break;
		}
		free(p);
		free(rel);
	}
	free(stem);
	free(ext);
	r->safety = rel;
}

/* Creates pre-restore/ in the tree, refusing one that leads out of it. */
static void
safety_folder(struct restore *r)
{
	struct stat st;
	char p[PATH_MAX], *rel, err[512];
	int same;

	snprintf(p, sizeof(p), "%s/" SAFETY_DIR, r->m.dir);
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		bk_err(errno == EACCES || errno == EPERM ? BK_EX_NOPERM :
		    BK_EX_CANTCREAT, "could not create folder \"%s\"", p);
	if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
		bk_errx(BK_EX_CANTCREAT, "could not create the safety backup: "
		    "\"%s\" is not a folder", p);
	snprintf(p, sizeof(p), "%s/%s", r->m.dir, r->safety);
	rel = bk_manifest_relpath(&r->m, p, err, sizeof(err));
	same = rel != NULL && strcmp(rel, r->safety) == 0;
	free(rel);
	if (!same)
		bk_errx(BK_EX_CANTCREAT, "could not create the safety backup: "
		    "the folder \"" SAFETY_DIR "\" leads out of the tree");
}


/*
 * Makes the safety backup, reads it back as bk-manifest add would, and
 * records it in the manifest (type pre-restore): from then on it is a
 * backup like any other, verified and rotated with the rest.
 */
void
make_safety(struct restore *r)
{
	struct bk_inspect ins;
	struct bk_entry *e;
	char *path, *desc;
	time_t now;
	int fd, slot;

	safety_folder(r);
	path = r->safety_path = bk_asprintf("%s/%s", r->m.dir, r->safety);
	if (r->kind == TARGET_PG)
		safety_pg(r, path);
	else
		safety_sqlite(r, path);
	now = time(NULL);
	/*
	 * Until its manifest line is written, the safety backup is removed
	 * if the program stops: a file in the tree without a line would be
	 * an incomplete backup.
	 */
	slot = bk_tmp_register(path);
	if ((fd = bk_manifest_open_file(&r->m, r->safety, O_RDONLY)) < 0)
		bk_err(BK_EX_IOERR, "could not read \"%s\"", path);
	if (bk_inspect_fd(fd, path, NULL, &ins) < 0 && ins.layer_failed)
		bk_errx(ins.code, "could not read \"%s\": %s", path, ins.why);
	close(fd);
	if (ins.code != 0)
		safety_failed(r, BK_EX_UNAVAILABLE, ins.why);
	e = bk_entry_inspected(r->safety, now, bk_local_offset(now),
	    "pre-restore", &ins, -1);
	desc = bk_asprintf("before restoring %s", r->rel);
	bk_entry_set_str(e, "description", desc);
	bk_entry_set_str(e, "created_by", bk_user_name());
	bk_entry_set_str(e, "source", r->record);
	free(desc);
	bk_manifest_lock(&r->m, BK_LOCK_EX, r->wait, 0);
	bk_manifest_load(&r->m, BK_MF_QUIET);
	bk_manifest_append(&r->m, e);
	bk_manifest_unlock(&r->m);
	bk_tmp_forget(slot);
	bk_info("safety backup \"%s\": %" PRIu64 " bytes", r->safety,
	    ins.size);
}
