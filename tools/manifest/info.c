/*
 * info.c: bk-manifest info.  One file's line, field by field (fields this
 * version does not know included), or as JSON.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog/catalog.h"
#include "manifest.h"

/* The manifest path of a file named on the command line. */
char *
name_to_rel(struct opts *o, const char *arg)
{
	char err[512], *rel;

	rel = bk_manifest_relpath(&o->m, arg, err, sizeof(err));
	/* A file already deleted can still be named as the manifest does. */
	if (rel == NULL && bk_manifest_path_ok(arg) == 0 &&
	    bk_manifest_find(&o->m, arg) != NULL)
		rel = bk_strdup(arg);
	if (rel == NULL)
		bk_errx(BK_EX_DATAERR, "\"%s\": %s", arg, err);
	return rel;
}

static void
info_line(const char *key, const char *val)
{
	printf("%-12s %s\n", key, val != NULL ? val : "-");
}

int
cmd_info(struct opts *o, int argc, char *argv[])
{
	struct bk_entry *e;
	const struct bk_remote *r;
	json_t *j, *v;
	const char *key;
	char *rel, *s, buf[128];
	size_t i;

	if (argc != 1)
		bk_usage_error("info takes one file name");
	bk_manifest_load(&o->m, load_flags(o));
	rel = name_to_rel(o, argv[0]);
	if ((e = bk_manifest_find(&o->m, rel)) == NULL)
		bk_errx(BK_EX_FAIL, "\"%s\" is not listed in \"%s\"", rel,
		    o->m.path);
	free(rel);
	s = bk_entry_line(e);
	j = json_loads(s, 0, NULL);
	free(s);
	if (o->format == OUT_JSON) {
		s = bk_json_text(j, 2);
		puts(s);
		free(s);
		json_decref(j);
		return BK_EX_OK;
	}
	info_line("path:", e->path);
	info_line("created:", e->created);
	info_line("type:", e->type);
	if (e->size >= 0) {
		char h[32];

		bk_format_size(h, sizeof(h), (uint64_t)e->size);
		snprintf(buf, sizeof(buf), "%" PRId64 " (%s)", e->size, h);
		info_line("size:", buf);
	} else
		info_line("size:", NULL);
	info_line("sha256:", e->sha256[0] != '\0' ? e->sha256 : NULL);
	buf[0] = '\0';
	for (i = 0; i < e->nlayers; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    i ? " " : "", e->layers[i]);
	info_line("layers:", e->nlayers ? buf : NULL);
	if (e->records >= 0)
		snprintf(buf, sizeof(buf), "%" PRId64, e->records);
	info_line("records:", e->records >= 0 ? buf : NULL);
	if ((v = json_object_get(j, "complete")) != NULL)
		info_line("complete:", json_is_true(v) ? "yes" : "no");
	info_line("description:", e->description);
	info_line("created_by:", e->created_by);
	info_line("source:", e->source);
	if (e->verified == BK_VERIFIED_NONE)
		info_line("verified:", "never");
	else {
		snprintf(buf, sizeof(buf), "%s at %s%s%s",
		    e->verified == BK_VERIFIED_OK ? "ok" : "FAIL",
		    e->verified_time ? e->verified_time : "?",
		    e->verified_reason ? ": " : "",
		    e->verified_reason ? e->verified_reason : "");
		info_line("verified:", buf);
	}
	/* One line per remote copy (bk-s3 put -m), with its last check. */
	for (i = 0; i < e->nremote; i++) {
		r = &e->remote[i];
		if (r->verified == BK_VERIFIED_NONE)
			s = bk_asprintf("%s (uploaded %s, never verified)",
			    r->url, r->uploaded != NULL ? r->uploaded : "?");
		else
			s = bk_asprintf("%s (uploaded %s, verified %s at %s%s%s)",
			    r->url, r->uploaded != NULL ? r->uploaded : "?",
			    r->verified == BK_VERIFIED_OK ? "ok" : "FAIL",
			    r->verified_time ? r->verified_time : "?",
			    r->verified_reason ? ": " : "",
			    r->verified_reason ? r->verified_reason : "");
		info_line("remote:", s);
		free(s);
	}
	/* Fields this version does not know are shown, not hidden. */
	json_object_foreach(j, key, v) {
		if (bk_entry_field(key, strlen(key)))
			continue;
		s = json_is_string(v) ? bk_strdup(json_string_value(v)) :
		    bk_json_text(v, 0);
		printf("%s:%*s %s\n", key, strlen(key) < 11 ?
		    (int)(11 - strlen(key)) : 0, "", s);
		free(s);
	}
	json_decref(j);
	return BK_EX_OK;
}
