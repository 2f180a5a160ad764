/*
 * The attestation predicate (docs/fleet.md; docs/score.md step 7): is this node allowed
 * to run policy from this bundle? One pure function of (manifest,
 * signature result, enrollment row, node id) that returns allow or one
 * stable reason string operators and scripts branch on:
 *
 *   "attestation: signature"            bundle unreadable, unsigned, badly
 *                                       signed, or a member was altered
 *   "attestation: not_enrolled"         no node id, or no enrollment row
 *                                       for it (or the row is another node's)
 *   "attestation: revoked"              the node's enrollment was revoked
 *   "attestation: no_enrollment_ref"    the bundle declares no
 *                                       provenance.enrollment_ref
 *   "attestation: enrollment_mismatch"  the bundle's enrollment_ref is not
 *                                       the node's
 *   "attestation: rollout_state"        the node is in rollback or failed
 *
 * Checks run in exactly that order and the first failure is the reason, so
 * the same inputs always give the same answer. The predicate reads nothing
 * but its arguments: no clock, no files, no environment.
 *
 * pol_attest_gate() is the only way the predicate's answer may change a
 * verdict: it can turn an allow into a deny (enforce) or into an allow
 * with a would-deny record (advisory), and can never turn a deny into an
 * allow.
 */
#ifndef ATTESTA_ATTEST_H
#define ATTESTA_ATTEST_H

#include <stdbool.h>

#include "bundle.h"
#include "config.h"
#include "registry.h"

enum pol_attest_result {
	POL_ATTEST_ALLOW = 0,
	POL_ATTEST_SIGNATURE,
	POL_ATTEST_NOT_ENROLLED,
	POL_ATTEST_REVOKED,
	POL_ATTEST_NO_ENROLLMENT_REF,
	POL_ATTEST_ENROLLMENT_MISMATCH,
	POL_ATTEST_ROLLOUT_STATE,
	POL_ATTEST_RESULT_COUNT
};

/* "allow" for POL_ATTEST_ALLOW, else the stable "attestation: ..." reason. */
const char *pol_attest_reason(enum pol_attest_result result);

/* The predicate. manifest NULL (bundle could not be read) or sig other than
 * POL_BUNDLE_SIG_OK gives POL_ATTEST_SIGNATURE; row NULL means no row was
 * found for node_id. */
enum pol_attest_result pol_attest_evaluate(const struct pol_bundle_manifest *manifest,
					   enum pol_bundle_sig sig,
					   const struct pol_enrollment *row,
					   const char *node_id);

/* What the attestation result does to one gated call's verdict. */
enum pol_attest_effect {
	POL_ATTEST_EFFECT_NONE = 0,   /* verdict stands as the policy decided */
	POL_ATTEST_EFFECT_DENY,       /* enforce: an allow becomes a deny with the reason */
	POL_ATTEST_EFFECT_WOULD_DENY, /* advisory: allow stands; write a second audit
				       * entry (same entry_id, would_deny: true, reason) */
};
enum pol_attest_effect pol_attest_gate(enum pol_attestation_mode mode, bool policy_allows,
				       enum pol_attest_result result);

#endif
