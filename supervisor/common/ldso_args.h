/*
 * The command line of glibc's dynamic loader run as a program
 * (`ld.so [OPTION]... PROGRAM [ARGS]...`), parsed the way rtld's
 * dl_main does (glibc 2.36), for exec decoding (docs/decode.md). Pure.
 *
 * Trust: argv is the agent's. An option this parser does not know is an
 * error (the caller denies): a loader that understood it differently
 * could run a program the decision never saw.
 */
#ifndef ATTESTA_SUP_LDSO_ARGS_H
#define ATTESTA_SUP_LDSO_ARGS_H

#include <stdbool.h>
#include <stddef.h>

struct sup_ldso_args {
	size_t prog;          /* index in argv of the program to run, 0 when none */
	const char *argv0;    /* --argv0 value, or NULL */
	const char *preload[8], *audit[8]; /* --preload / --audit lists (at most 8 of each) */
	size_t n_preload, n_audit;
	bool library_path;    /* --library-path given */
	bool exits;           /* --help, --version, --list-tunables, --list-diagnostics */
};

/* argv[0] is the loader; argc words. 0, or -EINVAL with why filled (an
 * unknown "--" option, an option missing its value, more than 8
 * --preload or --audit). */
int sup_ldso_parse(char *const *argv, size_t argc, struct sup_ldso_args *ret, char *why,
		   size_t why_size);

#endif
