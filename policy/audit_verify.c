/*
 * Verification of an audit log (audit.h: pol_audit_verify). Every line is
 * untrusted: it is bounded by POL_AUDIT_MAX_LINE, parsed with the lossless
 * reader and re-serialized canonically (never hashed as read).
 *
 * Two phases per batch of lines. In parallel, each line is checked on its
 * own: chain_hash == sha256(stored previous_hash + canonical entry) and
 * its mac. Then, in order, the links: the stored previous_hash must be the
 * previous entry's stored chain_hash (so, as in the reference, a broken
 * entry is reported once and does not cascade), seq must not skip or go
 * back, entry ids must not repeat, and the head file must be matched. The
 * set of broken lines is the reference's (a bad link there is a bad hash
 * here) plus what the reference misses.
 */
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "audit_internal.h"
#include "audit_map.h"
#include "pol_limits.h"

const char *pol_audit_problem_name(enum pol_audit_problem problem)
{
	switch (problem) {
	case POL_AUDIT_P_NOT_JSON: return "not_json";
	case POL_AUDIT_P_NO_HASH: return "no_chain_hash";
	case POL_AUDIT_P_BAD_HASH: return "bad_chain_hash";
	case POL_AUDIT_P_BAD_PREVIOUS: return "bad_previous_hash";
	case POL_AUDIT_P_DUPLICATE_ID: return "duplicate_entry_id";
	case POL_AUDIT_P_SEQ_GAP: return "missing_entries";
	case POL_AUDIT_P_SEQ_REPEAT: return "repeated_entries";
	case POL_AUDIT_P_NO_MAC: return "missing_mac";
	case POL_AUDIT_P_BAD_MAC: return "bad_mac";
	case POL_AUDIT_P_TORN_TAIL: return "torn_last_line";
	case POL_AUDIT_P_HEAD_INVALID: return "head_invalid";
	case POL_AUDIT_P_TRUNCATED: return "truncated";
	case POL_AUDIT_P_HEAD_MISMATCH: return "head_mismatch";
	case POL_AUDIT_P_SESSION_UNCLOSED: return "session_unclosed";
	case POL_AUDIT_P_SESSION_RUNNING: return "session_running";
	}
	return "unknown";
}

/* Open-addressing set of 64-bit entry-id fingerprints. */
struct id_set {
	uint64_t *slots;
	size_t cap, used;
};

static uint64_t fingerprint(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h ? h : 1;
}

/* Returns 1 if already present, 0 if added, -ENOMEM. */
static int id_set_add(struct id_set *set, uint64_t h)
{
	if ((set->used + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		uint64_t *slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < set->cap; i++) {
			size_t j;

			if (!set->slots[i])
				continue;
			for (j = set->slots[i] & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
				;
			slots[j] = set->slots[i];
		}
		free(set->slots);
		set->slots = slots;
		set->cap = cap;
	}
	for (size_t j = h & (set->cap - 1);; j = (j + 1) & (set->cap - 1)) {
		if (set->slots[j] == h)
			return 1;
		if (!set->slots[j]) {
			set->slots[j] = h;
			set->used++;
			return 0;
		}
	}
}

/* What the parallel phase learned about one line. */
enum { REC_BLANK = 0, REC_TOO_LONG, REC_NOT_JSON, REC_ENTRY };
#define F_HASH       0x001u /* chain_hash is a 64-hex string */
#define F_HASH_OK    0x002u
#define F_PREV       0x004u /* previous_hash is a 64-hex string */
#define F_MAC_NONE   0x008u
#define F_MAC_BAD    0x010u
#define F_SEQ        0x020u
#define F_ID         0x040u
#define F_WOULD_DENY 0x080u
#define F_TORN       0x100u /* no newline after it */
#define F_ENOMEM     0x200u
#define F_MAC_SEEN   0x400u /* carries a mac member (counted without a key) */

struct line_rec {
	uint8_t kind;
	uint16_t flags;
	uint64_t seq;
	uint64_t id_fp;
	char hash[AUDIT_HASH_HEX];
	char prev[AUDIT_HASH_HEX];
	char id[33];
	struct audit_session_ref session;
};

struct worker {
	const char *start, *end;       /* whole lines */
	const unsigned char *key;
	size_t key_len;
	struct line_rec *recs;
	size_t n, cap;
	struct pol_json_arena *arena;
	struct pol_jbuf canon;
	EVP_MD_CTX *md;
	int error;
};

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
			return false;
	return true;
}

static bool hex_member(const struct pol_json *m, char out[AUDIT_HASH_HEX])
{
	if (!m || m->kind != POL_JSON_STRING || !audit_is_hash_hex(m->text, m->len))
		return false;
	memcpy(out, m->text, AUDIT_HASH_HEX);
	return true;
}

static void check_one(struct worker *w, struct line_rec *rec, const char *line, size_t len)
{
	const struct pol_json *hash = NULL, *prev = NULL, *mac = NULL, *seq = NULL, *id = NULL,
			      *would_deny = NULL, *action = NULL, *sid = NULL, *meta = NULL;
	char expect[AUDIT_HASH_HEX + 1], want_mac[AUDIT_HASH_HEX + 1], from[AUDIT_HASH_HEX + 1];
	struct pol_json *e;
	int r;

	if (len > POL_AUDIT_MAX_LINE) {
		rec->kind = REC_TOO_LONG;
		return;
	}
	pol_json_arena_reset(w->arena);
	r = pol_json_parse(w->arena, line, len, &e, NULL);
	if (r == -ENOMEM) {
		rec->flags |= F_ENOMEM;
		return;
	}
	if (r < 0 || e->kind != POL_JSON_OBJECT) {
		rec->kind = REC_NOT_JSON;
		return;
	}
	rec->kind = REC_ENTRY;
	/* one pass over the members (last duplicate wins, as in Python) */
	for (const struct pol_json *m = e->first; m; m = m->next) {
		switch (m->key_len) {
		case 3:
			if (!memcmp(m->key, "mac", 3))
				mac = m;
			else if (!memcmp(m->key, "seq", 3))
				seq = m;
			break;
		case 8:
			if (!memcmp(m->key, "entry_id", 8))
				id = m;
			else if (!memcmp(m->key, "metadata", 8))
				meta = m;
			break;
		case 10:
			if (!memcmp(m->key, "chain_hash", 10))
				hash = m;
			else if (!memcmp(m->key, "would_deny", 10))
				would_deny = m;
			else if (!memcmp(m->key, "session_id", 10))
				sid = m;
			break;
		case 11:
			if (!memcmp(m->key, "action_name", 11))
				action = m;
			break;
		case 13:
			if (!memcmp(m->key, "previous_hash", 13))
				prev = m;
			break;
		}
	}
	if (hex_member(hash, rec->hash))
		rec->flags |= F_HASH;
	if (hex_member(prev, rec->prev))
		rec->flags |= F_PREV;
	if (seq && seq->kind == POL_JSON_INT && seq->text[0] != '-' && seq->len < 20) {
		rec->flags |= F_SEQ;
		rec->seq = strtoull(seq->text, NULL, 10);
	}
	if (id && id->kind == POL_JSON_STRING) {
		rec->flags |= F_ID;
		rec->id_fp = fingerprint(id->text, id->len);
		snprintf(rec->id, sizeof(rec->id), "%.*s", (int)(id->len > 32 ? 32 : id->len),
			 id->text);
	}
	if (would_deny && would_deny->kind == POL_JSON_TRUE)
		rec->flags |= F_WOULD_DENY;
	if (mac)
		rec->flags |= F_MAC_SEEN;
	audit_session_ref_parse(action, sid, meta, &rec->session);
	if (rec->flags & F_HASH) {
		/* the link is judged against the stored previous hash; the
		 * ordered phase checks that it is the previous entry's hash */
		if (prev && prev->kind == POL_JSON_STRING && prev->len <= AUDIT_HASH_HEX) {
			memcpy(from, prev->text, prev->len);
			from[prev->len] = '\0';
		} else {
			from[0] = '\0';
		}
		w->canon.len = 0;
		if (pol_json_canon(e, audit_unhashed_keys, &w->canon) < 0 ||
		    audit_chain_hash(w->md, from, w->canon.data, w->canon.len, expect) < 0) {
			rec->flags |= F_ENOMEM;
			return;
		}
		if (!memcmp(expect, rec->hash, AUDIT_HASH_HEX))
			rec->flags |= F_HASH_OK;
	}
	if (w->key) {
		if (!mac || mac->kind != POL_JSON_STRING || mac->len != AUDIT_HASH_HEX)
			rec->flags |= F_MAC_NONE;
		else if (!(rec->flags & F_HASH) ||
			 audit_mac_hex(w->key, w->key_len, rec->hash, AUDIT_HASH_HEX, want_mac) < 0 ||
			 !audit_hex_equal(want_mac, mac->text, AUDIT_HASH_HEX))
			rec->flags |= F_MAC_BAD;
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	const char *p = w->start;

	w->n = 0;
	while (p < w->end) {
		const char *nl = memchr(p, '\n', (size_t)(w->end - p));
		const char *stop = nl ? nl : w->end;
		struct line_rec *rec;

		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 4096;
			struct line_rec *grown = realloc(w->recs, cap * sizeof(*grown));

			if (!grown) {
				w->error = -ENOMEM;
				return NULL;
			}
			w->recs = grown;
			w->cap = cap;
		}
		rec = &w->recs[w->n++];
		rec->kind = REC_BLANK;
		rec->flags = nl ? 0 : F_TORN;
		if (!blank(p, (size_t)(stop - p)))
			check_one(w, rec, p, (size_t)(stop - p));
		if (rec->flags & F_ENOMEM) {
			w->error = -ENOMEM;
			return NULL;
		}
		p = nl ? nl + 1 : w->end;
	}
	return NULL;
}

struct verifier {
	pol_audit_problem_fn on_problem;
	void *ctx;
	struct pol_audit_verify_result *res;
	uint64_t last_broken;   /* line index + 1 of the last broken line */
	bool keyed;

	char prev[AUDIT_HASH_HEX];  /* last stored chain_hash */
	bool prev_valid;
	bool seen_entry;
	bool have_seq;
	uint64_t last_seq;
	struct id_set ids;
	struct audit_sessions sessions;

	bool head_valid;
	struct audit_head head;
	bool head_entry_seen;
	bool sessions_on;
};

static void problem(struct verifier *v, uint64_t line, enum pol_audit_problem p,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem(struct verifier *v, uint64_t line, enum pol_audit_problem p,
		    const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	v->res->problems++;
	if (line != UINT64_MAX && v->last_broken != line + 1) {
		v->res->broken++;
		v->last_broken = line + 1;
	}
	if (v->on_problem)
		v->on_problem(v->ctx, line, p, detail);
}

/* The ordered phase for one line. */
static int link_one(struct verifier *v, uint64_t idx, const struct line_rec *rec)
{
	bool first = !v->seen_entry;
	int r;

	if (rec->kind == REC_BLANK)
		return 0;
	v->res->lines++;
	if (rec->kind == REC_TOO_LONG)
		problem(v, idx, POL_AUDIT_P_NOT_JSON, "line is longer than %d bytes",
			POL_AUDIT_MAX_LINE);
	else if (rec->kind == REC_NOT_JSON)
		problem(v, idx, POL_AUDIT_P_NOT_JSON, "line is not a json object");
	if (rec->kind != REC_ENTRY)
		goto torn;
	v->res->entries++;
	v->seen_entry = true;
	if (!(rec->flags & F_HASH))
		problem(v, idx, POL_AUDIT_P_NO_HASH, "entry has no valid chain_hash");
	else if (!(rec->flags & F_HASH_OK))
		problem(v, idx, POL_AUDIT_P_BAD_HASH, "chain_hash does not match the entry (edited?)");
	if (first && (rec->flags & F_SEQ) && rec->seq > 0 && (rec->flags & F_PREV) &&
	    memcmp(rec->prev, AUDIT_GENESIS, AUDIT_HASH_HEX)) {
		/* a later segment of a rotated log chains from its own start */
		v->res->continuation = true;
	} else if (!(rec->flags & F_PREV) ||
		   memcmp(rec->prev, first ? AUDIT_GENESIS : v->prev, AUDIT_HASH_HEX) ||
		   (!first && !v->prev_valid)) {
		problem(v, idx, POL_AUDIT_P_BAD_PREVIOUS, first ?
			"previous_hash of the first entry is not the genesis hash (entries removed from the start?)" :
			"previous_hash is not the chain_hash of the entry before (deleted, inserted or moved entry)");
	}
	if (!v->keyed && (rec->flags & F_MAC_SEEN))
		v->res->macs_unchecked++;
	if (rec->session.kind == AUDIT_SESSION_START) {
		v->res->sessions++;
		if ((r = audit_sessions_start(&v->sessions, &rec->session, idx)) < 0)
			return r;
	} else if (rec->session.kind == AUDIT_SESSION_END) {
		audit_sessions_end(&v->sessions, rec->session.sid);
	}
	if (v->keyed && (rec->flags & F_MAC_NONE))
		problem(v, idx, POL_AUDIT_P_NO_MAC, "entry has no mac");
	else if (v->keyed && (rec->flags & F_MAC_BAD))
		problem(v, idx, POL_AUDIT_P_BAD_MAC, "mac does not match (forged or wrong key)");
	if (rec->flags & F_SEQ) {
		uint64_t s = rec->seq;

		if (!v->have_seq)
			v->res->first_seq = s;
		if (v->have_seq && s > v->last_seq + 1)
			problem(v, idx, POL_AUDIT_P_SEQ_GAP, "seq %llu follows %llu: %llu entries missing",
				(unsigned long long)s, (unsigned long long)v->last_seq,
				(unsigned long long)(s - v->last_seq - 1));
		else if (v->have_seq && s <= v->last_seq)
			problem(v, idx, POL_AUDIT_P_SEQ_REPEAT, "seq %llu after %llu: entry repeated or moved",
				(unsigned long long)s, (unsigned long long)v->last_seq);
		if (v->head_valid && v->head.count > 0 && s == v->head.count - 1) {
			v->head_entry_seen = true;
			if (!(rec->flags & F_HASH) ||
			    memcmp(rec->hash, v->head.last_hash, AUDIT_HASH_HEX))
				problem(v, idx, POL_AUDIT_P_HEAD_MISMATCH,
					"entry seq %llu is not the one the head file records",
					(unsigned long long)s);
		}
		if (!v->have_seq || s > v->last_seq)
			v->last_seq = s;
		v->have_seq = true;
	}
	if (rec->flags & F_ID) {
		if ((r = id_set_add(&v->ids, rec->id_fp)) < 0)
			return r;
		/* advisory attestation entries shadow an entry under its id */
		if (r == 1 && !(rec->flags & F_WOULD_DENY))
			problem(v, idx, POL_AUDIT_P_DUPLICATE_ID, "entry_id '%s' appears again", rec->id);
	}
	/* advance from the stored hash, as the reference does */
	v->prev_valid = rec->flags & F_HASH;
	if (v->prev_valid)
		memcpy(v->prev, rec->hash, AUDIT_HASH_HEX);
torn:
	if (rec->flags & F_TORN)
		problem(v, idx, POL_AUDIT_P_TORN_TAIL, "last line has no newline (torn write)");
	return 0;
}

/* Sessions started and never closed (docs/audit.md, "Sessions"): the
 * writer died (SIGKILL, crash, power loss) or is still running. Reported
 * through on_problem, counted apart from the problems. */
static void report_sessions(struct verifier *v)
{
	for (size_t i = 0; i < v->sessions.n; i++) {
		const struct audit_open_session *o = &v->sessions.v[i];
		int alive = o->id_known ? pol_audit_proc_alive(&o->id) : -EINVAL;
		char detail[256];

		if (alive == 0) {
			v->res->sessions_unclosed++;
			snprintf(detail, sizeof(detail),
				 "session %s (pid %d) ended without a closing entry: the supervisor died",
				 o->sid, o->id.pid);
		} else {
			v->res->sessions_running++;
			snprintf(detail, sizeof(detail),
				 alive == 1 ? "session %s (pid %d) has no closing entry yet: the supervisor is still running"
					    : "session %s (pid %d) has no closing entry and whether its supervisor still runs cannot be told (process hidden or identity missing)",
				 o->sid, o->id.pid);
		}
		if (v->on_problem)
			v->on_problem(v->ctx, o->line, alive == 0 ? POL_AUDIT_P_SESSION_UNCLOSED
								  : POL_AUDIT_P_SESSION_RUNNING, detail);
	}
}

#define BATCH_BYTES (8u << 20)
#define MAX_WORKERS 8

/* Split [p, end) into n ranges of whole lines. */
static void split(const char *p, const char *end, struct worker *w, int n)
{
	size_t part = (size_t)(end - p) / (size_t)n;

	for (int i = 0; i < n; i++) {
		const char *stop = end;

		if (i < n - 1 && p + part < end) {
			const char *nl = memchr(p + part, '\n', (size_t)(end - (p + part)));

			stop = nl ? nl + 1 : end;
		}
		w[i].start = p;
		w[i].end = stop;
		p = stop;
	}
}

int pol_audit_verify(const char *path, const unsigned char *key, size_t key_len,
		     unsigned flags, pol_audit_problem_fn on_problem, void *ctx,
		     struct pol_audit_verify_result *result)
{
	struct verifier v = { .on_problem = on_problem, .ctx = ctx, .res = result,
			      .keyed = key != NULL };
	struct worker w[MAX_WORKERS];
	struct audit_map m = { .data = NULL };
	const char *p, *end;
	int n_workers = 1, fd, r = 0;
	struct stat st;
	uint64_t idx = 0;
	char *head_path = NULL;

	memset(result, 0, sizeof(*result));
	v.sessions_on = !(flags & POL_AUDIT_VERIFY_NO_SESSIONS);
	memset(w, 0, sizeof(w));
	if (flags & POL_AUDIT_VERIFY_THREADS) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		n_workers = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (int)cpus;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	for (int i = 0; i < n_workers; i++) {
		w[i].key = key;
		w[i].key_len = key_len;
		w[i].arena = pol_json_arena_new();
		w[i].md = EVP_MD_CTX_new();
		if (!w[i].arena || !w[i].md) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (!(flags & POL_AUDIT_VERIFY_NO_HEAD)) {
		head_path = pol_audit_head_path(path);
		if (!head_path) {
			r = -ENOMEM;
			goto out;
		}
		r = audit_head_read(head_path, key, key_len, &v.head);
		if (r == 0) {
			v.head_valid = true;
			result->head_checked = true;
		} else if (r != -ENOENT) {
			result->head_checked = true;
			problem(&v, UINT64_MAX, POL_AUDIT_P_HEAD_INVALID,
				"head file '%s' is unreadable, malformed or its mac is wrong", head_path);
		}
		r = 0;
	}
	/* the file as it is, or a compressed rotated log inflated */
	if ((r = audit_map_open(fd, &st, &m)) < 0)
		goto out;
	p = m.data;
	end = m.data ? m.data + m.len : NULL;
	while (p && p < end) {
		const char *stop = end;
		pthread_t tids[MAX_WORKERS];
		bool started[MAX_WORKERS] = { false };

		/* a batch of whole lines */
		if ((size_t)(end - p) > BATCH_BYTES) {
			const char *nl = memchr(p + BATCH_BYTES, '\n', (size_t)(end - p) - BATCH_BYTES);

			stop = nl ? nl + 1 : end;
		}
		split(p, stop, w, n_workers);
		for (int i = 1; i < n_workers; i++)
			started[i] = pthread_create(&tids[i], NULL, work, &w[i]) == 0;
		work(&w[0]);
		for (int i = 1; i < n_workers; i++) {
			if (started[i])
				pthread_join(tids[i], NULL);
			else
				work(&w[i]);
		}
		for (int i = 0; i < n_workers; i++) {
			if (w[i].error) {
				r = w[i].error;
				goto out;
			}
			for (size_t k = 0; k < w[i].n; k++)
				if ((r = link_one(&v, idx++, &w[i].recs[k])) < 0)
					goto out;
		}
		p = stop;
	}
	if (v.head_valid && v.head.count > 0 && !v.head_entry_seen &&
	    (!v.have_seq || v.last_seq < v.head.count - 1))
		problem(&v, UINT64_MAX, POL_AUDIT_P_TRUNCATED,
			"head file records %llu entries but the log %s%llu",
			(unsigned long long)v.head.count, v.have_seq ? "ends at seq " : "has entries: ",
			(unsigned long long)(v.have_seq ? v.last_seq : v.res->entries));
	if (v.sessions_on)
		report_sessions(&v);
out:
	audit_map_close(&m);
	close(fd);
	free(head_path);
	free(v.ids.slots);
	audit_sessions_free(&v.sessions);
	for (int i = 0; i < MAX_WORKERS; i++) {
		free(w[i].recs);
		pol_jbuf_release(&w[i].canon);
		pol_json_arena_free(w[i].arena);
		EVP_MD_CTX_free(w[i].md);
	}
	return r;
}
