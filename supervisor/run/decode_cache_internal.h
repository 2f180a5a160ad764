/*
 * The per-thread cache's entry and its lock, shared by decode_cache.c
 * (the table, credentials, exe), decode_root.c (the thread's root) and
 * decode_parked.c (the descriptor budget): internal to those files
 * (decode_cache.h is the interface).
 */
#ifndef ATTESTA_SUP_DECODE_CACHE_INTERNAL_H
#define ATTESTA_SUP_DECODE_CACHE_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/run/decode_proc.h"

struct root_id {
	uint32_t dev_major, dev_minor;
	uint64_t ino, mnt_id;
	bool valid;
};

struct sup_tfacts {
	pid_t tid;             /* 0: free slot */
	int procfd;            /* O_PATH|O_DIRECTORY of /proc/TID */
	int statusfd;          /* /proc/TID/status, read with pread */
	int statfd;            /* /proc/TID/stat (ancestors of a chain), -1 until needed */
	int pidfd;             /* thread pidfd (credential epochs), -1 until needed */
	int commfd;            /* /proc/TID/comm (credential epochs), -1 until needed */
	bool creds_fresh;      /* status's credentials hold until the next mark */
	bool epoch_hit;        /* this acquisition was served by the epoch: pidfd
	                        * is the thread's, found alive by it */
	bool confirmable;      /* the last full read may become an epoch */
	uint64_t creds_marks;  /* bumped by every mark (credential call, exec) */
	uint64_t read_marks;   /* creds_marks when the last full read was made */
	int rootfd;            /* O_PATH of the thread's root, -1 until needed */
	bool root_shared;      /* rootfd is shared_root's (never closed here) */
	struct root_id root;   /* identity of rootfd when it was opened */
	size_t root_len;       /* as struct sup_view */
	char root_path[PATH_MAX];
	uint64_t notif_id;     /* status below was read for this notification */
	bool have_status;
	uint64_t root_checked_for; /* notification the root was validated for */
	bool root_checked;
	struct sup_proc_status status;
	char *exe;             /* /proc/TID/exe as last read (exe tracking only) */
	uint64_t last_use;
	unsigned refs;
};

/* Guards the table and every entry's fields (decode_cache.c). */
extern pthread_mutex_t sup_tcache_lock;

/* decode_parked.c, all under sup_tcache_lock: */
/* How many entries the descriptor limit allows (SUP_TCACHE_ENTRIES at
 * most), read once. */
unsigned sup_tcache_max_entries(void);
/* fd (< 0: nothing) is no entry's any more: close it after the answer,
 * or now when the list is full. */
void sup_tcache_park(int fd);
/* Close every parked descriptor now; whether there were any. */
bool sup_tcache_close_parked(void);

#endif
