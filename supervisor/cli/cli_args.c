/*
 * Argument handling shared by the `attesta` subcommands (cli_args.h).
 * Trusts its arguments no more than any user input: option names are
 * echoed back only inside quotes in one-line messages.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"

int cli_option_error(int c, char **argv, void (*usage)(FILE *out))
{
	if (c == ':') {
		fprintf(stderr, "attesta: option '%s' needs a value\n", argv[optind - 1]);
		return CLI_EXIT_USAGE;
	}
	fprintf(stderr, "attesta: unknown option '%s'\n", argv[optind - 1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}

int cli_file_operand_take(const struct cli_file_operand *spec, int argc, char **argv, int *i,
			  const char **path)
{
	const char *arg = argv[*i], *value;

	if (!strcmp(arg, "-c") || !strcmp(arg, "--config")) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "attesta: '%s' needs a file name\n", arg);
			return CLI_EXIT_USAGE;
		}
		value = argv[++*i];
	} else if (!strncmp(arg, "--config=", 9)) {
		value = arg + 9;
	} else if (spec->dashdash && !strcmp(arg, "--")) {
		if (*i + 2 != argc) {
			spec->usage(stderr);
			return CLI_EXIT_USAGE;
		}
		value = argv[++*i];
	} else if (arg[0] == '-' && arg[1]) {
		fprintf(stderr, "attesta: unknown option '%s'\n", arg);
		spec->usage(stderr);
		return CLI_EXIT_USAGE;
	} else {
		value = arg;
	}
	if (*path) {
		fprintf(stderr, "attesta: only one %s can be %s at a time\n", spec->noun, spec->verb);
		return CLI_EXIT_USAGE;
	}
	if (!*value) {
		fprintf(stderr, "attesta: empty %s name\n", spec->noun);
		return CLI_EXIT_USAGE;
	}
	*path = value;
	return 0;
}
