/*
 * The audit log (docs/audit.md): JSONL, one entry per verdict, SHA-256 hash
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
	POL_AUDIT_DEFERRED,   /* durable within sync_window_ms, or with the next
			       * entry made durable (any audit.sync but off):
			       * the session-start entry, which must not cost
			       * start-up an fdatasync (docs/audit.md) */
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
/* Bytes of a torn last line pol_audit_open removed (and recorded as a
 * repair entry), 0 when the tail was whole. The caller tells the user:
 * this module never prints. */
size_t pol_audit_repaired_bytes(const struct pol_audit_log *log);

/* Append one entry. fields is an object holding the entry's fields
 * (reference and syscall fields, docs/audit.md) except entry_id,
 * previous_hash, chain_hash and mac, which this function sets (entry_id
 * is kept if fields already has one: advisory attestation entries reuse
 * the audit_id of the entry they shadow). On success ret_entry_id (if not
 * NULL, >= 33 bytes) receives the entry id. The entry is written with one
 * write() before return and is durable as `kind` and audit.sync require.
 * Any failure (ENOSPC, EIO, lock) is returned and the log is left without
 * a partial line. fields is not consumed.
 *
 * Numbers: a cJSON number is written as an integer when integral and
 * below 2^53, else as a float; risk_score, review_duration_seconds,
 * score, weight, contribution and boost are always floats; a cJSON_Raw
 * member is written exactly (e.g. "2.0"). Strings are bytes: invalid
 * UTF-8 is kept as \udcXX (surrogateescape). Missing reference fields get
 * the reference defaults; the writer adds entry_id, seq, previous_hash,
 * chain_hash and mac. Errors: -ENOSPC/-EIO/-EFBIG... from the file,
 * -E2BIG for an entry over POL_AUDIT_MAX_LINE, -EBADMSG if another writer
 * left a last line that is not an entry, -EINVAL for bad fields, -ENOMEM. */
int pol_audit_append(struct pol_audit_log *log, struct cJSON *fields,
		     enum pol_audit_kind kind, char *ret_entry_id, size_t id_size);

/* The same for fields built as a pol_json object (canonjson.h) in an
 * arena the caller owns and keeps alive until this returns: no cJSON tree
 * to build and convert (the supervisor's per-decision path). Numbers must
 * be made as pol_json_from_cjson() would make them with
 * pol_audit_float_keys (pol_json_number(); members named there are always
 * floats). The object's members are changed (owned keys dropped, missing
 * defaults added from the calling thread's own arena: do not use the
 * object after the thread's next append). Strings may be borrowed
 * (pol_json_string_borrow) from memory that lives until this returns.
 * Members in strict key order are written without a sort. Same results
 * as pol_audit_append().
 *
 * Threads: both appends may be called from any number of threads at
 * once; the entry is built and made canonical without the log's lock,
 * which is held only to chain, hash and write it (one ordered chain). */
struct pol_json;
int pol_audit_append_json(struct pol_audit_log *log, struct pol_json *fields,
			  enum pol_audit_kind kind, char *ret_entry_id, size_t id_size);
/* Reference fields whose numbers are always floats, even when integral
 * (risk_score, review_duration_seconds, score, ...). NULL-terminated. */
extern const char *const pol_audit_float_keys[];

/* Make every entry written so far durable now (group commit; with
 * audit.sync: off, no fdatasync) and bring the head file up to date. */
int pol_audit_sync(struct pol_audit_log *log);

/* Milliseconds until pol_audit_sync() is next due (a pending group commit
 * of auto-approved entries within sync_window_ms, or the head file about
 * a second after the last entry), or -1 if none: an event loop calls
 * pol_audit_sync() when it elapses. */
int pol_audit_sync_due_ms(struct pol_audit_log *log);

/* Opt-in for a long-running writer (attesta-run): start a helper thread
 * that does the group commits of auto-approved entries (tiered), keeps the
 * head file about a second behind, and lets appends keep the file lock
 * between entries, releasing it within sync_window_ms (other processes
 * sharing the log wait at most that long). Appends then cost no fdatasync,
 * flock or timer on the caller's thread; pol_audit_sync_due_ms() returns
 * -1 from then on (nothing for an event loop to do). Durability is as
 * before: auto entries within the window, others before append returns.
 * A failed background fdatasync is returned by the next append (fail
 * closed). Call at most once, after any fork() of the process that could
 * touch the log; pol_audit_close() stops the thread. 0 or -errno. */
int pol_audit_background_sync(struct pol_audit_log *log);

/* While the agent runs, leave the head file as it is (defer true) and
 * bring it up to date at pol_audit_close(): attesta-run's sandbox
 * protects the head with a read-only bind mount of the file itself, and
 * replacing the file (rename) would detach that mount (docs/SECURITY.md,
 * "The gate's own files"). */
void pol_audit_defer_head(struct pol_audit_log *log, bool defer);

/* Write the head file now, also when it is up to date (creates a missing
 * one). 0 or -errno; -EINVAL for a legacy log without seq. */
int pol_audit_write_head(struct pol_audit_log *log);

/* The head file's path (the log's path + ".head"). */
const char *pol_audit_head_file(const struct pol_audit_log *log);

/* --- additions: reading and verifying (audit_verify.c, audit_read.c) ---- */

struct pol_json;

/* Each entry also carries "seq" (its 0-based position in the chain since
 * genesis, continued across copytruncate rotation) so start-up learns the
 * count from the last line alone and verify can name missing entries. */

/* Load an HMAC key file. -ENOENT/-EACCES/... if it cannot be read,
 * -EPERM if it is group/world-accessible or not a regular file, -ENODATA if
 * empty, -EFBIG over POL_AUDIT_KEY_MAX_BYTES. The key is the file's bytes
 * as they are (a trailing newline is part of the key). On success
 * *ret_key (malloc'ed, caller frees) and *ret_len are set. */
int pol_audit_key_load(const char *path, unsigned char **ret_key, size_t *ret_len,
		       struct pol_diag *diag);

/* What verify found wrong with one line (or the file). */
enum pol_audit_problem {
	POL_AUDIT_P_NOT_JSON = 1,    /* not JSON, not an object, or too long */
	POL_AUDIT_P_NO_HASH,         /* object without a string chain_hash */
	POL_AUDIT_P_BAD_HASH,        /* chain_hash does not match the content */
	POL_AUDIT_P_BAD_PREVIOUS,    /* previous_hash is not the last chain_hash */
	POL_AUDIT_P_DUPLICATE_ID,    /* entry_id seen before (not an advisory shadow) */
	POL_AUDIT_P_SEQ_GAP,         /* seq skips: entries missing */
	POL_AUDIT_P_SEQ_REPEAT,      /* seq goes back: entries repeated or swapped */
	POL_AUDIT_P_NO_MAC,          /* a key is given and the entry has no mac */
	POL_AUDIT_P_BAD_MAC,         /* mac does not match */
	POL_AUDIT_P_TORN_TAIL,       /* the last line has no newline */
	POL_AUDIT_P_HEAD_INVALID,    /* head file unreadable, malformed or bad mac */
	POL_AUDIT_P_TRUNCATED,       /* the head records entries the log lacks */
	POL_AUDIT_P_HEAD_MISMATCH,   /* the entry the head names has another hash */
	/* Session reports (docs/audit.md, "Sessions"): not counted in
	 * problems or broken; see the result's session counts. */
	POL_AUDIT_P_SESSION_UNCLOSED,/* started, no closing entry, writer gone */
	POL_AUDIT_P_SESSION_RUNNING, /* started, no closing entry, writer alive */
};
const char *pol_audit_problem_name(enum pol_audit_problem problem);

/* Called once per problem: line is the 0-based line index (as the
 * reference's verify_chain counts, blank lines included), or UINT64_MAX for
 * problems of the whole file; detail is a short lowercase explanation. */
typedef void (*pol_audit_problem_fn)(void *ctx, uint64_t line, enum pol_audit_problem problem,
				     const char *detail);

struct pol_audit_verify_result {
	uint64_t lines;        /* non-blank lines read */
	uint64_t entries;      /* lines that parsed as entries */
	uint64_t broken;       /* distinct broken line indexes */
	uint64_t problems;     /* problem reports (a line may have several) */
	bool head_checked;     /* a head file was found and compared */
	uint64_t first_seq;    /* seq of the first entry (0 unless rotated) */
	bool continuation;     /* the log continues a rotated one */
	uint64_t macs_unchecked; /* without a key: entries that carry a mac */
	uint64_t sessions;       /* session-start entries */
	uint64_t sessions_unclosed; /* ... without a closing entry, writer gone */
	uint64_t sessions_running;  /* ... without a closing entry, writer alive */
};

#define POL_AUDIT_VERIFY_NO_HEAD 0x1u /* ignore path + ".head" */
#define POL_AUDIT_VERIFY_THREADS 0x2u /* hash on all CPUs (same result) */
#define POL_AUDIT_VERIFY_NO_SESSIONS 0x4u /* do not report unclosed sessions */

/* Session entries (docs/audit.md, "Sessions"): attesta-run appends one
 * when it starts and one when it exits in order; metadata names the
 * writer process (supervisor_pid, supervisor_start_ticks: field 22 of
 * /proc/PID/stat, boot_id) so verify can tell a writer that died from one
 * still running. */
#define POL_AUDIT_SESSION_START "session.start"
#define POL_AUDIT_SESSION_END "session.end"
#define POL_AUDIT_BOOT_ID_LEN 36

struct pol_audit_proc_id {
	int pid;
	uint64_t start_ticks;                   /* /proc/PID/stat field 22 */
	char boot_id[POL_AUDIT_BOOT_ID_LEN + 1]; /* /proc/sys/kernel/random/boot_id */
};

/* The identity of process pid (0: this process). 0 or -errno (-ENOENT:
 * no such process). */
int pol_audit_proc_identity(int pid, struct pol_audit_proc_id *ret_id);

/* Field 22 of /proc/PID/stat (starttime, clock ticks after boot; pid 0:
 * this process) and whether it has exited (a zombie). The command name
 * may hold spaces and parentheses: fields are counted after its last ')'.
 * 0, -ENOENT (no such process), -EIO (unparsable). */
int pol_audit_proc_start_ticks(int pid, uint64_t *ret, bool *ret_exited);

/* 1 if the process id names is running now (same boot, same pid, same
 * start time), 0 if not, -errno if that cannot be told. */
int pol_audit_proc_alive(const struct pol_audit_proc_id *id);

/* Verify the whole log at path. key/key_len (key may be NULL) is the HMAC
 * key: with one, every entry needs a valid mac and the head file its mac.
 * Returns 0 when the file could be read (look at result->broken /
 * problems), -ENOENT/-EACCES/-EIO... when it could not, -ENOMEM. */
int pol_audit_verify(const char *path, const unsigned char *key, size_t key_len,
		     unsigned flags, pol_audit_problem_fn on_problem, void *ctx,
		     struct pol_audit_verify_result *result);

/* Iterate over the entries of a log for the CLI: fn gets the line index,
 * the parsed object (valid only during the call) and the raw line. Lines
 * that do not parse as objects are skipped. fn returns 0 to continue, a
 * positive value to stop (returned), or -errno (returned). */
typedef int (*pol_audit_entry_fn)(void *ctx, uint64_t line, const struct pol_json *entry,
				  const char *raw, size_t raw_len);
int pol_audit_read(const char *path, pol_audit_entry_fn fn, void *ctx);

/* Path of the head file of a log: path + ".head" (malloc'ed), NULL on ENOMEM. */
char *pol_audit_head_path(const char *path);

#endif
