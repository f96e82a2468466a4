/*
 * io.c: full reads and writes that retry EINTR, opening inputs, and the
 * free space of a file system.
 */
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "platform/platform.h"

ssize_t
bk_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
bk_write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			/* A write that makes no progress means a full disk. */
			errno = ENOSPC;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
bk_open_errno_code(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return BK_EX_NOINPUT;
	case EACCES:
	case EPERM:
		return BK_EX_NOPERM;
	default:
		return BK_EX_IOERR;
	}
}

const char *
bk_input_name(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0 ? "(stdin)" : path;
}

int
bk_open_input(const char *path)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return STDIN_FILENO;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		bk_err(bk_open_errno_code(errno), "could not open \"%s\"", path);
	return fd;
}

int
bk_fs_space(const char *path, uint64_t *avail, uint64_t *size)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return -1;
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	*size = (uint64_t)sv.f_blocks * sv.f_frsize;
	return 0;
}
