/*
 * Shared pieces of the audit modules (audit_entry.c, audit_write.c,
 * audit_verify.c, audit_read.c): hashing, MACs, the head file. Not a
 * public header: only policy/audit*.c include it.
 */
#ifndef ATTESTA_AUDIT_INTERNAL_H
#define ATTESTA_AUDIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "canonjson.h"

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_HASH_HEX 64

/* Keys left out of the chain hash. */
extern const char *const audit_unhashed_keys[];

struct evp_md_ctx_st;

/* sha256_hex(prev + canonical) with a reusable digest context (NULL: a
 * one-off context). out gets 64 hex digits + NUL. 0 or -ENOMEM/-EIO. */
int audit_chain_hash(struct evp_md_ctx_st *md, const char *prev, const char *canonical,
		     size_t canonical_len, char out[AUDIT_HASH_HEX + 1]);
/* HMAC-SHA256(key, msg) as 64 hex digits. */
int audit_mac_hex(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len,
		  char out[AUDIT_HASH_HEX + 1]);
/* Constant-time comparison of two equal-length strings. */
bool audit_hex_equal(const char *a, const char *b, size_t len);
bool audit_is_hash_hex(const char *s, size_t len);

/* The same from 16 random bytes the caller drew (a writer draws many ids'
 * worth with one getrandom()). */
void audit_entry_id_format(const unsigned char random16[16], char out[33]);
int audit_random(unsigned char *buf, size_t len);

/* Head file: last chain hash and entry count (seq of the last entry + 1). */
struct audit_head {
	char last_hash[AUDIT_HASH_HEX + 1];
	uint64_t count;
};
/* Read and check the head (with key, its mac must be valid). -ENOENT if
 * absent, -EBADMSG if malformed or the mac is wrong or missing. */
int audit_head_read(const char *head_path, const unsigned char *key, size_t key_len,
		    struct audit_head *ret_head);
/* Write atomically: temp file beside it, fsync, rename. */
int audit_head_write(const char *head_path, const unsigned char *key, size_t key_len,
		     const struct audit_head *head);

/* Sessions started and not (yet) closed, in log order (audit_session.c). */
#define AUDIT_SESSION_ID_MAX 64
struct audit_open_session {
	char sid[AUDIT_SESSION_ID_MAX + 1];
	uint64_t line;                /* line index of its start entry */
	bool id_known;
	struct pol_audit_proc_id id;  /* the writer */
};
struct audit_sessions {
	struct audit_open_session *v;
	size_t n, cap;
};
/* What a session entry says (audit_session_ref_parse): kind 0 for any
 * other entry. */
enum { AUDIT_SESSION_NONE = 0, AUDIT_SESSION_START, AUDIT_SESSION_END };
struct audit_session_ref {
	uint8_t kind;
	bool id_known;                /* start: supervisor_* and boot_id valid */
	char sid[AUDIT_SESSION_ID_MAX + 1];
	struct pol_audit_proc_id id;
};
/* From an entry's action_name, session_id and metadata members (each may
 * be NULL). */
void audit_session_ref_parse(const struct pol_json *action_name, const struct pol_json *session_id,
			     const struct pol_json *metadata, struct audit_session_ref *out);
int audit_sessions_start(struct audit_sessions *s, const struct audit_session_ref *ref,
			 uint64_t line);
void audit_sessions_end(struct audit_sessions *s, const char *sid);
void audit_sessions_free(struct audit_sessions *s);
/* Read this process's identity into a cache (pol_audit_warm). */
void audit_proc_identity_warm(void);

#endif
