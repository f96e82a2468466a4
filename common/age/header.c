/*
 * header.c: the decrypting reader, first part: the header (the version
 * line, the recipient stanzas, the MAC), the file key it wraps unwrapped
 * by an identity or a passphrase, and the start of a reader.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "age/internal.h"

ssize_t
age_fail(struct age_reader *a, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->r.err, sizeof(a->r.err), fmt, ap);
	va_end(ap);
	a->r.code = code;
	a->failed = 1;
	return -1;
}

/* Makes at least want bytes available in ibuf unless the input ends. */
int
age_fill(struct age_reader *a, size_t want)
{
	ssize_t got;

	while (a->end - a->pos < want && !a->eof) {
		if (IBUF - a->pos < want) {
			memmove(a->ibuf, a->ibuf + a->pos, a->end - a->pos);
			a->end -= a->pos;
			a->pos = 0;
		}
		got = a->src->read(a->src, a->ibuf + a->end, IBUF - a->end);
		if (got < 0)
			return (int)age_fail(a, a->src->code, "%s",
			    a->src->err);
		if (got == 0)
			a->eof = 1;
		a->end += (size_t)got;
	}
	return 0;
}

static void
hdr_add(struct age_reader *a, const char *p, size_t n)
{
	memcpy(a->hdr + a->hlen, p, n);
	a->hlen += n;
}

/*
 * The next header line, without its LF, NUL-terminated in place (the LF's
 * place).  A NUL inside is an error: the parsers below would stop at it
 * and accept a line that the MAC covers whole and that age refuses.
 * Returns 0, or -1 on error.
 */
static int
hdr_line(struct age_reader *a, char **line, size_t *len, const char *what)
{
	unsigned char *nl, *nul;
	size_t want = 1;

	for (;;) {
		nl = memchr(a->ibuf + a->pos, '\n', a->end - a->pos);
		if (nl != NULL)
			break;
		if (a->end - a->pos >= MAX_LINE)
			return (int)age_fail(a, BK_EX_DATAERR,
			    "invalid header: line too long");
		if (a->eof)
			return (int)age_fail(a, BK_EX_DATAERR,
			    "invalid header: truncated in %s", what);
		want = a->end - a->pos + 1;
		if (age_fill(a, want) < 0)
			return -1;
	}
	*line = (char *)a->ibuf + a->pos;
	*len = (size_t)(nl - (a->ibuf + a->pos));
	if (a->hlen + *len + 1 > MAX_HEADER)
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: longer than %d bytes", MAX_HEADER);
	/* Lines before this one are all in hdr: hlen is where it starts. */
	if ((nul = memchr(*line, '\0', *len)) != NULL)
		return (int)age_fail(a, BK_EX_DATAERR, "invalid header: NUL "
		    "byte at offset %zu", a->hlen + (size_t)(nul -
		    (unsigned char *)*line));
	*nl = '\0';
	a->pos += *len + 1;
	return 0;
}

static int
is_vchar_arg(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return 0;
	return 1;
}

/* Parses a stanza's "-> " line (already known to start so) and body. */
static int
parse_stanza(struct age_reader *a, char *line, size_t len, int num)
{
	struct stanza *s;
	char *p, *sp, *bl;
	size_t bn, cap = 0;
	ssize_t k;

	if (a->nst == MAX_STANZAS)
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: more than %d stanzas", MAX_STANZAS);
	a->st = bk_reallocarray(a->st, (size_t)a->nst + 1, sizeof(*a->st));
	s = &a->st[a->nst++];
	memset(s, 0, sizeof(*s));
	p = line + 3;
	if (*p == '\0')
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: stanza %d has no type", num);
	for (;;) {
		sp = strchr(p, ' ');
		k = sp != NULL ? sp - p : (ssize_t)strlen(p);
		if (!is_vchar_arg(p, (size_t)k))
			return (int)age_fail(a, BK_EX_DATAERR, "invalid "
			    "header: stanza %d has an empty or bad argument",
			    num);
		if (s->nargs < 3)
			s->args[s->nargs] = bk_asprintf("%.*s", (int)k, p);
		s->nargs++;
		if (sp == NULL)
			break;
		p = sp + 1;
	}
	(void)len;
	/* Body lines: full 64-column lines, ended by a shorter one. */
	for (;;) {
		if (hdr_line(a, &bl, &bn, "a stanza body") < 0)
			return -1;
		hdr_add(a, bl, bn);
		hdr_add(a, "\n", 1);
		if (bn > ARMOR_COLS)
			return (int)age_fail(a, BK_EX_DATAERR, "invalid "
			    "header: stanza %d body line longer than %d "
			    "columns", num, ARMOR_COLS);
		if (s->blen + 48 > cap) {
			cap = cap * 2 + 48;
			s->body = bk_realloc(s->body, cap);
		}
		if ((k = age_b64_decode(s->body + s->blen, bl, bn, 0)) < 0)
			return (int)age_fail(a, BK_EX_DATAERR, "invalid "
			    "header: stanza %d body is not canonical base64",
			    num);
		s->blen += (size_t)k;
		if (bn < ARMOR_COLS)
			break;
	}
	return 0;
}

/* Decodes an argument that must be exactly n bytes of base64. */
static int
arg_bytes(const char *arg, unsigned char *out, size_t n)
{
	size_t len = strlen(arg);
	unsigned char *tmp;
	int r;

	/* Unpadded base64 of n bytes is ceil(4n / 3) characters. */
	if (len > (4 * n + 2) / 3)
		return -1;
	tmp = bk_malloc(len * 3 / 4 + 1);
	r = age_b64_decode(tmp, arg, len, 0) == (ssize_t)n ? 0 : -1;
	if (r == 0)
		memcpy(out, tmp, n);
	free(tmp);
	return r;
}

/* Checks the stanzas that age defines, whatever the identities. */
static int
check_stanzas(struct age_reader *a)
{
	unsigned char tmp[BK_XWING_CT];
	const char *w;
	int i, scrypt = 0;
	long logn;
	char *end;

	for (i = 0; i < a->nst; i++) {
		struct stanza *s = &a->st[i];

		if (strcmp(s->args[0], "X25519") == 0) {
			a->info.x25519++;
			if (s->nargs != 2)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: X25519 stanza with %d "
				    "arguments", s->nargs - 1);
			if (arg_bytes(s->args[1], tmp, 32) < 0)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad X25519 share");
			if (s->blen != FILE_KEY + TAG)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: X25519 stanza body of "
				    "%zu bytes", s->blen);
		} else if (strcmp(s->args[0], MLKEM_TYPE) == 0) {
			a->info.mlkem++;
			if (s->nargs != 2)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: %s stanza with %d "
				    "arguments", MLKEM_TYPE, s->nargs - 1);
			if (arg_bytes(s->args[1], tmp, BK_XWING_CT) < 0)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad %s encapsulated key",
				    MLKEM_TYPE);
			if (s->blen != FILE_KEY + TAG)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: %s stanza body of %zu "
				    "bytes", MLKEM_TYPE, s->blen);
		} else if (strcmp(s->args[0], "scrypt") == 0) {
			scrypt++;
			if (s->nargs != 3)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: scrypt stanza with %d "
				    "arguments", s->nargs - 1);
			if (arg_bytes(s->args[1], tmp, 16) < 0)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad scrypt salt");
			w = s->args[2];
			/* Decimal, no sign, no leading zero. */
			if (w[0] < '1' || w[0] > '9' || strlen(w) > 2 ||
			    strspn(w, "0123456789") != strlen(w))
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad scrypt work factor");
			logn = strtol(w, &end, 10);
			if (logn < 1 || logn > 63)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: bad scrypt work factor");
			a->info.scrypt = 1;
			a->info.scrypt_logn = (int)logn;
			if (s->blen != FILE_KEY + TAG)
				return (int)age_fail(a, BK_EX_DATAERR,
				    "invalid header: scrypt stanza body of "
				    "%zu bytes", s->blen);
		}
	}
	/* A passphrase must be the only way in, or it means nothing. */
	if (scrypt > 0 && a->nst > 1)
		return (int)age_fail(a, BK_EX_DATAERR, "invalid header: an "
		    "scrypt stanza must be the only stanza");
	return 0;
}

static int
parse_header(struct age_reader *a)
{
	char *line;
	size_t len;
	int num = 0;

	a->hdr = bk_malloc(MAX_HEADER);
	if (hdr_line(a, &line, &len, "the version line") < 0)
		return -1;
	if (strcmp(line, VERSION_LINE) != 0)
		return (int)age_fail(a, BK_EX_DATAERR, "unsupported version "
		    "line (want %s)", VERSION_LINE);
	hdr_add(a, line, len);
	hdr_add(a, "\n", 1);
	for (;;) {
		if (hdr_line(a, &line, &len, "the header") < 0)
			return -1;
		if (len >= 3 && memcmp(line, "---", 3) == 0)
			break;
		if (len < 3 || memcmp(line, "-> ", 3) != 0)
			return (int)age_fail(a, BK_EX_DATAERR, "invalid "
			    "header: line %d is neither a stanza nor the MAC",
			    num + 2);
		hdr_add(a, line, len);
		hdr_add(a, "\n", 1);
		if (parse_stanza(a, line, len, ++num) < 0)
			return -1;
	}
	if (a->nst == 0)
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: no recipient stanza");
	hdr_add(a, "---", 3);
	if (len != 4 + 43 || line[3] != ' ' ||
	    age_b64_decode(a->mac, line + 4, 43, 0) != 32)
		return (int)age_fail(a, BK_EX_DATAERR,
		    "invalid header: bad MAC line");
	a->info.stanzas = a->nst;
	/* Offsets in messages count from the start of the (decoded) file. */
	a->in_off = a->hlen + 1 + 43 + 1;
	return check_stanzas(a);
}

/* Tries one stanza with every identity; 1 with the file key, 0, -1. */
static int
try_x25519(struct age_reader *a, struct stanza *s, unsigned char fk[16])
{
	unsigned char share[32], shared[32], salt[64], wrap[32];
	size_t i;
	int r = 0;

	arg_bytes(s->args[1], share, 32);
	for (i = 0; i < a->ids->n && r == 0; i++) {
		if (a->ids->k[i].type != BK_AGE_X25519)
			continue;
		if (bk_x25519(shared, a->ids->k[i].sec, share) < 0) {
			r = (int)age_fail(a, BK_EX_DATAERR, "invalid header: "
			    "X25519 share is a low-order point");
			break;
		}
		memcpy(salt, share, 32);
		memcpy(salt + 32, a->ids->k[i].pub, 32);
		if (age_hkdf(wrap, 32, shared, 32, salt, 64, X25519_INFO) < 0)
			bk_errx(BK_EX_SOFTWARE, "could not derive a key");
		if (age_aead_once(0, wrap, fk, s->body, FILE_KEY) == 0)
			r = 1;
	}
	bk_explicit_bzero(shared, sizeof(shared));
	bk_explicit_bzero(wrap, sizeof(wrap));
	return r;
}

/*
 * An mlkem768x25519 stanza: X-Wing decapsulation of its argument, then
 * HPKE's key schedule opens the body.  A share whose X25519 part gives the
 * all-zero secret is a malformed header whatever the identity.
 */
static int
try_mlkem(struct age_reader *a, struct stanza *s, unsigned char fk[16])
{
	unsigned char *enc = bk_malloc(BK_XWING_CT), ss[32], key[32];
	unsigned char nonce[12];
	size_t i;
	int r = 0;

	arg_bytes(s->args[1], enc, BK_XWING_CT);
	for (i = 0; i < a->ids->n && r == 0; i++) {
		if (a->ids->k[i].type != BK_AGE_PQ)
			continue;
		if (bk_xwing_decaps(a->ids->k[i].sec, enc, ss) < 0) {
			r = (int)age_fail(a, BK_EX_DATAERR, "invalid header: "
			    "%s share is a low-order point", MLKEM_TYPE);
			break;
		}
		age_hpke_schedule(ss, MLKEM_INFO, key, nonce);
		if (age_aead_once_nonce(0, key, nonce, fk, s->body, FILE_KEY) == 0)
			r = 1;
	}
	bk_explicit_bzero(ss, sizeof(ss));
	bk_explicit_bzero(key, sizeof(key));
	bk_explicit_bzero(nonce, sizeof(nonce));
	free(enc);
	return r;
}

static int
try_scrypt(struct age_reader *a, struct stanza *s, unsigned char fk[16])
{
	unsigned char salt[16], wrap[32];
	int logn = a->info.scrypt_logn, r;

	if (!a->ids->haspass && a->ids->getpass != NULL) {
		char *p = NULL;
		size_t n = 0;

		if (a->ids->getpass(a->ids->getpass_ctx, &p, &n) < 0)
			return (int)age_fail(a, BK_EX_FAIL,
			    "no passphrase given");
		bk_age_ids_set_passphrase(a->ids, p, n);
		bk_explicit_bzero(p, n);
		free(p);
	}
	if (!a->ids->haspass)
		return 0;
	if (logn > a->ids->max_logn)
		return (int)age_fail(a, BK_EX_DATAERR, "scrypt work factor %d "
		    "is above the limit of %d (it would need %llu MiB of "
		    "memory)", logn, a->ids->max_logn,
		    (unsigned long long)(age_scrypt_mem(logn) >> 20));
	arg_bytes(s->args[1], salt, 16);
	if (age_scrypt_key(wrap, a->ids->pass, a->ids->passlen, salt, logn) < 0)
		r = (int)age_fail(a, BK_EX_SOFTWARE, "could not derive the "
		    "scrypt key (work factor %d needs %llu MiB of memory)",
		    logn, (unsigned long long)(age_scrypt_mem(logn) >> 20));
	else
		r = age_aead_once(0, wrap, fk, s->body, FILE_KEY) == 0;
	bk_explicit_bzero(wrap, sizeof(wrap));
	return r;
}

/*
 * Unwraps the file key, checks the MAC, reads the nonce, sets the key.
 * Every way out passes the wipe at the end.
 */
static int
unlock(struct age_reader *a)
{
	unsigned char fk[FILE_KEY], key[32], mac[32], nonce[NONCE];
	unsigned int maclen = 32;
	int i, r = 0;

	for (i = 0; i < a->nst && r == 0; i++) {
		if (strcmp(a->st[i].args[0], "X25519") == 0)
			r = try_x25519(a, &a->st[i], fk);
		else if (strcmp(a->st[i].args[0], MLKEM_TYPE) == 0)
			r = try_mlkem(a, &a->st[i], fk);
		else if (strcmp(a->st[i].args[0], "scrypt") == 0)
			r = try_scrypt(a, &a->st[i], fk);
	}
	if (r == 0 && a->info.scrypt && !a->ids->haspass)
		r = (int)age_fail(a, BK_EX_FAIL, "the file is encrypted "
		    "with a passphrase, and none was given");
	else if (r == 0)
		r = (int)age_fail(a, BK_EX_FAIL, "no identity matches "
		    "(wrong key or passphrase)");
	if (r < 0)
		goto out;
	r = -1;
	if (age_hkdf(key, 32, fk, FILE_KEY, NULL, 0, "header") < 0 ||
	    HMAC(EVP_sha256(), key, 32, (unsigned char *)a->hdr, a->hlen,
	    mac, &maclen) == NULL)
		bk_errx(BK_EX_SOFTWARE, "could not compute the header MAC");
	if (CRYPTO_memcmp(mac, a->mac, 32) != 0) {
		age_fail(a, BK_EX_DATAERR,
		    "header MAC does not match (the header was altered)");
		goto out;
	}
	a->info.unlocked = 1;
	if (age_fill(a, NONCE) < 0)
		goto out;
	if (a->end - a->pos < NONCE) {
		age_fail(a, BK_EX_DATAERR, "truncated: no payload nonce");
		goto out;
	}
	memcpy(nonce, a->ibuf + a->pos, NONCE);
	a->pos += NONCE;
	a->in_off += NONCE;
	if (age_hkdf(key, 32, fk, FILE_KEY, nonce, NONCE, "payload") < 0)
		bk_errx(BK_EX_SOFTWARE, "could not derive the payload key");
	if ((a->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(a->ctx, age_chacha(), NULL, key, NULL, 0) != 1)
		bk_errx(BK_EX_SOFTWARE, "could not set up ChaCha20-Poly1305");
	r = 0;
out:
	bk_explicit_bzero(fk, sizeof(fk));
	bk_explicit_bzero(key, sizeof(key));
	return r;
}

/* Detects the form, parses the header and, with identities, unlocks. */
int
age_start(struct age_reader *a)
{
	size_t i;

	a->started = 1;
	if (age_fill(a, MAX_SPACE + sizeof(ARMOR_BEGIN)) < 0)
		return -1;
	for (i = a->pos; i < a->end && age_is_space(a->ibuf[i]); i++)
		;
	if (a->end - i >= 10 && memcmp(a->ibuf + i, "-----BEGIN", 10) == 0) {
		a->armor = age_armor_new(a->r.below, a->ibuf + a->pos,
		    a->end - a->pos);
		a->src = a->armor;
		a->pos = a->end = 0;
		a->eof = 0;
		a->info.armored = 1;
	} else if (a->end - a->pos < 19 ||
	    memcmp(a->ibuf + a->pos, "age-encryption.org/", 19) != 0)
		return (int)age_fail(a, BK_EX_DATAERR, "not an age file");
	if (parse_header(a) < 0)
		return -1;
	if (a->ids == NULL)
		return 0;
	return unlock(a);
}
