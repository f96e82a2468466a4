/* t-digest.c: the digest table against published test vectors. */
#include "stream/stream.h"
#include "tap.h"

static void
check(const char *alg, const char *msg, size_t len, const char *want)
{
	struct bk_digest d;
	unsigned char md[BK_DIGEST_MAX];
	char hex[2 * BK_DIGEST_MAX + 1];
	const struct bk_digest_alg *a = bk_digest_lookup(alg);

	ok(a != NULL, "%s is known", alg);
	if (a == NULL)
		return;
	bk_digest_init(&d, a);
	/* Feed in two pieces to exercise update. */
	bk_digest_update(&d, msg, len / 2);
	bk_digest_update(&d, msg + len / 2, len - len / 2);
	bk_digest_final(&d, md);
	bk_hex(hex, md, a->len);
	is_str(hex, want, alg);
}

int
main(void)
{
	check("sha256", "abc", 3, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	check("SHA256", "", 0, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	check("sha512", "abc", 3, "ddaf35a193617abacc417349ae204131"
	    "12e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	    "454d4423643ce80e2a9ac94fa54ca49f");
	check("sha1", "abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	check("md5", "abc", 3, "900150983cd24fb0d6963f7d28e17f72");
	check("sha3-256", "abc", 3, "3a985da74fe225b2045c172d6bd390bd"
	    "855f086e3e9d525b46bfe24511431532");
	check("blake2b512", "abc", 3, "ba80a53f981c4d0d6a2797b69f12f6e9"
	    "4c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc95"
	    "18d38aa8dbf1925ab92386edd4009923");
	ok(bk_digest_lookup("crc32") == NULL, "unknown algorithm");
	ok(bk_digest_lookup("BLAKE2b") != NULL, "BSD tag name finds blake2b");
	return tap_done();
}
