/*
 * Argument handling shared by the `attesta` subcommands: the getopt error
 * messages every getopt_long() command prints, and the single FILE
 * operand of `attesta init` and `attesta config check`. Both print their
 * one-line error to stderr ("attesta: ...") and return the exit status
 * for the command to return.
 */
#ifndef ATTESTA_CLI_ARGS_H
#define ATTESTA_CLI_ARGS_H

#include <stdbool.h>
#include <stdio.h>

/* For getopt_long() run with opterr = 0 and a ':'-prefixed optstring:
 * c == ':' prints "option 'X' needs a value"; anything else prints
 * "unknown option 'X'" and usage(stderr). Returns CLI_EXIT_USAGE. */
int cli_option_error(int c, char **argv, void (*usage)(FILE *out));

/* The one FILE operand of a command: "-c FILE", "--config FILE",
 * "--config=FILE", a bare FILE, and (with dashdash) "-- FILE" as the
 * last two arguments. noun and verb make the errors "only one NOUN can
 * be VERB at a time" and "empty NOUN name". */
struct cli_file_operand {
	const char *noun;        /* "config file" */
	const char *verb;        /* "checked" */
	bool dashdash;           /* accept "-- FILE" */
	void (*usage)(FILE *out);
};

/* Take argv[*i] (and, for "-c FILE", argv[*i + 1], advancing *i) as the
 * operand into *path, which must start NULL. The caller handles its own
 * options (--help, --json, --force...) before calling this. Returns 0,
 * or CLI_EXIT_USAGE after printing why (a missing value, an unknown
 * option, a second or empty FILE). */
int cli_file_operand_take(const struct cli_file_operand *spec, int argc, char **argv, int *i,
			  const char **path);

#endif
