/*
 * What /proc says about a sandboxed thread: ids, credentials, the process
 * chain; and per-thread assumption of those credentials for emulated
 * calls. Trust: /proc content is written by the kernel, but names (comm)
 * are chosen by the target and are copied as bytes, bounded.
 */
#ifndef ATTESTA_SUP_DECODE_PROC_H
#define ATTESTA_SUP_DECODE_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/action.h"

#define SUP_PROC_MAX_GROUPS 1024

struct sup_proc_status {
	char name[64];       /* comm of the thread (Name:, unescaped) */
	size_t name_len;
	pid_t tgid;
	pid_t ppid;
	uid_t euid, fsuid;
	gid_t egid, fsgid;
	uint64_t cap_eff;
	size_t ngroups;
	gid_t groups[SUP_PROC_MAX_GROUPS];
};

/* Parse the text of a status file (buf[len] == '\0'). 0, -EIO, -E2BIG. */
int sup_proc_status_parse(const char *buf, size_t len, struct sup_proc_status *ret);

/* Parse the text of /proc/TID/comm (len bytes; the name as set, raw,
 * then one '\n') into name (NUL-terminated). 0 or -EIO. */
int sup_proc_comm_parse(const char *buf, size_t len, char *name, size_t name_size,
			size_t *ret_len);

/* What PIDFD_GET_INFO (PIDFD_INFO_CREDS) says about the task behind a
 * pidfd: its ids as the kernel holds them now. */
struct sup_pidfd_facts {
	pid_t tgid, ppid;
	uid_t euid, fsuid;
	gid_t egid, fsgid;
};

/* pidfd_open(tid, PIDFD_THREAD): a pidfd for one thread (Linux 6.9+).
 * The fd (O_CLOEXEC, the caller owns it) or -errno. */
int sup_pidfd_open_thread(pid_t tid);
/* ioctl(PIDFD_GET_INFO) on pidfd. 0; -ESRCH when the task was reaped
 * (its tid may name another thread by now); -EOPNOTSUPP when the kernel
 * does not report credentials; -errno (-ENOTTY: no PIDFD_GET_INFO). */
int sup_pidfd_facts_read(int pidfd, struct sup_pidfd_facts *ret);
/* Whether this kernel gives thread pidfds and their credentials (probed
 * once on the calling thread; thread-safe). */
bool sup_pidfd_facts_supported(void);

/* Credential epochs (decode_cache.h). After a full read of st: whether
 * the task behind pidfd is alive and the kernel holds st's tgid, ppid,
 * euid, fsuid, egid and fsgid for it. */
bool sup_proc_epoch_matches(int pidfd, const struct sup_proc_status *st);
/* Within an epoch: the task behind pidfd is alive and still holds st's
 * tgid and four ids; st's ppid and name are refreshed (from the ioctl
 * and from commfd, /proc/TID/comm). 0; -ESRCH (reaped: its tid may name
 * another thread now); -ESTALE (other ids: read the status); -errno.
 * SECURITY: pidfd and commfd must pin the same thread (decode_cache.c). */
int sup_proc_epoch_refresh(int pidfd, int commfd, struct sup_proc_status *st);

/* Append comm names to chain, pid first, following PPid, at most
 * POL_CHAIN_MAX_DEPTH, stopping before stop_pid, pid 1 or an unreadable
 * process. 0 or -ENOMEM. */
int sup_proc_chain(pid_t pid, pid_t stop_pid, struct pol_strv *chain);
/* The same when the first process's comm and PPid are already known
 * (from the status just read): only its ancestors are read. */
int sup_proc_chain_from(const char *comm, size_t comm_len, pid_t ppid, pid_t stop_pid,
			struct pol_strv *chain);

/* Saved credentials of the calling thread. */
struct sup_creds_saved {
	int active;          /* 0: nothing switched; 1: everything; 2: capabilities only */
	uid_t euid;
	gid_t egid;
	size_t ngroups;
	gid_t groups[SUP_PROC_MAX_GROUPS];
	uint32_t cap_eff[2];
	bool nofixup;        /* SECBIT_NO_SETUID_FIXUP set here; secbits to put back */
	int secbits;
};

/* Make the calling thread act with the target's effective uid/gid (hence
 * fsuid/fsgid and capabilities), groups and (for a root target) effective
 * capability set, using raw per-thread syscalls (glibc's wrappers would
 * change every thread). Only what differs is switched: nothing when the
 * target's credentials equal the supervisor's or differ only by
 * CAP_SYS_PTRACE (which the launcher drops in the sandbox and which no
 * emulated call consults), one capset each way when other effective
 * capabilities differ. 0, or -EPERM when the supervisor cannot (an
 * unprivileged supervisor and a target with other ids). Always call
 * sup_creds_restore() afterwards, also on error. */
int sup_creds_assume(const struct sup_proc_status *target, struct sup_creds_saved *saved);
void sup_creds_restore(struct sup_creds_saved *saved);

#endif
