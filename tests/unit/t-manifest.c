/* t-manifest.c: the manifest library and the inspection of files. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <zlib.h>

#include "catalog/internal.h"
#include "tap.h"

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
drop_b(struct bk_entry *e, void *arg)
{
	(void)arg;
	if (strcmp(e->path, "a") == 0)
		bk_entry_set_verified(e, 1700000000, BK_VERIFIED_FAIL,
		    "digest mismatch");
	return strcmp(e->path, "b") != 0;
}

static void
test_paths(void)
{
	ok(bk_manifest_path_ok("daily/x.sql.gz") == 0, "plain path");
	ok(bk_manifest_path_ok("/etc/passwd") < 0, "absolute path refused");
	ok(bk_manifest_path_ok("a/../../b") < 0, "dot-dot refused");
	ok(bk_manifest_path_ok("..") < 0, "dot-dot alone refused");
	ok(bk_manifest_path_ok("a//b") < 0, "empty component refused");
	ok(bk_manifest_path_ok("./a") < 0, "dot component refused");
	ok(bk_manifest_path_ok("") < 0, "empty refused");
	ok(bk_manifest_path_ok("..a/b..") == 0, "dots inside names allowed");
}

static void
test_manifest(void)
{
	struct bk_manifest m;
	struct bk_entry *e;
	char *layers[] = { "csv", "gzip" }, *line;
	int bad;

	put("m.jsonl", "");
	bk_manifest_init(&m, "m.jsonl");
	bk_manifest_lock(&m, BK_LOCK_EX, 0, 0);
	ok(bk_manifest_load(&m, 0) == 0 && m.n == 0, "empty manifest");
	e = bk_entry_new("a");
	bk_entry_set_created(e, 1751034622, 7200);
	bk_entry_set_str(e, "type", "daily");
	bk_entry_set_int(e, "size", 42);
	bk_entry_set_layers(e, layers, 2);
	bk_entry_set_int(e, "records", 7);
	is_str(e->created, "2025-06-27T16:30:22+02:00", "created keeps offset");
	ok(e->created_off == 7200 && e->created_t == 1751034622,
	    "created parsed");
	line = bk_entry_line(e);
	is_str(line, "{\"path\":\"a\",\"created\":\"2025-06-27T16:30:22+02:00\","
	    "\"type\":\"daily\",\"size\":42,\"layers\":[\"csv\",\"gzip\"],"
	    "\"records\":7}", "line in insertion order");
	free(line);
	bk_manifest_append(&m, e);
	e = bk_entry_new("b");
	bk_manifest_append(&m, e);
	ok(m.n == 2, "appended entries are loaded");
	bk_manifest_unlock(&m);

	/* A garbled line, a line with unknown fields, a bad path. */
	{
		FILE *f = fopen("m.jsonl", "a");

		fputs("{\"path\":\"c\",\"created\":\"2025-01-01T00:00:00Z\","
		    "\"x-extra\":{\"k\":[1,2]}}\n", f);
		fputs("this is not json\n", f);
		fputs("{\"path\":\"../escape\",\"created\":"
		    "\"2025-01-01T00:00:00Z\"}\n", f);
		fputs("{\"path\":\"d\",\"created\":\"2025-01-01T00:00:00Z\"}",
		    f);
		fclose(f);
	}
	bad = bk_manifest_load(&m, BK_MF_QUIET);
	ok(bad == 2 && m.nbad == 2 && m.n == 6, "two bad lines counted");
	ok(m.ents[3].bad && m.ents[3].lineno == 4, "garbled line numbered");
	ok(m.ents[4].bad && strstr(m.ents[4].error, "leaves") != NULL,
	    "escaping path is a bad line");
	e = bk_manifest_find(&m, "a");
	ok(e != NULL && e->size == 42 && e->records == 7 && e->nlayers == 2 &&
	    strcmp(e->layers[1], "gzip") == 0 && strcmp(e->type, "daily") == 0,
	    "fields read back");
	ok(bk_manifest_find(&m, "zzz") == NULL, "missing entry not found");
	ok(bk_manifest_find(&m, "d") != NULL, "last line without newline read");

	bk_manifest_lock(&m, BK_LOCK_EX, 0, 0);
	/* Appending after a last line lacking its newline adds one first. */
	bk_manifest_append(&m, bk_entry_new("e"));
	ok(bk_manifest_rewrite(&m, drop_b, NULL) == 1, "rewrite drops one");
	bk_manifest_unlock(&m);
	line = slurp("m.jsonl");
	ok(line != NULL && strstr(line, "this is not json\n") != NULL,
	    "garbled line kept by the rewrite");
	ok(strstr(line, "\"x-extra\":{\"k\":[1,2]}") != NULL,
	    "unknown field kept");
	ok(strstr(line, "../escape") != NULL, "bad path line kept");
	ok(strstr(line, "\"path\":\"b\"") == NULL, "dropped entry gone");
	ok(strstr(line, "\"reason\":\"digest mismatch\"") != NULL &&
	    strstr(line, "\"result\":\"fail\"") != NULL, "verification written");
	ok(strstr(line, "\"path\":\"d\",\"created\":\"2025-01-01T00:00:00Z\"}\n"
	    "{\"path\":\"e\"") != NULL, "newline added before an append");
	bk_manifest_load(&m, BK_MF_QUIET);
	e = bk_manifest_find(&m, "a");
	ok(e != NULL && e->verified == BK_VERIFIED_FAIL &&
	    e->verified_t == 1700000000, "verification read back");
	{
		struct stat st;

		ok(stat("m.jsonl", &st) == 0 && (st.st_mode & 0777) == 0600,
		    "rewritten manifest is 0600");
	}
	bk_manifest_free(&m);

	bk_manifest_init(&m, "nosuch.jsonl");
	ok(bk_manifest_load(&m, BK_MF_MISSING_OK) == -1, "missing is allowed");
	bk_manifest_free(&m);
}

static int
keep_all(struct bk_entry *e, void *arg)
{
	(void)e;
	(void)arg;
	return 1;
}

static int
verify_all(struct bk_entry *e, void *arg)
{
	(void)arg;
	bk_entry_set_verified(e, 1700000000, BK_VERIFIED_OK, NULL);
	return 1;
}

/* Whether the n bytes at text hold needle. */
static int
has(const char *text, size_t n, const char *needle)
{
	size_t i, k = strlen(needle);

	for (i = 0; text != NULL && i + k <= n; i++)
		if (memcmp(text + i, needle, k) == 0)
			return 1;
	return 0;
}

/* The file's bytes, NUL bytes and all: its length in *n. */
static char *
slurpn(const char *path, size_t *n)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");

	*n = 0;
	if (f == NULL)
		return NULL;
	*n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static void
test_faults(void)
{
	static const char nul[] = "{\"path\":\"n\",\"created\":"
	    "\"2025-01-01T00:00:00Z\",\"size\":4\0,\"sha256\":null}\n";
	struct bk_manifest m;
	struct bk_entry *e, *d;
	char *text, *line;
	size_t n;
	FILE *f;

	/* A NUL byte after a number: jansson reads on, but it is a bad line. */
	put("f.jsonl", "{\"path\":\"a\",\"created\":\"2025-01-01T00:00:00Z\"}\n");
	f = fopen("f.jsonl", "a");
	fwrite(nul, 1, sizeof(nul) - 1, f);
	fclose(f);
	bk_manifest_init(&m, "f.jsonl");
	ok(bk_manifest_load(&m, BK_MF_QUIET) == 1 && m.n == 2 && m.ents[1].bad &&
	    strstr(m.ents[1].error, "NUL byte at column 54") != NULL,
	    "a NUL byte makes a bad line: %s", m.n > 1 && m.ents[1].error ?
	    m.ents[1].error : "");
	bk_manifest_lock(&m, BK_LOCK_EX, 0, 0);
	ok(bk_manifest_rewrite(&m, verify_all, NULL) == 0, "rewrite drops none");
	text = slurpn("f.jsonl", &n);
	ok(text != NULL && n > sizeof(nul) - 1 &&
	    memcmp(text + n - (sizeof(nul) - 1), nul, sizeof(nul) - 1) == 0,
	    "the NUL line is kept byte for byte");
	ok(text != NULL && strstr(text, "\"result\":\"ok\"") != NULL,
	    "the good line is changed");

	/* Appends are queued, then written together by the unlock. */
	bk_manifest_append(&m, bk_entry_new("b"));
	bk_manifest_append(&m, bk_entry_new("c"));
	text = slurpn("f.jsonl", &n);
	ok(text != NULL && !has(text, n, "\"path\":\"b\""),
	    "nothing written before the unlock");
	bk_manifest_unlock(&m);
	text = slurpn("f.jsonl", &n);
	ok(has(text, n, "\"path\":\"b\"") && has(text, n, "\"path\":\"c\"") &&
	    text[n - 1] == '\n', "both written at the unlock");

	/* An unfinished last line is cut off by the next append. */
	f = fopen("f.jsonl", "a");
	fputs("{\"path\":\"x\",\"crea", f);
	fclose(f);
	bk_manifest_load(&m, BK_MF_QUIET);
	ok(m.nbad == 2 && strstr(m.ents[m.n - 1].error, "unfinished") != NULL,
	    "an unfinished last line is reported as such");
	bk_manifest_lock(&m, BK_LOCK_EX, 0, 0);
	bk_manifest_append(&m, bk_entry_new("d"));
	bk_manifest_unlock(&m);
	text = slurpn("f.jsonl", &n);
	ok(text != NULL && !has(text, n, "{\"path\":\"x\"") &&
	    has(text, n, "\"}\n{\"path\":\"d\"") && text[n - 1] == '\n',
	    "... and removed by the next append");

	/* A copy of an entry, to append again after a rewrite dropped it. */
	bk_manifest_load(&m, BK_MF_QUIET);
	e = bk_manifest_find(&m, "a");
	d = bk_entry_dup(e);
	line = bk_entry_line(d);
	ok(e != NULL && strcmp(line, e->raw) == 0 && strcmp(d->path, "a") == 0 &&
	    d->verified == BK_VERIFIED_OK, "bk_entry_dup copies the line");
	free(line);
	bk_entry_free(d);
	bk_manifest_lock(&m, BK_LOCK_EX, 0, 0);
	ok(bk_manifest_rewrite(&m, keep_all, NULL) == 0, "a rewrite keeps all");
	bk_manifest_free(&m);
}

static void
test_relpath(void)
{
	struct bk_manifest m;
	char err[256], *r;
	int fd;

	mkdir("tree", 0700);
	mkdir("tree/daily", 0700);
	put("tree/daily/x.csv", "a\n");
	symlink("/etc", "tree/out");
	bk_manifest_init(&m, "tree/manifest.jsonl");
	r = bk_manifest_relpath(&m, "tree/daily/x.csv", err, sizeof(err));
	is_str(r, "daily/x.csv", "relative path inside the tree");
	free(r);
	r = bk_manifest_relpath(&m, "m.jsonl", err, sizeof(err));
	ok(r == NULL && strstr(err, "outside") != NULL, "outside refused");
	free(r);
	r = bk_manifest_relpath(&m, "tree/daily/../../m.jsonl", err,
	    sizeof(err));
	ok(r == NULL, "escape by dot-dot refused");
	free(r);
	fd = bk_manifest_open_file(&m, "daily/x.csv", O_RDONLY);
	ok(fd >= 0, "open a file in the tree");
	if (fd >= 0)
		close(fd);
	ok(bk_manifest_open_file(&m, "out/passwd", O_RDONLY) < 0,
	    "a symlink out of the tree is not followed");
	ok(bk_manifest_unlink_file(&m, "daily/x.csv") == 0 &&
	    access("tree/daily/x.csv", F_OK) != 0, "unlink in the tree");
	bk_manifest_free(&m);
}

static int
inspect(const char *path, struct bk_inspect *ins)
{
	int fd = open(path, O_RDONLY), r;

	r = bk_inspect_fd(fd, path, NULL, ins);
	close(fd);
	return r;
}

static void
test_inspect(void)
{
	struct bk_inspect ins;
	gzFile gz;
	FILE *f;
	int i;

	put("x.csv", "id,name\n1,\"a\nb\"\n2,c\r\n3,d");
	ok(inspect("x.csv", &ins) == 0 && ins.records == 3 &&
	    ins.nlayers == 1 && strcmp(ins.layers[0], "csv") == 0 &&
	    ins.size == 24, "csv records (quoted newline, no final newline)");
	is_str(ins.sha256, "b0fbedb2fc6b008be1bacaafc21f43d464bba4e0d53e6a9"
	    "110904c4b108fa819", "csv sha256");
	gz = gzopen("x.csv.gz", "wb");
	gzputs(gz, "id,name\n");
	for (i = 0; i < 100000; i++)
		gzprintf(gz, "%d,name %d\n", i, i);
	gzclose(gz);
	ok(inspect("x.csv.gz", &ins) == 0 && ins.records == 100000 &&
	    ins.nlayers == 2 && strcmp(ins.layers[0], "csv") == 0 &&
	    strcmp(ins.layers[1], "gzip") == 0, "csv.gz records and layers");
	/* A truncated gzip file is bad data. */
	f = fopen("x.csv.gz", "r+");
	ftruncate(fileno(f), 2000);
	fclose(f);
	ok(inspect("x.csv.gz", &ins) == -1 && ins.code == BK_EX_DATAERR &&
	    ins.layer_failed && strstr(ins.why, "truncated gzip input") != NULL,
	    "truncated gzip: %s", ins.why);

	put("d.sql", "--\n-- PostgreSQL database dump\n--\n\n\\restrict k1\n\n"
	    "CREATE TABLE t (a int);\n\n--\n-- PostgreSQL database dump "
	    "complete\n--\n\n\\unrestrict k1\n\n");
	ok(inspect("d.sql", &ins) == 0 && ins.complete == 1 &&
	    strcmp(ins.layers[0], "pg_dump") == 0, "pg_dump complete");
	put("d.sql", "--\n-- PostgreSQL database dump\n--\n\n\\restrict k1\n\n"
	    "CREATE TABLE t (a int);\n\n--\n-- PostgreSQL database dump "
	    "complete\n--\n\n");
	ok(inspect("d.sql", &ins) == -1 && ins.complete == 0 &&
	    !ins.layer_failed && ins.code == BK_EX_DATAERR,
	    "pg_dump without its \\unrestrict is incomplete");
	put("d.sql", "--\n-- PostgreSQL database dump\n--\n\n"
	    "CREATE TABLE t (a int);\n\n--\n-- PostgreSQL database dump "
	    "complete\n--\n\n");
	ok(inspect("d.sql", &ins) == 0 && ins.complete == 1,
	    "older pg_dump without \\restrict is complete");
	put("d.sql", "--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE");
	ok(inspect("d.sql", &ins) == -1 && ins.complete == 0,
	    "truncated pg_dump is incomplete");
	is_str(ins.why, "pg_dump script is incomplete (no \"-- PostgreSQL "
	    "database dump complete\" at the end)", "its reason");
	put("e", "");
	ok(inspect("e", &ins) == -1 && ins.size == 0 && ins.nlayers == 0 &&
	    strcmp(ins.why, "file is empty") == 0, "empty file: %s", ins.why);
	put("x.age", "age-encryption.org/v1\n-> X25519 abc\n--- xyz\n\001\002");
	ok(inspect("x.age", &ins) == -1 && ins.layer_failed &&
	    ins.nlayers == 1 && strcmp(ins.layers[0], "age") == 0,
	    "a bad age header is refused without a key: %s", ins.why);
}

/*
 * A raw NUL byte that jansson accepts (after a number) makes a bad line,
 * which a rewrite keeps byte for byte: read as good, its entry lost its
 * path, size and sha256 to {"verified":...} alone (issue 11).
 */
static void
test_nul_line(void)
{
	static const char text[] = "{\"path\":\"n.csv\",\"created\":"
	    "\"2024-02-01T00:00:00Z\",\"size\":1\0}\n";
	struct bk_manifest m;
	FILE *f;
	char buf[sizeof(text) + 16];
	size_t n;
	int bad;

	f = fopen("nul.jsonl", "w");
	fwrite(text, 1, sizeof(text) - 1, f);
	fclose(f);
	bk_manifest_init(&m, "nul.jsonl");
	bk_manifest_lock(&m, BK_LOCK_EX, 0, 0);
	bad = bk_manifest_load(&m, BK_MF_QUIET);
	ok(bad == 1 && m.n == 1 && m.ents[0].bad, "a line with a NUL byte "
	    "is bad (%s)", m.n == 1 && m.ents[0].error != NULL ?
	    m.ents[0].error : "good");
	bk_manifest_rewrite(&m, verify_all, NULL);
	bk_manifest_free(&m);
	f = fopen("nul.jsonl", "r");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ok(n == sizeof(text) - 1 && memcmp(buf, text, n) == 0,
	    "and a rewrite keeps it byte for byte");
}

/*
 * Passwords that hand-written stripping let through (issue 11), and the
 * one the fuzzer found: libpq must see no password in what is left, and
 * the password's text must be gone.
 */
static void
test_secrets_libpq(void)
{
	static const struct { const char *in, *pw; } t[] = {
		{ "postgresql://app:Summer#2024@db/erp", "Summer" },
		{ "postgresql://app:ab?cd@db/erp", "ab?cd" },
		{ "host=db password='ab://cd'", "ab://cd" },
		{ "postgresql://db/erp?%70assword=hunter2", "hunter2" },
		{ "host=db password=hunter2://", "hunter2" },
		{ "dbname='host=db password=hunter2' user=u", "hunter2" },
	};
	PQconninfoOption *o, *p;
	size_t i;
	char *s;
	int seen;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s = bk_strip_secrets(t[i].in);
		seen = 0;
		if ((o = PQconninfoParse(s, NULL)) != NULL) {
			for (p = o; p->keyword != NULL; p++)
				if (p->val != NULL &&
				    strstr(p->keyword, "password") != NULL)
					seen = 1;
			PQconninfoFree(o);
		}
		ok(!seen && strstr(s, t[i].pw) == NULL,
		    "no password left in \"%s\" (from %s)", s, t[i].in);
		free(s);
	}
}

/*
 * Each of bad (n members of a line's object) makes a bad line whose error
 * names field, with nothing of the line kept but the line.
 */
static void
bad_lines(const char *const bad[], size_t n, const char *field)
{
	struct bk_entry e;
	char *line;
	size_t i;

	for (i = 0; i < n; i++) {
		line = bk_asprintf("{\"path\":\"a\",\"created\":"
		    "\"2025-01-01T00:00:00Z\",%s}", bad[i]);
		memset(&e, 0, sizeof(e));
		entry_parse(&e, line, strlen(line), 1);
		ok(e.bad && strstr(e.error, field) != NULL && e.path == NULL &&
		    e.nremote == 0 && e.remote == NULL,
		    "a bad %s field makes a bad line: %s", field, bad[i]);
		entry_release(&e);
		free(line);
	}
}

/* The remote list: read, set, replaced by URL, checked, kept verbatim. */
static void
test_remote(void)
{
	static const char sha[] = "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	struct bk_entry e, *n;
	char *line;
	const char *good = "{\"path\":\"a\",\"created\":"
	    "\"2025-01-01T00:00:00Z\",\"remote\":[{\"url\":\"s3://b/a\","
	    "\"size\":3,\"sha256\":\"ABCDEF0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789\",\"etag\":\"x\",\"uploaded\":"
	    "\"2025-01-02T00:00:00Z\",\"verified\":{\"result\":\"fail\","
	    "\"reason\":\"gone\"},\"mine\":1}]}";
	const char *bad[] = {
		"\"remote\":{}", "\"remote\":[1]", "\"remote\":[{}]",
		"\"remote\":[{\"url\":1}]",
		"\"remote\":[{\"url\":\"s3://b/a\",\"size\":-1}]",
		"\"remote\":[{\"url\":\"s3://b/a\",\"sha256\":\"ab\"}]",
		"\"remote\":[{\"url\":\"s3://b/a\",\"uploaded\":\"now\"}]",
		"\"remote\":[{\"url\":\"s3://b/a\",\"verified\":{}}]",
	};

	memset(&e, 0, sizeof(e));
	entry_parse(&e, good, strlen(good), 1);
	ok(!e.bad && e.nremote == 1 && strcmp(e.remote[0].url, "s3://b/a") == 0
	    && e.remote[0].size == 3 && strncmp(e.remote[0].sha256, "abcdef",
	    6) == 0 && strcmp(e.remote[0].etag, "x") == 0 &&
	    e.remote[0].uploaded_t == 1735776000 &&
	    e.remote[0].verified == BK_VERIFIED_FAIL &&
	    strcmp(e.remote[0].verified_reason, "gone") == 0,
	    "a remote copy read back");
	line = bk_entry_line(&e);
	is_str(line, good, "an unchanged remote copy is kept verbatim");
	free(line);
	entry_release(&e);
	bad_lines(bad, sizeof(bad) / sizeof(bad[0]), "remote");

	n = bk_entry_new("a");
	bk_entry_set_remote(n, "s3://b/a", 3, sha, "e1", 1735776000);
	bk_entry_set_remote(n, "s3://c/a", 3, sha, NULL, 1735776000);
	ok(n->nremote == 2 && strcmp(n->remote[1].url, "s3://c/a") == 0 &&
	    n->remote[1].etag == NULL, "a second URL is a second copy");
	ok(bk_entry_set_remote_verified(n, "s3://b/a", 1735776000,
	    BK_VERIFIED_OK, NULL) == 0 && n->remote[0].verified ==
	    BK_VERIFIED_OK, "a copy's check recorded");
	ok(bk_entry_set_remote_verified(n, "s3://z/a", 1735776000,
	    BK_VERIFIED_OK, NULL) == -1, "no check for a copy not there");
	bk_entry_set_remote(n, "s3://b/a", 3, sha, "e2", 1735862400);
	ok(n->nremote == 2 && strcmp(n->remote[0].etag, "e2") == 0 &&
	    n->remote[0].verified == BK_VERIFIED_NONE &&
	    n->remote[0].uploaded_t == 1735862400,
	    "the same URL again replaces its record, and its check");
	ok(n->verified == BK_VERIFIED_NONE, "the file's own check untouched");
	bk_entry_free(n);
}

/* The drill: set, read back, replaced, kept verbatim; bad ones refused. */
static void
test_drill(void)
{
	static const char sum[] = "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff";
	const char *const names[] = { "s.u", "t" };
	const int64_t counts[] = { 100, 3 };
	const char *good = "{\"path\":\"a\",\"created\":"
	    "\"2025-01-01T00:00:00Z\",\"drill\":{\"time\":"
	    "\"2025-01-02T00:00:00Z\",\"result\":\"failed\",\"reason\":"
	    "\"x\",\"mine\":1}}";
	const char *bad[] = {
		"\"drill\":1", "\"drill\":{}", "\"drill\":{\"result\":\"fail\"}",
		"\"drill\":{\"result\":true}",
	};
	struct bk_drill d;
	struct bk_entry e, *n;
	char *line;

	memset(&e, 0, sizeof(e));
	entry_parse(&e, good, strlen(good), 1);
	ok(!e.bad && e.drill == BK_VERIFIED_FAIL && e.drill_t == 1735776000 &&
	    e.drill_checksum[0] == '\0', "a failed drill read back");
	line = bk_entry_line(&e);
	is_str(line, good, "an unchanged drill is kept verbatim");
	free(line);
	entry_release(&e);
	bad_lines(bad, sizeof(bad) / sizeof(bad[0]), "drill");

	n = bk_entry_new("a");
	memset(&d, 0, sizeof(d));
	d.t = 1735776000;
	d.ok = 1;
	d.records = 103;
	d.tables = names;
	d.counts = counts;
	d.ntables = 2;
	d.checksum = sum;
	bk_entry_set_drill(n, &d);
	ok(n->drill == BK_VERIFIED_OK && n->drill_t == 1735776000 &&
	    strcmp(n->drill_checksum, sum) == 0, "a drill recorded");
	line = bk_entry_line(n);
	ok(strstr(line, "\"result\":\"ok\",\"records\":103,\"tables\":"
	    "{\"s.u\":100,\"t\":3},\"checksum\":\"0011") != NULL &&
	    strstr(line, "reason") == NULL, "... in bk-manifest(5)'s order");
	free(line);
	d.ok = 0;
	d.records = -1;
	d.checksum = NULL;
	d.reason = "sha256 does not match";
	bk_entry_set_drill(n, &d);
	line = bk_entry_line(n);
	ok(n->drill == BK_VERIFIED_FAIL && n->drill_checksum[0] == '\0' &&
	    strstr(line, "\"result\":\"failed\",\"reason\":\"sha256 does "
	    "not match\"}") != NULL && strstr(line, "records") == NULL,
	    "a later drill replaces it, uncounted");
	free(line);
	ok(n->verified == BK_VERIFIED_NONE, "the verification untouched");
	bk_entry_free(n);
}

int
main(int argc, char *argv[])
{
	char tmpl[] = "/tmp/t-manifest.XXXXXX";

	bk_init(argc, argv);
	bk_set_verbosity(-1);
	if (mkdtemp(tmpl) == NULL || chdir(tmpl) < 0)
		return 1;
	test_paths();
	test_manifest();
	test_faults();
	test_relpath();
	test_inspect();
	test_nul_line();
	test_remote();
	test_drill();
	test_secrets_libpq();
	system("rm -rf \"$PWD\"");
	return tap_done();
}
