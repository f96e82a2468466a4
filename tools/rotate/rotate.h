/*
 * rotate.h: what the parts of bk-rotate share.  tools/bk-rotate.c has
 * main(), the options, the decision and the lines that print it, and the
 * run; the parts are:
 *
 *   load.c    the backups: the manifest's good lines, or a folder's
 *             entries that look like backups (--dir)
 *   delete.c  --delete: the checksum files beside each backup, the
 *             manifest lines dropped first and put back for a backup
 *             that stayed, the removals inside the tree
 *   remote.c  --remote: the objects of a folder of a bucket, listed and
 *             removed by bk-s3, those under lock held
 *
 * Includes the catalog layer it builds on.
 */
#ifndef BK_TOOL_ROTATE_H
#define BK_TOOL_ROTATE_H

#include <stddef.h>
#include <time.h>

#include "catalog/catalog.h"

struct item {
	char		*path;		/* relative to the tree's folder */
	time_t		 t;
	long		 off;
	const char	*type;
	int		 good;
	int		 missing;	/* listed, but no file there */
	int		 folder;	/* a folder (a dated one with --dir) */
	unsigned	 sidecars;	/* bit i: path + sidecar_suffixes[i] */
	size_t		 order;		/* position in the input */
	int		 refused;	/* --delete will not try: reported */
	int		 removed;	/* removed by --delete, or gone */
	const struct object *obj;	/* --remote: its object */
	int		 held;		/* --remote: kept only by its lock */
	unsigned	 sideheld;	/* --remote: checksums kept by a lock */
};

/* An object of the folder listed with --remote. */
struct object {
	char		*key;
	char		*modified;	/* the store's LastModified */
	char		*lock;		/* why it may not be removed now, as
					   "locked until DATE"; or NULL */
};

struct rotate {
	struct bk_policy policy;
	const char	*manifest;	/* -m, or NULL for the default */
	const char	*dir;		/* --dir */
	const char	*remote;	/* --remote */
	char		*folder;	/* --remote: s3://bucket/folder/ */
	struct object	*objs;		/* --remote: sorted by key */
	size_t		 nobjs;
	const char	*type;		/* -T */
	int		 delete;
	int		 dry_run;	/* -n: the default, said aloud */
	int		 wait;		/* -w: seconds for the lock, -1 ever */
	time_t		 now;
	struct item	*items;
	size_t		 n, cap;
	struct bk_backup *b;
	int		 rootfd;	/* the tree's folder */
	struct bk_manifest m;
	int		 status;	/* worst failure while deleting */
};

/* The manifest lines --delete dropped (drop_lines, put_back). */
struct gone {
	char		**paths;	/* sorted */
	size_t		  n;
	struct bk_entry	**lines;	/* the lines dropped, for put_back */
	size_t		  nlines, cap;
};

/* ---- load.c: the backups, into r->items ---- */

void	load_dir(struct rotate *);
void	load_manifest(struct rotate *);
/* Adds a backup to r->items (path copied). */
struct item *add_item(struct rotate *, const char *, time_t, long,
	    const char *, int, int);
/*
 * The time of a backup named name (one component): the date its name
 * carries, as local time, else fallback (the file's modification time,
 * the object's); and the UTC offset at that time.
 */
void	name_time(const char *, time_t, time_t *, long *);

/* ---- delete.c: --delete ---- */

/* The checksum suffixes; an item's sidecars bit i is the i-th. */
extern const char *const sidecar_suffixes[];

void	find_sidecars(struct rotate *);
void	refuse_removals(struct rotate *);
void	drop_lines(struct rotate *, struct gone *);
void	delete_removed(struct rotate *);
void	put_back(struct rotate *, struct gone *);

/* ---- remote.c: --remote ---- */

/* Checks the URL (64 when it is not s3://bucket[/folder]). */
void	check_remote(struct rotate *);
void	load_remote(struct rotate *);
/*
 * After the decision: a backup to remove that is under lock is kept
 * (held); the checksum objects of each backup to remove are found, and
 * those under lock held.
 */
void	plan_remote(struct rotate *);
/* The lock of the object key, or NULL. */
const char *remote_lock(const struct rotate *, const char *);
void	delete_remote(struct rotate *);

#endif
