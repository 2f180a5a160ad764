/*
 * Shared helpers for the adversarial programs (the .c files here).
 * These programs play the agent trying to get past attesta-run: they make
 * raw system calls (never the libc wrappers the shim hooks), print one
 * "RESULT <what> rc=<n> errno=<n> (<text>)" line per attempt for the test
 * scripts to read, and exit with a code that says how the attempt ended:
 *
 *   0  the call succeeded (the escape worked, or an allowed control call)
 *   1  it failed with EPERM/EACCES (denied, the expected outcome)
 *   2  it failed with another errno
 *   3  usage or setup error (the test could not be made)
 *
 * Header-only (static functions) so each program stays one file.
 */
#ifndef ATTESTA_ADV_H
#define ATTESTA_ADV_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { ADV_OK = 0, ADV_DENIED = 1, ADV_OTHER = 2, ADV_SETUP = 3 };

static inline int adv_code(long rc, int err)
{
	if (rc >= 0)
		return ADV_OK;
	return err == EPERM || err == EACCES ? ADV_DENIED : ADV_OTHER;
}

/* One line per attempt, unbuffered so a kill right after still leaves it. */
static inline int adv_result(const char *what, long rc, int err)
{
	char line[512];
	int n = snprintf(line, sizeof line, "RESULT %s rc=%ld errno=%d (%s)\n", what, rc,
			 rc < 0 ? err : 0, rc < 0 ? strerror(err) : "ok");
	if (n > 0)
		(void)!write(STDOUT_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	return adv_code(rc, err);
}

static inline void adv_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void adv_say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(STDOUT_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static inline __attribute__((noreturn)) void adv_die(const char *what)
{
	adv_say("SETUP %s: %s\n", what, strerror(errno));
	_exit(ADV_SETUP);
}

/* Raw wrappers: errno-style like syscall(2), never through the shim. */
static inline long adv_unlink(const char *p) { return syscall(SYS_unlink, p); }
static inline long adv_unlinkat(long dfd, const char *p, long flags)
{
	return syscall(SYS_unlinkat, dfd, p, flags);
}

static inline double adv_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Attempt budget for the races: ADV_ATTEMPTS (default 20000) and
 * ADV_SECONDS (default 60), whichever ends first. */
static inline long adv_env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	long n = strtol(v, &end, 10);
	return *end || n <= 0 ? dflt : n;
}

#endif
