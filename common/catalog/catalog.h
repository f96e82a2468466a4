/*
 * catalog.h: the top layer, what bk knows about a tree of backups: the
 * manifest, the inspection of a backup file (is it whole?), bk-crypt's
 * plain records, which files are backups and the walk of a tree, and the
 * retention policy.  Includes format.h and age.h (and so stream.h and
 * platform.h).
 */
#ifndef BK_CATALOG_H
#define BK_CATALOG_H

#include "format/format.h"
#include "age/age.h"

/* ---- manifest.c: the manifest (JSON Lines), its lock and rewrite ---- */

/*
 * The manifest is a JSON Lines file at the root of a backup tree, one object
 * per backup (bk-manifest(5)).  Its default is the nearest BK_MANIFEST_NAME
 * in the current folder or above it (as git finds its repository), else
 * one in the current folder; $BK_MANIFEST, then -m, override it.  Entry paths are
 * relative to the manifest's folder.  Appends and rewrites take an
 * exclusive flock(2) on the manifest; reads take a shared one.
 */
#define BK_MANIFEST_NAME	"manifest.jsonl"
#define BK_MANIFEST_ENV		"BK_MANIFEST"
/*
 * The jobs' journal beside the manifest (examples/bk-job.sh -j, read by
 * bk-manifest report): JSON Lines too, yet never a backup.
 */
#define BK_JOURNAL_NAME		"jobs.jsonl"
#define BK_MANIFEST_LINE_MAX	(1024 * 1024)	/* longest line accepted */
#define BK_LAYERS_MAX		8

enum bk_verified {
	BK_VERIFIED_NONE = 0,	/* never verified */
	BK_VERIFIED_OK,
	BK_VERIFIED_FAIL
};

/*
 * A copy of a backup elsewhere, one element of the entry's "remote" list
 * (bk-s3 put -m writes it): the object's URL, its size and sha256 (the
 * entry's own), the ETag the store gave it (without quotes), when it was
 * uploaded, and the last check of it (bk-verify --remote --record).
 */
struct bk_remote {
	char		*url;		/* s3://bucket/key */
	int64_t		 size;		/* -1 when absent */
	char		 sha256[65];	/* lowercase hex, "" when absent */
	char		*etag;		/* NULL when absent */
	char		*uploaded;	/* RFC 3339, NULL when absent */
	time_t		 uploaded_t;
	enum bk_verified verified;	/* its last check's result */
	char		*verified_time;	/* RFC 3339, NULL when never */
	time_t		 verified_t;
	char		*verified_reason;	/* why it failed, or NULL */
};

/*
 * One line of the manifest.  A line that could not be parsed has bad set,
 * error saying why, raw and lineno; its other fields are empty, and every
 * caller must skip it (it is not a backup) but it is never dropped.  Strings
 * are NULL when the field is absent.  Fields not known here stay in the line
 * (raw, or json once the entry is changed) and survive every rewrite.
 */
struct bk_entry {
	char		*path;		/* relative, never absolute or "..": checked */
	int64_t		 size;		/* bytes, -1 when absent */
	char		 sha256[65];	/* lowercase hex, "" when absent */
	char		*created;	/* RFC 3339 as recorded */
	time_t		 created_t;	/* the same instant */
	long		 created_off;	/* its UTC offset, seconds east */
	char		*type;		/* daily, weekly, monthly, manual, ... */
	char		*description;
	char		*created_by;
	char		*source;	/* without secrets */
	char		*layers[BK_LAYERS_MAX];	/* innermost first: csv gzip age */
	size_t		 nlayers;
	int64_t		 records;	/* -1 when unknown */
	int		 complete;	/* pg_dump: 1 or 0; -1 when unknown */
	enum bk_verified verified;	/* the last verification's result */
	char		*verified_time;	/* RFC 3339, NULL when never */
	time_t		 verified_t;
	char		*verified_reason;	/* why it failed, or NULL */
	enum bk_verified drill;		/* the last restore drill's result */
	char		*drill_time;	/* RFC 3339, NULL when never */
	time_t		 drill_t;
	char		 drill_checksum[65];	/* its content checksum, or "" */
	struct bk_remote *remote;	/* its copies elsewhere, in order */
	size_t		 nremote;

	size_t		 lineno;	/* 1-based line number, 0 for a new entry */
	char		*raw;		/* the line as read, without newline */
	int		 bad;		/* could not be parsed: only raw, lineno */
	char		*error;		/* why, when bad */
	struct json_t	*json;		/* the object, once changed or built */
	int		 dirty;		/* changed: written from json, not raw */
	void		*user;		/* free for the caller */
};

struct bk_manifest {
	char		*path;		/* the manifest file as named */
	char		*dir;		/* its folder, absolute, symlinks resolved */
	int		 fd;		/* open while locked, else -1 */
	int		 lock;		/* 0, BK_LOCK_SH or BK_LOCK_EX */
	int		 dirfd;		/* the folder, for *at() calls, or -1 */
	int		 wait;		/* load's lock timeout, -1 (forever) */
	char		*pend;		/* appended lines not yet written */
	size_t		 pendlen, pendcap;
	struct bk_entry	*ents;		/* after bk_manifest_load, in file order */
	size_t		 n;		/* entries, bad lines included */
	size_t		 nbad;		/* lines that could not be parsed */
	size_t		 cap;
};

#define BK_LOCK_SH	1
#define BK_LOCK_EX	2

/* Flags for bk_manifest_load. */
#define BK_MF_STRICT	0x01	/* a bad line exits 65 instead of a warning */
#define BK_MF_MISSING_OK 0x02	/* a missing manifest is an empty one */
#define BK_MF_QUIET	0x04	/* no warning for bad lines (nbad counts them) */

/*
 * Names the manifest: path, else $BK_MANIFEST, else ./manifest.jsonl.
 * Resolves its folder (exits 66 if the folder is missing).  Opens nothing.
 */
void	bk_manifest_init(struct bk_manifest *, const char *);
/* The nearest manifest in folder or above it (malloc'd), or NULL. */
char	*bk_manifest_locate(const char *);
/* Frees the entries, unlocks and closes. */
void	bk_manifest_free(struct bk_manifest *);
/*
 * Opens and locks the manifest: mode BK_LOCK_SH (a missing file exits 66,
 * unless missing_ok, then returns -1 and locks nothing) or BK_LOCK_EX
 * (creates the file, mode 0600).  timeout: seconds to wait, -1 forever,
 * 0 not at all; a lock still busy then exits 75.  A manifest replaced by
 * a rewrite while waiting is reopened.  A manifest that is a symbolic
 * link is refused (exit 65): appends would follow it and rewrites replace
 * it.  Returns 0.
 */
int	bk_manifest_lock(struct bk_manifest *, int mode, int timeout,
	    int missing_ok);
/*
 * Writes what was appended, all lines in one write(2), and fsyncs it;
 * on failure, cuts the file back to its length before, so that nothing
 * was added, and exits 74.  Then unlocks.
 */
void	bk_manifest_unlock(struct bk_manifest *);
/*
 * Reads every line into m->ents (replacing what was loaded), streaming,
 * under the lock already held or else a shared lock taken for the read
 * (waiting m->wait seconds, as bk_manifest_lock's timeout).
 * Bad lines are kept with bad set and reported "FILE:LINE: reason" as
 * warnings (errors exiting 65 with BK_MF_STRICT).  Returns the number of
 * bad lines, or -1 if the manifest is missing and BK_MF_MISSING_OK.
 */
int	bk_manifest_load(struct bk_manifest *, int);
/* The loaded entry with this relative path (bad lines skipped), or NULL. */
struct bk_entry *bk_manifest_find(struct bk_manifest *, const char *);
/*
 * Appends one entry (built with bk_entry_new and the setters, or copied
 * with bk_entry_dup).  Needs BK_LOCK_EX.  The line is only queued: the
 * lines of all appends are written together, in one write(2), and
 * fsynced by bk_manifest_unlock (or _free, or before a rewrite), so that
 * they are all added or none; they are durable when it returns.  The
 * entry is also added to m->ents (the manifest takes ownership of it; this
 * may move m->ents).
 */
void	bk_manifest_append(struct bk_manifest *, struct bk_entry *);
/*
 * Rewrites the manifest atomically: needs BK_LOCK_EX; writes the lines
 * appended so far first; reads the file again line by line; calls
 * keep(entry, arg) for each good entry, which returns 1 to keep it
 * (verbatim, or from its json if changed by a setter) or 0 to drop it;
 * bad lines are always kept verbatim, except an unfinished last line (no
 * newline and not JSON: what a cut append left), which goes.  The new
 * file (0600, in the same folder) is fsynced, locked, renamed over the
 * manifest and the folder fsynced; the lock stays held on the new file.
 * If anything fails before the rename, the manifest is unchanged.  A line longer than
 * BK_MANIFEST_LINE_MAX makes it refuse (exit 65) rather than lose it.
 * The entries passed to keep are fresh copies read from the file, not
 * those of m->ents; m->ents stays valid during the rewrite (keep may look
 * things up there, by path) and is emptied at its end: load again to see
 * the result.  Returns the number of entries dropped.
 */
size_t	bk_manifest_rewrite(struct bk_manifest *,
	    int (*)(struct bk_entry *, void *), void *);
/* ---- paths.c: the files entries name, relative to the manifest ---- */

/*
 * Turns a file name (relative to the current folder, or absolute) into a
 * path relative to the manifest's folder, following symlinks in its
 * folders but not in its last component.  Returns a new string, or NULL
 * with a reason in err (bufsize bytes) if it lies outside the tree.
 */
char	*bk_manifest_relpath(struct bk_manifest *, const char *, char *,
	    size_t);
/*
 * Opens an entry's file relative to the manifest's folder without
 * following any symlink on the way (O_NOFOLLOW on every component), so
 * that nothing outside the tree is ever reached.  flags as for open(2).
 * Returns a descriptor or -1 with errno set (ELOOP for a symlink).
 */
int	bk_manifest_open_file(struct bk_manifest *, const char *, int);
/* Removes an entry's file the same way; 0 or -1 with errno set. */
int	bk_manifest_unlink_file(struct bk_manifest *, const char *);
/* Checks a relative path as stored in the manifest: 0 or -1. */
int	bk_manifest_path_ok(const char *);

/* ---- entry.c: one line of the manifest ---- */

/* A new entry for path (relative, checked by the caller), created now. */
struct bk_entry *bk_entry_new(const char *);
/*
 * A copy of a good entry, read again from its line: for a caller that must
 * keep an entry that keep() of a rewrite dropped, to append it again.
 */
struct bk_entry *bk_entry_dup(struct bk_entry *);
void	bk_entry_free(struct bk_entry *);
/*
 * 1 when KEY (LEN bytes) names one of the fields bk-manifest(5) defines,
 * 0 for any other key (an attribute).
 */
int	bk_entry_field(const char *, size_t);
/*
 * Setters: change the entry's JSON object (field order kept, unknown
 * fields kept), refresh the C fields, and mark it dirty.  A NULL string
 * removes the field.  bk_entry_set_str returns -1 if the value is not
 * valid UTF-8 (and changes nothing).
 */
int	bk_entry_set_str(struct bk_entry *, const char *, const char *);
void	bk_entry_set_int(struct bk_entry *, const char *, int64_t);
/* Records a verification: result BK_VERIFIED_OK or _FAIL, reason or NULL. */
void	bk_entry_set_verified(struct bk_entry *, time_t, enum bk_verified,
	    const char *);
/*
 * A restore drill (bk-restore --scratch), as bk-manifest(5)'s "drill"
 * records it: when, its result, why it failed (or NULL), and what the
 * scratch database held when it was counted: records (-1 when it was
 * not: the restore failed), the tables in order with their row counts,
 * and the content checksum (64 hex digits, or NULL).
 */
struct bk_drill {
	time_t		 t;
	int		 ok;
	const char	*reason;
	int64_t		 records;
	const char *const *tables;
	const int64_t	*counts;
	size_t		 ntables;
	const char	*checksum;
};
/* Records a drill, replacing the last one. */
void	bk_entry_set_drill(struct bk_entry *, const struct bk_drill *);
/*
 * Records a remote copy: url (checked by the caller), its size, sha256
 * (64 hex digits), ETag (without quotes, or NULL) and upload time.  A
 * record with the same url is replaced, its last check with it; else
 * the record goes at the end of the list.
 */
void	bk_entry_set_remote(struct bk_entry *, const char *, int64_t,
	    const char *, const char *, time_t);
/*
 * Records a check of the remote copy named by url, as
 * bk_entry_set_verified does for the file.  Returns 0, or -1 when the
 * entry has no copy of that url (and changes nothing).
 */
int	bk_entry_set_remote_verified(struct bk_entry *, const char *, time_t,
	    enum bk_verified, const char *);
/*
 * A new entry for a file that bk_inspect_fd read: path, created (t, off),
 * type, size, sha256, layers, records (this count, or -1 for the one
 * counted) and complete, in the order of bk-manifest(5).
 */
struct bk_inspect;
struct bk_entry *bk_entry_inspected(const char *, time_t, long, const char *,
	    const struct bk_inspect *, int64_t);
/* The user running the program, for created_by (a uid without a name). */
const char *bk_user_name(void);
/* The entry as one JSON line without newline (malloc'd). */
char	*bk_entry_line(struct bk_entry *);

/* ---- inspect.c: is a backup whole?  One answer for every tool ---- */

#define BK_WHY_MAX	1024

struct bk_inspect_opts {
	struct bk_age_ids *ids;		/* NULL: age layers stay sealed */
	int		 progress;	/* -P: a meter on stderr */
	const char	*label;		/* the meter's label (else the name) */
	int		 keep_copy;	/* SQLite: keep the decoded copy */
	int		 nodigest;	/* no sha256 of the raw bytes */
};

/*
 * What a file turned out to be.  code 0 means every layer decoded and the
 * content is whole: CSV strict and rectangular, JSON Lines counted, a
 * pg_dump script complete (the closing comment, and \unrestrict when it
 * began with \restrict), a pg_dump archive read whole by pg_restore, an
 * SQLite database passing integrity_check.  Otherwise code is the exit
 * code of the first problem and why says it in a phrase; layer_failed
 * tells a layer or the read (a file that cannot be decoded at all) from
 * content that decoded but is not whole (which bk-manifest add -f may
 * still record).  An age layer without identities is sealed: its header
 * is checked, and what it holds is not known.
 */
struct bk_inspect {
	uint64_t	 size;
	char		 sha256[65];
	const char	*layers[BK_LAYERS_MAX];	/* innermost first */
	size_t		 nlayers;
	enum bk_layer	 content;	/* the innermost layer seen */
	int		 sealed;	/* an age layer was not opened */
	int		 recorded;	/* sealed, and bk-crypt's record of
					   the plaintext merged (plain.c) */
	int64_t		 records;	/* CSV, JSON Lines; -1 when not */
	int		 complete;	/* pg_dump script or archive: 1 or
					   0; -1 neither */
	int		 code;		/* 0 whole, else an exit code */
	int		 layer_failed;	/* the problem is below the content */
	char		 why[BK_WHY_MAX];
	char		*copy;		/* keep_copy: the SQLite database */
	int		 slot;		/* its bk_tmp_register slot */
};

/*
 * Stacks readers on top for the layers its magic bytes show, as every
 * tool that reads a backup does: gzip, and age (with ids; without them
 * only its header is read, and the layer stays sealed), at most four deep.
 * Returns the new top; ly->content is what lies inside, ly->found the
 * layers outermost first.  When a layer cannot start (a bad age header, a
 * wrong key, a read error), ly->failed is set and the top reader holds the
 * message.
 */
struct bk_layers {
	enum bk_layer	 content;
	const char	*found[BK_LAYERS_MAX];	/* outermost first */
	size_t		 n;
	int		 sealed;
	int		 failed;
};
struct bk_reader *bk_reader_layers(struct bk_reader *, const char *,
	    struct bk_age_ids *, struct bk_layers *);
/* Returns 0 when whole, else -1 with ins->code and ins->why. */
int	bk_inspect_fd(int, const char *, const struct bk_inspect_opts *,
	    struct bk_inspect *);
/* Removes the SQLite copy (keep_copy). */
void	bk_inspect_free(struct bk_inspect *);
/* The layers as names read ("csv gzip age"). */
void	bk_inspect_layers(const struct bk_inspect *, char *, size_t);

/* ---- plain.c: what an encrypted backup held, recorded by bk-crypt ---- */

/*
 * Records pt, the inspection of the plaintext, beside the encrypted file
 * of the given size and sha256 (atomic, 0600; exits on failure).
 */
void	bk_plain_write(const char *, const struct bk_inspect *, uint64_t,
	    const char *);
/*
 * For a sealed inspection ins of file: merges the record of its plaintext,
 * when there is one bound to ins's size and sha256 (the plaintext's layers
 * inside the ones found, records, completeness, and the plaintext's
 * verdict when it was not whole).  Returns 1 merged, 0 no record, -1 a
 * record that is not this file's or not readable (ignored).
 */
int	bk_plain_read(const char *, struct bk_inspect *);
void	bk_plain_remove(const char *);

/* ---- backupfile.c: which files of a tree look like backups; the walk ---- */

/*
 * Whether path (relative to the folder dirfd, or AT_FDCWD) looks like a
 * backup: a regular file, not a symbolic link, whose last component does
 * not begin with a dot, and either whose name ends in .sql, .dump, .csv,
 * .tsv, .jsonl, .db, .sqlite, .sqlite3 or .bak followed by any number of
 * .gz, .zst, .age and .gpg (in any letter case), or whose first bytes are
 * those of gzip, zstd, age (binary or armored), an SQLite 3 database or a pg_dump
 * custom archive ("PGDMP").  Text without such a name (a README, a
 * .sha256 list, an age identity) is not a backup, nor is a file that
 * cannot be examined.  Returns 1 or 0; reports nothing.  Callers that
 * look at a whole tree go through bk_walk_tree, which leaves out the
 * manifest itself (whose name ends in .jsonl).
 */
int	bk_backup_file(int, const char *);
/*
 * The name part of that rule, for backups whose bytes are not at hand
 * (objects in S3): whether name (one component) does not begin with a
 * dot and ends in one of those suffixes.  Returns 1 or 0.
 */
int	bk_backup_name(const char *);

/*
 * The walk of a backup tree that bk-manifest adopt and bk-verify's scan
 * share, so that a file one catalogs is exactly one the other reports.
 * It never follows a symbolic link (to a file or a folder: noted with -v,
 * as bk-rotate does), leaves out hidden names (and hidden folders with all
 * they hold) but bk's temporaries, enters every other folder at any depth,
 * and calls fn once for each regular file, in strcmp(3) order of rel.
 */
enum bk_walk_kind {
	BK_WALK_UNLISTED,	/* looks like a backup, no manifest line */
	BK_WALK_LISTED,		/* a manifest line names it (not examined) */
	BK_WALK_STALE,		/* bk's temporary, over an hour old */
	BK_WALK_OTHER		/* no backup: the manifest, a sum, a note... */
};

struct bk_walk_file {
	enum bk_walk_kind kind;
	const char	*rel;	/* relative to the manifest's folder */
	const char	*path;	/* as messages name it (see bk_walk_tree) */
	const struct stat *st;	/* its lstat, taken when its folder was read */
	int64_t		 age;	/* BK_WALK_STALE: seconds since written */
};

typedef void	bk_walk_fn(const struct bk_walk_file *, void *);

/*
 * Walks the folder start (relative to the manifest's folder, "" for the
 * whole tree; reached without following links) of the loaded manifest m,
 * calling fn(file, arg).  shown names start in messages and paths (the
 * folder as the user named it), or is NULL to name everything by rel.
 * A folder or name that cannot be read is warned about and skipped; the
 * exit status is the caller's business.  The manifest itself (at the
 * top) is BK_WALK_OTHER; the pointers in file live until fn returns.
 */
void	bk_walk_tree(struct bk_manifest *, const char *, const char *,
	    bk_walk_fn *, void *);

/* ---- policy.c: the retention decision (restic's forget semantics) ---- */

/*
 * A retention policy.  Counts are 0 (rule off), N, or BK_KEEP_ALL; the
 * durations are seconds, 0 when off.  keep_within is measured from the
 * newest backup of the group; max_age from "now".
 */
#define BK_KEEP_ALL	(-1)

struct bk_policy {
	int	 keep_last;
	int	 keep_hourly;
	int	 keep_daily;
	int	 keep_weekly;
	int	 keep_monthly;
	int	 keep_yearly;
	int64_t	 keep_within;
	int64_t	 max_age;
};

/* How good a backup is known to be; the protections keep the newest. */
enum {
	BK_GOOD_NONE = 0,	/* no manifest line, missing, or failed verify */
	BK_GOOD_LISTED = 1,	/* has a manifest line, never verified */
	BK_GOOD_VERIFIED = 2	/* its last verification passed */
};

/* Why a backup is kept or removed: bits of bk_backup.why. */
#define BK_WHY_LAST		0x0001	/* the rule bits go in the order */
#define BK_WHY_HOURLY		0x0002	/* last, hourly, daily, weekly, */
#define BK_WHY_DAILY		0x0004	/* monthly, yearly; each has an */
#define BK_WHY_WEEKLY		0x0008	/* "oldest" twin 6 bits higher */
#define BK_WHY_MONTHLY		0x0010
#define BK_WHY_YEARLY		0x0020
#define BK_WHY_OLDEST_SHIFT	6
#define BK_WHY_WITHIN		0x1000	/* within keep_within of the newest */
#define BK_WHY_YOUNG		0x2000	/* max-age alone: not too old */
#define BK_WHY_NEWEST		0x4000	/* protected: newest of its type */
#define BK_WHY_NEWEST_GOOD	0x8000	/* protected: newest good backup */
#define BK_WHY_TOO_OLD		0x10000	/* removed: older than max_age */
#define BK_WHY_NO_RULE		0x20000	/* removed: no rule keeps it */

struct bk_backup {
	time_t		 t;		/* when it was made */
	long		 utc_offset;	/* seconds east, as recorded */
	const char	*type;		/* its group; NULL is a group too */
	int		 good;		/* BK_GOOD_* */
	int		 keep;		/* result: 1 keep, 0 remove */
	unsigned	 why;		/* result: BK_WHY_* bits */
};

/* True when the policy has no rule at all (bk-rotate refuses it). */
int	bk_policy_empty(const struct bk_policy *);
/*
 * Decides keep or remove for every backup of b[0..n-1], which must be
 * sorted newest first.  Each type is a group of its own, as restic's
 * forget groups snapshots: the count and within rules of restic >= 0.16,
 * then max_age (measured from now) as a hard limit, then the protections
 * (the newest backup of each type and its newest good ones are kept).
 * Pure: no I/O, no allocation beyond a table of the types.
 */
void	bk_policy_apply(const struct bk_policy *, struct bk_backup *, size_t,
	    time_t);
/* Writes the reasons of b->why as text: "daily snapshot, within 30d". */
void	bk_policy_reasons(char *, size_t, const struct bk_policy *,
	    const struct bk_backup *);

#endif /* BK_CATALOG_H */
