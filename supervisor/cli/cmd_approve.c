/*
 * `attesta pending | approve | deny` (docs/approvals.md): the approver's
 * side of the approval socket. The challenge runs in the approver's own
 * terminal: it shows the held call and asks the questions one at a time,
 * sending each answer as it is given; the supervisor checks it, refuses
 * one given before the minimum review time or that is not an option (the
 * prompt stays), denies the call at the first wrong one (nothing more is
 * asked, no grant is offered), and takes the approver's
 * identity from the kernel (SO_PEERCRED), never from anything typed here.
 * Trusts the supervisor at the socket the user names (or the only one it
 * finds); everything it prints that came from the agent is made safe for
 * the terminal.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "policy/challenge.h"
#include "policy/config.h"
#include "policy/pol_limits.h"
#include "supervisor/common/approval_text.h"
#include "supervisor/common/termsafe.h"

/* A reply (a list of held calls) is at most this long. */
#define MAX_REPLY (16u * 1024 * 1024)
/* The supervisor answers at once; a silent one is stuck or not ours. */
#define REPLY_TIMEOUT_SECONDS 30

struct client_opts {
	const char *config_path;
	const char *socket_path;
	const char *answers_file;
	const char *reason;
	bool json, yes, session;
	unsigned id;
};

static void print_usage(FILE *out, const char *cmd)
{
	if (!strcmp(cmd, "pending"))
		fputs("usage: attesta pending [-c FILE] [--socket PATH] [--json]\n", out);
	else if (!strcmp(cmd, "approve"))
		fputs("usage: attesta approve ID [-c FILE] [--socket PATH] [--yes] [--session]\n"
		      "                          [--answers-file FILE]\n", out);
	else
		fputs("usage: attesta deny ID [-c FILE] [--socket PATH] [--reason TEXT]\n", out);
}

static int usage(const char *cmd)
{
	print_usage(stderr, cmd);
	return CLI_EXIT_USAGE;
}

/* parse() returns this after --help: the caller exits 0. */
#define PARSE_HELP (-1)

static int parse(int argc, char **argv, struct client_opts *o)
{
	enum { O_SOCKET = 256, O_JSON, O_YES, O_ANSWERS, O_REASON, O_SESSION, O_HELP };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, O_SOCKET },
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
		case O_HELP: print_usage(stdout, cmd); return PARSE_HELP;
		case 'c': o->config_path = optarg; break;
		case O_SOCKET: o->socket_path = optarg; break;
		case O_JSON: o->json = true; break;
		case 'y':
		case O_YES: o->yes = true; break;
		case O_ANSWERS: o->answers_file = optarg; break;
		case O_REASON: o->reason = optarg; break;
		case O_SESSION: o->session = true; break;
		default: return usage(cmd);
		}
	}
	bool wants_id = strcmp(cmd, "pending") != 0;
	if (wants_id) {
		if (optind != argc - 1)
			return usage(cmd);
		const char *s = argv[optind];
		if (*s == '#')
			s++;
		char *end;
		errno = 0;
		unsigned long v = strtoul(s, &end, 10);
		if (errno || end == s || *end || v == 0 || v > 0xffffffffUL) {
			fprintf(stderr, "attesta: invalid id '%s'\n", argv[optind]);
			return CLI_EXIT_USAGE;
		}
		o->id = (unsigned)v;
	} else if (optind != argc) {
		return usage(cmd);
	}
	if (strcmp(cmd, "approve") && (o->yes || o->answers_file || o->session))
		return usage(cmd);
	if (strcmp(cmd, "deny") && o->reason)
		return usage(cmd);
	if (strcmp(cmd, "pending") && o->json)
		return usage(cmd);
	return 0;
}

static bool socket_live(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sun.sun_path)
		return false;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	return ok;
}

/* --socket, else gate.approval_socket, else the only live socket in the
 * default directories. 0 and a malloc'd path, or an exit code. */
static int find_socket(const struct client_opts *o, char **ret_path)
{
	if (o->socket_path) {
		*ret_path = strdup(o->socket_path);
		return *ret_path ? 0 : CLI_EXIT_INVALID;
	}
	struct pol_config *config = NULL;
	struct pol_diag diag;
	memset(&diag, 0, sizeof diag);
	int rc = pol_config_load_or_default(o->config_path, &config, &diag);
	if (rc < 0) {
		char line[1200];
		pol_diag_format(&diag, line, sizeof line);
		fprintf(stderr, "attesta: %s\n", diag.message[0] ? line : strerror(-rc));
		return CLI_EXIT_INVALID;
	}
	if (config->approval_socket) {
		*ret_path = strdup(config->approval_socket);
		pol_config_free(config);
		return *ret_path ? 0 : CLI_EXIT_INVALID;
	}
	pol_config_free(config);

	char dirs[2][512];
	size_t n_dirs = 0;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg == '/')
		snprintf(dirs[n_dirs++], sizeof dirs[0], "%s/attesta", xdg);
	snprintf(dirs[n_dirs++], sizeof dirs[0], "/tmp/attesta-%u", (unsigned)geteuid());
	char *found[32];
	size_t n_found = 0;
	for (size_t d = 0; d < n_dirs; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *de;
		if (!dir)
			continue;
		while ((de = readdir(dir)) && n_found < 32) {
			size_t len = strlen(de->d_name);
			if (len < 6 || strcmp(de->d_name + len - 5, ".sock"))
				continue;
			char path[1600];
			struct stat st;
			if (snprintf(path, sizeof path, "%s/%s", dirs[d], de->d_name) >=
			    (int)sizeof path)
				continue;
			if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && socket_live(path))
				found[n_found++] = strdup(path);
		}
		closedir(dir);
	}
	if (n_found == 1) {
		*ret_path = found[0];
		return *ret_path ? 0 : CLI_EXIT_INVALID;
	}
	if (n_found == 0)
		fprintf(stderr, "attesta: no running attesta-run found (looked in %s%s%s); "
			"use --socket PATH\n", dirs[0], n_dirs > 1 ? " and " : "",
			n_dirs > 1 ? dirs[1] : "");
	else
		fprintf(stderr, "attesta: several attesta-run sessions are waiting; "
			"choose one with --socket:\n");
	for (size_t i = 0; i < n_found; i++) {
		fprintf(stderr, "  %s\n", found[i] ? found[i] : "?");
		free(found[i]);
	}
	return CLI_EXIT_USAGE;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "attesta: socket path '%s' too long\n", path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_SECONDS };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int e = errno;
		fprintf(stderr, "attesta: cannot connect to approval socket '%s': %s\n", path,
			strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

/* Send one request, read one reply line. NULL (after a message) on error. */
static cJSON *request(int fd, cJSON *req)
{
	char *text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (!text)
		return NULL;
	size_t len = strlen(text), off = 0;
	text[len] = '\0';
	char *line = malloc(len + 2);
	if (!line) {
		free(text);
		return NULL;
	}
	memcpy(line, text, len);
	line[len++] = '\n';
	free(text);
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "attesta: cannot send to supervisor: %s\n", strerror(errno));
			free(line);
			return NULL;
		}
		off += (size_t)n;
	}
	free(line);

	size_t cap = 65536, used = 0;
	char *buf = malloc(cap);
	while (buf) {
		char *nl = used ? memchr(buf, '\n', used) : NULL;
		if (nl) {
			cJSON *reply = cJSON_ParseWithLength(buf, (size_t)(nl - buf));
			free(buf);
			if (!cJSON_IsObject(reply)) {
				cJSON_Delete(reply);
				fprintf(stderr, "attesta: malformed reply from supervisor\n");
				return NULL;
			}
			return reply;
		}
		if (used == cap) {
			if (cap >= MAX_REPLY)
				break;
			char *p = realloc(buf, cap * 2);
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + used, cap - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "attesta: %s\n", n == 0 ? "the supervisor closed the connection"
								: strerror(errno));
			break;
		}
		used += (size_t)n;
	}
	free(buf);
	return NULL;
}

static const char *reply_str(const cJSON *r, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Exit code for an error reply, after saying why. */
static int reply_error(const cJSON *r, unsigned id)
{
	const char *code = reply_str(r, "error");
	const char *msg = reply_str(r, "message");
	char safe[400];
	(void)id;
	fprintf(stderr, "attesta: %s%s\n",
		sup_term_safe(msg ? msg : code ? code : "request failed", safe, sizeof safe),
		code && !strcmp(code, "no_such_id") ? " (see 'attesta pending')" : "");
	if (code && !strcmp(code, "no_such_id"))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_INVALID;
}

static cJSON *simple(const char *op, unsigned id)
{
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", op);
	if (id)
		cJSON_AddNumberToObject(req, "id", id);
	return req;
}

static int run_pending(int fd, const struct client_opts *o)
{
	cJSON *r = request(fd, simple("pending", 0));
	if (!r)
		return CLI_EXIT_INVALID;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
		int code = reply_error(r, 0);
		cJSON_Delete(r);
		return code;
	}
	cJSON *list = cJSON_GetObjectItemCaseSensitive(r, "pending");
	if (o->json) {
		char *text = cJSON_Print(list);
		if (text)
			puts(text);
		free(text);
	} else if (!cJSON_GetArraySize(list)) {
		puts("no held calls");
	} else {
		const cJSON *item;
		cJSON_ArrayForEach(item, list) {
			char *line = sup_approval_text_line(item);
			if (line)
				fputs(line, stdout);
			free(line);
		}
	}
	cJSON_Delete(r);
	return CLI_EXIT_OK;
}

/* One answer line from f (NUL-terminated, newline removed). */
static bool read_answer(FILE *f, char *buf, size_t size)
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
	if (!read_answer(stdin, buf, sizeof buf))
		return false;
	return !strcasecmp(buf, "y") || !strcasecmp(buf, "yes");
}

static void sleep_seconds(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Send one answer; retries a too-early answer (after Enter, or after the
 * wait when not interactive). The reply (ok or not_an_option), or NULL
 * after a message. */
static cJSON *send_answer(int fd, unsigned id, size_t index, const char *answer, bool interactive)
{
	for (;;) {
		cJSON *req = simple("answer_one", id);
		cJSON_AddNumberToObject(req, "index", (double)index);
		cJSON_AddStringToObject(req, "answer", answer);
		cJSON *r = request(fd, req);
		const char *err = r ? reply_str(r, "error") : NULL;
		if (!err || strcmp(err, "too_early"))
			return r;
		double wait = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "review_seconds_left"));
		cJSON_Delete(r);
		fprintf(stderr, "attesta: refused: too early: review the action for %.1f more seconds "
			"(the prompt stays)\n", wait);
		if (interactive) {
			char buf[8];
			fputs("Press Enter to send again... ", stdout);
			fflush(stdout);
			if (!read_answer(stdin, buf, sizeof buf))
				return NULL;
		} else {
			sleep_seconds(wait + 0.05);
		}
	}
}

static int run_approve(int fd, const struct client_opts *o)
{
	FILE *answers_in = stdin;
	bool interactive = !o->answers_file && isatty(STDIN_FILENO);
	char answer[POL_CHALLENGE_MAX_ANSWER + 2];
	int code = CLI_EXIT_INVALID;
	cJSON *r = NULL, *begun = NULL;

	if (o->answers_file && !(answers_in = fopen(o->answers_file, "re"))) {
		fprintf(stderr, "attesta: cannot open answers file '%s': %m\n", o->answers_file);
		return CLI_EXIT_USAGE;
	}
	begun = request(fd, simple("begin", o->id));
	if (!begun)
		goto out;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(begun, "ok"))) {
		code = reply_error(begun, o->id);
		goto out;
	}
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(begun, "item");
	char *text = sup_approval_text_describe(item);
	if (text)
		fputs(text, stdout);
	free(text);
	char who[300];
	printf("  you are:     %s (from your login, not typed)\n",
	       sup_term_safe(reply_str(begun, "identity"), who, sizeof who));
	/* One question at a time (docs/approvals.md): each answer is checked
	 * as it is sent; the first wrong one denies the call and nothing more
	 * is asked. */
	const cJSON *qs = cJSON_GetObjectItemCaseSensitive(item, "questions");
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(item, "next_question");
	size_t n = (size_t)cJSON_GetArraySize(qs);
	size_t i = cJSON_IsNumber(next) && next->valuedouble >= 0 ? (size_t)next->valuedouble : 0;
	bool passed = false;
	if (n > POL_CHALLENGE_MAX_QUESTIONS)
		n = POL_CHALLENGE_MAX_QUESTIONS;
	for (; i < n && !passed; i++) {
		char *qt = sup_approval_text_question(cJSON_GetArrayItem(qs, (int)i), i + 1);
		if (qt)
			fputs(qt, stdout);
		free(qt);
		for (;;) {
			if (interactive) {
				fputs("> ", stdout);
				fflush(stdout);
			}
			if (!read_answer(answers_in, answer, sizeof answer)) {
				fprintf(stderr, "attesta: no answer to question %zu: not approved "
					"(the call stays held)\n", i + 1);
				goto out;
			}
			if (!interactive)
				printf("> %s\n", answer);
			cJSON_Delete(r);
			r = send_answer(fd, o->id, i, answer, interactive);
			if (!r)
				goto out;
			const char *err = reply_str(r, "error");
			if (err && !strcmp(err, "not_an_option")) {
				fprintf(stderr, "attesta: refused: not one of the options (nothing was "
					"recorded)%s\n", interactive ? "; answer again" : "");
				if (interactive)
					continue;
				goto out; /* the call stays held */
			}
			break;
		}
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
			code = reply_error(r, o->id);
			goto out;
		}
		const char *result = reply_str(r, "result");
		if (result && !strcmp(result, "denied")) {
			printf("denied #%u: wrong answer to question %zu (nothing more is asked)\n",
			       o->id, i + 1);
			goto out;
		}
		passed = result && !strcmp(result, "passed");
	}
	if (!passed) {
		fprintf(stderr, "attesta: the challenge did not pass: not approved\n");
		goto out;
	}
	/* Only a passed challenge is offered a wider grant. */
	const cJSON *allowed = cJSON_GetObjectItemCaseSensitive(item, "session_allowed");
	bool session = o->session && cJSON_IsTrue(allowed);
	if (o->session && !session)
		fprintf(stderr, "attesta: note: 'approve for this session' is not offered for "
			"CRITICAL calls; approving once\n");
	if (interactive && !o->session && cJSON_IsTrue(allowed))
		session = ask_yes("Approve identical calls for the rest of this session too? [y/N] ");
	cJSON *req = simple("conclude", o->id);
	cJSON_AddStringToObject(req, "scope", session ? "session" : "once");
	cJSON_Delete(r);
	r = request(fd, req);
	if (!r)
		goto out;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
		code = reply_error(r, o->id);
		goto out;
	}
	const char *result = reply_str(r, "result");
	if (result && !strcmp(result, "approved"))
		printf("approved #%u\n", o->id);
	else
		printf("your part of #%u passed; waiting for the other approvers\n", o->id);
	code = CLI_EXIT_OK;
out:
	cJSON_Delete(r);
	cJSON_Delete(begun);
	if (answers_in && answers_in != stdin)
		fclose(answers_in);
	return code;
}

static int run_deny(int fd, const struct client_opts *o)
{
	cJSON *req = simple("deny", o->id);
	if (o->reason)
		cJSON_AddStringToObject(req, "reason", o->reason);
	cJSON *r = request(fd, req);
	if (!r)
		return CLI_EXIT_INVALID;
	int code;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
		code = reply_error(r, o->id);
	} else {
		printf("denied #%u\n", o->id);
		code = CLI_EXIT_OK;
	}
	cJSON_Delete(r);
	return code;
}

static int run(int argc, char **argv)
{
	struct client_opts o = { 0 };
	char *path = NULL;
	int code = parse(argc, argv, &o);
	if (code == PARSE_HELP)
		return CLI_EXIT_OK;
	if (code)
		return code;
	code = find_socket(&o, &path);
	if (code)
		return code;
	int fd = connect_socket(path);
	free(path);
	if (fd < 0)
		return CLI_EXIT_USAGE;
	if (!strcmp(argv[0], "pending"))
		code = run_pending(fd, &o);
	else if (!strcmp(argv[0], "approve"))
		code = run_approve(fd, &o);
	else
		code = run_deny(fd, &o);
	close(fd);
	return code;
}

int cmd_pending(int argc, char **argv)
{
	return run(argc, argv);
}

int cmd_approve(int argc, char **argv)
{
	return run(argc, argv);
}

int cmd_deny(int argc, char **argv)
{
	return run(argc, argv);
}
