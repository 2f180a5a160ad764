/*
 * Names of risk levels, challenge types and amplifier targets, and the
 * reference's score-to-level thresholds. Parsing accepts exactly the
 * spellings the reference accepts (levels and challenges are compared
 * case-insensitively, challenges in snake_case or kebab-case); anything
 * else is -EINVAL. Trusts its input strings only to be NUL-terminated.
 */
#include <errno.h>
#include <math.h>
#include <strings.h>

#include "config.h"

static const char *const level_names[POL_LEVEL_COUNT] = {
	[POL_LEVEL_LOW] = "low",
	[POL_LEVEL_MEDIUM] = "medium",
	[POL_LEVEL_HIGH] = "high",
	[POL_LEVEL_CRITICAL] = "critical",
};

static const char *const challenge_names[POL_CHALLENGE_COUNT] = {
	[POL_CHALLENGE_AUTO_APPROVE] = "auto_approve",
	[POL_CHALLENGE_CONFIRM] = "confirm",
	[POL_CHALLENGE_QUIZ] = "quiz",
	[POL_CHALLENGE_TEACH_BACK] = "teach_back",
	[POL_CHALLENGE_MULTI_PARTY] = "multi_party",
};

const char *pol_level_name(enum pol_level level)
{
	if ((unsigned)level >= POL_LEVEL_COUNT)
		return "unknown";
	return level_names[level];
}

int pol_level_parse(const char *name, enum pol_level *ret_level)
{
	if (!name)
		return -EINVAL;
	for (unsigned i = 0; i < POL_LEVEL_COUNT; i++) {
		if (!strcasecmp(name, level_names[i])) {
			*ret_level = (enum pol_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum pol_level pol_level_from_score(double score)
{
	/* SECURITY: a NaN score (a bug upstream) must not compare its way
	 * down to LOW; fail closed to CRITICAL. */
	if (isnan(score))
		return POL_LEVEL_CRITICAL;
	if (score < 0.3)
		return POL_LEVEL_LOW;
	if (score < 0.6)
		return POL_LEVEL_MEDIUM;
	if (score < 0.8)
		return POL_LEVEL_HIGH;
	return POL_LEVEL_CRITICAL;
}

const char *pol_challenge_name(enum pol_challenge challenge)
{
	if ((unsigned)challenge >= POL_CHALLENGE_COUNT)
		return "unknown";
	return challenge_names[challenge];
}

int pol_challenge_parse(const char *name, enum pol_challenge *ret_challenge)
{
	if (!name)
		return -EINVAL;
	for (unsigned i = 0; i < POL_CHALLENGE_COUNT; i++) {
		const char *want = challenge_names[i];
		const char *got = name;

		/* '-' in the input matches '_' in the name: "teach-back". */
		for (; *want && *got; want++, got++) {
			char c = *got;

			if (c == '-')
				c = '_';
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != *want)
				break;
		}
		if (!*want && !*got) {
			*ret_challenge = (enum pol_challenge)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pol_target_name(enum pol_target target)
{
	switch (target) {
	case POL_TARGET_NAME:
		return "name";
	case POL_TARGET_ARGS:
		return "args";
	case POL_TARGET_ANY:
		return "any";
	case POL_TARGET_PATH:
		return "path";
	case POL_TARGET_HOST:
		return "host";
	}
	return "unknown";
}
