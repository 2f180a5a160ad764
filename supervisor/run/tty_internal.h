/*
 * Internals of the tty renderer shared by tty.c (pty, relay, raw mode)
 * and tty_prompt.c (the prompt state machine). Not for other modules.
 */
#ifndef ATTESTA_SUP_TTY_INTERNAL_H
#define ATTESTA_SUP_TTY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#include "policy/challenge.h"
#include "policy/pol_limits.h"
#include "supervisor/run/approval.h"
#include "supervisor/run/tty.h"

/* PROG output queued for the terminal before we stop reading the pty
 * (backpressure: PROG blocks in write, nothing is lost). */
#define TTY_RELAY_HIGH (16u * 1024)
/* Prompt text queued for a terminal that does not drain (^S). */
#define TTY_OUT_MAX (1024u * 1024)

struct sup_tty {
	struct sup_approval *approval;
	int term_fd;                  /* our own open file of the real terminal, O_NONBLOCK */
	int master, slave;
	int epfd, evfd, tickfd;
	struct termios saved;
	bool have_saved, raw, started, master_gone;
	char identity[POL_CHALLENGE_MAX_IDENTITY];

	char to_prog[4096];           /* keystrokes for PROG not yet written */
	size_t to_prog_len;
	char *out;                    /* bytes for the terminal not yet written */
	size_t out_len, out_cap;

	/* prompt */
	unsigned cur;                 /* item shown, 0: relaying */
	size_t part, q, nq;
	bool asking_scope;            /* the extra "for this session?" question */
	char line[POL_CHALLENGE_MAX_ANSWER + 1];
	size_t line_len;
	int esc;                      /* 0, 1 after ESC, 2 inside CSI */

	/* what the table told us since the last dispatch */
	bool dirty;
	unsigned decided_id;
	char decided_verdict[32];
	bool decided_approved;
};

/* tty.c */
void tty_write(struct sup_tty *tty, const char *bytes, size_t len);
/* Text with "\n" turned into "\r\n" (the terminal is raw). */
void tty_puts(struct sup_tty *tty, const char *text);
void tty_printf(struct sup_tty *tty, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Before a prompt: queue everything PROG has written to its pty so far
 * (bounded by TTY_OUT_MAX) ahead of it, so the agent's last output is
 * shown above the prompt instead of held back until it is answered. */
void tty_relay_drain(struct sup_tty *tty);

/* tty_prompt.c */
/* Show the next waiting item if none is shown (after the table changed). */
void tty_prompt_refresh(struct sup_tty *tty);
/* Keystrokes while a prompt is up. */
void tty_prompt_input(struct sup_tty *tty, const char *bytes, size_t len);
/* Redraw the answer line (countdown). */
void tty_prompt_tick(struct sup_tty *tty);

#endif
