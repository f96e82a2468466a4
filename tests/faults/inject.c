/*
 * inject.c: an LD_PRELOAD fault injector for bk's tests.  Loaded into a
 * program, it counts the calls that match and makes the Nth fail, come up
 * short or kill the program, as a full disk, a dying disk or kill -9
 * would; everything else goes through unchanged.  Driven by the
 * environment (nothing set: it only passes calls through):
 *
 *   BK_FAULT_OPS    the calls that count, a comma list of write (write,
 *                   pwrite, send: libpq's to the server), read (read,
 *                   pread, recv: what pg_dump and psql get from the
 *                   server, their output going through stdio, which
 *                   calls write inside libc, out of reach), fsync (fsync, fdatasync),
 *                   rename (rename, renameat, renameat2), link (link,
 *                   linkat), unlink (unlink, unlinkat), close; or any.
 *                   Default write.
 *   BK_FAULT_PATH   a glob (fnmatch(3), '*' matching '/' too) on the path:
 *                   the file a descriptor refers to (as /proc/self/fd
 *                   names it: "pipe:[1234]" for a pipe), or the path given,
 *                   made absolute; for rename and link either path.
 *                   Default '*'.
 *   BK_FAULT_NTH    the Nth matching call faults (1-based; default 1).
 *   BK_FAULT_TIMES  how many matching calls fault from the Nth on (default
 *                   1; 0: every one).
 *   BK_FAULT_DO     eio or enospc: the call fails with that error and does
 *                   nothing; short: a write writes half of its bytes (at
 *                   least one) and returns that count, and the later
 *                   faulting calls fail with ENOSPC (a disk that fills up
 *                   in the middle of a write); kill: SIGKILL before the
 *                   call; killafter: SIGKILL once the call is done.
 *                   Default eio.
 *   BK_FAULT_PROG   only in programs whose name (argv[0] without its
 *                   folder) matches this glob; its children inherit the
 *                   preload and check the name again.
 *   BK_FAULT_LOG    a file to which each fault appends one line:
 *                   "PROG PID OP N ACTION PATH".
 *   BK_FAULT_COUNT  a file to which the program appends "PROG N" when it
 *                   exits normally, N the matching calls it made: how
 *                   tests learn the range to draw N from.
 *
 * Build: cc -shared -fPIC -o inject.so inject.c -ldl
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OP_WRITE = 1, OP_READ = 2, OP_FSYNC = 4, OP_RENAME = 8,
    OP_LINK = 16, OP_UNLINK = 32, OP_CLOSE = 64 };
enum { DO_EIO, DO_ENOSPC, DO_SHORT, DO_KILL, DO_KILLAFTER };

static int		 active;	/* the rule applies to this program */
static int		 ops;
static const char	*glob;
static long		 nth = 1, times = 1;
static int		 action;
static const char	*logfile, *countfile;
static long		 seen;		/* matching calls so far */

/* Each real function, found once (before main: no thread races it). */
#define REAL(ret, name, args) \
	static ret (*real_##name) args; \
	static ret (*get_##name(void)) args { \
		if (real_##name == NULL) \
			*(void **)&real_##name = dlsym(RTLD_NEXT, #name); \
		return real_##name; \
	}

REAL(ssize_t, write, (int, const void *, size_t))
REAL(ssize_t, pwrite, (int, const void *, size_t, off_t))
REAL(ssize_t, pwrite64, (int, const void *, size_t, off_t))
REAL(ssize_t, send, (int, const void *, size_t, int))
REAL(ssize_t, recv, (int, void *, size_t, int))
REAL(ssize_t, read, (int, void *, size_t))
REAL(ssize_t, pread, (int, void *, size_t, off_t))
REAL(ssize_t, pread64, (int, void *, size_t, off_t))
REAL(int, fsync, (int))
REAL(int, fdatasync, (int))
REAL(int, rename, (const char *, const char *))
REAL(int, renameat, (int, const char *, int, const char *))
REAL(int, renameat2, (int, const char *, int, const char *, unsigned))
REAL(int, link, (const char *, const char *))
REAL(int, linkat, (int, const char *, int, const char *, int))
REAL(int, unlink, (const char *))
REAL(int, unlinkat, (int, const char *, int))
REAL(int, close, (int))

static const char *
progname(void)
{
	extern char *program_invocation_short_name;

	return program_invocation_short_name;
}

__attribute__((constructor)) static void
setup(void)
{
	const char *s, *prog = getenv("BK_FAULT_PROG");
	char *list, *tok, *save;

	get_write(); get_pwrite(); get_pwrite64(); get_send(); get_recv();
	get_read(); get_pread();
	get_pread64(); get_fsync(); get_fdatasync(); get_rename();
	get_renameat(); get_renameat2(); get_link(); get_linkat();
	get_unlink(); get_unlinkat(); get_close();
	if (prog != NULL && fnmatch(prog, progname(), 0) != 0)
		return;
	s = getenv("BK_FAULT_OPS");
	list = strdup(s != NULL && *s != '\0' ? s : "write");
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "write") == 0) ops |= OP_WRITE;
		else if (strcmp(tok, "read") == 0) ops |= OP_READ;
		else if (strcmp(tok, "fsync") == 0) ops |= OP_FSYNC;
		else if (strcmp(tok, "rename") == 0) ops |= OP_RENAME;
		else if (strcmp(tok, "link") == 0) ops |= OP_LINK;
		else if (strcmp(tok, "unlink") == 0) ops |= OP_UNLINK;
		else if (strcmp(tok, "close") == 0) ops |= OP_CLOSE;
		else if (strcmp(tok, "any") == 0) ops |= 127;
		else {
			fprintf(stderr, "inject.so: unknown call \"%s\" in "
			    "BK_FAULT_OPS\n", tok);
			_exit(70);
		}
	}
	free(list);
	glob = getenv("BK_FAULT_PATH");
	if (glob == NULL || *glob == '\0')
		glob = "*";
	if ((s = getenv("BK_FAULT_NTH")) != NULL && *s != '\0')
		nth = atol(s);
	if ((s = getenv("BK_FAULT_TIMES")) != NULL && *s != '\0')
		times = atol(s);
	s = getenv("BK_FAULT_DO");
	if (s == NULL || *s == '\0' || strcmp(s, "eio") == 0) action = DO_EIO;
	else if (strcmp(s, "enospc") == 0) action = DO_ENOSPC;
	else if (strcmp(s, "short") == 0) action = DO_SHORT;
	else if (strcmp(s, "kill") == 0) action = DO_KILL;
	else if (strcmp(s, "killafter") == 0) action = DO_KILLAFTER;
	else {
		fprintf(stderr, "inject.so: unknown BK_FAULT_DO \"%s\"\n", s);
		_exit(70);
	}
	logfile = getenv("BK_FAULT_LOG");
	countfile = getenv("BK_FAULT_COUNT");
	active = ops != 0 && nth > 0;
}

/* Appends one line to a file, with the real calls only. */
static void
append(const char *file, const char *fmt, ...)
{
	char line[PATH_MAX + 200];
	va_list ap;
	int fd, n;

	if (file == NULL || *file == '\0')
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if ((fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) < 0)
		return;
	(void)get_write()(fd, line, (size_t)n);
	(void)get_close()(fd);
}

__attribute__((destructor)) static void
report(void)
{
	if (active)
		append(countfile, "%s %ld\n", progname(),
		    __atomic_load_n(&seen, __ATOMIC_SEQ_CST));
}

/* The path of a descriptor, as /proc/self/fd names it. */
static void
fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, buf, size - 1)) < 0)
		n = 0;
	buf[n] = '\0';
}

/* A path argument made absolute against dirfd (or the current folder). */
static void
abs_path(int dirfd, const char *path, char *buf, size_t size)
{
	char dir[PATH_MAX];

	if (path == NULL)
		path = "";
	if (path[0] == '/') {
		snprintf(buf, size, "%s", path);
		return;
	}
	if (dirfd == AT_FDCWD) {
		if (getcwd(dir, sizeof(dir)) == NULL)
			dir[0] = '\0';
	} else
		fd_path(dirfd, dir, sizeof(dir));
	snprintf(buf, size, "%s/%s", dir, path);
}

/*
 * Whether this call faults: it counts when it is one of the calls and
 * matches the path (p2, when given, is another path it touches).  Returns
 * the fault's number (the count) or 0.
 */
static long
fault(int op, const char *opname, const char *p1, const char *p2)
{
	long n;

	if (!active || !(ops & op))
		return 0;
	if (fnmatch(glob, p1, 0) != 0 && (p2 == NULL ||
	    fnmatch(glob, p2, 0) != 0))
		return 0;
	n = __atomic_add_fetch(&seen, 1, __ATOMIC_SEQ_CST);
	if (n < nth || (times > 0 && n >= nth + times))
		return 0;
	append(logfile, "%s %ld %s %ld %s %s\n", progname(), (long)getpid(),
	    opname, n, action == DO_EIO ? "eio" : action == DO_ENOSPC ?
	    "enospc" : action == DO_SHORT ? "short" : action == DO_KILL ?
	    "kill" : "killafter", p1);
	if (action == DO_KILL)
		raise(SIGKILL);
	return n;
}

/* Sets errno for a call that fails; returns -1. */
static int
failing(long n)
{
	errno = action == DO_EIO ? EIO : ENOSPC;
	(void)n;
	return -1;
}

static void
killed_after(long n)
{
	if (n > 0 && action == DO_KILLAFTER)
		raise(SIGKILL);
}

/* Once fault() said n: killafter makes the call first, the others fail. */
#define FAULTED(n, call) do { \
	if (action == DO_KILLAFTER) { \
		__typeof__(call) r_ = call; \
		killed_after(n); \
		return r_; \
	} \
	return failing(n); \
} while (0)

/* The shared body of the writes: off < 0 for write(2). */
static ssize_t
do_write(const char *name, int fd, const void *buf, size_t len, off_t off,
    ssize_t (*w)(int, const void *, size_t),
    ssize_t (*pw)(int, const void *, size_t, off_t))
{
	char path[PATH_MAX];
	long n;

	if (!active || !(ops & OP_WRITE))
		return off < 0 ? w(fd, buf, len) : pw(fd, buf, len, off);
	fd_path(fd, path, sizeof(path));
	if ((n = fault(OP_WRITE, name, path, NULL)) == 0)
		return off < 0 ? w(fd, buf, len) : pw(fd, buf, len, off);
	if (action == DO_SHORT && n == nth) {
		if (len < 2)
			return failing(n);
		len /= 2;
		return off < 0 ? w(fd, buf, len) : pw(fd, buf, len, off);
	}
	FAULTED(n, off < 0 ? w(fd, buf, len) : pw(fd, buf, len, off));
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	return do_write("write", fd, buf, len, -1, get_write(), NULL);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return do_write("pwrite", fd, buf, len, off, NULL, get_pwrite());
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return do_write("pwrite", fd, buf, len, off, NULL, get_pwrite64());
}

/* The body of the calls on a descriptor that have no partial result. */
#define FD_CALL(op, name, call) do { \
	char path[PATH_MAX]; \
	long n; \
	if (!active || !(ops & (op))) \
		return call; \
	fd_path(fd, path, sizeof(path)); \
	if ((n = fault((op), name, path, NULL)) == 0) \
		return call; \
	FAULTED(n, call); \
} while (0)

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	char path[PATH_MAX];
	long n;

	if (!active || !(ops & OP_WRITE))
		return get_send()(fd, buf, len, flags);
	fd_path(fd, path, sizeof(path));
	if ((n = fault(OP_WRITE, "send", path, NULL)) == 0)
		return get_send()(fd, buf, len, flags);
	if (action == DO_SHORT && n == nth && len > 1)
		return get_send()(fd, buf, len / 2, flags);
	FAULTED(n, get_send()(fd, buf, len, flags));
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	FD_CALL(OP_READ, "recv", get_recv()(fd, buf, len, flags));
}

ssize_t
read(int fd, void *buf, size_t len)
{
	FD_CALL(OP_READ, "read", get_read()(fd, buf, len));
}

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	FD_CALL(OP_READ, "pread", get_pread()(fd, buf, len, off));
}

ssize_t
pread64(int fd, void *buf, size_t len, off_t off)
{
	FD_CALL(OP_READ, "pread", get_pread64()(fd, buf, len, off));
}

int
fsync(int fd)
{
	FD_CALL(OP_FSYNC, "fsync", get_fsync()(fd));
}

int
fdatasync(int fd)
{
	FD_CALL(OP_FSYNC, "fsync", get_fdatasync()(fd));
}

int
close(int fd)
{
	char path[PATH_MAX];
	long n;
	int r;

	if (!active || !(ops & OP_CLOSE))
		return get_close()(fd);
	fd_path(fd, path, sizeof(path));
	if ((n = fault(OP_CLOSE, "close", path, NULL)) == 0)
		return get_close()(fd);
	/* A failed close still closes the descriptor, as Linux does. */
	r = get_close()(fd);
	if (action == DO_KILLAFTER) {
		killed_after(n);
		return r;
	}
	return failing(n);
}

/* Whether a call on one or two paths (p2 may be NULL) faults, as fault(). */
static long
path_fault(int op, const char *name, int d1, const char *p1, int d2,
    const char *p2)
{
	char a1[PATH_MAX], a2[PATH_MAX];

	abs_path(d1, p1, a1, sizeof(a1));
	if (p2 != NULL)
		abs_path(d2, p2, a2, sizeof(a2));
	return fault(op, name, a1, p2 != NULL ? a2 : NULL);
}

/* The body of the calls on paths. */
#define PATH_CALL(op, name, d1, p1, d2, p2, call) do { \
	long n; \
	if (!active || !(ops & (op))) \
		return call; \
	if ((n = path_fault((op), name, (d1), (p1), (d2), (p2))) == 0) \
		return call; \
	FAULTED(n, call); \
} while (0)

int
rename(const char *from, const char *to)
{
	PATH_CALL(OP_RENAME, "rename", AT_FDCWD, from, AT_FDCWD, to,
	    get_rename()(from, to));
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	PATH_CALL(OP_RENAME, "rename", fd1, from, fd2, to,
	    get_renameat()(fd1, from, fd2, to));
}

int
renameat2(int fd1, const char *from, int fd2, const char *to, unsigned fl)
{
	PATH_CALL(OP_RENAME, "rename", fd1, from, fd2, to,
	    get_renameat2()(fd1, from, fd2, to, fl));
}

int
link(const char *from, const char *to)
{
	PATH_CALL(OP_LINK, "link", AT_FDCWD, from, AT_FDCWD, to,
	    get_link()(from, to));
}

int
linkat(int fd1, const char *from, int fd2, const char *to, int fl)
{
	PATH_CALL(OP_LINK, "link", fd1, from, fd2, to,
	    get_linkat()(fd1, from, fd2, to, fl));
}

int
unlink(const char *path)
{
	PATH_CALL(OP_UNLINK, "unlink", AT_FDCWD, path, AT_FDCWD, NULL,
	    get_unlink()(path));
}

int
unlinkat(int fd, const char *path, int fl)
{
	PATH_CALL(OP_UNLINK, "unlink", fd, path, AT_FDCWD, NULL,
	    get_unlinkat()(fd, path, fl));
}
