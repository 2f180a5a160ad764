/*
 * The second look at a "#!" script (docs/score.md, docs/SECURITY.md): the
 * script is judged under its own name, and the program that really runs
 * is judged as `INTERPRETER SCRIPT ARGS...`; the riskier decision stands.
 * One function shared by the gate (supervisor/run/verdict.c) and the dry
 * run (`attesta score`), so both give the same number for a script.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

/* Is b riskier than a: blocked first, then level, then score. */
static bool riskier(const struct pol_decision *a, const struct pol_decision *b)
{
	if (b->blocked != a->blocked)
		return b->blocked > a->blocked;
	if (b->assessment.level != a->assessment.level)
		return b->assessment.level > a->assessment.level;
	return b->assessment.score > a->assessment.score;
}

int pol_engine_judge_interpreter(struct pol_engine *engine, const struct pol_action *script,
				 double trust, struct pol_decision *io_decision)
{
	struct pol_action *run;
	struct pol_decision other;
	const char *slash;
	int rc = -ENOMEM;

	if (!script->interpreter || !script->path)
		return 0;
	run = pol_action_new(POL_ACTION_EXEC);
	if (!run)
		return -ENOMEM;
	memset(&other, 0, sizeof other);
	slash = strrchr(script->interpreter, '/');
	if (pol_action_set(&run->function_name, slash ? slash + 1 : script->interpreter) < 0 ||
	    pol_action_set(&run->path, script->interpreter) < 0 ||
	    pol_action_set(&run->argv0, script->interpreter) < 0 ||
	    pol_action_set(&run->cwd, script->cwd) < 0 ||
	    pol_action_set(&run->agent_id, script->agent_id) < 0 ||
	    pol_action_set(&run->environment, script->environment) < 0 ||
	    pol_action_set(&run->session_id, script->session_id) < 0 ||
	    pol_strv_push(&run->args, script->path, strlen(script->path)) < 0)
		goto out;
	for (size_t i = 0; i < script->args.count; i++)
		if (pol_strv_push(&run->args, script->args.items[i], strlen(script->args.items[i])) < 0)
			goto out;
	run->pid = script->pid;
	run->tgid = script->tgid;
	run->ppid = script->ppid;
	run->intercepted_at = script->intercepted_at;
	rc = pol_engine_evaluate(engine, run, trust, false, &other);
	if (rc < 0)
		goto out;
	if (riskier(io_decision, &other)) {
		char note[300];

		snprintf(note, sizeof note, "the script runs '%s', rated higher than the script",
			 script->interpreter);
		pol_decision_release(io_decision);
		*io_decision = other;
		memset(&other, 0, sizeof other);
		rc = pol_assessment_add(&io_decision->assessment, "interpreter", 0.0, note,
					script->interpreter);
	}
out:
	pol_decision_release(&other);
	pol_action_free(run);
	return rc;
}
