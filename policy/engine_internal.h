/*
 * Shared between engine.c and engine_rename.c. Not a public interface.
 */
#ifndef ATTESTA_ENGINE_INTERNAL_H
#define ATTESTA_ENGINE_INTERNAL_H

#include <stdbool.h>

#include "engine.h"

/* The pipeline for one action as it is (pol_engine_evaluate() without
 * the rename expansion). 0 or -ENOMEM. */
int pol_engine_evaluate_one(struct pol_engine *engine, const struct pol_action *action,
			    double trust, bool count_novelty, struct pol_decision *ret);

#endif
