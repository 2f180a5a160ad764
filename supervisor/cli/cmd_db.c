/*
 * `attesta db init` (docs/fleet.md, "The fleet database"): apply the
 * versioned schema migrations (policy/fleet_schema.c) to the fleet
 * database: tables, change notifications, and the node, publisher and
 * operator roles. Idempotent. Exit 0 ok, 1 failure, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "fleet_common.h"
#include "policy/fleet_db.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta db [-c FILE] [--database CONNINFO] init\n"
		"\n"
		"Create or upgrade the fleet database schema (versioned migrations) and the\n"
		"roles attesta_node, attesta_publisher and attesta_operator. Safe to repeat.\n"
		"The database is --database, else fleet.database, else libpq's environment.\n"
		"exit status: 0 ok, 1 failure, 2 usage\n");
}

int cmd_db(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fleet_opts opts = { 0 };
	struct pol_config *config = NULL;
	struct pol_diag diag = { 0 };
	int c, from = 0, to = 0, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		if (fleet_opts_take(&opts, c, optarg))
			continue;
		if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		return cli_option_error(c, argv, usage);
	}
	if (optind != argc - 1 || strcmp(argv[optind], "init")) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (fleet_load_config(&opts, &config))
		return CLI_EXIT_INVALID;
	r = pol_fleet_db_init(opts.database ? opts.database : config->fleet_database, &from, &to,
			      &diag);
	pol_config_free(config);
	if (r < 0) {
		fleet_print_diag(&diag, "db init", r);
		return CLI_EXIT_INVALID;
	}
	if (from == to)
		printf("fleet database schema: version %d, up to date\n", to);
	else
		printf("fleet database schema: version %d -> %d\n", from, to);
	return CLI_EXIT_OK;
}
