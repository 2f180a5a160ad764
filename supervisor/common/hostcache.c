/*
 * A fixed-size cache of the supervisor's own host name resolutions (see
 * hostcache.h). Names come from the sandboxed agent, so they are checked
 * again here and stored lower-cased in fixed slots; the number of slots
 * and of names waiting for a resolver are capped, eviction prefers
 * expired entries, then the least recently used resolved one, and never
 * drops a name a resolver is working on. Addresses come only from the
 * supervisor's resolver. Linear scans: a few hundred fixed slots cost a
 * few microseconds, far below one resolution.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/common/hostcache.h"

#define CAP_DEFAULT 256
#define CAP_MAX 4096
#define TTL_DEFAULT 60000
#define NEG_TTL_DEFAULT 10000
#define PENDING_DEFAULT 32

enum slot_state { SLOT_FREE = 0, SLOT_QUEUED, SLOT_RUNNING, SLOT_RESOLVED, SLOT_FAILED };

struct slot {
	uint8_t state;
	uint8_t naddr;
	uint8_t truncated;
	uint64_t stored_ms;  /* when the answer arrived (fresh until + ttl) */
	uint64_t used_ms;    /* last check or request, for LRU eviction */
	uint64_t queued_seq; /* FIFO order of queued names */
	char name[POL_SHIM_MAX_HOST + 1];
	struct shim_addr addr[SUP_HOSTCACHE_MAX_ADDRS];
};

struct sup_hostcache {
	struct sup_hostcache_opts opts;
	struct slot *slots;
	uint64_t seq;
	struct sup_hostcache_stats stats;
};

int sup_hostcache_new(const struct sup_hostcache_opts *opts, struct sup_hostcache **ret_cache)
{
	struct sup_hostcache *c;

	if (ret_cache == NULL)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	if (opts != NULL)
		c->opts = *opts;
	if (c->opts.capacity == 0)
		c->opts.capacity = CAP_DEFAULT;
	if (c->opts.ttl_ms == 0)
		c->opts.ttl_ms = TTL_DEFAULT;
	if (c->opts.negative_ttl_ms == 0)
		c->opts.negative_ttl_ms = NEG_TTL_DEFAULT;
	if (c->opts.max_pending == 0)
		c->opts.max_pending = PENDING_DEFAULT < c->opts.capacity ? PENDING_DEFAULT
									 : c->opts.capacity / 2;
	if (c->opts.capacity > CAP_MAX || c->opts.capacity < 2 ||
	    c->opts.max_pending >= c->opts.capacity || c->opts.max_pending == 0) {
		free(c);
		return -EINVAL;
	}
	c->slots = calloc(c->opts.capacity, sizeof(*c->slots));
	if (c->slots == NULL) {
		free(c);
		return -ENOMEM;
	}
	*ret_cache = c;
	return 0;
}

void sup_hostcache_free(struct sup_hostcache *cache)
{
	if (cache == NULL)
		return;
	free(cache->slots);
	free(cache);
}

int sup_hostcache_name_ok(const char *name)
{
	size_t len;

	if (name == NULL)
		return 0;
	len = strnlen(name, POL_SHIM_MAX_HOST + 1);
	if (len == 0 || len > POL_SHIM_MAX_HOST)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* Lower-case copy of a name already checked by sup_hostcache_name_ok. */
static void fold(char out[POL_SHIM_MAX_HOST + 1], const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < POL_SHIM_MAX_HOST; i++)
		out[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
	memset(out + i, 0, POL_SHIM_MAX_HOST + 1 - i);
}

/* An address in comparable form: IPv4-mapped IPv6 becomes IPv4, port 0.
 * 0 if the family is unknown. */
static int normalize(struct shim_addr *out, const struct shim_addr *in)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(out, 0, sizeof(*out));
	if (in->family == SHIM_AF_INET) {
		out->family = SHIM_AF_INET;
		memcpy(out->addr, in->addr, 4);
		return 1;
	}
	if (in->family != SHIM_AF_INET6)
		return 0;
	if (memcmp(in->addr, mapped, sizeof(mapped)) == 0) {
		out->family = SHIM_AF_INET;
		memcpy(out->addr, in->addr + 12, 4);
		return 1;
	}
	out->family = SHIM_AF_INET6;
	memcpy(out->addr, in->addr, 16);
	return 1;
}

static int fresh(const struct sup_hostcache *c, const struct slot *s, uint64_t now_ms)
{
	uint64_t ttl;

	if (s->state == SLOT_QUEUED || s->state == SLOT_RUNNING)
		return 1;
	if (s->state == SLOT_FREE)
		return 0;
	ttl = s->state == SLOT_RESOLVED ? c->opts.ttl_ms : c->opts.negative_ttl_ms;
	/* A clock that went backwards (it cannot, it is monotonic) expires. */
	return now_ms >= s->stored_ms && now_ms - s->stored_ms < ttl;
}

static struct slot *find(struct sup_hostcache *c, const char *folded)
{
	for (uint32_t i = 0; i < c->opts.capacity; i++) {
		struct slot *s = &c->slots[i];

		if (s->state != SLOT_FREE && memcmp(s->name, folded, sizeof(s->name)) == 0)
			return s;
	}
	return NULL;
}

static uint32_t count_pending(const struct sup_hostcache *c)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->opts.capacity; i++)
		if (c->slots[i].state == SLOT_QUEUED || c->slots[i].state == SLOT_RUNNING)
			n++;
	return n;
}

/* A slot for a new name: a free one, else an expired one, else the least
 * recently used answered one. NULL only if every slot is pending. */
static struct slot *claim(struct sup_hostcache *c, uint64_t now_ms)
{
	struct slot *lru = NULL;

	for (uint32_t i = 0; i < c->opts.capacity; i++) {
		struct slot *s = &c->slots[i];

		if (s->state == SLOT_FREE)
			return s;
		if (s->state == SLOT_QUEUED || s->state == SLOT_RUNNING)
			continue;
		if (!fresh(c, s, now_ms)) {
			lru = s;
			break;
		}
		if (lru == NULL || s->used_ms < lru->used_ms)
			lru = s;
	}
	if (lru != NULL) {
		if (fresh(c, lru, now_ms))
			c->stats.evictions++;
		memset(lru, 0, sizeof(*lru));
	}
	return lru;
}

int sup_hostcache_check(struct sup_hostcache *cache, const char *name, const struct shim_addr *addr,
			uint64_t now_ms)
{
	char folded[POL_SHIM_MAX_HOST + 1];
	struct shim_addr want;
	struct slot *s;

	if (cache == NULL || addr == NULL || !sup_hostcache_name_ok(name) || !normalize(&want, addr))
		return -EINVAL;
	fold(folded, name);
	s = find(cache, folded);
	if (s == NULL || !fresh(cache, s, now_ms)) {
		cache->stats.misses++;
		return -ENOENT;
	}
	s->used_ms = now_ms;
	if (s->state == SLOT_QUEUED || s->state == SLOT_RUNNING)
		return -EINPROGRESS;
	cache->stats.hits++;
	if (s->state == SLOT_FAILED)
		return SUP_HOST_UNRESOLVED;
	for (unsigned i = 0; i < s->naddr; i++)
		if (s->addr[i].family == want.family &&
		    memcmp(s->addr[i].addr, want.addr, sizeof(want.addr)) == 0)
			return SUP_HOST_MATCH;
	return SUP_HOST_MISMATCH;
}

int sup_hostcache_request(struct sup_hostcache *cache, const char *name, uint64_t now_ms)
{
	char folded[POL_SHIM_MAX_HOST + 1];
	struct slot *s;

	if (cache == NULL || !sup_hostcache_name_ok(name))
		return -EINVAL;
	fold(folded, name);
	s = find(cache, folded);
	if (s != NULL && fresh(cache, s, now_ms)) {
		s->used_ms = now_ms;
		return -EALREADY;
	}
	/* SECURITY: the agent chooses these names; cap the work it can queue. */
	if (count_pending(cache) >= cache->opts.max_pending) {
		cache->stats.busy++;
		return -EBUSY;
	}
	if (s == NULL) {
		s = claim(cache, now_ms);
		if (s == NULL) {
			cache->stats.busy++;
			return -EBUSY;
		}
		memcpy(s->name, folded, sizeof(s->name));
	}
	s->state = SLOT_QUEUED;
	s->naddr = 0;
	s->truncated = 0;
	memset(s->addr, 0, sizeof(s->addr));
	s->used_ms = now_ms;
	s->queued_seq = ++cache->seq;
	return 0;
}

int sup_hostcache_next(struct sup_hostcache *cache, char *ret_name, size_t cap)
{
	struct slot *oldest = NULL;
	size_t len;

	if (cache == NULL || ret_name == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < cache->opts.capacity; i++) {
		struct slot *s = &cache->slots[i];

		if (s->state == SLOT_QUEUED && (oldest == NULL || s->queued_seq < oldest->queued_seq))
			oldest = s;
	}
	if (oldest == NULL)
		return -ENOENT;
	len = strnlen(oldest->name, sizeof(oldest->name));
	if (cap <= len)
		return -ENOSPC;
	memcpy(ret_name, oldest->name, len + 1);
	oldest->state = SLOT_RUNNING;
	return 0;
}

int sup_hostcache_store(struct sup_hostcache *cache, const char *name, const struct shim_addr *addrs,
			size_t n, int failed, uint64_t now_ms)
{
	char folded[POL_SHIM_MAX_HOST + 1];
	struct slot *s;

	if (cache == NULL || !sup_hostcache_name_ok(name) || (!failed && n > 0 && addrs == NULL))
		return -EINVAL;
	fold(folded, name);
	s = find(cache, folded);
	if (s == NULL) {
		s = claim(cache, now_ms);
		if (s == NULL)
			return -ENOSPC;
		memcpy(s->name, folded, sizeof(s->name));
		s->used_ms = now_ms;
	}
	s->naddr = 0;
	s->truncated = 0;
	memset(s->addr, 0, sizeof(s->addr));
	s->stored_ms = now_ms;
	if (failed || n == 0) {
		s->state = SLOT_FAILED;
		cache->stats.failures++;
		return 0;
	}
	s->state = SLOT_RESOLVED;
	cache->stats.resolutions++;
	for (size_t i = 0; i < n; i++) {
		struct shim_addr a;
		int dup = 0;

		if (!normalize(&a, &addrs[i]))
			continue;
		for (unsigned j = 0; j < s->naddr && !dup; j++)
			dup = memcmp(&s->addr[j], &a, sizeof(a)) == 0;
		if (dup)
			continue;
		if (s->naddr >= SUP_HOSTCACHE_MAX_ADDRS) {
			s->truncated = 1;
			break;
		}
		s->addr[s->naddr++] = a;
	}
	return 0;
}

void sup_hostcache_stats(const struct sup_hostcache *cache, struct sup_hostcache_stats *ret_stats)
{
	uint32_t entries = 0;

	if (cache == NULL || ret_stats == NULL)
		return;
	for (uint32_t i = 0; i < cache->opts.capacity; i++)
		if (cache->slots[i].state != SLOT_FREE)
			entries++;
	*ret_stats = cache->stats;
	ret_stats->entries = entries;
	ret_stats->pending = count_pending(cache);
}
