/*
 * s3.h: the parts of bk-s3.  sigv4.c signs requests (AWS Signature
 * Version 4) and encodes keys; xml.c reads the replies; http.c sends
 * requests through libcurl; put.c uploads a stream, in one request or in
 * parts; config.c reads the configuration and the URL; put.c, get.c,
 * ls.c, object.c (head, rm, and what object lock says) and cleanup.c
 * are the commands.  bk-s3.c parses the command line and dispatches.
 */
#ifndef S3_H
#define S3_H

#include <signal.h>
#include <time.h>

#include "format/format.h"

/* The command line, as bk-s3.c read it; the commands read it. */
struct s3_opts {
	const char	*command;
	const char	*url;
	const char	*input;		/* put: NULL for stdin */
	const char	*output;	/* get: NULL for stdout */
	const char	*endpoint;
	const char	*manifest;	/* put -m: record the copy there */
	uint64_t	 part_size;
	uint64_t	 expected_size;	/* put: 0 when not given */
	unsigned	 max_parts;	/* put: 1 to 10000 */
	int		 progress;	/* put: -P */
	time_t		 lock_until;	/* put: 0 for no lock */
	const char	*lock_mode;	/* put: COMPLIANCE or GOVERNANCE */
	const char	*sse;		/* put: AES256, aws:kms or NULL */
	const char	*sse_kms_key_id;
	const char	*storage_class;
	int64_t		 older_than;	/* cleanup: seconds, -1 when not given */
	int		 dry_run;	/* cleanup: -n */
	unsigned	 page_size;	/* ls, cleanup: 0 for the store's default */
	int		 force;
	int		 json;
	int		 verbosity;
	int		 retries;	/* --retries, -1 if not given */
	int64_t		 retry_time;	/* --retry-time, seconds */
	int64_t		 timeout;	/* --timeout, seconds */
	char		*bucket;	/* from url, by s3_parse_url */
	char		*key;
};

/* ---- sigv4.c: AWS Signature Version 4, and S3's URI encoding ---- */

#define S3_SHA256_HEX	65	/* 64 hex digits and a NUL */

/* One query parameter, not encoded; a NULL value is sent as "name=". */
struct s3_param {
	const char	*name;
	const char	*value;
};

/* One header to send and sign; the name in any letter case. */
struct s3_header {
	const char	*name;
	const char	*value;
};

/* What a signature covers. */
struct s3_sign {
	const char		*method;	/* GET, PUT, ... */
	const char		*path;		/* encoded, as sent: /b/k%20x */
	const struct s3_param	*query;		/* in any order */
	size_t			 nquery;
	const struct s3_header	*headers;	/* every header signed */
	size_t			 nheaders;
	const char		*payload;	/* hex sha256 of the body, or
						   UNSIGNED-PAYLOAD */
	const char		*access_key;
	const char		*secret_key;
	const char		*region;
	const char		*service;	/* s3 */
	const char		*amz_date;	/* 20130524T000000Z */
};

/*
 * Appends s[0..n) percent-encoded as S3 requires: the bytes A-Z a-z 0-9
 * - _ . ~ as they are, '/' as it is when keep_slash is set (a key in a
 * path), every other byte as %XX with upper-case hex.  The buffer is
 * left NUL-terminated (the NUL not counted in len).
 */
void	s3_uri_encode(struct bk_buf *, const char *, size_t, int);
/*
 * Appends the query string, canonical form and sent form alike: each
 * name and value encoded, "name=value" (an explicit '=' when the value
 * is empty or NULL), sorted by encoded name then value, joined by '&'.
 * NUL-terminated.
 */
void	s3_query_string(struct bk_buf *, const struct s3_param *, size_t);
/*
 * Appends the canonical request of the signing specification: method,
 * path, query string, the headers (names lower case, sorted by name,
 * values trimmed with inner runs of spaces made one), the list of signed
 * header names, the payload hash; lines joined by LF.  NUL-terminated.
 */
void	s3_canonical_request(struct bk_buf *, const struct s3_sign *);
/* Appends the signed header names: "host;range;x-amz-date". */
void	s3_signed_headers(struct bk_buf *, const struct s3_sign *);
/*
 * The value of the Authorization header (bk_malloc'd): algorithm,
 * credential scope, signed headers, signature.  The keys derived from
 * the secret are wiped.
 */
char	*s3_authorization(const struct s3_sign *);
/* The hex sha256 of n bytes, into out (S3_SHA256_HEX bytes). */
void	s3_sha256_hex(const void *, size_t, char *);
/* The sha256 of the empty string in hex: the payload of a body-less request. */
extern const char s3_empty_sha256[];
/*
 * Decodes in place a name a listing sent with encoding-type=url: %XX is
 * the byte XX, '+' a space (as AWS writes them).  Returns the decoded
 * length, or -1 for a '%' without two hex digits.  The result may hold
 * any byte but NUL, which is refused (-1).
 */
ssize_t	s3_uri_decode(char *);
/* Whether s is exactly n lower-case hex digits. */
int	s3_hex(const char *, size_t);

/* ---- xml.c: a small, strict reader for S3's XML replies ---- */

enum s3_xml_event {
	S3_XML_OPEN,	/* an element begins: path */
	S3_XML_TEXT,	/* an element without children ends: path, its text */
	S3_XML_CLOSE	/* an element ends (after TEXT for a leaf): path */
};

/*
 * Called for each event with the element's path from the root, names
 * joined by '/' without namespace prefixes
 * ("ListBucketResult/Contents/Key"), and for S3_XML_TEXT the element's
 * text with entities and character references decoded (NUL-terminated;
 * the length is given too).
 */
typedef void	s3_xml_fn(void *, enum s3_xml_event, const char *,
	    const char *, size_t);

#define S3_XML_DEPTH	16	/* deepest element accepted */

/*
 * Reads an XML document: one root element, comments, processing
 * instructions and CDATA sections; no DTD (a reply that declares one is
 * refused, so no entity is ever expanded), only the five predefined
 * entities and character references of valid code points, no NUL byte,
 * tags that nest and match, depth at most S3_XML_DEPTH.  Returns 0, or
 * -1 with a phrase in why (the events already called stand).
 */
int	s3_xml_parse(const char *, size_t, s3_xml_fn *, void *, char *,
	    size_t);

/* ---- http.c: requests through libcurl, and their retries ---- */

#define S3_RETRIES	10	/* retries of a request, by default */
#define S3_RETRY_TIME	300	/* seconds after which none begins */
#define S3_TIMEOUT	60	/* seconds to connect, or of a stall */
#define S3_BACKOFF_BASE	1.0	/* seconds: the first retry's bound */
#define S3_BACKOFF_CAP	20.0	/* seconds: the longest backoff */

/* Where the requests go and who signs them. */
struct s3 {
	char		*endpoint;	/* scheme://host[:port], no '/' after */
	char		*host;		/* host[:port] as in the Host header */
	int		 path_style;	/* /BUCKET/KEY, else BUCKET.host/KEY */
	const char	*region;
	char		*access_key;
	char		*secret_key;	/* wiped when done */
	char		*token;		/* AWS_SESSION_TOKEN, or NULL */
	void		*curl;		/* CURL *, reused for every request */
	int		 verbose;
	unsigned	 retries;	/* after a request's first attempt */
	int64_t		 retry_time;	/* seconds: no retry begins after */
	long		 timeout;	/* seconds: to connect; a stall */
	char		*ca_bundle;	/* AWS_CA_BUNDLE, or NULL */
};

/* A body sink for a reply in 2xx: writes n bytes; returns 0 or -1 to stop. */
typedef int	s3_sink_fn(void *, const void *, size_t);

#define S3_MAX_PARAMS	8
#define S3_MAX_HEADERS	12
#define S3_REPLY_MAX	(16 * 1024 * 1024)	/* longest XML reply read */

struct s3_req {
	const char	*method;
	const char	*bucket;
	const char	*key;		/* NULL: the bucket itself */
	struct s3_param	 query[S3_MAX_PARAMS];
	size_t		 nquery;
	struct s3_header headers[S3_MAX_HEADERS];	/* signed */
	size_t		 nheaders;
	const void	*body;		/* PUT, POST: the body */
	size_t		 bodylen;
	const char	*body_sha256;	/* its hex sha256; NULL: computed */
	int		 head;		/* HEAD: no body expected */
	s3_sink_fn	*sink;		/* a 2xx body goes here, else to reply */
	void		*sink_arg;
	int		 unstoppable;	/* a signal does not stop it (Abort) */
};

struct s3_resp {
	long		 status;	/* HTTP status, 0 when none came */
	struct bk_buf	 reply;		/* body (not for a sink), NUL-ended */
	int		 too_long;	/* the reply passed S3_REPLY_MAX */
	char		 etag[130];	/* as sent, quotes included */
	int64_t		 length;	/* Content-Length, -1 if none; of a
					   resumed download, the whole size */
	int64_t		 range_start;	/* of Content-Range, -1 if none */
	int64_t		 range_size;	/* the size after its '/', or -1 */
	char		 sha256[80];	/* x-amz-meta-sha256, "" if none */
	char		 last_modified[64];
	char		 sse[32];	/* x-amz-server-side-encryption */
	char		 version_id[256];	/* x-amz-version-id */
	char		 code[64];	/* of an <Error> body */
	char		 message[256];
	int		 transport;	/* the request never got an answer */
	int		 tls;		/* ... for a certificate not trusted */
	int		 permanent;	/* ... and trying again cannot help */
	int		 stopped;	/* a sink or a signal stopped it */
	char		 why[256];	/* libcurl's reason, for transport */
	unsigned	 attempts;	/* how many were made */
};

/* Signals that stop a transfer (set by bk-s3's handler), 0 if none. */
extern volatile sig_atomic_t s3_signal;
/* Sets s3_signal on SIGINT, SIGTERM and SIGHUP, but for those ignored. */
void	s3_catch_signals(void);

/*
 * Makes the libcurl handle, takes the retry options from o (without
 * --retries, AWS_MAX_ATTEMPTS less one, else S3_RETRIES) and the CA
 * bundle from AWS_CA_BUNDLE (for an https endpoint); exits 70 when
 * libcurl cannot start, 78 when AWS_MAX_ATTEMPTS is bad or the bundle
 * cannot be read.  s3_close wipes the secret and frees
 * everything s3_configure and s3_open made.
 */
void	s3_open(struct s3 *, const struct s3_opts *);
void	s3_close(struct s3 *);
/*
 * Sends one signed request and reads its answer into resp (cleared
 * first; free its reply with s3_resp_free).  A request that gets no
 * answer (refused, reset, timed out, stalled), a 5xx or 429, or an
 * <Error> (a 200 one included) whose code says to try again (SlowDown,
 * RequestTimeout, BadDigest, InternalError, ServiceUnavailable) is sent
 * again after a backoff with full jitter, at most s3->retries times and
 * none after s3->retry_time; after a signal, none (an unstoppable
 * request, an abort, is sent once).  A download into a sink that breaks after some bytes
 * went in resumes where it broke, from the same object (Range and
 * If-Match: a 412 means the object changed); resp->length is then the
 * whole size.  A conditional PUT (If-None-Match) refused with 412 after
 * an attempt whose answer was lost is taken as done when the key holds
 * its body (HEAD: the ETag is the body's MD5).  Returns 0 when an answer
 * came (whatever its status: an <Error> body is read into code and
 * message), -1 when none did (resp->why says why) or a sink or a signal
 * stopped the transfer (resp->stopped); resp->attempts counts them.
 */
int	s3_request(struct s3 *, struct s3_req *, struct s3_resp *);
void	s3_resp_free(struct s3_resp *);
/* Adds a query parameter or a header to a request (names not copied). */
void	s3_req_param(struct s3_req *, const char *, const char *);
void	s3_req_header(struct s3_req *, const char *, const char *);
/*
 * The exit code of DESIGN.md for a failed request: 69 no answer or a
 * 5xx, 78 a certificate not trusted, 77 refused (403), 66 no such key or
 * bucket (404), 73 the key exists (412), 65 a body the server found
 * damaged (BadDigest), 70 any other refusal.
 */
int	s3_exit_code(const struct s3_resp *);
/*
 * Exits with s3_exit_code after one line: 'could not WHAT "s3://b/k":
 * 403 AccessDenied: message' (the server's code and message when it gave
 * them), or libcurl's reason when there was no answer; then "(N
 * attempts)" when there were more than one.
 */
void	s3_fail(const struct s3_resp *, const char *, const char *,
	    const char *) BK_NORETURN;
/* The name to show: "s3://BUCKET/KEY", control bytes as '?' (malloc'd). */
char	*s3_name(const char *, const char *);

/* ---- put.c: an upload, whole or in parts ---- */

#define S3_MAX_PARTS	10000	/* S3's limit on part numbers */

struct s3_put {
	const char	*bucket;
	const char	*key;
	int		 fd;		/* the stream */
	const char	*input;		/* its name for messages */
	size_t		 part_size;
	unsigned	 max_parts;	/* 0: S3_MAX_PARTS */
	int		 force;		/* replace an existing key */
	struct bk_progress *meter;	/* bytes read, or NULL */
	/* what the object is to be: each NULL (or 0) for the store's default */
	const char	*sse;		/* AES256 or aws:kms */
	const char	*sse_kms_key_id;
	const char	*storage_class;
	const char	*lock_mode;	/* COMPLIANCE or GOVERNANCE */
	time_t		 lock_until;	/* 0: no lock */
	/* results */
	uint64_t	 size;
	char		 sha256[S3_SHA256_HEX];	/* of the whole stream */
	unsigned	 parts;		/* 0 for a single PUT */
	char		 etag[130];
};

/*
 * Uploads the stream: a single PUT when it ends within the first part,
 * else a multipart upload in parts of part_size (the last shorter), the
 * next part read and hashed while the one before is sent, at most
 * max_parts of them.  Every body goes with its Content-MD5 and its
 * signed sha256; the whole stream's sha256 becomes the object's metadata
 * (x-amz-meta-sha256).  Then HEAD checks size, ETag, metadata and
 * encryption, and the store is asked for the lock it keeps.  A multipart
 * upload that fails or is interrupted is aborted.  Exits on failure with
 * one message; returns when the object is whole.
 */
void	s3_put_stream(struct s3 *, struct s3_put *);
/*
 * The part size for a stream of expected bytes in at most max_parts
 * parts: the least whole number of MiB that holds it, never below
 * least; 0 when even 5 GiB parts cannot.
 */
uint64_t s3_part_size_for(uint64_t, unsigned, uint64_t);
/*
 * Aborts the multipart upload of bucket/key with that id (DELETE
 * ?uploadId=ID, which a signal does not stop).  Never sends an empty id
 * (radosgw deletes the object for one): returns -1 at once for it.
 * Returns 0 when the store said yes, else -1 with its answer in resp.
 */
int	s3_abort(struct s3 *, const char *, const char *, const char *,
	    struct s3_resp *);

/* Runs put: uploads the input, prints "SHA256  s3://BUCKET/KEY". */
int	s3_cmd_put(struct s3 *, const struct s3_opts *);
/*
 * Runs cleanup: aborts the multipart uploads under the prefix begun at
 * least older_than seconds ago (with dry_run, only says which), a line
 * each on standard output.
 */
int	s3_cmd_cleanup(struct s3 *, const struct s3_opts *);

/* ---- record.c: put -m, the copy recorded in the manifest ---- */

struct s3_record;

/*
 * Before any request: the input file fd (o->input) must have an entry in
 * the manifest o->manifest whose size and sha256 are the file's (read
 * once, then rewound).  Exits 66 (no manifest), 65 (not a regular file,
 * outside the manifest's folder) or 1 (no entry, or another file) with
 * one line; else returns what s3_record_write needs.
 */
struct s3_record *s3_record_check(const struct s3_opts *, int);
/*
 * After the upload was checked: adds the copy (url, size, sha256, ETag,
 * time) to the entry, or replaces the one of the same url, under the
 * manifest's exclusive lock in one atomic rewrite.  Exits 1 if the file
 * or its entry changed during the upload.  Frees the record.
 */
void	s3_record_write(struct s3_record *, const struct s3_put *);

/* ---- config.c: configuration and URLs ---- */

/*
 * Splits o->url (s3://BUCKET/KEY) into o->bucket and o->key; a usage
 * error (exit 64) when it is not one.  The key may be empty only when
 * prefix_ok.
 */
void	s3_parse_url(struct s3_opts *, int);
/*
 * Fills s3 (cleared first) from the environment, the shared credentials
 * file and o: region, endpoint and addressing, credentials.  Exits 78
 * when the configuration is incomplete or bad.
 */
void	s3_configure(struct s3 *, const struct s3_opts *);

/* ---- ls.c: listings ---- */

/* One entry of a listing, its fields as the store wrote them (or NULL). */
struct s3_entry {
	char		*key;
	char		*size;
	char		*modified;	/* LastModified, Initiated (uploads) */
	char		*etag;
	char		*version;	/* VersionId (versions), UploadId
					   (uploads) */
	int		 latest;	/* IsLatest (versions only) */
	int		 delete_marker;	/* a DeleteMarker (versions only) */
};

/* Called for each entry; returns 0 to go on, else the walk stops. */
typedef int	s3_entry_fn(void *, const struct s3_entry *);

/* What a listing lists. */
enum s3_listing {
	S3_LIST_OBJECTS,	/* ListObjectsV2 */
	S3_LIST_VERSIONS,	/* ListObjectVersions: every version and
				   delete marker, newest first for each key */
	S3_LIST_UPLOADS		/* ListMultipartUploads: those incomplete */
};

/*
 * Walks the listing of the keys under prefix, page after page (page_size
 * entries each, 0 for the store's default), keys asked URL-encoded and
 * decoded.  fn may send requests of its own.  Exits with one message
 * when a request fails or a reply is bad.
 */
void	s3_list(struct s3 *, const char *, const char *, unsigned,
	    enum s3_listing, s3_entry_fn *, void *);

/* ---- object.c: object lock ---- */

/* The lock on one version of an object. */
struct s3_lock {
	char		 mode[16];	/* GOVERNANCE, COMPLIANCE; "" none */
	int		 has_until;
	time_t		 until;		/* retain until, rounded up to the
					   second */
	int		 legal_hold;
};

/*
 * Whether the bucket has object lock enabled (GET ?object-lock): 1, or 0
 * when the store says it has none or knows no object lock.  Exits with
 * one message on any other failure (403 among them: a listing for
 * retention must not take "may not ask" for "not locked").
 */
int	s3_bucket_locked(struct s3 *, const char *);
/*
 * Reads the retention and the legal hold of a version of key (the
 * current one when version is NULL) into lock; "none" when the bucket has
 * no object lock.  Exits with one message when the store refuses.
 */
void	s3_lock_get(struct s3 *, const char *, const char *, const char *,
	    struct s3_lock *);

/* ---- get.c, ls.c, object.c: the other commands, each an exit code ---- */

int	s3_cmd_get(struct s3 *, const struct s3_opts *);
int	s3_cmd_ls(struct s3 *, const struct s3_opts *);
int	s3_cmd_head(struct s3 *, const struct s3_opts *);
int	s3_cmd_rm(struct s3 *, const struct s3_opts *);

#endif /* S3_H */
