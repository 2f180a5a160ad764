/*
 * `attesta pending|approve|deny --db` (docs/approvals.md, "The fleet
 * approval queue"): the approver's side of the approval queue in the
 * fleet database, from any machine that can reach it. The same challenge
 * as the local renderers runs here (the questions of the part the
 * database gives this role); the node that holds the call checks the
 * answers against its own challenge. The identity is the database role
 * this connection authenticated as (session_user), never anything typed;
 * the database refuses node roles, records when this role first saw the
 * call and refuses answers before the minimum review time. Waits for the
 * node's verdict on LISTEN attesta_approval_result, never by polling.
 * Every string shown came from a node (or from its agent) and is made
 * safe for the terminal.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "fleet_common.h"
#include "policy/approval_pg.h"
#include "policy/challenge.h"
#include "policy/config.h"
#include "policy/pol_limits.h"
#include "supervisor/common/approval_text.h"
#include "supervisor/common/termsafe.h"

/* How long to wait for the node's verdict beyond the call's deadline. */
#define VERDICT_GRACE_SECONDS 10

struct db_opts {
	const char *config_path, *database, *answers_file, *reason;
	bool json, yes, session;
	int64_t id;
};

static void usage_db(FILE *out, const char *cmd)
{
	if (!strcmp(cmd, "pending"))
		fputs("usage: attesta pending --db [-c FILE] [--database CONNINFO] [--json]\n", out);
	else if (!strcmp(cmd, "approve"))
		fputs("usage: attesta approve --db ID [-c FILE] [--database CONNINFO] [--yes]\n"
		      "                          [--session] [--answers-file FILE]\n", out);
	else
		fputs("usage: attesta deny --db ID [-c FILE] [--database CONNINFO] [--reason TEXT]\n",
		      out);
	fputs("Held calls of every node in the fleet database (approvals.backend: postgres).\n"
	      "Your identity is the database role you connect as; node roles are refused.\n"
	      "exit status: 0 approved / your part passed / denied as asked, 1 refused or\n"
	      "failed, 2 usage or no such id\n", out);
}

static int parse_db(int argc, char **argv, struct db_opts *o)
{
	enum { O_DB = 256, O_DATABASE, O_JSON, O_YES, O_ANSWERS, O_REASON, O_SESSION, O_HELP };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", no_argument, NULL, O_DB },
		{ "database", required_argument, NULL, O_DATABASE },
		{ "json", no_argument, NULL, O_JSON },
		{ "yes", no_argument, NULL, O_YES },
		{ "answers-file", required_argument, NULL, O_ANSWERS },
		{ "reason", required_argument, NULL, O_REASON },
		{ "session", no_argument, NULL, O_SESSION },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:yh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case O_HELP: usage_db(stdout, cmd); return -1;
		case 'c': o->config_path = optarg; break;
		case O_DB: break;
		case O_DATABASE: o->database = fleet_cli_database(optarg); break;
		case O_JSON: o->json = true; break;
		case 'y':
		case O_YES: o->yes = true; break;
		case O_ANSWERS: o->answers_file = optarg; break;
		case O_REASON: o->reason = optarg; break;
		case O_SESSION: o->session = true; break;
		default: usage_db(stderr, cmd); return CLI_EXIT_USAGE;
		}
	}
	bool pending = !strcmp(cmd, "pending");
	if (!pending) {
		const char *s = optind == argc - 1 ? argv[optind] : NULL;
		char *end;
		if (!s) {
			usage_db(stderr, cmd);
			return CLI_EXIT_USAGE;
		}
		s += *s == '#';
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (errno || end == s || *end || v <= 0) {
			fprintf(stderr, "attesta: invalid id '%s'\n", argv[optind]);
			return CLI_EXIT_USAGE;
		}
		o->id = v;
	} else if (optind != argc) {
		usage_db(stderr, cmd);
		return CLI_EXIT_USAGE;
	}
	if ((strcmp(cmd, "approve") && (o->yes || o->answers_file || o->session)) ||
	    (strcmp(cmd, "deny") && o->reason) || (!pending && o->json)) {
		usage_db(stderr, cmd);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static void print_diag(const struct pol_diag *diag, int r)
{
	fprintf(stderr, "attesta: %s\n", diag->message[0] ? diag->message : strerror(-r));
}

/* --database, else fleet.database, else libpq's environment. */
static int connect_db(const struct db_opts *o, const char *channel, struct pol_approval_pg **ret)
{
	struct pol_config *config = NULL;
	struct pol_diag diag = { 0 };
	int r;

	if (!o->database) {
		r = pol_config_load_or_default(o->config_path, &config, &diag);
		if (r < 0) {
			char line[1200];
			pol_diag_format(&diag, line, sizeof line);
			fprintf(stderr, "attesta: %s\n", diag.message[0] ? line : strerror(-r));
			return CLI_EXIT_INVALID;
		}
	}
	r = pol_approval_pg_connect(o->database ? o->database
				    : config->fleet_database ? config->fleet_database : "",
				    channel, ret, &diag);
	pol_config_free(config);
	if (r < 0) {
		print_diag(&diag, r);
		return CLI_EXIT_INVALID;
	}
	return 0;
}

static int refusal(enum pol_approval_pg_error err, const struct pol_diag *diag, int64_t id)
{
	switch (err) {
	case POL_APG_NO_SUCH_ID:
		fprintf(stderr, "attesta: no held call #%" PRId64 " in the fleet database\n", id);
		return CLI_EXIT_USAGE;
	case POL_APG_NODE_ROLE:
		fprintf(stderr, "attesta: refused: your database role is a node role; nodes "
			"cannot answer held calls (log in as an approver's role)\n");
		return CLI_EXIT_INVALID;
	case POL_APG_DECIDED:
		fprintf(stderr, "attesta: #%" PRId64 " is already decided or past its deadline\n", id);
		return CLI_EXIT_INVALID;
	case POL_APG_BUSY:
		fprintf(stderr, "attesta: #%" PRId64 ": every approver part is taken by other "
			"roles\n", id);
		return CLI_EXIT_INVALID;
	case POL_APG_ALREADY:
		fprintf(stderr, "attesta: #%" PRId64 ": your role has already answered (another "
			"person must use another role)\n", id);
		return CLI_EXIT_INVALID;
	case POL_APG_DENIED_ACCESS:
		fprintf(stderr, "attesta: refused: your database role is not an approver (grant "
			"it attesta_approver)\n");
		return CLI_EXIT_INVALID;
	default:
		print_diag(diag, -EIO);
		return CLI_EXIT_INVALID;
	}
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int run_pending_db(struct pol_approval_pg *pg, const struct db_opts *o)
{
	enum pol_approval_pg_error err;
	struct pol_diag diag = { 0 };
	cJSON *rows = NULL, *row;

	if (pol_approval_pg_list(pg, 0, &rows, &err, &diag) < 0)
		return refusal(err, &diag, 0);
	if (o->json) {
		char *text = cJSON_Print(rows);
		if (text)
			puts(text);
		free(text);
		cJSON_Delete(rows);
		return CLI_EXIT_OK;
	}
	if (!cJSON_GetArraySize(rows))
		puts("no held calls in the fleet database");
	cJSON_ArrayForEach(row, rows) {
		const cJSON *item = cJSON_GetObjectItemCaseSensitive(row, "item");
		char node[300], agent[300], action[600], level[32], ch[64];
		sup_term_safe(str_of(row, "level") ? str_of(row, "level") : "?", level, sizeof level);
		for (char *c = level; *c; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
		printf("#%-5.0f %-8s %-12s %4.0fs  %d/%d  %s  (node %s, agent %s)\n",
		       num_of(row, "id"), level,
		       sup_term_safe(str_of(row, "challenge") ? str_of(row, "challenge") : "?", ch,
				     sizeof ch),
		       num_of(row, "seconds_left"), (int)num_of(row, "approvers_passed"),
		       (int)num_of(row, "approvers_required"),
		       sup_term_safe(str_of(item, "action") ? str_of(item, "action") : "?", action,
				     sizeof action),
		       sup_term_safe(str_of(row, "node_id") ? str_of(row, "node_id") : "?", node,
				     sizeof node),
		       sup_term_safe(str_of(row, "agent_id") ? str_of(row, "agent_id") : "?", agent,
				     sizeof agent));
	}
	cJSON_Delete(rows);
	return CLI_EXIT_OK;
}

/* The row, or NULL after a message (*code set). */
static cJSON *fetch(struct pol_approval_pg *pg, int64_t id, int *code)
{
	enum pol_approval_pg_error err;
	struct pol_diag diag = { 0 };
	cJSON *rows = NULL;

	if (pol_approval_pg_list(pg, id, &rows, &err, &diag) < 0) {
		*code = refusal(err, &diag, id);
		return NULL;
	}
	cJSON *row = cJSON_DetachItemFromArray(rows, 0);
	cJSON_Delete(rows);
	if (!row) {
		*code = refusal(POL_APG_NO_SUCH_ID, &diag, id);
		return NULL;
	}
	return row;
}

/* Wait (LISTEN) until the node answered this role or decided the row.
 * Returns the row (caller frees) or NULL. */
static cJSON *wait_verdict(struct pol_approval_pg *pg, int64_t id, double seconds, int *code)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		cJSON *row = fetch(pg, id, code);
		if (!row)
			return NULL;
		const char *status = str_of(row, "status"), *result = str_of(row, "your_result");
		if ((result && *result) || (status && strcmp(status, "pending")))
			return row;
		cJSON_Delete(row);
		clock_gettime(CLOCK_MONOTONIC, &now);
		double left = seconds - ((double)(now.tv_sec - start.tv_sec) +
					 (double)(now.tv_nsec - start.tv_nsec) / 1e9);
		if (left <= 0) {
			fprintf(stderr, "attesta: the node has not answered #%" PRId64 " (is its "
				"attesta-run still running?)\n", id);
			*code = CLI_EXIT_INVALID;
			return NULL;
		}
		struct pollfd pfd = { .fd = pol_approval_pg_fd(pg), .events = POLLIN };
		struct pol_diag diag = { 0 };
		/* a notification read by libpq during fetch() is already
		 * queued: look again at once rather than wait for the socket */
		int queued = pol_approval_pg_drain(pg, &diag);
		if (queued > 0)
			continue;
		if (queued == 0 && poll(&pfd, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			return NULL;
		if (pol_approval_pg_drain(pg, &diag) < 0) {
			print_diag(&diag, -EPIPE);
			*code = CLI_EXIT_INVALID;
			return NULL;
		}
	}
}

static bool read_line(FILE *f, char *buf, size_t size)
{
	if (!fgets(buf, (int)size, f))
		return false;
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

static bool ask_yes(const char *question)
{
	char buf[64];
	fputs(question, stdout);
	fflush(stdout);
	return read_line(stdin, buf, sizeof buf) && (!strcasecmp(buf, "y") || !strcasecmp(buf, "yes"));
}

static int report(const cJSON *row, int64_t id)
{
	const char *status = str_of(row, "status"), *result = str_of(row, "your_result");
	char why[500];

	if (result && !strcmp(result, "approved")) {
		printf("approved #%" PRId64 "\n", id);
		return CLI_EXIT_OK;
	}
	if (result && !strcmp(result, "waiting") && status && !strcmp(status, "pending")) {
		printf("your part of #%" PRId64 " passed; waiting for the other approvers\n", id);
		return CLI_EXIT_OK;
	}
	if (status && !strcmp(status, "approved")) {
		printf("approved #%" PRId64 "\n", id);
		return CLI_EXIT_OK;
	}
	if (result && !strcmp(result, "not_an_option")) {
		fprintf(stderr, "attesta: #%" PRId64 ": an answer is not one of its question's "
			"options; nothing was recorded and the call stays held\n", id);
		return CLI_EXIT_INVALID;
	}
	if (result && !strcmp(result, "conflict")) {
		fprintf(stderr, "attesta: #%" PRId64 ": your part was taken by an approver at the "
			"node; not counted\n", id);
		return CLI_EXIT_INVALID;
	}
	printf("denied #%" PRId64 ": %s\n", id,
	       sup_term_safe(str_of(row, "reason") ? str_of(row, "reason")
			     : result ? result : "challenge failed", why, sizeof why));
	return CLI_EXIT_INVALID;
}

/* The node's form check (policy/challenge.c): only one of a question's
 * options (yes/no for a confirmation) is an answer; the node checks
 * again and judges it. */
static bool is_option(const cJSON *q, const char *answer)
{
	struct pol_question pq = { .kind = POL_QUESTION_EXPLAIN };
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(q, "options"), *o;
	const char *kind = str_of(q, "kind");

	if (kind && !strcmp(kind, pol_question_kind_name(POL_QUESTION_CONFIRM)))
		pq.kind = POL_QUESTION_CONFIRM;
	cJSON_ArrayForEach(o, opts)
		if (cJSON_IsString(o) && pq.n_options < POL_CHALLENGE_MAX_OPTIONS)
			pq.options[pq.n_options++] = o->valuestring;
	return pol_question_answer_is_option(&pq, answer);
}

static int run_approve_db(struct pol_approval_pg *pg, const struct db_opts *o)
{
	enum pol_approval_pg_error err;
	struct pol_diag diag = { 0 };
	FILE *in = stdin;
	bool interactive = !o->answers_file && isatty(STDIN_FILENO);
	char answers[POL_CHALLENGE_MAX_QUESTIONS][POL_CHALLENGE_MAX_ANSWER + 2];
	const char *ptrs[POL_CHALLENGE_MAX_QUESTIONS];
	int code = CLI_EXIT_INVALID, part = 0;
	double review_left = 0, wait = 0;
	cJSON *row = NULL, *shown = NULL;

	if (o->answers_file && !(in = fopen(o->answers_file, "re"))) {
		fprintf(stderr, "attesta: cannot open answers file '%s': %m\n", o->answers_file);
		return CLI_EXIT_USAGE;
	}
	if (pol_approval_pg_begin(pg, o->id, &part, &review_left, &err, &diag) < 0) {
		code = refusal(err, &diag, o->id);
		goto out;
	}
	if (!(row = fetch(pg, o->id, &code)))
		goto out;
	const cJSON *parts = cJSON_GetObjectItemCaseSensitive(row, "parts");
	const cJSON *mine = cJSON_GetArrayItem(parts, part);
	shown = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(row, "item"), true);
	if (!mine || !cJSON_IsObject(shown)) {
		fprintf(stderr, "attesta: #%" PRId64 ": malformed row (no part %d)\n", o->id, part);
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(shown, "id");
	cJSON_AddNumberToObject(shown, "id", num_of(row, "id"));
	cJSON_AddNumberToObject(shown, "seconds_left", num_of(row, "seconds_left"));
	cJSON_AddNumberToObject(shown, "approvers_passed", num_of(row, "approvers_passed"));
	cJSON_AddItemToObject(shown, "part_challenge",
			      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(mine, "part_challenge"),
					      true));
	char *text = sup_approval_text_describe(shown);
	if (text)
		fputs(text, stdout);
	free(text);
	char node[300], role[300], you[300];
	printf("  node:        %s (database role %s)\n",
	       sup_term_safe(str_of(row, "node_id") ? str_of(row, "node_id") : "?", node, sizeof node),
	       sup_term_safe(str_of(row, "node_role") ? str_of(row, "node_role") : "?", role,
			     sizeof role));
	printf("  you are:     %s (the database role you logged in as, not typed)\n",
	       sup_term_safe(str_of(row, "you") ? str_of(row, "you") : "?", you, sizeof you));
	const cJSON *qs = cJSON_GetObjectItemCaseSensitive(mine, "questions"), *q;
	size_t n = 0;
	/* one question at a time; a non-option answer asks the same again */
	while ((q = cJSON_GetArrayItem(qs, (int)n))) {
		if (n >= POL_CHALLENGE_MAX_QUESTIONS)
			break;
		char *qt = sup_approval_text_question(q, n + 1);
		if (qt)
			fputs(qt, stdout);
		free(qt);
		if (interactive) {
			fputs("> ", stdout);
			fflush(stdout);
		}
		if (!read_line(in, answers[n], sizeof answers[n])) {
			fprintf(stderr, "attesta: no answer to question %zu: not approved\n", n + 1);
			goto out;
		}
		if (!interactive)
			printf("> %s\n", answers[n]);
		if (!is_option(q, answers[n])) {
			if (!interactive) {
				fprintf(stderr, "attesta: the answer to question %zu is not one of its "
						"options: nothing sent, the call stays held\n", n + 1);
				goto out;
			}
			fputs("not an option: answer with a letter or an option's text\n", stdout);
			continue;
		}
		ptrs[n] = answers[n];
		n++;
	}
	bool allowed = strcmp(str_of(row, "level") ? str_of(row, "level") : "", "critical") != 0;
	bool session = o->session && allowed;
	if (o->session && !session)
		fprintf(stderr, "attesta: note: 'approve for this session' is not offered for "
			"CRITICAL calls; approving once\n");
	/* No "for the rest of the session?" question here: the node judges the
	 * answers after they are sent, and a grant is never offered for a
	 * challenge that may fail (docs/challenges.md); --session asks for it. */
	if (interactive && !o->yes && !ask_yes("Send these answers? [y/N] ")) {
		fprintf(stderr, "attesta: not sent: the call stays held\n");
		goto out;
	}
	for (;;) {
		if (pol_approval_pg_answer(pg, o->id, ptrs, n, session, &wait, &err, &diag) < 0) {
			code = refusal(err, &diag, o->id);
			goto out;
		}
		if (wait <= 0)
			break;
		fprintf(stderr, "attesta: refused: too early: review the action for %.1f more "
			"seconds (the prompt stays)\n", wait);
		if (interactive) {
			char buf[8];
			fputs("Press Enter to send again... ", stdout);
			fflush(stdout);
			if (!read_line(stdin, buf, sizeof buf))
				goto out;
		} else {
			struct timespec ts = { .tv_sec = (time_t)wait,
					       .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9) + 50000000 };
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	cJSON_Delete(row);
	row = wait_verdict(pg, o->id, num_of(shown, "seconds_left") + VERDICT_GRACE_SECONDS, &code);
	if (row && str_of(row, "your_result") && !strcmp(str_of(row, "your_result"), "too_early")) {
		fprintf(stderr, "attesta: the node found the answers too early; run approve again\n");
		code = CLI_EXIT_INVALID;
	} else if (row) {
		code = report(row, o->id);
	}
out:
	cJSON_Delete(row);
	cJSON_Delete(shown);
	if (in && in != stdin)
		fclose(in);
	return code;
}

static int run_deny_db(struct pol_approval_pg *pg, const struct db_opts *o)
{
	enum pol_approval_pg_error err;
	struct pol_diag diag = { 0 };
	int code = CLI_EXIT_INVALID;

	if (pol_approval_pg_deny(pg, o->id, o->reason, &err, &diag) < 0)
		return refusal(err, &diag, o->id);
	cJSON *row = wait_verdict(pg, o->id, VERDICT_GRACE_SECONDS, &code);
	if (!row)
		return code;
	const char *status = str_of(row, "status");
	if (status && !strcmp(status, "denied")) {
		printf("denied #%" PRId64 "\n", o->id);
		code = CLI_EXIT_OK;
	} else {
		fprintf(stderr, "attesta: #%" PRId64 " ended as %s\n", o->id, status ? status : "?");
	}
	cJSON_Delete(row);
	return code;
}

static bool wants_db(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--db"))
			return true;
	}
	return false;
}

static int run_db(int argc, char **argv)
{
	struct db_opts o = { 0 };
	struct pol_approval_pg *pg = NULL;
	int code = parse_db(argc, argv, &o);

	if (code)
		return code < 0 ? CLI_EXIT_OK : code;
	code = connect_db(&o, strcmp(argv[0], "pending") ? POL_APPROVAL_PG_CHANNEL_RESULT : NULL,
			  &pg);
	if (code)
		return code;
	if (!strcmp(argv[0], "pending"))
		code = run_pending_db(pg, &o);
	else if (!strcmp(argv[0], "approve"))
		code = run_approve_db(pg, &o);
	else
		code = run_deny_db(pg, &o);
	pol_approval_pg_free(pg);
	return code;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* The socket command, and after its --help a pointer to the --db form. */
static int local_or_db(int argc, char **argv, int (*local)(int, char **))
{
	if (wants_db(argc, argv))
		return run_db(argc, argv);
	int code = local(argc, argv);
	if (wants_help(argc, argv) && code == CLI_EXIT_OK)
		printf("With --db: held calls of every node in the fleet database (see "
		       "'attesta %s --db --help').\n", argv[0]);
	return code;
}

int cmd_pending_any(int argc, char **argv)
{
	return local_or_db(argc, argv, cmd_pending);
}

int cmd_approve_any(int argc, char **argv)
{
	return local_or_db(argc, argv, cmd_approve);
}

int cmd_deny_any(int argc, char **argv)
{
	return local_or_db(argc, argv, cmd_deny);
}
