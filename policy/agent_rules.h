/*
 * Private to the agent profile: the exec rule table (agent_rules.c) and
 * the per-program option table that lets agent_exec.c tell operands from
 * option values.
 *
 * Flag specs (comma-separated, any one suffices):
 *   "-x"        short option x, also inside a cluster (-rf), unless the
 *               program uses single-dash long options (then exact)
 *   "--long"    --long or --long=VALUE; "--long*" any --long... option
 *   "@word"     an argument equal to word
 *   "^prefix"   an argument starting with prefix
 *   "~regex"    PCRE2, caseless, searched in the arguments joined by spaces
 *               (a "~" spec must be the last one in its list: the regex
 *               may contain commas)
 * Subcommand specs: space-separated positions, each a |-separated list of
 * fnmatch globs, matched against the leading operands ("s3 rm|s3 rb" is
 * two alternatives of two positions: alternatives are split on '|'
 * first, so write every alternative in full).
 */
#ifndef ATTESTA_AGENT_RULES_H
#define ATTESTA_AGENT_RULES_H

#include <stdbool.h>

#include "agent.h"

enum agent_ops {
	OPS_NONE = 0,
	OPS_ALL,      /* every operand */
	OPS_SKIP1,    /* all but the first (chmod MODE FILE...) */
	OPS_LAST,     /* the destination (cp, mv) */
	OPS_BUT_LAST, /* the sources (mv, cp) */
	OPS_DD_OF,    /* the value of of= */
	OPS_FIND,     /* find's starting points (default ".") */
};

struct agent_rule {
	const char *cmd;    /* |-separated fnmatch globs on the basename */
	const char *sub;    /* subcommand spec or NULL */
	const char *any;    /* flag specs: one must match (NULL: no condition) */
	const char *also;   /* flag specs: one of these must match too */
	const char *none;   /* flag specs: none may match */
	enum agent_sev sev; /* fixed severity (SEV_SAFE: the command is harmless) */
	enum agent_effect effect;
	enum agent_ops ops;
	const char *name;   /* finding name; NULL: the rule only suppresses */
};

struct agent_cmd_opts {
	const char *cmd;
	const char *short_with_arg; /* letters of short options taking a value */
	const char *long_with_arg;  /* " name name " of long options taking a value */
	bool single_dash_long;      /* -delete, -auto-approve: no clusters */
};

extern const struct agent_rule agent_rules[];
extern const struct agent_cmd_opts agent_cmd_opts[];

#endif
