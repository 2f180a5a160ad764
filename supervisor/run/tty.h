/*
 * The tty renderer (docs/challenges.md): when attesta-run's stdin is a terminal,
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
 *   sup_tty_child_own_pty()  in the launched child, after the sandbox and
 *                            before the filter, when the sandbox has a
 *                            devpts instance of its own; else
 *                            sup_tty_child_attach() (sup_tty_child_setup()
 *                            without a sandbox)
 *   sup_tty_adopt_master()   in the parent: the child's pty replaces ours
 *   sup_tty_started()        in the parent once PROG is launched (raw mode)
 *   sup_tty_dispatch()       whenever sup_tty_fd() is readable
 *   sup_tty_winch()          on SIGWINCH (instead of forwarding it)
 *   sup_tty_free()           restores the terminal (also on error paths)
 */
#ifndef ATTESTA_SUP_TTY_H
#define ATTESTA_SUP_TTY_H

#include <stdbool.h>
#include <stddef.h>

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

/* In the child (after fork, before loading the filter), the caller
 * being a session leader without a controlling terminal (setsid): make
 * the slave its controlling terminal (TIOCSCTTY) and put it on each of
 * fds 0-2 that was a terminal (redirected fds are kept); closes slave_fd
 * if it is not one of them. Async-signal-safe. 0 or -errno. */
int sup_tty_child_attach(int slave_fd);
/* setsid(), then sup_tty_child_attach(). */
int sup_tty_child_setup(int slave_fd);

/* In the child, a session leader without a controlling terminal, inside
 * a sandbox whose /dev/pts is a devpts instance of its own
 * (sandbox_ns.h): open a pty there (after the --user switch, so the
 * slave is that account's), give the slave host_slave's modes and size,
 * attach it as sup_tty_child_attach() does, and close host_slave. Then
 * ttyname() names PROG's terminal inside the sandbox. *ret_master: the
 * new master (O_CLOEXEC), for the parent to take (pidfd_getfd) and the
 * child to close before exec. Async-signal-safe. 0 or -errno. */
int sup_tty_child_own_pty(int host_slave, int *ret_master);

/* In the parent: relay through master (a pty master the child made with
 * sup_tty_child_own_pty, taken with pidfd_getfd) instead of the pty of
 * sup_tty_new, whose pair is closed; the real terminal's size is passed
 * on again. Takes master in every case. 0 or -errno (-ENOTTY: not a pty
 * master). */
int sup_tty_adopt_master(struct sup_tty *tty, int master);

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
