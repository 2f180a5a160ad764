/*
 * libFuzzer harness for the audit chain check (pol_audit_verify and
 * pol_audit_read, policy/audit_verify.c, audit_read.c): the bytes are an
 * audit log, usually one line, that an attacker with write access to the
 * log may have edited. Each line goes through the lossless JSON reader,
 * the canonical re-serialization, the SHA-256 chain check and (second
 * pass, key "secret-key") the HMAC check; any input must be read without
 * crashing, leaking or reading out of bounds, and the counts the verifier
 * reports must be consistent. The log lives in a memfd opened by path
 * (/proc/self/fd/N), the way `attesta audit verify` opens a file.
 * Seeds: tests/fuzz/corpus/audit_verify/. Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char memfd_path[64];

static void on_problem(void *ctx, uint64_t line, enum pol_audit_problem problem,
		       const char *detail)
{
	(void)line;
	if (!pol_audit_problem_name(problem) || !detail)
		abort();
	(*(uint64_t *)ctx)++;
}

static int on_entry(void *ctx, uint64_t line, const struct pol_json *entry, const char *raw,
		    size_t raw_len)
{
	(void)line;
	(void)raw;
	(void)raw_len;
	if (!entry)
		abort();
	(*(uint64_t *)ctx)++;
	return 0;
}

static void verify_once(const unsigned char *key, size_t key_len)
{
	struct pol_audit_verify_result result = { 0 };
	uint64_t reported = 0;

	if (pol_audit_verify(memfd_path, key, key_len, POL_AUDIT_VERIFY_NO_HEAD, on_problem,
			     &reported, &result) < 0)
		return; /* ENOMEM and the like */
	if (reported != result.problems || result.entries > result.lines)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[] = "secret-key";
	uint64_t entries = 0;

	if (memfd < 0) {
		memfd = memfd_create("fuzz-audit", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) < 0 || (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	verify_once(NULL, 0);
	verify_once(key, sizeof(key) - 1);
	(void)pol_audit_read(memfd_path, on_entry, &entries);
	return 0;
}
