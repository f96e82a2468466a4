/*
 * safety.c: the safety backup of the target, made before the restore: its
 * name and folder in the tree, and its manifest line once it is read back
 * (the copy itself is the target's: safety_pg and safety_sqlite).
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "restore.h"

/*
 * The tree's recipients file, RECIPIENTS_NAME beside the manifest: when
 * it is there, safety backups are encrypted to it.  Anything there that
 * is not a file is a mistake said at once, never a plaintext backup.
 */
static void
find_recipients(struct restore *r)
{
	struct stat st;
	char *p = bk_asprintf("%s/" RECIPIENTS_NAME, r->m.dir);

	if (stat(p, &st) < 0) {
		if (errno != ENOENT)
			bk_err(bk_open_errno_code(errno), "could not open "
			    "recipients file \"%s\"", p);
		free(p);
		return;
	}
	if (!S_ISREG(st.st_mode))
		bk_errx(BK_EX_CONFIG, "could not use recipients file \"%s\": "
		    "not a regular file", p);
	r->recipients = p;
}

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
	find_recipients(r);
	if (r->kind == TARGET_PG)
		ext = bk_strdup(".sql.gz");
	else if ((dot = strrchr(stem, '.')) != NULL && dot != stem) {
		ext = bk_strdup(dot);
		*dot = '\0';
	} else
		ext = bk_strdup(".db");
	if (r->recipients != NULL) {
		p = ext;
		ext = bk_asprintf("%s.age", p);
		free(p);
	}
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
	 * an incomplete backup.  An encrypted one is read back under its
	 * temporary name, with what bk-crypt recorded of its plaintext.
	 */
	slot = r->sealed != NULL ? r->sealed_slot : bk_tmp_register(path);
	if ((fd = r->sealed != NULL ? open(r->sealed, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC) : bk_manifest_open_file(&r->m, r->safety,
	    O_RDONLY)) < 0)
		bk_err(BK_EX_IOERR, "could not read \"%s\"", path);
	if (bk_inspect_fd(fd, path, NULL, &ins) < 0 && ins.layer_failed)
		bk_errx(ins.code, "could not read \"%s\": %s", path, ins.why);
	close(fd);
	if (r->sealed != NULL) {
		if (ins.code == 0 && bk_plain_read(r->sealed, &ins) <= 0) {
			ins.code = BK_EX_SOFTWARE;
			snprintf(ins.why, sizeof(ins.why), "bk-crypt recorded "
			    "nothing of what it encrypted");
		}
		bk_plain_remove(r->sealed);
	}
	if (ins.code != 0)
		safety_failed(r, BK_EX_UNAVAILABLE, ins.why);
	if (r->sealed != NULL) {
		if (rename(r->sealed, path) < 0 || bk_fsync_dir(path) < 0)
			bk_err(BK_EX_CANTCREAT, "could not create \"%s\"", path);
		bk_tmp_forget(slot);
		slot = bk_tmp_register(path);
		free(r->sealed);
		r->sealed = NULL;
	}
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

/* ---- where the safety backup's bytes go ---- */

/* bk-crypt while it runs: stopped if bk-restore exits on an error. */
static pid_t crypt_pid;

/*
 * Stops bk-crypt before it could take the end of its input for the end
 * of the backup: on SIGTERM it removes what it wrote.
 */
static void
stop_crypt(void)
{
	if (crypt_pid > 0) {
		kill(crypt_pid, SIGTERM);
		while (waitpid(crypt_pid, NULL, 0) < 0 && errno == EINTR)
			;
		crypt_pid = 0;
	}
}

/*
 * Opens the output of the safety backup at path: a file written
 * atomically, or, with the tree's recipients, bk-crypt (the one beside
 * bk-restore) encrypting to them into a temporary name in the same
 * folder, ".NAME.bk-XXXXXX" as every temporary of bk, removed at exit.
 */
void
safety_open(struct restore *r, struct safety_out *so, const char *path)
{
	static int registered;
	char *argv[8];
	int fd;

	memset(so, 0, sizeof(*so));
	if (r->recipients == NULL) {
		bk_out_open(&so->out, path, 0);
		return;
	}
	so->crypt = 1;
	r->sealed = bk_asprintf("%s/" SAFETY_DIR "/.%s.bk-XXXXXX", r->m.dir,
	    strrchr(path, '/') + 1);
	if ((fd = mkstemp(r->sealed)) < 0)
		bk_err(BK_EX_CANTCREAT, "could not create a temporary file "
		    "beside \"%s\"", path);
	close(fd);
	r->sealed_slot = bk_tmp_register(r->sealed);
	so->tool = bk_tool_path("bk-crypt");
	argv[0] = so->tool;
	argv[1] = "-q";
	argv[2] = "-f";
	argv[3] = "-R";
	argv[4] = r->recipients;
	argv[5] = "-o";
	argv[6] = r->sealed;
	argv[7] = NULL;
	child_init(&so->c);
	child_start(&so->c, r, argv, 1, 0);
	crypt_pid = so->c.pid;
	if (!registered++)
		atexit(stop_crypt);
}

void
safety_write(struct safety_out *so, const void *p, size_t n)
{
	if (!so->crypt)
		bk_out_write(&so->out, p, n);
	else if (!so->broken && bk_write_full(so->c.in, p, n) < 0) {
		/* bk-crypt has gone: its status says why. */
		if (errno != EPIPE)
			bk_err(BK_EX_IOERR, "could not write to bk-crypt");
		so->broken = 1;
	}
}

/* Stops bk-crypt; what it wrote goes with the temporary name. */
void
safety_abort(struct safety_out *so, struct restore *r)
{
	if (!so->crypt) {
		bk_out_abort(&so->out);
		return;
	}
	kill(so->c.pid, SIGTERM);
	child_wait(&so->c);
	crypt_pid = 0;
	free(so->tool);
	bk_plain_remove(r->sealed);
}

/* Ends the output; a failure of bk-crypt fails the safety backup. */
void
safety_commit(struct safety_out *so, struct restore *r)
{
	char why[700];
	int status;

	if (!so->crypt) {
		bk_out_commit(&so->out);
		return;
	}
	status = child_wait(&so->c);
	crypt_pid = 0;
	/* Its name, in child_why's message, is the tool's path. */
	child_why(&so->c, status, why, sizeof(why));
	free(so->tool);
	if (so->broken || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		bk_plain_remove(r->sealed);
		safety_failed(r, WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
		    WEXITSTATUS(status) != 127 ? WEXITSTATUS(status) :
		    BK_EX_UNAVAILABLE, why);
	}
}
