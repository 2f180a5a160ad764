/*
 * The text of an approval prompt, shared by the tty renderer
 * (supervisor/run/tty.c) and `attesta approve` / `attesta pending`
 * (supervisor/cli/cmd_approve.c): what is asked (program and argv, or
 * path, or host:port with the verified name), where (cwd, process chain),
 * why (risk score, level, top factors), for whom (agent id, environment),
 * the challenge and the time left. Input is a held item as the approval
 * socket describes it (docs/approvals.md); every string in it may come
 * from the sandboxed agent and is passed through sup_term_safe().
 */
#ifndef ATTESTA_SUP_APPROVAL_TEXT_H
#define ATTESTA_SUP_APPROVAL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* The description block (several lines, each ending in "\n"). malloc'd,
 * caller frees; NULL on ENOMEM. */
char *sup_approval_text_describe(const struct cJSON *item);

/* One question: "Q1. <text>\n   A) opt ...\n" (malloc'd). */
char *sup_approval_text_question(const struct cJSON *question, size_t number);

/* One summary line for a list: "#3  HIGH  quiz  287s  exec rm -rf build". */
char *sup_approval_text_line(const struct cJSON *item);

#endif
