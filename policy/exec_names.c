/*
 * Overrides by the name the user types and by the name of the file that
 * runs (see exec_names.h, docs/scoring.md). Trusts the action as far as
 * the decoder bounded it; the pinned flag is the decoder's
 * (supervisor/run/decode_exec.c).
 */
#include <string.h>

#include "agent.h"
#include "exec_names.h"

const struct pol_override *pol_override_find(const struct pol_config *c, const char *fn)
{
	const struct pol_override *hit = NULL;
	const char *dot = strrchr(fn, '.');

	for (size_t i = 0; i < c->n_overrides; i++)
		if (!strcmp(c->overrides[i].function_name, fn))
			hit = &c->overrides[i];
	if (!hit && dot)
		for (size_t i = 0; i < c->n_overrides; i++)
			if (!strcmp(c->overrides[i].function_name, dot + 1))
				hit = &c->overrides[i];
	return hit;
}

const char *pol_exec_typed_name(const struct pol_action *a)
{
	if (a->action_class != POL_ACTION_EXEC || !a->typed_path || !a->typed_path[0])
		return NULL;
	const char *slash = strrchr(a->typed_path, '/');
	const char *typed = slash ? slash + 1 : a->typed_path;
	if (!typed[0] || (a->function_name && !strcmp(typed, a->function_name)))
		return NULL;
	return typed;
}

const struct pol_override *pol_override_pick(const struct pol_config *c, const struct pol_action *a,
					     double s, double (*level_score)(enum pol_level),
					     const struct pol_override **ret_refused)
{
	const char *resolved = a->function_name ? a->function_name : "";
	const struct pol_override *by_res = pol_override_find(c, resolved);

	*ret_refused = NULL;
	if (a->action_class != POL_ACTION_EXEC)
		return by_res;
	const char *typed = pol_exec_typed_name(a);
	const struct pol_override *by_typed = typed ? pol_override_find(c, typed) : NULL;
	/* SECURITY: an override that raises applies by either name (a
	 * symlink named like a forbidden program is as forbidden); the
	 * higher of the two stands. */
	const struct pol_override *raise = NULL;
	if (by_res && level_score(by_res->level) >= s)
		raise = by_res;
	if (by_typed && level_score(by_typed->level) >= s &&
	    (!raise || by_typed->level > raise->level))
		raise = by_typed;
	if (raise)
		return raise;
	/* Lowering: the user's word first, then the file's name. */
	const struct pol_override *lower = by_typed ? by_typed : by_res;
	if (!lower)
		return NULL;
	/* SECURITY: only for a file reached through links the agent cannot
	 * change (docs/scoring.md): an agent-made `./python3 -> rm`, a copy
	 * or a hard link named python3 keeps its own risk. */
	if (a->exec_unpinned) {
		*ret_refused = lower;
		return NULL;
	}
	return lower;
}

static const char *base(const char *p)
{
	const char *slash = p ? strrchr(p, '/') : NULL;
	return slash ? slash + 1 : p ? p : "";
}

static bool wrapper_name(const char *name)
{
	return agent_is_shell(name) || agent_is_wrapper(name);
}

bool pol_exec_is_wrapper(const struct pol_action *a)
{
	if (a->action_class != POL_ACTION_EXEC || a->exec_anonymous)
		return false;
	if (a->interpreter)
		return wrapper_name(base(a->interpreter));
	return wrapper_name(a->function_name ? a->function_name : "");
}

static bool suffix(const struct pol_strv *shorter, const struct pol_strv *longer)
{
	if (shorter->count > longer->count)
		return false;
	size_t off = longer->count - shorter->count;
	for (size_t i = 0; i < shorter->count; i++)
		if (strcmp(shorter->items[i], longer->items[off + i]))
			return false;
	return true;
}

bool pol_exec_carries(const struct pol_strv *head_args, const struct pol_strv *args)
{
	return suffix(head_args, args) || (args->count && suffix(args, head_args));
}
