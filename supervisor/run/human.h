/*
 * Held calls that need a human (docs/challenges.md, issue 5): the glue between the
 * event loop (loop.h), the pipeline (pipeline.h, respond.h) and the approval
 * table with its renderers (approval.h: the socket; tty.h: the
 * terminal). It creates them for the chosen renderer, holds calls for a
 * human, and when a call is decided writes its audit entry with the
 * human outcome, answers the kernel, feeds the trust engine and records
 * approval scopes (scope.h).
 *
 * Trust: identities come from the approval module (kernel credentials);
 * the sandbox never reaches the approval socket (hard rule, checked by
 * device and inode of the socket file).
 */
#ifndef ATTESTA_SUP_HUMAN_H
#define ATTESTA_SUP_HUMAN_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/action.h"
#include "supervisor/run/loop.h"

/* After sup_loop_init(): create the approval table and its socket
 * (announce a one-line hint per held call on stderr unless use_tty), the
 * tty renderer when use_tty (its pty slave is then for the launcher),
 * and the scope table; watch the approval descriptor. Everything is
 * owned by loop (sup_loop_release frees it). 0, or -errno with why. */
int sup_human_open(struct sup_loop *loop, bool use_tty, char *why, size_t why_size);

/* Once PROG is launched: start the tty relay (raw mode) and watch it.
 * No-op without a tty. 0 or -errno. */
int sup_human_started(struct sup_loop *loop);

/* At most this many calls wait for a human at once: each holds a record
 * and often a descriptor in the supervisor, and an agent must not be able
 * to exhaust them (docs/attesta-run.md, "Process life"). */
#define SUP_HUMAN_MAX_HELD 256

/* Hold an evaluated call for a human. 0 (held: finished later), or
 * -errno (not held: the caller applies fail_mode; -ENOSPC when
 * SUP_HUMAN_MAX_HELD calls are waiting already). */
int sup_human_hold(struct sup_loop *loop, struct sup_held *held);

/* Whether action is a connect/send to the approval socket (same device
 * and inode, through the target's root or ours). */
bool sup_human_is_approval_socket(const struct sup_loop *loop, const struct pol_action *action);

#endif
