/*
 * The shipped catalog of common commands (docs/decode.md): what each does, in
 * one sentence used as the exec action's function_doc, and what kind of
 * program it is. The sentences are written for the reference docstring
 * factor: only commands that really destroy or overwrite say
 * "irreversible" / "destructive". Static data; thread-safe.
 */
#ifndef ATTESTA_CATALOG_H
#define ATTESTA_CATALOG_H

#include <stddef.h>

enum pol_catalog_flag {
	POL_CAT_READONLY = 1u << 0,    /* only reads: harmless unless it reads secrets */
	POL_CAT_DESTRUCTIVE = 1u << 1, /* removes or overwrites data */
	POL_CAT_NETWORK = 1u << 2,     /* talks to other hosts */
	POL_CAT_SHELL = 1u << 3,       /* runs -c STRING as a shell script */
	POL_CAT_INTERPRETER = 1u << 4, /* runs code it is fed (python, perl ...) */
	POL_CAT_WRAPPER = 1u << 5,     /* runs another command (sudo, env, xargs ...) */
	POL_CAT_PRIVILEGED = 1u << 6,  /* changes privileges (sudo, su, doas ...) */
	POL_CAT_FETCHER = 1u << 7,     /* downloads content (curl, wget ...) */
};

struct pol_catalog_entry {
	const char *name;   /* basename; a trailing '*' matches a family (mkfs.*) */
	const char *doc;
	unsigned flags;
};

/* The entry for a program basename, or NULL. Version suffixes are
 * folded: python3.11 -> python3, pip3.11 -> pip3. */
const struct pol_catalog_entry *pol_catalog_lookup(const char *name);

#endif
