/*
 * The writer's state, shared by audit_open.c (open, tail recovery, repair)
 * and audit_write.c (append, sync tiers, head file, close). Not a public
 * header: only those two include it.
 */
#ifndef ATTESTA_AUDIT_WRITER_H
#define ATTESTA_AUDIT_WRITER_H

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/types.h>
#include <time.h>

#include "audit.h"
#include "audit_internal.h"
#include "canonjson.h"

/* Random bytes for entry ids, drawn 64 ids at a time (used: bytes
 * taken; 0: draw again). */
struct audit_id_pool {
	unsigned char bytes[16 * 64];
	size_t used;
};

/* Members spliced into an entry by the writer (audit_build.c). */
#define AUDIT_SPLICED 5

/* One entry made ready outside log->lock (audit_prepare): its canonical
 * form without entry_id, previous_hash, seq, chain_hash and mac, where
 * each of them goes, and the entry id. */
struct audit_prepared {
	struct pol_jbuf canon;
	struct pol_json_mark marks[AUDIT_SPLICED];
	char id[128];             /* entry_id as a C string */
	struct pol_jbuf id_json;  /* the same as a canonical JSON string */
};

struct pol_audit_log {
	pthread_mutex_t lock;     /* appends and the chain state below */
	pthread_cond_t synced;    /* group commit: a sync finished */
	pthread_mutex_t head_lock;
	int fd;
	char *path;
	char *head_path;
	unsigned char *key;
	size_t key_len;
	enum pol_audit_sync sync_mode;
	unsigned window_ms;
	size_t repaired_bytes;    /* torn tail removed by pol_audit_open (0: none) */

	char last_hash[AUDIT_HASH_HEX + 1];
	uint64_t count;           /* seq of the next entry */
	bool seq_known;           /* false for a legacy log without seq */
	off_t known_size;         /* file size after our last write */

	uint64_t written_gen, synced_gen;
	bool syncing;
	int sync_error;
	struct timespec pending_since; /* first unsynced auto entry */
	bool pending;
	uint64_t head_count;      /* count the head file was last written with */
	uint64_t head_written_ms; /* CLOCK_MONOTONIC ms of that write (or open) */
	bool head_deferred;       /* pol_audit_defer_head: not rewritten until close */

	struct audit_id_pool ids;  /* the repair entry's id (audit_append_locked) */

	/* pol_audit_background_sync(): a thread does the group commits, the
	 * head file and releases the file lock, which appends then keep
	 * between entries for at most window_ms (other writers wait that
	 * long at most). */
	bool bg;
	bool bg_stop;
	pthread_t bg_thread;
	pthread_cond_t bg_wake;   /* CLOCK_MONOTONIC */
	bool flock_held;          /* LOCK_EX kept since lock_since_ms */
	uint64_t lock_since_ms;

	struct pol_json_arena *arena;
	struct pol_jbuf scratch, line;
	EVP_MD_CTX *md;
};

/* A torn last line that start-up cut off. */
struct audit_torn {
	off_t offset;
	size_t removed;
	char sha256[AUDIT_HASH_HEX + 1];
};

/* Tail window read first at start-up and after other writers appended. */
#define AUDIT_TAIL_FIRST_WINDOW (16 * 1024)

static inline uint64_t audit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline int audit_lock_file(int fd, int op)
{
	while (flock(fd, op) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* With the file locked: read the tail, cut a torn last line (ret_torn says
 * what was removed), recover last_hash/count/seq_known. 0, 1 for an empty
 * log (nothing recovered), or -errno (-EBADMSG: the last entry is not
 * valid; diag, if not NULL, says why). */
int audit_recover_tail(struct pol_audit_log *log, struct pol_diag *diag,
		       struct audit_torn *ret_torn);
/* Append the entry recording a torn-line repair (file locked). */
int audit_record_repair(struct pol_audit_log *log, const struct audit_torn *torn);
/* Make entry (an object; members are dropped and added: nodes from
 * arena, which must outlive p's use) ready to chain: no lock needed. An
 * id is drawn from ids unless entry has a string entry_id. 0, -EINVAL
 * (not an object), -ENOMEM or the error of getrandom. */
int audit_prepare(struct pol_json_arena *arena, struct pol_json *entry,
		  struct audit_id_pool *ids, struct audit_prepared *p);
void audit_prepared_release(struct audit_prepared *p);
/* audit_prepare() of fields (a cJSON tree, converted) or else of entry,
 * in this thread's own buffers: *ret is valid until the thread's next
 * call. No lock needed. */
int audit_prepare_here(const struct cJSON *fields, struct pol_json *entry,
		       struct audit_prepared **ret);
/* Chain and write a prepared entry (file locked, log->lock held): splice
 * previous_hash and seq, hash, splice chain_hash and mac, one write. */
int audit_commit_locked(struct pol_audit_log *log, const struct audit_prepared *p,
			uint64_t *ret_gen);
/* Build, chain and write one entry (file locked, log->lock held). */
int audit_append_locked(struct pol_audit_log *log, const struct cJSON *fields, char *ret_id,
			uint64_t *ret_gen);

#endif
