/*
 * The action `attesta score` scores for `exec PROG ARGS | unlink PATH |
 * rmdir PATH | connect ADDR | sendto ADDR`, built as the gate's decoders
 * build it from a held call (docs/score.md): the program's path with
 * symlinks followed and its "#!" interpreter, the removed path's parent
 * with symlinks followed, what the file is, the configured environment
 * variables from this process's environment.
 */
#ifndef ATTESTA_CLI_SCORE_ACTION_H
#define ATTESTA_CLI_SCORE_ACTION_H

#include "policy/action.h"
#include "policy/config.h"

/* argv[0] is the action word. 0, -EDOM (usage, message printed), -EINVAL
 * (bad address, message printed) or -ENOMEM. */
int score_build_action(int argc, char **argv, const char *cwd, const struct pol_config *config,
		       struct pol_action **ret);

#endif
