/*
 * Appending to the audit log (audit.h): one write(O_APPEND) per entry
 * under flock so many processes can share one log (re-reading the tail
 * when another writer moved it), the sync tiers with group commit, the
 * head file, close. The caller's fields are trusted to be what the gate
 * decided; the entry fields the chain depends on are set here only.
 */
#include <stdlib.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_writer.h"
#include "pol_limits.h"

/* The file changed under us (another process appended, or it was
 * truncated/rotated): learn the true last entry before chaining. */
static int refresh_locked(struct pol_audit_log *log)
{
	struct audit_torn torn = { 0 };
	struct stat st;
	int r;

	if (fstat(log->fd, &st) < 0)
		return -errno;
	if (st.st_size == log->known_size)
		return 0;
	if (st.st_size == 0) {
		/* copytruncate: keep chaining from what we know */
		log->known_size = 0;
		return 0;
	}
	r = audit_recover_tail(log, NULL, &torn);
	if (r < 0)
		return r;
	if (torn.removed)
		r = audit_record_repair(log, &torn);
	return r;
}

/* Build, chain and write one entry (the torn-line repair); the file lock
 * and log->lock are held. */
int audit_append_locked(struct pol_audit_log *log, const cJSON *fields, char *ret_id,
			uint64_t *ret_gen)
{
	struct audit_prepared p = { 0 };
	struct pol_json *entry;
	int r;

	pol_json_arena_reset(log->arena);
	if ((r = pol_json_from_cjson(log->arena, fields, pol_audit_float_keys, &entry)) == 0 &&
	    (r = audit_prepare(log->arena, entry, &log->ids, &p)) == 0 &&
	    (r = audit_commit_locked(log, &p, ret_gen)) == 0 && ret_id)
		memcpy(ret_id, p.id, strlen(p.id) + 1);
	audit_prepared_release(&p);
	return r;
}

/* Group commit: wait until everything up to gen is on disk; one thread
 * runs fdatasync for all who are waiting. Called without log->lock. */
static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int sync_to(struct pol_audit_log *log, uint64_t gen)
{
	struct timespec started;
	int r = 0;

	pthread_mutex_lock(&log->lock);
	while (log->synced_gen < gen) {
		uint64_t target;

		if (log->syncing) {
			pthread_cond_wait(&log->synced, &log->lock);
			continue;
		}
		log->syncing = true;
		target = log->written_gen;
		clock_gettime(CLOCK_MONOTONIC, &started);
		pthread_mutex_unlock(&log->lock);
		r = fdatasync(log->fd) < 0 ? -errno : 0;
		pthread_mutex_lock(&log->lock);
		log->syncing = false;
		if (r == 0 && target > log->synced_gen)
			log->synced_gen = target;
		if (log->synced_gen >= log->written_gen)
			log->pending = false;
		else if (r == 0 && log->pending && ts_before(&log->pending_since, &started))
			/* The entries left were written after `target` was read,
			 * so after `started`: their window runs from there. Kept
			 * at the first entry's time, the next group commit would
			 * be due at once and a burst would fdatasync back to back
			 * (docs/audit.md, `audit.sync`). */
			log->pending_since = started;
		pthread_cond_broadcast(&log->synced);
		if (r < 0)
			break;
	}
	pthread_mutex_unlock(&log->lock);
	return r;
}

/* pol_audit_append() and pol_audit_append_json(): exactly one of fields
 * and entry is set. */
static int append_common(struct pol_audit_log *log, const cJSON *fields, struct pol_json *entry,
			 enum pol_audit_kind kind, char *ret_entry_id, size_t id_size)
{
	struct audit_prepared *p;
	uint64_t gen = 0;
	bool durable_now, kept;
	int r;

	if (!log || (!fields && !entry) || (ret_entry_id && id_size < 33))
		return -EINVAL;
	/* everything that does not depend on the chain, outside the lock
	 * (docs/BENCHMARKS.md, "Session 5") */
	if ((r = audit_prepare_here(fields, entry, &p)) < 0)
		return r;
	pthread_mutex_lock(&log->lock);
	if (log->bg && log->sync_error) {
		/* a background group commit failed: fail closed once */
		r = log->sync_error;
		log->sync_error = 0;
		pthread_mutex_unlock(&log->lock);
		return r;
	}
	kept = log->flock_held;
	r = kept ? 0 : audit_lock_file(log->fd, LOCK_EX);
	if (r == 0) {
		/* With the file lock kept since our last append no other
		 * writer can have appended, so the file is not looked at
		 * (docs/audit.md, "Writing and durability"). A copytruncate
		 * ignores flock: it is noticed at the first append after the
		 * lock's release (within the window); the bytes written
		 * meanwhile are the same (O_APPEND, chained from the last
		 * entry we wrote), and a short write removes only its own. */
		r = kept ? 0 : refresh_locked(log);
		if (r == 0)
			r = audit_commit_locked(log, p, &gen);
		if (log->bg && r == 0) {
			if (!log->flock_held) {
				log->flock_held = true;
				log->lock_since_ms = audit_now_ms();
				pthread_cond_signal(&log->bg_wake); /* once per window */
			}
		} else {
			audit_lock_file(log->fd, LOCK_UN);
			log->flock_held = false;
		}
	}
	/* DEFERRED: like an auto entry in every mode but off; a later
	 * durable entry's fdatasync covers it (the file's data in order) */
	if (r == 0 && !log->pending &&
	    ((log->sync_mode == POL_SYNC_TIERED && kind == POL_AUDIT_AUTO) ||
	     (log->sync_mode != POL_SYNC_OFF && kind == POL_AUDIT_DEFERRED))) {
		clock_gettime(CLOCK_MONOTONIC, &log->pending_since);
		log->pending = true;
	}
	pthread_mutex_unlock(&log->lock);
	if (r < 0)
		return r;
	durable_now = kind != POL_AUDIT_DEFERRED &&
		      (log->sync_mode == POL_SYNC_ALWAYS ||
		       (log->sync_mode == POL_SYNC_TIERED && kind != POL_AUDIT_AUTO));
	if (durable_now && (r = sync_to(log, gen)) < 0)
		return r;
	if (ret_entry_id)
		snprintf(ret_entry_id, id_size, "%s", p->id);
	return 0;
}

int pol_audit_append(struct pol_audit_log *log, struct cJSON *fields,
		     enum pol_audit_kind kind, char *ret_entry_id, size_t id_size)
{
	return fields ? append_common(log, fields, NULL, kind, ret_entry_id, id_size) : -EINVAL;
}

int pol_audit_append_json(struct pol_audit_log *log, struct pol_json *fields,
			  enum pol_audit_kind kind, char *ret_entry_id, size_t id_size)
{
	return fields ? append_common(log, NULL, fields, kind, ret_entry_id, id_size) : -EINVAL;
}

static int write_head(struct pol_audit_log *log)
{
	struct audit_head head;
	int r = 0;

	pthread_mutex_lock(&log->head_lock);
	pthread_mutex_lock(&log->lock);
	memcpy(head.last_hash, log->last_hash, sizeof(head.last_hash));
	head.count = log->count;
	bool deferred = log->head_deferred;
	pthread_mutex_unlock(&log->lock);
	if (head.count != log->head_count && log->seq_known && !deferred) {
		r = audit_head_write(log->head_path, log->key, log->key_len, &head);
		if (r == 0) {
			log->head_count = head.count;
			log->head_written_ms = audit_now_ms();
		}
	}
	pthread_mutex_unlock(&log->head_lock);
	return r;
}

int pol_audit_sync(struct pol_audit_log *log)
{
	uint64_t gen;
	int r;

	if (!log)
		return -EINVAL;
	pthread_mutex_lock(&log->lock);
	gen = log->written_gen;
	pthread_mutex_unlock(&log->lock);
	/* audit.sync: off leaves the log to the kernel; the head still moves */
	if (log->sync_mode != POL_SYNC_OFF && (r = sync_to(log, gen)) < 0)
		return r;
	pthread_mutex_lock(&log->lock);
	if (log->flock_held) {
		audit_lock_file(log->fd, LOCK_UN);
		log->flock_held = false;
	}
	pthread_mutex_unlock(&log->lock);
	return write_head(log);
}

int pol_audit_sync_due_ms(struct pol_audit_log *log)
{
	int due = -1;

	if (!log)
		return -1;
	pthread_mutex_lock(&log->lock);
	if (log->bg) {
		/* the helper thread does it */
	} else if (log->pending && log->synced_gen < log->written_gen) {
		uint64_t since = (uint64_t)log->pending_since.tv_sec * 1000 +
				 (uint64_t)log->pending_since.tv_nsec / 1000000;
		uint64_t now = audit_now_ms();

		due = now - since >= log->window_ms ? 0 : (int)(log->window_ms - (now - since));
	} else if (log->count != log->head_count && log->seq_known && !log->head_deferred) {
		/* keep the head file (truncation evidence) about a second behind */
		uint64_t age = audit_now_ms() - log->head_written_ms;

		due = age >= 1000 ? 0 : (int)(1000 - age);
	}
	pthread_mutex_unlock(&log->lock);
	return due;
}

/* The helper thread of pol_audit_background_sync(): sleeps until the
 * next due time (group commit, lock release, head file), does it without
 * log->lock held for the I/O, and goes back to sleep. */
static void *bg_main(void *arg)
{
	struct pol_audit_log *log = arg;

	pthread_mutex_lock(&log->lock);
	while (!log->bg_stop) {
		uint64_t now = audit_now_ms(), next = UINT64_MAX;

		if (log->pending && log->synced_gen < log->written_gen) {
			uint64_t due = (uint64_t)log->pending_since.tv_sec * 1000 +
				       (uint64_t)log->pending_since.tv_nsec / 1000000 + log->window_ms;

			if (due <= now) {
				uint64_t gen = log->written_gen;
				int r;

				pthread_mutex_unlock(&log->lock);
				r = sync_to(log, gen);
				pthread_mutex_lock(&log->lock);
				if (r < 0) {
					/* reported by the next append; do not spin */
					if (!log->sync_error)
						log->sync_error = r;
					log->pending = false;
				}
				continue;
			}
			next = due;
		}
		if (log->flock_held) {
			uint64_t due = log->lock_since_ms + log->window_ms;

			if (due <= now) {
				audit_lock_file(log->fd, LOCK_UN);
				log->flock_held = false;
				continue;
			}
			if (due < next)
				next = due;
		}
		if (log->count != log->head_count && log->seq_known && !log->head_deferred) {
			uint64_t due = log->head_written_ms + 1000;

			if (due <= now) {
				pthread_mutex_unlock(&log->lock);
				write_head(log); /* best effort, as from the loop */
				pthread_mutex_lock(&log->lock);
				/* not written (error): retry in a second, not at once */
				if (log->count != log->head_count)
					log->head_written_ms = audit_now_ms();
				continue;
			}
			if (due < next)
				next = due;
		}
		if (next == UINT64_MAX) {
			pthread_cond_wait(&log->bg_wake, &log->lock);
		} else {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)((next - now) / 1000);
			ts.tv_nsec += (long)((next - now) % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&log->bg_wake, &log->lock, &ts);
		}
	}
	pthread_mutex_unlock(&log->lock);
	return NULL;
}

int pol_audit_background_sync(struct pol_audit_log *log)
{
	pthread_condattr_t attr;
	int r;

	if (!log || log->fd < 0)
		return -EINVAL;
	if (log->bg)
		return 0;
	if ((r = pthread_condattr_init(&attr)) != 0)
		return -r;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	r = pthread_cond_init(&log->bg_wake, &attr);
	pthread_condattr_destroy(&attr);
	if (r != 0)
		return -r;
	pthread_mutex_lock(&log->lock);
	log->bg_stop = false;
	r = pthread_create(&log->bg_thread, NULL, bg_main, log);
	if (r == 0)
		log->bg = true;
	pthread_mutex_unlock(&log->lock);
	if (r != 0) {
		pthread_cond_destroy(&log->bg_wake);
		return -r;
	}
	return 0;
}

static void bg_stop(struct pol_audit_log *log)
{
	if (!log->bg)
		return;
	pthread_mutex_lock(&log->lock);
	log->bg_stop = true;
	pthread_cond_signal(&log->bg_wake);
	pthread_mutex_unlock(&log->lock);
	pthread_join(log->bg_thread, NULL);
	pthread_mutex_lock(&log->lock);
	log->bg = false;
	if (log->flock_held) {
		audit_lock_file(log->fd, LOCK_UN);
		log->flock_held = false;
	}
	pthread_mutex_unlock(&log->lock);
	pthread_cond_destroy(&log->bg_wake);
}

void pol_audit_defer_head(struct pol_audit_log *log, bool defer)
{
	pthread_mutex_lock(&log->lock);
	log->head_deferred = defer;
	pthread_mutex_unlock(&log->lock);
}

int pol_audit_write_head(struct pol_audit_log *log)
{
	struct audit_head head;
	int r;

	pthread_mutex_lock(&log->head_lock);
	pthread_mutex_lock(&log->lock);
	memcpy(head.last_hash, log->last_hash, sizeof(head.last_hash));
	head.count = log->count;
	bool known = log->seq_known;
	pthread_mutex_unlock(&log->lock);
	/* a legacy log without seq has no count the head could vouch for */
	r = known ? audit_head_write(log->head_path, log->key, log->key_len, &head) : -EINVAL;
	if (r == 0) {
		log->head_count = head.count;
		log->head_written_ms = audit_now_ms();
	}
	pthread_mutex_unlock(&log->head_lock);
	return r;
}

const char *pol_audit_head_file(const struct pol_audit_log *log)
{
	return log->head_path;
}

void pol_audit_close(struct pol_audit_log *log)
{
	if (!log)
		return;
	bg_stop(log);
	log->head_deferred = false; /* the sandbox is gone: bring the head up to date */
	if (log->fd >= 0) {
		pol_audit_sync(log);
		close(log->fd);
	}
	if (log->key) {
		OPENSSL_cleanse(log->key, log->key_len);
		free(log->key);
	}
	EVP_MD_CTX_free(log->md);
	pol_jbuf_release(&log->scratch);
	pol_jbuf_release(&log->line);
	pol_json_arena_free(log->arena);
	free(log->path);
	free(log->head_path);
	pthread_cond_destroy(&log->synced);
	pthread_mutex_destroy(&log->lock);
	pthread_mutex_destroy(&log->head_lock);
	free(log);
}
