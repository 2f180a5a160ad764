/*
 * Verification of a host name the shim claims for a connect (docs/SECURITY.md,
 * issue 7): the supervisor resolves the name itself, with getaddrinfo on
 * its own resolver threads (never on the event loop thread), caches the
 * answer (supervisor/common/hostcache.h: fixed TTL 60 s for answers, 10 s
 * for failures, because glibc does not expose DNS TTLs; at most 256
 * names), and answers "does that resolution contain the connected
 * address". Only a match may lower risk or match an allow rule; anything
 * else is shown and audited as host_verified: false.
 *
 * Bounded wait: a name that is not cached yet is queued and the caller
 * waits at most wait_ms (default 200 ms) for the first resolution; after
 * that the call is decided as unverified (the answer is still cached for
 * the next connect). A local name (/etc/hosts) resolves in well under a
 * millisecond; a DNS name that takes longer than the bound is shown as
 * unverified rather than delaying every other held call.
 *
 * SECURITY: the agent chooses the names. Names are resolved only on
 * demand, when a gated connect is being decided and the shim named that
 * connect's address (never on a mere RESOLVE message), so every lookup the
 * supervisor makes is tied to an audited connect: the agent cannot use the
 * supervisor as an unaudited DNS channel. At most 32 names wait for a
 * resolver at once.
 *
 * Thread-safety: sup_hostverify_check may be called from any thread with
 * the loop's signals blocked; the object owns its resolver threads.
 */
#ifndef ATTESTA_SUP_HOSTVERIFY_H
#define ATTESTA_SUP_HOSTVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "supervisor/common/hostcache.h"

/* A resolver: fill out[cap] with the addresses of name, set *ret_n.
 * 0, or a negative value for a failed resolution. The default is
 * getaddrinfo(name, NULL, {AF_UNSPEC}). Tests may replace it. */
typedef int (*sup_hostverify_resolve_fn)(const char *name, struct shim_addr *out, size_t cap,
					  size_t *ret_n, void *arg);

struct sup_hostverify_opts {
	unsigned threads;  /* resolver threads, default 2, max 8 */
	uint32_t wait_ms;  /* bound on the wait for a first resolution, default 200 */
	struct sup_hostcache_opts cache;
	sup_hostverify_resolve_fn resolve; /* NULL: getaddrinfo */
	void *resolve_arg;
};

/* Results of sup_hostverify_check. Only SUP_HOSTVERIFY_MATCH means
 * "verified". */
enum sup_hostverify_result {
	SUP_HOSTVERIFY_MATCH = SUP_HOST_MATCH,
	SUP_HOSTVERIFY_MISMATCH = SUP_HOST_MISMATCH,     /* a lie, or DNS changed */
	SUP_HOSTVERIFY_UNRESOLVED = SUP_HOST_UNRESOLVED, /* our resolution failed */
	SUP_HOSTVERIFY_PENDING = 4,                      /* not resolved within wait_ms */
	SUP_HOSTVERIFY_BUSY = 5,                         /* too many names pending */
};

struct sup_hostverify;

/* Create the verifier; its resolver threads start with the first name
 * queued (from the thread that queues it, which must have the loop's
 * signals blocked). opts may be NULL. -EINVAL or -ENOMEM (a failed
 * pthread_create is returned by sup_hostverify_check). Thread-safety as
 * above. sup_hostverify_free(NULL) is a no-op. */
int sup_hostverify_new(const struct sup_hostverify_opts *opts, struct sup_hostverify **ret_hv);

/* Stop the threads and free. A thread stuck in a slow resolution for more
 * than a second is detached and the object intentionally leaked (the
 * process is about to exit; freeing would be a use-after-free). */
void sup_hostverify_free(struct sup_hostverify *hv);

/* Is addr (port ignored) in the supervisor's resolution of name? Blocks
 * at most wait_ms. Returns an enum sup_hostverify_result, or -EINVAL
 * (NULL, a name outside [A-Za-z0-9._-]{1,255}, an unknown family). */
int sup_hostverify_check(struct sup_hostverify *hv, const char *name, const struct shim_addr *addr);

/* "verified", "address not in the supervisor's resolution", ... for
 * audit reasons. Static storage. */
const char *sup_hostverify_result_name(int result);

/* Snapshot of the cache counters. */
void sup_hostverify_stats(struct sup_hostverify *hv, struct sup_hostcache_stats *ret_stats);

#endif
