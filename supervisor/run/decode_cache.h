/*
 * Per-thread cache of /proc handles for sandboxed threads, so that one
 * gated call costs a few syscalls instead of ~20 open/read/close of /proc
 * files (docs/BENCHMARKS.md). For each thread id it keeps an O_PATH fd of
 * /proc/TID, an open /proc/TID/status (re-read with pread, which makes the
 * kernel generate it afresh), the thread's root directory and its identity,
 * and the status read for the notification being handled, which the
 * emulation reuses instead of reading it again.
 *
 * Nothing that can change is served from the cache without a check:
 * status (ids, credentials, ppid) is read fresh for every notification,
 * or, with credential epochs on (sup_tcache_creds_epochs), the
 * credentials are served until the thread's next credential call or exec
 * while liveness, ids, ppid and comm are checked per notification;
 * the root is re-validated by identity (one statx) per notification; exe,
 * cwd and comm are read fresh through the cached /proc/TID fd. The fds pin
 * the thread's struct pid: if the thread dies and its number is reused,
 * every read through them fails (ESRCH) and the entry is reopened by path,
 * so a reused pid never sees the former thread's handles.
 *
 * Trust: /proc content is the kernel's; comm names are target-chosen bytes.
 * Thread-safety: one mutex around the table; an entry in use (acquired) is
 * never evicted. A thread has at most one held notification at a time, so
 * one entry is never used by two notifications at once.
 */
#ifndef ATTESTA_SUP_DECODE_CACHE_H
#define ATTESTA_SUP_DECODE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/run/decode_path.h"
#include "supervisor/run/decode_proc.h"

/* Threads whose handles are kept (2-6 fds each); least recently used
 * entries are closed beyond that. Fewer when RLIMIT_NOFILE is low
 * (decode_parked.c, docs/decode.md "The cache's descriptors"). */
#define SUP_TCACHE_ENTRIES 96

/* Descriptors of evicted or stale entries waiting to be closed after
 * the answer (sup_tcache_close_deferred); beyond that, closed at once. */
#define SUP_TCACHE_PARKED_MAX 64

struct sup_tfacts;

/*
 * The cached handles of thread tid with its status read now, tagged as
 * read for notification notif_id. 0, -ESRCH (thread gone), -EMFILE,
 * -ENOMEM, -EIO, -E2BIG. Release with sup_tfacts_release().
 * With credential epochs on, "read now" may be the credentials of the
 * thread's current epoch (see sup_tfacts_confirm), with tgid, ppid, the
 * four ids and comm checked now.
 */
int sup_tfacts_acquire(pid_t tid, uint64_t notif_id, struct sup_tfacts **ret);

/*
 * The notification notif_id that f was acquired for was still pending
 * after everything was read (SECCOMP_IOCTL_NOTIF_ID_VALID succeeded):
 * the status read for it, if it was a full read, was that blocked
 * caller's own and becomes the thread's credential epoch, unless a mark
 * (sup_tcache_creds_changing, sup_tcache_exec_seen) came in between. No
 * effect with epochs off. Never call it without that check: a read for
 * a caller that died could be another thread's, made on the same tid.
 */
void sup_tfacts_confirm(struct sup_tfacts *f, uint64_t notif_id);

/*
 * Thread tid is about to make a credential call (setuid, setgid,
 * setreuid, setregid, setresuid, setresgid, setfsuid, setfsgid,
 * setgroups, capset): its epoch ends and its next notification reads
 * the status in full. SECURITY: call it before the call is continued;
 * the thread makes no other call until that one returns.
 */
void sup_tcache_creds_changing(pid_t tid);

/*
 * Turn credential epochs on or off; returns whether they are on.
 * SECURITY: on only if every credential call of every sandboxed thread
 * reaches sup_tcache_creds_changing() (the filter sends them, filter.h)
 * and every exec reaches sup_tcache_exec_seen() after its credentials
 * are committed (PTRACE_EVENT_EXEC, with exec tracking on), and the
 * kernel gives thread pidfds with PIDFD_GET_INFO (Linux 6.13+): refused
 * otherwise. Any path that lets an exec complete untraced must turn
 * epochs off, as it must exec tracking.
 */
bool sup_tcache_creds_epochs(bool on);

/*
 * The entry of tid if its status was read for notif_id (by the decoder of
 * that same notification): no syscall. NULL otherwise (read it again).
 * SECURITY: a thread's credentials cannot change while its call is held
 * (only the thread itself changes them, and it is blocked in the call;
 * signals wait, WAIT_KILLABLE_RECV), so the decoder's read is still true.
 */
struct sup_tfacts *sup_tfacts_acquire_for(pid_t tid, uint64_t notif_id);

void sup_tfacts_release(struct sup_tfacts *f);

/*
 * Close the descriptors of entries evicted or found stale since the last
 * call (at most SUP_TCACHE_PARKED_MAX; more were closed at once). Call it
 * after a call was answered, off the path the target waits on; no lock
 * held is needed (takes sup_tcache_lock only when something is parked).
 */
void sup_tcache_close_deferred(void);

/* Read the status of pid through the cache's handles without touching
 * what a held notification of that thread recorded (ancestors of the
 * process chain). 0 or -errno. */
int sup_tcache_read_status(pid_t pid, struct sup_proc_status *ret);
/* The same for what a process chain needs of an ancestor, its comm
 * (raw bytes, NUL-terminated) and PPid, from /proc/PID/stat: a fraction
 * of the cost of the status (no credentials, signal masks or memory
 * counters; docs/BENCHMARKS.md, "Session 4"). 0 or -errno. */
int sup_tcache_read_ancestor(pid_t pid, char *name, size_t name_size, size_t *ret_len,
			     pid_t *ret_ppid);

const struct sup_proc_status *sup_tfacts_status(const struct sup_tfacts *f);

/*
 * Fill view with the thread's root (borrowed: sup_view_release() does not
 * close it). The cached root is checked against /proc/TID/root once per
 * notification (device, inode and mount id; one statx) and reopened when
 * it moved (chroot, another mount namespace). 0 or -errno.
 */
int sup_tfacts_view(struct sup_tfacts *f, struct sup_view *view);

/*
 * A pidfd for pidfd_getfd() of the thread's own descriptors
 * (sup_pidfd_open_caller, decode_proc.h). When this acquisition was
 * served by the thread's credential epoch, the entry's thread pidfd,
 * which that check found alive, is lent (*ret_borrowed: do not close;
 * it stays open while f is acquired); else a new one the caller closes.
 * The fd or -errno.
 */
int sup_tfacts_caller_pidfd(struct sup_tfacts *f, pid_t tgid, bool *ret_borrowed);

/* readlinkat(/proc/TID, name) into a new string. 0 or -errno (-ESRCH). */
int sup_tfacts_readlink(const struct sup_tfacts *f, const char *name, char **ret);

/*
 * /proc/TID/exe into a new string, read once per thread and then served
 * from the cache, but only while exec tracking is on: the supervisor
 * traces every sandboxed task and calls sup_tcache_exec_seen() at each
 * PTRACE_EVENT_EXEC, before the new image runs, so a cached name is never
 * older than the image making the call. (An agent with CAP_SYS_RESOURCE
 * can rename its exe with PR_SET_MM_EXE_FILE; the name was never evidence
 * against the agent itself.) 0 or -errno (-ESRCH).
 */
int sup_tfacts_exe(struct sup_tfacts *f, char **ret);
/* SECURITY: on only when the seccomp filter refuses every way to change
 * a root (chroot, pivot_root, setns, unshare, mount, clone with a new
 * namespace; filter.c add_no_namespaces): then a thread's root, checked
 * when its entry is opened, is not re-checked for each notification
 * (one statx saved). Off (shim-only mode): checked every time. */
void sup_tcache_roots_fixed(bool on);
/* Exec tracking on (PROG is traced) or off (every read goes to /proc). */
void sup_tcache_track_exec(bool on);
/* pid (and its thread group) completed an exec: forget its exe, end
 * their credential epochs. */
void sup_tcache_exec_seen(pid_t pid);

#endif
