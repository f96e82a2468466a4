/*
 * output.c: bk-dump's output, buffered and written OUTBUF bytes at a
 * time: CSV fields quoted as COPY quotes them, JSON strings escaped as
 * row_to_json escapes them, so that both sources agree.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "dump.h"

void
out_flush(struct dump *d)
{
	if (d->buf.len == 0)
		return;
	bk_out_write(&d->out, d->buf.p, d->buf.len);
	bk_progress_add(&d->prog, d->buf.len);
	d->buf.len = 0;
}

/* Writes the output out once OUTBUF bytes of it are waiting. */
static void
out_filled(struct dump *d)
{
	if (d->buf.len >= OUTBUF)
		out_flush(d);
}

void
put(struct dump *d, const void *p, size_t n)
{
	if (n >= OUTBUF) {
		out_flush(d);
		bk_out_write(&d->out, p, n);
		bk_progress_add(&d->prog, n);
		return;
	}
	bk_buf_add(&d->buf, p, n);
	out_filled(d);
}

void
puts_(struct dump *d, const char *s)
{
	put(d, s, strlen(s));
}

void
putc_(struct dump *d, char c)
{
	bk_buf_add(&d->buf, &c, 1);
	out_filled(d);
}

/*
 * A CSV field, quoted as PostgreSQL's COPY ... CSV quotes it, so that both
 * sources agree (common/csvwrite.c).  flags: BK_FIELD_*.
 */
void
put_csv(struct dump *d, const char *s, size_t n, int flags)
{
	bk_csv_field(&d->buf, &d->csv, s, n, flags);
	out_filled(d);
}

/* BK_FIELD_ALONE when a CSV record has one field (see put_csv). */
int
csv_alone(const struct dump *d)
{
	return (d->labels ? 1 : 0) + d->nucols == 1 ? BK_FIELD_ALONE : 0;
}

/*
 * A JSON string, escaped as PostgreSQL's row_to_json escapes it, so that
 * both sources agree (common/json.c).  Returns -1, with nothing written,
 * for text that is not UTF-8, which JSON cannot carry.
 */
int
put_json(struct dump *d, const char *s, size_t n)
{
	if (bk_json_string(&d->buf, s, n) < 0)
		return -1;
	out_filled(d);
	return 0;
}

void
put_hex(struct dump *d, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		putc_(d, hex[p[i] >> 4]);
		putc_(d, hex[p[i] & 15]);
	}
}

/* Labels are UTF-8: add_export checks the table names it takes. */
void
put_label_json(struct dump *d, const struct export *e)
{
	puts_(d, "{\"type\":");
	put_json(d, e->label, strlen(e->label));
}
