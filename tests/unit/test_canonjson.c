/*
 * Unit tests for canonjson.c / canonjson_write.c: the canonical writer
 * against a table of outputs of Python's json module
 * (tests/data/audit/canon.tsv, made by gen_canon.py), the reader's
 * rejections with their offsets, surrogateescape both ways, and the cJSON
 * conversion rules.
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

#include <cmocka.h>

#include "canonjson.h"

static const char *data_path(const char *name)
{
	static char path[512];
	const char *dir = getenv("ATTESTA_TEST_DATA");

	snprintf(path, sizeof(path), "%s/audit/%s", dir ? dir : "tests/data", name);
	return path;
}

static void test_pol_json_canon_python_table(void **state)
{
	FILE *f = fopen(data_path("canon.tsv"), "re");
	struct pol_json_arena *arena = pol_json_arena_new();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0, failures = 0;

	(void)state;
	assert_non_null(f);
	assert_non_null(arena);
	while ((n = getline(&line, &cap, f)) > 0) {
		char *tab = memchr(line, '\t', (size_t)n);
		struct pol_json *v = NULL;
		struct pol_jbuf out = { 0 };
		size_t expect_len;

		lineno++;
		assert_non_null(tab);
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		expect_len = (size_t)(line + n - (tab + 1));
		pol_json_arena_reset(arena);
		assert_int_equal(pol_json_parse(arena, line, (size_t)(tab - line), &v, NULL), 0);
		assert_int_equal(pol_json_canon(v, NULL, &out), 0);
		if (out.len != expect_len || memcmp(out.data, tab + 1, expect_len)) {
			fprintf(stderr, "canon.tsv:%u: got '%s' want '%s'\n", lineno, out.data, tab + 1);
			failures++;
		}
		pol_jbuf_release(&out);
	}
	assert_true(lineno > 500);
	assert_int_equal(failures, 0);
	free(line);
	fclose(f);
	pol_json_arena_free(arena);
}

static const struct {
	const char *text;
	int error;
	size_t offset;
} bad_inputs[] = {
	{ "", -EINVAL, 0 },
	{ "{", -EINVAL, 1 },
	{ "{\"a\" 1}", -EINVAL, 5 },
	{ "[1,]", -EINVAL, 3 },
	{ "01", -EINVAL, 1 },
	{ "1.", -EINVAL, 1 },
	{ "\"abc", -EINVAL, 4 },
	{ "\"a\tb\"", -EINVAL, 2 },
	{ "\"\\x\"", -EINVAL, 2 },
	{ "\"\\u12g4\"", -EINVAL, 2 },
	{ "\"\xff\"", -EINVAL, 1 },
	{ "\"\xed\xa0\x80\"", -EINVAL, 1 },   /* encoded surrogate: not UTF-8 */
	{ "\"\xc0\xaf\"", -EINVAL, 1 },       /* overlong */
	{ "nul", -EINVAL, 0 },
	{ "{} x", -EINVAL, 3 },
	{ "{\"a\":1}{", -EINVAL, 7 },
};

static void test_pol_json_parse_bad_input(void **state)
{
	struct pol_json_arena *arena = pol_json_arena_new();

	(void)state;
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		struct pol_json *v = NULL;
		size_t off = 999;
		int r = pol_json_parse(arena, bad_inputs[i].text, strlen(bad_inputs[i].text), &v, &off);

		if (r != bad_inputs[i].error || off != bad_inputs[i].offset)
			fprintf(stderr, "case %zu '%s': r=%d off=%zu\n", i, bad_inputs[i].text, r, off);
		assert_int_equal(r, bad_inputs[i].error);
		assert_int_equal(off, bad_inputs[i].offset);
	}
	pol_json_arena_free(arena);
}

static void test_pol_json_parse_too_deep(void **state)
{
	struct pol_json_arena *arena = pol_json_arena_new();
	char deep[200];
	struct pol_json *v;

	(void)state;
	memset(deep, '[', sizeof(deep));
	assert_int_equal(pol_json_parse(arena, deep, sizeof(deep), &v, NULL), -E2BIG);
	pol_json_arena_free(arena);
}

static void test_pol_json_string_from_bytes_surrogateescape(void **state)
{
	static const char path[] = "/tmp/\xff\xfe\x80name\xc3\xa9\xe2\x82";
	struct pol_json_arena *arena = pol_json_arena_new();
	struct pol_json *s = pol_json_string_from_bytes(arena, path, sizeof(path) - 1), *back;
	struct pol_jbuf out = { 0 }, bytes = { 0 };

	(void)state;
	assert_non_null(s);
	assert_int_equal(pol_json_canon(s, NULL, &out), 0);
	/* Python: json.dumps(b"...".decode("utf-8", "surrogateescape")) */
	assert_string_equal(out.data, "\"/tmp/\\udcff\\udcfe\\udc80name\\u00e9\\udce2\\udc82\"");
	/* and reading it back gives the original bytes */
	assert_int_equal(pol_json_parse(arena, out.data, out.len, &back, NULL), 0);
	assert_int_equal(pol_json_string_to_bytes(back, &bytes), 0);
	assert_int_equal(bytes.len, sizeof(path) - 1);
	assert_memory_equal(bytes.data, path, sizeof(path) - 1);
	pol_jbuf_release(&out);
	pol_jbuf_release(&bytes);
	pol_json_arena_free(arena);
}

static void test_pol_json_from_cjson_number_kinds(void **state)
{
	static const char *const float_keys[] = { "risk_score", NULL };
	struct pol_json_arena *arena = pol_json_arena_new();
	cJSON *o = cJSON_CreateObject();
	struct pol_json *v;
	struct pol_jbuf out = { 0 };

	(void)state;
	cJSON_AddNumberToObject(o, "risk_score", 1);
	cJSON_AddNumberToObject(o, "pid", 4242);
	cJSON_AddNumberToObject(o, "ratio", 0.25);
	cJSON_AddNumberToObject(o, "huge", 1e300);
	cJSON_AddRawToObject(o, "exact", "2.0");
	cJSON_AddStringToObject(o, "path", "/x/\xff");
	assert_int_equal(pol_json_from_cjson(arena, o, float_keys, &v), 0);
	assert_int_equal(pol_json_canon(v, NULL, &out), 0);
	assert_string_equal(out.data, "{\"exact\":2.0,\"huge\":1e+300,\"path\":\"/x/\\udcff\","
				      "\"pid\":4242,\"ratio\":0.25,\"risk_score\":1.0}");
	cJSON_AddRawToObject(o, "bad", "{");
	assert_int_equal(pol_json_from_cjson(arena, o, float_keys, &v), -EINVAL);
	pol_jbuf_release(&out);
	cJSON_Delete(o);
	pol_json_arena_free(arena);
}

static void test_pol_json_canon_skip_keys_top_level_only(void **state)
{
	static const char *const skip[] = { "chain_hash", "mac", NULL };
	static const char text[] = "{\"mac\":1,\"a\":{\"mac\":2},\"chain_hash\":\"x\"}";
	struct pol_json_arena *arena = pol_json_arena_new();
	struct pol_json *v;
	struct pol_jbuf out = { 0 };

	(void)state;
	assert_int_equal(pol_json_parse(arena, text, sizeof(text) - 1, &v, NULL), 0);
	assert_int_equal(pol_json_canon(v, skip, &out), 0);
	assert_string_equal(out.data, "{\"a\":{\"mac\":2}}");
	pol_jbuf_release(&out);
	pol_json_arena_free(arena);
}

/* pol_json_float() keeps the shortest repr as the node's text (and a
 * per-thread memo of recent values): written alone, twice, and beside
 * strings that take the plain fast path, the output is Python's. */
static void test_pol_json_float_repr_kept_and_memoized(void **state)
{
	static const struct { double v; const char *want; } table[] = {
		{ 0.020000000000000004, "0.020000000000000004" },
		{ -0.012500000000000039, "-0.012500000000000039" },
		{ 0.1, "0.1" },
		{ 0.12, "0.12" },
		{ 1e16, "1e+16" },
		{ 123.0, "123.0" },
		{ 5e-324, "5e-324" },
		{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ 1.0 / 3.0, "0.3333333333333333" },
	};
	(void)state;

	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
			struct pol_json_arena *arena = pol_json_arena_new();
			struct pol_jbuf out = { 0 };
			struct pol_json *v;

			assert_non_null(arena);
			v = pol_json_float(arena, table[i].v);
			assert_non_null(v);
			assert_int_equal(pol_json_canon(v, NULL, &out), 0);
			assert_string_equal(out.data, table[i].want);
			pol_jbuf_release(&out);
			pol_json_arena_free(arena);
		}
	}
	{
		struct pol_json_arena *arena = pol_json_arena_new();
		struct pol_jbuf out = { 0 };
		struct pol_json *o = pol_json_new(arena, POL_JSON_OBJECT);

		assert_int_equal(pol_json_add(arena, o, "b", pol_json_string_from_bytes(arena, "plain text", 10)), 0);
		assert_int_equal(pol_json_add(arena, o, "a", pol_json_string_from_bytes(arena, "q\"\x01\xff", 4)), 0);
		assert_int_equal(pol_json_canon(o, NULL, &out), 0);
		assert_string_equal(out.data, "{\"a\":\"q\\\"\\u0001\\udcff\",\"b\":\"plain text\"}");
		pol_jbuf_release(&out);
		pol_json_arena_free(arena);
	}
}


/* Marks: where absent members would go, with the separator rule. */
static void check_marks(const char *json, const char *const *keys, const size_t *offsets,
			const bool *after, const bool *before)
{
	struct pol_json_arena *arena = pol_json_arena_new();
	struct pol_json *v = NULL;
	struct pol_json_mark marks[4];
	struct pol_jbuf out = { 0 };

	assert_int_equal(pol_json_parse(arena, json, strlen(json), &v, NULL), 0);
	assert_int_equal(pol_json_canon_marked(v, NULL, keys, marks, &out), 0);
	assert_string_equal(out.data, json);
	for (size_t i = 0; keys[i]; i++) {
		assert_int_equal(marks[i].offset, offsets[i]);
		assert_int_equal(marks[i].after_member, after[i]);
		assert_int_equal(marks[i].before_member, before[i]);
	}
	pol_jbuf_release(&out);
	pol_json_arena_free(arena);
}

static void test_pol_json_canon_marked_places(void **state)
{
	static const char *const keys[] = { "a", "c", "e", NULL };
	static const char *const prefix[] = { "b", "bb", NULL };
	static const char *const one[] = { "a", NULL };

	(void)state;
	/* before the first member, between, after the last */
	check_marks("{\"b\":1,\"d\":[2,{\"a\":0}]}", keys, (const size_t[]){ 1, 6, 22 },
		    (const bool[]){ false, true, true }, (const bool[]){ true, true, false });
	/* a key that is a prefix sorts first: "b" < "ba" < "bb" */
	check_marks("{\"ba\":null}", prefix, (const size_t[]){ 1, 10 },
		    (const bool[]){ false, true }, (const bool[]){ true, false });
	/* empty object */
	check_marks("{}", one, (const size_t[]){ 1 }, (const bool[]){ false },
		    (const bool[]){ false });
}

/* Members added in key order are written without a sort: the same bytes
 * and marks as the same members in another order (duplicates: the last
 * wins); integers are formatted as %lld; a borrowed plain string points at
 * the caller's bytes, any other is decoded as from_bytes does. */
static void test_pol_json_canon_sorted_fast_path_same_bytes(void **state)
{
	static const char *const keys[] = { "b", "d", "zz", NULL };
	static const long long ints[] = { 0, -1, 7, 1234567890123LL, -9223372036854775807LL - 1,
					  9223372036854775807LL };
	struct pol_json_arena *arena = pol_json_arena_new();
	struct pol_json_mark m1[3], m2[3];
	struct pol_jbuf a = { 0 }, b = { 0 };
	struct pol_json *sorted, *shuffled, *v;
	const char *plain = "plain/path", *raw = "caf\xc3\xa9 \xff";
	char buf[24], want[32];

	(void)state;
	sorted = pol_json_new(arena, POL_JSON_OBJECT);
	shuffled = pol_json_new(arena, POL_JSON_OBJECT);
	assert_int_equal(pol_json_add(arena, sorted, "a", pol_json_int(arena, 1)), 0);
	assert_int_equal(pol_json_add(arena, sorted, "c", pol_json_string_borrow(arena, plain, 10)), 0);
	assert_int_equal(pol_json_add(arena, sorted, "e", pol_json_string_borrow(arena, raw, 7)), 0);
	assert_int_equal(pol_json_add(arena, shuffled, "e", pol_json_int(arena, 5)), 0);
	assert_int_equal(pol_json_add(arena, shuffled, "c", pol_json_string_borrow(arena, plain, 10)), 0);
	assert_int_equal(pol_json_add(arena, shuffled, "a", pol_json_int(arena, 1)), 0);
	assert_int_equal(pol_json_add(arena, shuffled, "e", pol_json_string_from_bytes(arena, raw, 7)), 0);
	assert_int_equal(pol_json_canon_marked(sorted, NULL, keys, m1, &a), 0);
	assert_int_equal(pol_json_canon_marked(shuffled, NULL, keys, m2, &b), 0);
	assert_string_equal(a.data, "{\"a\":1,\"c\":\"plain/path\",\"e\":\"caf\\u00e9 \\udcff\"}");
	assert_string_equal(a.data, b.data);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(m1[i].offset, m2[i].offset);
		assert_int_equal(m1[i].after_member, m2[i].after_member);
		assert_int_equal(m1[i].before_member, m2[i].before_member);
	}
	/* borrowed: the same bytes, not a copy */
	v = pol_json_string_borrow(arena, plain, 10);
	assert_ptr_equal(v->text, plain);
	assert_true(v->plain);
	v = pol_json_string_borrow(arena, raw, 7);
	assert_ptr_not_equal(v->text, raw);
	/* every byte at every place of a word and of the tail: plain exactly
	 * when it is 0x20-0x7E and not '"' or '\\' */
	for (unsigned c = 0; c < 256; c++) {
		for (size_t at = 0; at < 43; at++) {
			char s[43];
			bool want_plain = c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';

			memset(s, 'a', sizeof(s));
			s[at] = (char)c;
			v = pol_json_string_borrow(arena, s, sizeof(s));
			assert_non_null(v);
			assert_int_equal(v->text == s, want_plain);
			if (!want_plain)
				assert_false(v->plain && c < 0x80 && c != 0x7F && v->len == sizeof(s) &&
					     c >= 0x20);
		}
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		snprintf(want, sizeof(want), "%lld", ints[i]);
		assert_int_equal(pol_json_format_int(ints[i], buf), strlen(want));
		assert_string_equal(buf, want);
	}
	pol_jbuf_release(&a);
	pol_jbuf_release(&b);
	pol_json_arena_free(arena);
}

static void test_pol_json_canon_marked_not_object(void **state)
{
	static const char *const one[] = { "a", NULL };
	struct pol_json_arena *arena = pol_json_arena_new();
	struct pol_json *v = pol_json_int(arena, 3);
	struct pol_json_mark m[1];
	struct pol_jbuf out = { 0 };

	(void)state;
	assert_int_equal(pol_json_canon_marked(v, NULL, one, m, &out), -EINVAL);
	pol_jbuf_release(&out);
	pol_json_arena_free(arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pol_json_canon_python_table),
		cmocka_unit_test(test_pol_json_float_repr_kept_and_memoized),
		cmocka_unit_test(test_pol_json_parse_bad_input),
		cmocka_unit_test(test_pol_json_parse_too_deep),
		cmocka_unit_test(test_pol_json_string_from_bytes_surrogateescape),
		cmocka_unit_test(test_pol_json_from_cjson_number_kinds),
		cmocka_unit_test(test_pol_json_canon_skip_keys_top_level_only),
		cmocka_unit_test(test_pol_json_canon_marked_places),
		cmocka_unit_test(test_pol_json_canon_marked_not_object),
		cmocka_unit_test(test_pol_json_canon_sorted_fast_path_same_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
