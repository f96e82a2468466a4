/* parse.c: sizes, durations, dates, and their formatting. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"
#include "platform/internal.h"

int
bk_parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	uint64_t mult = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K': mult = 1ULL << 10; end++; break;
	case 'M': mult = 1ULL << 20; end++; break;
	case 'G': mult = 1ULL << 30; end++; break;
	case 'T': mult = 1ULL << 40; end++; break;
	default: break;
	}
	if (mult > 1 && *end == 'i')
		end++;
	if (*end == 'B' || (*end == 'b' && mult > 1))
		end++;
	if (*end != '\0')
		return -1;
	v *= (double)mult;
	if (v >= 18446744073709551615.0)
		return -1;
	*out = (uint64_t)v;
	/* A fraction of a byte is not a size. */
	if ((double)*out != v)
		return -1;
	return 0;
}

int
bk_parse_duration(const char *s, int64_t *out)
{
	int64_t total = 0, n, unit;
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno != 0)
			return -1;
		switch (*end) {
		case '\0':
			/* A bare number is seconds, only on its own. */
			if (total != 0)
				return -1;
			unit = 1;
			break;
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		case 'y': unit = 365 * 86400; break;
		default: return -1;
		}
		if (n > (INT64_MAX - total) / unit)
			return -1;
		total += n * unit;
		s = *end == '\0' ? end : end + 1;
	}
	*out = total;
	return 0;
}

/*
 * A whole number written in decimal digits only (strtol alone would take
 * a sign and leading blanks), from lo to hi: 0 with *v set, else -1.
 */
int
bk_parse_number(const char *s, long long lo, long long hi, long long *v)
{
	char *end;
	long long n;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -1;
	*v = n;
	return 0;
}

/*
 * The three tools that take the manifest's lock read -w the same way, and
 * a bad value is reported here so that their messages cannot drift apart.
 */
int
bk_parse_wait(const char *s)
{
	long long v;

	if (strcmp(s, "unlimited") == 0)
		return -1;
	if (bk_parse_number(s, 0, INT_MAX, &v) < 0)
		bk_usage_error("bad number of seconds \"%s\"", s);
	return (int)v;
}

/*
 * -j/--threads, in every tool that takes it (bk-gz, bk-csv): the same
 * range and the same message, so that the two cannot drift apart.
 */
int
bk_parse_passfd(const char *s)
{
	long long v;

	if (bk_parse_number(s, 0, INT_MAX, &v) < 0)
		bk_usage_error("bad --passphrase-fd \"%s\"", s);
	return (int)v;
}

int
bk_parse_threads(const char *s)
{
	long long v;

	if (bk_parse_number(s, 1, BK_MAX_THREADS, &v) < 0)
		bk_usage_error("bad thread count \"%s\" (1 to %d)", s,
		    BK_MAX_THREADS);
	return (int)v;
}

/* Howard Hinnant's days_from_civil, for the proleptic Gregorian calendar. */
int64_t
bk_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Its inverse: the civil date of a day number. */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int64_t y, unsigned m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

long
bk_local_offset(time_t t)
{
	struct tm tm;
	int64_t local;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	local = bk_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	    (unsigned)tm.tm_mday) * 86400 + tm.tm_hour * 3600 +
	    tm.tm_min * 60 + tm.tm_sec;
	return (long)(local - (int64_t)t);
}

/* Local civil time to time_t, letting mktime settle daylight saving. */
static int
local_to_time(int64_t y, unsigned mo, unsigned d, int h, int mi, int s,
    time_t *out)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1 && !(y == 1969 && mo == 12))
		return -1;
	*out = t;
	return 0;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
valid_civil(int y, int mo, int d, int h, int mi, int s)
{
	return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 &&
	    d <= days_in_month(y, (unsigned)mo) && h >= 0 && h <= 23 &&
	    mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

int
bk_parse_date(const char *s, time_t *t, long *off)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign;
	int have_off = 0;
	long o = 0;

	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	s += 10;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &mi))
			return -1;
		s += 5;
		if (*s == ':') {
			if (digits(s + 1, 2, &sec))
				return -1;
			s += 3;
			if (*s == '.' || *s == ',') {
				s++;
				if (!isdigit((unsigned char)*s))
					return -1;
				while (isdigit((unsigned char)*s))
					s++;
			}
		}
		if (*s == 'Z' || *s == 'z') {
			have_off = 1;
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s == '-' ? -1 : 1;
			s++;
			if (digits(s, 2, &oh))
				return -1;
			s += 2;
			if (*s == ':')
				s++;
			if (digits(s, 2, &om) || oh > 23 || om > 59)
				return -1;
			s += 2;
			o = sign * (oh * 3600L + om * 60L);
			have_off = 1;
		}
	}
	if (*s != '\0' || !valid_civil(y, mo, d, h, mi, sec))
		return -1;
	if (sec == 60)
		sec = 59;
	if (have_off) {
		*t = (time_t)(bk_days_from_civil(y, (unsigned)mo, (unsigned)d) *
		    86400 + h * 3600 + mi * 60 + sec - o);
		if (off != NULL)
			*off = o;
		return 0;
	}
	if (local_to_time(y, (unsigned)mo, (unsigned)d, h, mi, sec, t) < 0)
		return -1;
	if (off != NULL)
		*off = bk_local_offset(*t);
	return 0;
}

int
bk_parse_month(const char *s, int *year, int *month)
{
	int i;

	if (strlen(s) != 7 || s[4] != '-')
		return -1;
	for (i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*year = atoi(s);
	*month = atoi(s + 5);
	return *year >= 1 && *month >= 1 && *month <= 12 ? 0 : -1;
}

/*
 * Matches a pattern at s: '9' a digit, 'S' one of "-_", 'T' one of "T_ -",
 * 'C' one of ":-_" or nothing else; any other character itself.  The match
 * must not be followed by a digit.
 */
static int
match_at(const char *s, const char *pat)
{
	for (; *pat != '\0'; pat++, s++) {
		switch (*pat) {
		case '9':
			if (!isdigit((unsigned char)*s))
				return 0;
			break;
		case 'S':
			if (*s != '-' && *s != '_')
				return 0;
			break;
		case 'T':
			if (*s != 'T' && *s != '_' && *s != ' ' && *s != '-')
				return 0;
			break;
		case 'C':
			if (*s != ':' && *s != '-' && *s != '_')
				return 0;
			break;
		default:
			if (*s != *pat)
				return 0;
		}
	}
	return !isdigit((unsigned char)*s);
}

int
bk_parse_name_date(const char *name, time_t *out)
{
	static const struct {
		const char *pat;
		int y, mo, d, h, mi, s;	/* offsets, -1 when absent */
	} pats[] = {
		{ "9999S99S99T99C99C99", 0, 5, 8, 11, 14, 17 },
		{ "99999999T999999", 0, 4, 6, 9, 11, 13 },
		{ "9999S99S99", 0, 5, 8, -1, -1, -1 },
		{ "99999999", 0, 4, 6, -1, -1, -1 },
		{ "9999S99", 0, 5, -1, -1, -1, -1 },
	};
	const char *p;
	size_t i;
	int y = 0, mo = 0, d, h, mi, s;

	for (p = name; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) ||
		    (p > name && isdigit((unsigned char)p[-1])))
			continue;
		for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			if (!match_at(p, pats[i].pat))
				continue;
			d = 1;
			h = mi = s = 0;
			digits(p + pats[i].y, 4, &y);
			digits(p + pats[i].mo, 2, &mo);
			if (pats[i].d >= 0)
				digits(p + pats[i].d, 2, &d);
			if (pats[i].h >= 0) {
				digits(p + pats[i].h, 2, &h);
				digits(p + pats[i].mi, 2, &mi);
				digits(p + pats[i].s, 2, &s);
			}
			if (y < 1970 || y > 2999 ||
			    !valid_civil(y, mo, d, h, mi, s))
				continue;
			if (local_to_time(y, (unsigned)mo, (unsigned)d, h, mi,
			    s, out) == 0)
				return 0;
		}
	}
	return -1;
}

void
bk_format_rfc3339(char *buf, size_t n, time_t t, long off)
{
	int64_t local, days, y;
	unsigned mo, d;
	long secs, a;

	/*
	 * RFC 3339 offsets are whole minutes; local mean time is not
	 * (Berlin before 1893 is +00:53:28): the next whole minute up, so
	 * that the text still names the instant t, and a local 0001-01-01
	 * stays in year 1.
	 */
	off += (60 - off % 60) % 60;
	local = (int64_t)t + off;
	days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	secs = (long)(local - days * 86400);
	civil_from_days(days, &y, &mo, &d);
	if (off == 0) {
		snprintf(buf, n, "%04" PRId64 "-%02u-%02uT%02ld:%02ld:%02ldZ",
		    y, mo, d, secs / 3600, secs / 60 % 60, secs % 60);
		return;
	}
	a = off < 0 ? -off : off;
	snprintf(buf, n, "%04" PRId64 "-%02u-%02uT%02ld:%02ld:%02ld%c%02ld:%02ld",
	    y, mo, d, secs / 3600, secs / 60 % 60, secs % 60,
	    off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

void
bk_format_size(char *buf, size_t n, uint64_t v)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB" };
	double x = (double)v;
	int u = 0;

	while (x >= 1024 && u < 5) {
		x /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%" PRIu64 " B", v);
	else
		snprintf(buf, n, "%.1f %s", x, units[u]);
}

/*
 * An ISO 8601 week belongs to the year of its Thursday and is numbered
 * from the week holding that year's first Thursday.  1970-01-01 was a
 * Thursday: wd is 0 on Mondays.
 */
void
bk_calendar_at(time_t t, long off, struct bk_calendar *c)
{
	int64_t local, days, thursday;
	unsigned m, d;
	int wd;

	local = (int64_t)t + off;
	days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	c->hour = (unsigned)((local - days * 86400) / 3600);
	civil_from_days(days, &c->year, &c->month, &c->day);
	wd = (int)((days % 7 + 7 + 3) % 7);
	thursday = days - wd + 3;
	civil_from_days(thursday, &c->iso_year, &m, &d);
	c->iso_week = (unsigned)((thursday -
	    bk_days_from_civil(c->iso_year, 1, 1)) / 7 + 1);
}

void
bk_format_duration(char *buf, size_t n, int64_t s)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' }
	};
	size_t i, len = 0;

	if (n == 0)
		return;
	buf[0] = '\0';
	if (s > 0 && s % (365 * 86400) == 0) {
		snprintf(buf, n, "%" PRId64 "y", s / (365 * 86400));
		return;
	}
	if (s == 0) {
		snprintf(buf, n, "0s");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && len < n; i++) {
		if (s < units[i].secs)
			continue;
		len += (size_t)snprintf(buf + len, n - len, "%" PRId64 "%c",
		    s / units[i].secs, units[i].unit);
		s %= units[i].secs;
	}
}
