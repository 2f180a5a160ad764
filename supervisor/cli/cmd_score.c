/*
 * `attesta score`: the dry run people tune policy with (docs/score.md). It
 * builds the action the gate would build for an exec / unlink / rmdir /
 * connect / sendto (score_action.c; or reads a generic ActionContext
 * JSON), runs the same engine as attesta-run with what attesta-run would
 * use for it: the same config discovery, agent (gate.agent_id unless
 * --agent-id), environment, trust (the store's score, trust.initial_score
 * for an unknown agent, 0 for a revoked one), novelty as the session's
 * first call, and the same second look at a "#!" interpreter. Its
 * arguments and the context file are user input: they are validated,
 * nothing is executed. Exit 0 ok, 1 invalid input, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "policy/action.h"
#include "policy/config.h"
#include "policy/engine.h"
#include "policy/file_read.h"
#include "policy/pol_limits.h"
#include "policy/pystr.h"
#include "policy/trust.h"
#include "policy/trust_pg.h"
#include "score_action.h"
#include "score_output.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta score [-c FILE] [--env NAME] [--cwd DIR] [--agent-id ID] [--json] ACTION\n"
		"       attesta score [-c FILE] [--env NAME] [--json] --context FILE|-\n"
		"\n"
		"ACTION is one of:\n"
		"  exec PROG [ARG...]     run a program (PROG is looked up in PATH)\n"
		"  unlink PATH            remove a file\n"
		"  rmdir PATH             remove a directory\n"
		"  rename SRC DST         rename (scored as the removals it makes)\n"
		"  connect HOST:PORT      connect to an address ([v6]:PORT for IPv6)\n"
		"  connect unix:PATH      connect to an AF_UNIX socket\n"
		"  sendto HOST:PORT       send a datagram\n"
		"\n"
		"Scores the action exactly as attesta-run would, without running it.\n"
		"Exit status: 0 scored, 1 invalid input, 2 usage.\n");
}

static int read_context(const char *file, char **ret_buf, size_t *ret_len)
{
	if (!strcmp(file, "-"))
		return pol_file_read_fd(0, POL_CONFIG_MAX_BYTES, POL_READ_ANY_TYPE, ret_buf, ret_len);
	return pol_file_read(file, POL_CONFIG_MAX_BYTES, POL_READ_ANY_TYPE, ret_buf, ret_len);
}

/* trust.backend postgres: the agent's record in the fleet database; if it
 * cannot be read, 0, as the gate uses once its record is too old
 * (docs/trust.md, "Trust in the fleet database"). */
static int db_trust(const struct pol_config *config, const char *agent_id, double *ret)
{
	struct pol_trust_pg *db = NULL;
	struct pol_trust_store *store = NULL;
	struct pol_diag diag;
	char msg[1200];
	int r;

	memset(&diag, 0, sizeof(diag));
	r = pol_trust_pg_open(config->fleet_database, &db, &diag);
	r = r ?: pol_trust_pg_load(db, agent_id ? agent_id : "default", config, &store, &diag);
	pol_trust_pg_close(db);
	if (r < 0) {
		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: warning: trust from the fleet database: %s; scored with "
			"trust 0, as the gate would\n", diag.message[0] ? msg : strerror(-r));
		*ret = 0.0;
		return 0;
	}
	*ret = pol_trust_score(store, agent_id, NULL, (double)time(NULL));
	pol_trust_store_free(store);
	return 0;
}

/* The agent's trust as the gate reads it: pol_trust_score() of the
 * store (trust.initial_score for an agent it does not know, 0 for a
 * revoked one). A store that cannot be read is an error, as it is for
 * attesta-run (never a silent reset). */
static int stored_trust(const struct pol_config *config, const char *agent_id, double *ret)
{
	struct pol_trust_store *store = NULL;
	struct pol_diag diag;
	int r;

	memset(&diag, 0, sizeof(diag));
	if (config->trust_backend == POL_TRUST_BACKEND_POSTGRES)
		return db_trust(config, agent_id, ret);
	r = pol_trust_store_load(NULL, config, &store, &diag);
	if (r < 0) {
		char msg[1200];

		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: cannot load trust store: %s\n", diag.message[0] ? msg : strerror(-r));
		return r;
	}
	*ret = pol_trust_score(store, agent_id, NULL, (double)time(NULL));
	pol_trust_store_free(store);
	return 0;
}

int cmd_score(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, 'C' },    { "agent-id", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },         { "context", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *env = NULL, *cwd = NULL, *agent_id = NULL, *context = NULL;
	char cwd_buf[POL_TARGET_MAX_PATH];
	struct pol_config *config = NULL;
	struct pol_engine *engine = NULL;
	struct pol_action *action = NULL;
	struct pol_decision decision;
	struct pol_diag diag;
	bool json = false, have_decision = false;
	double trust = 0.5;
	char msg[1200];
	int opt, r, status = CLI_EXIT_INVALID;

	memset(&decision, 0, sizeof(decision));
	memset(&diag, 0, sizeof(diag));
	optind = 1;
	/* '+': stop at the first operand so `exec rm -rf /` keeps its flags. */
	while ((opt = getopt_long(argc, argv, "+c:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'e': env = optarg; break;
		case 'C': cwd = optarg; break;
		case 'a': agent_id = optarg; break;
		case 'j': json = true; break;
		case 'x': context = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if ((context && optind != argc) || (!context && optind >= argc)) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!cwd) {
		if (!getcwd(cwd_buf, sizeof(cwd_buf))) {
			fprintf(stderr, "attesta: cannot get the current directory: %m\n");
			return CLI_EXIT_INVALID;
		}
		cwd = cwd_buf;
	} else if (cwd[0] != '/') {
		fprintf(stderr, "attesta: --cwd '%s' must be absolute\n", cwd);
		return CLI_EXIT_USAGE;
	}
	r = pol_config_load_or_default(config_path, &config, &diag);
	if (r < 0) {
		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: %s\n", msg);
		goto out;
	}
	if (context) {
		char *buf = NULL;
		size_t len = 0;

		r = read_context(context, &buf, &len);
		if (r < 0) {
			fprintf(stderr, "attesta: cannot read context '%s': %s\n", context,
				pol_file_read_strerror(r));
			goto out;
		}
		r = pol_action_from_json(strcmp(context, "-") ? context : "<stdin>", buf, len, &action, &diag);
		free(buf);
		if (r < 0) {
			pol_diag_format(&diag, msg, sizeof(msg));
			fprintf(stderr, "attesta: %s\n", msg);
			goto out;
		}
	} else if ((r = score_build_action(argc - optind, argv + optind, cwd, config, &action)) < 0) {
		if (r == -EDOM)
			status = CLI_EXIT_USAGE;
		goto out;
	}
	if (env && pol_action_set(&action->environment, env))
		goto out;
	if (!action->environment && pol_action_set(&action->environment, config->environment))
		goto out;
	if (agent_id && pol_action_set(&action->agent_id, agent_id))
		goto out;
	if (!action->agent_id && pol_action_set(&action->agent_id, config->agent_id ? config->agent_id : "default"))
		goto out;
	/* A syscall action gets the gate's trust for its agent; a generic
	 * context keeps the reference's neutral trust unless --agent-id. */
	if ((!context || agent_id) && stored_trust(config, action->agent_id, &trust) < 0)
		goto out;
	r = pol_engine_new(config, &engine, &diag);
	if (r < 0) {
		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: %s\n", msg);
		goto out;
	}
	/* A fresh engine: the call counts as the session's first, as the
	 * gate counts it; then the gate's second look at a script. */
	r = pol_engine_evaluate(engine, action, trust, true, &decision);
	have_decision = r == 0;
	if (r == 0)
		r = pol_engine_judge_exec(engine, action, trust, &decision);
	if (r < 0) {
		fprintf(stderr, "attesta: cannot score: %s\n", strerror(-r));
		goto out;
	}
	if (json)
		r = score_print_json(stdout, action, &decision);
	else
		r = score_print_text(stdout, action, &decision);
	status = r < 0 ? CLI_EXIT_INVALID : CLI_EXIT_OK;
out:
	if (have_decision)
		pol_decision_release(&decision);
	pol_engine_free(engine);
	pol_action_free(action);
	pol_config_free(config);
	return status;
}
