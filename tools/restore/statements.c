/*
 * statements.c: how bk-restore reads a plain script's statements on their
 * way to psql (the restore's one transaction, in pg.c).  The types and
 * what the filter does are in restore.h.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "restore.h"

static void
txf_put(struct txf *t, const void *p, size_t n)
{
	if (t->olen + n > t->ocap) {
		while (t->olen + n > t->ocap)
			t->ocap = t->ocap ? t->ocap * 2 : CHUNK * 2;
		t->out = bk_realloc(t->out, t->ocap);
	}
	memcpy(t->out + t->olen, p, n);
	t->olen += n;
}

static int
ident_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/*
 * Statements that end or split a transaction.  pg_dump writes none but
 * the BEGIN; and COMMIT; lines the filter turns into comments; any other
 * stops the restore before psql has the statement whole.
 */
static void
txf_check(struct txf *t)
{
	static const char *const words[] = { "BEGIN", "START", "COMMIT",
	    "END", "ROLLBACK", "ABORT", "PREPARE", "SAVEPOINT", "RELEASE",
	    NULL };
	size_t n, i;

	for (n = 0; n < t->wlen && ((t->word[n] >= 'a' && t->word[n] <= 'z') ||
	    (t->word[n] >= 'A' && t->word[n] <= 'Z')); n++)
		;
	/* The END that closes a function's BEGIN ATOMIC body is no statement. */
	if (n == 3 && t->sbdepth > 0 && t->bdepth == 0 &&
	    strncasecmp(t->word, "END", 3) == 0)
		return;
	for (i = 0; words[i] != NULL && t->bad[0] == '\0'; i++)
		if (n == strlen(words[i]) && strncasecmp(t->word, words[i],
		    n) == 0)
			snprintf(t->bad, sizeof(t->bad), "the script has its "
			    "own %s statement (line %" PRIu64 "), which would "
			    "end the restore's one transaction", words[i],
			    t->sline);
}

/*
 * psql does not end a statement at a ";" inside the BEGIN ... END of a
 * CREATE [OR REPLACE] FUNCTION or PROCEDURE (SQL-standard bodies, which
 * pg_dump writes): it counts BEGIN, CASE (inside a BEGIN) and END among
 * the statement's identifiers outside parentheses.  The filter counts the
 * same way, and still checks every piece between semicolons (no COMMIT
 * is valid in such a body), except the END that closes the body.  A body
 * that uses BEGIN, CASE or END as a name (after AS or a dot), or nests a
 * BEGIN, is refused: there psql's count and the server's grammar part, and
 * psql could hand the server a COMMIT inside what it takes for one
 * statement.
 */
static void
txf_ident(struct txf *t)
{
	size_t n = t->toklen;
	const char *w = t->tok;
	int as = t->after_as;

	if (n >= sizeof(t->tok))
		n = 0;	/* longer than any word that counts */
	t->after_as = n == 2 && strncasecmp(w, "as", 2) == 0;
	if (t->nids < 4 && ((n == 6 && strncasecmp(w, "create", 6) == 0) ||
	    (n == 8 && strncasecmp(w, "function", 8) == 0) ||
	    (n == 9 && strncasecmp(w, "procedure", 9) == 0) ||
	    (n == 2 && strncasecmp(w, "or", 2) == 0) ||
	    (n == 7 && strncasecmp(w, "replace", 7) == 0)))
		t->ids[t->nids] = (char)(w[0] | 0x20);
	t->nids++;
	if (t->ids[0] != 'c' || t->parens != 0 || !(t->ids[1] == 'f' ||
	    t->ids[1] == 'p' || (t->ids[1] == 'o' && t->ids[2] == 'r' &&
	    (t->ids[3] == 'f' || t->ids[3] == 'p'))))
		return;
	if (!((n == 5 && strncasecmp(w, "begin", 5) == 0) ||
	    (n == 4 && strncasecmp(w, "case", 4) == 0) ||
	    (n == 3 && strncasecmp(w, "end", 3) == 0)))
		return;
	if ((t->bdepth > 0 && (as || t->tokdot || w[0] == 'b' ||
	    w[0] == 'B')) && t->bad[0] == '\0')
		snprintf(t->bad, sizeof(t->bad), "a function body at line %"
		    PRIu64 " has %.*s as a name or nested, which psql and the "
		    "server read differently", t->line, (int)n, w);
	if (w[0] == 'b' || w[0] == 'B')
		t->bdepth++;
	else if (w[0] == 'c' || w[0] == 'C') {
		if (t->bdepth > 0)
			t->bdepth++;
	} else if (t->bdepth > 0)
		t->bdepth--;
}

/* Every byte of code: identifiers as psql's lexer reads them, parentheses. */
static void
txf_tok(struct txf *t, unsigned char c)
{
	int start = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_' || c >= 0x80;
	int cont = start || (c >= '0' && c <= '9') || c == '$';

	if (t->intok && cont) {
		if (t->toklen < sizeof(t->tok))
			t->tok[t->toklen] = (char)c;
		t->toklen++;
		return;
	}
	if (t->intok == 1)
		txf_ident(t);
	else if (t->intok == 2 && t->toklen >= 4 && t->toklen < sizeof(t->tok) &&
	    strncasecmp(t->tok + t->toklen - 3, "end", 3) == 0 &&
	    t->bdepth > 0)
		t->bdepth--;	/* psql may read "1xend" as junk and END */
	t->intok = 0;
	if (start || (c >= '0' && c <= '9')) {
		/* After one ":" (not "::"), psql's :variable: no identifier. */
		t->intok = start && t->colons % 2 == 0 ? 1 : 2;
		t->tok[0] = (char)c;
		t->toklen = 1;
		t->tokdot = t->after_dot;
	} else if (c == '(')
		t->parens++;
	else if (c == ')' && t->parens > 0)
		t->parens--;
	t->colons = c == ':' ? t->colons + 1 : 0;
	/* AS or a dot, then blanks or comments, then the name. */
	if (c == '.')
		t->after_dot = 1;
	else if (c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
	    c != '-' && c != '/' && c != '*') {
		t->after_dot = 0;
		if (!start)
			t->after_as = 0;
	}
}

static void
txf_code(struct txf *t, unsigned char c)
{
	if (c == ';') {
		if (t->open)
			txf_check(t);
		/* psql's statement goes on inside parentheses or a body. */
		if (t->parens == 0 && t->bdepth == 0) {
			t->nids = 0;
			memset(t->ids, 0, sizeof(t->ids));
		}
		t->tailw[sizeof(t->tailw) - 1] = '\0';
		t->copy_next = t->copy &&
		    strcasecmp(t->tailw, " FROM stdin") == 0;
		t->open = t->copy = 0;
		t->wlen = 0;
		memset(t->tailw, 0, sizeof(t->tailw));
		return;
	}
	if (!t->open) {
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			return;
		t->open = 1;
		t->sline = t->line;
		t->sbdepth = t->bdepth;
	}
	if (t->wlen < sizeof(t->word) - 1) {
		t->word[t->wlen++] = (char)c;
		t->word[t->wlen] = '\0';
		if (t->wlen == 5)
			t->copy = strncasecmp(t->word, "COPY", 4) == 0 &&
			    (c == ' ' || c == '\n' || c == '\t');
	}
	memmove(t->tailw, t->tailw + 1, sizeof(t->tailw) - 2);
	t->tailw[sizeof(t->tailw) - 2] = (char)c;
}

/* One byte through the lexer, and into the output. */
static void
txf_byte(struct txf *t, unsigned char c)
{
	int first = t->col == 0;

	t->col = c == '\n' ? 0 : t->col + 1;
	txf_put(t, &c, 1);
again:
	switch (t->st) {
	case LX_CODE:
		txf_tok(t, c);
		if (first && c == '\\' && !t->open) {
			t->st = LX_META;
			break;
		}
		if (c == '\'') {
			t->st = (t->prev == 'E' || t->prev == 'e') &&
			    !ident_byte(t->prev2) ? LX_ESQ : LX_SQ;
			t->open = 1;
			t->prev = ' ';	/* from here, the string's own bytes */
		} else if (c == '"') {
			t->st = LX_DQ;
			t->open = 1;
		} else if (c == '-' && t->prev == '-') {
			t->st = LX_LINEC;
		} else if (c == '*' && t->prev == '/') {
			/* Forget the slash: a slash and star then close nothing. */
			t->st = LX_BLOCKC;
			t->depth = 1;
			t->prev = t->prev2 = ' ';
			return;
		} else if (c == '$' && !ident_byte(t->prev)) {
			t->st = LX_DOLTAG;
			t->close[0] = '$';
			t->clen = 1;
			t->open = 1;
		} else if (c != '-' && c != '/')
			txf_code(t, c);
		break;
	case LX_SQ:
		/*
		 * With standard_conforming_strings off, psql would read \' as
		 * a quote inside the string and end it elsewhere: the script
		 * could then hide a statement from this filter.  pg_dump sets
		 * it on, and writes such a string only for data ending in a
		 * backslash; refused, as it cannot be read one way only.
		 */
		if (c == '\'' && t->prev == '\\' && t->bad[0] == '\0')
			snprintf(t->bad, sizeof(t->bad), "a string at line %"
			    PRIu64 " has a backslash before its closing quote, "
			    "which psql reads two ways (standard_conforming_"
			    "strings)", t->line);
		if (c == '\'')
			t->st = LX_SQEND;
		t->prev = c;
		break;
	case LX_ESQ:
		if (c == '\\')
			t->st = LX_ESQBS;
		else if (c == '\'')
			t->st = LX_ESQEND;
		break;
	case LX_ESQBS:
		t->st = LX_ESQ;
		break;
	case LX_DQ:
		if (c == '"')
			t->st = LX_DQEND;
		break;
	case LX_SQEND:
	case LX_ESQEND:
	case LX_DQEND:
		/* A doubled quote is one quote inside; else the end. */
		if ((c == '\'' && t->st != LX_DQEND) ||
		    (c == '"' && t->st == LX_DQEND)) {
			t->st = t->st == LX_SQEND ? LX_SQ : t->st == LX_ESQEND ?
			    LX_ESQ : LX_DQ;
			break;
		}
		t->st = LX_CODE;
		t->prev = t->prev2 = ' ';
		goto again;
	case LX_DOLTAG:
		if (c == '$') {
			t->close[t->clen++] = '$';
			t->cpos = 0;
			t->st = LX_DOLLAR;
		} else if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || c >= 0x80 || (c >= '0' && c <= '9' &&
		    t->clen > 1)) && t->clen < sizeof(t->close) - 1) {
			t->close[t->clen++] = (char)c;
		} else {
			/* $1, or a stray dollar: not a quote after all. */
			t->st = LX_CODE;
			t->prev = '$';
			goto again;
		}
		break;
	case LX_DOLLAR:
		if (c == (unsigned char)t->close[t->cpos]) {
			if (++t->cpos == t->clen) {
				t->st = LX_CODE;
				t->prev = t->prev2 = ' ';
				return;
			}
		} else
			t->cpos = c == '$' ? 1 : 0;
		break;
	case LX_LINEC:
		if (c == '\n')
			t->st = LX_CODE;
		break;
	case LX_BLOCKC:
		if (c == '*' && t->prev == '/')
			t->depth++;
		else if (c == '/' && t->prev == '*' && --t->depth == 0) {
			t->st = LX_CODE;
			t->prev = t->prev2 = ' ';
			return;
		}
		t->prev2 = t->prev;
		t->prev = c == '*' && t->prev == '/' ? ' ' : c;
		return;
	case LX_META:
		if (c == '\n')
			t->st = LX_CODE;
		break;
	case LX_COPY:
		break;
	}
	if (t->st == LX_CODE || t->st == LX_LINEC) {
		t->prev2 = t->prev;
		t->prev = c;
	}
}

static int
is_txn_line(const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return (n == 6 && memcmp(s, "BEGIN;", 6) == 0) ||
	    (n == 7 && memcmp(s, "COMMIT;", 7) == 0);
}

static int
txn_prefix(const char *s, size_t n)
{
	return (n <= 7 && memcmp(s, "BEGIN;\r", n) == 0) ||
	    (n <= 8 && memcmp(s, "COMMIT;\r", n) == 0) ||
	    (n <= 10 && memcmp(s, "\\restrict ", n) == 0) ||
	    (n <= 12 && memcmp(s, "\\unrestrict ", n) == 0);
}

/* pg_dump's \restrict KEY and \unrestrict KEY lines, seen to the space. */
static int
is_meta_line(const char *s, size_t n)
{
	return (n == 10 && memcmp(s, "\\restrict ", 10) == 0) ||
	    (n == 12 && memcmp(s, "\\unrestrict ", 12) == 0);
}

void
txf_feed(struct txf *t, const unsigned char *p, size_t n)
{
	size_t i, k;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '\n')
			t->line++;
		if (t->st == LX_COPY) {
			/* Data lines go as they are, up to the line "\.". */
			txf_put(t, &c, 1);
			if (c == '\n') {
				if (t->dot == 2)
					t->st = LX_CODE;
				t->dot = 0;
			} else if (t->dot >= 0 && t->dot < 2 &&
			    c == "\\."[t->dot])
				t->dot++;
			else if (!(t->dot == 2 && c == '\r'))
				t->dot = -1;
			continue;
		}
		if (t->col == 0 && t->st == LX_CODE && !t->open)
			t->holding = 1;
		if (t->holding) {
			if (is_meta_line(t->hold, t->nhold)) {
				/* pg_dump's own: ours is in force (see restore_pg). */
				txf_put(t, "-- ", 3);
				for (k = 0; k < t->nhold; k++)
					txf_byte(t, (unsigned char)t->hold[k]);
				t->nhold = 0;
				t->holding = 0;
				txf_byte(t, c);
				continue;
			}
			if (c == '\n' && is_txn_line(t->hold, t->nhold)) {
				txf_put(t, "-- ", 3);
				txf_put(t, t->hold, t->nhold);
				txf_put(t, "\n", 1);
				t->nhold = 0;
				t->holding = 0;
				continue;
			}
			if (c != '\n' && t->nhold < sizeof(t->hold)) {
				t->hold[t->nhold] = (char)c;
				if (txn_prefix(t->hold, t->nhold + 1)) {
					t->nhold++;
					continue;
				}
			}
			/* Not one of them: the held bytes go through. */
			t->holding = 0;
			for (k = 0; k < t->nhold; k++)
				txf_byte(t, (unsigned char)t->hold[k]);
			t->nhold = 0;
		}
		txf_byte(t, c);
		if (c == '\n') {
			if (t->copy_next && t->st == LX_CODE) {
				t->copy_next = 0;
				t->st = LX_COPY;
				t->dot = 0;
			}
		}
	}
}

void
txf_end(struct txf *t)
{
	size_t k;

	for (k = 0; k < t->nhold; k++)
		txf_byte(t, (unsigned char)t->hold[k]);
	t->nhold = 0;
	t->holding = 0;
	/* psql runs a last statement without its ";" at the end. */
	if (t->open && t->st == LX_CODE)
		txf_check(t);
}
