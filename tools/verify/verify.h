/*
 * verify.h: what the parts of bk-verify share.  tools/bk-verify.c has
 * main(), the options, the two modes (a manifest, a checksum list) and
 * the lines they print; the parts are:
 *
 *   backup.c   one backup: opened, read once through common/inspect.c,
 *              and the verdict compared with its manifest line
 *   scan.c     the files of the tree that no manifest line names
 *   fresh.c    --fresh-within: the newest good backup of each type
 *   metrics.c  -M: the metrics for node_exporter's textfile collector
 *   record.c   --record: the verdicts written into the manifest
 *   remote.c   --remote: the copies bk-s3 put -m recorded, asked of bk-s3
 *
 * Includes the catalog layer it builds on.
 */
#ifndef BK_TOOL_VERIFY_H
#define BK_TOOL_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "catalog/catalog.h"


#define REASON	1024

struct opts {
	int		 progress;
	int		 quiet;
	const char	*manifest;
	const char	*sums;
	const char	*type;
	const char	**idfiles;	/* -i, each tried */
	size_t		 nidfiles;
	const char	*passfile;
	int		 passfd;	/* --passphrase-fd, -1 without */
	int		 max_logn;	/* --max-work-factor, 0 without */
	int64_t		 max_age;	/* seconds, -1 without --fresh-within */
	const char	*metrics;
	int		 noscan;
	int		 record;
	int		 remote;	/* --remote */
	int		 download;	/* --download */
	int		 wait;
};

/* What one backup turned out to be. */
struct result {
	const char	*name;		/* as shown */
	const char	*path;		/* relative to the manifest, or NULL */
	const char	*url;		/* a remote copy's, else NULL */
	const char	*type;
	time_t		 created;
	int		 ok;
	int		 owned;		/* name is ours to free */
	int		 noverdict;	/* the check could not run (no
					   pg_restore, a full TMPDIR) */
	int64_t		 size;
	int64_t		 records;	/* counted, -1 when not */
	char		 note[256];	/* "(...)" after OK */
	char		 reason[REASON];
};

/* The run: options, the manifest, the results. */
struct verify {
	struct opts		*o;
	struct bk_manifest	 m;
	int			 have_manifest;
	struct bk_age_ids	*ids;
	struct result		*res;
	size_t			 nres, capres;
	size_t			 nfail;		/* FAIL lines of any kind */
	size_t			 unlisted;
	size_t			 stale;		/* old temporary files */
	size_t			 badlines;
	time_t			 now;
	struct timespec		 start;
	struct result		**byname;	/* results sorted by path */
	size_t			 nbyname;
	int			 progress;	/* -P */
};

/* ---- bk-verify.c: the lines of the run ---- */

/* A new result, cleared, named name (not copied). */
struct result *add_result(struct verify *, const char *);
/* Prints a result's OK or FAIL line (a FAIL counted). */
void	print_result(struct verify *, const struct result *);
/* A line of its own for problems that are not one backup's. */
void	print_fail(struct verify *, const char *, ...) BK_PRINTF(2, 3);

/* ---- backup.c: one backup ---- */

/* Opens a backup and checks what needs no reading; 0 or -1 (res says). */
int	open_checked(int, int64_t, struct result *);
/*
 * Reads fd once and compares what it found with the manifest line e
 * (NULL for a sums list, where want_sha is the digest, "" when none).
 */
int	verify_stream(struct verify *, int, const char *,
	    const struct bk_entry *, const char *, struct result *);

/* ---- scan.c: files in the tree without a manifest line ---- */

void	scan_file(const struct bk_walk_file *, void *);

/* ---- fresh.c: the types of the run and their newest good backups ---- */

size_t	collect_types(struct verify *, const char ***);
int	result_is_type(const struct result *, const char *);
const struct result *newest_good(struct verify *, const char *);
void	check_freshness(struct verify *);

/* ---- remote.c: the remote copies of an entry, each a result ---- */

void	verify_remotes(struct verify *, struct bk_entry *);

/* ---- metrics.c and record.c ---- */

void	write_metrics(struct verify *);
void	record_results(struct verify *);

#endif
