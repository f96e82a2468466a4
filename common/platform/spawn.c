/*
 * spawn.c: another bk tool as a child whose standard output we read.
 *
 * A tool that needs another (bk-rotate and bk-verify ask bk-s3 for a
 * listing or an object) runs the one installed beside itself, so that a
 * build tree's tools call each other and not an older copy found in
 * PATH; PATH is the fallback when the running program's path is unknown.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "platform/platform.h"

char *
bk_tool_path(const char *name)
{
	char self[PATH_MAX], *slash, *path;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return bk_strdup(name);
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return bk_strdup(name);
	*slash = '\0';
	path = bk_asprintf("%s/%s", self, name);
	if (access(path, X_OK) == 0)
		return path;
	free(path);
	return bk_strdup(name);
}

void
bk_spawn(struct bk_child *c, char *const argv[])
{
	bk_spawn_err(c, argv, STDERR_FILENO);
}

void
bk_spawn_err(struct bk_child *c, char *const argv[], int errfd)
{
	int out[2], nul;

	if (pipe(out) < 0)
		bk_err(BK_EX_SOFTWARE, "could not make a pipe");
	(void)fcntl(out[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(out[1], F_SETFD, FD_CLOEXEC);
	fflush(stdout);
	fflush(stderr);
	if ((c->pid = fork()) < 0)
		bk_err(BK_EX_SOFTWARE, "could not start %s", argv[0]);
	if (c->pid == 0) {
		if ((nul = open("/dev/null", O_RDONLY)) >= 0 &&
		    nul != STDIN_FILENO) {
			dup2(nul, STDIN_FILENO);
			close(nul);
		}
		dup2(out[1], STDOUT_FILENO);
		if (errfd != STDERR_FILENO)
			dup2(errfd, STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "%s: could not run %s: %s\n",
		    bk_progname, argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	c->out = out[0];
}

int
bk_spawn_wait(struct bk_child *c)
{
	int status;

	if (c->out >= 0)
		close(c->out);
	c->out = -1;
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			bk_err(BK_EX_SOFTWARE, "could not wait for a child");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
