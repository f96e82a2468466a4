/* encoding.c: the text encodings of age: strict base64, and bech32 for keys. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "age/internal.h"

/* ---- base64, strict: canonical, padded or not as the format says ---- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes len characters into out (room for len * 3 / 4 bytes).  With
 * padded, the length must be a multiple of 4 with '=' only at the end;
 * without, no '=' at all.  The unused low bits of the last character must
 * be zero, so every value has exactly one encoding.  Returns the decoded
 * length or -1.
 */
ssize_t
age_b64_decode(unsigned char *out, const char *s, size_t len, int padded)
{
	size_t i, n = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	if (padded) {
		if (len % 4 != 0)
			return -1;
		while (pad < 2 && len > 0 && s[len - 1] == '=') {
			len--;
			pad++;
		}
		/* "xx=" with a single character left is never valid. */
		if ((len + pad) % 4 != 0 || (pad > 0 && len % 4 + pad != 4))
			return -1;
	} else if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (ssize_t)n;
}

/* Encodes n bytes; returns the characters written (no NUL). */
size_t
age_b64_encode(char *out, const unsigned char *in, size_t n, int padded)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64chars[v >> 18];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = b64chars[(v >> 6) & 63];
		out[o++] = b64chars[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64chars[v >> 18];
		out[o++] = b64chars[(v >> 12) & 63];
		if (padded) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64chars[v >> 18];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = b64chars[(v >> 6) & 63];
		if (padded)
			out[o++] = '=';
	}
	return o;
}

/* ---- bech32 (BIP 173), without its 90-character limit, as age uses it ---- */

static const char b32chars[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
bech32_polymod(const unsigned char *v, size_t n)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
	    0x3d4233dd, 0x2a1462b3 };
	uint32_t chk = 1, top;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		top = chk >> 25;
		chk = (chk & 0x1ffffff) << 5 ^ v[i];
		for (j = 0; j < 5; j++)
			if ((top >> j) & 1)
				chk ^= gen[j];
	}
	return chk;
}

/* The checksum input: the expanded prefix, then the 5-bit data. */
static size_t
bech32_expand(unsigned char *v, const char *hrp, size_t hlen,
    const unsigned char *data, size_t dlen)
{
	size_t i, n = 0;

	for (i = 0; i < hlen; i++)
		v[n++] = (unsigned char)hrp[i] >> 5;
	v[n++] = 0;
	for (i = 0; i < hlen; i++)
		v[n++] = (unsigned char)hrp[i] & 31;
	memcpy(v + n, data, dlen);
	return n + dlen;
}

/*
 * Encodes n bytes under a lower-case prefix, upper-casing the whole string
 * when upper is set.  Returns a bk_malloc'd string.
 */
char *
age_bech32_encode(const char *hrp, const unsigned char *key, size_t n, int upper)
{
	size_t hlen = strlen(hrp), dmax = (n * 8 + 4) / 5 + 6, i, d = 0, k;
	unsigned char *data = bk_malloc(dmax), *v = bk_malloc(2 * hlen + 1 +
	    dmax);
	char *out = bk_malloc(hlen + 1 + dmax + 1);
	uint32_t acc = 0, chk;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = acc << 8 | key[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			data[d++] = (acc >> bits) & 31;
		}
	}
	if (bits > 0)
		data[d++] = (acc << (5 - bits)) & 31;
	memset(data + d, 0, 6);
	k = bech32_expand(v, hrp, hlen, data, d + 6);
	chk = bech32_polymod(v, k) ^ 1;
	for (i = 0; i < 6; i++)
		data[d + i] = (chk >> (5 * (5 - i))) & 31;
	k = 0;
	for (i = 0; i < hlen; i++)
		out[k++] = upper ? (char)toupper((unsigned char)hrp[i]) : hrp[i];
	out[k++] = '1';
	for (i = 0; i < d + 6; i++) {
		char c = b32chars[data[i]];

		out[k++] = upper ? (char)toupper((unsigned char)c) : c;
	}
	out[k] = '\0';
	bk_explicit_bzero(data, dmax);
	bk_explicit_bzero(v, 2 * hlen + 1 + dmax);
	free(data);
	free(v);
	return out;
}

/*
 * Decodes a string with the given lower-case prefix into exactly n bytes.
 * The prefix must be followed by the separator '1', which the data
 * characters never contain, so "age" does not match an "age1pq1" string.
 * BIP 173 reads an all upper-case string as its lower-case twin, but age
 * fixes one case for each kind of string and refuses the other (the age
 * command calls "AGE1..." an unknown recipient type): the whole string
 * must be in upper case when upper is set, else in lower case.
 */
int
age_bech32_decode(const char *s, const char *hrp, unsigned char *key, size_t n,
    int upper)
{
	size_t len = strlen(s), hlen = strlen(hrp), i, dlen, nd, k = 0;
	unsigned char *data, *v;
	uint32_t acc = 0;
	int bits = 0, r = -1;
	const char *p;

	/* The longest key, an X-Wing public key, is 1946 characters. */
	if (len > 4096 || len < hlen + 1 + 6)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126 || (upper ? islower(c) : isupper(c)))
			return -1;
		if (i < hlen && tolower(c) != hrp[i])
			return -1;
	}
	if (s[hlen] != '1')
		return -1;
	nd = dlen = len - hlen - 1;
	data = bk_malloc(nd);
	v = bk_malloc(2 * hlen + 1 + nd);
	for (i = 0; i < dlen; i++) {
		if ((p = strchr(b32chars, tolower((unsigned char)s[hlen + 1 +
		    i]))) == NULL)
			goto out;
		data[i] = (unsigned char)(p - b32chars);
	}
	if (bech32_polymod(v, bech32_expand(v, hrp, hlen, data, dlen)) != 1)
		goto out;
	dlen -= 6;
	for (i = 0; i < dlen; i++) {
		acc = acc << 5 | data[i];
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (k == n)
				goto out;
			key[k++] = (acc >> bits) & 0xff;
		}
	}
	/* Padding: fewer than 5 bits, all zero. */
	if (k == n && bits < 5 && (acc & ((1u << bits) - 1)) == 0)
		r = 0;
out:
	bk_explicit_bzero(data, nd);
	bk_explicit_bzero(v, 2 * hlen + 1 + nd);
	free(data);
	free(v);
	return r;
}
