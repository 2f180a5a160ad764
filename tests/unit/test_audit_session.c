/*
 * Unit tests for the session entries' verification (audit_session.c,
 * audit_verify.c; docs/audit.md "Sessions"): a session without a closing
 * entry is reported as died or running by its writer's pid, start time
 * and boot id; closed sessions and logs without sessions report nothing;
 * MACs present without a key are counted, never silently passed; and the
 * deferred durability tier of the session-start entry.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "audit_fixture.h"
#include "config.h"

struct reports {
	int n, unclosed, running, other;
	uint64_t line[16];
};

static void collect_reports(void *ctx, uint64_t line, enum pol_audit_problem p, const char *detail)
{
	struct reports *rs = ctx;

	(void)detail;
	if (rs->n < 16)
		rs->line[rs->n] = line;
	rs->n++;
	if (p == POL_AUDIT_P_SESSION_UNCLOSED)
		rs->unclosed++;
	else if (p == POL_AUDIT_P_SESSION_RUNNING)
		rs->running++;
	else
		rs->other++;
}

static int verify_reports(const char *path, const unsigned char *key, size_t key_len, unsigned flags,
		  struct reports *rs, struct pol_audit_verify_result *res)
{
	memset(rs, 0, sizeof(*rs));
	return pol_audit_verify(path, key, key_len, flags, collect_reports, rs, res);
}

static void append(struct pol_audit_log *log, const char *name, const char *sid,
		   const struct pol_audit_proc_id *id)
{
	cJSON *e = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(e, "metadata");

	cJSON_AddStringToObject(e, "action_name", name);
	cJSON_AddStringToObject(e, "session_id", sid);
	if (id) {
		cJSON_AddNumberToObject(meta, "supervisor_pid", id->pid);
		cJSON_AddNumberToObject(meta, "supervisor_start_ticks", (double)id->start_ticks);
		cJSON_AddStringToObject(meta, "boot_id", id->boot_id);
	}
	assert_int_equal(pol_audit_append(log, e, POL_AUDIT_DEFERRED, NULL, 0), 0);
	cJSON_Delete(e);
}

/* The identity of a child that has exited and been reaped. */
static void dead_identity(struct pol_audit_proc_id *id)
{
	int sv[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		(void)!write(sv[1], "x", 1);
		pause();
		_exit(0);
	}
	close(sv[1]);
	assert_int_equal(read(sv[0], &c, 1), 1);
	close(sv[0]);
	assert_int_equal(pol_audit_proc_identity(pid, id), 0);
	assert_int_equal(pol_audit_proc_alive(id), 1);
	kill(pid, SIGKILL);
	/* a zombie has exited: not running, though /proc still has it */
	for (int i = 0; i < 200 && pol_audit_proc_alive(id) != 0; i++)
		usleep(5000);
	assert_int_equal(pol_audit_proc_alive(id), 0);
	waitpid(pid, NULL, 0);
	assert_int_equal(pol_audit_proc_alive(id), 0);
}

static void test_pol_audit_proc_alive_tells_identity(void **state)
{
	struct pol_audit_proc_id self, other;

	(void)state;
	assert_int_equal(pol_audit_proc_identity(0, &self), 0);
	assert_int_equal(self.pid, getpid());
	assert_int_equal(strlen(self.boot_id), POL_AUDIT_BOOT_ID_LEN);
	assert_int_equal(pol_audit_proc_alive(&self), 1);
	/* the same pid started at another time: a reused pid, not ours */
	other = self;
	other.start_ticks++;
	assert_int_equal(pol_audit_proc_alive(&other), 0);
	/* another boot (or host) */
	other = self;
	other.boot_id[0] = other.boot_id[0] == 'a' ? 'b' : 'a';
	assert_int_equal(pol_audit_proc_alive(&other), 0);
	dead_identity(&other);
}

/* The start time is field 22, not the memory size after it (field 23):
 * it does not move when the process grows, and a command name with
 * spaces and ')' does not shift the fields. scope.c and exec_chain.c
 * rely on it to tell a reused pid from the approved process. */
static void test_pol_audit_proc_start_ticks_is_field_22(void **state)
{
	uint64_t before, after, want = 0;
	bool exited = true;
	char buf[1024], *p;
	int pipefd[2], status;
	pid_t pid;
	FILE *f;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;

		prctl(PR_SET_NAME, "a) b (c) d");
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1) /* grow once the parent has looked */
			_exit(1);
		char *big = malloc(64 << 20);
		if (!big)
			_exit(1);
		memset(big, 1, 64 << 20);
		if (read(pipefd[0], &c, 1) != 0)
			_exit(1);
		_exit(big[12345] == 1 ? 0 : 1);
	}
	close(pipefd[0]);
	usleep(20000);
	assert_int_equal(pol_audit_proc_start_ticks(pid, &before, &exited), 0);
	assert_false(exited);
	/* field 22 counted by hand: after the last ')' come fields 3..52 */
	snprintf(buf, sizeof buf, "/proc/%d/stat", (int)pid);
	f = fopen(buf, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_non_null(strstr(buf, "(a) b (c) d)"));
	p = strrchr(buf, ')') + 2;
	for (int field = 3; field < 22; field++)
		p = strchr(p, ' ') + 1;
	want = strtoull(p, NULL, 10);
	assert_true(before == want);
	assert_int_equal(write(pipefd[1], "g", 1), 1);
	usleep(200000);
	assert_int_equal(pol_audit_proc_start_ticks(pid, &after, &exited), 0);
	assert_true(after == before);
	close(pipefd[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(pol_audit_proc_start_ticks(pid, &after, &exited), -ENOENT);
}

static void test_pol_audit_verify_reports_unclosed_sessions(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_proc_id self, dead;
	struct pol_audit_verify_result res;
	struct pol_audit_log *log;
	struct reports rs;

	assert_int_equal(pol_audit_proc_identity(0, &self), 0);
	dead_identity(&dead);
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	append(log, POL_AUDIT_SESSION_START, "closed", &dead);        /* line 0 */
	append(log, "exec", "closed", NULL);
	append(log, POL_AUDIT_SESSION_END, "closed", NULL);
	append(log, POL_AUDIT_SESSION_START, "died", &dead);          /* line 3 */
	append(log, POL_AUDIT_SESSION_START, "live", &self);          /* line 4 */
	append(log, "exec", "died", NULL);
	append(log, POL_AUDIT_SESSION_END, "never-started", NULL);    /* rotated away */
	pol_audit_close(log);

	assert_int_equal(verify_reports(f->log, NULL, 0, 0, &rs, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.broken, 0);
	assert_int_equal(res.sessions, 3);
	assert_int_equal(res.sessions_unclosed, 1);
	assert_int_equal(res.sessions_running, 1);
	assert_int_equal(rs.unclosed, 1);
	assert_int_equal(rs.running, 1);
	assert_int_equal(rs.other, 0);
	assert_int_equal(rs.line[0], 3);
	assert_int_equal(rs.line[1], 4);

	assert_int_equal(verify_reports(f->log, NULL, 0, POL_AUDIT_VERIFY_NO_SESSIONS, &rs, &res), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(res.sessions_unclosed, 0);
}

static void test_pol_audit_verify_closed_and_legacy_logs(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_proc_id dead;
	struct pol_audit_verify_result res;
	struct pol_audit_log *log;
	struct reports rs;

	dead_identity(&dead);
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	/* a log written before session entries: nothing to report */
	append(log, "exec", "", NULL);
	append(log, "unlink", "old", NULL);
	assert_int_equal(pol_audit_sync(log), 0);
	assert_int_equal(verify_reports(f->log, NULL, 0, 0, &rs, &res), 0);
	assert_int_equal(res.sessions, 0);
	assert_int_equal(rs.n, 0);
	/* a session started twice keeps the later start; one end closes it */
	append(log, POL_AUDIT_SESSION_START, "s", &dead);
	append(log, POL_AUDIT_SESSION_START, "s", &dead);
	append(log, POL_AUDIT_SESSION_END, "s", NULL);
	/* a start without a writer identity cannot be judged dead */
	append(log, POL_AUDIT_SESSION_START, "anon", NULL);
	pol_audit_close(log);
	assert_int_equal(verify_reports(f->log, NULL, 0, 0, &rs, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.sessions_unclosed, 0);
	assert_int_equal(res.sessions_running, 1);
}

static void test_pol_audit_verify_counts_unchecked_macs(void **state)
{
	struct fixture *f = *state;
	struct pol_audit_verify_result res;
	struct pol_audit_log *log;
	struct reports rs;
	unsigned char *key;
	size_t key_len;
	FILE *fp;

	fp = fopen(f->key, "we");
	assert_non_null(fp);
	fputs("unit-key", fp);
	fclose(fp);
	chmod(f->key, 0600);
	f->config->audit_hmac_key_file = strdup(f->key);
	assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
	for (int i = 0; i < 5; i++)
		append(log, "exec", "k", NULL);
	pol_audit_close(log);
	assert_int_equal(pol_audit_key_load(f->key, &key, &key_len, NULL), 0);
	assert_int_equal(verify_reports(f->log, key, key_len, 0, &rs, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.macs_unchecked, 0);
	/* without the key nothing is wrong with the chain, but 5 MACs went
	 * unchecked: the caller must not call that intact */
	assert_int_equal(verify_reports(f->log, NULL, 0, 0, &rs, &res), 0);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.macs_unchecked, 5);
	free(key);
}

static void test_pol_audit_deferred_is_due_within_the_window(void **state)
{
	struct fixture *f = *state;
	static const enum pol_audit_sync modes[] = { POL_SYNC_TIERED, POL_SYNC_ALWAYS };
	struct pol_audit_log *log;
	int due;

	f->config->audit_sync_window_ms = 50;
	for (size_t m = 0; m < 2; m++) {
		f->config->audit_sync = modes[m];
		assert_int_equal(pol_audit_open(f->config, f->log, &log, NULL), 0);
		append(log, POL_AUDIT_SESSION_START, "d", NULL);
		/* not synced on return, but due within the window */
		due = pol_audit_sync_due_ms(log);
		assert_true(due >= 0 && due <= 50);
		assert_int_equal(pol_audit_sync(log), 0);
		assert_int_equal(pol_audit_sync_due_ms(log), -1);
		pol_audit_close(log);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pol_audit_proc_alive_tells_identity),
		cmocka_unit_test(test_pol_audit_proc_start_ticks_is_field_22),
		cmocka_unit_test_setup_teardown(test_pol_audit_verify_reports_unclosed_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_verify_closed_and_legacy_logs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_verify_counts_unchecked_macs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pol_audit_deferred_is_due_within_the_window, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
