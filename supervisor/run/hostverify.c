/*
 * The supervisor's own resolution of shim-claimed host names: a small
 * pool of resolver threads that drain the host cache's queue with
 * getaddrinfo, and a bounded wait for the event loop (see hostverify.h).
 * It trusts its own resolver (the system's NSS configuration, as any
 * program on this machine would) and nothing the agent says: the name is
 * only a question, the addresses compared are the kernel's.
 */
#include "supervisor/run/hostverify.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define THREADS_DEFAULT 2
#define THREADS_MAX 8
#define WAIT_DEFAULT_MS 200
/* getaddrinfo entries read per name (a hostile resolver answer is cut). */
#define GAI_MAX_ENTRIES 256

struct sup_hostverify {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a name was queued, or stop */
	pthread_cond_t done; /* an answer was stored */
	bool stop;
	unsigned want_threads; /* started on the first name queued */
	unsigned threads;
	unsigned running; /* threads that have not exited */
	pthread_t tid[THREADS_MAX];
	uint32_t wait_ms;
	struct sup_hostcache *cache;
	sup_hostverify_resolve_fn resolve;
	void *resolve_arg;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int resolve_gai(const char *name, struct shim_addr *out, size_t cap, size_t *ret_n,
		       void *arg)
{
	struct addrinfo hints, *res = NULL;
	size_t n = 0, seen = 0;
	int rc;

	(void)arg;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM; /* one entry per address, not per socket type */
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0)
		return -ENOENT;
	for (const struct addrinfo *ai = res; ai != NULL && n < cap && seen < GAI_MAX_ENTRIES;
	     ai = ai->ai_next, seen++) {
		if (ai->ai_addr == NULL)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
			out[n].family = SHIM_AF_INET;
			memcpy(out[n].addr, &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr, 4);
			n++;
		} else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
			out[n].family = SHIM_AF_INET6;
			memcpy(out[n].addr,
			       &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr, 16);
			n++;
		}
	}
	freeaddrinfo(res);
	*ret_n = n;
	return 0;
}

static void *resolver_main(void *arg)
{
	struct sup_hostverify *hv = arg;
	char name[POL_SHIM_MAX_HOST + 1];
	struct shim_addr addrs[SUP_HOSTCACHE_MAX_ADDRS + 1];

	pthread_mutex_lock(&hv->lock);
	while (!hv->stop) {
		size_t n = 0;
		int rc;

		if (sup_hostcache_next(hv->cache, name, sizeof(name)) != 0) {
			pthread_cond_wait(&hv->work, &hv->lock);
			continue;
		}
		/* The slow part runs unlocked: other names, checks and the
		 * event loop go on meanwhile. */
		pthread_mutex_unlock(&hv->lock);
		rc = hv->resolve(name, addrs, SUP_HOSTCACHE_MAX_ADDRS + 1, &n, hv->resolve_arg);
		pthread_mutex_lock(&hv->lock);
		(void)sup_hostcache_store(hv->cache, name, addrs, rc == 0 ? n : 0, rc != 0, now_ms());
		pthread_cond_broadcast(&hv->done);
	}
	hv->running--;
	pthread_cond_broadcast(&hv->done);
	pthread_mutex_unlock(&hv->lock);
	return NULL;
}

int sup_hostverify_new(const struct sup_hostverify_opts *opts, struct sup_hostverify **ret_hv)
{
	struct sup_hostverify_opts o;
	struct sup_hostverify *hv;
	pthread_condattr_t ca;
	int rc;

	if (ret_hv == NULL)
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	if (opts != NULL)
		o = *opts;
	if (o.threads == 0)
		o.threads = THREADS_DEFAULT;
	if (o.wait_ms == 0)
		o.wait_ms = WAIT_DEFAULT_MS;
	if (o.threads > THREADS_MAX || o.wait_ms > 10000)
		return -EINVAL;
	hv = calloc(1, sizeof(*hv));
	if (hv == NULL)
		return -ENOMEM;
	rc = sup_hostcache_new(&o.cache, &hv->cache);
	if (rc < 0) {
		free(hv);
		return rc;
	}
	hv->wait_ms = o.wait_ms;
	hv->resolve = o.resolve != NULL ? o.resolve : resolve_gai;
	hv->resolve_arg = o.resolve_arg;
	pthread_mutex_init(&hv->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hv->work, &ca);
	pthread_cond_init(&hv->done, &ca);
	pthread_condattr_destroy(&ca);
	hv->want_threads = o.threads;
	*ret_hv = hv;
	return 0;
}

/* Start the resolver threads (hv->lock held), once: most runs never
 * verify a host name, and two threads cost start-up time. They must not
 * take the signals the loop reads with signalfd: the loop's thread, which
 * calls us, has them blocked, and a new thread inherits that mask. 0 if
 * at least one runs. */
static int start_threads(struct sup_hostverify *hv)
{
	int rc = 0;

	while (hv->threads < hv->want_threads) {
		rc = pthread_create(&hv->tid[hv->threads], NULL, resolver_main, hv);
		if (rc != 0)
			break;
		hv->threads++;
		hv->running++;
	}
	return hv->threads > 0 ? 0 : -rc;
}

void sup_hostverify_free(struct sup_hostverify *hv)
{
	struct timespec deadline;
	bool leak = false;

	if (hv == NULL)
		return;
	pthread_mutex_lock(&hv->lock);
	hv->stop = true;
	pthread_cond_broadcast(&hv->work);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 1;
	while (hv->running > 0) {
		if (pthread_cond_timedwait(&hv->done, &hv->lock, &deadline) == ETIMEDOUT)
			break;
	}
	leak = hv->running > 0;
	pthread_mutex_unlock(&hv->lock);
	for (unsigned i = 0; i < hv->threads; i++) {
		if (leak)
			pthread_detach(hv->tid[i]);
		else
			pthread_join(hv->tid[i], NULL);
	}
	if (leak)
		return; /* a thread is still inside getaddrinfo: see hostverify.h */
	sup_hostcache_free(hv->cache);
	pthread_cond_destroy(&hv->work);
	pthread_cond_destroy(&hv->done);
	pthread_mutex_destroy(&hv->lock);
	free(hv);
}

int sup_hostverify_check(struct sup_hostverify *hv, const char *name, const struct shim_addr *addr)
{
	struct timespec deadline;
	int rc;

	if (hv == NULL || addr == NULL || !sup_hostcache_name_ok(name))
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += hv->wait_ms / 1000;
	deadline.tv_nsec += (long)(hv->wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&hv->lock);
	for (;;) {
		rc = sup_hostcache_check(hv->cache, name, addr, now_ms());
		if (rc == -ENOENT) {
			rc = sup_hostcache_request(hv->cache, name, now_ms());
			if (rc == -EBUSY) {
				rc = SUP_HOSTVERIFY_BUSY;
				break;
			}
			if (rc < 0 && rc != -EALREADY)
				break;
			if ((rc = start_threads(hv)) < 0)
				break;
			pthread_cond_signal(&hv->work);
			continue;
		}
		if (rc != -EINPROGRESS)
			break;
		if (pthread_cond_timedwait(&hv->done, &hv->lock, &deadline) == ETIMEDOUT) {
			rc = sup_hostcache_check(hv->cache, name, addr, now_ms());
			if (rc == -EINPROGRESS || rc == -ENOENT)
				rc = SUP_HOSTVERIFY_PENDING;
			break;
		}
	}
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

const char *sup_hostverify_result_name(int result)
{
	switch (result) {
	case SUP_HOSTVERIFY_MATCH:
		return "verified";
	case SUP_HOSTVERIFY_MISMATCH:
		return "address not in the supervisor's resolution of the name";
	case SUP_HOSTVERIFY_UNRESOLVED:
		return "the supervisor cannot resolve the name";
	case SUP_HOSTVERIFY_PENDING:
		return "the supervisor's resolution did not finish in time";
	case SUP_HOSTVERIFY_BUSY:
		return "too many names waiting for resolution";
	default:
		return "invalid name or address";
	}
}

void sup_hostverify_stats(struct sup_hostverify *hv, struct sup_hostcache_stats *ret_stats)
{
	if (hv == NULL || ret_stats == NULL)
		return;
	pthread_mutex_lock(&hv->lock);
	sup_hostcache_stats(hv->cache, ret_stats);
	pthread_mutex_unlock(&hv->lock);
}
