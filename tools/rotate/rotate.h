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
};

struct rotate {
	struct bk_policy policy;
	const char	*manifest;	/* -m, or NULL for the default */
	const char	*dir;		/* --dir */
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

/* ---- delete.c: --delete ---- */

/* The checksum suffixes; an item's sidecars bit i is the i-th. */
extern const char *const sidecar_suffixes[];

void	find_sidecars(struct rotate *);
void	refuse_removals(struct rotate *);
void	drop_lines(struct rotate *, struct gone *);
void	delete_removed(struct rotate *);
void	put_back(struct rotate *, struct gone *);

#endif
