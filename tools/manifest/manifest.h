/*
 * manifest.h: what the parts of bk-manifest share.  tools/bk-manifest.c
 * has main(), the usage and the options, and hands each command to its
 * part:
 *
 *   add.c     add: inspect the files, then append their lines (the
 *             inspection and the line are adopt's too)
 *   list.c    list: the good lines, filtered, as a table, TSV or JSON
 *   info.c    info: one file's line, field by field
 *   adopt.c   adopt: catalog the files of a tree made before bk
 *   remove.c  remove: drop lines, and the files with them
 *   report.c  report: counts and sizes by type and by month
 *   space.c   space: is there room for the next backup?
 *
 * Includes the catalog layer it builds on.
 */
#ifndef BK_TOOL_MANIFEST_H
#define BK_TOOL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "catalog/catalog.h"


enum out_format { OUT_AUTO, OUT_TABLE, OUT_TSV, OUT_JSON, OUT_TEXT };

struct opts {
	struct bk_manifest	 m;
	const char		*mpath;
	int			 wait;		/* seconds, -1 forever */
	int			 strict;
	/* add, adopt */
	int			 force;		/* --incomplete */
	const char		*type;
	const char		*description;
	const char		*created_by;
	char			*source;	/* --source without secrets */
	int64_t			 records;
	const char		*created;
	char			**attrs;
	size_t			 nattrs;
	int			 move;
	int			 dry_run;
	/* list, info, report */
	const char		*since;
	long			 limit;
	enum out_format		 format;
	/* remove */
	int			 delete;
	/* space */
	uint64_t		 factor;	/* --factor, 2 unless given */
	uint64_t		 min;		/* --min, bytes */
};

/* A file to add, inspected before the manifest is locked. */
struct cand {
	char			*arg;	/* as named */
	char			*rel;	/* relative to the manifest's folder */
	char			*type;
	time_t			 created;
	long			 off;
	struct bk_inspect	 ins;
	int			 skip;
	int			 added;	/* adopt: its line is queued */
};

/* The flags of bk_manifest_load the global options ask for (--strict). */
int	load_flags(const struct opts *);

/* ---- add.c: a file's inspection and its line, for add and adopt ---- */

/*
 * Inspects one file for add or adopt.  Returns 0, or an exit code after
 * printing why (as an error, or a warning when soft is set).
 */
int	inspect_file(struct opts *, struct cand *, int);
/* Builds the entry of a candidate, in the documented field order. */
struct bk_entry *make_entry(struct opts *, struct cand *);
void	free_cands(struct cand *, size_t);

/* ---- list.c and info.c: shown as they are written ---- */

/* "2025-06-27 14:30" in the offset the entry recorded. */
void	format_when(char *, size_t, time_t, long);
/* The manifest path of a file named on the command line. */
char	*name_to_rel(struct opts *, const char *);

/* ---- the commands: each takes its operands, returns an exit code ---- */

int	cmd_add(struct opts *, int, char *[]);
int	cmd_list(struct opts *, int, char *[]);
int	cmd_info(struct opts *, int, char *[]);
int	cmd_adopt(struct opts *, int, char *[]);
int	cmd_remove(struct opts *, int, char *[]);
int	cmd_report(struct opts *, int, char *[]);
int	cmd_space(struct opts *, int, char *[]);

#endif
