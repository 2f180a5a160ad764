/*
 * A node's local config next to a signed bundle (config_local.h): which
 * keys the local file sets, refusing every key that is not node-local
 * with file:line:column, and copying the local values over the bundle's
 * config. The file has already been loaded by pol_config_load (so it is
 * valid YAML within the caps); it is parsed again here for positions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_internal.h"
#include "config_local.h"
#include "pol_limits.h"

static const struct {
	const char *section, *key;
	unsigned bit;
} local_keys[] = {
	{ "audit", "path", POL_LOCAL_AUDIT_PATH },
	{ "audit", "hmac_key_file", POL_LOCAL_AUDIT_HMAC_KEY_FILE },
	{ "trust", "path", POL_LOCAL_TRUST_PATH },
	{ "gate", "approval_socket", POL_LOCAL_APPROVAL_SOCKET },
	{ "attestation", "mode", POL_LOCAL_ATTEST_MODE },
	{ "attestation", "node_id", POL_LOCAL_ATTEST_NODE_ID },
	{ "attestation", "bundle", POL_LOCAL_ATTEST_BUNDLE },
	{ "attestation", "registry", POL_LOCAL_ATTEST_REGISTRY },
	{ "attestation", "pubkey", POL_LOCAL_ATTEST_PUBKEY },
	{ "attestation", "grace_seconds", POL_LOCAL_ATTEST_GRACE },
	{ "fleet", "database", POL_LOCAL_FLEET_DATABASE },
	{ "audit", "ship", POL_LOCAL_AUDIT_SHIP },
	{ "audit", "ship_batch", POL_LOCAL_AUDIT_SHIP_BATCH },
	{ "audit", "ship_interval_ms", POL_LOCAL_AUDIT_SHIP_INTERVAL },
};

const char pol_local_keys_text[] =
	"audit.path, audit.hmac_key_file, trust.path, gate.approval_socket, attestation.mode, "
	"attestation.node_id, attestation.bundle, attestation.registry, attestation.pubkey, "
	"attestation.grace_seconds, fleet.database, audit.ship, audit.ship_batch, "
	"audit.ship_interval_ms";

static int refuse(const char *path, const struct cfg_node *at, const char *key,
		  struct pol_diag *diag)
{
	return pol_diag_set(diag, path, at->line, at->column,
			    "'%s' cannot be set in a local config when a signed bundle is the "
			    "policy (a local config may set only %s)", key, pol_local_keys_text);
}

static int walk(const char *path, const struct cfg_node *root, unsigned *set,
		struct pol_diag *diag)
{
	if (!root)
		return 0;
	if (root->kind != CFG_MAPPING)
		return pol_diag_set(diag, path, root->line, root->column, "not a mapping");
	for (size_t i = 0; i < root->count; i += 2) {
		const struct cfg_node *section = root->items[i], *map = root->items[i + 1];
		bool known_section = false;

		for (size_t k = 0; k < sizeof(local_keys) / sizeof(local_keys[0]); k++)
			known_section |= !strcmp(local_keys[k].section, section->text);
		if (!known_section)
			return refuse(path, section, section->text, diag);
		if (cfg_is_null(map))
			continue;
		if (map->kind != CFG_MAPPING)
			return refuse(path, section, section->text, diag);
		for (size_t j = 0; j < map->count; j += 2) {
			const struct cfg_node *key = map->items[j];
			unsigned bit = 0;
			char dotted[160];

			for (size_t k = 0; k < sizeof(local_keys) / sizeof(local_keys[0]); k++)
				if (!strcmp(local_keys[k].section, section->text) &&
				    !strcmp(local_keys[k].key, key->text))
					bit = local_keys[k].bit;
			snprintf(dotted, sizeof(dotted), "%.64s.%.64s", section->text, key->text);
			if (!bit)
				return refuse(path, key, dotted, diag);
			*set |= bit;
		}
	}
	return 0;
}

int pol_config_check_local(const char *path, unsigned *ret_set, struct pol_diag *diag)
{
	struct cfg_node *root = NULL;
	size_t len = 0;
	char *buf = NULL;
	int r;

	*ret_set = 0;
	r = config_read_file(path, &buf, &len, diag);
	if (r < 0)
		return r;
	r = cfg_tree_parse(path, buf, len, &root, diag);
	if (r == 0)
		r = walk(path, root, ret_set, diag);
	cfg_node_free(root);
	free(buf);
	return r;
}

static int take_str(char **dst, const char *src)
{
	char *copy = NULL;

	if (src && !(copy = strdup(src)))
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

int pol_config_take_local(struct pol_config *policy, const struct pol_config *local,
			  unsigned set)
{
	int r = 0;

	if (set & POL_LOCAL_AUDIT_PATH)
		r = r ?: take_str(&policy->audit_path, local->audit_path);
	if (set & POL_LOCAL_AUDIT_HMAC_KEY_FILE)
		r = r ?: take_str(&policy->audit_hmac_key_file, local->audit_hmac_key_file);
	if (set & POL_LOCAL_TRUST_PATH)
		r = r ?: take_str(&policy->trust_path, local->trust_path);
	if (set & POL_LOCAL_APPROVAL_SOCKET)
		r = r ?: take_str(&policy->approval_socket, local->approval_socket);
	if (set & POL_LOCAL_ATTEST_MODE)
		policy->attestation_mode = local->attestation_mode;
	if (set & POL_LOCAL_ATTEST_NODE_ID)
		r = r ?: take_str(&policy->node_id, local->node_id);
	if (set & POL_LOCAL_ATTEST_BUNDLE)
		r = r ?: take_str(&policy->bundle, local->bundle);
	if (set & POL_LOCAL_ATTEST_REGISTRY)
		r = r ?: take_str(&policy->registry, local->registry);
	if (set & POL_LOCAL_ATTEST_PUBKEY)
		r = r ?: take_str(&policy->attestation_pubkey, local->attestation_pubkey);
	if (set & POL_LOCAL_ATTEST_GRACE)
		policy->attestation_grace_seconds = local->attestation_grace_seconds;
	if (set & POL_LOCAL_FLEET_DATABASE)
		r = r ?: take_str(&policy->fleet_database, local->fleet_database);
	if (set & POL_LOCAL_AUDIT_SHIP)
		policy->audit_ship = local->audit_ship;
	if (set & POL_LOCAL_AUDIT_SHIP_BATCH)
		policy->audit_ship_batch = local->audit_ship_batch;
	if (set & POL_LOCAL_AUDIT_SHIP_INTERVAL)
		policy->audit_ship_interval_ms = local->audit_ship_interval_ms;
	return r;
}
