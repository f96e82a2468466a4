/* alloc.c: allocation that exits 70 instead of returning NULL; buffers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "platform/platform.h"

static void BK_NORETURN
oom(void)
{
	errno = ENOMEM;
	bk_err(BK_EX_SOFTWARE, "could not allocate memory");
}

void *
bk_malloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		oom();
	return p;
}

void *
bk_calloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		oom();
	return p;
}

void *
bk_realloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL)
		oom();
	return p;
}

void *
bk_reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		oom();
	return bk_realloc(p, n * size);
}

char *
bk_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(bk_malloc(n), s, n);
}

char *
bk_asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	s = bk_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void
bk_explicit_bzero(void *p, size_t n)
{
	/*
	 * libcrypto's own wipe, which it keeps out of the optimiser's reach
	 * on every compiler it supports; every tool links it already.
	 */
	OPENSSL_cleanse(p, n);
}

void
bk_buf_grow(struct bk_buf *b, size_t n)
{
	size_t size = b->size ? b->size : 4096;

	while (size - b->len < n) {
		if (size > SIZE_MAX / 2)
			oom();
		size *= 2;
	}
	b->p = bk_realloc(b->p, size);
	b->size = size;
}
