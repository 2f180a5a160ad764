/*
 * The attestation predicate and the gate that applies it (see attest.h for
 * the reasons and their order). Pure: it reads only its arguments. Trusts
 * nothing in the manifest unless the caller says the signature was good,
 * which is why the signature is checked first.
 */
#include <string.h>

#include "attest.h"

static const char *const reasons[POL_ATTEST_RESULT_COUNT] = {
	[POL_ATTEST_ALLOW] = "allow",
	[POL_ATTEST_SIGNATURE] = "attestation: signature",
	[POL_ATTEST_NOT_ENROLLED] = "attestation: not_enrolled",
	[POL_ATTEST_REVOKED] = "attestation: revoked",
	[POL_ATTEST_NO_ENROLLMENT_REF] = "attestation: no_enrollment_ref",
	[POL_ATTEST_ENROLLMENT_MISMATCH] = "attestation: enrollment_mismatch",
	[POL_ATTEST_ROLLOUT_STATE] = "attestation: rollout_state",
};

const char *pol_attest_reason(enum pol_attest_result result)
{
	/* Out of range can only be memory corruption: report it as the
	 * strictest reason rather than as "allow". */
	return (unsigned)result < POL_ATTEST_RESULT_COUNT ? reasons[result]
							  : reasons[POL_ATTEST_SIGNATURE];
}

enum pol_attest_result pol_attest_evaluate(const struct pol_bundle_manifest *manifest,
					   enum pol_bundle_sig sig,
					   const struct pol_enrollment *row,
					   const char *node_id)
{
	/* SECURITY: the manifest's provenance is attacker-controlled until the
	 * signature and digests are good, so nothing below may be consulted
	 * before this check. */
	if (!manifest || sig != POL_BUNDLE_SIG_OK)
		return POL_ATTEST_SIGNATURE;
	if (!node_id || !*node_id || !row || !row->node_id || strcmp(row->node_id, node_id) ||
	    !row->enrollment_ref || !*row->enrollment_ref)
		return POL_ATTEST_NOT_ENROLLED;
	if (row->status != POL_NODE_ACTIVE)
		return POL_ATTEST_REVOKED;
	if (!manifest->enrollment_ref || !*manifest->enrollment_ref)
		return POL_ATTEST_NO_ENROLLMENT_REF;
	if (strcmp(manifest->enrollment_ref, row->enrollment_ref))
		return POL_ATTEST_ENROLLMENT_MISMATCH;
	switch (row->rollout_state) {
	case POL_ROLLOUT_NONE:
	case POL_ROLLOUT_PENDING:
	case POL_ROLLOUT_ACKNOWLEDGED:
	case POL_ROLLOUT_ACTIVE:
		return POL_ATTEST_ALLOW;
	case POL_ROLLOUT_ROLLBACK:
	case POL_ROLLOUT_FAILED:
	default:
		return POL_ATTEST_ROLLOUT_STATE;
	}
}

enum pol_attest_effect pol_attest_gate(enum pol_attestation_mode mode, bool policy_allows,
				       enum pol_attest_result result)
{
	/* A deny is final whatever attestation says; an allow result changes
	 * nothing. Only an allowed call with a failing predicate is touched. */
	if (!policy_allows || result == POL_ATTEST_ALLOW)
		return POL_ATTEST_EFFECT_NONE;
	switch (mode) {
	case POL_ATTEST_ENFORCE:
		return POL_ATTEST_EFFECT_DENY;
	case POL_ATTEST_ADVISORY:
		return POL_ATTEST_EFFECT_WOULD_DENY;
	case POL_ATTEST_OFF:
		return POL_ATTEST_EFFECT_NONE;
	default:
		/* An unknown mode fails closed. */
		return POL_ATTEST_EFFECT_DENY;
	}
}
