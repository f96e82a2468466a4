/* prog.c: program set-up, messages and the finish that checks stdout. */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/platform.h"
#include "platform/internal.h"

const char *bk_progname = "bk";
static int verbosity;

void
bk_init(int argc, char *argv[])
{
	const char *p;

	(void)argc;
	if (argv[0] != NULL && argv[0][0] != '\0') {
		p = strrchr(argv[0], '/');
		bk_progname = p != NULL ? p + 1 : argv[0];
	}
	/* Backups hold personal data: everything bk creates is private. */
	umask(077);
	/* bk_bad_option says what was wrong, in bk's one-line form. */
	opterr = 0;
}

void
bk_set_verbosity(int v)
{
	verbosity = v;
}

int
bk_verbosity(void)
{
	return verbosity;
}

static void
vmessage(const char *kind, int errnum, const char *fmt, va_list ap)
{
	fflush(stdout);
	bk_progress_break();
	fprintf(stderr, "%s: %s", bk_progname, kind);
	if (fmt != NULL)
		vfprintf(stderr, fmt, ap);
	if (errnum != 0)
		fprintf(stderr, "%s%s", fmt != NULL ? ": " : "",
		    strerror(errnum));
	fputc('\n', stderr);
}

void
bk_err(int code, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vmessage("error: ", e, fmt, ap);
	va_end(ap);
	exit(code);
}

void
bk_errx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error: ", 0, fmt, ap);
	va_end(ap);
	exit(code);
}

void
bk_warn(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	vmessage("warning: ", e, fmt, ap);
	va_end(ap);
}

void
bk_warnx(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	vmessage("warning: ", 0, fmt, ap);
	va_end(ap);
}

void
bk_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity <= 0)
		return;
	va_start(ap, fmt);
	vmessage("", 0, fmt, ap);
	va_end(ap);
}

void
bk_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error: ", 0, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n",
	    bk_progname);
	exit(BK_EX_USAGE);
}

void
bk_bad_option(char *argv[], const char *optstring)
{
	const char *arg = argv[optind - 1];
	int len = (int)strcspn(arg, "=");

	if (strncmp(arg, "--", 2) == 0) {
		if (optopt == 0)
			bk_usage_error("unknown option \"%.*s\"", len, arg);
		if (arg[len] == '=')
			bk_usage_error("option \"%.*s\" takes no argument",
			    len, arg);
		bk_usage_error("option \"%s\" needs an argument", arg);
	}
	if (optopt != 0 && optopt != ':' && strchr(optstring, optopt) != NULL)
		bk_usage_error("option \"-%c\" needs an argument", optopt);
	bk_usage_error("unknown option \"-%c\"", optopt);
}

void
bk_print_version(void)
{
	printf("%s (bk) %s\n", bk_progname, BK_VERSION);
	exit(bk_finish(BK_EX_OK));
}

void
bk_print_usage(const char *text)
{
	fputs(text, stdout);
	exit(bk_finish(BK_EX_OK));
}

int
bk_finish(int code)
{
	int failed;

	failed = fflush(stdout) != 0 || ferror(stdout);
	if (fclose(stdout) != 0)
		failed = 1;
	if (failed) {
		/* A reader that went away is not an error worth a message. */
		if (errno == EPIPE)
			_exit(code != 0 ? code : BK_EX_IOERR);
		bk_err(BK_EX_IOERR, "could not write standard output");
	}
	return code;
}
