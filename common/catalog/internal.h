/*
 * internal.h: private to common/catalog/: what its files share and no
 * caller outside may use (tests/unit may, to test the parts).  Includes
 * catalog.h.
 *
 * manifest.c	the manifest file: finding, locking, loading, appending,
 *		rewriting
 * entry.c	one line of it, struct bk_entry: parsing, setters, the line
 * paths.c	the files entries name, relative to the manifest's folder
 * inspect.c	is a backup whole?  One answer for every tool
 * plain.c	what an encrypted backup held, recorded by bk-crypt
 * backupfile.c	which files of a tree look like backups; the walk
 * policy.c	the retention decision
 */
#ifndef BK_CATALOG_INTERNAL_H
#define BK_CATALOG_INTERNAL_H

#include "catalog/catalog.h"

/* ---- entry.c, for manifest.c ---- */

/* Parses one line into e (zeroed by the caller); sets e->bad on failure. */
void	entry_parse(struct bk_entry *, const char *, size_t, size_t);
/* Frees what an entry holds, not the entry itself. */
void	entry_release(struct bk_entry *);
/* Setters of the created time and of the layers (bk_entry_inspected's). */
void	bk_entry_set_created(struct bk_entry *, time_t, long);
void	bk_entry_set_layers(struct bk_entry *, char *const *, size_t);

#endif /* BK_CATALOG_INTERNAL_H */
