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
buf_put(unsigned char **buf, size_t *len, size_t *cap, const void *p,
    size_t n)
{
	if (*len + n > *cap) {
		while (*len + n > *cap)
			*cap = *cap ? *cap * 2 : CHUNK * 2;
		*buf = bk_realloc(*buf, *cap);
	}
	memcpy(*buf + *len, p, n);
	*len += n;
}

static void
txf_put(struct txf *t, const void *p, size_t n)
{
	if (t->held) {
		buf_put(&t->sbuf, &t->slen, &t->scap, p, n);
		/* Too long to be what is left out: it goes as it is. */
		if (t->slen > CHUNK) {
			t->held = 0;
			txf_put(t, t->sbuf, t->slen);
			t->slen = 0;
		}
		return;
	}
	buf_put(&t->out, &t->olen, &t->ocap, p, n);
}

static int
ident_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/* ---- what a statement is, for TXF_NO_OWNER, TXF_NO_ACL, TXF_GLOBALS ---- */

/* A statement begins: judged at its end when a flag asks and psql agrees. */
static void
stmt_open(struct txf *t, unsigned char c)
{
	t->open = 1;
	t->sline = t->line;
	t->sbdepth = t->bdepth;
	/* Its first byte, already counted, may be a "(". */
	t->cand = t->flags != 0 && t->parens == (c == '(') && t->bdepth == 0;
	t->ntok = t->scommas = t->after_on = 0;
	memset(t->sw, 0, sizeof(t->sw));
	memset(t->stail, 0, sizeof(t->stail));
	t->son[0] = t->sname[0] = '\0';
	/* Its first byte is the last one out: held from here. */
	if (t->cand && t->olen > 0) {
		t->slen = 0;
		buf_put(&t->sbuf, &t->slen, &t->scap, t->out + t->olen - 1, 1);
		t->olen--;
		t->held = 1;
	}
}

/* A token's text into a slot of 16 bytes; "#" when longer (no keyword). */
static void
tok_copy(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= 16)
		src = "#", n = 1;
	memcpy(dst, src, n + 1);
}

/*
 * A token of the statement outside parentheses: text is a word (in lower
 * case), or "\"" (a quoted name), "'" (a string) or one byte; name is the
 * word or quoted name as the server reads it.
 */
static void
stmt_token(struct txf *t, const char *text, const char *name)
{
	if (!t->cand || !t->open || t->parens != 0)
		return;
	if (t->ntok < 4)
		tok_copy(t->sw[t->ntok], text);
	if (t->ntok == 2 && name != NULL && strlen(name) < sizeof(t->sname))
		memcpy(t->sname, name, strlen(name) + 1);
	if (t->after_on == 1)
		tok_copy(t->son, text);
	if (t->after_on == 0 && strcmp(text, "on") == 0)
		t->after_on = 1;
	else if (t->after_on == 1)
		t->after_on = 2;
	if (strcmp(text, ",") == 0)
		t->scommas++;
	memmove(t->stail[0], t->stail[1], sizeof(t->stail[0]) * 3);
	tok_copy(t->stail[3], text);
	t->ntok++;
}

/* The identifier just read (t->ident, t->toklen bytes), as a token. */
static void
stmt_word(struct txf *t)
{
	size_t i;

	if (!t->cand)
		return;
	/* Unquoted, the server folds it to lower case. */
	for (i = 0; i < sizeof(t->ident) - 1 && t->ident[i] != '\0'; i++)
		if (t->ident[i] >= 'A' && t->ident[i] <= 'Z')
			t->ident[i] = (char)(t->ident[i] | 0x20);
	stmt_token(t, t->toklen < sizeof(t->ident) - 1 ? t->ident : "#",
	    t->toklen < sizeof(t->ident) - 1 ? t->ident : "");
}

static int
sw_is(const struct txf *t, int i, const char *w)
{
	return strcmp(t->sw[i], w) == 0;
}

static int
is_name(const char *tok)
{
	unsigned char c = (unsigned char)tok[0];

	return (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80 || c == '"';
}

/* Which option leaves the statement out, or NULL. */
static const char *
stmt_left_out(const struct txf *t)
{
	if ((t->flags & TXF_NO_ACL) && (sw_is(t, 0, "grant") ||
	    sw_is(t, 0, "revoke") || (sw_is(t, 0, "alter") &&
	    sw_is(t, 1, "default") && sw_is(t, 2, "privileges"))))
		return "--no-acl";
	if (!(t->flags & TXF_NO_OWNER))
		return NULL;
	if ((sw_is(t, 0, "set") || sw_is(t, 0, "reset")) &&
	    sw_is(t, 1, "session") && sw_is(t, 2, "authorization"))
		return "--no-owner";
	/*
	 * ALTER kind name OWNER TO role: the whole of it, nothing more; not
	 * the renaming of a column (or attribute, constraint) named owner.
	 */
	if (sw_is(t, 0, "alter") && t->ntok >= 5 && t->scommas == 0 &&
	    strcmp(t->stail[1], "owner") == 0 &&
	    strcmp(t->stail[2], "to") == 0 && is_name(t->stail[3]) &&
	    strcmp(t->stail[0], "rename") != 0 &&
	    strcmp(t->stail[0], "column") != 0 &&
	    strcmp(t->stail[0], "attribute") != 0 &&
	    strcmp(t->stail[0], "constraint") != 0)
		return "--no-owner";
	return NULL;
}

/* Whether a pg_dumpall -g script may hold the statement. */
static int
stmt_global(const struct txf *t)
{
	if (sw_is(t, 0, "set"))
		return !sw_is(t, 1, "role") && !sw_is(t, 1, "session") &&
		    !sw_is(t, 1, "local") && (is_name(t->sw[1]) ||
		    sw_is(t, 1, "#"));
	if (sw_is(t, 0, "create") || sw_is(t, 0, "alter"))
		return sw_is(t, 1, "role") || sw_is(t, 1, "tablespace");
	if (sw_is(t, 0, "comment"))
		return sw_is(t, 1, "on") && (sw_is(t, 2, "role") ||
		    sw_is(t, 2, "tablespace"));
	if (sw_is(t, 0, "security"))
		return sw_is(t, 1, "label") && (strcmp(t->son, "role") == 0 ||
		    strcmp(t->son, "tablespace") == 0);
	/* Memberships (no ON), and privileges on tablespaces and settings. */
	if (sw_is(t, 0, "grant") || sw_is(t, 0, "revoke"))
		return t->after_on == 0 || strcmp(t->son, "tablespace") == 0 ||
		    strcmp(t->son, "parameter") == 0;
	return 0;
}

/*
 * In a globals script, CREATE ROLE name (as pg_dumpall writes it) for a
 * role that exists, and CREATE TABLESPACE for one that exists, are left
 * out; CREATE TABLESPACE cannot run in a transaction, so one that does
 * not exist stops the restore.  Returns 1 to leave the statement out.
 */
static int
stmt_exists(struct txf *t)
{
	const char *what = sw_is(t, 1, "role") ? "role" : "tablespace";
	int e;

	if (!sw_is(t, 0, "create") || (!sw_is(t, 1, "role") &&
	    !sw_is(t, 1, "tablespace")) || t->exists == NULL)
		return 0;
	if (t->sname[0] == '\0' || strlen(t->sname) > 63) {
		snprintf(t->bad, sizeof(t->bad), "the CREATE %s at line %"
		    PRIu64 " has no name bk-restore can read", what, t->sline);
		return 0;
	}
	e = t->exists(t->ctx, what, t->sname);
	if (e < 0) {
		snprintf(t->bad, sizeof(t->bad), "could not ask the server "
		    "whether %s \"%s\" exists", what, t->sname);
		return 0;
	}
	if (e == 0 && what[0] == 't') {
		snprintf(t->bad, sizeof(t->bad), "tablespace \"%s\" (line %"
		    PRIu64 ") does not exist, and CREATE TABLESPACE cannot run "
		    "in the restore's transaction: create it first", t->sname,
		    t->sline);
		return 0;
	}
	/* Only the bare CREATE ROLE name: one with options is not skipped. */
	if (e == 0 || (what[0] == 'r' && t->ntok != 3))
		return 0;
	bk_info("%s \"%s\" exists: its CREATE %s (line %" PRIu64 ") left out",
	    what, t->sname, what[0] == 'r' ? "ROLE" : "TABLESPACE", t->sline);
	return 1;
}

/* The statement ended (at its ";", or the end of the script). */
static void
stmt_end(struct txf *t, int whole)
{
	char word[16];
	int out = 0;
	size_t i;

	if (!t->cand)
		return;
	t->cand = 0;
	if (t->bad[0] != '\0')
		;
	else if ((t->flags & TXF_GLOBALS) && (!whole || !stmt_global(t))) {
		for (i = 0; i < sizeof(word) - 1 && is_name(t->sw[0]) &&
		    t->sw[0][i] != '\0'; i++)
			word[i] = t->sw[0][i] >= 'a' && t->sw[0][i] <= 'z' ?
			    (char)(t->sw[0][i] - 'a' + 'A') : t->sw[0][i];
		word[i] = '\0';
		snprintf(t->bad, sizeof(t->bad), "a globals script holds only "
		    "roles and tablespaces, and line %" PRIu64 " has %s%s "
		    "statement%s", t->sline, word[0] ? "a " : "another", word,
		    sw_is(t, 0, "drop") ? " (bk-restore --globals never drops: "
		    "make it without pg_dumpall --clean)" : "");
	}
	else if (whole && stmt_left_out(t) != NULL)
		out = 1;
	else if (whole && (t->flags & TXF_GLOBALS))
		out = stmt_exists(t);
	if (!t->held)
		return;
	t->held = 0;
	if (out && t->bad[0] == '\0') {
		/* Left out, its lines kept: psql's line numbers still hold. */
		for (i = 0; i < t->slen; i++)
			if (t->sbuf[i] == '\n')
				txf_put(t, "\n", 1);
		t->skipped++;
	} else
		txf_put(t, t->sbuf, t->slen);
	t->slen = 0;
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
		if (t->toklen < sizeof(t->ident) - 1) {
			t->ident[t->toklen] = (char)c;
			t->ident[t->toklen + 1] = '\0';
		}
		t->toklen++;
		return;
	}
	if (t->intok == 1) {
		txf_ident(t);
		stmt_word(t);
	} else if (t->intok == 2)
		stmt_token(t, "0", NULL);
	if (t->intok == 2 && t->toklen >= 4 && t->toklen < sizeof(t->tok) &&
	    strncasecmp(t->tok + t->toklen - 3, "end", 3) == 0 &&
	    t->bdepth > 0)
		t->bdepth--;	/* psql may read "1xend" as junk and END */
	t->intok = 0;
	if (start || (c >= '0' && c <= '9')) {
		/* After one ":" (not "::"), psql's :variable: no identifier. */
		t->intok = start && t->colons % 2 == 0 ? 1 : 2;
		t->tok[0] = t->ident[0] = (char)c;
		t->ident[1] = '\0';
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
		if (t->open) {
			txf_check(t);
			stmt_end(t, t->parens == 0 && t->bdepth == 0);
		}
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
		stmt_open(t, c);
	}
	if (!ident_byte(c) && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
		char one[2] = { (char)c, '\0' };

		stmt_token(t, one, NULL);
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
			if (!t->open)
				stmt_open(t, c);
			stmt_token(t, "'", NULL);
			t->prev = ' ';	/* from here, the string's own bytes */
		} else if (c == '"') {
			t->st = LX_DQ;
			if (!t->open)
				stmt_open(t, c);
			t->dqlen = 0;
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
			if (!t->open)
				stmt_open(t, c);
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
		else if (t->dqlen < sizeof(t->dq) - 1)
			t->dq[t->dqlen++] = (char)c;
		break;
	case LX_SQEND:
	case LX_ESQEND:
	case LX_DQEND:
		/* A doubled quote is one quote inside; else the end. */
		if ((c == '\'' && t->st != LX_DQEND) ||
		    (c == '"' && t->st == LX_DQEND)) {
			if (c == '"' && t->dqlen < sizeof(t->dq) - 1)
				t->dq[t->dqlen++] = '"';
			t->st = t->st == LX_SQEND ? LX_SQ : t->st == LX_ESQEND ?
			    LX_ESQ : LX_DQ;
			break;
		}
		if (t->st == LX_DQEND) {
			t->dq[t->dqlen] = '\0';
			stmt_token(t, "\"", t->dq);
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
	if (t->open && t->st == LX_CODE) {
		txf_tok(t, '\n');
		txf_check(t);
		stmt_end(t, t->parens == 0 && t->bdepth == 0);
	}
	if (t->held) {
		t->held = 0;
		txf_put(t, t->sbuf, t->slen);
		t->slen = 0;
	}
}
