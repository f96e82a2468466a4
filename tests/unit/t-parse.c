/* t-parse.c: sizes, durations, dates and file-name dates. */
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include "platform/internal.h"
#include "tap.h"

static void
test_sizes(void)
{
	static const struct { const char *in; uint64_t want; } good[] = {
		{ "0", 0 }, { "512", 512 }, { "64K", 65536 },
		{ "64k", 65536 }, { "1M", 1048576 }, { "1.5M", 1572864 },
		{ "1G", 1073741824 }, { "2T", 2199023255552ULL },
		{ "4KiB", 4096 }, { "4KB", 4096 }, { "10B", 10 },
	};
	static const char *bad[] = { "", "K", "-1", "1X", "1.3", "1KK",
	    "99999999999T", " 1" };
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(bk_parse_size(good[i].in, &v) == 0 && v == good[i].want,
		    "size %s", good[i].in);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(bk_parse_size(bad[i], &v) == -1, "bad size \"%s\"", bad[i]);
}

static void
test_durations(void)
{
	static const struct { const char *in; int64_t want; } good[] = {
		{ "30", 30 }, { "30s", 30 }, { "5m", 300 }, { "12h", 43200 },
		{ "30d", 2592000 }, { "2w", 1209600 }, { "1y", 31536000 },
		{ "1d12h", 129600 },
	};
	static const char *bad[] = { "", "d", "1x", "-1d", "1d2", "1.5d",
	    "99999999999999999y" };
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(bk_parse_duration(good[i].in, &v) == 0 &&
		    v == good[i].want, "duration %s", good[i].in);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(bk_parse_duration(bad[i], &v) == -1, "bad duration \"%s\"",
		    bad[i]);
}

static void
test_dates(void)
{
	time_t t;
	long off;
	char buf[40];

	ok(bk_parse_date("2024-09-01T12:00:00Z", &t, &off) == 0 &&
	    t == 1725192000 && off == 0, "RFC 3339 in UTC");
	ok(bk_parse_date("2024-09-01T14:00:00+02:00", &t, &off) == 0 &&
	    t == 1725192000 && off == 7200, "RFC 3339 with an offset");
	ok(bk_parse_date("2024-09-01T09:00:00.250-03:00", &t, &off) == 0 &&
	    t == 1725192000 && off == -10800, "fractional seconds");
	ok(bk_parse_date("2024-09-01", &t, &off) == 0 && t == 1725148800,
	    "a date alone is local midnight (TZ=UTC)");
	ok(bk_parse_date("2024-02-29 23:59", &t, &off) == 0, "leap day");
	ok(bk_parse_date("2023-02-29", &t, &off) == -1, "no leap day 2023");
	ok(bk_parse_date("2024-13-01", &t, &off) == -1, "month 13");
	ok(bk_parse_date("2024-09-01T25:00:00Z", &t, &off) == -1, "hour 25");
	ok(bk_parse_date("2024-09-01T12:00:00Zjunk", &t, &off) == -1,
	    "trailing junk");
	ok(bk_parse_date("yesterday", &t, &off) == -1, "words");

	{
		int y, m;

		ok(bk_parse_month("2025-03", &y, &m) == 0 && y == 2025 &&
		    m == 3, "a month");
		ok(bk_parse_month("2025-13", &y, &m) == -1, "month 13");
		ok(bk_parse_month("2025-00", &y, &m) == -1, "month 0");
		ok(bk_parse_month("2025-3", &y, &m) == -1, "one digit");
		ok(bk_parse_month("2025-03-01", &y, &m) == -1, "a day");
		ok(bk_parse_month("0000-01", &y, &m) == -1, "year 0");
		ok(bk_parse_month("+025-01", &y, &m) == -1, "a sign");
	}

	bk_format_rfc3339(buf, sizeof(buf), 1725192000, 0);
	is_str(buf, "2024-09-01T12:00:00Z", "format in UTC");
	bk_format_rfc3339(buf, sizeof(buf), 1725192000, -10800);
	is_str(buf, "2024-09-01T09:00:00-03:00", "format with an offset");
	bk_format_rfc3339(buf, sizeof(buf), 1725192000, 19800);
	is_str(buf, "2024-09-01T17:30:00+05:30", "format half-hour offset");
	/* Berlin's local mean time, +00:53:28: the text must name t. */
	bk_format_rfc3339(buf, sizeof(buf), -23603705608, 3208);
	ok(bk_parse_date(buf, &t, &off) == 0 && t == -23603705608 &&
	    off == 3240, "an offset with seconds names the same instant (%s)",
	    buf);
	ok(bk_days_from_civil(1970, 1, 1) == 0 &&
	    bk_days_from_civil(2000, 3, 1) == 11017, "days from civil");
}

static void
test_name_dates(void)
{
	static const struct { const char *in; time_t want; } good[] = {
		{ "db_20250627_143022.sql.gz", 1751034622 },
		{ "backup-2025-06-27T14:30:22.dump", 1751034622 },
		{ "backup_2025-06-27_14-30-22.sql", 1751034622 },
		{ "daily-2025-06-27.sql.gz", 1750982400 },
		{ "chame_2025_06_27.db", 1750982400 },
		{ "erp_20250627.sql.gz", 1750982400 },
		{ "erp_20250627.sql.zst", 1750982400 },
		{ "chame_2025_06_27.db.zst.age", 1750982400 },
		{ "backup_2024_09.csv", 1725148800 },
		{ "2024-09", 1725148800 },
	};
	static const char *bad[] = { "backup.sql", "v12345", "2024_13.csv",
	    "x_123456789.gz", "1969-01-01.sql" };
	time_t t;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(bk_parse_name_date(good[i].in, &t) == 0 &&
		    t == good[i].want, "name date %s", good[i].in);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(bk_parse_name_date(bad[i], &t) == -1, "no date in %s",
		    bad[i]);
}

static void
test_format_size(void)
{
	char buf[32];

	bk_format_size(buf, sizeof(buf), 512);
	is_str(buf, "512 B", "bytes");
	bk_format_size(buf, sizeof(buf), 1536);
	is_str(buf, "1.5 KiB", "KiB");
	bk_format_size(buf, sizeof(buf), 3ULL << 30);
	is_str(buf, "3.0 GiB", "GiB");
}

static void
test_numbers(void)
{
	static const char *bad[] = { "", "-1", "+1", " 1", "1 ", "1x", "0x10",
	    "11", "99999999999999999999", NULL };
	long long v;
	size_t i;

	ok(bk_parse_number("0", 0, 10, &v) == 0 && v == 0, "0");
	ok(bk_parse_number("10", 0, 10, &v) == 0 && v == 10, "the upper bound");
	ok(bk_parse_number("007", 0, 10, &v) == 0 && v == 7, "leading zeros");
	ok(bk_parse_number("0", 1, 10, &v) == -1, "below the lower bound");
	ok(bk_parse_number("9223372036854775807", 0, LLONG_MAX, &v) == 0 &&
	    v == LLONG_MAX, "the largest long long");
	for (i = 0; bad[i] != NULL; i++) {
		v = 42;
		ok(bk_parse_number(bad[i], 0, 10, &v) == -1 && v == 42,
		    "\"%s\" refused, nothing set", bad[i]);
	}
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_sizes();
	test_durations();
	test_dates();
	test_name_dates();
	test_format_size();
	test_numbers();
	return tap_done();
}
