/*
 * The per-thread annotation table of the supervisor: what each thread of
 * the sandbox said it is doing (a call message) or has resolved (a resolve
 * message), kept for a short TTL. Messages are already validated by
 * sup_shim_parse, but their claims are the agent's: the table bounds what
 * an agent can make us store (fixed capacity, per-pid token bucket,
 * expiry by the supervisor's clock) and never turns a claim into a
 * decision. Lookups scan a compact metadata array so a lookup costs a
 * few microseconds even with a full table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/common/shim_msg.h"

#define TABLE_CAP_DEFAULT 256
#define TABLE_CAP_MAX 65536
#define CALL_TTL_DEFAULT 2000
#define RESOLVE_TTL_DEFAULT 60000
#define RATE_DEFAULT 200
#define BURST_DEFAULT 400
/* Distinct pids with their own bucket; beyond it the least recently seen
 * pid's bucket is reused (starting full: a fork storm cannot starve a
 * quiet process, and a flooding one is still bounded by the table size). */
#define BUCKETS 64

struct slot_meta {
	uint8_t used;
	uint8_t type; /* SHIM_MSG_CALL or SHIM_MSG_RESOLVE */
	uint8_t entry;
	pid_t tid;
	pid_t pid;
	uint64_t at_ms;
};

union slot_body {
	struct shim_call_msg call;
	struct shim_resolve_msg resolve;
};

struct bucket {
	pid_t pid;
	uint64_t last_ms;
	uint64_t milli_tokens;
};

struct sup_shim_table {
	struct sup_shim_table_opts opts;
	struct slot_meta *meta;
	union slot_body *body;
	struct bucket buckets[BUCKETS];
	struct sup_shim_stats stats;
};

int sup_shim_table_new(const struct sup_shim_table_opts *opts, struct sup_shim_table **ret_table)
{
	struct sup_shim_table *t;

	if (ret_table == NULL || (opts != NULL && opts->capacity > TABLE_CAP_MAX))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	if (opts != NULL)
		t->opts = *opts;
	if (t->opts.capacity == 0)
		t->opts.capacity = TABLE_CAP_DEFAULT;
	if (t->opts.call_ttl_ms == 0)
		t->opts.call_ttl_ms = CALL_TTL_DEFAULT;
	if (t->opts.resolve_ttl_ms == 0)
		t->opts.resolve_ttl_ms = RESOLVE_TTL_DEFAULT;
	if (t->opts.rate_per_sec == 0)
		t->opts.rate_per_sec = RATE_DEFAULT;
	if (t->opts.burst == 0)
		t->opts.burst = BURST_DEFAULT;
	t->meta = calloc(t->opts.capacity, sizeof(*t->meta));
	t->body = calloc(t->opts.capacity, sizeof(*t->body));
	if (t->meta == NULL || t->body == NULL) {
		sup_shim_table_free(t);
		return -ENOMEM;
	}
	*ret_table = t;
	return 0;
}

void sup_shim_table_free(struct sup_shim_table *table)
{
	if (table == NULL)
		return;
	free(table->meta);
	free(table->body);
	free(table);
}

static uint64_t ttl_of(const struct sup_shim_table *t, uint8_t type)
{
	return type == SHIM_MSG_CALL ? t->opts.call_ttl_ms : t->opts.resolve_ttl_ms;
}

static int expired(const struct sup_shim_table *t, const struct slot_meta *m, uint64_t now_ms)
{
	/* A clock that went backwards (it should not: monotonic) keeps the
	 * entry rather than underflowing. */
	return now_ms > m->at_ms && now_ms - m->at_ms > ttl_of(t, m->type);
}

/* Token bucket per pid. Returns 1 if a message may be stored. */
static int rate_allow(struct sup_shim_table *t, pid_t pid, uint64_t now_ms)
{
	const uint64_t full = (uint64_t)t->opts.burst * 1000;
	struct bucket *b = NULL, *victim = NULL;

	for (int i = 0; i < BUCKETS; i++) {
		struct bucket *c = &t->buckets[i];

		if (c->pid == pid) {
			b = c;
			break;
		}
		/* Victim: an unused bucket, else the least recently seen. */
		if (victim == NULL || (victim->pid != 0 && (c->pid == 0 || c->last_ms < victim->last_ms)))
			victim = c;
	}
	if (b == NULL) {
		b = victim;
		b->pid = pid;
		b->milli_tokens = full;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		/* rate tokens per second == rate milli-tokens per ms; the
		 * elapsed time is capped first so the product cannot wrap. */
		uint64_t elapsed = now_ms - b->last_ms;
		uint64_t rate = t->opts.rate_per_sec;
		uint64_t gain = elapsed >= (full + rate - 1) / rate ? full : elapsed * rate;

		b->milli_tokens = b->milli_tokens + gain >= full ? full : b->milli_tokens + gain;
		b->last_ms = now_ms;
	}
	if (b->milli_tokens < 1000)
		return 0;
	b->milli_tokens -= 1000;
	return 1;
}

/* The slot for a new message: the one it replaces, else a free or expired
 * one, else the oldest (counted as an eviction). */
static size_t pick_slot(struct sup_shim_table *t, const struct sup_shim_msg *msg, uint64_t now_ms)
{
	size_t free_slot = SIZE_MAX, oldest = 0;

	for (size_t i = 0; i < t->opts.capacity; i++) {
		const struct slot_meta *m = &t->meta[i];

		if (!m->used || expired(t, m, now_ms)) {
			if (free_slot == SIZE_MAX)
				free_slot = i;
			continue;
		}
		if (m->tid == msg->u.hdr.tid && m->pid == msg->u.hdr.pid && m->type == msg->type) {
			if (m->type == SHIM_MSG_CALL)
				return i;
			if (strcmp(t->body[i].resolve.name, msg->u.resolve.name) == 0)
				return i;
		}
		if (m->at_ms < t->meta[oldest].at_ms)
			oldest = i;
	}
	if (free_slot != SIZE_MAX)
		return free_slot;
	t->stats.evicted++;
	return oldest;
}

int sup_shim_table_add(struct sup_shim_table *table, const struct sup_shim_msg *msg,
		       pid_t sender_pid, uint64_t now_ms)
{
	struct slot_meta *m;
	size_t i;

	if (table == NULL || msg == NULL ||
	    (msg->type != SHIM_MSG_CALL && msg->type != SHIM_MSG_RESOLVE))
		return -EINVAL;
	if (sender_pid > 0 && msg->u.hdr.pid != sender_pid) {
		table->stats.sender_mismatch++;
		return -EPERM;
	}
	if (!rate_allow(table, msg->u.hdr.pid, now_ms)) {
		table->stats.rate_limited++;
		return -EAGAIN;
	}
	i = pick_slot(table, msg, now_ms);
	m = &table->meta[i];
	m->used = 1;
	m->type = (uint8_t)msg->type;
	m->entry = msg->type == SHIM_MSG_CALL ? msg->u.call.entry : 0;
	m->tid = msg->u.hdr.tid;
	m->pid = msg->u.hdr.pid;
	m->at_ms = now_ms;
	if (msg->type == SHIM_MSG_CALL)
		table->body[i].call = msg->u.call;
	else
		table->body[i].resolve = msg->u.resolve;
	table->stats.accepted++;
	return 0;
}

void sup_shim_table_note_garbage(struct sup_shim_table *table)
{
	if (table != NULL)
		table->stats.garbage++;
}

static int take_call(struct sup_shim_table *t, pid_t id, int by_pid, uint32_t mask,
		     uint64_t now_ms, struct shim_call_msg *ret_call)
{
	size_t best = SIZE_MAX;

	if (t == NULL || ret_call == NULL)
		return -EINVAL;
	for (size_t i = 0; i < t->opts.capacity; i++) {
		struct slot_meta *m = &t->meta[i];

		if (!m->used || m->type != SHIM_MSG_CALL)
			continue;
		if (expired(t, m, now_ms)) {
			m->used = 0;
			continue;
		}
		if ((by_pid ? m->pid : m->tid) != id || !(mask & SUP_SHIM_MASK(m->entry)))
			continue;
		if (best == SIZE_MAX || m->at_ms >= t->meta[best].at_ms)
			best = i;
	}
	if (best == SIZE_MAX)
		return -ENOENT;
	*ret_call = t->body[best].call;
	t->meta[best].used = 0;
	return 0;
}

int sup_shim_table_take_call(struct sup_shim_table *table, pid_t tid, uint32_t mask,
			     uint64_t now_ms, struct shim_call_msg *ret_call)
{
	return take_call(table, tid, 0, mask, now_ms, ret_call);
}

int sup_shim_table_take_call_by_pid(struct sup_shim_table *table, pid_t pid, uint32_t mask,
				    uint64_t now_ms, struct shim_call_msg *ret_call)
{
	return take_call(table, pid, 1, mask, now_ms, ret_call);
}

static int resolve_has(const struct shim_resolve_msg *r, const struct shim_addr *addr)
{
	size_t n = addr->family == SHIM_AF_INET ? 4 : 16;

	for (unsigned i = 0; i < r->naddr && i < SHIM_MAX_ADDRS; i++)
		if (r->addr[i].family == addr->family && memcmp(r->addr[i].addr, addr->addr, n) == 0)
			return 1;
	return 0;
}

int sup_shim_table_lookup_name(struct sup_shim_table *table, pid_t pid, pid_t tid,
			       const struct shim_addr *addr, uint64_t now_ms, char *ret_name,
			       size_t cap)
{
	size_t best = SIZE_MAX, len;
	int best_same_tid = 0;

	if (table == NULL || addr == NULL || ret_name == NULL)
		return -EINVAL;
	if (addr->family != SHIM_AF_INET && addr->family != SHIM_AF_INET6)
		return -ENOENT;
	for (size_t i = 0; i < table->opts.capacity; i++) {
		const struct slot_meta *m = &table->meta[i];
		int same_tid;

		if (!m->used || m->type != SHIM_MSG_RESOLVE || m->pid != pid || expired(table, m, now_ms))
			continue;
		if (!resolve_has(&table->body[i].resolve, addr))
			continue;
		same_tid = m->tid == tid;
		/* Same thread beats other threads; then newest wins. */
		if (best == SIZE_MAX || same_tid > best_same_tid ||
		    (same_tid == best_same_tid && m->at_ms >= table->meta[best].at_ms)) {
			best = i;
			best_same_tid = same_tid;
		}
	}
	if (best == SIZE_MAX)
		return -ENOENT;
	len = table->body[best].resolve.name_len;
	if (len >= cap)
		return -ENOSPC;
	memcpy(ret_name, table->body[best].resolve.name, len);
	ret_name[len] = '\0';
	return 0;
}

void sup_shim_table_stats(const struct sup_shim_table *table, struct sup_shim_stats *ret_stats)
{
	if (table != NULL && ret_stats != NULL)
		*ret_stats = table->stats;
}
