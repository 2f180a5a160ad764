/*
 * The supervisor's end of the annotation channel from libattesta-preload.so
 * (docs/shim.md): the SOCK_SEQPACKET socketpair whose other end PROG
 * inherits, the environment that points the shim at it, the drain that
 * turns queued datagrams into the per-tid annotation table, and
 * sup_shimrecv_annotate(), which adds what the shim said to a decoded
 * action: the libc entry point (and command string for system/popen) and a
 * host name, verified by the supervisor's own resolution (hostverify.h).
 *
 * Trust: every datagram comes from the sandbox and is hostile: received
 * into a bounded buffer with MSG_TRUNC (oversized means garbage, never
 * "cut to a valid size"), parsed whole by sup_shim_parse, attributed to
 * the kernel-checked sender pid (SO_PASSCRED), rate-limited per pid by the
 * table, and at most SUP_SHIMRECV_DRAIN_MAX datagrams are handled per
 * drain so a flood cannot starve the event loop. Descriptors attached to a
 * datagram are closed unread. Nothing here turns a claim into authority:
 * host_verified is set only by hostverify's MATCH.
 *
 * Use (event loop thread only; not thread-safe):
 *   sup_shimrecv_new()                 before fork
 *   sup_shimrecv_child_env()           before fork: the env for PROG
 *   sup_shimrecv_child_prepare()       in the child after fork (async-
 *                                      signal-safe): keep the fd across exec
 *   sup_shimrecv_parent_after_fork()   in the parent: close the child's end
 *   sup_shimrecv_fd()                  in the epoll set (EPOLLIN)
 *   sup_shimrecv_drain()               on EPOLLIN and before decoding each
 *                                      notification
 *   sup_shimrecv_annotate()            after decoding, before policy
 */
#ifndef ATTESTA_SUP_SHIMRECV_H
#define ATTESTA_SUP_SHIMRECV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/action.h"
#include "supervisor/common/shim_msg.h"
#include "supervisor/run/hostverify.h"

/* The send buffer asked for on the sandbox's end of the socket (the
 * kernel doubles it): about 2,000 queued datagrams. */
#define SUP_SHIMRECV_SNDBUF (2 * 1024 * 1024)

/* Datagrams handled per sup_shimrecv_drain call. */
#define SUP_SHIMRECV_DRAIN_MAX 256

struct sup_shimrecv;

struct sup_shimrecv_stats {
	struct sup_shim_stats table; /* accepted, rate_limited, sender_mismatch, garbage, evicted */
	uint64_t received;           /* datagrams read */
	uint64_t oversized;          /* longer than POL_SHIM_MAX_MSG (counted in garbage too) */
	uint64_t no_credentials;     /* no SCM_CREDENTIALS (counted in garbage too) */
	uint64_t fds_closed;         /* descriptors attached to datagrams */
	uint64_t annotated_calls;    /* actions that got a libc entry */
	uint64_t names_verified, names_unverified;
};

/* Create the socketpair (both ends SOCK_CLOEXEC; ours non-blocking with
 * SO_PASSCRED), the annotation table (topts may be NULL) and the host
 * verifier (hopts may be NULL; its threads inherit the caller's signal
 * mask: block the loop's signals first). 0 or -errno. */
int sup_shimrecv_new(const struct sup_shim_table_opts *topts, const struct sup_hostverify_opts *hopts,
		     struct sup_shimrecv **ret_recv);
void sup_shimrecv_free(struct sup_shimrecv *recv);

/* Our end, for epoll. */
int sup_shimrecv_fd(const struct sup_shimrecv *recv);
/* The child's end (-1 after sup_shimrecv_parent_after_fork). */
int sup_shimrecv_child_fd(const struct sup_shimrecv *recv);

/* Where libattesta-preload.so is: $ATTESTA_PRELOAD_LIB if set, else next
 * to the running binary (/proc/self/exe's directory, the build tree),
 * else ../lib/attesta/ relative to it (an installed PREFIX/bin). The path
 * must be absolute, exist, and contain no ':' or whitespace (LD_PRELOAD
 * separators). *ret_path is malloc'd. -ENOENT (not found), -EINVAL (an
 * unusable path), -ENOMEM. */
int sup_shimrecv_find_preload(char **ret_path);

/* Build PROG's environment: a copy of base (NULL-terminated "NAME=value"
 * strings) without LD_PRELOAD and ATTESTA_SHIM_FD/_MODE/_GATE/
 * _GATE_TIMEOUT, plus ATTESTA_SHIM_FD=<child fd>, LD_PRELOAD=<preload>
 * followed by the user's other LD_PRELOAD entries, and gate_env entries
 * (NULL-terminated "NAME=value" strings, may be NULL: the shim-only mode
 * adds ATTESTA_SHIM_MODE=gate etc. through it). ATTESTA_SHIM_SKIP passes
 * through. *ret_env is a malloc'd array of malloc'd strings; free it with
 * sup_shimrecv_env_free. -EINVAL (preload NULL, no child fd), -ENOMEM. */
int sup_shimrecv_child_env(const struct sup_shimrecv *recv, char *const *base, const char *preload,
			   char *const *gate_env, char ***ret_env);
void sup_shimrecv_env_free(char **env);

/* In the forked child, before exec: clear FD_CLOEXEC on the child's end
 * so PROG inherits it. Async-signal-safe. 0 or -errno. */
int sup_shimrecv_child_prepare(const struct sup_shimrecv *recv);

/* In the parent after fork: close the child's end, so the sandbox holds
 * the only copy of it. */
void sup_shimrecv_parent_after_fork(struct sup_shimrecv *recv);

/* Read every queued datagram (at most SUP_SHIMRECV_DRAIN_MAX) without
 * blocking and store the valid ones in the table at now_ms (CLOCK_MONOTONIC
 * ms). Returns the number of datagrams read, or -errno for a failure of
 * the socket itself (not for bad datagrams, which are counted). */
int sup_shimrecv_drain(struct sup_shimrecv *recv, uint64_t now_ms);

/* Add the shim's context to action, decoded from the notification of
 * thread tid for syscall nr (x86-64 number):
 *  - connect/sendto/sendmsg/sendmmsg: libc_entry from the thread's pending
 *    call annotation (if its destination, when it named one, is the
 *    kernel's); for AF_INET/AF_INET6 a host name the process resolved to
 *    the connected address, verified with hostverify (may block up to its
 *    wait bound): action->host and action->host_verified;
 *  - execve/execveat: libc_entry (the thread's exec annotation, or its
 *    parent's posix_spawn/system/popen), libc_command for system/popen.
 * Uses action->tgid, ppid, family and address. Leaves the action as it was
 * when the shim said nothing. 0, -EINVAL, -ENOMEM (the action may then
 * hold part of the context; the caller fails closed anyway). */
int sup_shimrecv_annotate(struct sup_shimrecv *recv, struct pol_action *action, int nr, pid_t tid,
			  uint64_t now_ms);

/* Whether sup_shimrecv_annotate() adds anything to a call of syscall nr
 * (the network calls and exec). For the others (removals, socket) the
 * drain before the decision is skipped: what is queued is for a later
 * call, and that call's drain (or the loop's EPOLLIN) reads it. */
bool sup_shimrecv_annotates(int nr);

void sup_shimrecv_stats(const struct sup_shimrecv *recv, struct sup_shimrecv_stats *ret_stats);

/* CLOCK_MONOTONIC in milliseconds, the clock every now_ms above uses. */
uint64_t sup_shimrecv_now_ms(void);

#endif
