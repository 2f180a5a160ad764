/*
 * A stand-alone approval server for testing supervisor/run/approval*.c
 * without a sandbox: `run_approval_hub CONFIG [--child CMD...] -- PROG
 * ARGS [--- PROG ARGS]...` builds an exec action for each PROG ARGS (cwd
 * is the current directory), scores it with the configured engine, holds
 * the ones that need a human on the approval socket, and prints one JSON
 * line per decision on stdout ({"id", "action", "approved", "verdict",
 * "source", "approvers", "review_seconds", "min_review_met",
 * "session_grant", "challenge_passed", "reason"}). The first line is
 * {"socket": PATH}. With --child, CMD runs as a child of this process
 * (so the approval socket must refuse it as "inside the sandbox"); its
 * exit status is printed as {"child_status": N}. Exits when every held
 * call is decided. With --tty CMD... (before --child or --), CMD runs on
 * the tty renderer's pty (the hub's stdin must be a terminal) and the
 * prompts are shown there; CMD is killed once every call is decided.
 * A test tool: no seccomp, nothing held is executed.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/action.h"
#include "policy/config.h"
#include "policy/engine.h"
#include "supervisor/run/approval.h"
#include "supervisor/run/tty.h"

static void decided(void *ctx, void *cookie, const struct sup_approval_outcome *o)
{
	struct pol_action *act = cookie;
	cJSON *line = cJSON_CreateObject();
	char *desc = pol_action_describe(act);
	(void)ctx;
	cJSON_AddStringToObject(line, "action", desc ? desc : "?");
	cJSON_AddBoolToObject(line, "approved", o->approved);
	cJSON_AddStringToObject(line, "verdict", sup_verdict_name(o->verdict));
	cJSON_AddStringToObject(line, "source", sup_source_name(o->decision_source));
	cJSON *ids = cJSON_AddArrayToObject(line, "approvers");
	for (size_t i = 0; o->approver_ids && o->approver_ids[i]; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateString(o->approver_ids[i]));
	cJSON_AddNumberToObject(line, "review_seconds", o->review_seconds);
	cJSON_AddBoolToObject(line, "min_review_met", o->min_review_met);
	cJSON_AddBoolToObject(line, "session_grant", o->session_grant);
	cJSON_AddBoolToObject(line, "challenge_passed", o->challenge_passed);
	cJSON_AddBoolToObject(line, "escalation", o->escalation);
	cJSON_AddStringToObject(line, "reason", o->reason ? o->reason : "");
	if (o->challenge_result)
		cJSON_AddItemToObject(line, "challenge_result",
				      cJSON_Duplicate(o->challenge_result, true));
	char *text = cJSON_PrintUnformatted(line);
	printf("%s\n", text);
	fflush(stdout);
	free(text);
	free(desc);
	cJSON_Delete(line);
	pol_action_free(act);
}

static struct pol_action *exec_action(char **argv, int argc, const char *cwd)
{
	struct pol_action *a = pol_action_new(POL_ACTION_EXEC);
	char path[4096];
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (argv[0][0] == '/')
		snprintf(path, sizeof path, "%s", argv[0]);
	else
		snprintf(path, sizeof path, "/usr/bin/%s", argv[0]);
	pol_action_set(&a->function_name, base);
	pol_action_set(&a->path, path);
	pol_action_set(&a->argv0, argv[0]);
	pol_action_set(&a->cwd, cwd);
	pol_action_set(&a->agent_id, "hub-agent");
	pol_action_set(&a->environment, "development");
	for (int i = 1; i < argc; i++)
		pol_strv_push(&a->args, argv[i], strlen(argv[i]));
	pol_strv_push(&a->chain, "agent", 5);
	a->pid = a->tgid = getpid();
	return a;
}

int main(int argc, char **argv)
{
	struct pol_config *config = NULL;
	struct pol_engine *engine = NULL;
	struct sup_approval *hub = NULL;
	struct pol_diag diag;
	char why[512], cwd[4096];
	int i = 2;

	if (argc < 4) {
		fprintf(stderr, "usage: run_approval_hub CONFIG [--child CMD...] -- PROG ARGS "
			"[--- PROG ARGS]...\n");
		return 2;
	}
	memset(&diag, 0, sizeof diag);
	if (pol_config_load(argv[1], &config, &diag) < 0 || pol_engine_new(config, &engine, &diag) < 0) {
		fprintf(stderr, "run_approval_hub: %s\n", diag.message);
		return 2;
	}
	const char *tty_cmd = NULL, *child_cmd = NULL;
	while (i + 1 < argc && strcmp(argv[i], "--")) {
		if (!strcmp(argv[i], "--tty"))
			tty_cmd = argv[i + 1];
		else if (!strcmp(argv[i], "--child"))
			child_cmd = argv[i + 1];
		else
			return 2;
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--"))
		return 2;
	i++;
	if (!getcwd(cwd, sizeof cwd))
		return 2;
	struct sup_approval_opts opts = { .config = config, .session_id = "hubtest",
					  .supervisor_pid = getpid(), .listen = true,
					  .announce = true };
	struct sup_approval_ops ops = { .decided = decided };
	if (sup_approval_new(&opts, &ops, &hub, why, sizeof why) < 0) {
		fprintf(stderr, "run_approval_hub: %s\n", why);
		return 2;
	}
	printf("{\"socket\":\"%s\"}\n", sup_approval_socket_path(hub));
	fflush(stdout);
	while (i < argc) {
		int start = i;
		while (i < argc && strcmp(argv[i], "---"))
			i++;
		struct pol_action *act = exec_action(argv + start, i - start, cwd);
		struct pol_decision d;
		unsigned id;
		if (i < argc)
			i++;
		if (pol_engine_evaluate(engine, act, 0.5, true, &d) < 0)
			return 2;
		if (d.challenge == POL_CHALLENGE_AUTO_APPROVE || d.blocked) {
			printf("{\"action\":\"%s\",\"auto\":true}\n", act->function_name);
			pol_action_free(act);
		} else if (sup_approval_hold(hub, act, act, &d, &id) < 0) {
			return 2;
		}
		pol_decision_release(&d);
	}
	fflush(stdout);
	pid_t child = -1;
	if (child_cmd) {
		child = fork();
		if (child == 0) {
			execl("/bin/sh", "sh", "-c", child_cmd, (char *)NULL);
			_exit(127);
		}
	}
	struct sup_tty *tty = NULL;
	pid_t prog = -1;
	if (tty_cmd) {
		if (sup_tty_new(hub, &tty, why, sizeof why) < 0) {
			fprintf(stderr, "run_approval_hub: %s\n", why);
			return 2;
		}
		prog = fork();
		if (prog == 0) {
			if (sup_tty_child_setup(sup_tty_slave_fd(tty)) < 0)
				_exit(125);
			execl("/bin/sh", "sh", "-c", tty_cmd, (char *)NULL);
			_exit(127);
		}
		sup_tty_started(tty);
	}
	while (sup_approval_count(hub) > 0 || child > 0) {
		struct pollfd p[2] = { { .fd = sup_approval_fd(hub), .events = POLLIN },
				       { .fd = tty ? sup_tty_fd(tty) : -1, .events = POLLIN } };
		poll(p, 2, 50);
		sup_approval_dispatch(hub);
		if (tty)
			sup_tty_dispatch(tty);
		int status;
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			printf("{\"child_status\":%d}\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
			fflush(stdout);
			child = -1;
		}
	}
	if (tty) {
		/* let the prompt's last lines reach the terminal, then end CMD */
		for (int k = 0; k < 5; k++) {
			struct pollfd p = { .fd = sup_tty_fd(tty), .events = POLLIN };
			poll(&p, 1, 20);
			sup_tty_dispatch(tty);
		}
		kill(prog, SIGKILL);
		waitpid(prog, NULL, 0);
		sup_tty_free(tty);
	}
	sup_approval_free(hub);
	pol_engine_free(engine);
	pol_config_free(config);
	return 0;
}
