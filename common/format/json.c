/*
 * json.c: the one JSON string writer of bk, and the JSON text of jansson
 * values built on it.
 *
 * bk writes JSON strings in bk-dump's JSON Lines (PostgreSQL's rows come
 * from the server's row_to_json, SQLite's from here), in bk-csv's JSON
 * Lines, and in the manifest, the restore log and bk-manifest's --json
 * output.  So that one string comes out as the same bytes from all of
 * them, the escapes are PostgreSQL's (escape_json in its json.c): the
 * short forms \b \f \n \r \t, and \u00xx in lower-case hexadecimal for
 * the other control characters.  jansson's json_dumps writes upper-case
 * hexadecimal, so the manifest's lines are laid out here too; jansson
 * still parses them and holds the values in between.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "format/format.h"

/*
 * Input bytes escaped per bk_buf_room call: the room asked for is six
 * times this (the longest escape), not six times a value that may be
 * hundreds of megabytes.
 */
#define PIECE	4096

int
bk_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;

	while (i < n) {
		if (s[i] < 0x80)
			i++;
		else if ((k = bk_utf8_seq(s + i, n - i)) == 0)
			return 0;
		else
			i += k;
	}
	return 1;
}

int
bk_json_string(struct bk_buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t start = b->len, i = 0, end, k;
	unsigned char c;
	char *o;

	bk_buf_add(b, "\"", 1);
	while (i < n) {
		end = n - i > PIECE ? i + PIECE : n;
		/* A character begun before end may run 3 bytes past it. */
		o = bk_buf_room(b, 6 * (end - i) + 3);
		while (i < end) {
			c = s[i];
			if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
				*o++ = (char)c;
				i++;
				continue;
			}
			if (c >= 0x80) {
				if ((k = bk_utf8_seq(s + i, n - i)) == 0) {
					b->len = start;
					return -1;
				}
				memcpy(o, s + i, k);
				o += k;
				i += k;
				continue;
			}
			*o++ = '\\';
			switch (c) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '\b': *o++ = 'b'; break;
			case '\f': *o++ = 'f'; break;
			case '\n': *o++ = 'n'; break;
			case '\r': *o++ = 'r'; break;
			case '\t': *o++ = 't'; break;
			default:
				*o++ = 'u';
				*o++ = '0';
				*o++ = '0';
				*o++ = hex[c >> 4];
				*o++ = hex[c & 15];
			}
			i++;
		}
		b->len = (size_t)(o - b->p);
	}
	bk_buf_add(b, "\"", 1);
	return 0;
}

/* A line break and the indentation of depth, when indenting. */
static void
put_indent(struct bk_buf *b, int indent, int depth)
{
	char *o;

	if (indent == 0)
		return;
	o = bk_buf_room(b, 1 + (size_t)indent * (size_t)depth);
	*o = '\n';
	memset(o + 1, ' ', (size_t)indent * (size_t)depth);
	b->len += 1 + (size_t)indent * (size_t)depth;
}

/* jansson holds valid UTF-8 only, so a string that is not is a bug. */
static void
put_string(struct bk_buf *b, const char *s, size_t n)
{
	if (bk_json_string(b, s, n) < 0)
		bk_errx(BK_EX_SOFTWARE, "a JSON string is not valid UTF-8");
}

static void
put_value(struct bk_buf *b, json_t *v, int indent, int depth)
{
	const char *key;
	json_t *x;
	size_t i, n;
	char *s;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		bk_buf_add(b, "{", 1);
		n = 0;
		json_object_foreach(v, key, x) {
			if (n++ > 0)
				bk_buf_add(b, ",", 1);
			put_indent(b, indent, depth + 1);
			put_string(b, key, strlen(key));
			bk_buf_add(b, indent ? ": " : ":", indent ? 2 : 1);
			put_value(b, x, indent, depth + 1);
		}
		if (n > 0)
			put_indent(b, indent, depth);
		bk_buf_add(b, "}", 1);
		break;
	case JSON_ARRAY:
		bk_buf_add(b, "[", 1);
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				bk_buf_add(b, ",", 1);
			put_indent(b, indent, depth + 1);
			put_value(b, json_array_get(v, i), indent, depth + 1);
		}
		if (n > 0)
			put_indent(b, indent, depth);
		bk_buf_add(b, "]", 1);
		break;
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_TRUE:
		bk_buf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		bk_buf_add(b, "false", 5);
		break;
	case JSON_NULL:
		bk_buf_add(b, "null", 4);
		break;
	default:
		/* A number: no string in it, so jansson's own text will do. */
		if ((s = json_dumps(v, JSON_ENCODE_ANY)) == NULL)
			bk_errx(BK_EX_SOFTWARE, "could not format a number");
		bk_buf_add(b, s, strlen(s));
		free(s);
	}
}

char *
bk_json_text(json_t *v, int indent)
{
	struct bk_buf b = { NULL, 0, 0 };

	put_value(&b, v, indent, 0);
	bk_buf_add(&b, "", 1);
	return b.p;
}
