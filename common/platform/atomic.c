/*
 * atomic.c: output that appears at its final path only when complete.
 * A temporary file in the target folder takes the data; commit fsyncs it,
 * renames it over the target and fsyncs the folder.  Temporary files still
 * registered when the program exits or is killed are removed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/platform.h"

#define NSLOTS	32

/* Written by the main program, read by the signal handler. */
static char *volatile slots[NSLOTS];
static int handlers_installed;

static void
remove_all(void)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		if (slots[i] != NULL)
			unlink(slots[i]);
}

static void
on_signal(int sig)
{
	remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
install_handlers(void)
{
	struct sigaction sa;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	size_t i;

	if (handlers_installed)
		return;
	handlers_installed = 1;
	atexit(remove_all);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* Keep a signal ignored if our parent ignored it (nohup). */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

int
bk_tmp_register(const char *path)
{
	int i;

	install_handlers();
	for (i = 0; i < NSLOTS; i++)
		if (slots[i] == NULL) {
			slots[i] = bk_strdup(path);
			return i;
		}
	bk_errx(BK_EX_SOFTWARE, "too many temporary files");
}

void
bk_tmp_forget(int slot)
{
	char *p;

	if (slot < 0 || slot >= NSLOTS || slots[slot] == NULL)
		return;
	p = slots[slot];
	slots[slot] = NULL;
	free(p);
}

int
bk_fsync_dir(const char *path)
{
	char *copy, *dir;
	int fd, r;

	copy = bk_strdup(path);
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		free(copy);
		return -1;
	}
	r = fsync(fd);
	/* Some file systems cannot fsync a folder; that is not a failure. */
	if (r < 0 && (errno == EINVAL || errno == EBADF))
		r = 0;
	close(fd);
	free(copy);
	return r;
}

const char *
bk_out_name(const struct bk_out *o)
{
	return o->path != NULL ? o->path : "(stdout)";
}

void
bk_out_open(struct bk_out *o, const char *path, int flags)
{
	struct stat st;
	char *copy;

	memset(o, 0, sizeof(*o));
	o->flags = flags;
	o->slot = -1;
	if (path == NULL || strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
		if ((flags & BK_OUT_BINARY) && !(flags & BK_OUT_FORCE) &&
		    isatty(STDOUT_FILENO))
			bk_usage_error("refusing to write binary data to a "
			    "terminal (use -o FILE, a pipe, or -f)");
		return;
	}
	/*
	 * A device or a FIFO (-o /dev/null, -o /dev/fd/3, a named pipe) is
	 * written in place: renaming a file over it would replace the device.
	 * Through a symbolic link only under /dev (/dev/stdout, /dev/fd/3):
	 * a link planted in a backup folder (x.csv -> /dev/null) is a file
	 * that exists, refused without -f and replaced with it.
	 */
	if ((strncmp(path, "/dev/", 5) == 0 ? stat(path, &st) :
	    lstat(path, &st)) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
		if ((o->fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
			bk_err(bk_open_errno_code(errno) == BK_EX_NOPERM ?
			    BK_EX_NOPERM : BK_EX_CANTCREAT,
			    "could not open \"%s\"", path);
		o->path = bk_strdup(path);
		return;
	}
	if (lstat(path, &st) == 0) {
		if (!(flags & BK_OUT_FORCE))
			bk_errx(BK_EX_CANTCREAT, "could not create \"%s\": "
			    "file exists (use -f to replace it)", path);
		if (S_ISDIR(st.st_mode))
			bk_errx(BK_EX_CANTCREAT, "could not create \"%s\": "
			    "is a folder", path);
	}
	o->path = bk_strdup(path);
	copy = bk_strdup(path);
	o->tmp = bk_asprintf("%s/.%s.bk-XXXXXX", dirname(copy),
	    strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	free(copy);
	/* Register the name before the file exists: no window to leak it. */
	install_handlers();
	if ((o->fd = mkstemp(o->tmp)) < 0) {
		int e = errno;

		free(o->tmp);
		o->tmp = NULL;
		errno = e;
		bk_err(e == EACCES || e == EPERM ? BK_EX_NOPERM :
		    BK_EX_CANTCREAT, "could not create \"%s\"", path);
	}
	o->slot = bk_tmp_register(o->tmp);
	fchmod(o->fd, 0600);
}

void
bk_out_write(struct bk_out *o, const void *buf, size_t n)
{
	if (bk_write_full(o->fd, buf, n) < 0) {
		if (errno == EPIPE && o->path == NULL) {
			/* The reader left: stop quietly, as cat does. */
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		bk_err(BK_EX_IOERR, "could not write \"%s\"", bk_out_name(o));
	}
}

/*
 * Some file systems (vfat, some FUSE mounts) have no hard links: there, check
 * that the target is still absent and rename.  Returns 1 when that rename
 * succeeded, 0 (errno intact) when link's error stands.
 */
static int
link_unsupported(struct bk_out *o)
{
	struct stat st;
	int e = errno;

	if (e != EPERM && e != ENOTSUP && e != EOPNOTSUPP && e != EMLINK)
		return 0;
	if (lstat(o->path, &st) == 0) {
		errno = EEXIST;
		return 0;
	}
	if (rename(o->tmp, o->path) == 0)
		return 1;
	errno = e;
	return 0;
}

void
bk_out_commit(struct bk_out *o)
{
	struct stat st, now;
	int have, e;

	if (o->path != NULL && o->tmp == NULL) {
		/* A device or FIFO written in place: only close it. */
		if (close(o->fd) < 0)
			bk_err(BK_EX_IOERR, "could not write \"%s\"", o->path);
		o->fd = -1;
		free(o->path);
		o->path = NULL;
		return;
	}
	if (o->path == NULL)
		return;
	if (fsync(o->fd) < 0 && errno != EINVAL)
		bk_err(BK_EX_IOERR, "could not write \"%s\"", o->path);
	have = fstat(o->fd, &st) == 0;
	if (close(o->fd) < 0)
		bk_err(BK_EX_IOERR, "could not write \"%s\"", o->path);
	o->fd = -1;
	if (o->flags & BK_OUT_FORCE) {
		if (rename(o->tmp, o->path) < 0)
			bk_err(BK_EX_CANTCREAT, "could not create \"%s\"",
			    o->path);
	} else {
		/* link(2) refuses an existing target atomically. */
		if (link(o->tmp, o->path) < 0 && !link_unsupported(o)) {
			if (errno == EEXIST)
				bk_errx(BK_EX_CANTCREAT, "could not create "
				    "\"%s\": file exists (use -f to replace "
				    "it)", o->path);
			bk_err(BK_EX_CANTCREAT, "could not create \"%s\"",
			    o->path);
		}
		/* Gone already if link_unsupported renamed it. */
		unlink(o->tmp);
	}
	bk_tmp_forget(o->slot);
	o->slot = -1;
	free(o->tmp);
	o->tmp = NULL;
	if (bk_fsync_dir(o->path) < 0) {
		/* A failed run leaves nothing at the path: the name goes
		 * again, if it still holds this file. */
		e = errno;
		if (have && lstat(o->path, &now) == 0 &&
		    now.st_dev == st.st_dev && now.st_ino == st.st_ino)
			unlink(o->path);
		errno = e;
		bk_err(BK_EX_IOERR, "could not sync the folder of \"%s\"",
		    o->path);
	}
	free(o->path);
	o->path = NULL;
}

void
bk_out_commit2(struct bk_out *a, struct bk_out *b)
{
	char *path = a->tmp != NULL ? bk_strdup(a->path) : NULL;
	int slot;

	bk_out_commit(a);
	if (path == NULL) {
		bk_out_commit(b);
		return;
	}
	/* Until b stands, a goes if the program stops. */
	slot = bk_tmp_register(path);
	bk_out_commit(b);
	bk_tmp_forget(slot);
	free(path);
}

void
bk_out_abort(struct bk_out *o)
{
	if (o->tmp == NULL) {
		if (o->path != NULL && o->fd >= 0)
			close(o->fd);
		o->fd = -1;
		free(o->path);
		o->path = NULL;
		return;
	}
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	unlink(o->tmp);
	bk_tmp_forget(o->slot);
	o->slot = -1;
	free(o->tmp);
	o->tmp = NULL;
	free(o->path);
	o->path = NULL;
}

int
bk_is_tmp_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' && n > 11 &&
	    strncmp(name + n - 10, ".bk-", 4) == 0;
}
