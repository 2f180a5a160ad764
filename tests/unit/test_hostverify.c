/*
 * Unit tests for supervisor/common/hostcache.c, the pure part of the
 * supervisor's host name verification: matching (case, IPv4-mapped
 * addresses, ports ignored), fixed TTLs for answers and failures, the
 * queue a resolver thread drains, the cap on pending names an agent can
 * cause, eviction, and rejection of names the shim protocol forbids.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor/common/hostcache.h"

static struct shim_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct shim_addr x;

	memset(&x, 0, sizeof(x));
	x.family = SHIM_AF_INET;
	x.addr[0] = a;
	x.addr[1] = b;
	x.addr[2] = c;
	x.addr[3] = d;
	return x;
}

static struct shim_addr v6_mapped(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct shim_addr x;

	memset(&x, 0, sizeof(x));
	x.family = SHIM_AF_INET6;
	x.addr[10] = 0xff;
	x.addr[11] = 0xff;
	x.addr[12] = a;
	x.addr[13] = b;
	x.addr[14] = c;
	x.addr[15] = d;
	return x;
}

static struct shim_addr v6_loopback(void)
{
	struct shim_addr x;

	memset(&x, 0, sizeof(x));
	x.family = SHIM_AF_INET6;
	x.addr[15] = 1;
	return x;
}

static struct sup_hostcache *new_cache(uint32_t cap, uint32_t pending)
{
	struct sup_hostcache_opts o = { .capacity = cap, .ttl_ms = 60000, .negative_ttl_ms = 10000,
					.max_pending = pending };
	struct sup_hostcache *c = NULL;

	assert_int_equal(sup_hostcache_new(&o, &c), 0);
	assert_non_null(c);
	return c;
}

static void test_sup_hostcache_check_match_and_mismatch(void **state)
{
	struct sup_hostcache *c = new_cache(8, 2);
	struct shim_addr answer[2] = { v4(127, 0, 0, 7), v6_loopback() };
	struct shim_addr a = v4(127, 0, 0, 7), b = v4(127, 0, 0, 8), l6 = v6_loopback();

	(void)state;
	assert_int_equal(sup_hostcache_check(c, "api.test", &a, 1000), -ENOENT);
	assert_int_equal(sup_hostcache_store(c, "api.test", answer, 2, 0, 1000), 0);
	assert_int_equal(sup_hostcache_check(c, "api.test", &a, 1001), SUP_HOST_MATCH);
	assert_int_equal(sup_hostcache_check(c, "api.test", &l6, 1001), SUP_HOST_MATCH);
	assert_int_equal(sup_hostcache_check(c, "api.test", &b, 1001), SUP_HOST_MISMATCH);
	/* Another name never matches through this one's answer. */
	assert_int_equal(sup_hostcache_check(c, "other.test", &a, 1001), -ENOENT);
	sup_hostcache_free(c);
}

static void test_sup_hostcache_check_case_port_and_mapped(void **state)
{
	struct sup_hostcache *c = new_cache(8, 2);
	struct shim_addr answer = v4(127, 1, 2, 3);
	struct shim_addr with_port = v4(127, 1, 2, 3), mapped = v6_mapped(127, 1, 2, 3);

	(void)state;
	with_port.port = 0xbb01; /* 443, network order: ports never matter */
	assert_int_equal(sup_hostcache_store(c, "Mixed.Case.TEST", &answer, 1, 0, 5), 0);
	assert_int_equal(sup_hostcache_check(c, "mixed.case.test", &with_port, 6), SUP_HOST_MATCH);
	assert_int_equal(sup_hostcache_check(c, "MIXED.case.test", &mapped, 6), SUP_HOST_MATCH);
	sup_hostcache_free(c);
}

static void test_sup_hostcache_check_ttl(void **state)
{
	struct sup_hostcache *c = new_cache(8, 2);
	struct shim_addr a = v4(127, 0, 0, 9);

	(void)state;
	assert_int_equal(sup_hostcache_store(c, "ttl.test", &a, 1, 0, 1000), 0);
	assert_int_equal(sup_hostcache_check(c, "ttl.test", &a, 1000 + 59999), SUP_HOST_MATCH);
	assert_int_equal(sup_hostcache_check(c, "ttl.test", &a, 1000 + 60000), -ENOENT);
	/* Failures are kept for the shorter negative TTL. */
	assert_int_equal(sup_hostcache_store(c, "nx.test", NULL, 0, 1, 2000), 0);
	assert_int_equal(sup_hostcache_check(c, "nx.test", &a, 2000 + 9999), SUP_HOST_UNRESOLVED);
	assert_int_equal(sup_hostcache_check(c, "nx.test", &a, 2000 + 10000), -ENOENT);
	sup_hostcache_free(c);
}

static void test_sup_hostcache_request_queue_order(void **state)
{
	struct sup_hostcache *c = new_cache(8, 3);
	struct shim_addr a = v4(127, 0, 0, 1);
	char name[POL_SHIM_MAX_HOST + 1];

	(void)state;
	assert_int_equal(sup_hostcache_next(c, name, sizeof(name)), -ENOENT);
	assert_int_equal(sup_hostcache_request(c, "first.test", 10), 0);
	assert_int_equal(sup_hostcache_request(c, "second.test", 11), 0);
	assert_int_equal(sup_hostcache_request(c, "FIRST.test", 12), -EALREADY);
	assert_int_equal(sup_hostcache_check(c, "first.test", &a, 12), -EINPROGRESS);
	assert_int_equal(sup_hostcache_next(c, name, 5), -ENOSPC);
	assert_int_equal(sup_hostcache_next(c, name, sizeof(name)), 0);
	assert_string_equal(name, "first.test");
	/* Running names are still pending for checkers and requesters. */
	assert_int_equal(sup_hostcache_check(c, "first.test", &a, 13), -EINPROGRESS);
	assert_int_equal(sup_hostcache_request(c, "first.test", 13), -EALREADY);
	assert_int_equal(sup_hostcache_next(c, name, sizeof(name)), 0);
	assert_string_equal(name, "second.test");
	assert_int_equal(sup_hostcache_next(c, name, sizeof(name)), -ENOENT);
	assert_int_equal(sup_hostcache_store(c, "first.test", &a, 1, 0, 14), 0);
	assert_int_equal(sup_hostcache_check(c, "first.test", &a, 14), SUP_HOST_MATCH);
	/* Fresh: no new resolution; expired: queued again. */
	assert_int_equal(sup_hostcache_request(c, "first.test", 15), -EALREADY);
	assert_int_equal(sup_hostcache_request(c, "first.test", 14 + 60000), 0);
	sup_hostcache_free(c);
}

static void test_sup_hostcache_request_pending_cap(void **state)
{
	struct sup_hostcache *c = new_cache(16, 2);
	struct sup_hostcache_stats st;

	(void)state;
	assert_int_equal(sup_hostcache_request(c, "a.test", 1), 0);
	assert_int_equal(sup_hostcache_request(c, "b.test", 1), 0);
	assert_int_equal(sup_hostcache_request(c, "c.test", 1), -EBUSY);
	sup_hostcache_stats(c, &st);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.busy, 1);
	/* An answer frees a pending place. */
	assert_int_equal(sup_hostcache_store(c, "a.test", NULL, 0, 1, 2), 0);
	assert_int_equal(sup_hostcache_request(c, "c.test", 2), 0);
	sup_hostcache_free(c);
}

static void test_sup_hostcache_store_evicts_lru_not_pending(void **state)
{
	struct sup_hostcache *c = new_cache(3, 1);
	struct shim_addr a = v4(127, 0, 0, 1);
	struct sup_hostcache_stats st;

	(void)state;
	assert_int_equal(sup_hostcache_request(c, "pending.test", 1), 0);
	assert_int_equal(sup_hostcache_store(c, "old.test", &a, 1, 0, 2), 0);
	assert_int_equal(sup_hostcache_store(c, "new.test", &a, 1, 0, 3), 0);
	assert_int_equal(sup_hostcache_check(c, "old.test", &a, 4), SUP_HOST_MATCH); /* used at 4 */
	assert_int_equal(sup_hostcache_store(c, "third.test", &a, 1, 0, 5), 0);
	/* new.test was the least recently used answered entry. */
	assert_int_equal(sup_hostcache_check(c, "new.test", &a, 6), -ENOENT);
	assert_int_equal(sup_hostcache_check(c, "old.test", &a, 6), SUP_HOST_MATCH);
	assert_int_equal(sup_hostcache_check(c, "pending.test", &a, 6), -EINPROGRESS);
	sup_hostcache_stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 1);
	sup_hostcache_free(c);
}

static void test_sup_hostcache_store_truncates_and_dedups(void **state)
{
	struct sup_hostcache *c = new_cache(4, 1);
	struct shim_addr many[SUP_HOSTCACHE_MAX_ADDRS + 4];
	struct shim_addr last = v4(10, 0, 0, SUP_HOSTCACHE_MAX_ADDRS + 2);
	struct shim_addr first = v4(10, 0, 0, 0);

	(void)state;
	for (unsigned i = 0; i < SUP_HOSTCACHE_MAX_ADDRS + 4; i++)
		many[i] = v4(10, 0, 0, (uint8_t)(i < 2 ? 0 : i)); /* two duplicates first */
	assert_int_equal(sup_hostcache_store(c, "big.test", many, SUP_HOSTCACHE_MAX_ADDRS + 4, 0, 1), 0);
	assert_int_equal(sup_hostcache_check(c, "big.test", &first, 2), SUP_HOST_MATCH);
	/* Beyond the cap: not contained, i.e. unverified (fails safe). */
	assert_int_equal(sup_hostcache_check(c, "big.test", &last, 2), SUP_HOST_MISMATCH);
	sup_hostcache_free(c);
}

static void test_sup_hostcache_check_bad_input(void **state)
{
	struct sup_hostcache *c = new_cache(4, 1);
	struct shim_addr a = v4(127, 0, 0, 1), bad = a;
	char longname[POL_SHIM_MAX_HOST + 2];

	(void)state;
	bad.family = 1;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sup_hostcache_check(c, "", &a, 1), -EINVAL);
	assert_int_equal(sup_hostcache_check(c, "bad name", &a, 1), -EINVAL);
	assert_int_equal(sup_hostcache_check(c, "x/y", &a, 1), -EINVAL);
	assert_int_equal(sup_hostcache_check(c, longname, &a, 1), -EINVAL);
	assert_int_equal(sup_hostcache_check(c, "ok.test", &bad, 1), -EINVAL);
	assert_int_equal(sup_hostcache_check(c, NULL, &a, 1), -EINVAL);
	assert_int_equal(sup_hostcache_request(c, "a;b", 1), -EINVAL);
	assert_int_equal(sup_hostcache_store(c, "a b", &a, 1, 0, 1), -EINVAL);
	longname[POL_SHIM_MAX_HOST] = '\0';
	assert_int_equal(sup_hostcache_check(c, longname, &a, 1), -ENOENT);
	sup_hostcache_free(c);
}

static void test_sup_hostcache_new_bad_opts(void **state)
{
	struct sup_hostcache_opts o = { .capacity = 4097 };
	struct sup_hostcache *c = NULL;

	(void)state;
	assert_int_equal(sup_hostcache_new(&o, &c), -EINVAL);
	o.capacity = 4;
	o.max_pending = 4;
	assert_int_equal(sup_hostcache_new(&o, &c), -EINVAL);
	assert_null(c);
	assert_int_equal(sup_hostcache_new(NULL, NULL), -EINVAL);
	assert_int_equal(sup_hostcache_new(NULL, &c), 0);
	sup_hostcache_free(c);
	sup_hostcache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_hostcache_check_match_and_mismatch),
		cmocka_unit_test(test_sup_hostcache_check_case_port_and_mapped),
		cmocka_unit_test(test_sup_hostcache_check_ttl),
		cmocka_unit_test(test_sup_hostcache_request_queue_order),
		cmocka_unit_test(test_sup_hostcache_request_pending_cap),
		cmocka_unit_test(test_sup_hostcache_store_evicts_lru_not_pending),
		cmocka_unit_test(test_sup_hostcache_store_truncates_and_dedups),
		cmocka_unit_test(test_sup_hostcache_check_bad_input),
		cmocka_unit_test(test_sup_hostcache_new_bad_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
