/*
 * `attesta score`: the dry run people tune policy with (DESIGN §13). It
 * builds the action the gate would build for an exec / unlink / rmdir /
 * connect / sendto (or reads a generic ActionContext JSON), runs the same
 * engine as attesta-run (same profiles, amplifiers, overrides,
 * multiplier; novelty as a first call; neutral trust unless --agent-id
 * names a stored agent) and prints the decision. Its arguments and the
 * context file are user input: they are validated, nothing is executed.
 * Exit 0 ok, 1 invalid input, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "policy/action.h"
#include "policy/config.h"
#include "policy/engine.h"
#include "policy/pol_limits.h"
#include "policy/pystr.h"
#include "policy/trust.h"
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
		"  connect HOST:PORT      connect to an address ([v6]:PORT for IPv6)\n"
		"  connect unix:PATH      connect to an AF_UNIX socket\n"
		"  sendto HOST:PORT       send a datagram\n"
		"\n"
		"Scores the action exactly as attesta-run would, without running it.\n"
		"Exit status: 0 scored, 1 invalid input, 2 usage.\n");
}

static char *absolute(const char *cwd, const char *path)
{
	size_t n = strlen(cwd) + strlen(path) + 2;
	char *out;

	if (path[0] == '/')
		return strdup(path);
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", cwd, path);
	return out;
}

/* PATH lookup as execvp does it; NULL if not found. */
static char *resolve_program(const char *cwd, const char *prog)
{
	const char *path = getenv("PATH");
	char candidate[POL_TARGET_MAX_PATH];

	if (strchr(prog, '/'))
		return absolute(cwd, prog);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		int k;

		if (n == 0)
			k = snprintf(candidate, sizeof(candidate), "%s/%s", cwd, prog);
		else
			k = snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)n, path, prog);
		if (k > 0 && (size_t)k < sizeof(candidate) && access(candidate, X_OK) == 0) {
			struct stat st;

			if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode))
				return n == 0 ? strdup(candidate) : absolute(cwd, candidate);
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/* HOST:PORT, [V6]:PORT or unix:PATH into the action. Names are resolved
 * here like the gate's own resolution: the first address is the peer and
 * the name counts as verified. */
static int parse_endpoint(struct pol_action *a, const char *text)
{
	char host[256], port_text[16], buf[INET6_ADDRSTRLEN + 8];
	const char *colon;
	unsigned long port;
	char *end;
	struct in6_addr a6;
	struct in_addr a4;

	if (!strncmp(text, "unix:", 5)) {
		a->family = AF_UNIX;
		a->socktype = SOCK_STREAM;
		if (!text[5])
			return -EINVAL;
		return pol_action_set(&a->address, text + 5) ?: pol_strv_push(&a->args, text + 5, strlen(text + 5));
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(close - text - 1), text + 1);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || (size_t)(colon - text) >= sizeof(host) || colon == text)
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
	}
	snprintf(port_text, sizeof(port_text), "%s", colon + 1);
	port = strtoul(port_text, &end, 10);
	if (!port_text[0] || *end || port > 65535)
		return -EINVAL;
	a->port = (uint16_t)port;
	a->socktype = a->action_class == POL_ACTION_SENDTO ? SOCK_DGRAM : SOCK_STREAM;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		a->family = AF_INET;
		if (pol_action_set(&a->address, host))
			return -ENOMEM;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		a->family = AF_INET6;
		if (pol_action_set(&a->address, host))
			return -ENOMEM;
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;

		if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
			return -EHOSTUNREACH;
		a->family = res->ai_family;
		if (res->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, buf, sizeof(buf));
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, buf, sizeof(buf));
		freeaddrinfo(res);
		if (pol_action_set(&a->address, buf) || pol_action_set(&a->host, host))
			return -ENOMEM;
		a->host_verified = true;
	}
	if (a->family == AF_INET6)
		snprintf(buf, sizeof(buf), "[%s]:%lu", a->address, port);
	else
		snprintf(buf, sizeof(buf), "%s:%lu", a->address, port);
	return pol_strv_push(&a->args, buf, strlen(buf));
}

static void score_file_info(const char *path, struct pol_file_info *info)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	info->known = true;
	snprintf(info->type, sizeof(info->type), "%s", S_ISDIR(st.st_mode) ? "dir" : "file");
	info->size = (uint64_t)st.st_size;
	info->owner = st.st_uid;
}

static int build_syscall_action(int argc, char **argv, const char *cwd, struct pol_action **ret)
{
	enum pol_action_class cls;
	struct pol_action *a;
	int r = -ENOMEM;

	if (pol_action_class_parse(argv[0], &cls) < 0 || cls == POL_ACTION_GENERIC) {
		fprintf(stderr, "attesta: unknown action '%s' (exec, unlink, rmdir, rename, connect, sendto)\n", argv[0]);
		return -EDOM;
	}
	if (cls == POL_ACTION_RENAME && argc != 3) {
		fprintf(stderr, "attesta: 'rename' takes SOURCE DESTINATION\n");
		return -EDOM;
	}
	if (argc < 2 || (cls != POL_ACTION_EXEC && cls != POL_ACTION_RENAME && argc != 2)) {
		fprintf(stderr, "attesta: '%s' takes %s\n", argv[0],
			cls == POL_ACTION_EXEC ? "PROG [ARG...]" : cls >= POL_ACTION_CONNECT ? "one HOST:PORT" : "one PATH");
		return -EDOM;
	}
	a = pol_action_new(cls);
	if (!a)
		return -ENOMEM;
	if (pol_action_set(&a->cwd, cwd))
		goto out;
	a->intercepted_at = (double)time(NULL);
	if (cls == POL_ACTION_EXEC) {
		char *path = resolve_program(cwd, argv[1]);
		const char *base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];

		if (!path)
			fprintf(stderr, "attesta: warning: '%s' not found in PATH; scored by name\n", argv[1]);
		else
			base = strrchr(path, '/') + 1;
		a->path = path;
		if (pol_action_set(&a->function_name, base) || pol_action_set(&a->argv0, argv[1]))
			goto out;
		for (int i = 2; i < argc; i++)
			if (pol_strv_push(&a->args, argv[i], strlen(argv[i])) < 0)
				goto out;
	} else if (cls == POL_ACTION_RENAME) {
		/* what the names are now decides whether the rename replaces
		 * (or removes a directory), as the decoder sees it */
		a->path = absolute(cwd, argv[1]);
		a->dest_path = absolute(cwd, argv[2]);
		if (!a->path || !a->dest_path || pol_action_set(&a->function_name, "rename") ||
		    pol_strv_push(&a->args, a->path, strlen(a->path)) < 0 ||
		    pol_strv_push(&a->args, a->dest_path, strlen(a->dest_path)) < 0)
			goto out;
		score_file_info(a->path, &a->file);
		score_file_info(a->dest_path, &a->dest_file);
		a->rename_replaces = a->dest_file.known;
	} else if (cls == POL_ACTION_UNLINK || cls == POL_ACTION_RMDIR) {
		a->path = absolute(cwd, argv[1]);
		if (!a->path || pol_action_set(&a->function_name, argv[0]) ||
		    pol_strv_push(&a->args, a->path, strlen(a->path)) < 0)
			goto out;
	} else {
		if (pol_action_set(&a->function_name, argv[0]))
			goto out;
		r = parse_endpoint(a, argv[1]);
		if (r < 0) {
			fprintf(stderr, "attesta: %s '%s': %s\n", r == -EHOSTUNREACH ? "cannot resolve" : "invalid address",
				argv[1], r == -EHOSTUNREACH ? "no address" : "expected HOST:PORT, [V6]:PORT or unix:PATH");
			r = -EINVAL;
			goto out;
		}
	}
	*ret = a;
	a = NULL;
	r = 0;
out:
	pol_action_free(a);
	return r;
}

static int read_context(const char *file, char **ret_buf, size_t *ret_len)
{
	int fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0;
	size_t len = 0, cap = 4096;
	char *buf;

	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = cap > POL_CONFIG_MAX_BYTES ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				errno = EFBIG;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		len += (size_t)n;
	}
	if (fd > 0)
		close(fd);
	if (!buf)
		return -errno;
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

static double stored_trust(const struct pol_config *config, const char *agent_id)
{
	struct pol_trust_store *store = NULL;
	struct pol_diag diag;
	double trust = 0.5;

	if (pol_trust_store_load(NULL, config, &store, &diag) < 0) {
		char msg[1200];

		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: warning: %s; trust neutral\n", msg);
		return 0.5;
	}
	if (pol_trust_agent_find(store, agent_id))
		trust = pol_trust_score(store, agent_id, NULL, (double)time(NULL));
	pol_trust_store_free(store);
	return trust;
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
			fprintf(stderr, "attesta: cannot read context '%s': %s\n", context, strerror(-r));
			goto out;
		}
		r = pol_action_from_json(strcmp(context, "-") ? context : "<stdin>", buf, len, &action, &diag);
		free(buf);
		if (r < 0) {
			pol_diag_format(&diag, msg, sizeof(msg));
			fprintf(stderr, "attesta: %s\n", msg);
			goto out;
		}
	} else if ((r = build_syscall_action(argc - optind, argv + optind, cwd, &action)) < 0) {
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
	if (!action->agent_id && config->agent_id && pol_action_set(&action->agent_id, config->agent_id))
		goto out;
	if (agent_id)
		trust = stored_trust(config, agent_id);
	r = pol_engine_new(config, &engine, &diag);
	if (r < 0) {
		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: %s\n", msg);
		goto out;
	}
	r = pol_engine_evaluate(engine, action, trust, false, &decision);
	if (r < 0) {
		fprintf(stderr, "attesta: cannot score: %s\n", strerror(-r));
		goto out;
	}
	have_decision = true;
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
