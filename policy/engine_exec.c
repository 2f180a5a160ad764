/*
 * The other programs an exec runs, judged like an exec of each
 * (docs/decode.md): a "#!" script's interpreter (`INTERPRETER SCRIPT
 * ARGS`), an ELF interpreter that is not the dynamic loader (`INTERP
 * PROGRAM ARGS`), and the program the dynamic loader is asked to run
 * (`PROGRAM ARGS`, argv0 as the loader will set it). The riskier of the
 * exec's decision and each of these stands, with a factor naming what
 * raised it. One function for the gate (supervisor/run/decide_exec.c)
 * and the dry run (`attesta score`, docs/score.md), so both give the same
 * number for the same exec.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

static bool riskier(const struct pol_decision *a, const struct pol_decision *b)
{
	if (a->blocked != b->blocked)
		return a->blocked > b->blocked;
	if (a->assessment.level != b->assessment.level)
		return a->assessment.level > b->assessment.level;
	return a->assessment.score > b->assessment.score;
}

/* Judge `path` run as argv0 with args (first_arg, then from[skip..]). */
static int judge(struct pol_engine *engine, const struct pol_action *ex, double trust,
		 struct pol_decision *io, const char *path, const char *argv0, const char *first_arg,
		 const struct pol_strv *from, size_t skip, const char *what, const char *factor,
		 bool unpinned)
{
	struct pol_action *run = pol_action_new(POL_ACTION_EXEC);
	struct pol_decision other;
	const char *slash = strrchr(path, '/');
	int rc = -ENOMEM;

	memset(&other, 0, sizeof other);
	if (!run)
		return -ENOMEM;
	if (pol_action_set(&run->function_name, slash ? slash + 1 : path) < 0 ||
	    pol_action_set(&run->path, path) < 0 || pol_action_set(&run->argv0, argv0) < 0 ||
	    pol_action_set(&run->cwd, ex->cwd) < 0 ||
	    pol_action_set(&run->agent_id, ex->agent_id) < 0 ||
	    pol_action_set(&run->environment, ex->environment) < 0 ||
	    pol_action_set(&run->session_id, ex->session_id) < 0 ||
	    (first_arg && pol_strv_push(&run->args, first_arg, strlen(first_arg)) < 0))
		goto out;
	for (size_t i = skip; from && i < from->count; i++)
		if (pol_strv_push(&run->args, from->items[i], strlen(from->items[i])) < 0)
			goto out;
	/* no override lowers a program the agent could have replaced
	 * (exec_names.h) */
	run->exec_unpinned = unpinned;
	run->pid = ex->pid;
	run->tgid = ex->tgid;
	run->ppid = ex->ppid;
	run->intercepted_at = ex->intercepted_at;
	rc = pol_engine_evaluate(engine, run, trust, false, &other);
	if (rc < 0)
		goto out;
	if (riskier(&other, io)) {
		char note[400];
		snprintf(note, sizeof note, "%s '%.300s', rated higher than the exec itself", what, path);
		pol_decision_release(io);
		*io = other;
		memset(&other, 0, sizeof other);
		rc = pol_assessment_add(&io->assessment, factor, 0.0, note, path);
	}
out:
	pol_decision_release(&other);
	pol_action_free(run);
	return rc;
}

/* `INTERPRETER [ARG] [nested words] SCRIPT ARGS`: the "#!" argument is
 * part of what runs (`#!/lib64/ld-linux-x86-64.so.2 /path/prog` runs
 * prog: docs/decode.md). */
static int judge_script(struct pol_engine *engine, const struct pol_action *ex, double trust,
			struct pol_decision *io)
{
	struct pol_strv args = { 0 };
	int rc = 0;

	for (size_t i = 1; rc == 0 && i < ex->interp_argv.count; i++)
		rc = pol_strv_push(&args, ex->interp_argv.items[i], strlen(ex->interp_argv.items[i]));
	if (rc == 0)
		rc = pol_strv_push(&args, ex->path, strlen(ex->path));
	for (size_t i = 0; rc == 0 && i < ex->args.count; i++)
		rc = pol_strv_push(&args, ex->args.items[i], strlen(ex->args.items[i]));
	if (rc == 0)
		rc = judge(engine, ex, trust, io, ex->interpreter, ex->interpreter, NULL, &args, 0,
			   "the script runs", "interpreter", ex->interp_unpinned);
	pol_strv_release(&args);
	return rc;
}

int pol_engine_judge_exec(struct pol_engine *engine, const struct pol_action *ex, double trust,
			  struct pol_decision *io_decision)
{
	int rc = 0;

	if (ex->action_class != POL_ACTION_EXEC || !ex->path)
		return 0;
	/* SECURITY: a "#!" script runs its interpreter, which the agent
	 * chose by writing the script (`./innocent.sh` starting
	 * "#!/path/forbidden-tool"). */
	if (ex->interpreter)
		rc = judge_script(engine, ex, trust, io_decision);
	/* SECURITY: an ELF whose PT_INTERP names another program runs that
	 * program first, with the ELF as its business. The dynamic loader
	 * itself only maps the program, which is what was judged. */
	if (rc == 0 && ex->elf_interp && !ex->elf_interp_loader)
		rc = judge(engine, ex, trust, io_decision, ex->elf_interp, ex->elf_interp,
			   ex->interpreter ? ex->interpreter : ex->path, &ex->args, 0,
			   "the ELF interpreter", "elf_interpreter", true);
	/* SECURITY: `ld.so PROGRAM` runs PROGRAM without an exec. */
	if (rc == 0 && ex->loader_target && ex->loader_argv.count)
		rc = judge(engine, ex, trust, io_decision, ex->loader_target, ex->loader_argv.items[0],
			   NULL, &ex->loader_argv, 1, "the dynamic loader runs", "loader_target", false);
	return rc;
}
