/*
 * fuzz-age.c: the age reader, bk_reader_age, and bk_age_info, run twice
 * on every input: with the test identities and passphrase of fuzz.h,
 * reading every byte; and with no identity, the header alone.
 * Properties: errors have a code and a message and stay; what decrypts
 * had its header unlocked; without identities nothing is ever unlocked
 * and no plaintext comes out; both runs agree on the header.
 */
#include "fuzz.h"

static struct bk_age_ids *ids;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	bk_init(*argc, *argv);
	ids = fuzz_ids();
	return 0;
}

static int
good_code(int code)
{
	return code == BK_EX_DATAERR || code == BK_EX_FAIL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[3 * BK_AGE_CHUNK];
	static const size_t sizes[] = { 1, 65536, 4096, 3 * BK_AGE_CHUNK, 17 };
	struct bk_age_info with, none;
	struct bk_reader *r;
	int head_ok, sealed_ok;
	ssize_t got;
	size_t i, total = 0;

	/* With the identity: the header, then every byte. */
	r = bk_reader_age(fuzz_reader(data, size, fuzz_step(size)), ids);
	head_ok = bk_age_info(r, &with) == 0;
	if (!head_ok && (!good_code(r->code) || r->err[0] == '\0'))
		fuzz_fail("info: code %d, message \"%s\"", r->code, r->err);
	for (i = 0;; i++) {
		got = r->read(r, buf, sizes[(i + size) % 5]);
		if (got <= 0)
			break;
		total += (size_t)got;
	}
	if (got < 0) {
		if (!good_code(r->code) || r->err[0] == '\0')
			fuzz_fail("read: code %d, message \"%s\"", r->code,
			    r->err);
		if (r->read(r, buf, 1) != -1)
			fuzz_fail("a read after an error did not fail");
	} else if (!head_ok || !with.unlocked)
		fuzz_fail("decrypted without an unlocked header");
	if (total > 0 && !with.unlocked)
		fuzz_fail("plaintext from a header not unlocked");
	bk_reader_close(r);

	/* Without identities: the header's syntax, and no plaintext. */
	r = bk_reader_age(fuzz_reader(data, size, fuzz_step(size + 1)), NULL);
	sealed_ok = bk_age_info(r, &none) == 0;
	if (!sealed_ok && (!good_code(r->code) || r->err[0] == '\0'))
		fuzz_fail("sealed info: code %d, message \"%s\"", r->code,
		    r->err);
	if (r->read(r, buf, sizeof(buf)) != -1)
		fuzz_fail("a read without identities did not fail");
	if (sealed_ok) {
		if (none.unlocked)
			fuzz_fail("unlocked without identities");
		if (none.stanzas < none.x25519 + none.mlkem + none.scrypt)
			fuzz_fail("%d stanzas of which %d, %d, %d",
			    none.stanzas, none.x25519, none.mlkem,
			    none.scrypt);
	}
	/* A header that unlocked is one that parses. */
	if (head_ok && !sealed_ok)
		fuzz_fail("the header parses with identities only: %s", r->err);
	if (head_ok && sealed_ok && (with.stanzas != none.stanzas ||
	    with.armored != none.armored || with.scrypt != none.scrypt))
		fuzz_fail("two readings of one header differ");
	bk_reader_close(r);
	return 0;
}
