/*
 * Unit tests for action.c and action_json.c: lifecycle and class names,
 * the strict ActionContext JSON reader (every rejection with its exact
 * line:column and message), descriptions of generic and syscall actions
 * (including the escaping that keeps a hostile file name from repainting
 * an approver's terminal), and the JSON form.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "action.h"
#include "diag.h"
#include "pol_limits.h"

static void test_pol_action_class_name_roundtrip(void **state)
{
	static const char *const names[] = { "generic", "exec", "unlink", "rmdir", "connect", "sendto" };
	enum pol_action_class c = POL_ACTION_EXEC;

	(void)state;
	for (unsigned i = 0; i < 6; i++) {
		assert_string_equal(pol_action_class_name((enum pol_action_class)i), names[i]);
		assert_int_equal(pol_action_class_parse(names[i], &c), 0);
		assert_int_equal(c, i);
	}
	assert_string_equal(pol_action_class_name((enum pol_action_class)99), "unknown");
	c = POL_ACTION_RMDIR;
	assert_int_equal(pol_action_class_parse("Exec", &c), -EINVAL);
	assert_int_equal(pol_action_class_parse(NULL, &c), -EINVAL);
	assert_int_equal(c, POL_ACTION_RMDIR); /* untouched on failure */
}

static void test_pol_action_set_and_strv(void **state)
{
	struct pol_action *a = pol_action_new(POL_ACTION_EXEC);

	(void)state;
	assert_non_null(a);
	assert_int_equal(a->action_class, POL_ACTION_EXEC);
	assert_int_equal(pol_action_set(&a->function_name, "rm"), 0);
	assert_int_equal(pol_action_set(&a->function_name, "git"), 0);
	assert_string_equal(a->function_name, "git");
	assert_int_equal(pol_action_set(&a->function_name, NULL), 0);
	assert_null(a->function_name);
	for (int i = 0; i < 100; i++)
		assert_int_equal(pol_strv_push(&a->args, "abcdef", (size_t)(i % 7)), 0);
	assert_int_equal(a->args.count, 100);
	assert_string_equal(a->args.items[13], "abcdef");
	assert_string_equal(a->args.items[14], "");
	assert_string_equal(a->args.items[3], "abc");
	pol_action_free(a);
	pol_action_free(NULL);
}

static void test_pol_action_from_json_fields(void **state)
{
	static const char json[] = "{\n  \"function_name\": \"deploy\",\n  \"args\": [\"v1\", 2],\n"
				   "  \"kwargs\": {\"force\": true},\n  \"function_doc\": null,\n"
				   "  \"hints\": {\"production\": true},\n  \"environment\": \"production\",\n"
				   "  \"agent_id\": \"a1\",\n  \"session_id\": null\n}\n";
	struct pol_action *a = NULL;
	struct pol_diag diag = { 0 };

	(void)state;
	assert_int_equal(pol_action_from_json("ctx.json", json, strlen(json), &a, &diag), 0);
	assert_int_equal(a->action_class, POL_ACTION_GENERIC);
	assert_string_equal(a->function_name, "deploy");
	assert_int_equal(cJSON_GetArraySize(a->generic_args), 2);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(a->generic_kwargs, "force")));
	assert_null(a->function_doc);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(a->hints, "production")));
	assert_string_equal(a->environment, "production");
	assert_string_equal(a->agent_id, "a1");
	assert_null(a->session_id);
	/* The lexical form of numbers is kept for exact str(). */
	assert_string_equal(cJSON_GetArrayItem(a->generic_args, 1)->valuestring, "2");
	pol_action_free(a);
}

struct bad_json {
	const char *json;
	int rc;
	unsigned line, column;
	const char *message;
};

static void test_pol_action_from_json_errors(void **state)
{
	static const struct bad_json cases[] = {
		{ "", -EINVAL, 1, 1, "empty input: expected a JSON object" },
		{ "  \n ", -EINVAL, 2, 2, "empty input: expected a JSON object" },
		{ "[]", -EINVAL, 1, 1, "expected a JSON object, found '['" },
		{ "{}", -EINVAL, 1, 1, "missing required key 'function_name'" },
		{ "\n\n  {\"args\": []}", -EINVAL, 3, 3, "missing required key 'function_name'" },
		{ "{\"function_name\": 1}", -EINVAL, 1, 19, "'function_name' must be a string" },
		{ "{\"function_name\": \"f\",\n \"bogus\": 1}", -EINVAL, 2, 2, "unknown key 'bogus'" },
		{ "{\"function_name\": \"f\", \"function_name\": \"g\"}", -EINVAL, 1, 24,
		  "duplicate key 'function_name'" },
		{ "{\"function_name\": \"f\", \"args\": {}}", -EINVAL, 1, 32, "'args' must be an array" },
		{ "{\"function_name\": \"f\", \"kwargs\": []}", -EINVAL, 1, 34, "'kwargs' must be an object" },
		{ "{\"function_name\": \"f\", \"hints\": null}", -EINVAL, 1, 33, "'hints' must be an object" },
		{ "{\"function_name\": \"f\", \"function_doc\": 3}", -EINVAL, 1, 40,
		  "'function_doc' must be a string or null" },
		{ "{\"function_name\": \"f\", \"kwargs\": {\"a\": 1, \"a\": 2}}", -EINVAL, 1, 43, "duplicate key 'a'" },
		{ "{\"function_name\": \"f\",}", -EINVAL, 1, 23, "expected a string key, found '}'" },
		{ "{\"function_name\": \"f\", \"args\": [1,]}", -EINVAL, 1, 35, "trailing comma" },
		{ "{\"function_name\": \"f\" \"args\": []}", -EINVAL, 1, 23, "expected ',' or '}', found '\"'" },
		{ "{\"function_name\" \"f\"}", -EINVAL, 1, 18, "expected ':' after key 'function_name'" },
		{ "{\"function_name\": \"f\"} x", -EINVAL, 1, 24, "unexpected data after the context object" },
		{ "{\"function_name\": \"f", -EINVAL, 1, 19, "unterminated string" },
		{ "{\"function_name\": \"a\tb\"}", -EINVAL, 1, 21, "control character \\x09 in string" },
		{ "{\"function_name\": \"\\x\"}", -EINVAL, 1, 20, "invalid escape '\\x'" },
		{ "{\"function_name\": \"\\u12\"}", -EINVAL, 1, 20, "invalid \\u escape" },
		{ "{\"function_name\": \"\\ud800\"}", -EINVAL, 1, 20, "lone surrogate \\ud800 in string" },
		{ "{\"function_name\": \"\\udc00\"}", -EINVAL, 1, 20, "lone surrogate \\udc00 in string" },
		{ "{\"function_name\": \"\\u0000\"}", -EINVAL, 1, 20, "\\u0000 in string is not supported" },
		{ "{\"function_name\": \"\xc3\x28\"}", -EINVAL, 1, 20, "invalid UTF-8 in string" },
		{ "{\"function_name\": \"\xed\xa0\x80\"}", -EINVAL, 1, 20, "invalid UTF-8 in string" },
		{ "{\"function_name\": \"f\", \"args\": [01]}", -EINVAL, 1, 34, "leading zero in number" },
		{ "{\"function_name\": \"f\", \"args\": [1.]}", -EINVAL, 1, 35,
		  "invalid number: digit expected after '.'" },
		{ "{\"function_name\": \"f\", \"args\": [1e+]}", -EINVAL, 1, 36,
		  "invalid number: digit expected in exponent" },
		{ "{\"function_name\": \"f\", \"args\": [-]}", -EINVAL, 1, 34, "invalid number" },
		{ "{\"function_name\": \"f\", \"args\": [NaN]}", -EINVAL, 1, 33, "unexpected 'N'" },
		{ "{\"function_name\": \"f\", \"args\": [tru]}", -EINVAL, 1, 33, "unexpected 't'" },
		{ "{\"function_name\": \"f\", \"args\": [+1]}", -EINVAL, 1, 33, "unexpected '+'" },
		{ "{\"function_name\": \"f\", // c\n}", -EINVAL, 1, 24, "expected a string key, found '/'" },
		{ "\xef\xbb\xbf{\"function_name\": \"f\"}", -EINVAL, 1, 1, "expected a JSON object, found \\xef" },
		{ "{\"function_name\": \"f\", \"args\": [", -EINVAL, 1, 33, "unexpected end of input" },
		{ "{\"function_name\": \"f\", \"kwargs\": {\"a\" 1}}", -EINVAL, 1, 39, "expected ':' after key 'a'" },
		{ "{\"function_name\": \"f\", \"kwargs\": {1: 1}}", -EINVAL, 1, 35, "expected a string key, found '1'" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_action *a = NULL;
		struct pol_diag diag = { 0 };
		int rc = pol_action_from_json("ctx.json", cases[i].json, strlen(cases[i].json), &a, &diag);

		if (rc != cases[i].rc || diag.line != cases[i].line || diag.column != cases[i].column ||
		    strcmp(diag.message, cases[i].message) || strcmp(diag.file, "ctx.json"))
			fail_msg("case %zu '%s': got %d %u:%u '%s', want %d %u:%u '%s'", i, cases[i].json, rc,
				 diag.line, diag.column, diag.message, cases[i].rc, cases[i].line, cases[i].column,
				 cases[i].message);
		assert_null(a);
	}
}

static void test_pol_action_from_json_caps(void **state)
{
	size_t n = POL_CONTEXT_MAX_BYTES + 1, depth = POL_CONTEXT_MAX_DEPTH + 1;
	char *big = malloc(n + 64), *p;
	struct pol_action *a = NULL;
	struct pol_diag diag = { 0 };
	int rc;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	rc = pol_action_from_json("big", big, n, &a, &diag);
	assert_int_equal(rc, -E2BIG);
	assert_null(a);
	/* Nesting: the context object is level 1, args level 2, ... */
	p = big + snprintf(big, 64, "{\"function_name\": \"f\", \"args\": ");
	for (size_t i = 1; i < depth; i++)
		*p++ = '[';
	for (size_t i = 1; i < depth; i++)
		*p++ = ']';
	*p++ = '}';
	rc = pol_action_from_json("deep", big, (size_t)(p - big), &a, &diag);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(diag.message, "nesting deeper than 64 levels");
	assert_int_equal(diag.column, 32 + POL_CONTEXT_MAX_DEPTH - 1);
	/* One level less is fine. */
	p = big + snprintf(big, 64, "{\"function_name\": \"f\", \"args\": ");
	for (size_t i = 2; i < depth; i++)
		*p++ = '[';
	for (size_t i = 2; i < depth; i++)
		*p++ = ']';
	*p++ = '}';
	assert_int_equal(pol_action_from_json("ok", big, (size_t)(p - big), &a, &diag), 0);
	pol_action_free(a);
	a = NULL;
	/* Integer digits. */
	p = big + snprintf(big, 64, "{\"function_name\": \"f\", \"args\": [");
	memset(p, '7', POL_CONTEXT_MAX_INT_DIGITS + 1);
	p += POL_CONTEXT_MAX_INT_DIGITS + 1;
	*p++ = ']';
	*p++ = '}';
	assert_int_equal(pol_action_from_json("int", big, (size_t)(p - big), &a, &diag), -EINVAL);
	assert_string_equal(diag.message, "integer longer than 4300 digits");
	free(big);
}

static char *describe_json(const char *json)
{
	struct pol_action *a = NULL;
	struct pol_diag diag = { 0 };
	char *d;

	assert_int_equal(pol_action_from_json("t", json, strlen(json), &a, &diag), 0);
	d = pol_action_describe(a);
	pol_action_free(a);
	return d;
}

static void test_pol_action_describe_generic(void **state)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{ "{\"function_name\": \"f\"}", "f()" },
		{ "{\"function_name\": \"name\", \"args\": [\"a\", 1], \"kwargs\": {\"k\": \"v\"}}", "name('a', 1, k='v')" },
		{ "{\"function_name\": \"f\", \"args\": [\"it's\", 1.0, null, [true]], \"kwargs\": {\"d\": {\"x\": 1e-5}}}",
		  "f(\"it's\", 1.0, None, [True], d={'x': 1e-05})" },
		{ "{\"function_name\": \"f\", \"args\": [\"\\u001b[2J\"]}", "f('\\x1b[2J')" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = describe_json(cases[i].json);

		assert_non_null(d);
		assert_string_equal(d, cases[i].want);
		free(d);
	}
}

static void test_pol_action_describe_syscall(void **state)
{
	struct pol_action *a;
	char *d;

	(void)state;
	a = pol_action_new(POL_ACTION_EXEC);
	pol_action_set(&a->function_name, "rm");
	pol_strv_push(&a->args, "-rf", 3);
	pol_strv_push(&a->args, "/tmp/x", 6);
	d = pol_action_describe(a);
	assert_string_equal(d, "exec rm -rf /tmp/x");
	free(d);
	pol_strv_push(&a->args, "my dir", 6);
	pol_strv_push(&a->args, "it's", 4);
	pol_strv_push(&a->args, "", 0);
	pol_strv_push(&a->args, "\x1b[2Jok", 6);
	pol_strv_push(&a->args, "a\xe2\x80\xae" "b", 5); /* RLO */
	pol_strv_push(&a->args, "\xff", 1);
	pol_strv_push(&a->args, "caf\xc3\xa9", 5);
	a->exec_anonymous = true;
	d = pol_action_describe(a);
	assert_string_equal(d, "exec rm -rf /tmp/x 'my dir' 'it'\\''s' '' $'\\x1b[2Jok' $'a\\xe2\\x80\\xaeb' $'\\xff' "
			       "caf\xc3\xa9 (anonymous executable)");
	free(d);
	pol_action_free(a);

	a = pol_action_new(POL_ACTION_UNLINK);
	pol_action_set(&a->path, "/home/u/.env");
	d = pol_action_describe(a);
	assert_string_equal(d, "unlink /home/u/.env");
	free(d);
	a->action_class = POL_ACTION_RMDIR;
	pol_action_set(&a->path, "/tmp/a b");
	d = pol_action_describe(a);
	assert_string_equal(d, "rmdir '/tmp/a b'");
	free(d);
	pol_action_free(a);

	a = pol_action_new(POL_ACTION_CONNECT);
	pol_strv_push(&a->args, "1.2.3.4:443", 11);
	d = pol_action_describe(a);
	assert_string_equal(d, "connect 1.2.3.4:443");
	free(d);
	pol_action_set(&a->host, "api.example.com");
	a->host_verified = true;
	d = pol_action_describe(a);
	assert_string_equal(d, "connect 1.2.3.4:443 (api.example.com)");
	free(d);
	a->host_verified = false;
	a->action_class = POL_ACTION_SENDTO;
	d = pol_action_describe(a);
	assert_string_equal(d, "sendto 1.2.3.4:443 (api.example.com, unverified)");
	free(d);
	pol_action_free(a);
}

static void test_pol_action_to_json_shapes(void **state)
{
	struct pol_action *a = NULL;
	struct pol_diag diag = { 0 };
	static const char json[] = "{\"function_name\": \"f\", \"args\": [12345678901234567890, 1.5], \"hints\": {\"x\": true}}";
	cJSON *j;
	char *s;

	(void)state;
	assert_int_equal(pol_action_from_json("t", json, strlen(json), &a, &diag), 0);
	j = pol_action_to_json(a);
	assert_non_null(j);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "action_class")), "generic");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "args"), 0)->valuestring, "12345678901234567890");
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(j, "kwargs")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "function_doc")));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "environment")), "development");
	assert_null(cJSON_GetObjectItem(j, "pid"));
	cJSON_Delete(j);
	pol_action_free(a);

	a = pol_action_new(POL_ACTION_CONNECT);
	pol_action_set(&a->function_name, "connect");
	pol_strv_push(&a->args, "10.0.0.1:22", 11);
	pol_action_set(&a->address, "10.0.0.1");
	a->family = AF_INET;
	a->port = 22;
	a->pid = 42;
	pol_strv_push(&a->chain, "ssh", 3);
	j = pol_action_to_json(a);
	s = cJSON_PrintUnformatted(j);
	assert_non_null(strstr(s, "\"action_class\":\"connect\""));
	assert_non_null(strstr(s, "\"args\":[\"10.0.0.1:22\"]"));
	assert_non_null(strstr(s, "\"family\":\"inet\""));
	assert_non_null(strstr(s, "\"port\":22"));
	assert_non_null(strstr(s, "\"pid\":42"));
	assert_non_null(strstr(s, "\"chain\":[\"ssh\"]"));
	assert_non_null(strstr(s, "\"host\":null"));
	free(s);
	cJSON_Delete(j);
	pol_action_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pol_action_class_name_roundtrip),
		cmocka_unit_test(test_pol_action_set_and_strv),
		cmocka_unit_test(test_pol_action_from_json_fields),
		cmocka_unit_test(test_pol_action_from_json_errors),
		cmocka_unit_test(test_pol_action_from_json_caps),
		cmocka_unit_test(test_pol_action_describe_generic),
		cmocka_unit_test(test_pol_action_describe_syscall),
		cmocka_unit_test(test_pol_action_to_json_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
