/*
 * Output of `attesta score`: the decision as JSON (scores in Python repr
 * precision, so they compare with the reference to the last digit) or as
 * a readable table. Both return 0 or -errno (write error, -ENOMEM).
 */
#ifndef ATTESTA_CLI_SCORE_OUTPUT_H
#define ATTESTA_CLI_SCORE_OUTPUT_H

#include <stdio.h>

#include "policy/action.h"
#include "policy/engine.h"

int score_print_json(FILE *out, const struct pol_action *action, const struct pol_decision *decision);
int score_print_text(FILE *out, const struct pol_action *action, const struct pol_decision *decision);

#endif
