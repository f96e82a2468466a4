/*
 * tty.c: asking the person at the terminal (a passphrase with the echo
 * off, a confirmation), and reading a secret's first line from a file or
 * a descriptor, never from the command line.  The terminal is /dev/tty,
 * not stdin or stderr, which may be pipes or files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bk.h"

char *
bk_secret_read(int fd, const char *what, size_t *len)
{
	/* Room for BK_SECRET_MAX + 1 bytes read and the NUL after them. */
	char *buf = bk_malloc(BK_SECRET_MAX + 2);
	size_t n = 0;
	ssize_t got;

	for (;;) {
		got = read(fd, buf + n, BK_SECRET_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			bk_err(BK_EX_IOERR, "could not read %s", what);
		if (got == 0 || memchr(buf + n, '\n', (size_t)got) != NULL) {
			n += (size_t)got;
			break;
		}
		n += (size_t)got;
		if (n > BK_SECRET_MAX) {
			bk_explicit_bzero(buf, n);
			bk_errx(BK_EX_DATAERR, "%s is longer than %d bytes",
			    what, BK_SECRET_MAX);
		}
	}
	buf[n] = '\0';
	if (memchr(buf, '\n', n) != NULL)
		n = (size_t)((char *)memchr(buf, '\n', n) - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	/* What followed the first line goes too, so n bytes hold it all. */
	bk_explicit_bzero(buf + n, BK_SECRET_MAX + 2 - n);
	*len = n;
	return buf;
}

int
bk_tty_open(void)
{
	return open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
}

char *
bk_tty_ask(int fd, const char *prompt, int echo, size_t *len)
{
	struct termios old, quiet;
	char *p;
	int restore = 0;

	/* The echo goes off before the prompt, so no typed byte shows. */
	if (!echo && tcgetattr(fd, &old) == 0) {
		restore = 1;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	(void)!write(fd, prompt, strlen(prompt));
	p = bk_secret_read(fd, "the terminal", len);
	if (restore) {
		tcsetattr(fd, TCSANOW, &old);
		(void)!write(fd, "\n", 1);
	}
	return p;
}

char *
bk_passphrase(const char *path, int fd, int confirm, size_t *len)
{
	char *p, *q, *what;
	size_t qlen;
	int tty;

	if (path != NULL) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			bk_err(bk_open_errno_code(errno), "could not open "
			    "passphrase file \"%s\"", path);
		what = bk_asprintf("passphrase file \"%s\"", path);
		p = bk_secret_read(fd, what, len);
		free(what);
		close(fd);
	} else if (fd >= 0) {
		/* Programs started later must not inherit a way to it. */
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		p = bk_secret_read(fd, "the passphrase descriptor", len);
	} else {
		if ((tty = bk_tty_open()) < 0)
			bk_errx(BK_EX_NOINPUT, "could not open the terminal to "
			    "ask for the passphrase (use --passphrase-file or "
			    "--passphrase-fd)");
		p = bk_tty_ask(tty, "Enter passphrase: ", 0, len);
		if (confirm) {
			q = bk_tty_ask(tty, "Confirm passphrase: ", 0, &qlen);
			if (qlen != *len || memcmp(p, q, qlen) != 0) {
				bk_explicit_bzero(p, *len);
				bk_explicit_bzero(q, qlen);
				close(tty);
				bk_errx(BK_EX_DATAERR,
				    "the passphrases do not match");
			}
			bk_explicit_bzero(q, qlen);
			free(q);
		}
		close(tty);
	}
	if (*len == 0) {
		free(p);
		bk_errx(BK_EX_DATAERR, "the passphrase is empty");
	}
	return p;
}
