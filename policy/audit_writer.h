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

	unsigned char random_pool[16 * 64]; /* entry ids, drawn 64 at a time */
	size_t random_used;

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
/* Build, chain and write one entry (file locked, log->lock held). */
int audit_append_locked(struct pol_audit_log *log, const struct cJSON *fields, char *ret_id,
			uint64_t *ret_gen);

#endif
