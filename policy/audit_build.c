/*
 * Building one audit entry (audit_writer.h) in two parts, so that the
 * part under log->lock is short when several threads append at once:
 * audit_prepare() (no lock: the writer-owned members dropped, the
 * reference defaults filled, the entry id drawn, the canonical form
 * written once without the members the chain decides) and
 * audit_commit_locked() (under log->lock and the file lock: previous_hash
 * and seq spliced in, hashed, chain_hash and mac spliced in, one write).
 * The bytes are those of one canonical pass over the whole entry
 * (docs/audit.md, "Canonical JSON and the chain"). The caller's fields
 * are trusted to be what the gate decided; the members the chain depends
 * on are set here only.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "audit_writer.h"
#include "pol_limits.h"

/* Reference fields whose numbers are floats even when integral. */
const char *const pol_audit_float_keys[] = {
	"risk_score", "review_duration_seconds", "score", "weight", "contribution", "boost", NULL
};

/* The members the writer splices into the canonical form, in key order
 * (pol_json_canon_marked); chain_hash and mac are not hashed
 * (audit_unhashed_keys). */
enum { SPLICE_CHAIN_HASH, SPLICE_ENTRY_ID, SPLICE_MAC, SPLICE_PREVIOUS_HASH, SPLICE_SEQ };
static const char *const spliced_keys[AUDIT_SPLICED + 1] = {
	"chain_hash", "entry_id", "mac", "previous_hash", "seq", NULL
};

/* Local time as Python's datetime.now().isoformat() (microseconds kept). */
static void iso_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%06ld", ts.tv_nsec / 1000);
}

/* What the reference entry always has (audit_prepare fills the missing
 * ones, so a log written here has the reference's shape), in the order
 * they are added. */
enum {
	D_ACTION_NAME, D_ACTION_DESCRIPTION, D_AGENT_ID, D_RISK_LEVEL, D_CHALLENGE_TYPE,
	D_VERDICT, D_EXECUTED_AT, D_SESSION_ID, D_ENVIRONMENT, /* "" */
	D_INTERCEPTED_AT, D_DECIDED_AT, D_RISK_SCORE, D_REVIEW_DURATION, D_CHALLENGE_PASSED,
	D_APPROVER_IDS, D_MIN_REVIEW_MET, D_METADATA, D_COUNT
};
static const char *const default_keys[D_COUNT] = {
	"action_name", "action_description", "agent_id", "risk_level", "challenge_type",
	"verdict", "executed_at", "session_id", "environment",
	"intercepted_at", "decided_at", "risk_score", "review_duration_seconds", "challenge_passed",
	"approver_ids", "min_review_met", "metadata",
};

/* key (a literal) and its length, compared without strlen. */
#define KEY(s) { s, sizeof(s) - 1 }
struct known_key {
	const char *s;
	size_t len;
};
static const struct known_key spliced_known[AUDIT_SPLICED] = {
	KEY("chain_hash"), KEY("entry_id"), KEY("mac"), KEY("previous_hash"), KEY("seq"),
};
static const struct known_key default_known[D_COUNT] = {
	KEY("action_name"), KEY("action_description"), KEY("agent_id"), KEY("risk_level"),
	KEY("challenge_type"), KEY("verdict"), KEY("executed_at"), KEY("session_id"),
	KEY("environment"), KEY("intercepted_at"), KEY("decided_at"), KEY("risk_score"),
	KEY("review_duration_seconds"), KEY("challenge_passed"), KEY("approver_ids"),
	KEY("min_review_met"), KEY("metadata"),
};

static inline bool key_is(const struct pol_json *m, const struct known_key *k)
{
	return m->key_len == k->len && m->key[0] == k->s[0] && !memcmp(m->key, k->s, k->len);
}

/* The known keys (spliced, then defaults) grouped by length, so a member
 * is compared with the few of its own length only: index + 1 into
 * spliced_known (1..AUDIT_SPLICED) or default_known (AUDIT_SPLICED + 1...),
 * 0-terminated. Built once from the tables above. */
#define KNOWN_MAX_LEN 24
#define KNOWN_PER_LEN 8
static unsigned char known_by_len[KNOWN_MAX_LEN][KNOWN_PER_LEN];
static pthread_once_t known_once = PTHREAD_ONCE_INIT;

static void known_add(size_t len, unsigned char tag)
{
	for (int j = 0; j < KNOWN_PER_LEN - 1; j++)
		if (!known_by_len[len][j]) {
			known_by_len[len][j] = tag;
			return;
		}
	abort(); /* a table above outgrew KNOWN_PER_LEN: a build-time mistake */
}

static void known_init(void)
{
	for (int i = 0; i < AUDIT_SPLICED; i++)
		known_add(spliced_known[i].len, (unsigned char)(i + 1));
	for (int i = 0; i < D_COUNT; i++)
		known_add(default_known[i].len, (unsigned char)(AUDIT_SPLICED + 1 + i));
}

_Static_assert(sizeof("review_duration_seconds") - 1 < KNOWN_MAX_LEN, "KNOWN_MAX_LEN");

/* One pass over the members: drop those the writer owns (the caller
 * cannot choose them; a string entry_id is kept in kept_id: attestation
 * entries reuse the id of the entry they shadow) and note which defaults
 * are present. */
static uint32_t scan_members(struct pol_json *entry, char *kept_id, size_t id_size)
{
	struct pol_json **link = &entry->first;
	uint32_t present = 0;

	pthread_once(&known_once, known_init);
	kept_id[0] = '\0';
	while (*link) {
		struct pol_json *m = *link;
		const unsigned char *tags = m->key_len < KNOWN_MAX_LEN ? known_by_len[m->key_len] : NULL;
		bool drop = false;

		for (; tags && *tags; tags++) {
			int t = *tags - 1;

			if (t < AUDIT_SPLICED && key_is(m, &spliced_known[t])) {
				drop = true;
				break;
			}
			if (t >= AUDIT_SPLICED && key_is(m, &default_known[t - AUDIT_SPLICED])) {
				present |= 1u << (t - AUDIT_SPLICED);
				break;
			}
		}
		if (drop && m->key_len == 8 && !memcmp(m->key, "entry_id", 8) &&
		    m->kind == POL_JSON_STRING && m->len > 0 && m->len < id_size &&
		    !memchr(m->text, '\0', m->len)) {
			memcpy(kept_id, m->text, m->len);
			kept_id[m->len] = '\0';
		}
		if (drop) {
			*link = m->next;
			entry->count--;
			continue;
		}
		link = &m->next;
	}
	return present;
}

/* Append the missing defaults (nodes from arena). */
static int add_defaults(struct pol_json_arena *arena, struct pol_json *entry, uint32_t present)
{
	char now[64];
	int r = 0;

	if (~present & ((1u << D_INTERCEPTED_AT) | (1u << D_DECIDED_AT)))
		iso_now(now, sizeof(now));
	for (int i = 0; i < D_COUNT && !r; i++) {
		struct pol_json *v;

		if (present & (1u << i))
			continue;
		switch (i) {
		case D_INTERCEPTED_AT:
		case D_DECIDED_AT:
			v = pol_json_string_from_bytes(arena, now, strlen(now));
			break;
		case D_RISK_SCORE:
		case D_REVIEW_DURATION:
			v = pol_json_float(arena, 0.0);
			break;
		case D_CHALLENGE_PASSED:
			v = pol_json_new(arena, POL_JSON_NULL);
			break;
		case D_APPROVER_IDS:
			v = pol_json_new(arena, POL_JSON_ARRAY);
			break;
		case D_MIN_REVIEW_MET:
			v = pol_json_new(arena, POL_JSON_TRUE);
			break;
		case D_METADATA:
			v = pol_json_new(arena, POL_JSON_OBJECT);
			break;
		default:
			v = pol_json_string_from_bytes(arena, "", 0);
		}
		r = pol_json_add(arena, entry, default_keys[i], v);
	}
	return r;
}


int audit_prepare(struct pol_json_arena *arena, struct pol_json *entry,
		  struct audit_id_pool *ids, struct audit_prepared *p)
{
	uint32_t present;
	int r;

	if (entry->kind != POL_JSON_OBJECT)
		return -EINVAL;
	present = scan_members(entry, p->id, sizeof(p->id));
	p->id_json.len = 0;
	if (!p->id[0]) {
		char *o;

		if (ids->used == 0 && (r = audit_random(ids->bytes, sizeof(ids->bytes))) < 0)
			return r;
		audit_entry_id_format(ids->bytes + ids->used, p->id);
		OPENSSL_cleanse(ids->bytes + ids->used, 16);
		ids->used = (ids->used + 16) % sizeof(ids->bytes);
		/* 32 hex digits: canonical as they are */
		if ((r = pol_jbuf_reserve(&p->id_json, 34)) < 0)
			return r;
		o = p->id_json.data;
		o[0] = '"';
		memcpy(o + 1, p->id, 32);
		o[33] = '"';
		o[34] = '\0';
		p->id_json.len = 34;
	} else {
		/* as a string node of its bytes, like any other member */
		struct pol_json *id = pol_json_string_from_bytes(arena, p->id, strlen(p->id));

		if (!id)
			return -ENOMEM;
		if ((r = pol_json_canon(id, NULL, &p->id_json)) < 0)
			return r;
	}
	if (present != (1u << D_COUNT) - 1 && (r = add_defaults(arena, entry, present)) < 0)
		return r;
	p->canon.len = 0;
	return pol_json_canon_marked(entry, NULL, spliced_keys, p->marks, &p->canon);
}

void audit_prepared_release(struct audit_prepared *p)
{
	pol_jbuf_release(&p->canon);
	pol_jbuf_release(&p->id_json);
}

/* out = p->canon with the members whose text is set inserted at their
 * marks ("key":text, text being JSON). Two members at one place are
 * separated like any others. */
struct splice_value {
	const char *text;
	size_t len;
};

static int splice_members(struct pol_jbuf *out, const struct audit_prepared *p,
		  const struct splice_value values[AUDIT_SPLICED])
{
	size_t pos = 0, last_at = (size_t)-1, need = p->canon.len + 2;
	bool last_open = false; /* the previous insertion at last_at ended without ',' */
	char *o;
	int r;

	for (int i = 0; i < AUDIT_SPLICED; i++)
		if (values[i].text)
			need += strlen(spliced_keys[i]) + values[i].len + 5;
	out->len = 0;
	if ((r = pol_jbuf_reserve(out, need)) < 0)
		return r;
	o = out->data;
	for (int i = 0; i < AUDIT_SPLICED; i++) {
		const struct pol_json_mark *m = &p->marks[i];
		const char *key = spliced_keys[i];
		size_t kl = strlen(key);
		bool after, comma_after;

		if (!values[i].text)
			continue;
		after = m->after_member || (m->offset == last_at && last_open);
		comma_after = !after && m->before_member;
		memcpy(o, p->canon.data + pos, m->offset - pos);
		o += m->offset - pos;
		if (after)
			*o++ = ',';
		*o++ = '"';
		memcpy(o, key, kl);
		o += kl;
		*o++ = '"';
		*o++ = ':';
		memcpy(o, values[i].text, values[i].len);
		o += values[i].len;
		if (comma_after)
			*o++ = ',';
		pos = m->offset;
		last_at = m->offset;
		last_open = !comma_after;
	}
	memcpy(o, p->canon.data + pos, p->canon.len - pos);
	o += p->canon.len - pos;
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/* "HEX" with its quotes. */
static void quote_hex(const char hex[AUDIT_HASH_HEX], char out[AUDIT_HASH_HEX + 2])
{
	out[0] = '"';
	memcpy(out + 1, hex, AUDIT_HASH_HEX);
	out[AUDIT_HASH_HEX + 1] = '"';
}

int audit_commit_locked(struct pol_audit_log *log, const struct audit_prepared *p,
			uint64_t *ret_gen)
{
	char hash[AUDIT_HASH_HEX + 1], mac[AUDIT_HASH_HEX + 1];
	char prev_json[AUDIT_HASH_HEX + 2], hash_json[AUDIT_HASH_HEX + 2], mac_json[AUDIT_HASH_HEX + 2];
	char seq[24];
	struct splice_value values[AUDIT_SPLICED] = { { 0 } };
	struct stat st;
	ssize_t n;
	int r;

	values[SPLICE_ENTRY_ID] = (struct splice_value){ p->id_json.data, p->id_json.len };
	quote_hex(log->last_hash, prev_json);
	values[SPLICE_PREVIOUS_HASH] = (struct splice_value){ prev_json, sizeof(prev_json) };
	if (log->seq_known)
		values[SPLICE_SEQ] = (struct splice_value){
			seq, pol_json_format_int((long long)log->count, seq)
		};
	/* the hashed form (without chain_hash and mac), then the line */
	if ((r = splice_members(&log->scratch, p, values)) < 0 ||
	    (r = audit_chain_hash(log->md, log->last_hash, log->scratch.data, log->scratch.len,
				  hash)) < 0)
		return r;
	if (log->key &&
	    (r = audit_mac_hex(log->key, log->key_len, hash, AUDIT_HASH_HEX, mac)) < 0)
		return r;
	quote_hex(hash, hash_json);
	values[SPLICE_CHAIN_HASH] = (struct splice_value){ hash_json, sizeof(hash_json) };
	if (log->key) {
		quote_hex(mac, mac_json);
		values[SPLICE_MAC] = (struct splice_value){ mac_json, sizeof(mac_json) };
	}
	if ((r = splice_members(&log->line, p, values)) < 0)
		return r;
	log->line.data[log->line.len++] = '\n'; /* splice reserved room for it */
	log->line.data[log->line.len] = '\0';
	if (log->line.len > POL_AUDIT_MAX_LINE)
		return -E2BIG;
	/* one write: a reader or a crash sees the whole line or none of it */
	do
		n = write(log->fd, log->line.data, log->line.len);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)log->line.len) {
		r = n < 0 ? -errno : -ENOSPC;
		/* never leave half a line: it would break every later link.
		 * The n bytes went to the file's end (O_APPEND), wherever a
		 * copytruncate left it: cut just those (known_size may not
		 * have seen the truncation, audit_write.c) */
		if (n > 0 && fstat(log->fd, &st) == 0 && st.st_size >= n)
			(void)!ftruncate(log->fd, st.st_size - n);
		return r;
	}
	log->known_size += (off_t)log->line.len;
	memcpy(log->last_hash, hash, sizeof(hash));
	log->count++;
	log->written_gen++;
	if (ret_gen)
		*ret_gen = log->written_gen;
	return 0;
}

/* --- the appending thread's own buffers ----------------------------------- */

/* What audit_prepare needs per thread, kept between appends: the arena
 * for converted fields and defaults, the canonical form, entry ids drawn
 * 64 at a time. Freed when the thread exits; a forked child draws new
 * ids (it must not repeat its parent's). */
struct audit_thread {
	struct pol_json_arena *arena;
	struct audit_prepared prep;
	struct audit_id_pool ids;
};

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;
static int thread_key_error;
static __thread struct audit_thread *thread_state;

static void thread_state_free(void *arg)
{
	struct audit_thread *t = arg;

	pol_json_arena_free(t->arena);
	audit_prepared_release(&t->prep);
	OPENSSL_cleanse(&t->ids, sizeof(t->ids));
	free(t);
	if (thread_state == t)
		thread_state = NULL;
}

static void thread_state_after_fork(void)
{
	if (thread_state) {
		OPENSSL_cleanse(&thread_state->ids, sizeof(thread_state->ids));
		thread_state->ids.used = 0;
	}
}

static void thread_key_init(void)
{
	thread_key_error = pthread_key_create(&thread_key, thread_state_free);
	if (!thread_key_error)
		thread_key_error = pthread_atfork(NULL, NULL, thread_state_after_fork);
}

int audit_prepare_here(const struct cJSON *fields, struct pol_json *entry,
		       struct audit_prepared **ret)
{
	struct audit_thread *t = thread_state;
	int r;

	if (!t) {
		pthread_once(&thread_once, thread_key_init);
		if (thread_key_error)
			return -thread_key_error;
		if (!(t = calloc(1, sizeof(*t))))
			return -ENOMEM;
		r = (t->arena = pol_json_arena_new()) ? -pthread_setspecific(thread_key, t) : -ENOMEM;
		if (r < 0) {
			pol_json_arena_free(t->arena);
			free(t);
			return r;
		}
		thread_state = t;
	}
	pol_json_arena_reset(t->arena);
	if (fields &&
	    (r = pol_json_from_cjson(t->arena, fields, pol_audit_float_keys, &entry)) < 0)
		return r;
	if ((r = audit_prepare(t->arena, entry, &t->ids, &t->prep)) < 0)
		return r;
	*ret = &t->prep;
	return 0;
}
