/*
 * The audit log (DESIGN §8): JSONL, one entry per verdict, SHA-256 hash
 * chained, optionally HMACed, appended with one write(O_APPEND) under
 * flock before the gated call is released.
 *
 * This header states the contract the supervisor relies on; audit.c and
 * its companions implement it. Thread-safety: one struct pol_audit_log may
 * be shared by threads; appends are serialized internally (and across
 * processes with flock). Errors are negative errno values.
 */
#ifndef ATTESTA_AUDIT_H
#define ATTESTA_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

struct cJSON;
struct pol_audit_log;

/* How durable an entry must be before pol_audit_append() returns
 * (audit.sync: tiered). */
enum pol_audit_kind {
	POL_AUDIT_AUTO = 0,   /* auto-approved: durable within sync_window_ms */
	POL_AUDIT_DENY,       /* any deny: durable before return */
	POL_AUDIT_HUMAN,      /* a human decision: durable before return */
	POL_AUDIT_ATTESTATION,/* attestation entries: durable before return */
	POL_AUDIT_SYSTEM,     /* repairs, start/stop records: durable before return */
};

/* Open (creating 0600, parents 0700) the log named by config->audit_path
 * (path overrides it when not NULL), recover the last hash from the tail
 * only, repair a torn last line (truncate + append a repair entry), load
 * the HMAC key if configured (a missing, empty, or group/world-readable
 * key file is an error). diag says why on failure. */
int pol_audit_open(const struct pol_config *config, const char *path,
		   struct pol_audit_log **ret_log, struct pol_diag *diag);
/* Flush pending syncs and close. NULL is a no-op. */
void pol_audit_close(struct pol_audit_log *log);

/* Append one entry. fields is an object holding the entry's fields
 * (reference and syscall fields, DESIGN §8) except entry_id,
 * previous_hash, chain_hash and mac, which this function sets (entry_id
 * is kept if fields already has one: advisory attestation entries reuse
 * the audit_id of the entry they shadow). On success ret_entry_id (if not
 * NULL, >= 33 bytes) receives the entry id. The entry is written with one
 * write() before return and is durable as `kind` and audit.sync require.
 * Any failure (ENOSPC, EIO, lock) is returned and the log is left without
 * a partial line. fields is not consumed. */
int pol_audit_append(struct pol_audit_log *log, struct cJSON *fields,
		     enum pol_audit_kind kind, char *ret_entry_id, size_t id_size);

/* Make every entry written so far durable now (group commit). */
int pol_audit_sync(struct pol_audit_log *log);

/* Milliseconds until the next pending group commit is due, or -1 if none:
 * an event loop calls pol_audit_sync() when it elapses. */
int pol_audit_sync_due_ms(struct pol_audit_log *log);

#endif
