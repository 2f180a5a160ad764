/*
 * Per-thread cache of /proc handles (see decode_cache.h).
 *
 * SECURITY: the cache must never make a decision or an emulation use facts
 * of another process or stale facts that could grant more than the target
 * has. So: (1) every handle is an fd opened on /proc/TID, which pins the
 * thread's struct pid; once that thread is gone, reads through it fail
 * with ESRCH even if the number was reused, and the entry is reopened by
 * path (the new thread's facts); (2) the status (ids, credentials, groups,
 * capabilities) is re-read for every notification, unless credential
 * epochs are on (below); the emulation reuses only the read made for the
 * same notification id, while the call is held and the thread cannot
 * change its own credentials; (3) the root directory is re-validated by
 * identity per notification unless roots are fixed (decode_root.c).
 *
 * Credential epochs (docs/decode.md, "Credential epochs"): a thread's
 * credentials change only when that thread makes a credential call
 * (setuid ... capset), which the filter sends here first
 * (sup_tcache_creds_changing), or execs, which the tracer sees at
 * PTRACE_EVENT_EXEC after the new credentials are committed
 * (sup_tcache_exec_seen). Between those, the credentials read once are
 * served again; what changes without a call of the thread (liveness, tid
 * reuse, reparenting, comm) is read for every notification: one
 * PIDFD_GET_INFO on a thread pidfd (fails for a reaped task; gives tgid,
 * ppid and the ids, which must still match) and one pread of comm. A read
 * becomes an epoch only when sup_tfacts_confirm() says the notification
 * it was made for was still pending after it (so it was that caller's
 * own, blocked, credentials) and nothing marked the entry since.
 */
#include "supervisor/common/pidfd_compat.h"
#include "supervisor/run/decode_cache.h"
#include "supervisor/run/decode_cache_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/pol_limits.h"

#define STATUS_BUF (64 * 1024)

pthread_mutex_t sup_tcache_lock = PTHREAD_MUTEX_INITIALIZER;
static bool exe_tracked; /* sup_tcache_track_exec(): every exec is reported */
static bool creds_epochs; /* sup_tcache_creds_epochs(): credentials cached per epoch */
static struct sup_tfacts *table[SUP_TCACHE_ENTRIES];
static uint64_t use_clock;
static char *status_buf; /* under sup_tcache_lock */
static int proc_root = -1; /* O_PATH of /proc, under sup_tcache_lock */

/* Under sup_tcache_lock: reset f; its descriptors are parked
 * (decode_parked.c), to be closed after the answer. */
static void entry_close(struct sup_tfacts *f)
{
	sup_tcache_park(f->procfd);
	sup_tcache_park(f->statusfd);
	sup_tcache_park(f->statfd);
	sup_tcache_park(f->pidfd);
	sup_tcache_park(f->commfd);
	if (!f->root_shared)
		sup_tcache_park(f->rootfd);
	f->procfd = f->statusfd = f->statfd = f->rootfd = f->pidfd = f->commfd = -1;
	f->creds_fresh = f->confirmable = false;
	f->root_shared = false;
	free(f->exe);
	f->exe = NULL;
	f->tid = 0;
	f->have_status = false;
	f->root_checked = false;
	f->epoch_hit = false;
	f->root.valid = false;
}

static int entry_open_once(struct sup_tfacts *f, pid_t tid)
{
	char p[16];

	/* relative to the supervisor's own /proc, kept open: one lookup
	 * ("PID") instead of three ("/", "proc", "PID") */
	if (proc_root < 0 && (proc_root = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		proc_root = -1;
		return -errno;
	}
	snprintf(p, sizeof(p), "%d", (int)tid);
	f->procfd = openat(proc_root, p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->procfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	f->statusfd = openat(f->procfd, "status", O_RDONLY | O_CLOEXEC);
	if (f->statusfd < 0) {
		int e = errno == ENOENT ? ESRCH : errno;

		entry_close(f);
		return -e;
	}
	f->tid = tid;
	return 0;
}

/* Under sup_tcache_lock: the supervisor ran out of descriptors (EMFILE,
 * ENFILE: a low RLIMIT_NOFILE the agent's launcher chose, or a flood of
 * new threads): close the parked ones now, or, with none parked, the
 * least recently used unreferenced entry other than keep. false when
 * nothing is left to give back. */
static bool give_back_fds(const struct sup_tfacts *keep)
{
	struct sup_tfacts *victim = NULL;

	if (sup_tcache_close_parked())
		return true;
	for (size_t i = 0; i < SUP_TCACHE_ENTRIES; i++) {
		struct sup_tfacts *g = table[i];

		if (g && g != keep && g->tid && !g->refs && (!victim || g->last_use < victim->last_use))
			victim = g;
	}
	if (!victim)
		return false;
	entry_close(victim);
	sup_tcache_close_parked();
	return true;
}

/* Open f's handles for tid; out of descriptors, give some back and try
 * again (each round frees parked descriptors or one entry: it ends). */
static int entry_open(struct sup_tfacts *f, pid_t tid)
{
	int r;

	while ((r = entry_open_once(f, tid)) == -EMFILE || r == -ENFILE)
		if (!give_back_fds(f))
			break;
	return r;
}

/* Find tid's slot, or a free / least recently used unreferenced one. */
static struct sup_tfacts *slot_for(pid_t tid, bool *ret_hit)
{
	struct sup_tfacts *victim = NULL;
	size_t free_i = SUP_TCACHE_ENTRIES;

	unsigned max_entries = sup_tcache_max_entries();

	for (size_t i = 0; i < SUP_TCACHE_ENTRIES; i++) {
		struct sup_tfacts *f = table[i];

		if (!f) {
			if (free_i == SUP_TCACHE_ENTRIES && i < max_entries)
				free_i = i;
			continue;
		}
		if (f->tid == tid) {
			*ret_hit = true;
			return f;
		}
		if (f->tid == 0 && !f->refs) {
			victim = f;
			continue;
		}
		if (!f->refs && (!victim || (victim->tid && f->last_use < victim->last_use)))
			victim = f;
	}
	*ret_hit = false;
	if (victim && victim->tid == 0)
		return victim;
	if (free_i < SUP_TCACHE_ENTRIES) {
		struct sup_tfacts *f = calloc(1, sizeof(*f));

		if (!f)
			return NULL;
		f->procfd = f->statusfd = f->statfd = f->rootfd = f->pidfd = f->commfd = -1;
		table[free_i] = f;
		return f;
	}
	if (victim)
		entry_close(victim);
	return victim;
}

/* Under sup_tcache_lock: pid's entry, opened if it was not cached (*hit
 * says whether it was). NULL with *r the error. */
static struct sup_tfacts *slot_open(pid_t pid, bool *hit, int *r)
{
	struct sup_tfacts *f = slot_for(pid, hit);

	*r = 0;
	if (!f) {
		*r = -ENOMEM;
		return NULL;
	}
	if (!*hit && (*r = entry_open(f, pid)) < 0)
		return NULL;
	return f;
}

/* Under sup_tcache_lock, after a read of a cached entry gave *r: the
 * thread its handles pinned is gone (-ESRCH) and pid may name a new one,
 * so an entry no one holds is opened anew. True: read again. */
static bool reopen_gone(struct sup_tfacts *f, pid_t pid, bool hit, int *r)
{
	if (*r != -ESRCH || !hit || f->refs)
		return false;
	entry_close(f);
	*r = entry_open(f, pid);
	return *r == 0;
}

/* Under sup_tcache_lock, after a one-off read (not an acquire): a failed
 * entry no one holds is closed, a good one marked as used. */
static void settle(struct sup_tfacts *f, int r)
{
	if (r < 0 && !f->refs)
		entry_close(f);
	else
		f->last_use = ++use_clock;
}

static int read_status(struct sup_tfacts *f, struct sup_proc_status *dest)
{
	ssize_t n;

	if (!status_buf && !(status_buf = malloc(STATUS_BUF)))
		return -ENOMEM;
	do
		n = pread(f->statusfd, status_buf, STATUS_BUF - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ESRCH || errno == ENOENT ? -ESRCH : -EIO;
	if (n == 0)
		return -ESRCH;
	if (n >= STATUS_BUF - 1)
		return -E2BIG;
	status_buf[n] = '\0';
	return sup_proc_status_parse(status_buf, (size_t)n, dest);
}

/* After a full read: open the thread pidfd and comm (once per entry) and
 * note whether the read may become an epoch. SECURITY: the pidfd is
 * opened by number after procfd was; it is the same thread when that
 * thread is alive after both opens, which the ioctl says (a reaped task:
 * -ESRCH), and the kernel's ids must equal the ones the status showed. */
static void pin_for_epoch(struct sup_tfacts *f)
{
	f->confirmable = false;
	if (f->pidfd < 0 && (f->pidfd = sup_pidfd_open_thread(f->tid)) < 0)
		f->pidfd = -1;
	else if (f->commfd < 0 &&
		 (f->commfd = openat(f->procfd, "comm", O_RDONLY | O_CLOEXEC)) < 0)
		f->commfd = -1;
	else if (sup_proc_epoch_matches(f->pidfd, &f->status)) {
		f->read_marks = f->creds_marks;
		f->confirmable = true;
	}
}

int sup_tfacts_acquire(pid_t tid, uint64_t notif_id, struct sup_tfacts **ret)
{
	struct sup_tfacts *f;
	bool hit;
	int r;

	if (tid <= 0)
		return -ESRCH;
	pthread_mutex_lock(&sup_tcache_lock);
	if (!(f = slot_open(tid, &hit, &r)))
		goto out;
	f->have_status = false;
	f->root_checked = false;
	f->epoch_hit = false;
	/* Within an epoch the credentials stand; liveness, ids, ppid and
	 * comm are checked now (decode_proc.h); any failure: a full read. */
	if (hit && creds_epochs && f->creds_fresh && f->pidfd >= 0 && f->commfd >= 0 &&
	    sup_proc_epoch_refresh(f->pidfd, f->commfd, &f->status) == 0) {
		f->epoch_hit = true;
		r = 0;
		goto found;
	}
	f->creds_fresh = false;
	r = read_status(f, &f->status);
	if (reopen_gone(f, tid, hit, &r))
		r = read_status(f, &f->status);
	/* A thread's first notification is often its only one (a child
	 * that execs at once, and exec ends the epoch anyway): the pidfd
	 * and comm are opened from its second on. */
	if (r == 0 && creds_epochs && hit)
		pin_for_epoch(f);
	if (r < 0) {
		if (!f->refs)
			entry_close(f);
		goto out;
	}
found:
	f->notif_id = notif_id;
	f->have_status = true;
	f->last_use = ++use_clock;
	f->refs++;
	*ret = f;
out:
	pthread_mutex_unlock(&sup_tcache_lock);
	return r;
}

struct sup_tfacts *sup_tfacts_acquire_for(pid_t tid, uint64_t notif_id)
{
	struct sup_tfacts *found = NULL;

	pthread_mutex_lock(&sup_tcache_lock);
	for (size_t i = 0; i < SUP_TCACHE_ENTRIES; i++) {
		struct sup_tfacts *f = table[i];

		if (f && f->tid == tid && tid > 0) {
			if (f->have_status && f->notif_id == notif_id) {
				f->refs++;
				f->last_use = ++use_clock;
				found = f;
			}
			break;
		}
	}
	pthread_mutex_unlock(&sup_tcache_lock);
	return found;
}

int sup_tcache_read_status(pid_t pid, struct sup_proc_status *ret)
{
	struct sup_tfacts *f;
	bool hit;
	int r;

	if (pid <= 0)
		return -ESRCH;
	pthread_mutex_lock(&sup_tcache_lock);
	if (!(f = slot_open(pid, &hit, &r)))
		goto out;
	r = read_status(f, ret);
	if (reopen_gone(f, pid, hit, &r))
		r = read_status(f, ret);
	settle(f, r);
out:
	pthread_mutex_unlock(&sup_tcache_lock);
	return r;
}

/* "PID (COMM) S PPID ...": COMM is raw and may hold ')' or spaces, so
 * it ends at the last ')'. */
static int read_stat(struct sup_tfacts *f, char *name, size_t name_size, size_t *ret_len,
		     pid_t *ret_ppid)
{
	char buf[1024];
	ssize_t n;

	if (f->statfd < 0 && (f->statfd = openat(f->procfd, "stat", O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	do
		n = pread(f->statfd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ESRCH || errno == ENOENT ? -ESRCH : -EIO;
	if (n == 0)
		return -ESRCH;
	buf[n] = '\0';
	char *open_paren = memchr(buf, '(', (size_t)n), *close_paren = NULL;
	for (char *p = buf + n; p > buf; p--)
		if (p[-1] == ')') {
			close_paren = p - 1;
			break;
		}
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -EIO;
	size_t len = (size_t)(close_paren - open_paren - 1);
	int ppid;
	char state;
	if (len + 1 > name_size || sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2)
		return -EIO;
	memcpy(name, open_paren + 1, len);
	name[len] = '\0';
	*ret_len = len;
	*ret_ppid = (pid_t)ppid;
	return 0;
}

int sup_tcache_read_ancestor(pid_t pid, char *name, size_t name_size, size_t *ret_len,
			     pid_t *ret_ppid)
{
	struct sup_tfacts *f;
	bool hit;
	int r;

	if (pid <= 0)
		return -ESRCH;
	pthread_mutex_lock(&sup_tcache_lock);
	if (!(f = slot_open(pid, &hit, &r)))
		goto out;
	r = read_stat(f, name, name_size, ret_len, ret_ppid);
	if (reopen_gone(f, pid, hit, &r))
		r = read_stat(f, name, name_size, ret_len, ret_ppid);
	settle(f, r);
out:
	pthread_mutex_unlock(&sup_tcache_lock);
	return r;
}

void sup_tfacts_confirm(struct sup_tfacts *f, uint64_t notif_id)
{
	pthread_mutex_lock(&sup_tcache_lock);
	if (creds_epochs && f->confirmable && f->have_status && f->notif_id == notif_id &&
	    f->read_marks == f->creds_marks)
		f->creds_fresh = true;
	f->confirmable = false;
	pthread_mutex_unlock(&sup_tcache_lock);
}

/* Under sup_tcache_lock: the next notification of f reads its status in full. */
static void mark_changing(struct sup_tfacts *f)
{
	f->creds_fresh = false;
	f->confirmable = false;
	f->creds_marks++;
}

void sup_tcache_creds_changing(pid_t tid)
{
	pthread_mutex_lock(&sup_tcache_lock);
	for (size_t i = 0; i < SUP_TCACHE_ENTRIES; i++)
		if (table[i] && table[i]->tid == tid)
			mark_changing(table[i]);
	pthread_mutex_unlock(&sup_tcache_lock);
}

bool sup_tcache_creds_epochs(bool on)
{
	bool ok = on && sup_pidfd_facts_supported();

	pthread_mutex_lock(&sup_tcache_lock);
	creds_epochs = ok;
	for (size_t i = 0; i < SUP_TCACHE_ENTRIES; i++)
		if (table[i])
			mark_changing(table[i]);
	pthread_mutex_unlock(&sup_tcache_lock);
	return ok;
}

void sup_tfacts_release(struct sup_tfacts *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&sup_tcache_lock);
	if (f->refs)
		f->refs--;
	pthread_mutex_unlock(&sup_tcache_lock);
}

const struct sup_proc_status *sup_tfacts_status(const struct sup_tfacts *f)
{
	return &f->status;
}

int sup_tfacts_caller_pidfd(struct sup_tfacts *f, pid_t tgid, bool *ret_borrowed)
{
	int fd = -1;

	pthread_mutex_lock(&sup_tcache_lock);
	if (f->epoch_hit && f->pidfd >= 0)
		fd = f->pidfd;
	pthread_mutex_unlock(&sup_tcache_lock);
	*ret_borrowed = fd >= 0;
	return fd >= 0 ? fd : sup_pidfd_open_caller(f->tid, tgid);
}

int sup_tfacts_readlink(const struct sup_tfacts *f, const char *name, char **ret)
{
	char buf[POL_TARGET_MAX_PATH + 32];
	ssize_t n;
	char *s;

	n = readlinkat(f->procfd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if ((size_t)n >= sizeof(buf) - 1)
		return -ENAMETOOLONG;
	s = strndup(buf, (size_t)n);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

void sup_tcache_track_exec(bool on)
{
	pthread_mutex_lock(&sup_tcache_lock);
	exe_tracked = on;
	for (size_t i = 0; on == false && i < SUP_TCACHE_ENTRIES; i++) {
		if (table[i]) {
			free(table[i]->exe);
			table[i]->exe = NULL;
		}
	}
	pthread_mutex_unlock(&sup_tcache_lock);
}

void sup_tcache_exec_seen(pid_t pid)
{
	pthread_mutex_lock(&sup_tcache_lock);
	for (size_t i = 0; i < SUP_TCACHE_ENTRIES; i++) {
		struct sup_tfacts *f = table[i];

		if (f && (f->tid == pid || f->status.tgid == pid)) {
			free(f->exe);
			f->exe = NULL;
			/* the credentials exec committed (docs/decode.md) */
			mark_changing(f);
		}
	}
	pthread_mutex_unlock(&sup_tcache_lock);
}

int sup_tfacts_exe(struct sup_tfacts *f, char **ret)
{
	char *s;
	int r;

	pthread_mutex_lock(&sup_tcache_lock);
	s = f->exe ? strdup(f->exe) : NULL;
	pthread_mutex_unlock(&sup_tcache_lock);
	if (f->exe && !s)
		return -ENOMEM;
	if (s) {
		*ret = s;
		return 0;
	}
	r = sup_tfacts_readlink(f, "exe", &s);
	if (r < 0)
		return r;
	pthread_mutex_lock(&sup_tcache_lock);
	if (exe_tracked && !f->exe)
		f->exe = strdup(s); /* a failed copy only means no caching */
	pthread_mutex_unlock(&sup_tcache_lock);
	*ret = s;
	return 0;
}
