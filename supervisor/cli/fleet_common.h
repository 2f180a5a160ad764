/*
 * Helpers shared by the fleet commands (cmd_node.c, cmd_attestation.c,
 * cmd_bundle.c): the options every one of them takes (-c FILE,
 * --registry, --database, --node-id, --json), where the registry and the
 * node id come from, one-line error printing, and bounded file reading.
 */
#ifndef ATTESTA_CLI_FLEET_COMMON_H
#define ATTESTA_CLI_FLEET_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/config.h"
#include "policy/diag.h"
#include "policy/registry.h"

struct fleet_opts {
	const char *config_path;   /* -c FILE */
	const char *registry;      /* --registry PATH|postgres */
	const char *database;      /* --database CONNINFO */
	const char *node_id;       /* --node-id */
	bool json;
};

/* The long options every fleet command takes, for its getopt_long()
 * table; fleet_opts_take() stores them (and 'j', --json). */
#define FLEET_LONG_OPTIONS                                      \
	{ "config", required_argument, NULL, 'c' },             \
	{ "registry", required_argument, NULL, 'r' },           \
	{ "database", required_argument, NULL, 'D' },           \
	{ "node-id", required_argument, NULL, 'n' }

/* Store getopt result c (value arg) in opts if it is one of the common
 * options above or 'j'; false if c is the command's own. */
/* A --database CONNINFO given on the command line, or exit 2 with one
 * line when it holds a password (a command line is readable by every
 * user in ps; passwords belong in ~/.pgpass, $PGPASSFILE or the config).
 * docs/fleet.md, "The fleet database". */
const char *fleet_cli_database(const char *arg);

bool fleet_opts_take(struct fleet_opts *opts, int c, const char *arg);

/* Print "attesta: file:line:col: message", or "attesta: what: strerror". */
void fleet_print_diag(const struct pol_diag *diag, const char *what, int r);

/* Load -c FILE (or ./attesta.yaml, or the defaults). CLI exit code. */
int fleet_load_config(const struct fleet_opts *opts, struct pol_config **ret_config);

/* Open the registry: --registry, else attestation.registry, else
 * .attesta/registry.json; "postgres" uses --database, else fleet.database.
 * CLI exit code. */
int fleet_open_registry(const struct fleet_opts *opts, const struct pol_config *config,
			struct pol_registry **ret_registry);

/* --node-id, else $ATTESTA_NODE_ID, else attestation.node_id; or NULL
 * after printing "COMMAND VERB needs a node id (...)" (the caller exits
 * with CLI_EXIT_USAGE). */
const char *fleet_require_node_id(const struct fleet_opts *opts, const struct pol_config *config,
				  const char *command, const char *verb);

double fleet_now(void);

#endif
