/*
 * `attesta attestation status|eval|report` (docs/fleet.md, docs/fleet.md): show a
 * node's enrollment row, and run the attestation predicate offline for a
 * (bundle, node) pair exactly as the gate would. Exit codes of eval are
 * API for rollout scripts: 0 allow, 1 deny (or could not evaluate: fail
 * closed), 2 usage. Trusts its arguments no more than any user input; the
 * bundle and the registry are parsed by policy/. `report` is in
 * cmd_attestation_report.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli_args.h"
#include "commands.h"
#include "fleet_common.h"
#include "policy/attest.h"
#include "policy/bundle.h"
#include "policy/fleet_db.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta attestation [-c FILE] [--registry PATH|postgres] [--database CONNINFO] COMMAND\n"
		"\n"
		"  status --node-id ID [--json]                     the node's enrollment row\n"
		"  eval --bundle FILE|NAME[@VERSION] --node-id ID [--pubkey FILE]\n"
		"                                                   run the attestation predicate:\n"
		"                                                   prints allow or the reason\n"
		"  report [--since DURATION] [--json] [--audit LOG] advisory would-denies per node\n"
		"                                                   and reason (0: none, 1: some)\n"
		"\n"
		"The node id defaults to $ATTESTA_NODE_ID, then attestation.node_id; the bundle to\n"
		"attestation.bundle (a NAME is pulled from the fleet database); the public key to\n"
		"$ATTESTA_BUNDLE_PUBKEY, then attestation.pubkey.\n"
		"exit status: status: 0 enrolled, 1 not enrolled or error, 2 usage;\n"
		"             eval: 0 allow, 1 deny (or cannot evaluate), 2 usage\n");
}

static const char *or_none(const char *s)
{
	return s && *s ? s : "<none>";
}

static int print_status(const char *node_id, const struct pol_enrollment *row, bool json)
{
	const char *rollout = row && row->rollout_state != POL_ROLLOUT_NONE
				      ? pol_rollout_state_name(row->rollout_state) : NULL;

	if (json) {
		cJSON *o = cJSON_CreateObject();
		char *text;
		if (!o || !cJSON_AddStringToObject(o, "node_id", node_id) ||
		    !cJSON_AddBoolToObject(o, "enrolled", row != NULL) ||
		    !(row ? cJSON_AddStringToObject(o, "enrollment_ref", row->enrollment_ref)
			  : cJSON_AddNullToObject(o, "enrollment_ref")) ||
		    !(row ? cJSON_AddStringToObject(o, "status", pol_node_status_name(row->status))
			  : cJSON_AddNullToObject(o, "status")) ||
		    !(rollout ? cJSON_AddStringToObject(o, "rollout_state", rollout)
			      : cJSON_AddNullToObject(o, "rollout_state")) ||
		    !(row ? cJSON_AddNumberToObject(o, "enrolled_at", row->enrolled_at)
			  : cJSON_AddNullToObject(o, "enrolled_at")) ||
		    !(row ? cJSON_AddNumberToObject(o, "updated_at", row->updated_at)
			  : cJSON_AddNullToObject(o, "updated_at")) ||
		    !(text = cJSON_Print(o))) {
			cJSON_Delete(o);
			fprintf(stderr, "attesta: out of memory\n");
			return CLI_EXIT_INVALID;
		}
		printf("%s\n", text);
		free(text);
		cJSON_Delete(o);
	} else {
		printf("%-24s %-24s %-8s %s\n", "NODE_ID", "ENROLLMENT_REF", "STATUS", "ROLLOUT_STATE");
		printf("%-24s %-24s %-8s %s\n", node_id, or_none(row ? row->enrollment_ref : NULL),
		       or_none(row ? pol_node_status_name(row->status) : NULL), or_none(rollout));
	}
	return row ? CLI_EXIT_OK : CLI_EXIT_INVALID;
}

/* Look the node up; *ret_row is NULL when it is not enrolled. */
static int lookup(struct pol_registry *registry, const char *node_id,
		  struct pol_enrollment *row, bool *found)
{
	struct pol_diag diag = { 0 };
	int r = pol_registry_lookup(registry, node_id, row, &diag);

	*found = r == 0;
	if (r == -ENOENT || r == 0)
		return 0;
	fleet_print_diag(&diag, pol_registry_describe(registry), r);
	return CLI_EXIT_INVALID;
}

static int eval(const char *bundle_path, const char *pubkey_path, const char *node_id,
		struct pol_registry *registry, bool json, const char *conninfo)
{
	struct pol_bundle *bundle = NULL;
	struct pol_bundle_key *key = NULL;
	struct pol_enrollment row = { 0 };
	struct pol_diag diag = { 0 };
	enum pol_bundle_sig sig = POL_BUNDLE_SIG_MALFORMED;
	enum pol_attest_result result;
	bool found = false;
	int r, rc;

	if (pubkey_path) {
		r = pol_bundle_key_load(pubkey_path, false, &key, &diag);
		if (r < 0) {
			fleet_print_diag(&diag, pubkey_path, r);
			return CLI_EXIT_INVALID;
		}
	}
	if (!pubkey_path)
		fprintf(stderr, "attesta: no bundle public key: looked for --pubkey, "
			"$ATTESTA_BUNDLE_PUBKEY and attestation.pubkey, none is set\n");
	r = pol_fleet_bundle_load(bundle_path, conninfo, &bundle, NULL, 0, &diag);
	if (r == 0)
		sig = pol_bundle_check(bundle, key, &diag);
	if (sig != POL_BUNDLE_SIG_OK)
		fleet_print_diag(&diag, bundle_path, r);
	rc = lookup(registry, node_id, &row, &found);
	if (rc)
		goto out;
	result = pol_attest_evaluate(bundle ? pol_bundle_manifest(bundle) : NULL, sig,
				     found ? &row : NULL, node_id);
	if (json) {
		const struct pol_bundle_manifest *m = bundle ? pol_bundle_manifest(bundle) : NULL;
		cJSON *o = cJSON_CreateObject();
		char *text = NULL;
		bool allow = result == POL_ATTEST_ALLOW;
		if (!o || !cJSON_AddStringToObject(o, "node_id", node_id) ||
		    !cJSON_AddStringToObject(o, "result", allow ? "allow" : "deny") ||
		    !(allow ? cJSON_AddNullToObject(o, "reason")
			    : cJSON_AddStringToObject(o, "reason", pol_attest_reason(result))) ||
		    !cJSON_AddStringToObject(o, "signature", pol_bundle_sig_name(sig)) ||
		    !(m && m->enrollment_ref
			      ? cJSON_AddStringToObject(o, "bundle_enrollment_ref", m->enrollment_ref)
			      : cJSON_AddNullToObject(o, "bundle_enrollment_ref")) ||
		    !(text = cJSON_PrintUnformatted(o))) {
			cJSON_Delete(o);
			fprintf(stderr, "attesta: out of memory\n");
			rc = CLI_EXIT_INVALID;
			goto out;
		}
		printf("%s\n", text);
		free(text);
		cJSON_Delete(o);
	} else {
		printf("%s\n", pol_attest_reason(result));
	}
	rc = result == POL_ATTEST_ALLOW ? CLI_EXIT_OK : CLI_EXIT_INVALID;
out:
	pol_enrollment_release(&row);
	pol_bundle_free(bundle);
	pol_bundle_key_free(key);
	return rc;
}

int cmd_attestation(int argc, char **argv)
{
	static const struct option longopts[] = {
		FLEET_LONG_OPTIONS,
		{ "bundle", required_argument, NULL, 'b' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fleet_opts opts = { 0 };
	const char *bundle = NULL, *pubkey = NULL, *verb, *node_id;
	struct pol_config *config = NULL;
	struct pol_registry *registry = NULL;
	struct pol_enrollment row = { 0 };
	bool found = false;
	int c, rc = CLI_EXIT_USAGE;

	if (argc > 1 && !strcmp(argv[1], "report"))
		return cmd_attestation_report(argc - 1, argv + 1);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hj", longopts, NULL)) != -1) {
		if (fleet_opts_take(&opts, c, optarg))
			continue;
		switch (c) {
		case 'b': bundle = optarg; break;
		case 'p': pubkey = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return cli_option_error(c, argv, usage);
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	verb = argv[optind];
	if (strcmp(verb, "status") && strcmp(verb, "eval")) {
		fprintf(stderr, "attesta: unknown attestation command '%s'\n", verb);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(verb, "status") && (bundle || pubkey)) {
		fprintf(stderr, "attesta: --bundle and --pubkey go with 'attestation eval'\n");
		return CLI_EXIT_USAGE;
	}
	if (fleet_load_config(&opts, &config)) {
		rc = CLI_EXIT_INVALID;
		goto out;
	}
	node_id = fleet_require_node_id(&opts, config, "attestation", verb);
	if (!node_id)
		goto out;
	if (!pol_registry_name_valid(node_id)) {
		fprintf(stderr, "attesta: invalid node id '%.256s'\n", node_id);
		goto out;
	}
	if (!strcmp(verb, "eval")) {
		if (!bundle)
			bundle = config->bundle;
		if (!pubkey && getenv("ATTESTA_BUNDLE_PUBKEY") && *getenv("ATTESTA_BUNDLE_PUBKEY"))
			pubkey = getenv("ATTESTA_BUNDLE_PUBKEY");
		if (!pubkey)
			pubkey = config->attestation_pubkey;
		if (!bundle) {
			fprintf(stderr, "attesta: attestation eval needs --bundle FILE (or attestation.bundle)\n");
			goto out;
		}
	}
	if (fleet_open_registry(&opts, config, &registry)) {
		rc = CLI_EXIT_INVALID;
		goto out;
	}
	if (!strcmp(verb, "eval")) {
		rc = eval(bundle, pubkey, node_id, registry, opts.json,
			  opts.database ? opts.database : config->fleet_database);
		goto out;
	}
	rc = lookup(registry, node_id, &row, &found);
	if (rc == 0)
		rc = print_status(node_id, found ? &row : NULL, opts.json);
out:
	pol_enrollment_release(&row);
	pol_registry_free(registry);
	pol_config_free(config);
	return rc;
}
