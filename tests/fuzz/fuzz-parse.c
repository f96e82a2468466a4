/*
 * fuzz-parse.c: the parsers of sizes, durations and dates (parse.c), each
 * given the whole input as a string, in a time zone with daylight saving.
 * Properties: what parses formats back to itself (a duration through
 * bk_format_duration, a date through bk_format_rfc3339, at the same
 * instant and offset in minutes); a date in a file name lies in 1970-2999.
 * (bk_parse_wait exits on a bad value, by design: it is not run here.)
 */
#include "fuzz.h"
#include "platform/platform.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	bk_init(*argc, *argv);
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, buf[64], buf2[64];
	uint64_t sz;
	int64_t d, d2;
	time_t t, t2;
	long off, off2;

	if ((s = fuzz_string(data, size)) == NULL)
		return 0;
	if (bk_parse_size(s, &sz) == 0)
		bk_format_size(buf, sizeof(buf), sz);

	if (bk_parse_duration(s, &d) == 0) {
		if (d < 0)
			fuzz_fail("duration \"%s\" is %lld", s, (long long)d);
		bk_format_duration(buf, sizeof(buf), d);
		if (bk_parse_duration(buf, &d2) < 0 || d2 != d)
			fuzz_fail("duration \"%s\": %lld, formatted \"%s\"",
			    s, (long long)d, buf);
	}

	if (bk_parse_date(s, &t, &off) == 0) {
		bk_format_rfc3339(buf, sizeof(buf), t, off);
		/* Offsets are written in whole minutes, rounded up. */
		if (bk_parse_date(buf, &t2, &off2) < 0 || t2 != t ||
		    off2 != off + (60 - off % 60) % 60)
			fuzz_fail("date \"%s\": %lld %+ld, formatted \"%s\"",
			    s, (long long)t, off, buf);
		bk_format_rfc3339(buf2, sizeof(buf2), t2, off2);
		if (strcmp(buf, buf2) != 0)
			fuzz_fail("date \"%s\" formats as \"%s\", then \"%s\"",
			    s, buf, buf2);
	}

	/* Local time of 1970-01-01 to 2999-12-31, with a day's margin. */
	if (bk_parse_name_date(s, &t) == 0 &&
	    (t < -86400 || t > 32503680000LL + 86400))
		fuzz_fail("name \"%s\" dated %lld", s, (long long)t);
	free(s);
	return 0;
}
