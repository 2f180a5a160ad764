/*
 * The fixture shared by the audit log's unit tests (test_audit.c,
 * test_audit_sync.c, test_audit_session.c): a scratch directory with the
 * log one level down (sub/, created by the first open), the default
 * config, appends of n entries of one kind, and verification that
 * collects the problems, and a short write in a child. Inline, so that a
 * file using a part of it builds without unused-function warnings.
 * Include it after cmocka.h.
 */
#ifndef ATTESTA_TEST_AUDIT_FIXTURE_H
#define ATTESTA_TEST_AUDIT_FIXTURE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"

struct fixture {
	char dir[64];
	char log[128];
	char key[128];
	struct pol_config *config;
};

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_audit.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->log, sizeof(f->log), "%s/sub/audit.jsonl", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/key", f->dir);
	f->config = pol_config_new_default();
	*state = f;
	return f->config ? 0 : -1;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "%s", f->dir);
	pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", cmd, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	pol_config_free(f->config);
	free(f);
	return 0;
}
static inline int append_n(struct pol_audit_log *log, int n, enum pol_audit_kind kind)
{
	for (int i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		int r;

		cJSON_AddStringToObject(e, "action_name", "exec");
		cJSON_AddStringToObject(e, "verdict", kind == POL_AUDIT_DENY ? "denied" : "approved");
		cJSON_AddNumberToObject(e, "risk_score", 0.25);
		cJSON_AddNumberToObject(e, "i", i);
		cJSON_AddStringToObject(e, "path", "/tmp/\xff\xfe");
		r = pol_audit_append(log, e, kind, NULL, 0);
		cJSON_Delete(e);
		if (r < 0)
			return r;
	}
	return 0;
}

struct problems {
	int n;
	uint64_t line[64];
	enum pol_audit_problem what[64];
};

static inline void collect(void *ctx, uint64_t line, enum pol_audit_problem p, const char *detail)
{
	struct problems *ps = ctx;

	(void)detail;
	if (ps->n < 64) {
		ps->line[ps->n] = line;
		ps->what[ps->n] = p;
	}
	ps->n++;
}
static inline int verify(const char *path, const unsigned char *key, size_t key_len, unsigned flags,
		  struct problems *ps, struct pol_audit_verify_result *res)
{
	memset(ps, 0, sizeof(*ps));
	return pol_audit_verify(path, key, key_len, flags, collect, ps, res);
}
/* In a child whose files may grow by 100 bytes past size, one append of
 * kind to log (or, when log is NULL, to the fixture's log opened there)
 * must fail as a short write does (ENOSPC, EFBIG). */
static inline void expect_short_append(struct fixture *f, struct pol_audit_log *log, off_t size,
				       enum pol_audit_kind kind)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { (rlim_t)size + 100, (rlim_t)size + 100 };
		int r;

		signal(SIGXFSZ, SIG_IGN);
		if (!log && pol_audit_open(f->config, f->log, &log, NULL) < 0)
			_exit(10);
		setrlimit(RLIMIT_FSIZE, &rl);
		r = append_n(log, 1, kind);
		_exit(r == -ENOSPC || r == -EFBIG ? 0 : 11);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#endif
