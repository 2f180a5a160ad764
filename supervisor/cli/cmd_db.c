/*
 * `attesta db init` (docs/fleet.md, "The fleet database"): apply the
 * versioned schema migrations (policy/fleet_schema.c) to the fleet
 * database: tables, change notifications, and the node, publisher and
 * operator roles. Idempotent. `attesta db prune --before DATE`: delete
 * shipped audit entries older than DATE, only a prefix of each node's
 * chain so what is kept still verifies (docs/audit.md "Shipping to
 * PostgreSQL"). Exit 0 ok, 1 failure, 2 usage.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "fleet_common.h"
#include "policy/audit_ship.h"
#include "policy/fleet_db.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta db [-c FILE] [--database CONNINFO] init\n"
		"       attesta db [-c FILE] [--database CONNINFO] prune --before DATE [--node-id ID]\n"
		"\n"
		"init: create or upgrade the fleet database schema (versioned migrations) and\n"
		"the roles attesta_node, attesta_publisher and attesta_operator. Safe to repeat.\n"
		"prune: delete the shipped audit entries of every node (or one) that come\n"
		"before its first entry intercepted at or after DATE (ISO 8601; UTC unless a\n"
		"zone is given): a prefix of each chain, recorded, so `attesta audit verify\n"
		"--db` still verifies what is kept (\"starts after pruning\").\n"
		"The database is --database, else fleet.database, else libpq's environment.\n"
		"A password belongs in ~/.pgpass, PGPASSFILE or PGPASSWORD, never on the\n"
		"command line (ps shows it): --database with a password is refused.\n"
		"exit status: 0 ok, 1 failure, 2 usage\n");
}

int cmd_db(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'D' },
		{ "node-id", required_argument, NULL, 'n' },
		{ "before", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fleet_opts opts = { 0 };
	const char *before = NULL;
	struct pol_config *config = NULL;
	struct pol_diag diag = { 0 };
	int c, from = 0, to = 0, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		if (c == 'B') {
			before = optarg;
			continue;
		}
		if (fleet_opts_take(&opts, c, optarg))
			continue;
		if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		return cli_option_error(c, argv, usage);
	}
	if (optind != argc - 1 || (strcmp(argv[optind], "init") && strcmp(argv[optind], "prune")) ||
	    !strcmp(argv[optind], "prune") != !!before || (opts.node_id && !before)) {
		if (optind == argc - 1 && !strcmp(argv[optind], "prune") && !before)
			fprintf(stderr, "attesta: db prune needs --before DATE\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (fleet_load_config(&opts, &config))
		return CLI_EXIT_INVALID;
	if (before) {
		uint64_t deleted = 0;

		r = pol_ship_prune(opts.database ? opts.database : config->fleet_database, before,
				   opts.node_id, &deleted, &diag);
		pol_config_free(config);
		if (r < 0) {
			fleet_print_diag(&diag, "db prune", r);
			return CLI_EXIT_INVALID;
		}
		printf("pruned %llu audit entries intercepted before %s\n",
		       (unsigned long long)deleted, before);
		return CLI_EXIT_OK;
	}
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
