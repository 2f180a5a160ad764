/*
 * pidfd constants newer than some distributions' kernel headers (Debian
 * 12 ships 6.1 headers; PIDFD_THREAD is from 6.9, PIDFD_GET_INFO from
 * 6.13). Values are the kernel's ABI. The info struct is the first,
 * 64-byte version (PIDFD_INFO_SIZE_VER0): the ioctl is extensible by
 * size, so a newer kernel fills exactly these fields.
 */
#ifndef ATTESTA_PIDFD_COMPAT_H
#define ATTESTA_PIDFD_COMPAT_H

#include <fcntl.h>
#include <linux/types.h>
#include <sys/ioctl.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

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
