/*
 * Supervisor side of the shim protocol (supervisor/common/shim_proto.h):
 * a bounded parser for one datagram from libattesta-preload.so, and a small
 * table that keeps the parsed annotations per thread for a short time so
 * the notification loop can ask "what did tid X say about this call".
 *
 * Trust: every byte comes from the sandboxed agent, which can write
 * anything to the shim socket. The parser validates the whole datagram
 * before any field is used; the table rate-limits per claimed pid, expires
 * entries, and never grows beyond its capacity. Annotations are context for
 * prompts and audit entries, never authority (docs/SECURITY.md): a host name
 * must be verified by the supervisor's own resolution before it may lower
 * risk.
 *
 * Thread-safety: sup_shim_parse is pure and reentrant. A table is not
 * thread-safe; the event loop owns it.
 */
#ifndef ATTESTA_SUP_SHIM_MSG_H
#define ATTESTA_SUP_SHIM_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/common/shim_proto.h"

/* One validated message. type says which member of u is valid; hdr is
 * always valid. Guarantees after a successful parse: strings are
 * NUL-terminated at their *_len and zero after it, counts are within their
 * arrays, enums are known values, host names contain only [A-Za-z0-9._-],
 * tid and pid are > 0. The call text is arbitrary bytes (a shell command):
 * escape it before showing it on a terminal. */
struct sup_shim_msg {
	uint16_t type; /* enum shim_msg_type */
	union {
		struct shim_hdr hdr;
		struct shim_resolve_msg resolve;
		struct shim_call_msg call;
	} u;
};

/* Validate the datagram buf[len] (as received, no alignment needed) and
 * copy it into *ret_msg, which is written only on success. Errors:
 *   -EINVAL           buf or ret_msg NULL
 *   -EMSGSIZE         len shorter than a header, longer than
 *                     POL_SHIM_MAX_MSG, different from hdr.size, or not
 *                     the fixed size of its type
 *   -EPROTO           bad magic
 *   -EPROTONOSUPPORT  version is not SHIM_PROTO_VERSION
 *   -ENOMSG           unknown message type
 *   -EBADMSG          any field out of range: tid/pid <= 0, non-zero
 *                     reserved field or padding, unknown api/entry/flags/
 *                     family, naddr 0 or > SHIM_MAX_ADDRS, a string not
 *                     NUL-terminated at its length or with bytes after
 *                     the NUL, a host name with other characters than
 *                     [A-Za-z0-9._-], fd < -1 */
int sup_shim_parse(const void *buf, size_t len, struct sup_shim_msg *ret_msg);

/* Validate a GATE_REQUEST datagram buf[len] received on the gate socket
 * (shim-only mode) and copy it into *ret_req, written only on success.
 * Errors as sup_shim_parse (-EMSGSIZE unless len == hdr.size ==
 * sizeof(struct shim_gate_request); -ENOMSG for any other type), and
 * -EBADMSG also for: an entry whose syscall is not nr (exec, spawn,
 * system and popen entries make execve; unlink unlink; unlinkat unlinkat;
 * rmdir rmdir; remove unlink or rmdir; connect connect; sendto sendto;
 * sendmsg sendmsg), flags other than SHIM_CALL_TEXT_TRUNCATED, text not
 * NUL-terminated at text_len with zeros after it. The args are the
 * agent's claims: decode them like a seccomp notification's. */
int sup_shim_parse_gate(const void *buf, size_t len, struct shim_gate_request *ret_req);

/* Fill *ret_verdict answering req: allow, or deny with error (1..4095,
 * anything else becomes EPERM). */
void sup_shim_gate_verdict(const struct shim_gate_request *req, int allow, int error,
			   struct shim_gate_verdict *ret_verdict);

/* Short name of an entry or api value ("connect", "getaddrinfo"); "?" for
 * an unknown value. Static storage. */
const char *sup_shim_entry_name(unsigned entry);

/* Entry masks for sup_shim_table_take_call: bit (1u << entry). */
#define SUP_SHIM_MASK(entry) (1u << (entry))
#define SUP_SHIM_MASK_CONNECT SUP_SHIM_MASK(SHIM_ENTRY_CONNECT)
#define SUP_SHIM_MASK_SENDTO SUP_SHIM_MASK(SHIM_ENTRY_SENDTO)
#define SUP_SHIM_MASK_EXEC                                                                  \
	(SUP_SHIM_MASK(SHIM_ENTRY_EXECVE) | SUP_SHIM_MASK(SHIM_ENTRY_EXECV) |                 \
	 SUP_SHIM_MASK(SHIM_ENTRY_EXECVP) | SUP_SHIM_MASK(SHIM_ENTRY_EXECVPE) |               \
	 SUP_SHIM_MASK(SHIM_ENTRY_EXECL) | SUP_SHIM_MASK(SHIM_ENTRY_EXECLP) |                 \
	 SUP_SHIM_MASK(SHIM_ENTRY_EXECLE))
/* Entries whose exec happens in a (v)forked child of the caller. */
#define SUP_SHIM_MASK_SPAWN                                                                 \
	(SUP_SHIM_MASK(SHIM_ENTRY_POSIX_SPAWN) | SUP_SHIM_MASK(SHIM_ENTRY_POSIX_SPAWNP) |     \
	 SUP_SHIM_MASK(SHIM_ENTRY_SYSTEM) | SUP_SHIM_MASK(SHIM_ENTRY_POPEN))
#define SUP_SHIM_MASK_SENDMSG SUP_SHIM_MASK(SHIM_ENTRY_SENDMSG)

/* Table parameters; 0 in any field means its default. */
struct sup_shim_table_opts {
	uint32_t capacity;       /* entries kept, default 256, max 65536 */
	uint32_t call_ttl_ms;    /* call annotations, default 2000 */
	uint32_t resolve_ttl_ms; /* name -> address records, default 60000 */
	uint32_t rate_per_sec;   /* messages accepted per pid per second, default 200 */
	uint32_t burst;          /* bucket size, default 400 */
};

/* Counters, for the supervisor's diagnostics and the audit summary. */
struct sup_shim_stats {
	uint64_t accepted;
	uint64_t rate_limited;
	uint64_t sender_mismatch;
	uint64_t garbage; /* datagrams sup_shim_parse rejected (caller counts) */
	uint64_t evicted; /* live entries pushed out by a full table */
};

struct sup_shim_table;

/* New table; opts may be NULL (all defaults). -EINVAL for a capacity
 * above the maximum, -ENOMEM. sup_shim_table_free(NULL) is a no-op. */
int sup_shim_table_new(const struct sup_shim_table_opts *opts, struct sup_shim_table **ret_table);
void sup_shim_table_free(struct sup_shim_table *table);

/* Store a parsed message received at now_ms (CLOCK_MONOTONIC, ms; the
 * shim's clock is never used). sender_pid, when > 0, is the kernel-verified
 * sender (SCM_CREDENTIALS) in the same pid namespace as the message's pid
 * field; a message claiming another pid is refused. A new call message
 * from a tid replaces that tid's pending one; a resolve message replaces
 * the same tid's record of the same name. A full table evicts expired
 * entries first, then the oldest. Errors: -EINVAL (NULL, or a message type
 * the table does not keep), -EAGAIN (the pid's rate limit is exhausted;
 * dropped), -EPERM (sender mismatch; dropped). */
int sup_shim_table_add(struct sup_shim_table *table, const struct sup_shim_msg *msg,
		       pid_t sender_pid, uint64_t now_ms);

/* Count one datagram that failed to parse. */
void sup_shim_table_note_garbage(struct sup_shim_table *table);

/* Take (remove and return) the pending call annotation of thread tid whose
 * entry is in mask. Entries older than the call TTL are ignored (and
 * dropped). -ENOENT if none. */
int sup_shim_table_take_call(struct sup_shim_table *table, pid_t tid, uint32_t mask,
			     uint64_t now_ms, struct shim_call_msg *ret_call);

/* The same, for any thread of process pid: the newest match. For execs
 * made by a vfork child on behalf of posix_spawn/system/popen, pass the
 * child's parent pid and SUP_SHIM_MASK_SPAWN. */
int sup_shim_table_take_call_by_pid(struct sup_shim_table *table, pid_t pid, uint32_t mask,
				    uint64_t now_ms, struct shim_call_msg *ret_call);

/* The name process pid (thread tid preferred, then any thread: resolvers
 * often run on another thread than the connect) most recently resolved to
 * an address equal to addr (family and address bytes; port ignored).
 * Copies the name into ret_name[cap] (cap > POL_SHIM_MAX_HOST is always
 * enough). The record stays (several connects may follow one lookup).
 * -ENOENT if none within the resolve TTL, -ENOSPC if cap is too small,
 * -EINVAL for NULL arguments. UNVERIFIED: the caller must resolve the name
 * itself before trusting it. */
int sup_shim_table_lookup_name(struct sup_shim_table *table, pid_t pid, pid_t tid,
			       const struct shim_addr *addr, uint64_t now_ms, char *ret_name,
			       size_t cap);

void sup_shim_table_stats(const struct sup_shim_table *table, struct sup_shim_stats *ret_stats);

#endif
