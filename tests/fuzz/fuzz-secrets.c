/*
 * fuzz-secrets.c: bk_strip_secrets, differentially against libpq's own
 * parser (PQconninfoParse), for conninfo strings and URIs alike.  A
 * "password" here is what libpq sees: password and sslpassword, and also
 * those of a dbname that is itself a connection string (libpq expands
 * only the outer string, but in a manifest or on a command line such a
 * password reads as one all the same).  Properties, about what comes out
 * and not how it is made:
 *  - libpq finds no password in the stripped string;
 *  - when the input's password is written out literally, the same input
 *    with that password replaced by a canary (a run of one letter found
 *    nowhere else in it, checked with libpq) strips to a string without
 *    the canary.
 */
#include <libpq-fe.h>

#include "fuzz.h"
#include "format/format.h"

#define MAXPW	8

struct pw {
	char	*v[MAXPW];
	int	 n;
};

static void
pw_free(struct pw *pw)
{
	while (pw->n > 0)
		free(pw->v[--pw->n]);
}

static int
secret(const char *k)
{
	return strcmp(k, "password") == 0 || strcmp(k, "sslpassword") == 0;
}

/* libpq's recognized_connection_string: a dbname that is expanded. */
static int
expanded(const char *v)
{
	return strncmp(v, "postgresql://", 13) == 0 ||
	    strncmp(v, "postgres://", 11) == 0 || strchr(v, '=') != NULL;
}

/* The passwords libpq sees in s: 0, or -1 when it does not parse. */
static int
passwords(const char *s, struct pw *pw, int expand)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;

	if ((opts = PQconninfoParse(s, &err)) == NULL) {
		PQfreemem(err);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (secret(o->keyword) && pw->n < MAXPW)
			pw->v[pw->n++] = bk_strdup(o->val);
		else if (expand && strcmp(o->keyword, "dbname") == 0 &&
		    expanded(o->val))
			(void)passwords(o->val, pw, 0);
	}
	PQconninfoFree(opts);
	return 0;
}

/* Strips s and checks that libpq finds no password in what is left. */
static char *
strip(const char *s)
{
	struct pw left = { { NULL }, 0 };
	char *out = bk_strip_secrets(s);

	if (out == NULL)
		fuzz_fail("no result for \"%s\"", s);
	if (passwords(out, &left, 1) == 0 && left.n > 0)
		fuzz_fail("libpq finds password \"%s\" in \"%s\", stripped "
		    "from \"%s\"", left.v[0], out, s);
	pw_free(&left);
	return out;
}

/*
 * s with the password p, written at s + at, replaced by a run of one
 * letter that s does not hold; NULL when every letter is used or libpq
 * does not see the run as a password.
 */
static char *
canary(const char *s, const char *p, size_t at, char **run)
{
	static const char letters[] = "QZXJKVWqzxjkvwYGFPBHUMCLDRONITSEA"
	    "ygfpbhumcldronitsea";
	struct pw pw = { { NULL }, 0 };
	size_t n = strlen(p), i;
	const char *l;
	char *t;
	int found = 0;

	for (l = letters; *l != '\0' && strchr(s, *l) != NULL; l++)
		;
	if (*l == '\0')
		return NULL;
	t = bk_strdup(s);
	memset(t + at, *l, n);
	*run = bk_malloc(n + 1);
	memset(*run, *l, n);
	(*run)[n] = '\0';
	if (passwords(t, &pw, 1) == 0)
		for (i = 0; i < (size_t)pw.n; i++)
			found |= strcmp(pw.v[i], *run) == 0;
	pw_free(&pw);
	if (!found) {
		free(t);
		free(*run);
		return NULL;
	}
	return t;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	bk_init(*argc, *argv);
	/* libpq's environment must not add to what the strings hold. */
	unsetenv("PGPASSWORD");
	unsetenv("PGSERVICE");
	unsetenv("PGSERVICEFILE");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw pw = { { NULL }, 0 };
	char *s, *out, *t, *run;
	const char *at;
	int i;

	if ((s = fuzz_string(data, size)) == NULL)
		return 0;
	out = strip(s);
	free(out);
	if (passwords(s, &pw, 1) < 0) {
		free(s);
		return 0;
	}
	/* A run of three letters is nowhere in a keyword bk might add. */
	for (i = 0; i < pw.n; i++) {
		if (strlen(pw.v[i]) < 3)
			continue;
		for (at = strstr(s, pw.v[i]); at != NULL;
		    at = strstr(at + 1, pw.v[i])) {
			if ((t = canary(s, pw.v[i], (size_t)(at - s),
			    &run)) == NULL)
				continue;
			out = strip(t);
			if (strstr(out, run) != NULL)
				fuzz_fail("password \"%s\" left in \"%s\", "
				    "stripped from \"%s\"", run, out, t);
			free(out);
			free(run);
			free(t);
			break;
		}
	}
	pw_free(&pw);
	free(s);
	return 0;
}
