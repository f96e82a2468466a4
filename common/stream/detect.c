/* detect.c: tell a layer by its first bytes, not by its name. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "stream/stream.h"

static int
has_prefix(const unsigned char *p, size_t n, const char *magic, size_t len)
{
	return n >= len && memcmp(p, magic, len) == 0;
}

/* The SQL words a script may start with, after comments and blanks. */
static int
starts_like_sql(const unsigned char *p, size_t n)
{
	static const char *words[] = { "BEGIN", "CREATE", "INSERT", "COPY",
	    "SET", "PRAGMA", "SELECT", "DROP", "ALTER", "START", "\\", NULL };
	size_t i, len;

	while (n > 0 && isspace(*p)) {
		p++;
		n--;
	}
	if (n >= 2 && p[0] == '-' && p[1] == '-')
		return 1;
	for (i = 0; words[i] != NULL; i++) {
		len = strlen(words[i]);
		if (n >= len && strncasecmp((const char *)p, words[i], len) == 0)
			return 1;
	}
	return 0;
}

enum bk_layer
bk_detect(const void *buf, size_t n)
{
	const unsigned char *p = buf;

	if (n == 0)
		return BK_LAYER_EMPTY;
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return BK_LAYER_GZIP;
	/*
	 * A zstd frame, or a skippable frame (0x184D2A50 to 5F); a whole
	 * input that is the first bytes of the zstd magic is a cut frame.
	 */
	if (has_prefix(p, n, "\x28\xb5\x2f\xfd", 4) || (n >= 4 &&
	    (p[0] & 0xf0) == 0x50 && memcmp(p + 1, "\x2a\x4d\x18", 3) == 0))
		return BK_LAYER_ZSTD;
	if (n >= 2 && n < 4 && memcmp(p, "\x28\xb5\x2f", n) == 0)
		return BK_LAYER_ZSTD;
	if (has_prefix(p, n, "age-encryption.org/v1\n", 22))
		return BK_LAYER_AGE;
	if (has_prefix(p, n, "-----BEGIN AGE ENCRYPTED FILE-----", 34))
		return BK_LAYER_AGE_ARMOR;
	if (has_prefix(p, n, "SQLite format 3", 16))
		return BK_LAYER_SQLITE;
	if (has_prefix(p, n, "PGDMP", 5))
		return BK_LAYER_PGARCHIVE;
	/* pg_dump -Ft: a ustar archive whose first member is toc.dat. */
	if (n >= 263 && has_prefix(p, n, "toc.dat\0", 8) &&
	    memcmp(p + 257, "ustar", 5) == 0)
		return BK_LAYER_PGTAR;
	if (memchr(p, '\0', n) != NULL)
		return BK_LAYER_UNKNOWN;
	if (has_prefix(p, n, "--\n-- PostgreSQL database dump", 30))
		return BK_LAYER_PGDUMP;
	if (has_prefix(p, n, "--\n-- PostgreSQL database cluster dump", 38))
		return BK_LAYER_PGDUMPALL;
	if (starts_like_sql(p, n))
		return BK_LAYER_SQL;
	if (p[0] == '{')
		return BK_LAYER_JSONL;
	return BK_LAYER_CSV;
}

const char *
bk_layer_name(enum bk_layer l)
{
	switch (l) {
	case BK_LAYER_GZIP:		return "gzip";
	case BK_LAYER_ZSTD:		return "zstd";
	case BK_LAYER_AGE:		return "age";
	case BK_LAYER_AGE_ARMOR:	return "age-armor";
	case BK_LAYER_SQLITE:		return "sqlite";
	case BK_LAYER_PGDUMP:		return "pg_dump";
	case BK_LAYER_PGARCHIVE:	return "pg_dump-custom";
	case BK_LAYER_PGTAR:		return "pg_dump-tar";
	case BK_LAYER_PGDUMPALL:	return "pg_dumpall";
	case BK_LAYER_SQL:		return "sql";
	case BK_LAYER_JSONL:		return "jsonl";
	case BK_LAYER_CSV:		return "csv";
	case BK_LAYER_EMPTY:		return "empty";
	default:			return "unknown";
	}
}

int
bk_layer_pgarchive(enum bk_layer l)
{
	return l == BK_LAYER_PGARCHIVE || l == BK_LAYER_PGTAR;
}
