/*
 * Rename scoring (docs/decode.md, "rename"): pol_engine_evaluate() for a
 * rename action scores it as itself and as the removals it makes. Pure
 * computation over the engine (engine.h); no I/O.
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "engine_internal.h"
#include "pol_limits.h"

/* Is decision a riskier than b (blocked, then level, then score)? */
static bool riskier(const struct pol_decision *a, const struct pol_decision *b)
{
	if (a->blocked != b->blocked)
		return a->blocked;
	if (a->assessment.level != b->assessment.level)
		return a->assessment.level > b->assessment.level;
	return a->assessment.score > b->assessment.score;
}

/*
 * SECURITY: a rename removes names. Moving a guarded file out of its path
 * (then unlinking it under an unguarded name), renaming over a guarded
 * file or exchanging one must cost at least what removing it costs
 * (docs/decode.md): the rename is scored as itself and as the unlink (or
 * rmdir) of its source and, when the destination exists or with
 * RENAME_EXCHANGE, of its destination; the riskiest decision stands. An
 * override for `rename` raises the rename's own score but cannot lower it
 * below those removals.
 *
 * A directory moved away takes every name under it along: its removal is
 * also scored spelled "DIR/", so a path pattern that names the tree's
 * contents ("/vault/") matches the move of the directory itself, and the
 * removal of each name the decoder listed under it is scored too (a
 * pattern naming one file by its full path).
 */

/* Score the removal of path (spelled with a trailing slash when
 * as_tree) and keep it in *d when it is riskier. */
static int score_removal(struct pol_engine *e, const struct pol_action *action, double trust,
			 const char *path, const struct pol_file_info *info, bool as_tree,
			 const char *how, struct pol_decision *d)
{
	bool dir = info->known && !strcmp(info->type, "dir");
	char spelled[POL_TARGET_MAX_PATH + 2], note[600];
	const char *text = path;
	struct pol_action removal;
	struct pol_decision other;
	int r;

	if (as_tree) {
		int n = snprintf(spelled, sizeof(spelled), "%s/", path);

		if (n < 0 || (size_t)n >= sizeof(spelled))
			return 0;
		text = spelled;
	}
	memset(&removal, 0, sizeof(removal));
	memset(&other, 0, sizeof(other));
	removal.action_class = dir ? POL_ACTION_RMDIR : POL_ACTION_UNLINK;
	removal.function_name = dir ? "rmdir" : "unlink";
	removal.path = (char *)text;
	removal.args.items = (char **)&text;
	removal.args.count = 1;
	removal.file = *info;
	removal.agent_id = action->agent_id;
	removal.session_id = action->session_id;
	removal.environment = action->environment;
	removal.cwd = action->cwd;
	removal.exe = action->exe;
	removal.chain = action->chain;
	removal.pid = action->pid;
	removal.tgid = action->tgid;
	removal.ppid = action->ppid;
	removal.intercepted_at = action->intercepted_at;
	r = pol_engine_evaluate_one(e, &removal, trust, false, &other);
	if (r < 0)
		return r;
	if (riskier(&other, d)) {
		snprintf(note, sizeof(note), "the rename %s '%s': scored as its %s%s", how, path,
			 removal.function_name, as_tree ? " with everything under it" : "");
		pol_decision_release(d);
		*d = other;
		return pol_assessment_add(&d->assessment, "rename", 0.0, note, path);
	}
	pol_decision_release(&other);
	return 0;
}

static int evaluate_rename(struct pol_engine *e, const struct pol_action *action, double trust,
			   bool count_novelty, struct pol_decision *ret)
{
	struct pol_decision d;
	int r = pol_engine_evaluate_one(e, action, trust, count_novelty, &d);

	if (r < 0)
		return r;
	for (int i = 0; i < 2 && r == 0; i++) {
		const char *path = i == 0 ? action->path : action->dest_path;
		const struct pol_file_info *info = i == 0 ? &action->file : &action->dest_file;
		const char *how = i == 0 ? "moves away"
				  : action->rename_exchange ? "exchanges" : "replaces";

		if (!path || (i == 1 && !action->rename_replaces && !action->rename_exchange))
			continue;
		r = score_removal(e, action, trust, path, info, false, how, &d);
		if (r == 0 && info->known && !strcmp(info->type, "dir"))
			r = score_removal(e, action, trust, path, info, true, how, &d);
	}
	/* every name under a moved directory (listed by the decoder) */
	for (size_t i = 0; i < action->rename_tree.count && r == 0; i++) {
		static const struct pol_file_info unknown = { .known = false };

		r = score_removal(e, action, trust, action->rename_tree.items[i], &unknown, false,
				  "moves away", &d);
	}
	if (r < 0) {
		pol_decision_release(&d);
		return r;
	}
	*ret = d;
	return 0;
}

int pol_engine_evaluate(struct pol_engine *e, const struct pol_action *action,
			double trust, bool count_novelty, struct pol_decision *ret)
{
	if (action->action_class == POL_ACTION_RENAME)
		return evaluate_rename(e, action, trust, count_novelty, ret);
	return pol_engine_evaluate_one(e, action, trust, count_novelty, ret);
}
