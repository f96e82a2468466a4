/*
 * tty.c: asking the person at the terminal (a passphrase with the echo
 * off, a confirmation), and reading a secret's first line from a file or
 * a descriptor, never from the command line.  The terminal is /dev/tty,
 * not stdin or stderr, which may be pipes or files.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "platform/platform.h"

int
bk_secret_exposed(int fd, const char *what)
{
	struct stat st;
	mode_t bits;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if ((bits = st.st_mode & (S_IROTH | S_IWOTH)) == 0)
		return 0;
	/*
	 * A warning, not a refusal (see bk-crypt(1)): the secret may already
	 * have been read, and a restore is the worst moment to stop.
	 */
	bk_warnx("%s is %s by other users (mode %04o): chmod 600 it", what,
	    bits == (S_IROTH | S_IWOTH) ? "readable and writable" :
	    bits == S_IROTH ? "readable" : "writable",
	    (unsigned)(st.st_mode & 07777));
	return 1;
}

/*
 * Reads the first line of fd as read_secret does, but reports a failure
 * (74 read error, 65 too long) as its code in *code and returns NULL, with
 * nothing of the secret left in memory, so that the caller can restore the
 * terminal before it exits.
 */
static char *
secret_read(int fd, size_t *len, int *code)
{
	/* Room for BK_SECRET_MAX + 1 bytes read and the NUL after them. */
	char *buf = bk_malloc(BK_SECRET_MAX + 2);
	size_t n = 0;
	ssize_t got;
	int e;

	for (;;) {
		got = read(fd, buf + n, BK_SECRET_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			e = errno;
			bk_explicit_bzero(buf, BK_SECRET_MAX + 2);
			free(buf);
			errno = e;
			*code = BK_EX_IOERR;
			return NULL;
		}
		if (got == 0 || memchr(buf + n, '\n', (size_t)got) != NULL) {
			n += (size_t)got;
			break;
		}
		n += (size_t)got;
		if (n > BK_SECRET_MAX) {
			bk_explicit_bzero(buf, BK_SECRET_MAX + 2);
			free(buf);
			*code = BK_EX_DATAERR;
			return NULL;
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

/* Exits with the code secret_read gave, saying why. */
static void BK_NORETURN
secret_fail(int code, const char *what)
{
	if (code == BK_EX_IOERR)
		bk_err(code, "could not read %s", what);
	bk_errx(code, "%s is longer than %d bytes", what, BK_SECRET_MAX);
}

/*
 * Reads the first line of fd (without its line end) into a new buffer of
 * BK_SECRET_MAX + 2 bytes, storing its length; what names the source in
 * messages ("passphrase file \"x\""), never the contents.  Warns as
 * bk_secret_exposed does.  Exits 74 on a read error, 65 when the line is
 * too long.  Wipe and free the result.
 */
static char *
read_secret(int fd, const char *what, size_t *len)
{
	char *p;
	int code;

	bk_secret_exposed(fd, what);
	if ((p = secret_read(fd, len, &code)) == NULL)
		secret_fail(code, what);
	return p;
}

int
bk_tty_open(void)
{
	return open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
}

/*
 * While the echo is off, a signal that ends the program (Ctrl-C, a kill,
 * a hangup) must not leave the terminal without it: the handler puts the
 * settings back, restores the actions that were there before (bk_out's,
 * which remove a partial output, or the default) and raises the signal
 * again, which they then receive once the handler returns.
 */
static const int tty_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NSIGS	(sizeof(tty_sigs) / sizeof(tty_sigs[0]))

static struct {
	volatile sig_atomic_t	 on;
	int			 fd;
	struct termios		 old;
	struct sigaction	 prev[NSIGS];
} quiet_tty;

static void
tty_restore_sigs(void)
{
	size_t i;

	for (i = 0; i < NSIGS; i++)
		sigaction(tty_sigs[i], &quiet_tty.prev[i], NULL);
}

static void
tty_on_signal(int sig)
{
	int e = errno;

	if (quiet_tty.on) {
		quiet_tty.on = 0;
		tcsetattr(quiet_tty.fd, TCSAFLUSH, &quiet_tty.old);
		(void)!write(quiet_tty.fd, "\n", 1);
	}
	tty_restore_sigs();
	raise(sig);
	errno = e;
}

/* Turns the echo off on fd; 0, or -1 when fd is not a terminal. */
static int
tty_quiet(int fd)
{
	struct sigaction sa;
	struct termios quiet;
	size_t i;

	if (tcgetattr(fd, &quiet_tty.old) < 0)
		return -1;
	quiet_tty.fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_on_signal;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < NSIGS; i++) {
		sigaction(tty_sigs[i], NULL, &quiet_tty.prev[i]);
		/* A signal our parent ignored (nohup) stays ignored. */
		if (quiet_tty.prev[i].sa_handler != SIG_IGN)
			sigaction(tty_sigs[i], &sa, NULL);
	}
	quiet = quiet_tty.old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	quiet_tty.on = 1;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	return 0;
}

/* Puts the echo back and the signal actions that were there before. */
static void
tty_unquiet(void)
{
	quiet_tty.on = 0;
	tcsetattr(quiet_tty.fd, TCSANOW, &quiet_tty.old);
	tty_restore_sigs();
	(void)!write(quiet_tty.fd, "\n", 1);
}

char *
bk_tty_ask(int fd, const char *prompt, int echo, size_t *len)
{
	char *p;
	int quiet, code;

	/* The echo goes off before the prompt, so no typed byte shows. */
	quiet = !echo && tty_quiet(fd) == 0;
	(void)!write(fd, prompt, strlen(prompt));
	p = secret_read(fd, len, &code);
	if (quiet)
		tty_unquiet();
	if (p == NULL)
		secret_fail(code, "the terminal");
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
		p = read_secret(fd, what, len);
		free(what);
		close(fd);
		if (*len == 0) {
			free(p);
			bk_errx(BK_EX_DATAERR, "no passphrase in \"%s\"", path);
		}
	} else if (fd >= 0) {
		/* Programs started later must not inherit a way to it. */
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		p = read_secret(fd, "the passphrase descriptor", len);
		if (*len == 0) {
			free(p);
			bk_errx(BK_EX_DATAERR, "no passphrase on descriptor %d",
			    fd);
		}
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
