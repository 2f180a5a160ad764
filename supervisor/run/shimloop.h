/*
 * The shim in attesta-run's event loop (issue 7, docs/shim.md): the
 * annotation socket (drained before each call the shim annotates is
 * decided, and by the loop on EPOLLIN at most once per 10 ms), the
 * annotation of decoded actions, and in shim-only mode the
 * gate socket: each GATE_REQUEST becomes a held call (struct sup_held with
 * shim_conn >= 0) that goes through the same verdict path as a seccomp
 * notification (decode -> policy -> audit -> answer), the answer going
 * back on the request's connection instead of to the kernel.
 *
 * Trust: see shimrecv.h and shimgate.h; everything from the sandbox is
 * bounded and parsed there. The loop thread, or a decision thread under
 * the gate lock (sup_shimloop_drain, sup_shimloop_annotate).
 */
#ifndef ATTESTA_SUP_SHIMLOOP_H
#define ATTESTA_SUP_SHIMLOOP_H

#include <stdbool.h>

#include "supervisor/run/loop.h"
#include "supervisor/run/shimgate.h"
#include "supervisor/run/shimrecv.h"

struct sup_shimloop;

/* Set up the shim for attesta-run before PROG is launched: the
 * annotation socket and resolver threads (call after sup_loop_init, so
 * the threads inherit the blocked signals), in shim_mode also the gate
 * socket, the library's path and PROG's environment (*ret_env, for
 * sup_launch_opts.envp; free with sup_shimrecv_env_free). gate_timeout_s
 * is the shim's own bound on one wait. Sets loop->shim and
 * loop->gate->shim_mode and registers the sockets with the loop. Returns 0, or
 * 1 when the library cannot be found and !shim_mode (PROG then runs
 * without the shim: no host names; reason says why), or -errno (reason
 * says why; in shim_mode a missing library is -ENOENT). */
int sup_shimloop_open(struct sup_loop *loop, bool shim_mode, unsigned gate_timeout_s,
		      char ***ret_env, char *reason, size_t reason_size);

/* In the parent after sup_launch_start: close PROG's end of the
 * annotation socket. */
void sup_shimloop_after_fork(struct sup_loop *loop);

/* The annotation socket, for sup_launch_opts.shim (NULL: no shim), and
 * the gate socket, for sup_launch_opts.gate (NULL unless shim-only). */
const struct sup_shimrecv *sup_shimloop_recv(const struct sup_loop *loop);
const struct sup_shimgate *sup_shimloop_gate(const struct sup_loop *loop);

void sup_shimloop_free(struct sup_shimloop *shim);

/* Register the sockets with the loop's epoll set (sup_ev_add). Call
 * after sup_loop_init, before sup_loop_run. 0 or -errno. */
int sup_shimloop_watch(struct sup_loop *loop);

/* Before decoding a seccomp notification: read the queued annotations. */
void sup_shimloop_drain(struct sup_loop *loop);

/* After decoding: add libc entry, command and verified host name to
 * held->action (for a shim-only request also the request's own entry). */
void sup_shimloop_annotate(struct sup_loop *loop, struct sup_held *held);

#endif
