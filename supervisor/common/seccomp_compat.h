/*
 * seccomp user-notification constants newer than some distributions'
 * kernel headers (Debian 12 ships 6.1 headers; the flags are from 5.19 and
 * 6.6). Values are the kernel's ABI. Include after <linux/seccomp.h>.
 */
#ifndef ATTESTA_SECCOMP_COMPAT_H
#define ATTESTA_SECCOMP_COMPAT_H

#include <linux/seccomp.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#endif
