/*
 * cleanup.c: the multipart uploads that were begun and never completed
 * nor aborted (a put killed by SIGKILL, a machine that died), whose parts
 * the store keeps, and bills, until someone aborts them.  They are
 * listed page by page (s3_list: ListMultipartUploads, with its key and
 * upload id markers), and each old one is aborted as it is listed, which
 * the markers do not mind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3.h"

struct cleaner {
	struct s3		*s3;
	const struct s3_opts	*o;
	time_t			 now;
	uint64_t		 seen, aborted, kept;
	int			 code;		/* of the first failure */
};

/* An id that can be sent back: not empty, no control byte, not huge. */
static int
good_id(const char *id)
{
	const char *p;

	if (id == NULL || id[0] == '\0' || strlen(id) > 1024)
		return 0;
	for (p = id; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * Aborts one upload (its id in version, its start in modified), or keeps
 * it, or says what -n would do.
 */
static int
clean_one(void *arg, const struct s3_entry *e)
{
	struct cleaner *c = arg;
	struct s3_resp resp;
	char *name;
	time_t t;
	long off;

	c->seen++;
	name = s3_name(c->o->bucket, e->key);
	if (e->key == NULL || !good_id(e->version) || e->modified == NULL ||
	    bk_parse_date(e->modified, &t, &off) == -1) {
		bk_warnx("\"%s\": an upload of the listing without a usable "
		    "key, id or date: kept", name);
		c->kept++;
		goto out;
	}
	if (t > c->now || c->now - t < c->o->older_than) {
		bk_info("\"%s\": upload %s, initiated %s: kept", name,
		    e->version, e->modified);
		c->kept++;
		goto out;
	}
	if (c->o->dry_run) {
		printf("would abort %s (upload %s, initiated %s)\n", name,
		    e->version, e->modified);
		goto out;
	}
	if (s3_abort(c->s3, c->o->bucket, e->key, e->version, &resp) == 0) {
		printf("aborted %s (upload %s, initiated %s)\n", name,
		    e->version, e->modified);
		c->aborted++;
	} else if (resp.status == 404) {
		/* Completed or aborted by another since it was listed. */
		bk_info("\"%s\": upload %s is gone already", name, e->version);
	} else {
		bk_warnx("could not abort upload %s of \"%s\": %s%s%s",
		    e->version, name, resp.transport ? resp.why :
		    resp.code[0] != '\0' ? resp.code : "refused",
		    resp.message[0] != '\0' ? ": " : "", resp.message);
		if (c->code == BK_EX_OK)
			c->code = s3_exit_code(&resp);
	}
	s3_resp_free(&resp);
out:
	free(name);
	return 0;
}

int
s3_cmd_cleanup(struct s3 *s3, const struct s3_opts *o)
{
	struct cleaner c;
	char *name;

	memset(&c, 0, sizeof(c));
	c.s3 = s3;
	c.o = o;
	c.now = time(NULL);
	c.code = BK_EX_OK;
	s3_list(s3, o->bucket, o->key, o->page_size, S3_LIST_UPLOADS,
	    clean_one, &c);
	name = s3_name(o->bucket, o->key);
	bk_info("\"%s\": %ju incomplete uploads, %ju %s, %ju kept", name,
	    (uintmax_t)c.seen, (uintmax_t)(o->dry_run ? c.seen - c.kept :
	    c.aborted), o->dry_run ? "to abort" : "aborted",
	    (uintmax_t)c.kept);
	free(name);
	return c.code;
}
