/*
 * `attesta node enroll|revoke|rollout`: write a fleet node's enrollment row
 * to the registry (policy/registry.h, docs/fleet.md). The registry comes
 * from -c FILE (attestation.registry, fleet.database) unless --registry /
 * --database say otherwise; the node id from --node-id, $ATTESTA_NODE_ID or
 * attestation.node_id. Trusts its arguments no more than any user input:
 * ids are validated by the registry before anything is written.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "fleet_common.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta node [-c FILE] [--registry PATH|postgres] [--database CONNINFO] COMMAND\n"
		"\n"
		"  enroll --node-id ID --enrollment-ref REF   enroll (or re-enroll) a node: status active\n"
		"  revoke --node-id ID                        mark a node revoked\n"
		"  rollout --node-id ID --state STATE         set the rollout state: none, pending,\n"
		"                                             acknowledged, active, rollback, failed\n"
		"\n"
		"The node id defaults to $ATTESTA_NODE_ID, then attestation.node_id.\n"
		"exit status: 0 ok, 1 invalid input (bad id, corrupt registry, node not enrolled), 2 usage\n");
}

int cmd_node(int argc, char **argv)
{
	static const struct option longopts[] = {
		FLEET_LONG_OPTIONS,
		{ "enrollment-ref", required_argument, NULL, 'e' },
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fleet_opts opts = { 0 };
	const char *ref = NULL, *state_name = NULL, *verb, *node_id;
	enum pol_rollout_state state = POL_ROLLOUT_NONE;
	struct pol_config *config = NULL;
	struct pol_registry *registry = NULL;
	struct pol_diag diag = { 0 };
	int c, r, rc = CLI_EXIT_USAGE;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		if (fleet_opts_take(&opts, c, optarg))
			continue;
		switch (c) {
		case 'e': ref = optarg; break;
		case 's': state_name = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return cli_option_error(c, argv, usage);
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	verb = argv[optind];
	if (strcmp(verb, "enroll") && strcmp(verb, "revoke") && strcmp(verb, "rollout")) {
		fprintf(stderr, "attesta: unknown node command '%s'\n", verb);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(verb, "enroll") != !!ref) {
		fprintf(stderr, "attesta: --enrollment-ref goes with 'node enroll' (and is required there)\n");
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(verb, "rollout") != !!state_name) {
		fprintf(stderr, "attesta: --state goes with 'node rollout' (and is required there)\n");
		return CLI_EXIT_USAGE;
	}
	if (state_name && pol_rollout_state_parse(state_name, &state) < 0) {
		fprintf(stderr, "attesta: invalid rollout state '%s' (none, pending, acknowledged, "
				"active, rollback, failed)\n", state_name);
		return CLI_EXIT_USAGE;
	}

	rc = fleet_load_config(&opts, &config);
	if (rc)
		goto out;
	node_id = fleet_require_node_id(&opts, config, "node", verb);
	if (!node_id) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = fleet_open_registry(&opts, config, &registry);
	if (rc)
		goto out;
	if (!strcmp(verb, "enroll"))
		r = pol_registry_enroll(registry, node_id, ref, fleet_now(), &diag);
	else if (!strcmp(verb, "revoke"))
		r = pol_registry_revoke(registry, node_id, fleet_now(), &diag);
	else
		r = pol_registry_set_rollout(registry, node_id, state, fleet_now(), &diag);
	if (r == -ENOENT) {
		fprintf(stderr, "attesta: node '%s' is not enrolled in %s\n", node_id,
			pol_registry_describe(registry));
		rc = CLI_EXIT_INVALID;
		goto out;
	}
	if (r < 0) {
		fleet_print_diag(&diag, pol_registry_describe(registry), r);
		rc = CLI_EXIT_INVALID;
		goto out;
	}
	if (!strcmp(verb, "enroll"))
		printf("node '%s': enrolled with '%s' (%s)\n", node_id, ref,
		       pol_registry_describe(registry));
	else if (!strcmp(verb, "revoke"))
		printf("node '%s': revoked (%s)\n", node_id, pol_registry_describe(registry));
	else
		printf("node '%s': rollout state %s (%s)\n", node_id, pol_rollout_state_name(state),
		       pol_registry_describe(registry));
	rc = CLI_EXIT_OK;
out:
	pol_registry_free(registry);
	pol_config_free(config);
	return rc;
}
