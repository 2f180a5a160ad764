/*
 * Calls a human refused a moment ago. A shell whose exec of /usr/bin/rm
 * is refused tries the next PATH entry, /bin/rm, which on a merged-/usr
 * system is the same file: without this table the approver would be asked
 * (or the timeout waited out) again for the same call. A repeat of a
 * refused call by the same process within SUP_REPEAT_WINDOW_MS is refused
 * at once (and audited, decision_source "repeat"); approvals are never
 * repeated this way (scopes do that, explicitly). Trusts the decoded
 * action; keys are built from the decided copies only.
 */
#ifndef ATTESTA_SUP_REPEAT_H
#define ATTESTA_SUP_REPEAT_H

#include <stdint.h>
#include <sys/types.h>

#include "policy/action.h"

#define SUP_REPEAT_WINDOW_MS 10000
#define SUP_REPEAT_SLOTS 16

struct sup_repeat;

/* CLOCK_MONOTONIC in milliseconds (the clock of the functions below). */
uint64_t sup_repeat_now_ms(void);

/* 0 or -ENOMEM. */
int sup_repeat_new(struct sup_repeat **ret);
void sup_repeat_free(struct sup_repeat *r);

/* A human refused action (verdict "denied", "timed_out", ...) at now_ms. */
void sup_repeat_note(struct sup_repeat *r, const struct pol_action *action, const char *verdict,
		     uint64_t now_ms);

/* The verdict of a refusal of the same call by the same process within
 * the window, or NULL. */
const char *sup_repeat_find(const struct sup_repeat *r, const struct pol_action *action,
			    uint64_t now_ms);

#endif
