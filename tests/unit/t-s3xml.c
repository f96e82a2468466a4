/*
 * t-s3xml: bk-s3's XML reader (tools/s3/xml.c) on the replies S3 sends
 * and on hostile ones: each refused with its reason, never read past.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../tools/s3/s3.h"

/* The events as text: "OPEN path", "TEXT path=text", "CLOSE path". */
static void
record(void *arg, enum s3_xml_event ev, const char *path, const char *text,
    size_t len)
{
	struct bk_buf *b = arg;
	const char *k = ev == S3_XML_OPEN ? "OPEN " : ev == S3_XML_TEXT ?
	    "TEXT " : "CLOSE ";

	bk_buf_add(b, k, strlen(k));
	bk_buf_add(b, path, strlen(path));
	if (ev == S3_XML_TEXT) {
		bk_buf_add(b, "=", 1);
		bk_buf_add(b, text, len);
	}
	bk_buf_add(b, "\n", 1);
	*bk_buf_room(b, 1) = '\0';
}

static char why[128];

static int
parse(const char *doc, size_t len, struct bk_buf *b)
{
	memset(b, 0, sizeof(*b));
	why[0] = '\0';
	return s3_xml_parse(doc, len, record, b, why, sizeof(why));
}

static void
refused(const char *doc, const char *reason, const char *name)
{
	struct bk_buf b;
	int r = parse(doc, strlen(doc), &b);

	ok(r == -1 && strstr(why, reason) != NULL, "refused: %s (%s)", name,
	    why);
	free(b.p);
}

int
main(void)
{
	struct bk_buf b;
	const char *list =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>b</Name><IsTruncated>true</IsTruncated>"
	    "<Contents><Key>a &amp; b &lt;&gt;&quot;&apos;</Key>"
	    "<Size>12</Size><ETag>&quot;x&quot;</ETag></Contents>"
	    "<!-- a comment -->"
	    "<Contents><Key>&#233;&#x20AC;<![CDATA[<raw>&amp;]]></Key><Size/>"
	    "</Contents>"
	    "<NextContinuationToken>t/+=</NextContinuationToken>"
	    "</ListBucketResult>\n";
	char nul[] = "<a>x\0y</a>";
	char deep[1200];
	const char *ns;
	int i;

	ok(parse(list, strlen(list), &b) == 0, "a listing is read (%s)", why);
	is_str(b.p,
	    "OPEN ListBucketResult\n"
	    "OPEN ListBucketResult/Name\nTEXT ListBucketResult/Name=b\n"
	    "CLOSE ListBucketResult/Name\n"
	    "OPEN ListBucketResult/IsTruncated\n"
	    "TEXT ListBucketResult/IsTruncated=true\n"
	    "CLOSE ListBucketResult/IsTruncated\n"
	    "OPEN ListBucketResult/Contents\n"
	    "OPEN ListBucketResult/Contents/Key\n"
	    "TEXT ListBucketResult/Contents/Key=a & b <>\"'\n"
	    "CLOSE ListBucketResult/Contents/Key\n"
	    "OPEN ListBucketResult/Contents/Size\n"
	    "TEXT ListBucketResult/Contents/Size=12\n"
	    "CLOSE ListBucketResult/Contents/Size\n"
	    "OPEN ListBucketResult/Contents/ETag\n"
	    "TEXT ListBucketResult/Contents/ETag=\"x\"\n"
	    "CLOSE ListBucketResult/Contents/ETag\n"
	    "CLOSE ListBucketResult/Contents\n"
	    "OPEN ListBucketResult/Contents\n"
	    "OPEN ListBucketResult/Contents/Key\n"
	    "TEXT ListBucketResult/Contents/Key=\xc3\xa9\xe2\x82\xac<raw>&amp;\n"
	    "CLOSE ListBucketResult/Contents/Key\n"
	    "OPEN ListBucketResult/Contents/Size\n"
	    "TEXT ListBucketResult/Contents/Size=\n"
	    "CLOSE ListBucketResult/Contents/Size\n"
	    "CLOSE ListBucketResult/Contents\n"
	    "OPEN ListBucketResult/NextContinuationToken\n"
	    "TEXT ListBucketResult/NextContinuationToken=t/+=\n"
	    "CLOSE ListBucketResult/NextContinuationToken\n"
	    "CLOSE ListBucketResult\n",
	    "... every element, entities, references and CDATA decoded");
	free(b.p);

	ns = "<s3:Error xmlns:s3=\"x\"><s3:Code>AccessDenied</s3:Code>"
	    "</s3:Error>";
	ok(parse(ns, strlen(ns), &b) == 0 && strstr(b.p, "TEXT Error/Code="
	    "AccessDenied\n") != NULL, "namespace prefixes are left out");
	free(b.p);
	ok(parse("<a x='>' y=\"/>\">t</a >", 22, &b) == 0 &&
	    strstr(b.p, "TEXT a=t\n") != NULL, "'>' inside attribute values");
	free(b.p);
	ok(parse("<a>tx</a>", 5, &b) == -1,
	    "the length given is the end: nothing read past it");
	free(b.p);

	refused("<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
	    "document type", "a DTD (no entity ever expanded)");
	refused("<a>&e;</a>", "unknown entity", "an entity not predefined");
	refused("<a>&#0;</a>", "does not allow", "&#0;");
	refused("<a>&#xD800;</a>", "does not allow", "a surrogate");
	refused("<a>&#x110000;</a>", "past U+10FFFF", "past U+10FFFF");
	refused("<a>&#99999999999999999999;</a>", "past U+10FFFF",
	    "a reference that would overflow");
	refused("<a>&#x;</a>", "bad character reference", "&#x;");
	refused("<a>&#12</a>", "bad character reference", "no ';'");
	refused("<a><b></a></b>", "does not match", "tags that cross");
	refused("<a></b>", "does not match", "a wrong end tag");
	refused("</a>", "without a start", "an end tag first");
	refused("<a>", "ends inside an element", "an unclosed element");
	refused("<a", "ends inside a tag", "a cut tag");
	refused("<a x=\"1>", "ends inside a tag", "a cut attribute");
	refused("<a></a><b></b>", "second root", "two roots");
	refused("x<a></a>", "outside the root", "text before the root");
	refused("<a></a>x", "outside the root", "text after the root");
	refused("", "no element", "an empty reply");
	refused("  \n", "no element", "blanks only");
	refused("<a><!-- x </a>", "unfinished comment", "a cut comment");
	refused("<a><![CDATA[x</a>", "unfinished CDATA", "a cut CDATA");
	refused("<?xml", "unfinished processing", "a cut declaration");
	refused("<>", "bad start tag", "an empty tag name");
	refused("<a><:>", "bad start tag", "a prefix without a name");
	ok(parse(nul, sizeof(nul) - 1, &b) == -1 && strstr(why, "NUL") != NULL,
	    "refused: a NUL byte");
	free(b.p);
	deep[0] = '\0';
	for (i = 0; i < S3_XML_DEPTH + 1; i++)
		strcat(deep, "<a>");
	refused(deep, "too deep", "17 levels");
	deep[0] = '\0';
	for (i = 0; i < S3_XML_DEPTH; i++)
		strcat(deep, "<a>");
	for (i = 0; i < S3_XML_DEPTH; i++)
		strcat(deep, "</a>");
	ok(parse(deep, strlen(deep), &b) == 0, "16 levels are read");
	free(b.p);
	memset(deep, 'n', 1100);
	deep[0] = '<';
	memcpy(deep + 1100, "/>", 3);
	refused(deep, "too long", "a name of 1100 bytes");
	return tap_done();
}
