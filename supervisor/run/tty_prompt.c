/*
 * The tty renderer's prompt: one held call at a time, oldest first. It
 * first shows what the agent printed before the call (the relay is
 * drained, so the agent's last lines are above the prompt, not held back
 * behind it), then the call (supervisor/common/approval_text.h), begins
 * the terminal owner's part of the challenge (the review clock starts),
 * and reads each answer with a minimal line editor. Each answer is
 * checked at once (approval.h, one question at a time): one given before
 * the minimum review time or that is not an option is refused (the
 * prompt stays), a wrong one denies the call there and then, with no
 * further question and no grant offered; only a passed challenge is asked
 * "for this session too?". Ctrl-C or Ctrl-D at a prompt denies.
 * Trusts only the terminal owner's keystrokes; what it shows from the
 * agent is made terminal-safe by approval_text.c.
 */
#include "supervisor/run/tty_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/common/approval_text.h"

static const cJSON *current_question(struct sup_tty *tty, cJSON *item)
{
	const cJSON *qs = cJSON_GetObjectItemCaseSensitive(item, "questions");
	return cJSON_GetArrayItem(qs, (int)tty->q);
}

static void draw_line(struct sup_tty *tty)
{
	double left = sup_approval_seconds_left(tty->approval, tty->cur);
	struct pol_challenge_state *ch = sup_approval_challenge(tty->approval, tty->cur);
	double review = ch ? pol_challenge_review_remaining(ch, tty->part, sup_approval_now()) : 0;
	char status[96];
	if (review > 0)
		snprintf(status, sizeof status, "[%.0fs left | review %.0fs more]", left, review);
	else
		snprintf(status, sizeof status, "[%.0fs left]", left);
	tty_printf(tty, "\r\033[K%s %s> ", status, tty->asking_scope ? "session? [y/N]" : "answer");
	tty_write(tty, tty->line, tty->line_len);
}

static void show_question(struct sup_tty *tty)
{
	cJSON *item = sup_approval_item_json(tty->approval, tty->cur, tty->identity);
	const cJSON *q = item ? current_question(tty, item) : NULL;
	char *text = q ? sup_approval_text_question(q, tty->q + 1) : NULL;
	if (text)
		tty_puts(tty, text);
	free(text);
	cJSON_Delete(item);
	tty->line_len = 0;
	draw_line(tty);
}

static void end_prompt(struct sup_tty *tty, const char *message)
{
	if (message)
		tty_printf(tty, "\r\033[K%s\n", message);
	tty_puts(tty, "--- attesta: back to the agent ---\n");
	tty->cur = 0;
	tty->asking_scope = false;
	tty->line_len = 0;
}

/* Start showing item id; false if this identity cannot take part. */
static bool start(struct sup_tty *tty, unsigned id)
{
	size_t part;
	if (sup_approval_begin(tty->approval, id, tty->identity, &part) < 0)
		return false;
	cJSON *item = sup_approval_item_json(tty->approval, id, tty->identity);
	if (!item)
		return false;
	tty->cur = id;
	tty->part = part;
	tty->q = 0;
	tty->nq = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(item, "questions"));
	tty->asking_scope = false;
	tty->decided_id = 0;
	tty->esc = 0;
	char *text = sup_approval_text_describe(item);
	/* What the agent printed before this call comes first (tty.c). */
	tty_relay_drain(tty);
	tty_puts(tty, "\r\n\033[K--- attesta: a held call needs your approval "
		 "(the agent is paused; Ctrl-C denies) ---\n");
	if (text)
		tty_puts(tty, text);
	free(text);
	tty_printf(tty, "  you are:     %s (owner of this terminal)\n", tty->identity);
	cJSON_Delete(item);
	if (tty->nq == 0) {
		sup_approval_deny(tty->approval, id, tty->identity, "challenge has no questions");
		return true;
	}
	show_question(tty);
	return true;
}

void tty_prompt_refresh(struct sup_tty *tty)
{
	if (!tty->approval)
		return; /* a relay only (tty.h) */
	if (tty->cur && !sup_approval_info(tty->approval, tty->cur)) {
		/* decided elsewhere: another approver, a timeout, a socket deny */
		char msg[160];
		if (tty->decided_id == tty->cur)
			snprintf(msg, sizeof msg, "held call #%u: %s (decided elsewhere)", tty->cur,
				 tty->decided_verdict);
		else
			snprintf(msg, sizeof msg, "held call #%u is no longer waiting", tty->cur);
		end_prompt(tty, msg);
	}
	if (tty->cur)
		return;
	unsigned after = 0, id;
	while ((id = sup_approval_next(tty->approval, tty->identity, after)) != 0) {
		if (start(tty, id))
			return;
		after = id;
	}
}

/* After the part passed: approve (once or for the session). */
static void conclude(struct sup_tty *tty, bool session)
{
	unsigned id = tty->cur;
	int rc = sup_approval_conclude(tty->approval, id, tty->identity, session);
	char msg[200];
	if (rc == SUP_SUBMIT_APPROVED)
		snprintf(msg, sizeof msg, "held call #%u: APPROVED%s", id,
			 session && sup_approval_session_allowed(tty->approval, id) ? " (for this session)"
										    : "");
	else if (rc == SUP_SUBMIT_WAITING)
		snprintf(msg, sizeof msg, "held call #%u: your part passed; waiting for other "
			 "approvers (attesta approve %u --socket %s)", id, id,
			 sup_approval_socket_path(tty->approval) ? sup_approval_socket_path(tty->approval)
								 : "?");
	else
		snprintf(msg, sizeof msg, "held call #%u: cannot conclude: %s", id, strerror(-rc));
	end_prompt(tty, msg);
	tty_prompt_refresh(tty);
}

static void enter(struct sup_tty *tty)
{
	tty->line[tty->line_len] = '\0';
	if (tty->asking_scope) {
		bool yes = !strcasecmp(tty->line, "y") || !strcasecmp(tty->line, "yes");
		tty_puts(tty, "\n");
		conclude(tty, yes);
		return;
	}
	struct pol_challenge_state *ch = sup_approval_challenge(tty->approval, tty->cur);
	double review = ch ? pol_challenge_review_remaining(ch, tty->part, sup_approval_now()) : 0;
	if (review > 0) {
		/* Refused up front; the prompt and what was typed stay. */
		tty_printf(tty, "\r\033[Ktoo early: review the action for %.0f more seconds\n",
			   review + 0.5);
		draw_line(tty);
		return;
	}
	unsigned id = tty->cur;
	double wait = 0;
	int rc = sup_approval_answer(tty->approval, id, tty->identity, tty->q, tty->line, &wait);
	char msg[200];
	switch (rc) {
	case SUP_ANSWER_TOO_EARLY:
		tty_printf(tty, "\r\033[Ktoo early: review the action for %.0f more seconds\n",
			   wait + 0.5);
		draw_line(tty);
		return;
	case SUP_ANSWER_NOT_AN_OPTION: {
		const struct pol_question *q = ch ? pol_challenge_question(ch, tty->part, tty->q) : NULL;
		tty_printf(tty, "\r\033[Knot an option: answer %s (nothing was recorded)\n",
			   q && q->kind == POL_QUESTION_CONFIRM ? "yes or no"
								: "with a letter or an option's text");
		tty->line_len = 0;
		draw_line(tty);
		return;
	}
	case SUP_ANSWER_NEXT:
		tty_puts(tty, "\n");
		tty->q++;
		tty->line_len = 0;
		show_question(tty);
		return;
	case SUP_ANSWER_PASSED:
		tty_puts(tty, "\n");
		tty->line_len = 0;
		/* Only now, with every answer right, is a wider grant offered. */
		if (sup_approval_session_allowed(tty->approval, id)) {
			tty->asking_scope = true;
			tty_puts(tty, "Approve identical calls for the rest of this session too?\n");
			draw_line(tty);
			return;
		}
		conclude(tty, false);
		return;
	case SUP_ANSWER_DENIED:
		tty_puts(tty, "\n");
		snprintf(msg, sizeof msg, "held call #%u: DENIED (%s; nothing more is asked)", id,
			 tty->nq > 1 ? "wrong answer" : "challenge failed");
		break;
	default:
		snprintf(msg, sizeof msg, "held call #%u: cannot answer: %s", id, strerror(-rc));
		break;
	}
	end_prompt(tty, msg);
	tty_prompt_refresh(tty);
}

void tty_prompt_input(struct sup_tty *tty, const char *bytes, size_t len)
{
	for (size_t i = 0; i < len && tty->cur; i++) {
		unsigned char c = (unsigned char)bytes[i];
		if (tty->esc == 1) {
			tty->esc = c == '[' || c == 'O' ? 2 : 0;
			continue;
		}
		if (tty->esc == 2) {
			if (c >= 0x40 && c <= 0x7e)
				tty->esc = 0;
			continue;
		}
		switch (c) {
		case 0x03: /* Ctrl-C */
		case 0x04: { /* Ctrl-D */
			unsigned id = tty->cur;
			tty_puts(tty, "^C\n");
			sup_approval_deny(tty->approval, id, tty->identity,
					  c == 0x03 ? "Ctrl-C at the terminal prompt"
						    : "Ctrl-D at the terminal prompt");
			char msg[80];
			snprintf(msg, sizeof msg, "held call #%u: DENIED", id);
			end_prompt(tty, msg);
			tty_prompt_refresh(tty);
			break;
		}
		case 0x1b:
			tty->esc = 1;
			break;
		case '\r':
		case '\n':
			enter(tty);
			break;
		case 0x7f:
		case 0x08:
			/* drop one UTF-8 character */
			while (tty->line_len > 0 &&
			       ((unsigned char)tty->line[tty->line_len - 1] & 0xc0) == 0x80)
				tty->line_len--;
			if (tty->line_len > 0)
				tty->line_len--;
			draw_line(tty);
			break;
		case 0x15: /* Ctrl-U */
			tty->line_len = 0;
			draw_line(tty);
			break;
		default:
			if (c < 0x20)
				break;
			if (tty->line_len + 1 < sizeof tty->line) {
				tty->line[tty->line_len++] = (char)c;
				tty_write(tty, (const char *)&c, 1);
			}
			break;
		}
	}
}

void tty_prompt_tick(struct sup_tty *tty)
{
	if (tty->cur && sup_approval_info(tty->approval, tty->cur))
		draw_line(tty);
}
