/* t-policy.c: the retention decision of policy.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "tap.h"

#define DAY	86400
#define MAXB	16

static struct bk_backup b[MAXB];
static size_t nb;

/* Adds a backup made at an RFC 3339 date, in the offset it names. */
static void
add(const char *when, const char *type, int good)
{
	time_t t;
	long off;

	if (bk_parse_date(when, &t, &off) < 0) {
		printf("Bail out! bad date %s\n", when);
		exit(1);
	}
	memset(&b[nb], 0, sizeof(b[nb]));
	b[nb].t = t;
	b[nb].utc_offset = off;
	b[nb].type = type;
	b[nb].good = good;
	nb++;
}

/* The decisions as a string of k and r, newest first. */
static const char *
kept(void)
{
	static char s[MAXB + 1];
	size_t i;

	for (i = 0; i < nb; i++)
		s[i] = b[i].keep ? 'k' : 'r';
	s[nb] = '\0';
	return s;
}

static const char *
why(const struct bk_policy *p, size_t i)
{
	static char s[256];

	bk_policy_reasons(s, sizeof(s), p, &b[i]);
	return s;
}

static time_t
date(const char *when)
{
	time_t t;

	bk_parse_date(when, &t, NULL);
	return t;
}

static void
test_empty(void)
{
	struct bk_policy p;

	memset(&p, 0, sizeof(p));
	ok(bk_policy_empty(&p), "a policy of zeros is empty");
	p.max_age = 1;
	ok(!bk_policy_empty(&p), "max-age alone is a policy");
	p.max_age = 0;
	p.keep_yearly = BK_KEEP_ALL;
	ok(!bk_policy_empty(&p), "unlimited yearly is a policy");
}

static void
test_counts(void)
{
	struct bk_policy p;
	time_t now = date("2024-06-30T00:00:00Z");

	memset(&p, 0, sizeof(p));
	nb = 0;
	add("2024-06-05T18:00:00Z", "d", 1);
	add("2024-06-05T02:00:00Z", "d", 1);
	add("2024-06-04T02:00:00Z", "d", 1);
	add("2024-06-03T23:00:00Z", "d", 1);
	add("2024-06-03T01:00:00Z", "d", 1);
	add("2024-06-01T01:00:00Z", "d", 1);
	p.keep_last = 2;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "kkrrrr", "keep-last 2 keeps the two newest");
	is_str(why(&p, 0), "last snapshot", "the reason of keep-last");
	is_str(why(&p, 2), "no rule keeps it", "the reason of a removal");

	p.keep_last = 0;
	p.keep_daily = 2;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krkrrr", "keep-daily 2: the newest of two days");

	p.keep_daily = 10;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krkkrk", "keep-daily 10: one a day, oldest too");
	is_str(why(&p, 5), "daily snapshot", "a day of its own is daily");

	nb--;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krkkk", "count left at the oldest keeps it");
	is_str(why(&p, 4), "oldest daily snapshot", "and says why");

	p.keep_daily = BK_KEEP_ALL;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krkkk", "unlimited daily: every day, and the oldest");

	p.keep_daily = 3;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krkkr", "a count used up keeps no oldest");

	p.keep_daily = 1;
	p.keep_hourly = 3;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "kkkrr", "rules combine (or)");
	is_str(why(&p, 0), "hourly snapshot, daily snapshot",
	    "one backup satisfies two rules");
}

static void
test_periods(void)
{
	struct bk_policy p;
	time_t now = date("2025-06-30T00:00:00Z");

	memset(&p, 0, sizeof(p));
	nb = 0;
	/* 2021-01-03 is the Sunday of ISO week 2020-W53. */
	add("2021-01-04T10:00:00Z", "w", 1);
	add("2021-01-03T10:00:00Z", "w", 1);
	add("2020-12-31T10:00:00Z", "w", 1);
	add("2020-12-27T10:00:00Z", "w", 1);
	p.keep_weekly = 3;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "kkrk", "ISO weeks cross the new year");

	p.keep_weekly = 0;
	p.keep_yearly = 5;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krkk", "yearly: the newest of each year, then oldest");
	is_str(why(&p, 3), "oldest yearly snapshot", "the oldest is marked");

	p.keep_yearly = 0;
	p.keep_monthly = 2;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krkr", "monthly");

	/*
	 * The same instants seen in their own offsets: 23:30 at -03:00 is
	 * still the first of March, though in UTC it is the second.
	 */
	nb = 0;
	add("2024-03-01T23:30:00-03:00", "o", 1);
	add("2024-03-02T01:00:00+00:00", "o", 1);
	add("2024-03-01T12:00:00+00:00", "o", 1);
	p.keep_monthly = 0;
	p.keep_daily = 2;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "kkr", "days in the offset each backup recorded");
	nb = 0;
	add("2024-03-02T02:30:00Z", "o", 1);
	add("2024-03-02T01:00:00+00:00", "o", 1);
	add("2024-03-01T12:00:00+00:00", "o", 1);
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krk", "the same instants in UTC fall on other days");

	nb = 0;
	add("2024-03-02T10:59:00+05:30", "h", 1);
	add("2024-03-02T10:01:00+05:30", "h", 1);
	add("2024-03-02T09:59:00+05:30", "h", 1);
	p.keep_daily = 0;
	p.keep_hourly = 2;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krk", "hours of a half-hour offset");
}

static void
test_within(void)
{
	struct bk_policy p;
	time_t now = date("2024-07-01T00:00:00Z");

	memset(&p, 0, sizeof(p));
	nb = 0;
	add("2024-06-10T12:00:00Z", "x", 1);
	add("2024-06-09T12:00:00Z", "x", 1);
	add("2024-06-08T12:00:00Z", "x", 1);
	add("2024-06-01T12:00:00Z", "x", 1);
	p.keep_within = 2 * DAY;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "kkrr", "within counts from the newest; the limit "
	    "itself is out");
	is_str(why(&p, 1), "within 2d", "the reason of within");

	/* A backup in the future does not move "the newest". */
	nb = 0;
	add("2024-07-05T12:00:00Z", "x", 1);
	add("2024-06-10T12:00:00Z", "x", 1);
	add("2024-06-09T13:00:00Z", "x", 1);
	add("2024-06-01T12:00:00Z", "x", 1);
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "kkkr", "within ignores backups in the future");
}

static void
test_max_age(void)
{
	struct bk_policy p;
	time_t now = date("2024-07-01T00:00:00Z");

	memset(&p, 0, sizeof(p));
	nb = 0;
	add("2024-06-30T02:00:00Z", "d", 1);
	add("2024-06-25T02:00:00Z", "d", 1);
	add("2024-06-20T02:00:00Z", "d", 1);
	add("2024-06-01T02:00:00Z", "d", 1);
	p.max_age = 7 * DAY;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "kkrr", "max-age counts from now");
	is_str(why(&p, 0), "newer than 7d", "the reason to keep");
	is_str(why(&p, 2), "older than 7d", "the reason to remove");

	p.keep_daily = 10;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "kkrr", "max-age is a hard limit over the rules");
	is_str(why(&p, 3), "older than 7d", "even for the oldest");

	p.keep_daily = 0;
	now = date("2025-01-01T00:00:00Z");
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krrr", "the newest of a type is never removed");
	is_str(why(&p, 0), "newest of its type", "and says so");
}

static void
test_protections(void)
{
	struct bk_policy p;
	time_t now = date("2024-07-01T00:00:00Z");

	memset(&p, 0, sizeof(p));
	nb = 0;
	add("2024-06-30T02:00:00Z", "d", BK_GOOD_NONE);
	add("2024-06-29T02:00:00Z", "d", BK_GOOD_NONE);
	add("2024-06-28T02:00:00Z", "d", BK_GOOD_LISTED);
	add("2024-06-27T02:00:00Z", "d", BK_GOOD_VERIFIED);
	add("2024-06-26T02:00:00Z", "d", BK_GOOD_VERIFIED);
	p.keep_last = 1;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "krkkr", "the newest good and newest verified stay");
	is_str(why(&p, 2), "newest good backup", "the reason");

	p.keep_last = 0;
	p.max_age = DAY;
	bk_policy_apply(&p, b, nb, date("2030-01-01T00:00:00Z"));
	is_str(kept(), "krkkr", "also against max-age");

	/* Each type is a group of its own. */
	nb = 0;
	add("2024-06-30T02:00:00Z", "daily", 1);
	add("2024-06-29T03:00:00Z", "weekly", 1);
	add("2024-06-29T02:00:00Z", "daily", 1);
	add("2024-06-22T03:00:00Z", "weekly", 1);
	add("2024-06-20T02:00:00Z", NULL, 1);
	add("2024-06-19T02:00:00Z", NULL, 1);
	p.max_age = 0;
	p.keep_last = 1;
	bk_policy_apply(&p, b, nb, now);
	is_str(kept(), "kkrrkr", "the rules count within each type");
}

static void
test_format(void)
{
	char buf[32];

	bk_format_duration(buf, sizeof(buf), 30 * DAY);
	is_str(buf, "30d", "30d");
	bk_format_duration(buf, sizeof(buf), DAY + 12 * 3600);
	is_str(buf, "1d12h", "1d12h");
	bk_format_duration(buf, sizeof(buf), 365 * DAY);
	is_str(buf, "1y", "1y");
	bk_format_duration(buf, sizeof(buf), 5400);
	is_str(buf, "1h30m", "1h30m");
	bk_format_duration(buf, sizeof(buf), 0);
	is_str(buf, "0s", "0s");
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_empty();
	test_counts();
	test_periods();
	test_within();
	test_max_age();
	test_protections();
	test_format();
	return tap_done();
}
