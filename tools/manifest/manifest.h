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
 *   report.c  report: backups and job runs by type and by month,
 *             gathered from the manifest and the job journal
 *   report_out.c       report as text and JSON
 *   report_html.c      report as one HTML page with SVG charts
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


enum out_format { OUT_AUTO, OUT_TABLE, OUT_TSV, OUT_JSON, OUT_TEXT, OUT_HTML };

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
	const char		*month;		/* report --month yyyy-mm */
	const char		*jobs;		/* report --jobs: the journal */
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

/* ---- report.c: what the report shows, for report_out.c and _html.c ---- */

/* The newest of something: a verification, a drill, a job's run. */
struct report_mark {
	int		 set;
	time_t		 t;
	long		 off;		/* the UTC offset it was recorded in */
	char		*what;		/* the result word, or the job's name */
	int		 status;	/* a run's exit status */
};

/*
 * The backups and runs of one type in one month.  type NULL is all
 * types; month "" is all months.  Jobs count under their journal type,
 * or their name when it has none.
 */
struct report_tally {
	char		*type;
	char		 month[8];	/* YYYY-MM, or "" */
	uint64_t	 count, size;	/* backups in the period */
	time_t		 oldest, newest;
	long		 oldest_off, newest_off;
	const struct bk_entry *last;	/* the newest backup */
	uint64_t	 vfail;		/* whose last verification failed */
	struct report_mark verified, drill, run;
	uint64_t	 runs, failed, skipped;	/* skipped: status 75 */
	int64_t		*secs;		/* seconds of the successful runs */
	size_t		 nsecs, secscap;
	int64_t		 smin, smax;	/* of secs, when nsecs > 0 */
	double		 smedian;
	uint64_t	 whole_count, whole_size;	/* the whole month, any -S */
	int		 has_growth;	/* a previous month to compare with */
	int64_t		 mean, growth;	/* a backup's mean size; its change */
	uint64_t	 running;	/* all types: the size up to this month */
};

struct report {
	struct report_tally *v;		/* by type (all types last), then
					   month ("" first) */
	size_t		 n, cap;
	const char	*manifest;	/* the paths as named */
	char		*journal;	/* NULL when none was read */
	size_t		 bad, jbad;	/* lines skipped, manifest and journal */
	time_t		 now;
	const struct opts *o;		/* the period: since, month, type */
};

/* The tally of all types and months, or NULL when there is nothing. */
const struct report_tally *report_all(const struct report *);
/* Whether the tally has anything of the period to show. */
int	report_shown(const struct report_tally *);
/* The growth of a month in percent, for people: "+4.2%", or "-". */
void	report_growth(char *, size_t, const struct report_tally *);
/* Seconds for people: "1m5s", and "-" when negative. */
void	report_seconds(char *, size_t, double);

/* report_out.c and report_html.c: write the report on standard output. */
void	report_text(const struct report *);
void	report_json(const struct report *);
void	report_html(const struct report *);

/* ---- the commands: each takes its operands, returns an exit code ---- */

int	cmd_add(struct opts *, int, char *[]);
int	cmd_list(struct opts *, int, char *[]);
int	cmd_info(struct opts *, int, char *[]);
int	cmd_adopt(struct opts *, int, char *[]);
int	cmd_remove(struct opts *, int, char *[]);
int	cmd_report(struct opts *, int, char *[]);
int	cmd_space(struct opts *, int, char *[]);

#endif
