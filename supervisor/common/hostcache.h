/*
 * The supervisor's own cache of host name resolutions, used to verify a
 * host name the shim claims for a connect (docs/SECURITY.md): "does the
 * supervisor's resolution of NAME contain the address the kernel showed
 * us". This module is pure bookkeeping: no resolver, no threads, no clock
 * (the caller passes CLOCK_MONOTONIC milliseconds). supervisor/run/
 * hostverify.c adds the resolver threads and the bounded wait.
 *
 * Trust: names come from shim messages, i.e. from the sandboxed agent.
 * They are bounded (POL_SHIM_MAX_HOST, [A-Za-z0-9._-] only, checked again
 * here) and the cache never grows beyond its capacity; at most max_pending
 * names wait for a resolution at once, so an agent cannot make the
 * supervisor queue unbounded work. Addresses stored here come from the
 * supervisor's own getaddrinfo, never from the agent.
 *
 * TTL: glibc's getaddrinfo does not expose DNS record TTLs, so every
 * successful resolution is kept for a fixed ttl_ms (default 60 s) and a
 * failed one for negative_ttl_ms (default 10 s), whatever the DNS said.
 *
 * Thread-safety: none; hostverify.c serializes every call with its mutex.
 */
#ifndef ATTESTA_SUP_HOSTCACHE_H
#define ATTESTA_SUP_HOSTCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "supervisor/common/shim_proto.h"

/* Addresses kept per name; a name with more is marked truncated and an
 * address beyond these is simply "not contained" (fails safe: unverified). */
#define SUP_HOSTCACHE_MAX_ADDRS 32

struct sup_hostcache_opts {
	uint32_t capacity;        /* names kept, default 256, max 4096 */
	uint32_t ttl_ms;          /* resolved names, default 60000 */
	uint32_t negative_ttl_ms; /* failed resolutions, default 10000 */
	uint32_t max_pending;     /* names waiting for a resolver, default 32, < capacity */
};

/* Answers of sup_hostcache_check. */
enum sup_host_answer {
	SUP_HOST_MATCH = 1,      /* resolved, the address is in the answer */
	SUP_HOST_MISMATCH = 2,   /* resolved, the address is not in the answer */
	SUP_HOST_UNRESOLVED = 3, /* the resolution failed (NXDOMAIN, timeout...) */
};

struct sup_hostcache;

/* New cache; opts may be NULL (defaults). -EINVAL (capacity above the
 * maximum, max_pending >= capacity), -ENOMEM. free(NULL) is a no-op. */
int sup_hostcache_new(const struct sup_hostcache_opts *opts, struct sup_hostcache **ret_cache);
void sup_hostcache_free(struct sup_hostcache *cache);

/* 1 if name is acceptable: 1..POL_SHIM_MAX_HOST bytes of [A-Za-z0-9._-]. */
int sup_hostcache_name_ok(const char *name);

/* What the cache knows about name and addr (family and address bytes;
 * port ignored; an IPv4-mapped IPv6 address compares as IPv4). Names
 * compare case-insensitively. Returns an enum sup_host_answer, or
 * -ENOENT (not cached or expired), -EINPROGRESS (a resolution is queued
 * or running), -EINVAL (bad name or address). */
int sup_hostcache_check(struct sup_hostcache *cache, const char *name, const struct shim_addr *addr,
			uint64_t now_ms);

/* Queue name for resolution. 0 when newly queued (wake a resolver),
 * -EALREADY when it is queued, running or freshly cached, -EBUSY when
 * max_pending names already wait (the caller treats the name as
 * unverified), -EINVAL for a bad name. An expired entry is re-queued. */
int sup_hostcache_request(struct sup_hostcache *cache, const char *name, uint64_t now_ms);

/* For a resolver: take the oldest queued name (it becomes "running") and
 * copy it into ret_name[cap] (cap > POL_SHIM_MAX_HOST is always enough).
 * -ENOENT when nothing is queued, -ENOSPC when cap is too small. */
int sup_hostcache_next(struct sup_hostcache *cache, char *ret_name, size_t cap);

/* Store a resolver's answer for name: n addresses (duplicates and ports
 * ignored; more than SUP_HOSTCACHE_MAX_ADDRS are cut), or failed != 0 for
 * a failed resolution (addrs ignored). The entry becomes fresh for its TTL
 * and no longer pending. If the entry was evicted meanwhile it is
 * recreated. 0, -EINVAL (bad name), -ENOSPC (every slot is pending). */
int sup_hostcache_store(struct sup_hostcache *cache, const char *name, const struct shim_addr *addrs,
			size_t n, int failed, uint64_t now_ms);

struct sup_hostcache_stats {
	uint64_t hits, misses, resolutions, failures, evictions, busy;
	uint32_t entries, pending;
};

void sup_hostcache_stats(const struct sup_hostcache *cache, struct sup_hostcache_stats *ret_stats);

#endif
