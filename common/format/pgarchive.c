/*
 * pgarchive.c: whether a pg_dump custom archive (-Fc) is whole, asked of
 * pg_restore as it streams past.  bk-manifest add records the answer,
 * bk-verify reports it, bk-restore refuses an archive that is not whole.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "format/format.h"

/* Keeps pg_restore's first error line; reads to the end, so it never blocks. */
static void *
errors(void *arg)
{
	struct bk_pgarchive *a = arg;
	char line[400];
	FILE *f;

	if ((f = fdopen(a->err, "r")) == NULL) {
		close(a->err);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		bk_one_line(line);
		if (a->first[0] == '\0' && line[0] != '\0')
			snprintf(a->first, sizeof(a->first), "%s", line);
	}
	fclose(f);
	return NULL;
}

static int
pipe_cloexec(int p[2])
{
	if (pipe(p) < 0)
		return -1;
	(void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

int
bk_pgarchive_start(struct bk_pgarchive *a, enum bk_layer l, char *why,
    size_t size)
{
	int in[2], err[2], nul;

	memset(a, 0, sizeof(*a));
	a->in = -1;
	a->tar = l == BK_LAYER_PGTAR;
	if (pipe_cloexec(in) < 0)
		goto fail;
	if (pipe_cloexec(err) < 0) {
		close(in[0]);
		close(in[1]);
		goto fail;
	}
	if ((a->pid = fork()) < 0) {
		close(in[0]);
		close(in[1]);
		close(err[0]);
		close(err[1]);
		goto fail;
	}
	if (a->pid == 0) {
		nul = open("/dev/null", O_WRONLY);
		dup2(in[0], STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execlp("pg_restore", "pg_restore", "-f", "/dev/null", (char *)NULL);
		dprintf(STDERR_FILENO, "could not run pg_restore (from "
		    "postgresql-client): %s\n", strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(err[1]);
	a->in = in[1];
	a->err = err[0];
	if (pthread_create(&a->thread, NULL, errors, a) != 0) {
		close(a->err);
		a->err = -1;
		bk_pgarchive_finish(a, why, size);
		snprintf(why, size, "could not start a thread");
		return -1;
	}
	return 0;
fail:
	snprintf(why, size, "could not start pg_restore: %s", strerror(errno));
	return -1;
}

/*
 * A pg_restore that stopped early (a damaged archive) closes its end: the
 * write fails with EPIPE, and SIGPIPE, blocked in this thread meanwhile,
 * is taken back so that it never ends the tool.
 */
void
bk_pgarchive_feed(struct bk_pgarchive *a, const void *p, size_t n)
{
	sigset_t pipe, old;
	struct timespec zero = { 0, 0 };
	int e;

	if (n >= sizeof(a->tail))
		memcpy(a->tail, (const unsigned char *)p + n - sizeof(a->tail),
		    sizeof(a->tail));
	else {
		memmove(a->tail, a->tail + n, sizeof(a->tail) - n);
		memcpy(a->tail + sizeof(a->tail) - n, p, n);
	}
	a->bytes += n;
	if (a->gone || a->in < 0)
		return;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	if (bk_write_full(a->in, p, n) < 0) {
		e = errno;
		a->gone = 1;
		if (e == EPIPE)
			while (sigtimedwait(&pipe, NULL, &zero) == SIGPIPE)
				;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int
bk_pgarchive_finish(struct bk_pgarchive *a, char *why, size_t size)
{
	static const unsigned char zero[1024];
	int status;

	if (a->in >= 0)
		close(a->in);
	a->in = -1;
	while (waitpid(a->pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, size, "could not wait for pg_restore");
			return 0;
		}
	if (a->err >= 0)
		pthread_join(a->thread, NULL);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (!a->tar || (a->bytes % 512 == 0 && a->bytes >= 1024 &&
		    memcmp(a->tail, zero, sizeof(zero)) == 0))
			return 1;
		snprintf(why, size, "the tar archive does not end with its two "
		    "zero blocks: it was cut short");
		return 0;
	}
	/* No pg_restore to ask: no verdict on the archive at all. */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
	    strncmp(a->first, "could not run pg_restore", 24) == 0) {
		snprintf(why, size, "%s", a->first);
		return -1;
	}
	if (a->first[0] != '\0')
		snprintf(why, size, "%s", a->first);
	else if (WIFSIGNALED(status))
		snprintf(why, size, "pg_restore was killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(why, size, "pg_restore exited with status %d",
		    WEXITSTATUS(status));
	return 0;
}
