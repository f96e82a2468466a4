/*
 * bk-manifest: the catalog of a backup tree.  "add" inspects files and
 * appends their lines (the commit point of a backup); "list", "info" and
 * "report" read it; "adopt" catalogs files made before bk; "remove" drops
 * lines, and files with them; "space" says whether the next backup will
 * fit.  The format is in bk-manifest(5).
 *
 * This file has main(), the usage and the options; each command is a
 * part of tools/manifest/ (see manifest.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog/catalog.h"

static const char usage[] =
    "usage: bk-manifest [-qv] [-m manifest] [-w seconds | --no-wait] [--strict]\n"
    "                   command [argument ...]\n"
    "       bk-manifest add [--incomplete] [-T type] [--description text]\n"
    "                   [-u user] [--source source] [--records n]\n"
    "                   [--created date] [--attribute key=value] file ...\n"
    "       bk-manifest list [-T type] [-S date] [-l count]\n"
    "                   [-F table | tsv | json]\n"
    "       bk-manifest info [-F text | json] file\n"
    "       bk-manifest adopt [-n] [--move] [-T type] [--description text]\n"
    "                   [-u user] dir ...\n"
    "       bk-manifest remove [--delete] file ...\n"
    "       bk-manifest report [-T type] [-S date] [--month yyyy-mm]\n"
    "                   [--jobs file] [-F text | json | html]\n"
    "       bk-manifest space [-T type] [--factor n] [--min size]\n";

#include "manifest/manifest.h"

int
load_flags(const struct opts *o)
{
	return o->strict ? BK_MF_STRICT : 0;
}

/* ---- options ---- */

enum {
	OPT_VERSION = CHAR_MAX + 1, OPT_NO_WAIT, OPT_STRICT, OPT_ATTRIBUTE,
	OPT_CREATED, OPT_DELETE, OPT_DESCRIPTION, OPT_INCOMPLETE, OPT_MOVE,
	OPT_RECORDS, OPT_SOURCE, OPT_JOBS, OPT_MONTH, OPT_FACTOR, OPT_MIN
};

/*
 * The commands: the part that runs each, and the options it takes by
 * getopt value; the global ones (-m -q -v -w --no-wait --strict) go with
 * every command.
 */
static const struct command {
	const char	*name;
	int		(*run)(struct opts *, int, char *[]);
	int		 opts[10];
} commands[] = {
	{ "add", cmd_add, { OPT_ATTRIBUTE, OPT_CREATED, OPT_DESCRIPTION,
	    OPT_INCOMPLETE, OPT_RECORDS, OPT_SOURCE, 'T', 'u', 0 } },
	{ "list", cmd_list, { 'T', 'S', 'l', 'F', 0 } },
	{ "info", cmd_info, { 'F', 0 } },
	{ "adopt", cmd_adopt, { OPT_MOVE, 'n', 'T', OPT_DESCRIPTION, 'u', 0 } },
	{ "remove", cmd_remove, { OPT_DELETE, 0 } },
	{ "report", cmd_report, { 'T', 'S', OPT_MONTH, OPT_JOBS, 'F', 0 } },
	{ "space", cmd_space, { 'T', OPT_FACTOR, OPT_MIN, 0 } },
};

/* Fields of a line that have their own option, not --attribute. */
static const char optstring[] = "F:hl:m:nqS:T:u:vw:";

static const struct option longopts[] = {
	{ "help",		no_argument,		NULL, 'h' },
	{ "manifest",		required_argument,	NULL, 'm' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "wait",		required_argument,	NULL, 'w' },
	{ "no-wait",		no_argument,		NULL, OPT_NO_WAIT },
	{ "strict",		no_argument,		NULL, OPT_STRICT },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ "format",		required_argument,	NULL, 'F' },
	{ "limit",		required_argument,	NULL, 'l' },
	{ "dry-run",		no_argument,		NULL, 'n' },
	{ "since",		required_argument,	NULL, 'S' },
	{ "type",		required_argument,	NULL, 'T' },
	{ "created-by",		required_argument,	NULL, 'u' },
	{ "attribute",		required_argument,	NULL, OPT_ATTRIBUTE },
	{ "created",		required_argument,	NULL, OPT_CREATED },
	{ "delete",		no_argument,		NULL, OPT_DELETE },
	{ "description",	required_argument,	NULL, OPT_DESCRIPTION },
	{ "incomplete",		no_argument,		NULL, OPT_INCOMPLETE },
	{ "jobs",		required_argument,	NULL, OPT_JOBS },
	{ "month",		required_argument,	NULL, OPT_MONTH },
	{ "move",		no_argument,		NULL, OPT_MOVE },
	{ "records",		required_argument,	NULL, OPT_RECORDS },
	{ "source",		required_argument,	NULL, OPT_SOURCE },
	{ "factor",		required_argument,	NULL, OPT_FACTOR },
	{ "min",		required_argument,	NULL, OPT_MIN },
	{ NULL, 0, NULL, 0 }
};

/* How an option was written, for a message: "-T" or "--records". */
static void
option_name(int c, char *buf, size_t n)
{
	size_t i;

	if (c < CHAR_MAX) {
		snprintf(buf, n, "-%c", c);
		return;
	}
	for (i = 0; longopts[i].name != NULL; i++)
		if (longopts[i].val == c)
			break;
	snprintf(buf, n, "--%s", longopts[i].name != NULL ?
	    longopts[i].name : "?");
}

static enum out_format
parse_out_format(const char *s)
{
	if (strcmp(s, "table") == 0)
		return OUT_TABLE;
	if (strcmp(s, "tsv") == 0)
		return OUT_TSV;
	if (strcmp(s, "json") == 0)
		return OUT_JSON;
	if (strcmp(s, "text") == 0)
		return OUT_TEXT;
	if (strcmp(s, "html") == 0)
		return OUT_HTML;
	bk_usage_error("unknown format \"%s\" (table, tsv or json for "
	    "list; text or json for info; text, json or html for report)", s);
}

/* A count of -l or --records: "bad WHAT" when it is not one. */
static long long
parse_count(const char *s, const char *what)
{
	long long n;

	if (bk_parse_number(s, 0, LLONG_MAX, &n) < 0)
		bk_usage_error("bad %s \"%s\"", what, s);
	return n;
}

static void
add_attribute(struct opts *o, char *arg)
{
	if (strchr(arg, '=') == NULL || *arg == '=')
		bk_usage_error("--attribute needs KEY=VALUE");
	o->attrs = bk_reallocarray(o->attrs, o->nattrs + 1,
	    sizeof(*o->attrs));
	o->attrs[o->nattrs++] = arg;
}

/* Stripped once, by libpq's parser, and never echoed. */
static void
set_source(struct opts *o, const char *arg)
{
	free(o->source);
	o->source = bk_strip_secrets(arg);
	if (strcmp(o->source, BK_CONNINFO_UNPARSABLE) == 0)
		bk_warnx("--source is not a connection string libpq can "
		    "parse: recorded as \"%s\"", BK_CONNINFO_UNPARSABLE);
}

/* One option of getopt_long, global or a command's, into o. */
static void
take_option(struct opts *o, int c, char *arg, char *argv[])
{
	switch (c) {
	case 'h': bk_print_usage(usage);
	case OPT_VERSION: bk_print_version();
	case 'm': o->mpath = arg; break;
	case 'q': bk_set_verbosity(-1); break;
	case 'v': bk_set_verbosity(bk_verbosity() + 1); break;
	case 'w': o->wait = bk_parse_wait(arg); break;
	case OPT_NO_WAIT: o->wait = 0; break;
	case OPT_STRICT: o->strict = 1; break;
	case OPT_ATTRIBUTE: add_attribute(o, arg); break;
	case OPT_CREATED: o->created = arg; break;
	case OPT_DELETE: o->delete = 1; break;
	case OPT_DESCRIPTION: o->description = arg; break;
	case OPT_INCOMPLETE: o->force = 1; break;
	case OPT_JOBS: o->jobs = arg; break;
	case OPT_MONTH: o->month = arg; break;
	case 'F': o->format = parse_out_format(arg); break;
	case 'l': o->limit = (long)parse_count(arg, "count"); break;
	case OPT_MOVE: o->move = 1; break;
	case 'n': o->dry_run = 1; break;
	case OPT_RECORDS: o->records = parse_count(arg, "record count"); break;
	case 'S': o->since = arg; break;
	case OPT_SOURCE: set_source(o, arg); break;
	case 'T':
		if (*arg == '\0')
			bk_usage_error("empty type");
		o->type = arg;
		break;
	case 'u': o->created_by = arg; break;
	case OPT_FACTOR:
		o->factor = (uint64_t)parse_count(arg, "factor");
		break;
	case OPT_MIN:
		if (bk_parse_size(arg, &o->min) < 0)
			bk_usage_error("bad size \"%s\"", arg);
		break;
	default: bk_bad_option(argv, optstring);
	}
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	bk_usage_error("unknown command \"%s\"", name);
}

/* Every option given (seen, by getopt value) is one the command takes. */
static void
check_options(const struct opts *o, const struct command *cmd,
    const int *seen, size_t nseen)
{
	char name[64];
	size_t c, i, k, kl;

	for (c = 0; c < nseen; c++) {
		if (!seen[c] || strchr("hmqvw", (int)c) != NULL ||
		    c == OPT_NO_WAIT || c == OPT_STRICT)
			continue;
		for (k = 0; cmd->opts[k] != 0 && (size_t)cmd->opts[k] != c; k++)
			;
		if (cmd->opts[k] == 0) {
			option_name((int)c, name, sizeof(name));
			bk_usage_error("option %s does not apply to %s", name,
			    cmd->name);
		}
	}
	if (o->format == OUT_TEXT && strcmp(cmd->name, "list") == 0)
		bk_usage_error("list's formats are table, tsv and json");
	if (o->format == OUT_HTML && strcmp(cmd->name, "list") == 0)
		bk_usage_error("list's formats are table, tsv and json");
	if ((o->format == OUT_TABLE || o->format == OUT_TSV) &&
	    strcmp(cmd->name, "report") == 0)
		bk_usage_error("report's formats are text, json and html");
	if ((o->format == OUT_TABLE || o->format == OUT_TSV ||
	    o->format == OUT_HTML) && strcmp(cmd->name, "info") == 0)
		bk_usage_error("info's formats are text and json");
	for (i = 0; i < o->nattrs; i++) {
		kl = (size_t)(strchr(o->attrs[i], '=') - o->attrs[i]);
		if (bk_entry_field(o->attrs[i], kl))
			bk_usage_error("\"%.*s\" has its own option",
			    (int)kl, o->attrs[i]);
	}
}

/*
 * One pass over the whole line: the global options and the command's may
 * come before or after the command, in any order (getopt_long permutes
 * the operands to the end).  An option is checked against the command
 * once the command is known.  Returns the command; leaves its operands.
 */
static const struct command *
parse_options(struct opts *o, int *argcp, char ***argvp)
{
	const struct command *cmd;
	int seen[CHAR_MAX + 32];
	int c;

	memset(seen, 0, sizeof(seen));
	while ((c = getopt_long(*argcp, *argvp, optstring, longopts,
	    NULL)) != -1) {
		if (c >= 0 && (size_t)c < sizeof(seen) / sizeof(seen[0]))
			seen[c] = 1;
		take_option(o, c, optarg, *argvp);
	}
	*argcp -= optind;
	*argvp += optind;
	if (*argcp == 0)
		bk_usage_error("missing command");
	cmd = find_command((*argvp)[0]);
	check_options(o, cmd, seen, sizeof(seen) / sizeof(seen[0]));
	(*argcp)--;
	(*argvp)++;
	return cmd;
}

int
main(int argc, char *argv[])
{
	const struct command *cmd;
	struct opts o;
	int code;

	bk_init(argc, argv);
	memset(&o, 0, sizeof(o));
	o.wait = -1;
	o.records = -1;
	o.limit = -1;
	o.factor = 2;
	cmd = parse_options(&o, &argc, &argv);
	bk_manifest_init(&o.m, o.mpath);
	o.m.wait = o.wait;
	code = cmd->run(&o, argc, argv);
	bk_manifest_free(&o.m);
	free(o.attrs);
	free(o.source);
	return bk_finish(code);
}
