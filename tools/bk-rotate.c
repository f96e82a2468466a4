/*
 * bk-rotate: applies a retention policy to a backup tree.  The backups
 * come from the manifest (one group per type), from the entries of a
 * folder that look like backups, or from the objects of a folder of an S3
 * bucket (through bk-s3); policy.c decides; a dry run prints the
 * decision, --delete removes what is not kept with the checksum files
 * written beside it, never following a symbolic link and never leaving the
 * tree, and never an object under lock.  With a manifest, the lines go
 * first and the files after, so that the manifest never names a file that
 * is gone.
 *
 * This file has main(), the options, the decision and the lines that
 * print it, and the run; the backups are loaded and deleted in
 * tools/rotate/ (see rotate.h).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"

static const char usage[] =
"usage: bk-rotate [-nqv] [-m manifest | --dir dir] [-T type]\n"
"                 [--keep-last n] [--keep-hourly n] [--keep-daily n]\n"
"                 [--keep-weekly n] [--keep-monthly n] [--keep-yearly n]\n"
"                 [--keep-within duration] [--max-age duration] [--now date]\n"
"                 [--delete] [-w seconds | --no-wait]\n";

/*
 * How long to wait for the manifest's lock by default.  Unlike
 * bk-manifest add, which must record its backup and waits for ever, a
 * rotation can give up (75) and run again next time.
 */
#define LOCK_WAIT	60

#include "rotate/rotate.h"

enum {
	OPT_DIR = 256, OPT_LAST, OPT_HOURLY, OPT_DAILY, OPT_WEEKLY,
	OPT_MONTHLY, OPT_YEARLY, OPT_WITHIN, OPT_MAX_AGE, OPT_NOW, OPT_DELETE,
	OPT_NO_WAIT, OPT_VERSION
};

static const struct option longopts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "manifest", required_argument, NULL, 'm' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "type", required_argument, NULL, 'T' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "wait", required_argument, NULL, 'w' },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "keep-last", required_argument, NULL, OPT_LAST },
	{ "keep-hourly", required_argument, NULL, OPT_HOURLY },
	{ "keep-daily", required_argument, NULL, OPT_DAILY },
	{ "keep-weekly", required_argument, NULL, OPT_WEEKLY },
	{ "keep-monthly", required_argument, NULL, OPT_MONTHLY },
	{ "keep-yearly", required_argument, NULL, OPT_YEARLY },
	{ "keep-within", required_argument, NULL, OPT_WITHIN },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "delete", no_argument, NULL, OPT_DELETE },
	{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* A count: a number of periods, or "unlimited" for all of them. */
static int
parse_count(const char *opt, const char *s)
{
	long long v;

	if (strcmp(s, "unlimited") == 0)
		return BK_KEEP_ALL;
	if (bk_parse_number(s, 0, INT_MAX, &v) < 0)
		bk_errx(BK_EX_USAGE, "invalid count for --%s: \"%s\"", opt,
		    s);
	return (int)v;
}

static int64_t
parse_age(const char *opt, const char *s)
{
	int64_t v;

	if (bk_parse_duration(s, &v) < 0 || v <= 0)
		bk_errx(BK_EX_USAGE, "invalid duration for --%s: \"%s\"",
		    opt, s);
	return v;
}

/* Newest first; equal times keep the input order. */
static int
cmp_items(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->t != y->t)
		return x->t > y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
decide(struct rotate *r)
{
	size_t i;

	if (r->n > 0)
		qsort(r->items, r->n, sizeof(*r->items), cmp_items);
	r->b = bk_calloc(r->n == 0 ? 1 : r->n, sizeof(*r->b));
	for (i = 0; i < r->n; i++) {
		r->b[i].t = r->items[i].t;
		r->b[i].utc_offset = r->items[i].off;
		r->b[i].type = r->items[i].type;
		r->b[i].good = r->items[i].good;
	}
	bk_policy_apply(&r->policy, r->b, r->n, r->now);
}

/* A checksum object that its lock keeps, though its backup goes. */
static void
print_held_sidecar(const struct rotate *r, const struct item *it, size_t j)
{
	char *key = bk_asprintf("%s%s", it->obj->key, sidecar_suffixes[j]);

	printf("keep %s%s (checksum of %s, %s)\n", it->path,
	    sidecar_suffixes[j], it->path, remote_lock(r, key));
	free(key);
}

/*
 * One line per backup, newest first; a backup's checksum files follow it,
 * one "remove" line each, so that the lines beginning "remove" name every
 * file --delete removes.  A remote backup held by its lock says so after
 * the policy's reasons, and so does a checksum object held by its own.
 */
static void
print_decisions(struct rotate *r)
{
	char why[512];
	const struct item *it;
	size_t i, j, kept = 0, held = 0, sides = 0;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		kept += r->b[i].keep;
		held += it->held;
		for (j = 0; sidecar_suffixes[j] != NULL; j++)
			sides += (it->sidecars >> j) & 1;
		if (bk_verbosity() < 0)
			continue;
		bk_policy_reasons(why, sizeof(why), &r->policy, &r->b[i]);
		printf("%s %s (%s%s%s%s)\n", r->b[i].keep ? "keep" : "remove",
		    it->path, why, it->missing ? ", missing" : "",
		    it->held ? ", " : "", it->held ? it->obj->lock : "");
		for (j = 0; sidecar_suffixes[j] != NULL; j++)
			if (it->sidecars & 1u << j)
				printf("remove %s%s (checksum of %s)\n",
				    it->path, sidecar_suffixes[j], it->path);
			else if (it->sideheld & 1u << j)
				print_held_sidecar(r, it, j);
	}
	if (held > 0)
		snprintf(why, sizeof(why), " (%zu under lock)", held);
	else
		why[0] = '\0';
	if (sides > 0)
		bk_info("%zu kept%s, %zu to remove, with %zu checksum file%s",
		    kept, why, r->n - kept, sides, sides == 1 ? "" : "s");
	else
		bk_info("%zu kept%s, %zu to remove", kept, why, r->n - kept);
}

static void
free_all(struct rotate *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->items[i].path);
	free(r->items);
	free(r->b);
	for (i = 0; i < r->nobjs; i++) {
		free(r->objs[i].key);
		free(r->objs[i].modified);
		free(r->objs[i].lock);
	}
	free(r->objs);
	free(r->folder);
	if (r->remote != NULL)
		return;
	if (r->dir != NULL) {
		if (r->rootfd >= 0)
			close(r->rootfd);
	} else {
		if (r->rootfd >= 0 && r->rootfd != r->m.dirfd)
			close(r->rootfd);
		bk_manifest_free(&r->m);
	}
}

static int
rotate(struct rotate *r)
{
	struct gone g;

	if (r->remote != NULL)
		load_remote(r);
	else if (r->dir != NULL)
		load_dir(r);
	else {
		bk_manifest_init(&r->m, r->manifest);
		r->m.wait = r->wait;
		load_manifest(r);
	}
	decide(r);
	if (r->remote != NULL)
		plan_remote(r);
	else
		find_sidecars(r);
	print_decisions(r);
	/* The decisions reach stdout before anything is removed. */
	if (fflush(stdout) != 0)
		bk_err(BK_EX_IOERR, "could not write standard output");
	if (r->delete && r->remote != NULL)
		delete_remote(r);
	else if (r->delete && r->dir != NULL)
		delete_removed(r);
	else if (r->delete) {
		/*
		 * The lines go first: a failure or a crash after that leaves
		 * files without a line (which bk-verify reports), never lines
		 * naming files that are gone.
		 */
		refuse_removals(r);
		drop_lines(r, &g);
		delete_removed(r);
		put_back(r, &g);
	}
	free_all(r);
	return r->status;
}

static const char optstring[] = "hm:nqT:vw:";

/* The options into r, the verbosity set as they come. */
static void
parse_options(struct rotate *r, int argc, char *argv[])
{
	long off;
	int c;

	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'h':
			bk_print_usage(usage);
		case 'm':
			r->manifest = optarg;
			break;
		case 'q':
			bk_set_verbosity(-1);
			break;
		case 'n':
			r->dry_run = 1;
			break;
		case 'T':
			r->type = optarg;
			break;
		case 'v':
			bk_set_verbosity(1);
			break;
		case 'w':
			r->wait = bk_parse_wait(optarg);
			break;
		case OPT_DIR:
			/* A folder of a bucket is a folder too. */
			if (strncmp(optarg, "s3://", 5) == 0)
				r->remote = optarg;
			else
				r->dir = optarg;
			break;
		case OPT_LAST:
			r->policy.keep_last = parse_count("keep-last", optarg);
			break;
		case OPT_HOURLY:
			r->policy.keep_hourly = parse_count("keep-hourly",
			    optarg);
			break;
		case OPT_DAILY:
			r->policy.keep_daily = parse_count("keep-daily",
			    optarg);
			break;
		case OPT_WEEKLY:
			r->policy.keep_weekly = parse_count("keep-weekly",
			    optarg);
			break;
		case OPT_MONTHLY:
			r->policy.keep_monthly = parse_count("keep-monthly",
			    optarg);
			break;
		case OPT_YEARLY:
			r->policy.keep_yearly = parse_count("keep-yearly",
			    optarg);
			break;
		case OPT_WITHIN:
			r->policy.keep_within = parse_age("keep-within",
			    optarg);
			break;
		case OPT_MAX_AGE:
			r->policy.max_age = parse_age("max-age", optarg);
			break;
		case OPT_NOW:
			if (bk_parse_date(optarg, &r->now, &off) < 0)
				bk_errx(BK_EX_USAGE, "invalid date for "
				    "--now: \"%s\"", optarg);
			break;
		case OPT_DELETE:
			r->delete = 1;
			break;
		case OPT_NO_WAIT:
			r->wait = 0;
			break;
		case OPT_VERSION:
			bk_print_version();
		default:
			bk_bad_option(argv, optstring);
		}
	}
	if (optind != argc)
		bk_errx(BK_EX_USAGE, "unexpected argument \"%s\"",
		    argv[optind]);
}

/* The combinations refused, and an empty policy. */
static void
check_options(struct rotate *r)
{
	if (r->dry_run && r->delete)
		bk_errx(BK_EX_USAGE, "-n and --delete exclude each other");
	if ((r->dir != NULL || r->remote != NULL) && r->manifest != NULL)
		bk_errx(BK_EX_USAGE, "-m and --dir cannot be used together");
	if (r->dir != NULL && r->remote != NULL)
		bk_errx(BK_EX_USAGE, "--dir names one folder, here or in a "
		    "bucket");
	if ((r->dir != NULL || r->remote != NULL) && r->type != NULL)
		bk_errx(BK_EX_USAGE, "--type needs a manifest; with --dir, "
		    "name the type's folder");
	/* Like restic, an empty policy is refused rather than keep nothing. */
	if (bk_policy_empty(&r->policy))
		bk_errx(BK_EX_USAGE, "no retention policy: give at least one "
		    "of --keep-* or --max-age");
	if (r->remote != NULL)
		check_remote(r);
}

int
main(int argc, char *argv[])
{
	struct rotate r;

	bk_init(argc, argv);
	memset(&r, 0, sizeof(r));
	r.rootfd = -1;
	r.now = time(NULL);
	r.wait = LOCK_WAIT;
	parse_options(&r, argc, argv);
	check_options(&r);
	return bk_finish(rotate(&r));
}
