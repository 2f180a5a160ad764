/*
 * A node's local config when a signed bundle is the policy (docs/fleet.md,
 * "Fleet mode in attesta-run"): the bundle's attesta.yaml and profiles are
 * the policy, and the local file may only add node-local settings (where
 * the audit log, the trust store and the approval socket live, and the
 * attestation and fleet settings of this node). Any other key would
 * loosen or change the signed policy and is refused with file:line:column.
 */
#ifndef ATTESTA_CONFIG_LOCAL_H
#define ATTESTA_CONFIG_LOCAL_H

#include "config.h"
#include "diag.h"

/* The keys a local config may set with a bundle, as bits of *ret_set. */
enum pol_local_key {
	POL_LOCAL_AUDIT_PATH = 1u << 0,        /* audit.path */
	POL_LOCAL_AUDIT_HMAC_KEY_FILE = 1u << 1, /* audit.hmac_key_file */
	POL_LOCAL_TRUST_PATH = 1u << 2,        /* trust.path */
	POL_LOCAL_APPROVAL_SOCKET = 1u << 3,   /* gate.approval_socket */
	POL_LOCAL_ATTEST_MODE = 1u << 4,       /* attestation.mode */
	POL_LOCAL_ATTEST_NODE_ID = 1u << 5,    /* attestation.node_id */
	POL_LOCAL_ATTEST_BUNDLE = 1u << 6,     /* attestation.bundle */
	POL_LOCAL_ATTEST_REGISTRY = 1u << 7,   /* attestation.registry */
	POL_LOCAL_ATTEST_PUBKEY = 1u << 8,     /* attestation.pubkey */
	POL_LOCAL_ATTEST_GRACE = 1u << 9,      /* attestation.grace_seconds */
	POL_LOCAL_FLEET_DATABASE = 1u << 10,   /* fleet.database */
	POL_LOCAL_AUDIT_SHIP = 1u << 11,       /* audit.ship */
	POL_LOCAL_AUDIT_SHIP_BATCH = 1u << 12, /* audit.ship_batch */
	POL_LOCAL_AUDIT_SHIP_INTERVAL = 1u << 13, /* audit.ship_interval_ms */
};

/* "audit.path, audit.hmac_key_file, ...": for messages and docs. */
extern const char pol_local_keys_text[];

/* Check the config file at path (already loaded and valid): 0 with
 * *ret_set the local keys it sets, or -EINVAL with diag at the first key
 * that is not a local one; -errno if it cannot be read. */
int pol_config_check_local(const char *path, unsigned *ret_set, struct pol_diag *diag);

/* Copy into policy (the bundle's config) the values of the keys in set
 * from local. 0 or -ENOMEM. */
int pol_config_take_local(struct pol_config *policy, const struct pol_config *local,
			  unsigned set);

#endif
