/*
 * policy.c: which backups a retention policy keeps.  The count and within
 * rules follow the documented behaviour of restic's "forget" (0.16 and
 * later): backups newest first; for each count rule, a backup is kept when
 * its period differs from the period of the last backup that rule kept and
 * the rule has count left; only periods holding backups count; one backup
 * may satisfy several rules; while a rule has count left at the oldest
 * backup, the oldest is kept too; keep_within counts back from the newest
 * backup that is not in the future.  Periods are computed in the UTC offset
 * each backup recorded, weeks are ISO 8601 weeks.  bk adds max_age, a hard
 * limit measured from now, and the protections: the newest backup of a
 * type and its newest good backups are never removed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

enum { R_LAST, R_HOURLY, R_DAILY, R_WEEKLY, R_MONTHLY, R_YEARLY, NRULES };

static const char *const rule_names[NRULES] = {
	"last", "hourly", "daily", "weekly", "monthly", "yearly"
};

/* The state of one type while the rules walk its backups. */
struct group {
	const char	*type;
	size_t		 first;		/* index of its newest backup */
	size_t		 last;		/* index of its oldest backup */
	size_t		 seen;		/* backups walked so far */
	int		 has_latest;	/* a backup not in the future exists */
	time_t		 latest;	/* the newest such backup */
	int		 left[NRULES];	/* counts left, BK_KEEP_ALL for all */
	int		 has_prev[NRULES];
	int64_t		 prev[NRULES];	/* period of the last kept backup */
};

int
bk_policy_empty(const struct bk_policy *p)
{
	return p->keep_last == 0 && p->keep_hourly == 0 &&
	    p->keep_daily == 0 && p->keep_weekly == 0 &&
	    p->keep_monthly == 0 && p->keep_yearly == 0 &&
	    p->keep_within == 0 && p->max_age == 0;
}

static int
same_type(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * The period of rule r that holds a backup, as a number that differs
 * between periods: YYYYMMDDHH for hours, YYYYWW for ISO weeks, and so on.
 * "last" has a period of its own for every backup (its position).
 */
static int64_t
period(int r, const struct bk_backup *b, size_t nr)
{
	struct bk_calendar c;

	if (r == R_LAST)
		return (int64_t)nr;
	bk_calendar_at(b->t, b->utc_offset, &c);
	switch (r) {
	case R_HOURLY:
		return ((c.year * 100 + c.month) * 100 + c.day) * 100 + c.hour;
	case R_DAILY:
		return (c.year * 100 + c.month) * 100 + c.day;
	case R_WEEKLY:
		return c.iso_year * 100 + c.iso_week;
	case R_MONTHLY:
		return c.year * 100 + c.month;
	default:
		return c.year;
	}
}

static int
rule_count(const struct bk_policy *p, int r)
{
	switch (r) {
	case R_LAST: return p->keep_last;
	case R_HOURLY: return p->keep_hourly;
	case R_DAILY: return p->keep_daily;
	case R_WEEKLY: return p->keep_weekly;
	case R_MONTHLY: return p->keep_monthly;
	default: return p->keep_yearly;
	}
}

static struct group *
find_group(struct group **groups, size_t *ngroups, size_t *cap,
    const char *type, size_t i, const struct bk_policy *p)
{
	struct group *g;
	size_t k;
	int r;

	for (k = 0; k < *ngroups; k++)
		if (same_type((*groups)[k].type, type))
			return &(*groups)[k];
	if (*ngroups == *cap) {
		*cap = *cap == 0 ? 8 : *cap * 2;
		*groups = bk_reallocarray(*groups, *cap, sizeof(**groups));
	}
	g = &(*groups)[(*ngroups)++];
	memset(g, 0, sizeof(*g));
	g->type = type;
	g->first = g->last = i;
	for (r = 0; r < NRULES; r++)
		g->left[r] = rule_count(p, r);
	return g;
}

/* Applies the count and within rules of restic to one backup. */
static void
apply_rules(const struct bk_policy *p, struct group *g, struct bk_backup *b,
    size_t i)
{
	int64_t val;
	int r, oldest = i == g->last;
	size_t nr = g->seen++;

	if (p->keep_within > 0 && (!g->has_latest ||
	    (int64_t)b->t > (int64_t)g->latest - p->keep_within)) {
		b->keep = 1;
		b->why |= BK_WHY_WITHIN;
	}
	for (r = 0; r < NRULES; r++) {
		if (g->left[r] == 0)
			continue;
		val = period(r, b, nr);
		if (g->has_prev[r] && val == g->prev[r] && !oldest)
			continue;
		b->keep = 1;
		/* The oldest backup kept only because count is left. */
		if (g->has_prev[r] && val == g->prev[r])
			b->why |= (BK_WHY_LAST << r) << BK_WHY_OLDEST_SHIFT;
		else
			b->why |= BK_WHY_LAST << r;
		g->has_prev[r] = 1;
		g->prev[r] = val;
		if (g->left[r] > 0)
			g->left[r]--;
	}
}

void
bk_policy_apply(const struct bk_policy *p, struct bk_backup *b, size_t n,
    time_t now)
{
	struct group *groups = NULL, *g = NULL;
	size_t ngroups = 0, cap = 0, i, k;
	size_t *gid;
	int rules, too_old;

	rules = p->keep_last != 0 || p->keep_hourly != 0 ||
	    p->keep_daily != 0 || p->keep_weekly != 0 ||
	    p->keep_monthly != 0 || p->keep_yearly != 0 || p->keep_within > 0;
	gid = bk_reallocarray(NULL, n == 0 ? 1 : n, sizeof(*gid));

	/* First pass: the groups, their oldest and their latest backup. */
	for (i = 0; i < n; i++) {
		b[i].keep = 0;
		b[i].why = 0;
		if (g == NULL || !same_type(g->type, b[i].type))
			g = find_group(&groups, &ngroups, &cap, b[i].type, i,
			    p);
		gid[i] = (size_t)(g - groups);
		g->last = i;
		/* restic ignores backups in the future for "within". */
		if (b[i].t < now && (!g->has_latest || b[i].t > g->latest)) {
			g->has_latest = 1;
			g->latest = b[i].t;
		}
	}

	/* Second pass: the rules, then max_age as a hard limit. */
	for (i = 0; i < n; i++) {
		if (rules)
			apply_rules(p, &groups[gid[i]], &b[i], i);
		too_old = p->max_age > 0 &&
		    (int64_t)b[i].t < (int64_t)now - p->max_age;
		if (!rules && !too_old) {
			b[i].keep = 1;
			b[i].why |= BK_WHY_YOUNG;
		}
		if (too_old) {
			b[i].why = BK_WHY_TOO_OLD |
			    (rules && !b[i].keep ? BK_WHY_NO_RULE : 0);
			b[i].keep = 0;
		} else if (!b[i].keep)
			b[i].why = BK_WHY_NO_RULE;
	}

	/*
	 * Third: the protections, which only show in the reasons when they
	 * change the decision.  The newest backup of each type, its newest
	 * verified backup and its newest listed one are never removed.
	 */
	for (k = 0; k < ngroups; k++) {
		int need_verified = 1, need_listed = 1;

		g = &groups[k];
		if (!b[g->first].keep) {
			b[g->first].keep = 1;
			b[g->first].why = BK_WHY_NEWEST;
		}
		for (i = g->first; i <= g->last && (need_verified ||
		    need_listed); i++) {
			if (gid[i] != k || b[i].good == BK_GOOD_NONE)
				continue;
			if (b[i].good == BK_GOOD_VERIFIED && need_verified)
				need_verified = 0;
			else if (!need_listed)
				continue;
			need_listed = 0;
			if (!b[i].keep) {
				b[i].keep = 1;
				b[i].why = BK_WHY_NEWEST_GOOD;
			}
		}
	}
	free(gid);
	free(groups);
}

static void
append(char *buf, size_t n, size_t *len, const char *s)
{
	int w;

	if (*len >= n)
		return;
	w = snprintf(buf + *len, n - *len, "%s%s", *len > 0 ? ", " : "", s);
	if (w > 0)
		*len += (size_t)w;
}

void
bk_policy_reasons(char *buf, size_t n, const struct bk_policy *p,
    const struct bk_backup *b)
{
	char text[64], dur[32];
	size_t len = 0;
	int r;

	if (n == 0)
		return;
	buf[0] = '\0';
	for (r = 0; r < NRULES; r++) {
		if (b->why & (BK_WHY_LAST << r)) {
			snprintf(text, sizeof(text), "%s snapshot",
			    rule_names[r]);
			append(buf, n, &len, text);
		}
		if (b->why & ((BK_WHY_LAST << r) << BK_WHY_OLDEST_SHIFT)) {
			snprintf(text, sizeof(text), "oldest %s snapshot",
			    rule_names[r]);
			append(buf, n, &len, text);
		}
	}
	if (b->why & BK_WHY_WITHIN) {
		bk_format_duration(dur, sizeof(dur), p->keep_within);
		snprintf(text, sizeof(text), "within %s", dur);
		append(buf, n, &len, text);
	}
	if (b->why & (BK_WHY_YOUNG | BK_WHY_TOO_OLD)) {
		bk_format_duration(dur, sizeof(dur), p->max_age);
		snprintf(text, sizeof(text), "%s than %s",
		    b->why & BK_WHY_YOUNG ? "newer" : "older", dur);
		append(buf, n, &len, text);
	}
	if (b->why & BK_WHY_NEWEST)
		append(buf, n, &len, "newest of its type");
	if (b->why & BK_WHY_NEWEST_GOOD)
		append(buf, n, &len, "newest good backup");
	if (b->why & BK_WHY_NO_RULE)
		append(buf, n, &len, "no rule keeps it");
}
