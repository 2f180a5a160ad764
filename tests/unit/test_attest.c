/*
 * Unit tests for the attestation predicate and gate (policy/attest.c):
 * every reason from the table in tests/data/attest/cases.tsv, an
 * exhaustive sweep that the predicate allows only when every condition
 * holds, and that pol_attest_gate() can only turn an allow into a deny.
 * Run from the source tree, or set ATTESTA_TEST_DATA to tests/data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/attest.h"

static const char *const sig_names[] = { "ok", "malformed", "no_key", "bad_signature",
					  "digest_mismatch" };

static enum pol_bundle_sig parse_sig(const char *s)
{
	for (unsigned i = 0; i < 5; i++)
		if (!strcmp(s, sig_names[i]))
			return (enum pol_bundle_sig)i;
	fail_msg("unknown sig '%s'", s);
	return POL_BUNDLE_SIG_MALFORMED;
}

/* Split line on tabs, keeping empty fields. */
static size_t split(char *line, char **fields, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		fields[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

static void test_pol_attest_evaluate_table(void **state)
{
	const char *dir = getenv("ATTESTA_TEST_DATA");
	char path[512], line[1024];
	unsigned cases = 0, reasons_seen = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/attest/cases.tsv", dir ? dir : "tests/data");
	f = fopen(path, "re");
	assert_non_null(f);
	for (unsigned lineno = 1; fgets(line, sizeof(line), f); lineno++) {
		char *fld[8];
		struct pol_bundle_manifest manifest = { 0 };
		struct pol_enrollment row = { 0 };
		enum pol_attest_result result;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(split(line, fld, 8), 8);
		if (strcmp(fld[1], "<null>"))
			manifest.enrollment_ref = fld[1];
		if (strcmp(fld[2], "-")) {
			row.node_id = fld[2];
			row.enrollment_ref = fld[3];
			assert_int_equal(pol_node_status_parse(fld[4], &row.status), 0);
			assert_int_equal(pol_rollout_state_parse(fld[5], &row.rollout_state), 0);
		}
		result = pol_attest_evaluate(strcmp(fld[1], "-") ? &manifest : NULL, parse_sig(fld[0]),
					     strcmp(fld[2], "-") ? &row : NULL,
					     strcmp(fld[6], "-") ? fld[6] : NULL);
		if (strcmp(pol_attest_reason(result), fld[7]))
			fail_msg("%s:%u: got '%s', want '%s'", path, lineno, pol_attest_reason(result),
				 fld[7]);
		reasons_seen |= 1u << result;
		cases++;
	}
	fclose(f);
	assert_true(cases >= 20);
	/* Every reason (and allow) is exercised by the table. */
	assert_int_equal(reasons_seen, (1u << POL_ATTEST_RESULT_COUNT) - 1);
}

static void test_pol_attest_reason_strings(void **state)
{
	(void)state;
	assert_string_equal(pol_attest_reason(POL_ATTEST_ALLOW), "allow");
	assert_string_equal(pol_attest_reason(POL_ATTEST_SIGNATURE), "attestation: signature");
	assert_string_equal(pol_attest_reason(POL_ATTEST_NOT_ENROLLED), "attestation: not_enrolled");
	assert_string_equal(pol_attest_reason(POL_ATTEST_REVOKED), "attestation: revoked");
	assert_string_equal(pol_attest_reason(POL_ATTEST_ENROLLMENT_MISMATCH),
			    "attestation: enrollment_mismatch");
	assert_string_equal(pol_attest_reason(POL_ATTEST_ROLLOUT_STATE), "attestation: rollout_state");
	assert_string_equal(pol_attest_reason(POL_ATTEST_NO_ENROLLMENT_REF),
			    "attestation: no_enrollment_ref");
	/* Out of range never reads as allow. */
	assert_string_equal(pol_attest_reason((enum pol_attest_result)99), "attestation: signature");
}

/* Every combination of inputs: allow exactly when every condition holds,
 * and the same inputs always give the same answer. */
static void test_pol_attest_evaluate_allows_only_coherent(void **state)
{
	const char *refs[] = { NULL, "", "ref-1", "ref-2" };
	const char *nodes[] = { NULL, "", "n1", "n2" };
	unsigned allows = 0;

	(void)state;
	for (unsigned sig = 0; sig < 5; sig++)
	for (unsigned has_manifest = 0; has_manifest < 2; has_manifest++)
	for (unsigned mref = 0; mref < 4; mref++)
	for (unsigned has_row = 0; has_row < 2; has_row++)
	for (unsigned rnode = 0; rnode < 4; rnode++)
	for (unsigned rref = 0; rref < 4; rref++)
	for (unsigned status = 0; status < 2; status++)
	for (unsigned rollout = 0; rollout < 6; rollout++)
	for (unsigned node = 0; node < 4; node++) {
		struct pol_bundle_manifest m = { .enrollment_ref = (char *)refs[mref] };
		struct pol_enrollment row = { .node_id = (char *)nodes[rnode],
					      .enrollment_ref = (char *)refs[rref],
					      .status = (enum pol_node_status)status,
					      .rollout_state = (enum pol_rollout_state)rollout };
		enum pol_attest_result a, b;
		bool coherent = sig == POL_BUNDLE_SIG_OK && has_manifest && has_row &&
				nodes[node] && *nodes[node] && nodes[rnode] &&
				!strcmp(nodes[rnode], nodes[node]) && refs[rref] && *refs[rref] &&
				status == POL_NODE_ACTIVE && refs[mref] && refs[rref] &&
				!strcmp(refs[mref], refs[rref]) && rollout <= POL_ROLLOUT_ACTIVE;

		a = pol_attest_evaluate(has_manifest ? &m : NULL, (enum pol_bundle_sig)sig,
					has_row ? &row : NULL, nodes[node]);
		b = pol_attest_evaluate(has_manifest ? &m : NULL, (enum pol_bundle_sig)sig,
					has_row ? &row : NULL, nodes[node]);
		assert_int_equal(a, b);
		assert_int_equal(a == POL_ATTEST_ALLOW, coherent);
		allows += a == POL_ATTEST_ALLOW;
	}
	assert_true(allows > 0);
}

/* The gate can only turn an allow into a deny, never a deny into an allow;
 * an allow result and mode off change nothing; advisory never denies. */
static void test_pol_attest_gate_only_tightens(void **state)
{
	(void)state;
	for (unsigned mode = 0; mode < 3; mode++)
	for (unsigned allows = 0; allows < 2; allows++)
	for (unsigned r = 0; r < POL_ATTEST_RESULT_COUNT; r++) {
		enum pol_attest_effect e = pol_attest_gate((enum pol_attestation_mode)mode, allows,
							   (enum pol_attest_result)r);
		bool final_allow = allows && e != POL_ATTEST_EFFECT_DENY;

		if (!allows)
			assert_int_equal(e, POL_ATTEST_EFFECT_NONE); /* a deny stays a deny */
		assert_true(final_allow <= (bool)allows);
		if (r == POL_ATTEST_ALLOW || mode == POL_ATTEST_OFF)
			assert_int_equal(e, POL_ATTEST_EFFECT_NONE);
		if (mode == POL_ATTEST_ADVISORY)
			assert_int_not_equal(e, POL_ATTEST_EFFECT_DENY);
	}
	assert_int_equal(pol_attest_gate(POL_ATTEST_ENFORCE, true, POL_ATTEST_REVOKED),
			 POL_ATTEST_EFFECT_DENY);
	assert_int_equal(pol_attest_gate(POL_ATTEST_ADVISORY, true, POL_ATTEST_REVOKED),
			 POL_ATTEST_EFFECT_WOULD_DENY);
	/* An unknown mode fails closed. */
	assert_int_equal(pol_attest_gate((enum pol_attestation_mode)7, true, POL_ATTEST_REVOKED),
			 POL_ATTEST_EFFECT_DENY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pol_attest_evaluate_table),
		cmocka_unit_test(test_pol_attest_reason_strings),
		cmocka_unit_test(test_pol_attest_evaluate_allows_only_coherent),
		cmocka_unit_test(test_pol_attest_gate_only_tightens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
