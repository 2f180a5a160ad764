/*
 * The per-thread cache's descriptor budget (decode_cache.h): how many
 * entries and parked descriptors the supervisor's RLIMIT_NOFILE allows,
 * and the descriptors of evicted or stale entries, parked until the
 * answer is sent (docs/BENCHMARKS.md, "Session 6: the first decision";
 * docs/SECURITY.md row 112).
 */
#include "supervisor/run/decode_cache.h"
#include "supervisor/run/decode_cache_internal.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/*
 * Descriptors of entries evicted or found stale (docs/BENCHMARKS.md,
 * "Session 6: the first decision"): closing an evicted entry's /proc
 * and pidfd descriptors costs about what opening the new entry's does
 * (the last reference to a dead task's /proc dentries and struct pid
 * goes), and it used to happen inside a new thread's first decision,
 * while that thread waited. They are parked here
 * and closed by sup_tcache_close_deferred() after the answer is sent.
 * SECURITY: a parked descriptor belongs to no entry any more (the entry
 * was reset before its descriptors were parked), so no read can go
 * through it; the list is bounded and closes inline when full, so the
 * supervisor's descriptors stay bounded (docs/SECURITY.md row 112).
 * Under sup_tcache_lock but for sup_tcache_close_deferred()'s first look.
 */
static int parked[SUP_TCACHE_PARKED_MAX];
static unsigned n_parked; /* written under sup_tcache_lock */

/*
 * How many entries and parked descriptors the supervisor's descriptor
 * limit allows (set once, under sup_tcache_lock, after
 * sup_proc_raise_nofile()): an entry holds at most 6 descriptors, and
 * FD_RESERVE stay for the decoders' own opens (an exec's program and
 * interpreter, a path's parent) and the rest of the supervisor. With
 * the usual limits: SUP_TCACHE_ENTRIES and SUP_TCACHE_PARKED_MAX; under
 * `ulimit -n 256`, 24 entries and 48 parked, so that a cache full of
 * short-lived processes cannot leave the decoders without descriptors
 * (every exec would be denied, "Too many open files").
 */
#define FD_RESERVE 64
static unsigned max_entries, max_parked;

unsigned sup_tcache_max_entries(void)
{
	struct rlimit lim;
	long budget = LONG_MAX / 2;

	if (max_entries)
		return max_entries;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
	    lim.rlim_cur < (rlim_t)(LONG_MAX / 2))
		budget = (long)lim.rlim_cur - FD_RESERVE;
	long parked_n = budget / 4, entries = 0;

	if (parked_n > SUP_TCACHE_PARKED_MAX)
		parked_n = SUP_TCACHE_PARKED_MAX;
	if (parked_n < 0)
		parked_n = 0;
	entries = (budget - parked_n) / 6;
	if (entries > SUP_TCACHE_ENTRIES)
		entries = SUP_TCACHE_ENTRIES;
	if (entries < 4)
		entries = 4;
	max_entries = (unsigned)entries;
	max_parked = (unsigned)parked_n;
	return max_entries;
}

void sup_tcache_park(int fd)
{
	if (fd < 0)
		return;
	(void)sup_tcache_max_entries();
	if (n_parked < max_parked) {
		parked[n_parked] = fd;
		__atomic_store_n(&n_parked, n_parked + 1, __ATOMIC_RELAXED);
	} else {
		close(fd);
	}
}

void sup_tcache_close_deferred(void)
{
	int fds[SUP_TCACHE_PARKED_MAX];
	unsigned n;

	/* the common case (nothing parked) takes no lock */
	if (!__atomic_load_n(&n_parked, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&sup_tcache_lock);
	n = n_parked;
	memcpy(fds, parked, n * sizeof fds[0]);
	__atomic_store_n(&n_parked, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sup_tcache_lock);
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

bool sup_tcache_close_parked(void)
{
	unsigned n = n_parked;

	for (unsigned i = 0; i < n; i++)
		close(parked[i]);
	__atomic_store_n(&n_parked, 0, __ATOMIC_RELAXED);
	return n > 0;
}
