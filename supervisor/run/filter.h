/*
 * The seccomp filter of attesta-run (docs/SECURITY.md). filter.c builds it
 * with libseccomp in the supervisor before the fork, exports the BPF into
 * memory, and the child loads that program itself with the raw seccomp(2)
 * syscall, because libseccomp 2.5.4 cannot ask for
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV.
 *
 * What the filter decides in the kernel: everything not listed is allowed;
 * foreign architectures (i386 `int 0x80`) and x32 system call numbers kill
 * the process. The gated classes (exec, file removal, network) go to the
 * supervisor as user notifications, and so do the calls the sandbox may
 * not make at all, which the supervisor refuses (EPERM) and audits:
 * io_uring unless gate.allow_io_uring; seccomp() asking for a new
 * listener; kill/tgkill/tkill/ptrace, process_vm_readv/writev, pidfd_open
 * aimed at the supervisor's or the watcher's pid (watcher.h), kill(-1)
 * and the other rules of add_protect_supervisor(); terminal ioctls that
 * type into or take over a terminal (filter_tty.c); namespaces, chroot
 * and mounts. With exec gated, the credential calls (setuid ... capset)
 * go to the supervisor too, only to be seen and continued: it ends the
 * caller's cached credentials (decode_cache.h, docs/decode.md).
 *
 * Trust: the config is trusted (validated by the policy loader). Nothing
 * here reads sandbox input.
 */
#ifndef ATTESTA_SUP_FILTER_H
#define ATTESTA_SUP_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct pol_config;

/* Build the filter for config, with supervisor_pid the pid the sandbox
 * must not signal, trace or read. On success *ret_prog holds a malloc'd
 * program (release it with sup_filter_release). -ENOMEM, -EINVAL (a
 * syscall libseccomp does not know) or the libseccomp error. */
int sup_filter_build(const struct pol_config *config, pid_t supervisor_pid,
		     struct sock_fprog *ret_prog);
void sup_filter_release(struct sock_fprog *prog);

/* Load prog into the calling thread with a user-notification listener.
 * Tries NEW_LISTENER|WAIT_KILLABLE_RECV first and falls back to
 * NEW_LISTENER alone when the kernel refuses the flag (EINVAL), setting
 * *ret_killable accordingly. The caller must have set NO_NEW_PRIVS.
 * Returns the listener fd (O_CLOEXEC) or -errno. Async-signal-safe enough
 * for a forked child: no allocation. */
int sup_filter_load(const struct sock_fprog *prog, bool *ret_killable);

/* True if syscall number nr of the native arch is one the filter sends to
 * the supervisor (used to reject unexpected notifications fail-closed). */
bool sup_filter_is_gated(int nr);

/* True if nr is a credential call (setuid, setgid, setreuid, setregid,
 * setresuid, setresgid, setfsuid, setfsgid, setgroups, capset) of the
 * native arch: sent to the supervisor to be seen and continued, never
 * decided or refused. */
bool sup_filter_is_creds_call(int nr);

/* For a notification the filter sends only to be refused (see filter.c:
 * signals, tracing or memory access aimed at the supervisor, io_uring, a
 * nested listener, namespaces, chroot, mounts): a one-line reason for
 * the audit entry; NULL for a gated call (exec, removal, network). */
const char *sup_filter_refusal(int nr);

/* The same for a whole notification: a terminal ioctl the sandbox may
 * not make (filter_tty.c) gets its own reason; else sup_filter_refusal(nr). */
struct seccomp_data;
const char *sup_filter_refusal_of(const struct seccomp_data *data);

/* filter_tty.c: add the terminal ioctl rules to a libseccomp context
 * (scmp_filter_ctx), 0 or the libseccomp error; and the reason for a
 * refused ioctl request (NULL if request is not one of them). */
int sup_filter_add_tty(void *ctx);
const char *sup_filter_tty_refusal(uint64_t request);

/* The name of a system call the filter gates or refuses, "unknown" else. */
const char *sup_filter_syscall_name(int nr);

#endif
