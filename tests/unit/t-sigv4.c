/*
 * t-sigv4: bk-s3's signer (tools/s3/sigv4.c) against the worked examples
 * of Amazon's "Authenticating Requests (AWS Signature Version 4)" for S3
 * (the example bucket, the example key pair, 24 May 2013 at midnight UTC,
 * us-east-1), whose signatures are published; then the encoding of keys
 * and queries, and the order of headers, as the specification says.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../tools/s3/s3.h"

#define AKID	"AKIAIOSFODNN7EXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DATE	"20130524T000000Z"
#define HOST	"examplebucket.s3.amazonaws.com"

static struct s3_sign
example(const char *method, const char *path, const struct s3_param *q,
    size_t nq, const struct s3_header *h, size_t nh, const char *payload)
{
	struct s3_sign sg;

	memset(&sg, 0, sizeof(sg));
	sg.method = method;
	sg.path = path;
	sg.query = q;
	sg.nquery = nq;
	sg.headers = h;
	sg.nheaders = nh;
	sg.payload = payload;
	sg.access_key = AKID;
	sg.secret_key = SECRET;
	sg.region = "us-east-1";
	sg.service = "s3";
	sg.amz_date = DATE;
	return sg;
}

static const char *
signature(const char *auth)
{
	const char *p = auth != NULL ? strstr(auth, "Signature=") : NULL;

	return p != NULL ? p + 10 : "(none)";
}

static char *
enc(const char *s, int keep_slash)
{
	struct bk_buf b = { NULL, 0, 0 };

	s3_uri_encode(&b, s, strlen(s), keep_slash);
	return b.p;
}

static char *
query(const struct s3_param *q, size_t n)
{
	struct bk_buf b = { NULL, 0, 0 };

	s3_query_string(&b, q, n);
	return b.p;
}

int
main(void)
{
	struct bk_buf b = { NULL, 0, 0 };
	struct s3_sign sg;
	char hex[S3_SHA256_HEX], *auth, *s;

	/* GET Object: the first ten bytes of test.txt. */
	{
		const struct s3_header h[] = {
			{ "Host", HOST },
			{ "Range", "bytes=0-9" },
			{ "x-amz-content-sha256", s3_empty_sha256 },
			{ "x-amz-date", DATE },
		};
		sg = example("GET", "/test.txt", NULL, 0, h, 4,
		    s3_empty_sha256);
		s3_canonical_request(&b, &sg);
		is_str(b.p, "GET\n/test.txt\n\n"
		    "host:" HOST "\nrange:bytes=0-9\n"
		    "x-amz-content-sha256:" "e3b0c44298fc1c149afbf4c8996fb924"
		    "27ae41e4649b934ca495991b7852b855\n"
		    "x-amz-date:" DATE "\n\n"
		    "host;range;x-amz-content-sha256;x-amz-date\n"
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
		    "7852b855", "GET object: the canonical request");
		s3_sha256_hex(b.p, b.len, hex);
		is_str(hex, "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb"
		    "2dc43964946972", "GET object: its hash");
		free(b.p);
		memset(&b, 0, sizeof(b));
		auth = s3_authorization(&sg);
		is_str(auth, "AWS4-HMAC-SHA256 Credential=" AKID
		    "/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;"
		    "range;x-amz-content-sha256;x-amz-date,Signature="
		    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c"
		    "6036bdb41", "GET object: the Authorization header");
		free(auth);
	}

	/* PUT Object: "Welcome to Amazon S3." as test$file.text. */
	{
		const char *body = "Welcome to Amazon S3.";
		char sha[S3_SHA256_HEX];

		s3_sha256_hex(body, strlen(body), sha);
		is_str(sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e4"
		    "2034a8b803f8b072", "PUT object: the payload's sha256");
		{
			const struct s3_header h[] = {
				{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
				{ "Host", HOST },
				{ "x-amz-date", DATE },
				{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
				{ "x-amz-content-sha256", sha },
			};
			s = enc("/test$file.text", 1);
			is_str(s, "/test%24file.text", "PUT object: '$' is %24");
			sg = example("PUT", s, NULL, 0, h, 5, sha);
			auth = s3_authorization(&sg);
			is_str(signature(auth), "98ad721746da40c64f1a55b78f14c2"
			    "38d841ea1380cd77a1b5971af0ece108bd",
			    "PUT object: the signature (headers given unsorted)");
			free(auth);
			free(s);
		}
	}

	/* GET Bucket Lifecycle: "?lifecycle" is signed as "lifecycle=". */
	{
		const struct s3_param q[] = { { "lifecycle", NULL } };
		const struct s3_header h[] = {
			{ "Host", HOST },
			{ "x-amz-date", DATE },
			{ "x-amz-content-sha256", s3_empty_sha256 },
		};
		s = query(q, 1);
		is_str(s, "lifecycle=", "a parameter without a value gets '='");
		free(s);
		sg = example("GET", "/", q, 1, h, 3, s3_empty_sha256);
		auth = s3_authorization(&sg);
		is_str(signature(auth), "fea454ca298b7da1c68078a5d1bdbfbbe0d65"
		    "c699e0f91ac7a200a0136783543", "GET lifecycle: the signature");
		free(auth);
	}

	/* List objects: the query sorted (max-keys before prefix). */
	{
		const struct s3_param q[] = { { "prefix", "J" },
		    { "max-keys", "2" } };
		const struct s3_header h[] = {
			{ "Host", HOST },
			{ "x-amz-date", DATE },
			{ "x-amz-content-sha256", s3_empty_sha256 },
		};
		s = query(q, 2);
		is_str(s, "max-keys=2&prefix=J", "the query is sorted by name");
		free(s);
		sg = example("GET", "/", q, 2, h, 3, s3_empty_sha256);
		auth = s3_authorization(&sg);
		is_str(signature(auth), "34b48302e7b5fa45bde8084f4b7868a86f0a5"
		    "34bc59db6670ed5711ef69dc6f7", "list objects: the signature");
		free(auth);
	}

	/* Keys in a path: only A-Z a-z 0-9 - _ . ~ and '/' stay as they are. */
	s = enc("a b+c=d", 1);
	is_str(s, "a%20b%2Bc%3Dd", "space, + and = are encoded");
	free(s);
	s = enc("x/../k/./", 1);
	is_str(s, "x/../k/./", "dots and slashes stay (sent with PATH_AS_IS)");
	free(s);
	s = enc("r\xc3\xa9sum\xc3\xa9/\xe2\x82\xac", 1);
	is_str(s, "r%C3%A9sum%C3%A9/%E2%82%AC", "UTF-8 bytes, upper-case hex");
	free(s);
	s = enc("~A-Z_a.z09", 1);
	is_str(s, "~A-Z_a.z09", "the unreserved characters stay");
	free(s);
	s = enc("!*'();:@&$,?#[]%\"<>\\^`{|}", 1);
	is_str(s, "%21%2A%27%28%29%3B%3A%40%26%24%2C%3F%23%5B%5D%25%22%3C%3E"
	    "%5C%5E%60%7B%7C%7D", "every other ASCII sign is encoded");
	free(s);
	s = enc("\x01\x7f\xff\n", 1);
	is_str(s, "%01%7F%FF%0A", "control bytes and 0xff are encoded");
	free(s);
	s = enc("a/b", 0);
	is_str(s, "a%2Fb", "in a query, '/' is encoded");
	free(s);
	s = enc("", 1);
	is_str(s, "", "the empty string");
	free(s);

	/* Queries: encoded, then sorted by name and value, '=' always. */
	{
		const struct s3_param q[] = {
			{ "uploadId", "2~x/y+z=" },
			{ "partNumber", "10" },
		};
		const struct s3_param q2[] = {
			{ "uploads", "" },
			{ "prefix", "a b" },
			{ "Zeta", "1" },
			{ "continuation-token", "1/+=" },
		};
		s = query(q, 2);
		is_str(s, "partNumber=10&uploadId=2~x%2Fy%2Bz%3D",
		    "an upload id is encoded whole");
		free(s);
		s = query(q2, 4);
		is_str(s, "Zeta=1&continuation-token=1%2F%2B%3D&prefix=a%20b&"
		    "uploads=", "byte order: upper case first; empty value '='");
		free(s);
		s = query(NULL, 0);
		is_str(s, "", "no query");
		free(s);
	}

	/* Headers: names in lower case, sorted by name alone, values trimmed. */
	{
		const struct s3_header h[] = {
			{ "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "k1" },
			{ "x-amz-server-side-encryption", "aws:kms" },
			{ "Host", "127.0.0.1:7480" },
			{ "X-Amz-Meta-Note", "  two   words\there  " },
		};
		memset(&b, 0, sizeof(b));
		sg = example("PUT", "/b/k", NULL, 0, h, 4, s3_empty_sha256);
		s3_signed_headers(&b, &sg);
		is_str(b.p, "host;x-amz-meta-note;x-amz-server-side-encryption;"
		    "x-amz-server-side-encryption-aws-kms-key-id",
		    "a header name that prefixes another sorts before it");
		free(b.p);
		memset(&b, 0, sizeof(b));
		s3_canonical_request(&b, &sg);
		ok(strstr(b.p, "\nx-amz-meta-note:two words here\n") != NULL,
		    "a value is trimmed, its inner blanks made one space");
		ok(strstr(b.p, "\nhost:127.0.0.1:7480\n") != NULL,
		    "the port stays in the host");
		free(b.p);
	}

	/* The Authorization header names no secret. */
	{
		const struct s3_header h[] = { { "Host", HOST } };

		sg = example("GET", "/", NULL, 0, h, 1, s3_empty_sha256);
		auth = s3_authorization(&sg);
		ok(strstr(auth, "wJalr") == NULL && strstr(auth, "EXAMPLEKEY") ==
		    NULL, "the secret is not in the Authorization header");
		free(auth);
	}
	return tap_done();
}
