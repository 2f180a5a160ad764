/*
 * The identity check of a removal the supervisor makes itself
 * (supervisor/run/state_protect.h: sup_state_refuses_at; emulate.c;
 * docs/SECURITY.md row 21): one lookup of the name, not followed, against
 * the gate's state paths (statepaths.h). Attacks that a check by name
 * does not see: a hard link to the audit log under another name, the
 * directory above the log named from its parent, a symlink to the log
 * (the link itself is removed, not the log: not refused), a name that no
 * longer exists (the kernel answers). The protected-directory half needs
 * the sandbox's plan; state_files.sh attacks it through the gate.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/run/state_protect.h"
#include "supervisor/run/statepaths.h"

static char dir[] = "/tmp/attesta-refuses.XXXXXX";
static char sub[sizeof(dir) + 16], logp[sizeof(sub) + 16];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(sub, sizeof(sub), "%s/state", dir);
	snprintf(logp, sizeof(logp), "%s/audit.jsonl", sub);
	if (mkdir(sub, 0700) < 0)
		return -1;
	int fd = open(logp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return sup_state_paths_add(logp, "audit log") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[sizeof(dir) + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_sup_state_refuses_by_identity(void **state)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int sfd = open(sub, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char p[sizeof(dir) + 32];
	int fd;

	(void)state;
	assert_true(dfd >= 0 && sfd >= 0);
	/* the log by its own name, and by a hard link the decision's check
	 * by name did not know */
	assert_true(sup_state_refuses_at(sfd, "audit.jsonl", false));
	snprintf(p, sizeof(p), "%s/innocent", dir);
	assert_int_equal(link(logp, p), 0);
	assert_true(sup_state_refuses_at(dfd, "innocent", false));
	/* the directory above the log */
	assert_true(sup_state_refuses_at(dfd, "state", false));
	/* a symlink to the log is the link's own inode: removing it leaves
	 * the log in place */
	snprintf(p, sizeof(p), "%s/pointer", dir);
	assert_int_equal(symlink(logp, p), 0);
	assert_false(sup_state_refuses_at(dfd, "pointer", false));
	/* an ordinary file, and a name that does not exist */
	snprintf(p, sizeof(p), "%s/plain", dir);
	assert_true((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0);
	close(fd);
	assert_false(sup_state_refuses_at(dfd, "plain", false));
	assert_false(sup_state_refuses_at(dfd, "missing", false));
	/* the hard link keeps refusing after the log's own name is gone */
	assert_int_equal(unlink(logp), 0);
	assert_true(sup_state_refuses_at(dfd, "innocent", false));
	close(dfd);
	close(sfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_state_refuses_by_identity),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
