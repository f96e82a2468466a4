/*
 * inject.c: an LD_PRELOAD library that makes one system call fail, for
 * the fault tests (lib.sh's faulty builds and loads it).  The environment
 * says which:
 *
 *	BK_INJECT=CALL:NAME:N:WHAT
 *
 * acts on the Nth call (counted from 1) of CALL on a file whose name (its
 * last component) begins with NAME:
 *
 *	CALL	write or fsync (the file a descriptor is open on, as
 *		/proc/self/fd tells), unlinkat or rename (the name given)
 *	WHAT	kill	SIGKILL before the call: kill -9 at that moment
 *		eio	the call fails with EIO and does nothing
 *		enospc	the call fails with ENOSPC and does nothing
 *		short	(write) half the bytes are written and counted, and
 *			every later write to such a file fails with ENOSPC:
 *			a disk that fills up in the middle of a line
 *
 * A deterministic stand-in for a disk that fails or fills at one moment,
 * and for a kill that lands between two writes: no timing, no sleep.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char	 call[16], name[256], what[16];
static long	 nth, seen;
static int	 parsed, full;

/* Reads BK_INJECT once; 0 if it names nothing. */
static int
spec(void)
{
	const char *s;

	if (!parsed) {
		parsed = 1;
		if ((s = getenv("BK_INJECT")) == NULL ||
		    sscanf(s, "%15[^:]:%255[^:]:%ld:%15s", call, name, &nth,
		    what) != 4)
			call[0] = '\0';
	}
	return call[0] != '\0';
}

/* Whether the last component of path begins with NAME. */
static int
named(const char *path)
{
	const char *base = strrchr(path, '/');

	if (!spec())
		return 0;
	base = base != NULL ? base + 1 : path;
	return strncmp(base, name, strlen(name)) == 0;
}

static int
fd_named(int fd)
{
	char link[64], path[4096];
	ssize_t n;

	if (!spec())
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) < 0)
		return 0;
	path[n] = '\0';
	return named(path);
}

/*
 * Whether this call of c (on a file that matches) is the one to fail:
 * returns 0 to go on, or -1 with errno set to fail.  "short" is left to
 * the caller.
 */
static int
strike(const char *c, int match)
{
	if (!spec() || strcmp(c, call) != 0 || !match)
		return 0;
	if (full) {
		errno = ENOSPC;
		return -1;
	}
	if (++seen != nth)
		return 0;
	if (strcmp(what, "kill") == 0)
		raise(SIGKILL);
	if (strcmp(what, "eio") == 0) {
		errno = EIO;
		return -1;
	}
	if (strcmp(what, "enospc") == 0) {
		errno = ENOSPC;
		return -1;
	}
	return 1;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	int r;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
		    "write");
	if (fd > 2 && (r = strike("write", fd_named(fd))) != 0) {
		if (r < 0)
			return -1;
		full = 1;
		return real(fd, buf, n / 2);
	}
	return real(fd, buf, n);
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (strike("fsync", fd_named(fd)) < 0)
		return -1;
	return real(fd);
}

int
unlinkat(int dfd, const char *path, int flags)
{
	static int (*real)(int, const char *, int);

	if (real == NULL)
		real = (int (*)(int, const char *, int))dlsym(RTLD_NEXT,
		    "unlinkat");
	if (strike("unlinkat", named(path)) < 0)
		return -1;
	return real(dfd, path, flags);
}

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);

	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
		    "rename");
	if (strike("rename", named(from)) < 0)
		return -1;
	return real(from, to);
}
