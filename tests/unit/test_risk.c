/*
 * Unit tests for risk.c and pystr.c: the reference DefaultRiskScorer must
 * reproduce the Python reference bit for bit. The bulk of the proof is
 * tests/data/reference_scores.jsonl (made by the reference itself, see
 * tests/data/gen_reference_scores.md): every vector's score and factor
 * contributions must be the identical double, and its evidence, level,
 * description and argument text the identical bytes. The other tests pin
 * each factor rule, tokenization and the stringification table by hand.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "action.h"
#include "config.h"
#include "diag.h"
#include "pystr.h"
#include "risk.h"

static const char *data_path(const char *name)
{
	static char path[512];
	const char *dir = getenv("ATTESTA_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	return path;
}

static bool same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Score one context given as JSON text. */
static void score_json(const char *json, unsigned novelty, struct pol_assessment *ret)
{
	struct pol_action *a = NULL;
	struct pol_diag diag = { 0 };
	int r = pol_action_from_json("t", json, strlen(json), &a, &diag);

	if (r < 0)
		fail_msg("context %s rejected: %u:%u: %s", json, diag.line, diag.column, diag.message);
	assert_int_equal(pol_risk_score_reference(a, novelty, ret), 0);
	pol_action_free(a);
}

static double factor_of(const struct pol_assessment *a, const char *name)
{
	for (size_t i = 0; i < a->n_factors; i++)
		if (!strcmp(a->factors[i].name, name))
			return a->factors[i].contribution;
	fail_msg("no factor '%s'", name);
	return NAN;
}

static const char *evidence_of(const struct pol_assessment *a, const char *name)
{
	for (size_t i = 0; i < a->n_factors; i++)
		if (!strcmp(a->factors[i].name, name))
			return a->factors[i].evidence ? a->factors[i].evidence : "";
	return "";
}

static int check_vector(const cJSON *v, unsigned lineno)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(v, "name"));
	const char *ctx = cJSON_GetStringValue(cJSON_GetObjectItem(v, "context"));
	const char *want_score = cJSON_GetStringValue(cJSON_GetObjectItem(v, "score"));
	const char *want_level = cJSON_GetStringValue(cJSON_GetObjectItem(v, "level"));
	const char *want_desc = cJSON_GetStringValue(cJSON_GetObjectItem(v, "description"));
	const char *want_args = cJSON_GetStringValue(cJSON_GetObjectItem(v, "args_text"));
	const cJSON *factors = cJSON_GetObjectItem(v, "factors"), *f;
	unsigned novelty = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItem(v, "novelty_calls"));
	struct pol_action *a = NULL;
	struct pol_assessment as;
	struct pol_diag diag = { 0 };
	char *desc, *args;
	int bad = 0;
	size_t i = 0;

	if (!name || !ctx || !want_score || !want_level || !want_desc || !want_args || !factors) {
		print_error("line %u: malformed vector\n", lineno);
		return 1;
	}
	if (pol_action_from_json(name, ctx, strlen(ctx), &a, &diag) < 0) {
		print_error("%s: context rejected: %u:%u: %s\n", name, diag.line, diag.column, diag.message);
		return 1;
	}
	assert_int_equal(pol_risk_score_reference(a, novelty, &as), 0);
	if (!same_double(as.score, strtod(want_score, NULL))) {
		print_error("%s: score %.17g, reference %s\n", name, as.score, want_score);
		bad = 1;
	}
	if (strcmp(pol_level_name(as.level), want_level)) {
		print_error("%s: level %s, reference %s\n", name, pol_level_name(as.level), want_level);
		bad = 1;
	}
	cJSON_ArrayForEach(f, factors) {
		const char *fname = cJSON_GetStringValue(cJSON_GetObjectItem(f, "name"));
		const char *fc = cJSON_GetStringValue(cJSON_GetObjectItem(f, "contribution"));
		const char *fe = cJSON_GetStringValue(cJSON_GetObjectItem(f, "evidence"));

		if (i >= as.n_factors || !fname || !fc || strcmp(as.factors[i].name, fname)) {
			print_error("%s: factor %zu missing or misnamed\n", name, i);
			bad = 1;
			break;
		}
		if (!same_double(as.factors[i].contribution, strtod(fc, NULL))) {
			print_error("%s: factor %s %.17g, reference %s\n", name, fname, as.factors[i].contribution, fc);
			bad = 1;
		}
		if (fe && (!as.factors[i].evidence || strcmp(as.factors[i].evidence, fe))) {
			print_error("%s: factor %s evidence '%s', reference '%s'\n", name, fname,
				    as.factors[i].evidence ? as.factors[i].evidence : "(null)", fe);
			bad = 1;
		}
		i++;
	}
	if (i != as.n_factors) {
		print_error("%s: %zu factors, reference %zu\n", name, as.n_factors, i);
		bad = 1;
	}
	desc = pol_action_describe(a);
	if (!desc || strcmp(desc, want_desc)) {
		print_error("%s: description '%s', reference '%s'\n", name, desc ? desc : "(null)", want_desc);
		bad = 1;
	}
	args = pol_risk_args_text(a);
	if (!args || strcmp(args, want_args)) {
		print_error("%s: args text differs (%zu vs %zu bytes)\n", name, args ? strlen(args) : 0,
			    strlen(want_args));
		bad = 1;
	}
	free(desc);
	free(args);
	pol_assessment_release(&as);
	pol_action_free(a);
	return bad;
}

/* ---- hand-written rules ------------------------------------------------- */

static void expect_factor(const char *json, const char *factor, double score, const char *evidence)
{
	struct pol_assessment a;
	double want;

	score_json(json, 0, &a);
	want = strcmp(factor, "function_name") == 0 ? score * 0.30
	       : strcmp(factor, "arguments") == 0  ? score * 0.25
	       : strcmp(factor, "docstring") == 0  ? score * 0.20
	       : strcmp(factor, "hints") == 0      ? score * 0.15
						   : score * 0.10;
	if (!same_double(factor_of(&a, factor), want) || (evidence && strcmp(evidence_of(&a, factor), evidence)))
		fail_msg("%s: %s = %.17g '%s', want %.17g '%s'", json, factor, factor_of(&a, factor),
			 evidence_of(&a, factor), want, evidence ? evidence : "");
	pol_assessment_release(&a);
}

static void test_pol_risk_score_reference_function_name_rules(void **state)
{
	(void)state;
	expect_factor("{\"function_name\":\"purge_cache\"}", "function_name", 0.95, "destructive verbs: purge");
	expect_factor("{\"function_name\":\"deleteAndDrop\"}", "function_name", 0.95, "destructive verbs: delete, drop");
	expect_factor("{\"function_name\":\"get_then_delete\"}", "function_name", 0.95, "destructive verbs: delete");
	expect_factor("{\"function_name\":\"pushTag\"}", "function_name", 0.55, "mutating verbs: push");
	expect_factor("{\"function_name\":\"list-items\"}", "function_name", 0.1, "read verbs: list");
	expect_factor("{\"function_name\":\"frob\"}", "function_name", 0.4, "no known verb category matched");
	expect_factor("{\"function_name\":\"\"}", "function_name", 0.5, "no recognisable tokens");
	expect_factor("{\"function_name\":\"-/._\"}", "function_name", 0.5, "no recognisable tokens");
	/* Tokenization edges: no split before a capital after a capital, a
	 * split after a digit, none on spaces, KELVIN SIGN lowers to k. */
	expect_factor("{\"function_name\":\"HTTPDelete\"}", "function_name", 0.4, NULL);
	expect_factor("{\"function_name\":\"v2Delete\"}", "function_name", 0.95, NULL);
	expect_factor("{\"function_name\":\"delete all\"}", "function_name", 0.4, NULL);
	expect_factor("{\"function_name\":\"\\u212aILL\"}", "function_name", 0.95, "destructive verbs: kill");
	expect_factor("{\"function_name\":\"\\u0130nsert_get\"}", "function_name", 0.1, NULL);
	expect_factor("{\"function_name\":\"DELETE\"}", "function_name", 0.95, NULL);
}

static void test_pol_risk_score_reference_argument_rules(void **state)
{
	(void)state;
	expect_factor("{\"function_name\":\"f\"}", "arguments", 0.0, "no arguments");
	expect_factor("{\"function_name\":\"f\",\"args\":[],\"kwargs\":{}}", "arguments", 0.0, "no arguments");
	expect_factor("{\"function_name\":\"f\",\"args\":[\"\"]}", "arguments", 0.05, "arguments appear benign");
	expect_factor("{\"function_name\":\"f\",\"args\":[\"a/.env\"]}", "arguments", 0.9, "sensitive pattern '.env'");
	expect_factor("{\"function_name\":\"f\",\"args\":[\"the key\"]}", "arguments", 0.9, "sensitive pattern 'key'");
	expect_factor("{\"function_name\":\"f\",\"args\":[\"monkey\"]}", "arguments", 0.05, NULL);
	expect_factor("{\"function_name\":\"f\",\"args\":[\"credent\\u0131al\"]}", "arguments", 0.9, NULL);
	expect_factor("{\"function_name\":\"f\",\"args\":[\"\\u017fudo\"]}", "arguments", 0.05, NULL);
	expect_factor("{\"function_name\":\"f\",\"args\":[\"Drop it\"]}", "arguments", 0.9, "SQL keyword 'Drop'");
	expect_factor("{\"function_name\":\"f\",\"args\":[\"rm \\u001f-rf x\"]}", "arguments", 0.9, NULL);
	expect_factor("{\"function_name\":\"f\",\"args\":[\"rm -fr /\"]}", "arguments", 0.05, NULL);
	expect_factor("{\"function_name\":\"f\",\"args\":[\"chmod 777\"]}", "arguments", 0.9, "shell command 'chmod 777'");
	expect_factor("{\"function_name\":\"f\",\"args\":[\"see 1.2.3.4\"]}", "arguments", 0.5, "network pattern '1.2.3.4'");
	expect_factor("{\"function_name\":\"f\",\"kwargs\":{\"u\":\"a@b.c\"}}", "arguments", 0.5, "network pattern 'a@b.c'");
	expect_factor("{\"function_name\":\"f\",\"args\":[\"http://x secret\"]}", "arguments", 0.9,
		      "sensitive pattern 'secret'; network pattern 'http://'");
	/* str() of a nested value is its repr: the dict key is matched. */
	expect_factor("{\"function_name\":\"f\",\"args\":[{\"token\":1}]}", "arguments", 0.9, "sensitive pattern 'token'");
}

static void test_pol_risk_score_reference_docstring_rules(void **state)
{
	(void)state;
	expect_factor("{\"function_name\":\"f\"}", "docstring", 0.1, "no docstring available");
	expect_factor("{\"function_name\":\"f\",\"function_doc\":null}", "docstring", 0.1, NULL);
	expect_factor("{\"function_name\":\"f\",\"function_doc\":\"\"}", "docstring", 0.1, NULL);
	expect_factor("{\"function_name\":\"f\",\"function_doc\":\" \"}", "docstring", 0.05,
		      "docstring contains no risk keywords");
	expect_factor("{\"function_name\":\"f\",\"function_doc\":\"Caution\"}", "docstring", 0.5, "caution keyword 'Caution'");
	expect_factor("{\"function_name\":\"f\",\"function_doc\":\"careful: permanent\"}", "docstring", 0.85,
		      "high-risk keyword 'permanent'; caution keyword 'careful'");
}

static void test_pol_risk_score_reference_hint_rules(void **state)
{
	(void)state;
	expect_factor("{\"function_name\":\"f\",\"hints\":{}}", "hints", 0.0, "no hints provided");
	expect_factor("{\"function_name\":\"f\",\"hints\":{\"a\":false}}", "hints", 0.0, "hints contained no scorable values");
	expect_factor("{\"function_name\":\"f\",\"hints\":{\"a\":\"yes\",\"b\":null}}", "hints", 0.0, NULL);
	/* true is a bool (0.3), never the int 1 (0.00008). */
	expect_factor("{\"function_name\":\"f\",\"hints\":{\"a\":true}}", "hints", 0.3, "a=True (+0.30)");
	expect_factor("{\"function_name\":\"f\",\"hints\":{\"a\":1}}", "hints", (1 / 10000.0) * 0.8, "a=1 (+0.00)");
	expect_factor("{\"function_name\":\"f\",\"hints\":{\"n\":5000}}", "hints", 0.4, "n=5000 (+0.40)");
	expect_factor("{\"function_name\":\"f\",\"hints\":{\"n\":50000.0}}", "hints", 0.8, "n=50000.0 (+0.80)");
	expect_factor("{\"function_name\":\"f\",\"hints\":{\"a\":true,\"b\":true,\"c\":true,\"d\":true}}", "hints", 1.0, NULL);
	expect_factor("{\"function_name\":\"f\",\"hints\":{\"n\":-20000,\"t\":true}}", "hints", 0.0, NULL);
}

static void test_pol_risk_score_reference_novelty_table(void **state)
{
	static const double want[] = { 0.9, 0.9 - 0.1 * 0.8, 0.9 - 0.2 * 0.8, 0.9 - 0.3 * 0.8,
				       0.9 - 0.4 * 0.8, 0.9 - 0.5 * 0.8, 0.9 - 0.6 * 0.8,
				       0.9 - 0.7 * 0.8, 0.9 - 0.8 * 0.8, 0.9 - 0.9 * 0.8, 0.1, 0.1 };

	(void)state;
	for (unsigned k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		struct pol_assessment a;
		char ev[64];

		score_json("{\"function_name\":\"f\"}", k, &a);
		assert_true(same_double(factor_of(&a, "novelty"), want[k] * 0.10));
		snprintf(ev, sizeof(ev), "seen %u time(s) before", k);
		assert_string_equal(evidence_of(&a, "novelty"), ev);
		pol_assessment_release(&a);
	}
}

static void test_pol_risk_score_reference_sum_and_level(void **state)
{
	struct pol_assessment a;

	(void)state;
	/* 0.285 + 0.0 + 0.020000000000000004 + 0.0 + 0.09000000000000001 */
	score_json("{\"function_name\":\"delete_user\"}", 0, &a);
	assert_true(same_double(a.score, 0.395));
	assert_int_equal(a.level, POL_LEVEL_MEDIUM);
	assert_string_equal(a.scorer_name, "default");
	assert_int_equal(a.n_factors, 5);
	pol_assessment_release(&a);
	/* The reference's own complaint: run(cmd="rm -fr /") is LOW. */
	score_json("{\"function_name\":\"run\",\"kwargs\":{\"cmd\":\"rm -fr /\"}}", 0, &a);
	assert_int_equal(a.level, POL_LEVEL_LOW);
	pol_assessment_release(&a);
	score_json("{\"function_name\":\"drop_db\",\"args\":[\"prod\"],\"function_doc\":\"irreversible\","
		   "\"hints\":{\"a\":true,\"b\":true,\"c\":true,\"d\":true}}", 0, &a);
	assert_int_equal(a.level, POL_LEVEL_CRITICAL);
	assert_true(a.score <= 1.0);
	pol_assessment_release(&a);
}

static void test_pol_level_from_score_thresholds(void **state)
{
	(void)state;
	assert_int_equal(pol_level_from_score(0.0), POL_LEVEL_LOW);
	assert_int_equal(pol_level_from_score(nextafter(0.3, 0)), POL_LEVEL_LOW);
	assert_int_equal(pol_level_from_score(0.3), POL_LEVEL_MEDIUM);
	assert_int_equal(pol_level_from_score(nextafter(0.6, 0)), POL_LEVEL_MEDIUM);
	assert_int_equal(pol_level_from_score(0.6), POL_LEVEL_HIGH);
	assert_int_equal(pol_level_from_score(nextafter(0.8, 0)), POL_LEVEL_HIGH);
	assert_int_equal(pol_level_from_score(0.8), POL_LEVEL_CRITICAL);
	assert_int_equal(pol_level_from_score(1.0), POL_LEVEL_CRITICAL);
	assert_int_equal(pol_level_from_score(NAN), POL_LEVEL_CRITICAL);
}

static void test_pol_py_float_repr_table(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0.1, "0.1" },           { 1e-05, "1e-05" },        { 1e16, "1e+16" },
		{ 1e15, "1000000000000000.0" }, { 100.0, "100.0" },   { -0.0, "-0.0" },
		{ 0.0, "0.0" },           { 1.5e300, "1.5e+300" },   { 0.0001, "0.0001" },
		{ 0.30000000000000004, "0.30000000000000004" },     { 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" }, { 123456789.123456789, "123456789.12345679" },
		{ 2.5e-4, "0.00025" },    { -1.5, "-1.5" },          { 1e22, "1e+22" },
		{ 9007199254740993.0, "9007199254740992.0" },        { 0.020000000000000004, "0.020000000000000004" },
		{ INFINITY, "inf" },      { -INFINITY, "-inf" },     { NAN, "nan" },
	};
	char buf[48];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pol_py_float_repr(cases[i].v, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want))
			fail_msg("repr(%.17g) = '%s', want '%s'", cases[i].v, buf, cases[i].want);
	}
}

static void test_pol_py_repr_string_table(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "", "''" },
		{ "abc", "'abc'" },
		{ "it's", "\"it's\"" },
		{ "say \"hi\"", "'say \"hi\"'" },
		{ "both ' and \"", "'both \\' and \"'" },
		{ "back\\slash", "'back\\\\slash'" },
		{ "\t\n\r", "'\\t\\n\\r'" },
		{ "\x01\x1b\x7f", "'\\x01\\x1b\\x7f'" },
		{ "caf\xc3\xa9", "'caf\xc3\xa9'" },
		{ "\xc2\xa0", "'\\xa0'" },                 /* NBSP: Zs */
		{ "\xc2\xad", "'\\xad'" },                 /* soft hyphen: Cf */
		{ "\xe2\x80\x8b", "'\\u200b'" },            /* ZWSP: Cf */
		{ "\xe2\x80\xae", "'\\u202e'" },            /* RLO: Cf */
		{ "\xe3\x80\x80", "'\\u3000'" },            /* ideographic space */
		{ "\xf0\x9f\x98\x80", "'\xf0\x9f\x98\x80'" }, /* emoji: printable */
		{ "\xf3\xa0\x80\x81", "'\\U000e0001'" },    /* language tag: Cf */
		{ "\xcd\xb8", "'\\u0378'" },                /* unassigned: Cn */
		{ "a\xff" "b", "'a\\udcffb'" },              /* surrogateescape */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_text out = { 0 };

		assert_int_equal(pol_py_repr_string(cases[i].in, strlen(cases[i].in), &out), 0);
		if (strcmp(out.data, cases[i].want))
			fail_msg("repr('%s') = %s, want %s", cases[i].in, out.data, cases[i].want);
		pol_text_release(&out);
	}
}

static void test_pol_risk_args_text_stringification(void **state)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{ "{\"function_name\":\"f\",\"args\":[\"s\",1,-0,1.0,1e16,true,false,null]}",
		  "s 1 0 1.0 1e+16 True False None" },
		{ "{\"function_name\":\"f\",\"args\":[[\"a\",1,[]],{}],\"kwargs\":{\"k\":{\"x\":\"it's\"}}}",
		  "['a', 1, []] {} {'x': \"it's\"}" },
		{ "{\"function_name\":\"f\",\"args\":[123456789012345678901234567890]}",
		  "123456789012345678901234567890" },
		{ "{\"function_name\":\"f\",\"args\":[1E400,-1e400,2.50]}", "inf -inf 2.5" },
		{ "{\"function_name\":\"f\",\"kwargs\":{\"b\":\"2\",\"a\":\"1\"}}", "2 1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_action *a = NULL;
		struct pol_diag diag = { 0 };
		char *text;

		assert_int_equal(pol_action_from_json("t", cases[i].json, strlen(cases[i].json), &a, &diag), 0);
		text = pol_risk_args_text(a);
		assert_non_null(text);
		if (strcmp(text, cases[i].want))
			fail_msg("%s: '%s', want '%s'", cases[i].json, text, cases[i].want);
		free(text);
		pol_action_free(a);
	}
}

static void test_pol_risk_args_text_syscall_strings(void **state)
{
	struct pol_action *a = pol_action_new(POL_ACTION_EXEC);
	struct pol_assessment as;
	char *text;

	(void)state;
	assert_non_null(a);
	assert_int_equal(pol_action_set(&a->function_name, "rm"), 0);
	assert_int_equal(pol_strv_push(&a->args, "-rf", 3), 0);
	assert_int_equal(pol_strv_push(&a->args, "/tmp/x", 6), 0);
	text = pol_risk_args_text(a);
	assert_string_equal(text, "-rf /tmp/x");
	free(text);
	/* "rm" is not a verb; "-rf /tmp/x" alone matches no pattern. */
	assert_int_equal(pol_risk_score_reference(a, 0, &as), 0);
	assert_true(same_double(as.factors[0].contribution, 0.4 * 0.30));
	assert_true(same_double(as.factors[1].contribution, 0.05 * 0.25));
	pol_assessment_release(&as);
	pol_action_free(a);
}

static void test_pol_assessment_add_copies(void **state)
{
	struct pol_assessment a;
	char desc[] = "d", ev[] = "e";

	(void)state;
	pol_assessment_init(&a);
	for (int i = 0; i < 20; i++)
		assert_int_equal(pol_assessment_add(&a, "amplifier", 0.1 * i, desc, i % 2 ? ev : NULL), 0);
	desc[0] = 'x';
	assert_int_equal(a.n_factors, 20);
	assert_string_equal(a.factors[19].description, "d");
	assert_string_equal(a.factors[19].evidence, "e");
	assert_null(a.factors[18].evidence);
	pol_assessment_release(&a);
	assert_int_equal(a.n_factors, 0);
	pol_assessment_release(&a);
}

static void test_pol_risk_score_reference_vectors(void **state)
{
	FILE *f = fopen(data_path("reference_scores.jsonl"), "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0, failures = 0, count = 0;

	(void)state;
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		cJSON *v = cJSON_Parse(line);

		lineno++;
		if (!v) {
			print_error("line %u: not JSON\n", lineno);
			failures++;
			continue;
		}
		failures += (unsigned)check_vector(v, lineno);
		count++;
		cJSON_Delete(v);
	}
	free(line);
	fclose(f);
	print_message("%u reference vectors, %u mismatches\n", count, failures);
	assert_true(count >= 80);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pol_risk_score_reference_vectors),
		cmocka_unit_test(test_pol_risk_score_reference_function_name_rules),
		cmocka_unit_test(test_pol_risk_score_reference_argument_rules),
		cmocka_unit_test(test_pol_risk_score_reference_docstring_rules),
		cmocka_unit_test(test_pol_risk_score_reference_hint_rules),
		cmocka_unit_test(test_pol_risk_score_reference_novelty_table),
		cmocka_unit_test(test_pol_risk_score_reference_sum_and_level),
		cmocka_unit_test(test_pol_level_from_score_thresholds),
		cmocka_unit_test(test_pol_py_float_repr_table),
		cmocka_unit_test(test_pol_py_repr_string_table),
		cmocka_unit_test(test_pol_risk_args_text_stringification),
		cmocka_unit_test(test_pol_risk_args_text_syscall_strings),
		cmocka_unit_test(test_pol_assessment_add_copies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
