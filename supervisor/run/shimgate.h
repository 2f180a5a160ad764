/*
 * The supervisor's end of the shim-only fallback (docs/shim.md, "Shim-only
 * mode"): where seccomp user notification is unavailable, the shim asks
 * before each gated libc call. This module owns the listening
 * SOCK_SEQPACKET socket (an abstract name with 128 random bits, in
 * ATTESTA_SHIM_GATE), accepts one connection per request, reads and
 * validates the GATE_REQUEST, turns it into a synthetic seccomp
 * notification for the ordinary decoders, and sends the verdict back on
 * the same connection.
 *
 * Trust: requests come from code in the sandbox (or from anything that
 * learned the socket name). A request is served only if the kernel
 * (SCM_CREDENTIALS of the request) says its sender is a descendant of
 * this supervisor and the tid it names is a thread of that process; the request is parsed whole
 * (sup_shim_parse_gate); its pointer arguments are read by the decoders
 * from the requester's memory, bounded like any notification's. Shim-only
 * mode is a weaker gate than seccomp and says so: a program can bypass it
 * with raw syscalls, a static binary, or by clearing LD_PRELOAD, and
 * another thread can change the arguments between the verdict and the
 * call (no emulation is possible here).
 *
 * Event loop thread only.
 */
#ifndef ATTESTA_SUP_SHIMGATE_H
#define ATTESTA_SUP_SHIMGATE_H

#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/common/shim_msg.h"

struct sup_shimgate;

/* Bind and listen (non-blocking, close-on-exec). 0 or -errno. */
int sup_shimgate_new(struct sup_shimgate **ret_gate);
void sup_shimgate_free(struct sup_shimgate *gate);

/* The listening socket, for epoll (EPOLLIN: a connection is waiting). */
int sup_shimgate_fd(const struct sup_shimgate *gate);

/* The environment entries for PROG in shim-only mode, NULL-terminated,
 * owned by gate: ATTESTA_SHIM_MODE=gate, ATTESTA_SHIM_GATE=@name and
 * ATTESTA_SHIM_GATE_TIMEOUT=<timeout_s> (the shim's own bound on a wait;
 * make it longer than any human approval). Pass to
 * sup_shimrecv_child_env. */
char *const *sup_shimgate_env(struct sup_shimgate *gate, unsigned timeout_s);

/* Accept one waiting connection: *ret_conn (non-blocking, close-on-exec,
 * SO_PASSCRED; the caller closes it). -EAGAIN when nobody waits. */
int sup_shimgate_accept(struct sup_shimgate *gate, int *ret_conn);

/* Read the one request of a connection: -EAGAIN when it has not arrived
 * yet (wait for EPOLLIN on conn), -ECONNRESET on end of file, a parse
 * error of sup_shim_parse_gate (garbage: close conn, the shim fails the
 * call closed), -EPERM (counted as refused) when the kernel's sender pid
 * (SCM_CREDENTIALS) is not a descendant of this process, differs from
 * hdr.pid, or hdr.tid is not one of its threads. */
int sup_shimgate_read(struct sup_shimgate *gate, int conn, struct shim_gate_request *ret_req);

/* A synthetic notification for sup_decode (pass listener_fd -1): pid is
 * the requesting thread, data.nr/args from the request, x86-64 arch. */
void sup_shimgate_to_notif(const struct shim_gate_request *req, uint64_t id,
			   struct seccomp_notif *ret_notif);

/* Send the verdict (allow, or deny with error; see sup_shim_gate_verdict)
 * without blocking. 0, or -errno (the requester is gone: nothing to do). */
int sup_shimgate_answer(int conn, const struct shim_gate_request *req, int allow, int error);

/* Ask gate about syscall nr with args (pointers into the caller's
 * memory) the way the shim does, and wait for the verdict: 0 to go
 * ahead, the errno to fail with, or ENOSYS when no valid verdict came.
 * For attesta-run's own launch child in shim-only mode, whose first exec
 * of PROG must be gated like any other (the shim is not loaded in it
 * yet). Uses system calls only: safe in a child forked from a threaded
 * process. */
int sup_shimgate_ask(const struct sup_shimgate *gate, uint8_t entry, int nr, const uint64_t args[6],
		     const char *text);

/* Counters: connections accepted, refused peers, garbage requests. */
struct sup_shimgate_stats {
	uint64_t accepted, refused, garbage;
};
void sup_shimgate_stats(const struct sup_shimgate *gate, struct sup_shimgate_stats *ret_stats);
void sup_shimgate_note_garbage(struct sup_shimgate *gate);

#endif
