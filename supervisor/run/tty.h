/*
 * The tty renderer (DESIGN §7): when attesta-run's stdin is a terminal,
 * PROG runs on a pseudo-terminal that the supervisor owns, and the
 * supervisor relays bytes between the real terminal (raw mode) and the
 * pty master. When a held call needs a human, the relay to and from the
 * agent PAUSES and the prompt is shown on the real terminal: the agent
 * can neither read the approver's keystrokes nor type (or print) an
 * answer, since it only holds the pty slave. Held calls queue and are
 * shown one at a time; Ctrl-C (or Ctrl-D) at a prompt denies. The
 * approver's identity is the uid owning the terminal device.
 *
 * Single-threaded like the loop: the module exposes one epoll descriptor
 * (sup_tty_fd) and does its work in sup_tty_dispatch(), never blocking.
 *
 * Lifecycle in attesta-run:
 *   sup_tty_new()            before launching PROG (opens the pty)
 *   sup_tty_child_setup()    in the launched child, before the filter
 *   sup_tty_started()        in the parent once PROG is launched (raw mode)
 *   sup_tty_dispatch()       whenever sup_tty_fd() is readable
 *   sup_tty_winch()          on SIGWINCH (instead of forwarding it)
 *   sup_tty_free()           restores the terminal (also on error paths)
 */
#ifndef ATTESTA_SUP_TTY_H
#define ATTESTA_SUP_TTY_H

#include <stdbool.h>

struct sup_approval;
struct sup_tty;

/* Whether this process can run the tty renderer: stdin is a terminal. */
bool sup_tty_available(void);

/* Open the pty (slave gets the real terminal's modes and size) and hook
 * into approval's table. With approval NULL the pty is only relayed, never
 * paused, nothing is prompted (renderer none or socket: PROG must not hold
 * the user's terminal either, docs/attesta-run.md "Terminals").
 * 0, or -errno with why filled. */
int sup_tty_new(struct sup_approval *approval, struct sup_tty **ret_tty, char *why,
		size_t why_size);
void sup_tty_free(struct sup_tty *tty);

/* The slave descriptor the child must adopt (O_CLOEXEC; the child's
 * dup2 copies are not). */
int sup_tty_slave_fd(const struct sup_tty *tty);

/* In the child (after fork, before loading the filter): start a new
 * session, make the slave its controlling terminal (TIOCSCTTY) and put
 * it on each of fds 0-2 that was a terminal (redirected fds are kept).
 * Async-signal-safe. 0 or -errno. */
int sup_tty_child_setup(int slave_fd);

/* In the parent once PROG runs: close our slave copy, put the real
 * terminal in raw mode, start relaying. 0 or -errno. */
int sup_tty_started(struct sup_tty *tty);

int sup_tty_fd(const struct sup_tty *tty);
int sup_tty_dispatch(struct sup_tty *tty);
/* The real terminal's size changed: pass it to the pty. */
void sup_tty_winch(struct sup_tty *tty);
/* Relay whatever PROG printed that is still in the pty (at exit). */
void sup_tty_drain(struct sup_tty *tty);

#endif
