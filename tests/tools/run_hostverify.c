/*
 * Checks supervisor/run/hostverify.c with its real threads: a fake
 * resolver (names "fast-*" answer 127.0.0.7 at once, "slow-*" after 600 ms,
 * "stuck-*" after 2.5 s, "fail-*" fail) and the real getaddrinfo ("localhost"). Verifies the
 * bounded wait (a slow name is PENDING after ~wait_ms, then MATCH from the
 * cache once its answer arrived), MISMATCH, UNRESOLVED, bad input, and that
 * the pending cap answers BUSY without blocking. Prints "ok" and exits 0,
 * or prints the first failure and exits 1. Run by tests/integration/
 * shim_hostverify.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/run/hostverify.h"

static int fake_resolve(const char *name, struct shim_addr *out, size_t cap, size_t *ret_n,
			void *arg)
{
	(void)arg;
	if (strncmp(name, "fail-", 5) == 0)
		return -ENOENT;
	if (strncmp(name, "slow-", 5) == 0)
		usleep(600 * 1000);
	if (strncmp(name, "stuck-", 6) == 0)
		usleep(2500 * 1000);
	if (cap < 1)
		return -ENOSPC;
	memset(out, 0, sizeof(*out));
	out->family = SHIM_AF_INET;
	out->addr[0] = 127;
	out->addr[3] = 7;
	*ret_n = 1;
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000L + (t1.tv_nsec - t0->tv_nsec) / 1000000L;
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL line %d: ", __LINE__);                                        \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

int main(void)
{
	struct sup_hostverify_opts o = { .threads = 2, .wait_ms = 200, .resolve = fake_resolve,
					 .cache = { .capacity = 16, .max_pending = 3 } };
	struct sup_hostverify *hv = NULL, *real = NULL;
	struct shim_addr a7, a8, lo;
	struct timespec t0;
	long took;
	int rc;

	memset(&a7, 0, sizeof(a7));
	a7.family = SHIM_AF_INET;
	a7.addr[0] = 127;
	a7.addr[3] = 7;
	a8 = a7;
	a8.addr[3] = 8;
	lo = a7;
	lo.addr[3] = 1;

	CHECK(sup_hostverify_new(&o, &hv) == 0, "new");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sup_hostverify_check(hv, "fast-a.test", &a7);
	CHECK(rc == SUP_HOSTVERIFY_MATCH, "fast match: %d", rc);
	CHECK(ms_since(&t0) < 150, "fast name took %ld ms", ms_since(&t0));
	rc = sup_hostverify_check(hv, "fast-a.test", &a8);
	CHECK(rc == SUP_HOSTVERIFY_MISMATCH, "mismatch: %d", rc);
	rc = sup_hostverify_check(hv, "fail-a.test", &a7);
	CHECK(rc == SUP_HOSTVERIFY_UNRESOLVED, "unresolved: %d", rc);
	CHECK(sup_hostverify_check(hv, "bad name", &a7) == -EINVAL, "bad name");
	CHECK(sup_hostverify_check(hv, NULL, &a7) == -EINVAL, "NULL name");

	/* Bounded wait: the first check gives up after ~200 ms... */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sup_hostverify_check(hv, "slow-a.test", &a7);
	took = ms_since(&t0);
	CHECK(rc == SUP_HOSTVERIFY_PENDING, "slow pending: %d", rc);
	CHECK(took >= 180 && took < 450, "slow name waited %ld ms", took);
	/* ...a second check also waits at most the bound... */
	rc = sup_hostverify_check(hv, "slow-a.test", &a7);
	CHECK(rc == SUP_HOSTVERIFY_PENDING || rc == SUP_HOSTVERIFY_MATCH, "slow 2: %d", rc);
	/* ...and once the answer is in, it comes from the cache at once. */
	usleep(500 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sup_hostverify_check(hv, "slow-a.test", &a7);
	CHECK(rc == SUP_HOSTVERIFY_MATCH, "slow cached: %d", rc);
	CHECK(ms_since(&t0) < 50, "cached answer took %ld ms", ms_since(&t0));

	/* Pending cap (3): two threads busy with slow names, more queued,
	 * then BUSY without waiting. */
	sup_hostverify_check(hv, "stuck-b.test", &a7);
	sup_hostverify_check(hv, "stuck-c.test", &a7);
	sup_hostverify_check(hv, "stuck-d.test", &a7);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sup_hostverify_check(hv, "stuck-e.test", &a7);
	CHECK(rc == SUP_HOSTVERIFY_BUSY, "busy: %d", rc);
	CHECK(ms_since(&t0) < 50, "busy answer took %ld ms", ms_since(&t0));
	/* Threads still inside a resolution: free gives up after ~1 s. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sup_hostverify_free(hv);
	CHECK(ms_since(&t0) < 1500, "free took %ld ms", ms_since(&t0));

	/* The real resolver: localhost is 127.0.0.1 in every /etc/hosts. */
	CHECK(sup_hostverify_new(NULL, &real) == 0, "new real");
	rc = sup_hostverify_check(real, "localhost", &lo);
	CHECK(rc == SUP_HOSTVERIFY_MATCH, "localhost 127.0.0.1: %d", rc);
	rc = sup_hostverify_check(real, "localhost", &a8);
	CHECK(rc == SUP_HOSTVERIFY_MISMATCH, "localhost 127.0.0.8: %d", rc);
	rc = sup_hostverify_check(real, "no-such-host.invalid", &lo);
	CHECK(rc == SUP_HOSTVERIFY_UNRESOLVED || rc == SUP_HOSTVERIFY_PENDING, "invalid: %d", rc);
	sup_hostverify_free(real);
	printf("ok\n");
	return 0;
}
