/*
 * pidfd constants newer than some distributions' kernel headers (Debian
 * 12 ships 6.1 headers; PIDFD_THREAD is from 6.9, PIDFD_GET_INFO from
 * 6.13). Values are the kernel's ABI. The info struct is the first,
 * 64-byte version (PIDFD_INFO_SIZE_VER0): the ioctl is extensible by
 * size, so a newer kernel fills exactly these fields.
 */
#ifndef ATTESTA_PIDFD_COMPAT_H
#define ATTESTA_PIDFD_COMPAT_H

#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* A pidfd whose pidfd_getfd() reads the descriptor table of thread tid,
 * the one its system call's numbers name (a thread cloned without
 * CLONE_FILES has a table of its own): the thread's pidfd, or before
 * Linux 6.9 (no PIDFD_THREAD: EINVAL) the thread group tgid's. The fd
 * (close-on-exec, the caller owns it) or -errno. */
static inline int sup_pidfd_open_caller(pid_t tid, pid_t tgid)
{
	long fd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);

	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_pidfd_open, tgid, 0);
	return fd < 0 ? -errno : (int)fd;
}

#define SUP_PIDFD_INFO_PID (1ULL << 0)
#define SUP_PIDFD_INFO_CREDS (1ULL << 1)

struct sup_pidfd_info {
	__u64 mask;
	__u64 cgroupid;
	__u32 pid, tgid, ppid;
	__u32 ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	__u32 spare0[1];
};

_Static_assert(sizeof(struct sup_pidfd_info) == 64, "PIDFD_INFO_SIZE_VER0");

#define SUP_PIDFD_GET_INFO _IOWR(0xFF, 11, struct sup_pidfd_info)

#endif
