/*
 * What the per-thread cache's unit tests share (test_tcache_ancestor.c,
 * test_tcache_creds.c, test_tcache_parked.c): real child processes to
 * read. Included after cmocka.h and the cache's sources.
 */
#ifndef ATTESTA_TEST_TCACHE_FIXTURE_H
#define ATTESTA_TEST_TCACHE_FIXTURE_H

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

/* A child named name (with uid, if uid >= 0), waiting to be killed. */
static inline pid_t child_as(const char *name, int uid)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* a failed test leaves none */
		prctl(PR_SET_NAME, name, 0, 0, 0);
		if (uid >= 0 && setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0)
			_exit(1);
		(void)!write(p[1], "x", 1);
		for (;;)
			pause();
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);
	return pid;
}

#endif
