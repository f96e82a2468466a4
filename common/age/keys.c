/*
 * keys.c: age keys: recipients and identities as strings, new keys, and
 * the set of identities a reader may use.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "age/internal.h"

/*
 * Whether an X25519 public key has a low order: its shared secret with any
 * scalar is all zero (X25519 clears a scalar's low three bits, a multiple
 * of the cofactor 8), so whoever reads the header could unwrap the file
 * key.  Encrypting to one is refused before anything is written.
 */
static int
x25519_low_order(const unsigned char pub[32])
{
	static const unsigned char any[32] = { 9 };
	unsigned char out[32];

	return bk_x25519(out, any, pub) < 0;
}

int
bk_age_parse_recipient(const char *s, struct bk_age_key *k)
{
	memset(k, 0, sizeof(*k));
	if (age_bech32_decode(s, "age1pq", k->key, BK_XWING_PK, 0) == 0) {
		/* An encapsulation key must pass ML-KEM's modulus check. */
		if (!bk_mlkem_ek_valid(k->key))
			return -1;
		k->type = BK_AGE_PQ;
		k->len = BK_XWING_PK;
		return x25519_low_order(k->key + BK_MLKEM_EK) ? -2 : 0;
	}
	if (age_bech32_decode(s, "age", k->key, 32, 0) == 0) {
		k->type = BK_AGE_X25519;
		k->len = 32;
		return x25519_low_order(k->key) ? -2 : 0;
	}
	return -1;
}

int
bk_age_parse_identity(const char *s, struct bk_age_key *k)
{
	memset(k, 0, sizeof(*k));
	k->len = 32;
	/* age writes identities in upper case only. */
	if (strncmp(s, "AGE-SECRET-KEY-PQ-1", 19) == 0) {
		k->type = BK_AGE_PQ;
		return age_bech32_decode(s, "age-secret-key-pq-", k->key, 32, 1);
	}
	if (strncmp(s, "AGE-SECRET-KEY-1", 16) != 0)
		return -1;
	k->type = BK_AGE_X25519;
	return age_bech32_decode(s, "age-secret-key-", k->key, 32, 1);
}

char *
bk_age_recipient_str(const struct bk_age_key *k)
{
	return age_bech32_encode(k->type == BK_AGE_PQ ? "age1pq" : "age", k->key,
	    k->len, 0);
}

char *
bk_age_identity_str(const struct bk_age_key *k)
{
	return age_bech32_encode(k->type == BK_AGE_PQ ? "age-secret-key-pq-" :
	    "age-secret-key-", k->key, 32, 1);
}

int
bk_age_public_key(const unsigned char sec[32], unsigned char pub[32])
{
	EVP_PKEY *k;
	size_t len = 32;
	int r;

	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sec,
	    32)) == NULL)
		return -1;
	r = EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == 32;
	EVP_PKEY_free(k);
	return r ? 0 : -1;
}

int
bk_age_to_recipient(const struct bk_age_key *id, struct bk_age_key *r)
{
	memset(r, 0, sizeof(*r));
	r->type = id->type;
	if (id->type == BK_AGE_PQ) {
		r->len = BK_XWING_PK;
		return bk_xwing_public(id->key, r->key);
	}
	r->len = 32;
	return bk_age_public_key(id->key, r->key);
}

int
bk_age_keygen(enum bk_age_type type, struct bk_age_key *id,
    struct bk_age_key *r)
{
	memset(id, 0, sizeof(*id));
	id->type = type;
	id->len = 32;
	if (RAND_bytes(id->key, 32) != 1)
		return -1;
	return bk_age_to_recipient(id, r);
}

/* ---- identities ---- */

/* An identity: its secret, and for X25519 its public key (the HKDF salt). */
struct bk_age_ids *
bk_age_ids_new(void)
{
	struct bk_age_ids *ids = bk_calloc(1, sizeof(*ids));

	ids->max_logn = BK_AGE_LIMIT_LOGN;
	return ids;
}

/*
 * Room for one more key.  Not realloc: it would free the old array, keys
 * and all, without wiping it.
 */
static void
ids_grow(struct bk_age_ids *ids)
{
	struct idkey *k;

	if (ids->n > SIZE_MAX / sizeof(*k) - 1)
		bk_errx(BK_EX_SOFTWARE, "too many identities");
	k = bk_malloc((ids->n + 1) * sizeof(*k));
	if (ids->n > 0) {
		memcpy(k, ids->k, ids->n * sizeof(*k));
		bk_explicit_bzero(ids->k, ids->n * sizeof(*k));
	}
	free(ids->k);
	ids->k = k;
}

int
bk_age_ids_add_key(struct bk_age_ids *ids, const char *s)
{
	struct bk_age_key id;
	struct idkey *k;
	int r = -1;

	if (bk_age_parse_identity(s, &id) == 0) {
		ids_grow(ids);
		k = &ids->k[ids->n];
		memset(k, 0, sizeof(*k));
		k->type = id.type;
		memcpy(k->sec, id.key, 32);
		if (id.type == BK_AGE_PQ ||
		    bk_age_public_key(k->sec, k->pub) == 0) {
			ids->n++;
			r = 0;
		} else
			bk_explicit_bzero(k, sizeof(*k));
	}
	bk_explicit_bzero(&id, sizeof(id));
	return r;
}

int
bk_age_ids_load(struct bk_age_ids *ids, const char *path, char *err,
    size_t errlen)
{
	int fd, e, code;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		snprintf(err, errlen, "could not open identity file \"%s\": "
		    "%s", path, strerror(e));
		return bk_open_errno_code(e);
	}
	code = bk_age_ids_load_fd(ids, fd, path, err, errlen);
	close(fd);
	return code;
}

int
bk_age_ids_load_fd(struct bk_age_ids *ids, int fd, const char *path,
    char *err, size_t errlen)
{
	char buf[4096], *line, *nl, *what;
	size_t have = 0, lineno = 0, found = 0;
	ssize_t got;
	int eof = 0, code = 0;

	what = bk_asprintf("identity file \"%s\"", path);
	bk_secret_exposed(fd, what);
	free(what);
	/*
	 * Line by line with read(2) in a small buffer that is wiped at the
	 * end: stdio would keep copies in buffers of its own, freed unwiped.
	 */
	while (!eof || have > 0) {
		if (!eof && have < sizeof(buf) - 1) {
			got = bk_read_full(fd, buf + have, sizeof(buf) - 1 -
			    have);
			if (got < 0) {
				snprintf(err, errlen, "could not read identity "
				    "file \"%s\": %s", path, strerror(errno));
				code = BK_EX_IOERR;
				break;
			}
			have += (size_t)got;
			if (have < sizeof(buf) - 1)
				eof = 1;
		}
		buf[have] = '\0';
		line = buf;
		if ((nl = memchr(buf, '\n', have)) != NULL)
			*nl = '\0';
		else if (!eof) {
			snprintf(err, errlen, "could not parse identity file "
			    "\"%s\": line %zu is too long", path, lineno + 1);
			code = BK_EX_DATAERR;
			break;
		}
		lineno++;
		if (strlen(line) > 0 && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (line[0] != '\0' && line[0] != '#') {
			if (bk_age_ids_add_key(ids, line) < 0) {
				/* Never echo the line: it may be a key. */
				snprintf(err, errlen, "could not parse identity "
				    "file \"%s\": line %zu is %s", path, lineno,
				    strncmp(line, "AGE-PLUGIN-", 11) == 0 ?
				    "a plugin identity, which is not supported" :
				    "not an age identity (AGE-SECRET-KEY-1... or "
				    "AGE-SECRET-KEY-PQ-1...)");
				code = BK_EX_DATAERR;
				break;
			}
			found++;
		}
		if (nl != NULL) {
			size_t used = (size_t)(nl - buf) + 1;

			memmove(buf, buf + used, have - used);
			have -= used;
		} else
			have = 0;
	}
	bk_explicit_bzero(buf, sizeof(buf));
	if (code == 0 && found == 0) {
		snprintf(err, errlen, "could not parse identity file \"%s\": "
		    "no identity found", path);
		code = BK_EX_DATAERR;
	}
	return code;
}

size_t
bk_age_ids_count(const struct bk_age_ids *ids)
{
	return ids->n;
}

int
bk_age_ids_recipient(const struct bk_age_ids *ids, size_t i,
    struct bk_age_key *r)
{
	if (i >= ids->n)
		return -1;
	memset(r, 0, sizeof(*r));
	r->type = ids->k[i].type;
	if (r->type == BK_AGE_PQ) {
		r->len = BK_XWING_PK;
		return bk_xwing_public(ids->k[i].sec, r->key);
	}
	r->len = 32;
	memcpy(r->key, ids->k[i].pub, 32);
	return 0;
}

void
bk_age_ids_set_passphrase(struct bk_age_ids *ids, const char *p, size_t n)
{
	if (ids->pass != NULL) {
		bk_explicit_bzero(ids->pass, ids->passlen);
		free(ids->pass);
	}
	ids->pass = bk_malloc(n + 1);
	memcpy(ids->pass, p, n);
	ids->pass[n] = '\0';
	ids->passlen = n;
	ids->haspass = 1;
}

void
bk_age_ids_set_getpass(struct bk_age_ids *ids, bk_age_getpass f, void *ctx)
{
	ids->getpass = f;
	ids->getpass_ctx = ctx;
}

void
bk_age_ids_set_max_logn(struct bk_age_ids *ids, int logn)
{
	ids->max_logn = logn;
}

int
bk_age_parse_max_logn(const char *s)
{
	long long v;

	if (bk_parse_number(s, 1, BK_AGE_MAX_LOGN, &v) < 0)
		bk_usage_error("bad --max-work-factor \"%s\" (1 to %d)", s,
		    BK_AGE_MAX_LOGN);
	return (int)v;
}

void
bk_age_ids_free(struct bk_age_ids *ids)
{
	if (ids == NULL)
		return;
	if (ids->k != NULL)
		bk_explicit_bzero(ids->k, ids->n * sizeof(*ids->k));
	if (ids->pass != NULL)
		bk_explicit_bzero(ids->pass, ids->passlen);
	free(ids->k);
	free(ids->pass);
	free(ids);
}
