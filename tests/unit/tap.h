/* tap.h: the smallest TAP producer for the C unit tests of common/. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, name) tap_is_str((got), (want), __LINE__, (name))

static void
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
    __attribute__((__format__(__printf__, 4, 5)));

#include <stdarg.h>

static void
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s line %d\n", file, line);
	}
	/* Flushed at once, so that a test that forks never prints twice. */
	fflush(stdout);
}

static __attribute__((__unused__)) void
tap_is_str(const char *got, const char *want, int line, const char *name)
{
	int pass = got != NULL && strcmp(got, want) == 0;

	tap_ok(pass, __FILE__, line, "%s", name);
	if (!pass)
		printf("#   got: \"%s\"\n#   expected: \"%s\"\n",
		    got ? got : "(null)", want);
}

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed != 0;
}

#endif
