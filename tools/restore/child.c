/*
 * child.c: bk-restore's child processes (psql, pg_dump, pg_restore), each
 * with its stderr read by a thread of ours for the one-line report, and
 * psql's stdout watched for the lines our prelude and epilogue print.
 */
/* putenv(3) is an XSI function. */
#define _XOPEN_SOURCE 700

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "restore.h"

static int
is_error_line(const char *s)
{
	return strstr(s, "ERROR:") != NULL || strstr(s, "FATAL:") != NULL ||
	    strstr(s, "error:") != NULL || strncmp(s, "could not", 9) == 0;
}

/* Whether a line starts with the child's name and a colon ("psql:"). */
static int
is_own_line(const struct child *c, const char *s)
{
	size_t n = strlen(c->name);

	return strncmp(s, c->name, n) == 0 && s[n] == ':';
}

/*
 * Reads the child's stderr to its end, in a thread of its own so that a
 * child with much to say never blocks while we write to it.  Keeps the
 * first error line (and the last line) for the one-line report; shows
 * everything with -v.
 */
static void *
child_errors(void *arg)
{
	struct child *c = arg;
	FILE *f;
	char line[600], *at;
	size_t n;
	int whole = 1, hide = 0;

	if ((f = fdopen(c->err, "r")) == NULL) {
		close(c->err);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		/*
		 * A globals script holds password hashes: the server's "at
		 * or near" quotes the script, and is not passed on.
		 */
		if (hide) {
			hide = strchr(line, '\n') == NULL;
			continue;
		}
		if (c->scrub && (at = strstr(line, " at or near ")) != NULL) {
			hide = strchr(line, '\n') == NULL;
			snprintf(at, sizeof(line) - (size_t)(at - line),
			    " (the script's words not shown)\n");
		}
		if (bk_verbosity() > 0)
			fputs(line, stderr);
		n = strlen(line);
		/* The rest of a long line is not a line of its own. */
		if (!whole) {
			whole = n > 0 && line[n - 1] == '\n';
			continue;
		}
		whole = n > 0 && line[n - 1] == '\n';
		bk_one_line(line);
		if (line[0] == '\0')
			continue;
		snprintf(c->last, sizeof(c->last), "%s", line);
		if (c->first[0] == '\0' && is_error_line(line))
			snprintf(c->first, sizeof(c->first), "%s", line);
		if (is_own_line(c, line))
			snprintf(c->own, sizeof(c->own), "%s", line);
	}
	fclose(f);
	return NULL;
}

/*
 * Reads psql's standard output (query results, which nobody needs) to its
 * end, looking for the line that says our COMMIT ran.
 */
static void *
child_output(void *arg)
{
	struct child *c = arg;
	FILE *f;
	char line[256];

	if ((f = fdopen(c->ofd, "r")) == NULL) {
		close(c->ofd);
		return NULL;
	}
	/*
	 * Our prelude runs first, so the first BEGUN line is ours; the mark
	 * holds a nonce the script cannot know.
	 */
	while (fgets(line, sizeof(line), f) != NULL)
		if (c->mark[0] != '\0' && strcmp(line, c->mark) == 0)
			c->marked = 1;
		else if (c->txid == 0 &&
		    strncmp(line, BEGUN, sizeof(BEGUN) - 1) == 0)
			c->txid = strtoll(line + sizeof(BEGUN) - 1, NULL, 10);
	fclose(f);
	return NULL;
}

void
pipe_cloexec(int p[2])
{
	if (pipe(p) < 0)
		bk_err(BK_EX_SOFTWARE, "could not make a pipe");
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
}

/*
 * Starts argv[0] (found in PATH) with r->env added to its environment:
 * stdin and stdout are pipes when asked for, else /dev/null; want_out 2
 * has a thread watch stdout for COMMITTED.
 */
void
child_init(struct child *c)
{
	memset(c, 0, sizeof(*c));
	c->in = c->out = c->extra[0] = c->extra[1] = -1;
}

/*
 * Starts argv[0] with the pipes asked for (want_out 2: read by a thread
 * of ours), and c->extra[] as its fds 3 and 4; c comes from child_init.
 */
void
child_start(struct child *c, struct restore *r, char *const argv[],
    int want_in, int want_out)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2], nul, x[2];
	size_t i;

	/* What child_init set, and the caller's extra[] and mark[]. */
	x[0] = c->extra[0];
	x[1] = c->extra[1];
	c->name = argv[0];
	c->in = c->out = -1;
	if (want_in)
		pipe_cloexec(in);
	if (want_out)
		pipe_cloexec(out);
	pipe_cloexec(err);
	fflush(stdout);
	fflush(stderr);
	if ((c->pid = fork()) < 0)
		bk_err(BK_EX_SOFTWARE, "could not start %s", c->name);
	if (c->pid == 0) {
		nul = open("/dev/null", O_RDWR);
		dup2(want_in ? in[0] : nul, STDIN_FILENO);
		dup2(want_out ? out[1] : nul, STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		if (nul > STDERR_FILENO)
			close(nul);
		/* Out of the way first, so 3 and 4 cannot clobber each other. */
		for (i = 0; i < 2; i++)
			if (x[i] >= 0)
				x[i] = fcntl(x[i], F_DUPFD_CLOEXEC, 10);
		for (i = 0; i < 2; i++)
			if (x[i] >= 0)
				dup2(x[i], 3 + (int)i);
		for (i = 0; i < r->nenv; i++)
			putenv(r->env[i]);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "could not run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	for (i = 0; i < 2; i++)
		if (x[i] >= 0)
			close(x[i]);
	c->extra[0] = c->extra[1] = -1;
	if (want_in) {
		close(in[0]);
		c->in = in[1];
	}
	if (want_out) {
		close(out[1]);
		c->out = out[0];
	}
	close(err[1]);
	c->err = err[0];
	if (pthread_create(&c->thread, NULL, child_errors, c) != 0)
		bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	if (want_out == 2) {
		/* The thread's alone: child_wait must not close or reset it. */
		c->watch = 1;
		c->ofd = c->out;
		c->out = -1;
		if (pthread_create(&c->othread, NULL, child_output, c) != 0)
			bk_errx(BK_EX_SOFTWARE, "could not start a thread");
	}
}

/* Waits for the child; returns its wait status. */
int
child_wait(struct child *c)
{
	int status;

	if (c->in >= 0)
		close(c->in);
	if (c->out >= 0)
		close(c->out);
	c->in = c->out = -1;
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			bk_err(BK_EX_SOFTWARE, "could not wait for %s", c->name);
	pthread_join(c->thread, NULL);
	if (c->watch)
		pthread_join(c->othread, NULL);
	return status;
}

/*
 * The child's failure as a phrase.  psql stops at the first error
 * (ON_ERROR_STOP), so its last line that starts "psql:" is that error, in
 * whatever language the server speaks (the lines of context after it do
 * not start so); otherwise the first line that looks like an error, else
 * the last line, else how it ended.
 */
void
child_why(const struct child *c, int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "%s was killed by signal %d", c->name,
		    WTERMSIG(status));
	else if (strcmp(c->name, "psql") == 0 && c->own[0] != '\0')
		snprintf(buf, size, "%s", c->own);
	else if (c->first[0] != '\0')
		snprintf(buf, size, "%s", c->first);
	else if (c->last[0] != '\0')
		snprintf(buf, size, "%s", c->last);
	else
		snprintf(buf, size, "%s exited with status %d", c->name,
		    WEXITSTATUS(status));
}
