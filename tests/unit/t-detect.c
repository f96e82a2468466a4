/* t-detect.c: layers by magic bytes. */
#include <string.h>

#include "stream/stream.h"
#include "tap.h"

#define D(s) bk_detect((s), sizeof(s) - 1)

int
main(void)
{
	ok(D("") == BK_LAYER_EMPTY, "empty");
	ok(D("\x1f\x8b\x08\x00") == BK_LAYER_GZIP, "gzip");
	ok(D("\x28\xb5\x2f\xfd\x04\x58") == BK_LAYER_ZSTD, "zstd");
	ok(D("\x50\x2a\x4d\x18\x00\x00\x00\x00") == BK_LAYER_ZSTD &&
	    D("\x5f\x2a\x4d\x18\x01\x00\x00\x00x") == BK_LAYER_ZSTD,
	    "a skippable frame first: zstd");
	ok(D("\x28\xb5") == BK_LAYER_ZSTD && D("\x28\xb5\x2f") == BK_LAYER_ZSTD,
	    "a whole input of the zstd magic's first bytes: a cut frame");
	ok(D("(") == BK_LAYER_CSV && D("PGDMP") == BK_LAYER_PGARCHIVE &&
	    D("P*M,x\n") == BK_LAYER_CSV, "text near the magic is not zstd");
	ok(strcmp(bk_layer_name(BK_LAYER_ZSTD), "zstd") == 0, "zstd's name");
	ok(D("age-encryption.org/v1\n-> X25519 x\n") == BK_LAYER_AGE, "age");
	ok(D("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n") ==
	    BK_LAYER_AGE_ARMOR, "armored age");
	ok(bk_detect("SQLite format 3\0\x10\0", 19) == BK_LAYER_SQLITE,
	    "sqlite");
	ok(D("--\n-- PostgreSQL database dump\n--\n") == BK_LAYER_PGDUMP,
	    "pg_dump");
	ok(D("--\n-- PostgreSQL database cluster dump\n--\n") ==
	    BK_LAYER_PGDUMPALL, "pg_dumpall");
	ok(strcmp(bk_layer_name(BK_LAYER_PGDUMPALL), "pg_dumpall") == 0,
	    "its name");
	ok(D("BEGIN;\nCOPY t FROM stdin;\n") == BK_LAYER_SQL, "sql");
	ok(D("{\"type\":\"x\"}\n") == BK_LAYER_JSONL, "jsonl");
	ok(D("type,id,valor\nx,1,2\n") == BK_LAYER_CSV, "csv");
	ok(bk_detect("\x00\x01\x02", 3) == BK_LAYER_UNKNOWN, "binary");
	ok(strcmp(bk_layer_name(BK_LAYER_GZIP), "gzip") == 0, "layer name");
	return tap_done();
}
