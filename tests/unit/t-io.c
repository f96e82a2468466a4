/* t-io.c: full reads and writes, atomic output, the reader chain. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream/stream.h"
#include "tap.h"

static char dir[] = "/tmp/bk-unit.XXXXXX";

static int
exists(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

static int
count_entries(void)
{
	char cmd[300];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static void
test_full_io(void)
{
	int fds[2];
	char buf[100000], back[100000];
	pid_t pid;
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	if (pipe(fds) < 0)
		return;
	/* A pipe holds less than 100000 bytes: writes come in pieces. */
	if ((pid = fork()) == 0) {
		close(fds[0]);
		_exit(bk_write_full(fds[1], buf, sizeof(buf)) == 0 ? 0 : 1);
	}
	close(fds[1]);
	ok(bk_read_full(fds[0], back, sizeof(back)) == (ssize_t)sizeof(back),
	    "read_full gathers short reads");
	ok(memcmp(buf, back, sizeof(buf)) == 0, "bytes arrive intact");
	ok(bk_read_full(fds[0], back, 10) == 0, "read_full at EOF is 0");
	close(fds[0]);
	waitpid(pid, NULL, 0);
}

static void
test_atomic(void)
{
	struct bk_out o;
	char path[256], tmpname[256];
	struct stat st;
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/out.gz", dir);
	bk_out_open(&o, path, 0);
	ok(!exists("out.gz"), "nothing at the final path before commit");
	ok(count_entries() == 1, "one temporary file in the folder");
	bk_out_write(&o, "hello\n", 6);
	bk_out_commit(&o);
	ok(exists("out.gz") && count_entries() == 1, "commit renames");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	    st.st_size == 6, "mode 0600, all bytes");

	/* Without force, an existing file is refused: in a child. */
	if ((pid = fork()) == 0) {
		freopen("/dev/null", "w", stderr);
		bk_out_open(&o, path, 0);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == BK_EX_CANTCREAT,
	    "existing file refused with 73");

	bk_out_open(&o, path, BK_OUT_FORCE);
	bk_out_write(&o, "x", 1);
	bk_out_commit(&o);
	ok(stat(path, &st) == 0 && st.st_size == 1, "force replaces");

	bk_out_open(&o, path, BK_OUT_FORCE);
	bk_out_write(&o, "partial", 7);
	bk_out_abort(&o);
	ok(stat(path, &st) == 0 && st.st_size == 1 && count_entries() == 1,
	    "abort leaves the old file and no temporary");

	/* An error exit removes the temporary file. */
	snprintf(path, sizeof(path), "%s/fail.gz", dir);
	if ((pid = fork()) == 0) {
		freopen("/dev/null", "w", stderr);
		bk_out_open(&o, path, 0);
		bk_out_write(&o, "partial", 7);
		bk_errx(BK_EX_DATAERR, "simulated failure");
	}
	waitpid(pid, &status, 0);
	ok(WEXITSTATUS(status) == BK_EX_DATAERR && !exists("fail.gz") &&
	    count_entries() == 1, "error exit leaves nothing behind");

	/* So does SIGTERM, and the signal still kills. */
	if ((pid = fork()) == 0) {
		bk_out_open(&o, path, 0);
		bk_out_write(&o, "partial", 7);
		raise(SIGTERM);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM &&
	    count_entries() == 1, "SIGTERM removes the temporary");

	/* A device is written in place, never replaced by a rename. */
	bk_out_open(&o, "/dev/null", 0);
	bk_out_write(&o, "x", 1);
	bk_out_commit(&o);
	ok(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode),
	    "-o /dev/null writes the device, without -f");
	bk_out_open(&o, "/dev/null", BK_OUT_FORCE);
	bk_out_commit(&o);
	ok(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode),
	    "-f -o /dev/null leaves the device a device");

	snprintf(tmpname, sizeof(tmpname), "%s/nodir/x", dir);
	if ((pid = fork()) == 0) {
		freopen("/dev/null", "w", stderr);
		bk_out_open(&o, tmpname, 0);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WEXITSTATUS(status) == BK_EX_CANTCREAT, "missing folder is 73");
}

static void
test_reader(void)
{
	struct bk_reader *r;
	char buf[64];
	int fds[2];
	ssize_t n;

	if (pipe(fds) < 0)
		return;
	if (write(fds[1], "abcdef", 6) != 6)
		return;
	close(fds[1]);
	r = bk_reader_fd(fds[0], "pipe");
	n = bk_reader_read_full(r, buf, sizeof(buf));
	ok(n == 6 && memcmp(buf, "abcdef", 6) == 0 && r->offset == 6,
	    "fd reader reads and counts");
	ok(r->read(r, buf, sizeof(buf)) == 0, "fd reader EOF");
	bk_reader_close(r);
	/* The replay layer gives back what was read, then reads on. */
	if (pipe(fds) < 0 || write(fds[1], "cdef", 4) != 4)
		return;
	close(fds[1]);
	r = bk_reader_replay(bk_reader_fd(fds[0], "pipe"), "ab", 2);
	n = bk_reader_read_full(r, buf, sizeof(buf));
	ok(n == 6 && memcmp(buf, "abcdef", 6) == 0 && r->offset == 6,
	    "replay gives back the head, then the rest");
	bk_reader_close(r);
	r = bk_reader_replay(bk_reader_fd(-1, "nothing"), "x", 1);
	ok(r->read(r, buf, sizeof(buf)) == 1 && r->read(r, buf, 1) == -1 &&
	    strstr(r->err, "\"nothing\"") != NULL,
	    "replay passes on the error below");
	bk_reader_close(r);
	r = bk_reader_fd(-1, "nothing");
	ok(r->read(r, buf, 1) == -1 && r->code == BK_EX_IOERR &&
	    strstr(r->err, "\"nothing\"") != NULL, "fd reader error names it");
	bk_reader_close(r);
}

static void
test_open_input(void)
{
	int status;
	pid_t pid;

	ok(bk_open_input("-") == 0 && bk_open_input(NULL) == 0,
	    "- is stdin");
	ok(strcmp(bk_input_name("-"), "(stdin)") == 0, "stdin's name");
	if ((pid = fork()) == 0) {
		freopen("/dev/null", "w", stderr);
		bk_open_input("/nonexistent/file");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WEXITSTATUS(status) == BK_EX_NOINPUT, "missing input is 66");
	ok(bk_open_errno_code(EACCES) == BK_EX_NOPERM, "EACCES is 77");
}

int
main(int argc, char *argv[])
{
	char rm[300];

	bk_init(argc, argv);
	if (mkdtemp(dir) == NULL)
		return 1;
	test_full_io();
	test_atomic();
	test_reader();
	test_open_input();
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) != 0)
		ok(0, "cleanup");
	return tap_done();
}
