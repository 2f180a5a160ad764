/*
 * Reading the facts a human must get right off one action: program,
 * subcommand, branch, targets and their count, directory, host and port,
 * and the key terms of a teach-back. Pure string work over the action's
 * argv / path / address.
 *
 * SECURITY: the action was chosen by the sandboxed agent. Its strings are
 * only copied (bounded by CHALLENGE_MAX_FACT) and compared; the parsing
 * here is deliberately simple and errs towards asking *more*: a question
 * the agent could make ambiguous is dropped, never answered for the human.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "challenge_internal.h"

/* Programs whose first operand is a subcommand, and their options that
 * take a separate value (so "git -C repo push" finds "push"). */
static const struct {
	const char *program;
	const char *const value_opts[8];
} multiplexers[] = {
	{ "git", { "-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env" } },
	{ "kubectl", { "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server" } },
	{ "docker", { "-H", "--host", "--context", "-c", "--config", "-l", "--log-level" } },
	{ "podman", { "--url", "--connection", "-c" } },
	{ "helm", { "-n", "--namespace", "--kube-context", "--kubeconfig" } },
	{ "terraform", { NULL } },
	{ "systemctl", { "-H", "--host", "-M", "--machine" } },
	{ "npm", { NULL } }, { "yarn", { NULL } }, { "pnpm", { NULL } },
	{ "cargo", { NULL } }, { "go", { NULL } }, { "apt", { NULL } },
	{ "apt-get", { NULL } }, { "pip", { NULL } }, { "pip3", { NULL } },
	{ "gh", { "-R", "--repo" } }, { "aws", { "--profile", "--region" } },
	{ "gcloud", { "--project" } }, { "az", { NULL } },
};

/* Programs whose operands are the files they act on; skip is how many
 * leading operands are not files (chmod MODE FILE...). */
static const struct {
	const char *program;
	unsigned skip;
	const char *const value_opts[6];
} file_programs[] = {
	{ "rm", 0, { NULL } },
	{ "rmdir", 0, { NULL } },
	{ "unlink", 0, { NULL } },
	{ "shred", 0, { "-n", "--iterations", "-s", "--size" } },
	{ "touch", 0, { "-d", "-r", "-t", "--reference" } },
	{ "mkdir", 0, { "-m", "--mode" } },
	{ "truncate", 0, { "-s", "--size", "-r", "--reference" } },
	{ "mv", 0, { "-t", "--target-directory", "-S", "--suffix" } },
	{ "cp", 0, { "-t", "--target-directory", "-S", "--suffix" } },
	{ "ln", 0, { "-t", "--target-directory", "-S", "--suffix" } },
	{ "chmod", 1, { NULL } },
	{ "chown", 1, { NULL } },
	{ "chgrp", 1, { NULL } },
};

static bool in_list(const char *const *list, size_t max, const char *s)
{
	for (size_t i = 0; i < max && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static int set_str(char **field, const char *value, size_t len)
{
	char *copy;

	if (len > CHALLENGE_MAX_FACT)
		return 0; /* too long to ask about: leave the fact unknown */
	copy = strndup(value, len);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

char *challenge_basename(const char *path)
{
	size_t len = strlen(path);
	const char *start;

	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 1 && path[0] == '/')
		return strdup("/");
	start = path + len;
	while (start > path && start[-1] != '/')
		start--;
	return strndup(start, (size_t)(path + len - start));
}

/* Absolute form of path against cwd, "" when it cannot be known. */
static char *absolute(const char *path, const char *cwd)
{
	char *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (!cwd || cwd[0] != '/')
		return strdup("");
	if (asprintf(&out, "%s%s%s", cwd, cwd[strlen(cwd) - 1] == '/' ? "" : "/", path) < 0)
		return NULL;
	return out;
}

static char *dirname_of(const char *abs)
{
	size_t len = strlen(abs);

	while (len > 1 && abs[len - 1] == '/')
		len--;
	while (len > 0 && abs[len - 1] != '/')
		len--;
	while (len > 1 && abs[len - 1] == '/')
		len--;
	return len ? strndup(abs, len) : strdup("/");
}

static bool is_url(const char *s)
{
	const char *p = strstr(s, "://");
	return p && p > s && (size_t)(p - s) < 16;
}

static bool looks_like_path(const char *s)
{
	return !is_url(s) && s[0] != '-' &&
	       (s[0] == '/' || s[0] == '~' || !strncmp(s, "./", 2) || !strncmp(s, "../", 3) ||
		strchr(s, '/'));
}

static int add_target(struct challenge_facts *f, const char *typed, const char *cwd)
{
	char *abs;
	int r;

	f->n_targets++;
	if (f->targets.count >= CHALLENGE_MAX_TARGETS || strlen(typed) > CHALLENGE_MAX_FACT)
		return 0;
	abs = absolute(typed, cwd);
	if (!abs)
		return -ENOMEM;
	r = pol_strv_push(&f->targets, typed, strlen(typed));
	if (r == 0)
		r = pol_strv_push(&f->targets_abs, abs, strlen(abs));
	free(abs);
	return r;
}

/* "scheme://[user@]host[:port][/...]" -> host and port. */
static int read_url(struct challenge_facts *f, const char *url)
{
	const char *h = strstr(url, "://") + 3, *end, *at, *colon;
	int r;

	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at)
		h = at + 1;
	if (*h == '[') { /* [v6]:port */
		const char *close = memchr(h, ']', (size_t)(end - h));
		if (!close)
			return 0;
		r = set_str(&f->host, h + 1, (size_t)(close - h - 1));
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		r = set_str(&f->host, h, (size_t)((colon ? colon : end) - h));
	}
	if (r < 0)
		return r;
	if (colon && colon + 1 < end) {
		char *stop;
		unsigned long port = strtoul(colon + 1, &stop, 10);
		if (stop == end && port > 0 && port < 65536) {
			f->has_port = true;
			f->port = (unsigned)port;
		}
	}
	return 0;
}

/* git push [opts] [remote] [refspec...]: the first refspec's destination. */
static int read_git_push(struct challenge_facts *f, char **args, size_t n)
{
	static const char *const value_opts[] = { "--repo", "-o", "--push-option",
						  "--receive-pack", "--exec", NULL };
	size_t positional = 0;
	const char *spec, *dst;
	int r;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(args[i], "--"))
			continue;
		if (args[i][0] == '-') {
			if (in_list(value_opts, 6, args[i]))
				i++;
			continue;
		}
		if (positional++ == 0)
			continue; /* the remote */
		spec = args[i];
		r = set_str(&f->refspec, spec, strlen(spec));
		if (r < 0)
			return r;
		if (*spec == '+')
			spec++;
		dst = strchr(spec, ':') ? strchr(spec, ':') + 1 : spec;
		if (!*dst)
			return 0;
		if (!strncmp(dst, "refs/heads/", 11))
			dst += 11;
		return set_str(&f->branch, dst, strlen(dst));
	}
	return 0;
}

static int read_exec(struct challenge_facts *f, const struct pol_action *a)
{
	char **args = a->args.items;
	size_t n = a->args.count, i = 0;
	const char *prog = a->function_name;
	bool options_done = false;
	int r;

	if (!prog && a->path)
		prog = strrchr(a->path, '/') ? strrchr(a->path, '/') + 1 : a->path;
	if (prog && (r = set_str(&f->program, prog, strlen(prog))) < 0)
		return r;
	if (!f->program)
		return 0;

	for (size_t m = 0; m < sizeof(multiplexers) / sizeof(multiplexers[0]); m++) {
		if (strcmp(multiplexers[m].program, f->program))
			continue;
		for (; i < n; i++) {
			if (args[i][0] != '-')
				break;
			if (in_list(multiplexers[m].value_opts, 8, args[i]))
				i++;
		}
		if (i < n) {
			if ((r = set_str(&f->subcommand, args[i], strlen(args[i]))) < 0)
				return r;
			i++;
			if (!strcmp(f->program, "git") && !strcmp(args[i - 1], "push"))
				return read_git_push(f, args + i, n - i);
		}
		break;
	}

	for (size_t p = 0; p < sizeof(file_programs) / sizeof(file_programs[0]); p++) {
		unsigned skip = file_programs[p].skip;
		if (strcmp(file_programs[p].program, f->program))
			continue;
		for (; i < n; i++) {
			if (!options_done && !strcmp(args[i], "--")) {
				options_done = true;
				continue;
			}
			if (!options_done && args[i][0] == '-' && args[i][1]) {
				if (in_list(file_programs[p].value_opts, 6, args[i]))
					i++;
				continue;
			}
			if (skip) {
				skip--;
				continue;
			}
			if ((r = add_target(f, args[i], a->cwd)) < 0)
				return r;
		}
		return 0;
	}

	for (; i < n; i++) {
		const char *arg = args[i];
		if (!strcmp(f->program, "dd")) {
			/* dd writes only to of=; if= is what it reads */
			if (!strncmp(arg, "of=", 3) && (r = add_target(f, arg + 3, a->cwd)) < 0)
				return r;
		} else if (is_url(arg)) {
			if (!f->host && (r = read_url(f, arg)) < 0)
				return r;
		} else if (looks_like_path(arg)) {
			if ((r = add_target(f, arg, a->cwd)) < 0)
				return r;
		}
	}
	return 0;
}

static int read_generic(struct challenge_facts *f, const struct pol_action *a)
{
	const cJSON *lists[2] = { a->generic_args, a->generic_kwargs };
	int r;

	if (a->function_name && (r = set_str(&f->program, a->function_name, strlen(a->function_name))) < 0)
		return r;
	for (int l = 0; l < 2; l++) {
		const cJSON *item;
		if (!lists[l])
			continue;
		cJSON_ArrayForEach(item, lists[l]) {
			if (!cJSON_IsString(item))
				continue;
			if (is_url(item->valuestring) && !f->host) {
				if ((r = read_url(f, item->valuestring)) < 0)
					return r;
			} else if (looks_like_path(item->valuestring)) {
				if ((r = add_target(f, item->valuestring, NULL)) < 0)
					return r;
			}
		}
	}
	return 0;
}

static int read_syscall(struct challenge_facts *f, const struct pol_action *a)
{
	int r;

	if (a->exe) {
		char *base = challenge_basename(a->exe);
		if (!base)
			return -ENOMEM;
		r = set_str(&f->program, base, strlen(base));
		free(base);
		if (r < 0)
			return r;
	}
	if (a->action_class == POL_ACTION_UNLINK || a->action_class == POL_ACTION_RMDIR) {
		const char *path = a->path ? a->path : (a->args.count ? a->args.items[0] : NULL);
		return path ? add_target(f, path, a->cwd) : 0;
	}
	if (a->action_class == POL_ACTION_RENAME) {
		/* both names a rename removes or makes (docs/decode.md) */
		r = a->path ? add_target(f, a->path, a->cwd) : 0;
		if (r == 0 && a->dest_path)
			r = add_target(f, a->dest_path, a->cwd);
		return r;
	}
	/* connect / sendto */
	if (a->family == AF_UNIX)
		return a->address ? add_target(f, a->address, NULL) : 0;
	if (a->host && (r = set_str(&f->host, a->host, strlen(a->host))) < 0)
		return r;
	if (a->address && (r = set_str(&f->address, a->address, strlen(a->address))) < 0)
		return r;
	if (a->port) {
		f->has_port = true;
		f->port = a->port;
	}
	return 0;
}

static int push_term(struct pol_strv *v, const char *term)
{
	if (!term || !*term || strlen(term) > CHALLENGE_MAX_FACT)
		return 0;
	for (size_t i = 0; i < v->count; i++)
		if (!strcasecmp(v->items[i], term))
			return 0;
	return pol_strv_push(v, term, strlen(term));
}

static int read_terms(struct challenge_facts *f)
{
	int r = 0;

	if (f->action_class == POL_ACTION_EXEC || f->action_class == POL_ACTION_GENERIC)
		r = push_term(&f->terms_program, f->program);
	for (size_t i = 0; r == 0 && i < f->targets.count; i++) {
		char *base = challenge_basename(f->targets.items[i]);
		if (!base)
			return -ENOMEM;
		r = push_term(&f->terms_target, base);
		free(base);
	}
	if (r == 0 && f->action_class == POL_ACTION_EXEC)
		r = push_term(&f->terms_target, f->branch);
	if (r == 0)
		r = push_term(&f->terms_target, f->host);
	if (r == 0)
		r = push_term(&f->terms_target, f->address);
	if (r == 0 && f->action_class == POL_ACTION_EXEC && !f->terms_target.count)
		r = push_term(&f->terms_target, f->subcommand);
	return r;
}

static bool named(const char *program, const char *const *names)
{
	for (size_t i = 0; program && names[i]; i++)
		if (!strcmp(program, names[i]))
			return true;
	return false;
}

/* What the action will do, for the effect question: read off the class
 * and the program, never off anything the agent can phrase. */
static void read_effect(struct challenge_facts *f, const struct pol_action *a)
{
	static const char *const removers[] = { "rm", "rmdir", "unlink", "shred", NULL };
	static const char *const changers[] = { "touch", "mkdir", "truncate", "mv", "cp", "ln",
						"chmod", "chown", "chgrp", "dd", NULL };
	/* Programs that run other code (a script, a -c string, a command):
	 * what they do is not readable off argv, so no effect is claimed. */
	static const char *const runners[] = {
		"sh", "bash", "dash", "zsh", "ksh", "fish", "busybox", "python", "python2", "python3",
		"perl", "ruby", "node", "php", "lua", "env", "xargs", "sudo", "su", "doas", "nice",
		"nohup", "timeout", "time", "exec", "nsenter", "unshare", "chroot", "make", "npx", NULL,
	};

	switch (a->action_class) {
	case POL_ACTION_UNLINK:
	case POL_ACTION_RMDIR:
		f->effect = CHALLENGE_EFFECT_DELETE;
		f->removes = true;
		return;
	case POL_ACTION_RENAME:
		f->removes = a->rename_replaces && !a->rename_exchange;
		f->effect = f->removes ? CHALLENGE_EFFECT_DELETE : CHALLENGE_EFFECT_CHANGE;
		return;
	case POL_ACTION_CONNECT:
	case POL_ACTION_SENDTO:
		f->effect = a->family == AF_UNIX ? CHALLENGE_EFFECT_LOCAL : CHALLENGE_EFFECT_NETWORK;
		return;
	case POL_ACTION_EXEC:
		if (named(f->program, runners) || (f->program && !strncmp(f->program, "python", 6))) {
			return;
		} else if (named(f->program, removers)) {
			f->effect = CHALLENGE_EFFECT_DELETE;
			f->removes = true;
		} else if (f->program && !strcmp(f->program, "git") && f->subcommand &&
			   !strcmp(f->subcommand, "push")) {
			f->effect = CHALLENGE_EFFECT_PUBLISH;
		} else if (named(f->program, changers) && f->n_targets) {
			f->effect = CHALLENGE_EFFECT_CHANGE;
		} else if (f->host) {
			f->effect = CHALLENGE_EFFECT_NETWORK;
		} else if (!f->n_targets && !f->branch) {
			f->effect = CHALLENGE_EFFECT_RUN;
		}
		/* else: a program with paths whose effect we cannot name (python3
		 * x.py): no effect question rather than a guess */
		return;
	default:
		return;
	}
}

int challenge_facts_read(const struct pol_action *action, struct challenge_facts *ret_facts)
{
	struct challenge_facts f = { .action_class = action->action_class };
	int r;

	switch (action->action_class) {
	case POL_ACTION_EXEC:
		r = read_exec(&f, action);
		break;
	case POL_ACTION_GENERIC:
		r = read_generic(&f, action);
		break;
	default:
		r = read_syscall(&f, action);
		break;
	}
	if (r == 0 && f.targets.count) {
		const char *abs = f.targets_abs.items[0];
		if (*abs && !(f.directory = dirname_of(abs)))
			r = -ENOMEM;
	}
	if (r == 0)
		r = read_terms(&f);
	if (r == 0)
		read_effect(&f, action);
	if (r < 0) {
		challenge_facts_release(&f);
		return r;
	}
	*ret_facts = f;
	return 0;
}

void challenge_facts_release(struct challenge_facts *f)
{
	free(f->program);
	free(f->subcommand);
	free(f->branch);
	free(f->refspec);
	pol_strv_release(&f->targets);
	pol_strv_release(&f->targets_abs);
	free(f->directory);
	free(f->host);
	free(f->address);
	pol_strv_release(&f->terms_program);
	pol_strv_release(&f->terms_target);
	memset(f, 0, sizeof(*f));
}
