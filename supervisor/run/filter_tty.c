/*
 * The terminal ioctls the sandbox may not make (docs/SECURITY.md,
 * docs/attesta-run.md "Terminals"): those that put bytes into a
 * terminal's input as if a person had typed them, or that take over a
 * terminal someone else uses. They are sent to the supervisor, which
 * refuses them (EPERM) and audits the attempt like the other refusals of
 * filter.c. Trusts nothing from the sandbox: the rules compare the
 * request number, the 32 bits the kernel reads (an `unsigned int cmd`),
 * so a request with garbage in the upper half of the register is matched
 * like the plain one.
 */
#include "supervisor/run/filter.h"

#include <errno.h>
#include <linux/kd.h>
#include <stddef.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

/* SECURITY: each of these lets a process in the sandbox act on a terminal
 * beyond its own output:
 *   TIOCSTI       push a byte into a terminal's input queue: the user's
 *                 shell (or the approval prompt) reads it as typed;
 *   TIOCLINUX     virtual console services, among them TIOCL_SETSEL +
 *                 TIOCL_PASTESEL (paste the selection into the input);
 *   KDSKBENT, KDSKBSENT, KDSETKEYCODE
 *                 remap a console key (or make it type a string): the
 *                 next key a person presses types the agent's text;
 *   TIOCCONS      redirect the kernel console's output to a terminal;
 *   TIOCVHANGUP   hang up a terminal: its session (the user's shell and
 *                 attesta-run's watcher) gets SIGHUP;
 *   TIOCSETD      change a terminal's line discipline (N_TTY replaced
 *                 under the user's shell; old, rarely used kernel code).
 * TIOCSCTTY is refused only with argument 1, which as root steals a
 * terminal that is another session's controlling terminal; argument 0
 * (adopt a terminal nobody controls, as script(1), ssh or tmux do for the
 * ptys they create) stays allowed. Not refused: TIOCNOTTY and TIOCSPGRP
 * act only on the caller's own controlling terminal and session, and the
 * sandbox runs in a session of its own (launch.c). */
static const unsigned int refused_ioctls[] = {
	TIOCSTI, TIOCLINUX, KDSKBENT, KDSKBSENT, KDSETKEYCODE, TIOCCONS, TIOCVHANGUP, TIOCSETD,
};

int sup_filter_add_tty(void *ctx)
{
	const scmp_datum_t lo = 0xffffffffu;
	int rc = 0;

	for (size_t i = 0; i < sizeof refused_ioctls / sizeof refused_ioctls[0]; i++)
		rc = rc ?: seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(ioctl), 1,
					    SCMP_A1(SCMP_CMP_MASKED_EQ, lo, refused_ioctls[i]));
	/* tiocsctty() takes its argument as an int: compare those 32 bits. */
	rc = rc ?: seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(ioctl), 2,
				    SCMP_A1(SCMP_CMP_MASKED_EQ, lo, TIOCSCTTY),
				    SCMP_A2(SCMP_CMP_MASKED_EQ, lo, 1));
	return rc;
}

const char *sup_filter_tty_refusal(uint64_t request)
{
	const unsigned int cmd = (unsigned int)request;

	for (size_t i = 0; i < sizeof refused_ioctls / sizeof refused_ioctls[0]; i++)
		if (refused_ioctls[i] == cmd)
			return cmd == TIOCSETD || cmd == TIOCCONS || cmd == TIOCVHANGUP
				       ? "refused: a terminal ioctl that takes over a terminal "
					 "(line discipline, console output or hangup)"
				       : "refused: a terminal ioctl that types into a terminal's "
					 "input (TIOCSTI, TIOCLINUX or a console key map)";
	if (cmd == TIOCSCTTY)
		return "refused: TIOCSCTTY stealing another session's terminal";
	return NULL;
}

const char *sup_filter_refusal_of(const struct seccomp_data *data)
{
	if (data->nr == SYS_ioctl) {
		const char *why = sup_filter_tty_refusal(data->args[1]);
		if (why)
			return why;
	}
	return sup_filter_refusal(data->nr);
}
