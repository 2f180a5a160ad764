/*
 * Unit tests for the audit log (audit_write.c, audit_verify.c,
 * audit_entry.c): the chain, HMAC and key-file rules, torn-line repair,
 * tail-only start-up, rotation through the head file, a short write, and
 * tampering reported at the right line indexes. The sync tiers and the
 * group commit: test_audit_sync.c.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "audit_fixture.h"
#include "canonjson.h"
#include "config.h"

static bool has(const struct problems *ps, uint64_t line, enum pol_audit_problem p)
{
	for (int i = 0; i < ps->n && i < 64; i++)
		if (ps->line[i] == line && ps->what[i] == p)
			return true;
	return false;
}

static int write_log(struct fixture *f, int n)
{
	struct pol_audit_log *log;
	struct pol_diag diag = { 0 };
	int r = pol_audit_open(f->config, f->log, &log, &diag);

	if (r < 0)
		return r;
	r = append_n(log, n, POL_AUDIT_AUTO);
	pol_audit_close(log);
	return r;
}

/* Read the log's lines (each with its newline) into lines[]. */
static int read_lines(const char *path, char **lines, int max)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	assert_non_null(fp);
	while (n < max && getline(&line, &cap, fp) > 0)
		lines[n++] = strdup(line);
	free(line);
	fclose(fp);
	return n;
}

static void write_lines(const char *path, char **lines, int n)
{
	FILE *fp = fopen(path, "we");

	assert_non_null(fp);
	for (int i = 0; i < n; i++)
		if (lines[i])
			fputs(lines[i], fp);
	fclose(fp);
}

static void free_lines(char **lines, int n)
{
	for (int i = 0; i < n; i++)
		free(lines[i]);
}

static void test_pol_audit_append_chain_verifies(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct problems ps;
	struct stat st;
	char head[160], dir[160];

	assert_int_equal(write_log(f, 20), 0);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, 20);
	assert_true(res.head_checked);
	/* private files in a private directory */
	assert_int_equal(stat(f->log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(head, sizeof(head), "%s.head", f->log);
	assert_int_equal(stat(head, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(dir, sizeof(dir), "%s/sub", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* a second writer continues the same chain */
	assert_int_equal(write_log(f, 5), 0);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, 25);
}

static void test_pol_audit_append_keeps_given_entry_id(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_log *log;
	struct pol_audit_verify_result res;
	struct problems ps;
	char id[33], id2[33];
	cJSON *e;

	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "action_name", "exec");
	assert_int_equal(pol_audit_append(log, e, POL_AUDIT_DENY, id, sizeof(id)), 0);
	assert_int_equal(strlen(id), 32);
	assert_int_equal(id[12], '4'); /* uuid4 hex */
	/* an advisory shadow entry reuses it and is not a duplicate */
	cJSON_AddStringToObject(e, "entry_id", id);
	cJSON_AddTrueToObject(e, "would_deny");
	assert_int_equal(pol_audit_append(log, e, POL_AUDIT_ATTESTATION, id2, sizeof(id2)), 0);
	assert_string_equal(id, id2);
	cJSON_Delete(e);
	pol_audit_close(log);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
}

/* An entry built as pol_json, its members out of order and naming every
 * member the writer owns: the writer's values are spliced in where they
 * sort (the line is the canonical form of itself), a string entry_id is
 * kept, the defaults of an almost empty entry are filled, and the chain
 * and MACs verify. */
static void test_pol_audit_append_json_splices_owned_members(void **state)
{
	struct fixture *f = *state;
	const unsigned char *key = (const unsigned char *)"k3y-material";
	struct pol_json_arena *arena = pol_json_arena_new();
	struct pol_audit_verify_result res;
	struct pol_audit_log *log;
	struct problems ps;
	char *lines[4], id[33];
	int fd, n;

	assert_non_null(arena);
	fd = open(f->key, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_int_equal(write(fd, key, 12), 12);
	close(fd);
	f->config->audit_hmac_key_file = strdup(f->key);
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	for (int i = 0; i < 3; i++) {
		struct pol_json *e;

		pol_json_arena_reset(arena);
		e = pol_json_new(arena, POL_JSON_OBJECT);
		assert_non_null(e);
		assert_int_equal(pol_json_add(arena, e, "seq", pol_json_int(arena, 999)), 0);
		if (i < 2) {
			assert_int_equal(pol_json_add(arena, e, "zeta", pol_json_int(arena, i)), 0);
			assert_int_equal(pol_json_add(arena, e, "mac", pol_json_string_from_bytes(arena, "m", 1)), 0);
			assert_int_equal(pol_json_add(arena, e, "previous_hash",
						      pol_json_string_from_bytes(arena, "p", 1)), 0);
			assert_int_equal(pol_json_add(arena, e, "chain_hash",
						      pol_json_string_from_bytes(arena, "c", 1)), 0);
			assert_int_equal(pol_json_add(arena, e, "action_name",
						      pol_json_string_from_bytes(arena, "unlink", 6)), 0);
		}
		if (i == 1)
			assert_int_equal(pol_json_add(arena, e, "entry_id",
						      pol_json_string_from_bytes(arena, "given\x01id", 8)), 0);
		assert_int_equal(pol_audit_append_json(log, e, POL_AUDIT_DENY, id, sizeof(id)), 0);
		assert_string_equal(id, i == 1 ? "given\x01id" : id);
		assert_int_equal(strlen(id), i == 1 ? 8 : 32);
	}
	pol_audit_close(log);
	n = read_lines(f->log, lines, 4);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		struct pol_jbuf canon = { 0 };
		const struct pol_json *seq, *prev;
		struct pol_json *v;
		size_t len = strlen(lines[i]) - 1;

		pol_json_arena_reset(arena);
		assert_int_equal(pol_json_parse(arena, lines[i], len, &v, NULL), 0);
		assert_int_equal(pol_json_canon(v, NULL, &canon), 0);
		assert_int_equal(canon.len, len);
		assert_memory_equal(canon.data, lines[i], len);
		pol_jbuf_release(&canon);
		seq = pol_json_get(v, "seq");
		assert_non_null(seq);
		assert_int_equal(seq->kind, POL_JSON_INT);
		assert_int_equal(atoi(seq->text), i);
		prev = pol_json_get(v, "previous_hash");
		assert_int_equal(prev->len, 64);
		assert_non_null(pol_json_get(v, "mac"));
		assert_non_null(pol_json_get(v, "chain_hash"));
		assert_non_null(pol_json_get(v, "metadata"));
		assert_non_null(pol_json_get(v, "decided_at"));
	}
	assert_non_null(strstr(lines[0], "\"zeta\":0"));
	assert_non_null(strstr(lines[1], "\"entry_id\":\"given\\u0001id\""));
	assert_non_null(strstr(lines[2], "{\"action_description\":\"\",\"action_name\":\"\","));
	free_lines(lines, n);
	pol_json_arena_free(arena);
	assert_int_equal(verify(f->log, key, 12, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, 3);
}

/* Entry ids come from a per-thread pool of random bytes: a forked child
 * draws its own and never repeats the ids its parent writes next. */
static void test_pol_audit_append_ids_differ_after_fork(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_log *log;
	char parent_id[33], child_id[33] = "";
	cJSON *e = cJSON_CreateObject();
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	cJSON_AddStringToObject(e, "action_name", "exec");
	assert_int_equal(pol_audit_append(log, e, POL_AUDIT_DENY, parent_id, sizeof(parent_id)), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char id[33];

		close(fds[0]);
		/* the same writer state, the next id the parent will draw */
		if (pol_audit_append(log, e, POL_AUDIT_DENY, id, sizeof(id)) < 0 ||
		    write(fds[1], id, 33) != 33)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], child_id, 33), 33);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_int_equal(pol_audit_append(log, e, POL_AUDIT_DENY, parent_id, sizeof(parent_id)), 0);
	assert_string_not_equal(parent_id, child_id);
	cJSON_Delete(e);
	pol_audit_close(log);
}

static void test_pol_audit_open_repairs_torn_line(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct problems ps;
	char *lines[16];
	int fd, n;

	assert_int_equal(write_log(f, 3), 0);
	fd = open(f->log, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"action_name\":\"ex", 19), 19);
	close(fd);
	/* verify sees the torn line at index 3 */
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_true(has(&ps, 3, POL_AUDIT_P_TORN_TAIL));
	/* a writer cuts it and records the repair, then the chain is whole */
	assert_int_equal(write_log(f, 1), 0);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, 5);
	n = read_lines(f->log, lines, 16);
	assert_int_equal(n, 5);
	assert_non_null(strstr(lines[3], "\"action_name\":\"audit.repair\""));
	assert_non_null(strstr(lines[3], "\"removed_bytes\":19"));
	free_lines(lines, n);
}

static void test_pol_audit_open_reads_only_the_tail(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_log *log;
	struct timespec t0, t1;
	char *lines[4];
	int fd, n;
	double ms;

	/* a 64 GiB sparse log: reading it whole would take minutes */
	assert_int_equal(write_log(f, 1), 0);
	n = read_lines(f->log, lines, 4);
	assert_int_equal(n, 1);
	fd = open(f->log, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64ll << 30), 0);
	assert_int_equal(pwrite(fd, "\n", 1, (64ll << 30) - 1), 1);
	assert_int_equal(pwrite(fd, lines[0], strlen(lines[0]), 64ll << 30),
			 (ssize_t)strlen(lines[0]));
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 200);
	assert_int_equal(append_n(log, 1, POL_AUDIT_DENY), 0);
	pol_audit_close(log);
	free_lines(lines, n);
	assert_int_equal(truncate(f->log, 0), 0);
}

static void test_pol_audit_key_load_rejects_bad_files(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_log *log;
	struct pol_diag diag = { 0 };
	unsigned char *key;
	size_t len;
	int fd;

	assert_int_equal(pol_audit_key_load(f->key, &key, &len, &diag), -ENOENT);
	fd = open(f->key, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pol_audit_key_load(f->key, &key, &len, &diag), -ENODATA);
	assert_int_equal(write(fd, "k3y-material", 12), 12);
	close(fd);
	chmod(f->key, 0640);
	assert_int_equal(pol_audit_key_load(f->key, &key, &len, &diag), -EPERM);
	assert_non_null(strstr(diag.message, "readable only by its owner"));
	/* the writer refuses to start rather than write unMACed entries */
	f->config->audit_hmac_key_file = strdup(f->key);
	assert_int_equal(pol_audit_open(f->config, f->log, &log, &diag), -EPERM);
	chmod(f->key, 0600);
	assert_int_equal(pol_audit_key_load(f->key, &key, &len, &diag), 0);
	assert_int_equal(len, 12);
	free(key);
}

static void test_pol_audit_verify_hmac(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct problems ps;
	const unsigned char *key = (const unsigned char *)"k3y-material", *bad =
		(const unsigned char *)"other-key";
	char *lines[16], *mac;
	int fd, n;

	fd = open(f->key, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_int_equal(write(fd, key, 12), 12);
	close(fd);
	f->config->audit_hmac_key_file = strdup(f->key);
	assert_int_equal(write_log(f, 6), 0);
	assert_int_equal(verify(f->log, key, 12, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	/* the wrong key: every mac and the head are wrong */
	assert_int_equal(verify(f->log, bad, 9, 0, &ps, &res), 0);
	assert_true(has(&ps, 0, POL_AUDIT_P_BAD_MAC));
	assert_true(has(&ps, 5, POL_AUDIT_P_BAD_MAC));
	assert_true(has(&ps, UINT64_MAX, POL_AUDIT_P_HEAD_INVALID));
	/* strip the mac of entry 2: the plain chain still holds, the mac does not */
	n = read_lines(f->log, lines, 16);
	mac = strstr(lines[2], ",\"mac\":\"");
	assert_non_null(mac);
	memmove(mac, mac + 73, strlen(mac + 73) + 1);
	write_lines(f->log, lines, n);
	assert_int_equal(verify(f->log, key, 12, 0, &ps, &res), 0);
	assert_int_equal(res.broken, 1);
	assert_true(has(&ps, 2, POL_AUDIT_P_NO_MAC));
	/* without the key the stripped log is a valid plain chain */
	assert_int_equal(verify(f->log, NULL, 0, POL_AUDIT_VERIFY_NO_HEAD, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	free_lines(lines, n);
}

static void test_pol_audit_verify_tampering_indexes(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct problems ps;
	char *lines[16], *p, *tmp;
	int n;

	assert_int_equal(write_log(f, 10), 0);
	n = read_lines(f->log, lines, 16);
	assert_int_equal(n, 10);

	/* edit entry 3 */
	p = strstr(lines[3], "\"verdict\":\"approved\"");
	assert_non_null(p);
	memcpy(p + 11, "APPROVED", 8);
	write_lines(f->log, lines, n);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.broken, 1);
	assert_true(has(&ps, 3, POL_AUDIT_P_BAD_HASH));
	memcpy(p + 11, "approved", 8);

	/* delete entry 5: the entry now at index 5 does not link */
	tmp = lines[5];
	lines[5] = NULL;
	write_lines(f->log, lines, n);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.broken, 1);
	assert_true(has(&ps, 5, POL_AUDIT_P_BAD_PREVIOUS));
	assert_true(has(&ps, 5, POL_AUDIT_P_SEQ_GAP));
	lines[5] = tmp;

	/* swap entries 6 and 7 */
	tmp = lines[6];
	lines[6] = lines[7];
	lines[7] = tmp;
	write_lines(f->log, lines, n);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_true(has(&ps, 6, POL_AUDIT_P_BAD_PREVIOUS));
	assert_true(has(&ps, 7, POL_AUDIT_P_SEQ_REPEAT));
	assert_int_equal(res.broken, 3); /* 6, 7 and 8 (which followed 7) */
	lines[7] = lines[6];
	lines[6] = tmp;

	/* duplicate entry 2 after itself */
	tmp = lines[3];
	lines[3] = strdup(lines[2]);
	write_lines(f->log, lines, n);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_true(has(&ps, 3, POL_AUDIT_P_DUPLICATE_ID));
	assert_true(has(&ps, 3, POL_AUDIT_P_BAD_PREVIOUS));
	free(lines[3]);
	lines[3] = tmp;

	/* truncate the last two entries: only the head file can tell */
	write_lines(f->log, lines, n - 2);
	assert_int_equal(verify(f->log, NULL, 0, POL_AUDIT_VERIFY_NO_HEAD, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_true(has(&ps, UINT64_MAX, POL_AUDIT_P_TRUNCATED));

	/* garbage line */
	free(lines[4]);
	lines[4] = strdup("not json\n");
	write_lines(f->log, lines, n);
	assert_int_equal(verify(f->log, NULL, 0, POL_AUDIT_VERIFY_THREADS, &ps, &res), 0);
	assert_true(has(&ps, 4, POL_AUDIT_P_NOT_JSON));
	assert_true(has(&ps, 5, POL_AUDIT_P_BAD_PREVIOUS));
	free_lines(lines, n);
}

static void test_pol_audit_open_continues_after_copytruncate(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct problems ps;
	char rotated[160], *lines[16];
	int n;

	assert_int_equal(write_log(f, 5), 0);
	n = read_lines(f->log, lines, 16);
	snprintf(rotated, sizeof(rotated), "%s.1", f->log);
	write_lines(rotated, lines, n);
	assert_int_equal(truncate(f->log, 0), 0);
	/* an empty log with a head says "rotated or truncated" */
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_true(has(&ps, UINT64_MAX, POL_AUDIT_P_TRUNCATED));
	assert_int_equal(write_log(f, 3), 0);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_true(res.continuation);
	assert_int_equal(res.first_seq, 5);
	assert_int_equal(verify(rotated, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	free_lines(lines, n);
}

static void test_pol_audit_append_short_write_leaves_no_partial_line(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct problems ps;
	struct stat st;

	assert_int_equal(write_log(f, 3), 0);
	assert_int_equal(stat(f->log, &st), 0);
	expect_short_append(f, NULL, st.st_size, POL_AUDIT_DENY);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, 3);
	assert_int_equal(write_log(f, 2), 0);
	assert_int_equal(verify(f->log, NULL, 0, 0, &ps, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.entries, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pol_audit_append_chain_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_append_json_splices_owned_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_append_ids_differ_after_fork, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_append_keeps_given_entry_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_open_repairs_torn_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_open_reads_only_the_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_key_load_rejects_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_verify_hmac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_verify_tampering_indexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_open_continues_after_copytruncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_append_short_write_leaves_no_partial_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
