/*
 * Unit tests for the pure part of audit shipping (audit_ship.c;
 * docs/audit.md "Shipping to PostgreSQL"): what a stored line gives its
 * database row. Lines written by the audit writer parse, with the seq,
 * ids and hashes they hold and the line itself untouched; anything that
 * is not an entry with seq, entry_id and chain_hash is refused (shipping
 * stops there rather than invent a key); only a well-formed time is
 * taken for intercepted_at.
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
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "audit_ship.h"
#include "canonjson.h"
#include "config.h"

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	       c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static int parse(const char *line, struct pol_ship_entry *e)
{
	struct pol_json_arena *arena = pol_json_arena_new();
	int r;

	assert_non_null(arena);
	r = pol_ship_parse_line(arena, line, strlen(line), e);
	pol_json_arena_free(arena);
	return r;
}

static void test_lines_written_by_the_writer_parse(void **state)
{
	char dir[] = "/tmp/test_audit_ship.XXXXXX", path[64], buf[8192];
	struct pol_config *config = NULL;
	struct pol_audit_log *log;
	struct pol_ship_entry e;
	FILE *f;
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.jsonl", dir);
	config = pol_config_new_default();
	assert_non_null(config);
	assert_int_equal(pol_audit_open(config, path, &log, NULL), 0);
	for (int i = 0; i < 3; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "action_name", "unlink");
		cJSON_AddStringToObject(o, "intercepted_at", "2026-12-07T04:09:06.122803+00:00");
		cJSON_AddStringToObject(o, "reason", "caf\xc3\xa9 \"quoted\" \\ \n");
		assert_int_equal(pol_audit_append(log, o, POL_AUDIT_DENY, NULL, 0), 0);
		cJSON_Delete(o);
	}
	pol_audit_close(log);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf) - 1;

		buf[len] = '\0';
		assert_int_equal(parse(buf, &e), 0);
		assert_int_equal(e.seq, (uint64_t)n);
		assert_ptr_equal(e.line, buf);
		assert_int_equal(e.len, len);
		assert_int_equal(strlen(e.entry_id), 32);
		assert_int_equal(strlen(e.chain_hash), 64);
		assert_string_equal(e.intercepted_at, "2026-12-07T04:09:06.122803+00:00");
		n++;
	}
	fclose(f);
	assert_int_equal(n, 3);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a.jsonl.head", dir);
	unlink(path);
	rmdir(dir);
	pol_config_free(config);
}

static void test_what_is_not_an_entry_is_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2]",
		"{}",
		/* no seq */
		"{\"entry_id\":\"ab\",\"chain_hash\":\"" H64("a") "\",\"previous_hash\":\"" H64("0") "\"}",
		/* negative, float, string seq */
		"{\"seq\":-1,\"entry_id\":\"ab\",\"chain_hash\":\"" H64("a") "\",\"previous_hash\":\"" H64("0") "\"}",
		"{\"seq\":1.5,\"entry_id\":\"ab\",\"chain_hash\":\"" H64("a") "\",\"previous_hash\":\"" H64("0") "\"}",
		"{\"seq\":\"1\",\"entry_id\":\"ab\",\"chain_hash\":\"" H64("a") "\",\"previous_hash\":\"" H64("0") "\"}",
		/* short or upper-case hash, a non-hex id */
		"{\"seq\":1,\"entry_id\":\"ab\",\"chain_hash\":\"abc\",\"previous_hash\":\"" H64("0") "\"}",
		"{\"seq\":1,\"entry_id\":\"ab\",\"chain_hash\":\"" H64("A") "\",\"previous_hash\":\"" H64("0") "\"}",
		"{\"seq\":1,\"entry_id\":\"x'; DROP\",\"chain_hash\":\"" H64("a") "\",\"previous_hash\":\"" H64("0") "\"}",
		/* no previous_hash */
		"{\"seq\":1,\"entry_id\":\"ab\",\"chain_hash\":\"" H64("a") "\"}",
	};
	struct pol_ship_entry e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &e), -EBADMSG);
}

static void test_only_a_well_formed_time_is_taken(void **state)
{
	static const struct {
		const char *at, *want;
	} cases[] = {
		{ "2026-12-07T04:09:06.122803+00:00", "2026-12-07T04:09:06.122803+00:00" },
		{ "2026-12-07T04:09:06Z", "2026-12-07T04:09:06Z" },
		{ "", "" },
		{ "yesterday", "" },
		{ "2026-12-07 04:09:06", "" },
		{ "2026-12-07T04:09:06'; --", "" },
	};
	struct pol_ship_entry e;
	char line[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "{\"seq\":7,\"entry_id\":\"0a\",\"chain_hash\":\"" H64("b")
			 "\",\"previous_hash\":\"" H64("0") "\",\"intercepted_at\":\"%s\"}", cases[i].at);
		assert_int_equal(parse(line, &e), 0);
		assert_int_equal(e.seq, 7);
		assert_string_equal(e.intercepted_at, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_written_by_the_writer_parse),
		cmocka_unit_test(test_what_is_not_an_entry_is_refused),
		cmocka_unit_test(test_only_a_well_formed_time_is_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
